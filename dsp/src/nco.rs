//! Numerically controlled oscillator and frequency shifting.
//!
//! The phase is kept in `f64`. Samples are processed in blocks of 256: the oscillator inside a
//! block is a table e^{j2πfk} (k < 256, computed once in `f64`) times the block's exact starting
//! phasor, so there is no recurrence (the loop vectorises) and no drift over any length.

use crate::Complex32;

/// Shifts a complex stream by a fixed frequency: y[n] = x[n]·e^{j(2π f n + φ₀)}.
#[derive(Debug, Clone)]
pub struct Mixer {
    /// Phase increment, cycles per sample.
    freq: f64,
    /// Current phase, cycles in [0, 1).
    phase: f64,
    table: Vec<Complex32>,
    osc: Vec<Complex32>,
    k: crate::simd::Kernels,
}

const BLOCK: usize = 256;

impl Mixer {
    /// Shift by `freq` cycles per sample (negative moves the spectrum down).
    pub fn new(freq: f64) -> Mixer {
        let table = (0..BLOCK)
            .map(|k| {
                let (s, c) = (2.0 * std::f64::consts::PI * (freq * k as f64).fract()).sin_cos();
                Complex32::new(c as f32, s as f32)
            })
            .collect();
        Mixer {
            freq,
            phase: 0.0,
            table,
            osc: vec![Complex32::default(); BLOCK],
            k: crate::simd::Kernels::detect(),
        }
    }

    /// The shift, cycles per sample.
    pub fn freq(&self) -> f64 {
        self.freq
    }

    /// Multiply `x` in place by the oscillator. Never allocates.
    pub fn process_inplace(&mut self, x: &mut [Complex32]) {
        for block in x.chunks_mut(BLOCK) {
            self.next_block(block.len());
            (self.k.mul_inplace_cf32)(block, &self.osc[..block.len()]);
        }
    }

    /// Fill `osc` with the oscillator for the next `len` (≤ BLOCK) samples and advance.
    fn next_block(&mut self, len: usize) {
        let (s, c) = (2.0 * std::f64::consts::PI * self.phase).sin_cos();
        self.osc.fill(Complex32::new(c as f32, s as f32));
        (self.k.mul_inplace_cf32)(&mut self.osc, &self.table);
        self.phase = (self.phase + self.freq * len as f64).rem_euclid(1.0);
    }

    /// out = x · oscillator (equal lengths). Never allocates.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn process(&mut self, x: &[Complex32], out: &mut [Complex32]) {
        assert_eq!(x.len(), out.len());
        for (xb, ob) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            self.next_block(xb.len());
            (self.k.mul_cf32)(xb, &self.osc[..xb.len()], ob);
        }
    }

    /// Write the oscillator itself (amplitude 1) into `out`.
    pub fn generate(&mut self, out: &mut [Complex32]) {
        out.iter_mut().for_each(|v| *v = Complex32::new(1.0, 0.0));
        self.process_inplace(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oscillator_matches_exact_phase_after_long_run() {
        let f = 0.123_456_789;
        let mut m = Mixer::new(f);
        let mut out = vec![Complex32::default(); 1000];
        for _ in 0..1000 {
            m.generate(&mut out);
        }
        // Sample 999 999 of the stream.
        let n = 999_999.0;
        let want = Complex32::from_polar(1.0, (2.0 * std::f64::consts::PI * (f * n % 1.0)) as f32);
        assert!((out[999] - want).norm() < 1e-5, "{} vs {}", out[999], want);
        assert!(out.iter().all(|v| (v.norm() - 1.0).abs() < 1e-6));
    }
}
