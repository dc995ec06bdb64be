//! Polyphase filter-bank (PFB) analysis channelizer.
//!
//! `M` channels of equal width fs/M from one prototype low-pass of `P·M` taps (`P` taps per
//! branch). Channel k is centred on k·fs/M (FFT order: channels above M/2 are the negative
//! frequencies). Critically sampled: one output frame of M channel samples per M input
//! samples (channel rate fs/M); 2× oversampled: one frame per M/2 inputs (channel rate 2fs/M,
//! the usual choice when signals straddle channel edges).
//!
//! Definition (the textbook form, as the anchors' reference): for the frame ending at input n,
//! v[p] = Σ_q h[qM + p]·x[n − qM − p] and the frame is the unnormalised *inverse* DFT of v,
//! so channel k is the band around +k·fs/M (the anchors' reference uses the forward DFT, which
//! only reverses the channel order: channel k there is channel M − k here).
//! In the oversampled bank every second frame is multiplied by (−1)^k so that each channel
//! is a continuous down-converted stream. Latency: the prototype's group delay.
//!
//! The branch sums of all frames of a call are one pass (`pfb_frames_cf32` of [`crate::simd`],
//! taps held in registers across frames) over windows read in place from the input (only the
//! first windows of a call reach into the kept history); then one rustfft call transforms all
//! frames (planned once).

use crate::simd::Kernels;
use crate::{invalid, Complex32, DspError};
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// Output rate of a [`Channelizer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Oversampling {
    /// One frame per M inputs.
    Critical,
    /// One frame per M/2 inputs (M even).
    Twice,
}

/// Streaming PFB analysis channelizer (see the module docs).
pub struct Channelizer {
    m: usize,
    hop: usize,
    /// Reversed prototype, each tap duplicated for the re/im lanes.
    taps_dup: Vec<f32>,
    /// `len − 1` samples of history, then room for as many new ones.
    buf: Vec<Complex32>,
    hist: usize,
    /// Inputs still needed before the next frame.
    until_frame: usize,
    frames: u64,
    fft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex32>,
    /// Branch sums of a block of frames (the FFT's input).
    sums: Vec<Complex32>,
    k: Kernels,
}

impl std::fmt::Debug for Channelizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channelizer")
            .field("channels", &self.m)
            .field("hop", &self.hop)
            .finish()
    }
}

impl Channelizer {
    /// `channels` channels from `prototype` (its length must be a multiple of `channels`).
    pub fn new(
        channels: usize,
        prototype: &[f32],
        oversampling: Oversampling,
    ) -> Result<Channelizer, DspError> {
        Channelizer::with_kernels(channels, prototype, oversampling, Kernels::detect())
    }

    /// As [`Channelizer::new`] with a given kernel path.
    pub fn with_kernels(
        channels: usize,
        prototype: &[f32],
        oversampling: Oversampling,
        k: Kernels,
    ) -> Result<Channelizer, DspError> {
        let m = channels;
        if m < 2 {
            return Err(invalid("channels", "need at least 2"));
        }
        if prototype.is_empty() || prototype.len() % m != 0 {
            return Err(invalid(
                "prototype",
                format!(
                    "{} taps: expected a non-zero multiple of {m} channels",
                    prototype.len()
                ),
            ));
        }
        let hop = match oversampling {
            Oversampling::Critical => m,
            Oversampling::Twice if m % 2 == 0 => m / 2,
            Oversampling::Twice => {
                return Err(invalid(
                    "channels",
                    "2× oversampling needs an even channel count",
                ))
            }
        };
        let len = prototype.len();
        let taps_dup: Vec<f32> = prototype.iter().rev().flat_map(|&t| [t, t]).collect();
        let fft = FftPlanner::new().plan_fft_inverse(m);
        let scratch = vec![Complex32::default(); fft.get_outofplace_scratch_len()];
        Ok(Channelizer {
            m,
            hop,
            taps_dup,
            buf: vec![Complex32::default(); 2 * len - 1],
            hist: len - 1,
            until_frame: hop,
            frames: 0,
            fft,
            scratch,
            sums: vec![Complex32::default(); (16384 / m).max(1) * m],
            k,
        })
    }

