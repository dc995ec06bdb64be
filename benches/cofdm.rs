//! COFDM receiver chain (acquisition, FFT, tracking, equalisation, TPS, demapping,
//! deinterleaving, SIMD Viterbi, RS, derandomising) on generated links; prints × real time.
//!
//! cargo bench --bench cofdm

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use linkscope::bench::chains::cofdm_all;
use std::time::Instant;

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("cofdm_chain");
    g.sample_size(10);
    for mut chain in cofdm_all().expect("chains") {
        let secs = chain.samples as f64 / chain.fs_hz;
        let t0 = Instant::now();
        let n = chain.run();
        let dt = t0.elapsed().as_secs_f64();
        eprintln!(
            "{}: {n} TS packets, {:.2} x real time (one core, one run)",
            chain.name,
            secs / dt
        );
        g.throughput(Throughput::Elements(chain.samples as u64));
        g.bench_function(chain.name, |b| b.iter(|| chain.run()));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
