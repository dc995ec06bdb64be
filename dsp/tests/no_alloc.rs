//! `process` of the streaming blocks allocates nothing after construction: a counting global
//! allocator watches every block of the anchor kernel set on every kernel path this CPU runs.
//! (One test function, so no other test of this binary allocates concurrently.)

use linkscope_dsp::channelizer::{Channelizer, Oversampling};
use linkscope_dsp::fft::{Fft, FftDirection};
use linkscope_dsp::fir::{lowpass_kaiser, DecimatingFir};
use linkscope_dsp::fm::FmDiscriminator;
use linkscope_dsp::psd::Welch;
use linkscope_dsp::resample::RationalResampler;
use linkscope_dsp::simd::{KernelPath, Kernels};
use linkscope_dsp::viterbi::{anchor_frames, ViterbiK7, ViterbiStream};
use linkscope_dsp::window::Window;
use linkscope_dsp::Complex32;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn count(what: &str, f: impl FnOnce()) {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    let n = ALLOCATIONS.load(Ordering::SeqCst) - before;
    assert_eq!(n, 0, "{what}: {n} allocations in process");
}

#[test]
fn process_allocates_nothing_after_construction() {
    // The counter sees allocations (so a zero below means something).
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    let probe = std::hint::black_box(vec![1u8; 10]);
    assert!(ALLOCATIONS.load(Ordering::SeqCst) > before && probe.len() == 10);
    let x: Vec<Complex32> = (0..50_000)
        .map(|i| Complex32::new((i as f32 * 0.37).sin(), (i as f32 * 0.11).cos()))
        .collect();
    let mut y = vec![Complex32::default(); x.len() + 1024];
    let mut up = vec![Complex32::default(); 2 * x.len() + 16];
    let mut d = vec![0.0f32; x.len()];
    let (info, soft) = anchor_frames(4, 512);
    let mut bits = vec![0u8; 512];
    let mut stream_out: Vec<u8> = Vec::with_capacity(8192);
    for path in KernelPath::all_supported() {
        let k = Kernels::for_path(path);
        let taps = lowpass_kaiser(64, 0.1, 6.0).unwrap();
        let mut fir = DecimatingFir::with_kernels(&taps, 1, k).unwrap();
        let mut dec = DecimatingFir::with_kernels(&taps, 8, k).unwrap();
        let mut r50 =
            RationalResampler::with_kernels(1, 50, &RationalResampler::design(1, 50).unwrap(), k)
                .unwrap();
        let mut r32 =
            RationalResampler::with_kernels(3, 2, &RationalResampler::design(3, 2).unwrap(), k)
                .unwrap();
        let proto = lowpass_kaiser(1024, 0.5 / 128.0, 7.0).unwrap();
        let mut pfb = Channelizer::with_kernels(128, &proto, Oversampling::Critical, k).unwrap();
        let mut pfb2 = Channelizer::with_kernels(128, &proto, Oversampling::Twice, k).unwrap();
        let mut psd = Welch::with_kernels(1024, 512, Window::Hann, k).unwrap();
        let mut avg = vec![0.0f32; 1024];
        let mut fm = FmDiscriminator::with_kernels(1.0, k);
        let mut vit = ViterbiK7::with_kernels(0o133, 0o171, 512, k).unwrap();
        let mut vs = ViterbiStream::with_kernels(0o133, 0o171, 96, k).unwrap();
        // Odd chunk sizes so every history/partial-segment path runs.
        for chunk in [x.len(), 4097, 333, 7] {
            let tag = format!("{path:?} chunk {chunk}");
            for c in x.chunks(chunk) {
                count(&format!("fir {tag}"), || {
                    fir.process(c, &mut y);
                });
                count(&format!("decimating fir {tag}"), || {
                    dec.process(c, &mut y);
                });
                count(&format!("resampler 1/50 {tag}"), || {
                    r50.process(c, &mut y);
                });
                count(&format!("resampler 3/2 {tag}"), || {
                    r32.process(c, &mut up);
                });
                count(&format!("channelizer {tag}"), || {
                    pfb.process(c, &mut y);
                });
                count(&format!("channelizer 2x {tag}"), || {
                    pfb2.process(c, &mut up);
                });
                count(&format!("welch {tag}"), || psd.process(c));
                count(&format!("discriminator {tag}"), || {
                    fm.process(c, &mut d[..c.len()]);
                });
            }
            count(&format!("welch average {tag}"), || {
                psd.take_average(&mut avg);
            });
        }
        // FFT: native sizes (unpadded and padded layouts, both directions, windowed power)
        // and a fallback size.
        for n in [64usize, 1024, 2048, 8192, 100] {
            for dir in [FftDirection::Forward, FftDirection::Inverse] {
                let mut fft = Fft::with_path(n, dir, path).unwrap();
                let mut out = vec![Complex32::default(); n];
                count(&format!("fft {n} {dir:?} {path:?}"), || {
                    fft.process(&x[1..n + 1], &mut out);
                });
            }
            let mut fft = Fft::with_path(n, FftDirection::Forward, path).unwrap();
            fft.set_window(&vec![0.5; n]).unwrap();
            let mut acc = vec![0.0f32; n];
            count(&format!("fft power {n} {path:?}"), || {
                fft.accumulate_power_centred(&x[3..n + 3], &mut acc);
            });
        }
        let frame = soft.len() / 4;
        count(&format!("viterbi frames {path:?}"), || {
            for (f, s) in soft.chunks_exact(frame).enumerate() {
                vit.decode_terminated(s, &mut bits);
                assert_eq!(&bits[..], &info[f * 512..(f + 1) * 512]);
            }
        });
        stream_out.clear();
        count(&format!("viterbi stream {path:?}"), || {
            for piece in soft.chunks(101) {
                vs.push(piece, &mut stream_out);
            }
        });
    }
}