    /// Number of channels M.
    pub fn channels(&self) -> usize {
        self.m
    }

    /// Input samples per output frame.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Frames that `n` more input samples complete (for sizing `out`: × M samples).
    pub fn frames_for(&self, n: usize) -> usize {
        if n < self.until_frame {
            0
        } else {
            1 + (n - self.until_frame) / self.hop
        }
    }

    /// Channelize `input`; each completed frame appends M channel samples (channel 0 first) to
    /// `out`, which must hold [`Channelizer::frames_for`]`(input.len()) × M`. Returns the number
    /// of frames. Never allocates.
    ///
    /// # Panics
    /// If `out` is too short.
    pub fn process(&mut self, input: &[Complex32], out: &mut [Complex32]) -> usize {
        let frames = self.frames_for(input.len());
        assert!(
            out.len() >= frames * self.m,
            "channelizer: output buffer too short"
        );
        let (m, hist, hop) = (self.m, self.hist, self.hop);
        let len = input.len();
        // Frame ends (inclusive input index) e = until_frame − 1 + f·hop. While a window reaches
        // into the history it is read from buf (history, then the head of the input); after
        // that straight from the input.
        let head = len.min(hist);
        self.buf[hist..hist + head].copy_from_slice(&input[..head]);
        let first_end = self.until_frame - 1;
        let in_buf = if head > first_end {
            (head - first_end).div_ceil(hop).min(frames)
        } else {
            0
        };
        let taps = self.taps_dup.len() / 2;
        // Blocks of frames small enough to stay in cache between the branch sums and the FFT.
        let block = self.sums.len() / m;
        let mut f0 = 0;
        while f0 < frames {
            // Frames of one block come from one source (buf or input).
            let f1 = if f0 < in_buf {
                in_buf.min(f0 + block)
            } else {
                frames.min(f0 + block)
            };
            let o = &mut out[f0 * m..f1 * m];
            let sums = &mut self.sums[..(f1 - f0) * m];
            let end = first_end + f0 * hop;
            if f0 < in_buf {
                let w = &self.buf[end..end + (f1 - f0 - 1) * hop + taps];
                (self.k.pfb_frames_cf32)(w, hop, &self.taps_dup, m, sums);
            } else {
                // Window of the frame ending at e starts at input index e + 1 − taps = e − hist.
                let w = &input[end - hist..end - hist + (f1 - f0 - 1) * hop + taps];
                (self.k.pfb_frames_cf32)(w, hop, &self.taps_dup, m, sums);
            }
            // Out of place: rustfft's in-place transforms copy through the scratch.
            self.fft
                .process_outofplace_with_scratch(sums, o, &mut self.scratch);
            if hop != m {
                for (f, v) in o.chunks_exact_mut(m).enumerate() {
                    if (self.frames + (f0 + f) as u64) % 2 == 1 {
                        for c in v.iter_mut().skip(1).step_by(2) {
                            *c = -*c;
                        }
                    }
                }
            }
            f0 = f1;
        }
        self.frames += frames as u64;
        self.until_frame = first_end + frames * hop + 1 - len;
        if len >= hist {
            self.buf[..hist].copy_from_slice(&input[len - hist..]);
        } else {
            self.buf.copy_within(len..len + hist, 0);
        }
        frames
    }

