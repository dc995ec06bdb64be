//! Criterion benchmarks of the first kernels, throughput in input samples per second.
//! Run: `cargo bench --bench kernels` (LINKSCOPE_KERNEL=scalar for the reference path).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use linkscope::dsp::convert::{Converter, SampleFormat};
use linkscope::dsp::fir::{lowpass_kaiser, DecimatingFir};
use linkscope::dsp::psd::Welch;
use linkscope::dsp::window::Window;
use linkscope::dsp::Complex32;

const N: usize = 1 << 18;

fn input() -> Vec<Complex32> {
    let mut s = 0x2545_F491_4F6C_DD1Du64;
    (0..N)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let a = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let b = (s & 0xFF_FFFF) as f32 / (1u64 << 24) as f32 - 0.5;
            Complex32::new(a, b)
        })
        .collect()
}

fn kernels(c: &mut Criterion) {
    let x = input();
    let mut g = c.benchmark_group("kernels");
    g.throughput(Throughput::Elements(N as u64));

    // psd1024: Welch, 1024 bins, Hann, 50 % overlap (the anchors' K5 definition).
    let mut w = Welch::new(1024, 512, Window::Hann).unwrap();
    let mut out = vec![0.0f32; 1024];
    g.bench_function("psd1024", |b| {
        b.iter(|| {
            w.process(black_box(&x));
            w.take_average(&mut out);
        })
    });

    // fir64: 64 real taps, no decimation (K1).
    let taps = lowpass_kaiser(64, 0.125, 6.0).unwrap();
    let mut f = DecimatingFir::new(&taps, 1).unwrap();
    let mut y = vec![Complex32::default(); N];
    g.bench_function("fir64", |b| b.iter(|| f.process(black_box(&x), &mut y)));

    // decim8_fir128: 128 taps, decimation 8 (K2).
    let taps = lowpass_kaiser(128, 0.05, 6.0).unwrap();
    let mut f = DecimatingFir::new(&taps, 8).unwrap();
    g.bench_function("decim8_fir128", |b| {
        b.iter(|| f.process(black_box(&x), &mut y))
    });

    // cu8 → cf32 conversion.
    let bytes: Vec<u8> = (0..2 * N).map(|i| (i * 7 % 251) as u8).collect();
    let conv = Converter::new(SampleFormat::Cu8);
    g.bench_function("conv_cu8", |b| {
        b.iter(|| conv.to_complex(black_box(&bytes), &mut y))
    });
    g.finish();
}

/// The single-channel NBFM receiver on 2.4 MS/s cu8 (RTL-SDR style): conversion with the
/// clipping count, DDC to 16 kS/s, discriminator, squelch, CTCSS/DCS, audio, DTMF/selcall, measurements.
/// One iteration is 0.5 s of signal: real-time factor = elements per second / 2.4e6.
/// Complex samples as an RTL-SDR's cu8 bytes.
fn to_cu8(x: &[Complex32]) -> Vec<u8> {
    let q = |a: f32| (a * 127.5 + 127.5).round().clamp(0.0, 255.0) as u8;
    x.iter().flat_map(|v| [q(v.re), q(v.im)]).collect()
}

fn nbfm_chain(c: &mut Criterion) {
    use linkscope::analog::rx::{FmConfig, FmReceiver};
    use linkscope::analog::tx::FmTx;
    let fs = 2_400_000.0;
    let mut tx = FmTx::new(fs, 0.5);
    tx.offset_hz = 312_500.0;
    tx.tone = Some((1000.0, 1500.0));
    tx.ctcss = Some((88.5, 300.0));
    tx.cnr_db = Some(25.0);
    let bytes = to_cu8(&tx.iq());
    let conv = Converter::new(SampleFormat::Cu8);
    let mut rx = FmReceiver::new(FmConfig::new(fs, 312_500.0, 12_500.0)).unwrap();
    let mut buf = vec![Complex32::default(); 8192];
    let mut audio = Vec::new();
    let mut g = c.benchmark_group("chains");
    g.throughput(Throughput::Elements((bytes.len() / 2) as u64));
    g.sample_size(20);
    g.bench_function("nbfm_2m4_cu8", |b| {
        b.iter(|| {
            let mut clipped = 0;
            for chunk in bytes.chunks(2 * 8192) {
                let n = chunk.len() / 2;
                clipped += conv.to_complex(chunk, &mut buf[..n]);
                rx.process(&buf[..n], &mut audio);
            }
            black_box(clipped)
        })
    });
    g.finish();
}

/// The PDT/DMR receiver on a 2.4 MS/s cu8 capture (channel at +312.5 kHz, Es/N0 25 dB): the
/// real-time factor is Melem/s ÷ 2.4.
fn pdt_chain(c: &mut Criterion) {
    use linkscope::pdt::rx::{PdtInput, PdtReceiver};
    use linkscope::pdt::trial::traffic;
    use linkscope::pdt::tx::{modulate, TxChannel};
    let fs = 2_400_000.0;
    let (bits, _) = traffic(34); // 1 s
    let ch = TxChannel {
        fs,
        offset_hz: 312_500.0,
        esn0_db: Some(25.0),
        amplitude: 0.05,
        ..Default::default()
    };
    let bytes = to_cu8(&modulate(&bits, &ch));
    let conv = Converter::new(SampleFormat::Cu8);
    let mut buf = vec![Complex32::default(); 8192];
    let mut g = c.benchmark_group("chains");
    g.throughput(Throughput::Elements((bytes.len() / 2) as u64));
    g.sample_size(20);
    g.bench_function("pdt_2m4_cu8", |b| {
        b.iter(|| {
            let mut rx = PdtReceiver::new(PdtInput::Iq {
                fs,
                offset_hz: 312_500.0,
            })
            .unwrap();
            let mut out = Vec::new();
            for chunk in bytes.chunks(2 * 8192) {
                let n = chunk.len() / 2;
                conv.to_complex(chunk, &mut buf[..n]);
                rx.process_iq(&buf[..n], &mut out);
            }
            rx.finish(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

criterion_group!(benches, kernels, nbfm_chain, pdt_chain);
criterion_main!(benches);
