//! FIR design (Kaiser-windowed sinc) and streaming FIR filtering/decimation of complex samples
//! with real taps.

use crate::simd::Kernels;
use crate::window::kaiser_symmetric;
use crate::{invalid, Complex32, DspError};

/// Kaiser's β for a stop-band attenuation of `atten_db`.
pub fn kaiser_beta(atten_db: f64) -> f64 {
    if atten_db > 50.0 {
        0.1102 * (atten_db - 8.7)
    } else if atten_db >= 21.0 {
        0.5842 * (atten_db - 21.0).powf(0.4) + 0.07886 * (atten_db - 21.0)
    } else {
        0.0
    }
}

/// Kaiser's estimate of the taps needed for `atten_db` with a transition band of `transition`
/// (cycles per sample); rounded up to an odd count (a type-I, linear-phase filter).
pub fn kaiser_num_taps(atten_db: f64, transition: f64) -> usize {
    let n = ((atten_db - 7.95) / (14.36 * transition)).ceil().max(1.0) as usize + 1;
    n | 1
}

/// Low-pass by the window method: ideal sinc with cut-off `cutoff` (cycles per sample, the
/// −6 dB point, 0 < cutoff < 0.5) under a Kaiser window of shape `beta`; DC gain 1.
pub fn lowpass_kaiser(num_taps: usize, cutoff: f64, beta: f64) -> Result<Vec<f32>, DspError> {
    if num_taps == 0 {
        return Err(invalid("num_taps", "must be at least 1"));
    }
    if !(cutoff > 0.0 && cutoff < 0.5) {
        return Err(invalid(
            "cutoff",
            format!("{cutoff} not in (0, 0.5) cycles/sample"),
        ));
    }
    let w = kaiser_symmetric(num_taps, beta);
    let m = (num_taps - 1) as f64 / 2.0;
    let mut h: Vec<f64> = (0..num_taps)
        .map(|i| {
            let t = i as f64 - m;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * t).sin() / (std::f64::consts::PI * t)
            };
            sinc * w[i] as f64
        })
        .collect();
    let dc: f64 = h.iter().sum();
    h.iter_mut().for_each(|v| *v /= dc);
    Ok(h.into_iter().map(|v| v as f32).collect())
}

/// A low-pass meeting a specification: pass band to `pass` and stop band from `stop` (cycles
/// per sample) with `atten_db` of stop-band attenuation.
pub fn lowpass_spec(pass: f64, stop: f64, atten_db: f64) -> Result<Vec<f32>, DspError> {
    if !(pass > 0.0 && stop > pass && stop <= 0.5) {
        return Err(invalid(
            "band edges",
            format!("need 0 < pass ({pass}) < stop ({stop}) ≤ 0.5"),
        ));
    }
    let n = kaiser_num_taps(atten_db, stop - pass);
    lowpass_kaiser(n, 0.5 * (pass + stop), kaiser_beta(atten_db))
}

/// Magnitude response |H(f)| of real taps at `f` cycles per sample.
pub fn response(taps: &[f32], f: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &h) in taps.iter().enumerate() {
        let ph = -2.0 * std::f64::consts::PI * f * i as f64;
        re += h as f64 * ph.cos();
        im += h as f64 * ph.sin();
    }
    (re * re + im * im).sqrt()
}

/// A band-pass from `lo` to `hi` (cycles per sample, the −6 dB points) with `num_taps` taps
/// (odd) under a Kaiser window for `atten_db`: the difference of two low-passes.
pub fn bandpass_kaiser(
    num_taps: usize,
    lo: f64,
    hi: f64,
    atten_db: f64,
) -> Result<Vec<f32>, DspError> {
    if !(lo > 0.0 && hi > lo && hi < 0.5) {
        return Err(invalid(
            "band edges",
            format!("need 0 < lo ({lo}) < hi ({hi}) < 0.5"),
        ));
    }
    let n = num_taps | 1;
    let beta = kaiser_beta(atten_db);
    let a = lowpass_kaiser(n, hi, beta)?;
    let b = lowpass_kaiser(n, lo, beta)?;
    Ok(a.iter().zip(&b).map(|(x, y)| x - y).collect())
}

/// Root-raised-cosine taps: `sps` samples per symbol, `span` symbols long (an odd number of
/// taps, `span·sps + 1`), roll-off `alpha` in (0, 1]; scaled so that Σh² = 1, i.e. the cascade
/// of two is a raised cosine whose centre tap is 1 and which is zero at every other multiple of
/// the symbol period (no intersymbol interference).
pub fn root_raised_cosine(sps: usize, span: usize, alpha: f64) -> Result<Vec<f32>, DspError> {
    root_raised_cosine_frac(sps as f64, span, alpha)
}

