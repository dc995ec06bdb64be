//! Quick in-process speed check: `dsp::fft` (detected path) vs rustfft, out of place with the
//! input preserved, one in-cache buffer; best of several runs, Msamples/s = N / time.
//! Buffers start on 64-byte boundaries (as FFTW's `fftwf_malloc` gives); the last column is
//! ours with an output only 16-byte aligned (what `Vec` may give).
use linkscope_dsp::fft::{Fft, FftDirection};
use linkscope_dsp::Complex32;
use std::time::Instant;

fn best(mut f: impl FnMut(), calls: usize) -> f64 {
    f();
    (0..7)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..calls {
                f();
            }
            t.elapsed().as_secs_f64() / calls as f64
        })
        .fold(f64::INFINITY, f64::min)
}

/// Offset of the first 64-byte aligned element of `v`.
fn a64(v: &[Complex32]) -> usize {
    v.as_ptr().align_offset(64)
}

fn main() {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|s| s.parse().expect("size"))
        .collect();
    let sizes = if sizes.is_empty() {
        (6..=13).map(|l| 1usize << l).collect()
    } else {
        sizes
    };
    println!(
        "{:>6} {:>10} {:>10} {:>6} {:>14}",
        "N", "ours MS/s", "rustfft", "ratio", "ours, out+16B"
    );
    for n in sizes {
        let xb: Vec<Complex32> = (0..n + 8)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let x = &xb[a64(&xb)..a64(&xb) + n];
        let mut yb = vec![Complex32::default(); n + 8];
        let ya = a64(&yb);
        let calls = (4 << 20) / n;
        let mut ours = Fft::new(n, FftDirection::Forward).unwrap();
        let t_ours = best(|| ours.process(x, &mut yb[ya..ya + n]), calls);
        let t_mis = best(|| ours.process(x, &mut yb[ya + 2..ya + 2 + n]), calls);
        let r = rustfft::FftPlanner::new().plan_fft_forward(n);
        let mut scratch = vec![Complex32::default(); r.get_immutable_scratch_len()];
        let t_r = best(
            || r.process_immutable_with_scratch(x, &mut yb[ya..ya + n], &mut scratch),
            calls,
        );
        let ms = |t: f64| n as f64 / t / 1e6;
        let (a, b) = (ms(t_ours), ms(t_r));
        println!(
            "{n:>6} {a:>10.0} {b:>10.0} {:>6.2} {:>14.0}",
            a / b,
            ms(t_mis)
        );
    }
}
