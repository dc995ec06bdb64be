//! Window functions and their figures of merit.

use crate::{invalid, DspError};

/// Window shapes for spectral analysis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// Rectangular (no window).
    Rect,
    /// Hann (raised cosine); ENBW 1.5 bins, sidelobes −31 dB.
    Hann,
    /// 4-term Blackman–Harris; ENBW 2.0 bins, sidelobes −92 dB.
    BlackmanHarris,
    /// Flat-top (HFT-style 5 term); amplitude error < 0.01 dB, ENBW 3.77 bins.
    FlatTop,
    /// Kaiser with shape parameter β.
    Kaiser(f64),
}

/// The `n` coefficients of `window`, *periodic* form (DFT-even, as spectral analysis wants).
pub fn coefficients(window: Window, n: usize) -> Result<Vec<f32>, DspError> {
    if n == 0 {
        return Err(invalid("window length", "must be at least 1"));
    }
    let nf = n as f64;
    let cos_sum = |a: &[f64]| -> Vec<f32> {
        (0..n)
            .map(|i| {
                let x = 2.0 * std::f64::consts::PI * i as f64 / nf;
                a.iter()
                    .enumerate()
                    .map(|(k, &ak)| if k % 2 == 0 { ak } else { -ak } * (k as f64 * x).cos())
                    .sum::<f64>() as f32
            })
            .collect()
    };
    Ok(match window {
        Window::Rect => vec![1.0; n],
        Window::Hann => cos_sum(&[0.5, 0.5]),
        Window::BlackmanHarris => cos_sum(&[0.35875, 0.48829, 0.14128, 0.01168]),
        Window::FlatTop => cos_sum(&[
            0.215_578_95,
            0.416_631_58,
            0.277_263_158,
            0.083_578_947,
            0.006_947_368,
        ]),
        Window::Kaiser(beta) => {
            if beta.is_nan() || beta < 0.0 {
                return Err(invalid("kaiser beta", "must be ≥ 0"));
            }
            kaiser_symmetric(n + 1, beta).into_iter().take(n).collect()
        }
    })
}

/// Symmetric Kaiser window of length `n` (for FIR design).
pub fn kaiser_symmetric(n: usize, beta: f64) -> Vec<f32> {
    if n == 1 {
        return vec![1.0];
    }
    let denom = bessel_i0(beta);
    let m = (n - 1) as f64;
    (0..n)
        .map(|i| {
            let r = 2.0 * i as f64 / m - 1.0;
            (bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / denom) as f32
        })
        .collect()
}

/// Modified Bessel function of the first kind, order 0 (power series; exact to f64 for β ≤ 50).
pub fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..200 {
        term *= q / (k as f64 * k as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

/// Equivalent noise bandwidth of a window, in bins: N·Σw²/(Σw)².
pub fn enbw_bins(w: &[f32]) -> f64 {
    let s1: f64 = w.iter().map(|&v| v as f64).sum();
    let s2: f64 = w.iter().map(|&v| (v as f64) * (v as f64)).sum();
    w.len() as f64 * s2 / (s1 * s1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enbw_matches_textbook_values() {
        // Harris 1978, Table 1: Hann 1.50, 4-term Blackman–Harris 2.00 bins.
        let hann = coefficients(Window::Hann, 4096).unwrap();
        assert!((enbw_bins(&hann) - 1.5).abs() < 1e-3);
        let bh = coefficients(Window::BlackmanHarris, 4096).unwrap();
        assert!((enbw_bins(&bh) - 2.004).abs() < 1e-2);
        assert!((enbw_bins(&coefficients(Window::Rect, 64).unwrap()) - 1.0).abs() < 1e-12);
        assert!((hann[0]).abs() < 1e-7 && (hann[2048] - 1.0).abs() < 1e-7);
    }

    #[test]
    fn bessel_i0_known_values() {
        // Abramowitz & Stegun table 9.8: I0(1) = 1.2660658778, I0(5) = 27.239871823.
        assert!((bessel_i0(1.0) - 1.266_065_877_8).abs() < 1e-9);
        assert!((bessel_i0(5.0) - 27.239_871_823).abs() < 1e-7);
    }

    #[test]
    fn zero_length_is_an_error() {
        assert!(coefficients(Window::Hann, 0).is_err());
    }
}