/// [`root_raised_cosine`] for any (also fractional) number of samples per symbol ≥ 2:
/// `2·⌊span·sps/2⌋ + 1` taps centred on the middle one, Σh² = 1.
pub fn root_raised_cosine_frac(sps: f64, span: usize, alpha: f64) -> Result<Vec<f32>, DspError> {
    if !(2.0..1e5).contains(&sps) || span < 2 || !(alpha > 0.0 && alpha <= 1.0) {
        return Err(invalid(
            "rrc",
            "need ≥ 2 samples per symbol, a span ≥ 2 symbols and 0 < α ≤ 1",
        ));
    }
    let half = (span as f64 * sps / 2.0 + 1e-9).floor() as usize;
    let h: Vec<f64> = (0..2 * half + 1)
        .map(|i| rrc_pulse((i as f64 - half as f64) / sps, alpha))
        .collect();
    let norm = h.iter().map(|v| v * v).sum::<f64>().sqrt();
    Ok(h.iter().map(|v| (v / norm) as f32).collect())
}

/// The continuous root-raised-cosine pulse at `t` symbol periods from its centre (value 1 − α +
/// 4α/π at t = 0, not normalised).
pub fn rrc_pulse(t: f64, alpha: f64) -> f64 {
    let pi = std::f64::consts::PI;
    if t.abs() < 1e-9 {
        1.0 - alpha + 4.0 * alpha / pi
    } else if (t.abs() - 1.0 / (4.0 * alpha)).abs() < 1e-7 {
        alpha / std::f64::consts::SQRT_2
            * ((1.0 + 2.0 / pi) * (pi / (4.0 * alpha)).sin()
                + (1.0 - 2.0 / pi) * (pi / (4.0 * alpha)).cos())
    } else {
        ((pi * t * (1.0 - alpha)).sin() + 4.0 * alpha * t * (pi * t * (1.0 + alpha)).cos())
            / (pi * t * (1.0 - (4.0 * alpha * t).powi(2)))
    }
}

/// Streaming FIR for real samples with real taps (audio filters). Latency (taps − 1)/2.
#[derive(Debug, Clone)]
pub struct RealFir {
    rev: Vec<f32>,
    /// Each sample written twice so the newest `taps` samples are contiguous.
    ring: Vec<f32>,
    pos: usize,
    k: Kernels,
}

impl RealFir {
    /// A filter with `taps` (at least one).
    pub fn new(taps: &[f32]) -> Result<RealFir, DspError> {
        if taps.is_empty() {
            return Err(invalid("taps", "need at least one tap"));
        }
        Ok(RealFir {
            rev: taps.iter().rev().copied().collect(),
            ring: vec![0.0; 2 * taps.len()],
            pos: 0,
            k: Kernels::detect(),
        })
    }

    /// Filter in place. Never allocates.
    pub fn process(&mut self, x: &mut [f32]) {
        let n = self.rev.len();
        for v in x.iter_mut() {
            self.ring[self.pos] = *v;
            self.ring[self.pos + n] = *v;
            self.pos = (self.pos + 1) % n;
            *v = (self.k.dot_f32)(&self.ring[self.pos..self.pos + n], &self.rev);
        }
    }
}

/// Streaming decimating FIR: complex input, real taps, keeps every `decim`-th output (only the
/// kept outputs are computed). `decim = 1` is a plain FIR. Latency: (taps − 1)/2 input samples.
pub struct DecimatingFir {
    rev_taps: Vec<f32>,
    /// The same, each tap duplicated for the re/im lanes (eight-output passes); version `a`
    /// has `a` zero taps in front and (4 − a) mod 4 behind, so that a window can start on a
    /// 32-byte boundary (no load straddles a cache line when the stride keeps the alignment).
    rev_taps_dup: [Vec<f32>; 4],
    decim: usize,
    /// History (taps − 1 samples), then room for as many new samples while outputs still
    /// reach into the history.
    buf: Vec<Complex32>,
    hist: usize,
    /// Input index (mod decim) of the next output relative to the start of the next chunk.
    phase: usize,
    k: Kernels,
}

impl std::fmt::Debug for DecimatingFir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecimatingFir")
            .field("taps", &self.rev_taps.len())
            .field("decim", &self.decim)
            .finish()
    }
}

impl DecimatingFir {
    /// A filter with `taps`, decimating by `decim` (≥ 1).
    pub fn new(taps: &[f32], decim: usize) -> Result<DecimatingFir, DspError> {
        DecimatingFir::with_kernels(taps, decim, Kernels::detect())
    }

