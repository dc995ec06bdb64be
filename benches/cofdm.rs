//! COFDM receiver chain (acquisition, FFT, tracking, equalisation, TPS, demapping,
//! deinterleaving, SIMD Viterbi, RS, derandomising) on generated links; prints × real time.
//!
//! cargo bench --bench cofdm

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linkscope::cofdm::params::elementary_rate_hz;
use linkscope::cofdm::tx::{Channel, Transmitter, TsSource};
use linkscope::cofdm::{CodeRate, CofdmReceiver, Constellation, Guard, Mode, RxConfig, TxParams};
use std::time::Instant;

fn link(p: TxParams, bw: f64, symbols: usize) -> Vec<linkscope::dsp::Complex32> {
    let mut tx = Transmitter::new(p, 0.1);
    let x = tx.symbols(&mut TsSource::prbs(1), symbols);
    let ch = Channel {
        cn_db: Some(30.0),
        seed: 1,
        ..Default::default()
    };
    let occ = p.mode.carriers() as f64 / p.mode.fft_len() as f64;
    ch.apply(&x, elementary_rate_hz(bw), occ)
}

fn decode(x: &[linkscope::dsp::Complex32], bw: f64) -> u64 {
    let mut rx = CofdmReceiver::new(RxConfig::new(elementary_rate_hz(bw), Some(bw))).unwrap();
    let mut out = Vec::new();
    for c in x.chunks(1 << 14) {
        rx.process(c, &mut out);
    }
    rx.finish(&mut out);
    out.len() as u64
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "cofdm_2mhz_2k_qpsk_r12_gi4",
            TxParams {
                mode: Mode::K2,
                guard: Guard::G4,
                constellation: Constellation::Qpsk,
                code_rate: CodeRate::R12,
                cell_id: None,
            },
            2e6,
            300,
        ),
        (
            "cofdm_2mhz_8k_64qam_r34_gi32",
            TxParams {
                mode: Mode::K8,
                guard: Guard::G32,
                constellation: Constellation::Qam64,
                code_rate: CodeRate::R34,
                cell_id: None,
            },
            2e6,
            150,
        ),
        (
            "cofdm_8mhz_2k_64qam_r34_gi8",
            TxParams {
                mode: Mode::K2,
                guard: Guard::G8,
                constellation: Constellation::Qam64,
                code_rate: CodeRate::R34,
                cell_id: None,
            },
            8e6,
            300,
        ),
    ];
    let mut g = c.benchmark_group("cofdm_chain");
    g.sample_size(10);
    for (name, p, bw, symbols) in cases {
        let x = link(p, bw, symbols);
        let secs = x.len() as f64 / elementary_rate_hz(bw);
        let t0 = Instant::now();
        let n = decode(&x, bw);
        let dt = t0.elapsed().as_secs_f64();
        eprintln!(
            "{name}: {n} TS packets, {:.2} x real time (one core, one run)",
            secs / dt
        );
        g.throughput(Throughput::Elements(x.len() as u64));
        g.bench_function(name, |b| b.iter(|| decode(&x, bw)));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