    /// Clear the history and the frame phase.
    pub fn reset(&mut self) {
        self.buf.iter_mut().for_each(|v| *v = Complex32::default());
        self.until_frame = self.hop;
        self.frames = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fir::lowpass_kaiser;
    use crate::simd::KernelPath;

    fn noise(n: usize) -> Vec<Complex32> {
        let mut s = 0x1234_5678_9ABC_DEF1u64;
        let mut f = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        (0..n).map(|_| Complex32::new(f(), f())).collect()
    }

    /// Direct evaluation of the definition in the module docs (f64).
    fn reference(x: &[Complex32], h: &[f32], m: usize, hop: usize) -> Vec<Complex32> {
        let mut out = Vec::new();
        let mut frame = 0;
        let mut n = hop - 1;
        while n < x.len() {
            for k in 0..m {
                let mut acc = num_complex::Complex64::default();
                for (i, &t) in h.iter().enumerate() {
                    if n >= i {
                        let xv = x[n - i];
                        let w = num_complex::Complex64::from_polar(
                            1.0,
                            2.0 * std::f64::consts::PI * (k * (i % m)) as f64 / m as f64,
                        );
                        acc +=
                            num_complex::Complex64::new(xv.re as f64, xv.im as f64) * t as f64 * w;
                    }
                }
                if hop != m && frame % 2 == 1 && k % 2 == 1 {
                    acc = -acc;
                }
                out.push(Complex32::new(acc.re as f32, acc.im as f32));
            }
            frame += 1;
            n += hop;
        }
        out
    }

    #[test]
    fn matches_the_definition_in_any_chunking_on_every_path() {
        let m = 16;
        let h = lowpass_kaiser(4 * m, 0.5 / m as f64, 7.0).unwrap();
        let x = noise(700);
        for over in [Oversampling::Critical, Oversampling::Twice] {
            let hop = if over == Oversampling::Critical {
                m
            } else {
                m / 2
            };
            let want = reference(&x, &h, m, hop);
            for path in KernelPath::all_supported() {
                for chunk in [1usize, 7, 100, 700] {
                    let mut c =
                        Channelizer::with_kernels(m, &h, over, Kernels::for_path(path)).unwrap();
                    let mut got = Vec::new();
                    let mut out = vec![Complex32::default(); 700 / hop * m + m];
                    for piece in x.chunks(chunk) {
                        let f = c.process(piece, &mut out);
                        got.extend_from_slice(&out[..f * m]);
                    }
                    assert_eq!(got.len(), want.len(), "{over:?} {path:?} chunk {chunk}");
                    for (a, b) in got.iter().zip(&want) {
                        assert!((a - b).norm() < 1e-4, "{over:?} {path:?} chunk {chunk}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_tone_lands_in_its_channel_with_continuous_phase() {
        // A tone at the centre of channel 5 of 32: the 2× oversampled channel 5 output is a
        // steady phasor (its phase advances by 0 per frame at the channel centre).
        let m = 32;
        let h = lowpass_kaiser(8 * m, 0.5 / m as f64, 8.0).unwrap();
        let x: Vec<Complex32> = (0..8192)
            .map(|n| {
                Complex32::from_polar(
                    1.0,
                    (2.0 * std::f64::consts::PI * 5.0 * n as f64 / m as f64) as f32,
                )
            })
            .collect();
        for over in [Oversampling::Critical, Oversampling::Twice] {
            let mut c = Channelizer::new(m, &h, over).unwrap();
            let mut out = vec![Complex32::default(); c.frames_for(x.len()) * m];
            let frames = c.process(&x, &mut out);
            let ch5: Vec<Complex32> = (20..frames).map(|f| out[f * m + 5]).collect();
            let others: f32 = (20..frames)
                .flat_map(|f| (0..m).filter(|&k| k != 5).map(move |k| (f, k)))
                .map(|(f, k)| out[f * m + k].norm())
                .fold(0.0, f32::max);
            assert!(
                ch5.iter().all(|v| (v.norm() - 1.0).abs() < 1e-2),
                "{over:?}"
            );
            assert!(
                ch5.windows(2).all(|w| (w[1] - w[0]).norm() < 1e-2),
                "{over:?} phase"
            );
            assert!(others < 1e-3, "{over:?} leakage {others}");
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(Channelizer::new(1, &[1.0], Oversampling::Critical).is_err());
        assert!(Channelizer::new(4, &[1.0; 6], Oversampling::Critical).is_err());
        assert!(Channelizer::new(3, &[1.0; 6], Oversampling::Twice).is_err());
    }
}