    /// As [`DecimatingFir::new`] with a given kernel path.
    pub fn with_kernels(taps: &[f32], decim: usize, k: Kernels) -> Result<DecimatingFir, DspError> {
        if taps.is_empty() {
            return Err(invalid("taps", "need at least one tap"));
        }
        if decim == 0 {
            return Err(invalid("decim", "must be at least 1"));
        }
        // Zero taps at the oldest end pad the length to a multiple of 8 so the vector dot
        // product has no scalar tail; the output is unchanged.
        let padded = taps.len().div_ceil(8) * 8;
        let mut rev_taps = vec![0.0f32; padded - taps.len()];
        rev_taps.extend(taps.iter().rev());
        let hist = padded - 1;
        let rev_taps_dup = std::array::from_fn(|a| {
            let mut v = vec![0.0f32; 2 * a];
            v.extend(rev_taps.iter().flat_map(|&t| [t, t]));
            v.resize(v.len() + 2 * ((4 - a) % 4), 0.0);
            v
        });
        Ok(DecimatingFir {
            rev_taps,
            rev_taps_dup,
            decim,
            buf: vec![Complex32::default(); 2 * hist + 1],
            hist,
            phase: 0,
            k,
        })
    }

    /// Decimation factor.
    pub fn decim(&self) -> usize {
        self.decim
    }

    /// Outputs that `n` more input samples will produce (for sizing `out`).
    pub fn output_len(&self, n: usize) -> usize {
        if n <= self.phase {
            0
        } else {
            (n - self.phase).div_ceil(self.decim)
        }
    }

    /// Filter `input`, writing [`DecimatingFir::output_len`]`(input.len())` samples to the
    /// front of `out` and returning that count. Never allocates; only `taps − 1` samples of
    /// history are copied per call, the rest is read in place.
    ///
    /// # Panics
    /// If `out` is shorter than the output count.
    pub fn process(&mut self, input: &[Complex32], out: &mut [Complex32]) -> usize {
        let need = self.output_len(input.len());
        assert!(out.len() >= need, "output buffer too short");
        let ntaps = self.rev_taps.len();
        let hist = self.hist;
        let len = input.len();
        let mut produced = 0;
        // Output at input index j uses the ntaps samples ending at j. With the history in
        // buf[..hist] and input[..head] behind it, input j sits at buf[hist + j]: its window is
        // buf[j .. j + ntaps] while it reaches into the history, then input[j + 1 − ntaps ..= j].
        let head = len.min(hist);
        self.buf[hist..hist + head].copy_from_slice(&input[..head]);
        if self.decim == 1 {
            // Every output: contiguous FIR passes, first over the history buffer, then over
            // the input in place.
            (self.k.fir_cf32_f32)(&self.buf[..head + hist], &self.rev_taps, &mut out[..head]);
            if len > hist {
                (self.k.fir_cf32_f32)(input, &self.rev_taps, &mut out[hist..len]);
            }
            self.keep_history(input);
            return len;
        }
        let mut j = self.phase;
        // Eight outputs per pass while their windows lie in the history buffer (short calls,
        // such as one 10 ms frame, spend most of their outputs here).
        while j + 7 * self.decim < head {
            let o8 = (self.k.dot8_cf32_f32d)(
                &self.buf[j..j + 7 * self.decim + ntaps],
                self.decim,
                &self.rev_taps_dup[0][..2 * ntaps],
            );
            out[produced..produced + 8].copy_from_slice(&o8);
            produced += 8;
            j += 8 * self.decim;
        }
        while j < head {
            out[produced] = (self.k.dot_cf32_f32)(&self.buf[j..j + ntaps], &self.rev_taps);
            produced += 1;
            j += self.decim;
        }
        // Eight outputs per pass over the input itself.
        while j + 7 * self.decim < len && j >= hist {
            let start = j + 1 - ntaps;
            // Start the window on a 32-byte boundary when the input allows it.
            let addr = input.as_ptr() as usize + 8 * start;
            let a = if addr % 8 == 0 { addr % 32 / 8 } else { 0 };
            let taps_a = self.rev_taps_dup[a].len() / 2;
            let (s0, hd) = if start >= a && start - a + 7 * self.decim + taps_a <= len {
                (start - a, &self.rev_taps_dup[a][..])
            } else {
                (start, &self.rev_taps_dup[0][..2 * ntaps])
            };
            let o8 = (self.k.dot8_cf32_f32d)(
                &input[s0..s0 + 7 * self.decim + hd.len() / 2],
                self.decim,
                hd,
            );
            out[produced..produced + 8].copy_from_slice(&o8);
            produced += 8;
            j += 8 * self.decim;
        }
        while j < len {
            let start = j + 1 - ntaps;
            out[produced] = (self.k.dot_cf32_f32)(&input[start..=j], &self.rev_taps);
            produced += 1;
            j += self.decim;
        }
        self.phase = j - len;
        self.keep_history(input);
        produced
    }

