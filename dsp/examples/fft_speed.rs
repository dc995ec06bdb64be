//! Quick in-process speed check: `dsp::fft` (detected path) vs rustfft, out of place with the
//! input preserved, one in-cache buffer; best of several runs, Msamples/s = N / time.
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
        "{:>6} {:>10} {:>10} {:>6}",
        "N", "ours MS/s", "rustfft", "ratio"
    );
    for n in sizes {
        let x: Vec<Complex32> = (0..n)
            .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
            .collect();
        let mut y = vec![Complex32::default(); n];
        let calls = (4 << 20) / n;
        let mut ours = Fft::new(n, FftDirection::Forward).unwrap();
        let t_ours = best(|| ours.process(&x, &mut y), calls);
        let r = rustfft::FftPlanner::new().plan_fft_forward(n);
        let mut scratch = vec![Complex32::default(); r.get_immutable_scratch_len()];
        let t_r = best(
            || r.process_immutable_with_scratch(&x, &mut y, &mut scratch),
            calls,
        );
        let (a, b) = (n as f64 / t_ours / 1e6, n as f64 / t_r / 1e6);
        println!("{n:>6} {a:>10.0} {b:>10.0} {:>6.2}", a / b);
    }
}
