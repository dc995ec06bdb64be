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

/// The anchor kernel set on linkscope's blocks (`linkscope bench --json` runs the same with the
/// harness's timing protocol and data).
fn anchor_kernels(c: &mut Criterion) {
    use linkscope::dsp::channelizer::{Channelizer, Oversampling};
    use linkscope::dsp::fm::FmDiscriminator;
    use linkscope::dsp::resample::RationalResampler;
    use linkscope::dsp::viterbi::{anchor_frames, ViterbiK7};
    let x = input();
    let mut g = c.benchmark_group("anchors");
    g.throughput(Throughput::Elements(N as u64));
    let mut y = vec![Complex32::default(); N + 128];
    let mut fm = FmDiscriminator::new(1.0);
    let mut d = vec![0.0f32; N];
    g.bench_function("fmdemod", |b| b.iter(|| fm.process(black_box(&x), &mut d)));
    let proto = lowpass_kaiser(1024, 0.5 / 128.0, 7.0).unwrap();
    let mut pfb = Channelizer::new(128, &proto, Oversampling::Critical).unwrap();
    g.bench_function("pfbch128", |b| {
        b.iter(|| pfb.process(black_box(&x), &mut y))
    });
    let mut r = RationalResampler::new(1, 50, &lowpass_kaiser(1001, 0.01, 5.0).unwrap()).unwrap();
    g.bench_function("resamp", |b| b.iter(|| r.process(black_box(&x), &mut y)));
    let fft = rustfft::FftPlanner::new().plan_fft_forward(1024);
    let mut scratch = vec![Complex32::default(); fft.get_immutable_scratch_len()];
    g.bench_function("fft1024", |b| {
        b.iter(|| {
            for seg in x.chunks_exact(1024) {
                fft.process_immutable_with_scratch(seg, &mut y[..1024], &mut scratch);
            }
        })
    });
    let (_, soft) = anchor_frames(16, 4096);
    let mut v = ViterbiK7::new(0o133, 0o171, 4096).unwrap();
    let mut bits = vec![0u8; 4096];
    g.throughput(Throughput::Elements(16 * 4096));
    g.bench_function("viterbi_k7_bits", |b| {
        b.iter(|| {
            for f in soft.chunks_exact(2 * (4096 + 6)) {
                v.decode_terminated(black_box(f), &mut bits);
            }
        })
    });
    g.finish();
}

/// Whole receivers (NBFM and PDT on 2.4 MS/s cu8); real-time factor = elements/s ÷ 2.4e6.
fn chains(c: &mut Criterion) {
    let mut g = c.benchmark_group("chains");
    g.sample_size(20);
    for mut chain in [
        linkscope::bench::chains::nbfm_2m4_cu8().unwrap(),
        linkscope::bench::chains::pdt_2m4_cu8().unwrap(),
    ] {
        g.throughput(Throughput::Elements(chain.samples as u64));
        g.bench_function(chain.name, |b| b.iter(|| black_box(chain.run())));
    }
    g.finish();
}

criterion_group!(benches, kernels, anchor_kernels, chains);
criterion_main!(benches);