    /// Keep the last `hist` samples (history + input when the input is short).
    fn keep_history(&mut self, input: &[Complex32]) {
        let (hist, len) = (self.hist, input.len());
        if len >= hist {
            self.buf[..hist].copy_from_slice(&input[len - hist..]);
        } else {
            self.buf.copy_within(len..len + hist, 0);
        }
    }

    /// Clear the history.
    pub fn reset(&mut self) {
        self.buf.iter_mut().for_each(|v| *v = Complex32::default());
        self.phase = 0;
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn rrc_cascade_is_nyquist_and_matches_the_dmr_mask() {
        let sps = 10;
        let h = super::root_raised_cosine(sps, 16, 0.2).unwrap();
        // RRC ⊗ RRC: 1 at the centre, 0 at the other symbol instants (within the truncation).
        let n = h.len();
        let conv = |k: isize| -> f64 {
            (0..n as isize)
                .filter_map(|i| {
                    let j = k - i + (n as isize - 1);
                    (j >= 0 && (j as usize) < n)
                        .then(|| h[i as usize] as f64 * h[j as usize] as f64)
                })
                .sum()
        };
        assert!((conv(0) - 1.0).abs() < 1e-6);
        for m in 1..8 {
            assert!(
                conv(m * sps as isize).abs() < 3e-3,
                "ISI at {m} symbols: {}",
                conv(m * sps as isize)
            );
        }
        // DMR digest §1.1 magnitude (4800 Bd, α 0.2): flat to 1920 Hz, 0.707 at 2400 Hz, 0 above
        // 2880 Hz — relative to the DC gain, at fs = 48 kHz.
        let dc: f64 = h.iter().map(|&v| v as f64).sum();
        let g = |f: f64| super::response(&h, f / 48_000.0) / dc;
        assert!((g(1000.0) - 1.0).abs() < 0.01);
        assert!(
            (g(2400.0) - std::f64::consts::FRAC_1_SQRT_2).abs() < 0.02,
            "{}",
            g(2400.0)
        );
        assert!(g(3500.0) < 0.03);
    }

    use super::*;

    #[test]
    fn lowpass_meets_its_spectral_mask() {
        // Pass band to 0.1, stop band from 0.15 at 60 dB: ripple ≤ 0.1 dB, stop ≤ −60 dB.
        let h = lowpass_spec(0.1, 0.15, 60.0).unwrap();
        for i in 0..=100 {
            let f = 0.1 * i as f64 / 100.0;
            let g = 20.0 * response(&h, f).log10();
            assert!(g.abs() < 0.1, "pass band {f}: {g} dB");
        }
        for i in 0..=100 {
            let f = 0.15 + 0.35 * i as f64 / 100.0;
            let g = 20.0 * response(&h, f).log10();
            assert!(g < -59.0, "stop band {f}: {g} dB");
        }
    }

    #[test]
    fn decimating_fir_equals_direct_convolution() {
        let taps = lowpass_kaiser(31, 0.1, 6.0).unwrap();
        let x: Vec<Complex32> = (0..10_000)
            .map(|i| Complex32::new((i as f32 * 0.013).sin(), (i as f32 * 0.071).cos()))
            .collect();
        for decim in [1usize, 3, 8] {
            // Reference: y[m] = Σ_t h[t] x[m·decim − t] with zero history.
            let reference: Vec<Complex32> = (0..x.len())
                .step_by(decim)
                .map(|n| {
                    let mut acc = Complex32::default();
                    for (t, &h) in taps.iter().enumerate() {
                        if n >= t {
                            acc += x[n - t] * h;
                        }
                    }
                    acc
                })
                .collect();
            // Chunks longer and shorter than the history (31 taps → 31 padded to 32).
            for chunk in [997usize, 5, 1] {
                let mut f = DecimatingFir::new(&taps, decim).unwrap();
                let mut out = vec![Complex32::default(); x.len()];
                let mut got = Vec::new();
                for c in x.chunks(chunk) {
                    let n = f.process(c, &mut out);
                    got.extend_from_slice(&out[..n]);
                }
                assert_eq!(got.len(), reference.len(), "decim {decim} chunk {chunk}");
                for (a, b) in got.iter().zip(&reference) {
                    assert!((a - b).norm() < 1e-4, "decim {decim} chunk {chunk}");
                }
            }
        }
    }

    #[test]
    fn kaiser_design_formulas() {
        // Kaiser (1974): β = 0.1102(A − 8.7) for A > 50, e.g. A = 60 → 5.653.
        assert!((kaiser_beta(60.0) - 5.653).abs() < 1e-3);
        assert_eq!(kaiser_num_taps(60.0, 0.05) % 2, 1);
        assert!(lowpass_kaiser(11, 0.6, 5.0).is_err());
        assert!(DecimatingFir::new(&[], 2).is_err());
    }
}
