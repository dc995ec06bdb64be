//! Acquisition (digest §6.13): mode and guard from cyclic-prefix correlation, symbol timing,
//! fractional carrier offset from the correlation phase, integer offset from the continual
//! pilots, and the scattered-pilot phase (symbol number mod 4).

use super::params::{Guard, Mode};
use super::pilots::Layout;
use num_complex::Complex32;
use rustfft::Fft;
use std::sync::Arc;

/// Result of cyclic-prefix correlation for one (mode, guard) hypothesis.
#[derive(Debug, Clone, Copy)]
pub struct CpPeak {
    pub mode: Mode,
    pub guard: Guard,
    /// Index (in the analysed block) of the first sample of a cyclic prefix.
    pub cp_start: usize,
    /// Normalised correlation at the peak, 0…1 (≈ SNR/(SNR+1) for a clean channel).
    pub rho: f32,
    /// Fractional carrier offset in carrier spacings (−0.5 … 0.5].
    pub frac_cfo: f32,
}

/// Correlate lag-N products over a window of G and fold over symbols of N+G samples.
pub fn cp_correlate(x: &[Complex32], mode: Mode, guard: Guard) -> Option<CpPeak> {
    let n = mode.fft_len();
    let g = guard.samples(mode);
    let ns = n + g;
    if x.len() < 2 * ns + n {
        return None;
    }
    // Products p[m] = x[m]·conj(x[m+N]) and energies; running window sums of length G.
    let m_max = x.len() - n;
    let mut acc = vec![Complex32::default(); ns];
    let mut en = vec![0f32; ns];
    let mut c = Complex32::default();
    let mut e = 0f32;
    let nsyms = (m_max - g) / ns;
    if nsyms < 2 {
        return None;
    }
    let end = nsyms * ns;
    for m in 0..end + g {
        c += x[m] * x[m + n].conj();
        e += 0.5 * (x[m].norm_sqr() + x[m + n].norm_sqr());
        if m >= g {
            c -= x[m - g] * x[m - g + n].conj();
            e -= 0.5 * (x[m - g].norm_sqr() + x[m - g + n].norm_sqr());
        }
        if m + 1 >= g {
            let start = m + 1 - g;
            if start < end {
                acc[start % ns] += c;
                en[start % ns] += e;
            }
        }
    }
    let (best, rho) = (0..ns)
        .map(|o| {
            (
                o,
                if en[o] > 0.0 {
                    acc[o].norm() / en[o]
                } else {
                    0.0
                },
            )
        })
        .filter(|(_, r)| r.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))?;
    let frac_cfo = -acc[best].arg() / (2.0 * std::f32::consts::PI);
    Some(CpPeak {
        mode,
        guard,
        cp_start: best,
        rho,
        frac_cfo,
    })
}

/// The best (mode, guard) hypothesis over all, or those allowed.
pub fn detect(x: &[Complex32], modes: &[Mode], guards: &[Guard]) -> Option<CpPeak> {
    let mut best: Option<CpPeak> = None;
    for &m in modes {
        for &g in guards {
            if let Some(p) = cp_correlate(x, m, g) {
                if best.is_none_or(|b| p.rho > b.rho) {
                    best = Some(p);
                }
            }
        }
    }
    best
}

/// FFT of `n` samples of `x` from `start`, derotated by `cfo` (cycles/sample) with phase
/// referenced to sample `start`.
pub fn fft_at(
    fft: &Arc<dyn Fft<f32>>,
    x: &[Complex32],
    start: usize,
    cfo: f64,
    out: &mut [Complex32],
    scratch: &mut [Complex32],
) {
    let n = out.len();
    let w = -2.0 * std::f64::consts::PI * cfo;
    for (i, o) in out.iter_mut().enumerate() {
        let ph = w * i as f64;
        *o = x[start + i] * Complex32::new(ph.cos() as f32, ph.sin() as f32);
    }
    let _ = n;
    fft.process_with_scratch(out, scratch);
}

/// Integer carrier offset in [−max, max] from symbols' FFTs (consecutive): the continual pilots
/// repeat from symbol to symbol, data does not. Returns the offset, its score (mean normalised
/// symbol-to-symbol correlation of the pilot bins, 0…1) and the best score of any other offset
/// (what data alone reaches over the range searched).
pub fn integer_cfo(layout: &Layout, ffts: &[Vec<Complex32>], max: i32) -> (i32, f32, f32) {
    let n = layout.mode.fft_len() as i32;
    let mut best = (0, 0f32);
    let mut second = 0f32;
    for s in -max..=max {
        let mut total = 0f32;
        for pair in ffts.windows(2) {
            let mut acc = Complex32::default();
            let mut pw = 0f32;
            for &k in &layout.continual {
                let b = ((layout.bin(k) as i32 + s).rem_euclid(n)) as usize;
                acc += pair[1][b] * pair[0][b].conj();
                pw += pair[1][b].norm() * pair[0][b].norm();
            }
            total += if pw > 0.0 { acc.norm() / pw } else { 0.0 };
        }
        if total > best.1 {
            second = best.1;
            best = (s, total);
        } else if total > second {
            second = total;
        }
    }
    let pairs = ffts.len().saturating_sub(1).max(1) as f32;
    (best.0, best.1 / pairs, second / pairs)
}

/// Scattered-pilot phase of the first of `ffts` (consecutive symbols, integer offset removed):
/// the p for which carriers 3·((p+i) mod 4) + 12m carry the most power.
pub fn pilot_phase(layout: &Layout, ffts: &[Vec<Complex32>], shift: i32) -> (usize, f32) {
    let n = layout.mode.fft_len() as i32;
    let mut scores = [0f32; 4];
    for (p, sc) in scores.iter_mut().enumerate() {
        for (i, y) in ffts.iter().enumerate() {
            let ph = (p + i) % 4;
            let mut pilot = 0f32;
            for &k in &layout.scattered[ph] {
                let b = ((layout.bin(k) as i32 + shift).rem_euclid(n)) as usize;
                pilot += y[b].norm_sqr();
            }
            let total: f32 = (0..layout.mode.carriers())
                .map(|k| y[((layout.bin(k) as i32 + shift).rem_euclid(n)) as usize].norm_sqr())
                .sum();
            if total > 0.0 {
                *sc += pilot / total * layout.mode.carriers() as f32
                    / layout.scattered[ph].len() as f32;
            }
        }
    }
    let (p, s) = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(p, s)| (p, *s))
        .unwrap_or((0, 0.0));
    (p, s / ffts.len().max(1) as f32)
}
