//! Numerically controlled oscillator and frequency shifting.
//!
//! The phase is kept in `f64`. Samples are processed in blocks of 1024: the oscillator inside a
//! block is a table e^{j2πfk} (k < 1024, computed once in `f64`) times the block's exact starting
//! phasor, so there is no recurrence (the loop vectorises) and no drift over any length. The
//! table product and the shift are one pass (`Kernels::mix_cf32`).

use crate::Complex32;

/// Shifts a complex stream by a fixed frequency: y[n] = x[n]·e^{j(2π f n + φ₀)}.
#[derive(Debug, Clone)]
pub struct Mixer {
    /// Phase increment, cycles per sample.
    freq: f64,
    /// Current phase, cycles in [0, 1).
    phase: f64,
    table: Vec<Complex32>,
    /// Scratch for the in-place form.
    osc: Vec<Complex32>,
    k: crate::simd::Kernels,
}

const BLOCK: usize = 1024;

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

    /// Change the shift, keeping the phase continuous (an AFC loop's correction). Rebuilds the
    /// per-block table, so call it at most every few hundred samples.
    pub fn set_freq(&mut self, freq: f64) {
        self.freq = freq;
        // By rotation in f64 (one sin/cos instead of one per entry; the error after 1024 steps
        // is ~1e-13).
        let (ws, wc) = (2.0 * std::f64::consts::PI * freq).sin_cos();
        let (mut c, mut s) = (1.0f64, 0.0f64);
        for t in self.table.iter_mut() {
            *t = Complex32::new(c as f32, s as f32);
            (c, s) = (c * wc - s * ws, c * ws + s * wc);
        }
    }

    /// Multiply `x` in place by the oscillator. Never allocates.
    pub fn process_inplace(&mut self, x: &mut [Complex32]) {
        for block in x.chunks_mut(BLOCK) {
            let n = block.len();
            self.osc[..n].copy_from_slice(block);
            let ph = self.next_phasor(n);
            (self.k.mix_cf32)(&self.osc[..n], &self.table[..n], ph, block);
        }
    }

    /// The phasor at the start of the next `len` (≤ BLOCK) samples; advances the phase.
    fn next_phasor(&mut self, len: usize) -> Complex32 {
        let (s, c) = (2.0 * std::f64::consts::PI * self.phase).sin_cos();
        // Wrap to [0, 1) without a libm call (the step is < 1 cycle per sample × BLOCK).
        let p = self.phase + self.freq * len as f64;
        self.phase = p - (p as i64) as f64;
        if self.phase < 0.0 {
            self.phase += 1.0;
        }
        Complex32::new(c as f32, s as f32)
    }

    /// out = x · oscillator (equal lengths), one pass. Never allocates.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn process(&mut self, x: &[Complex32], out: &mut [Complex32]) {
        assert_eq!(x.len(), out.len());
        for (xb, ob) in x.chunks(BLOCK).zip(out.chunks_mut(BLOCK)) {
            let ph = self.next_phasor(xb.len());
            (self.k.mix_cf32)(xb, &self.table[..xb.len()], ph, ob);
        }
    }

    /// Write the oscillator itself (amplitude 1) into `out`.
    pub fn generate(&mut self, out: &mut [Complex32]) {
        out.iter_mut().for_each(|v| *v = Complex32::new(1.0, 0.0));
        self.process_inplace(out);
    }
}

/// A frequency shift whose oscillator repeats exactly every `period` samples (a whole number
/// of cycles per period): one table, one complex multiply per sample, no phase arithmetic.
#[derive(Debug, Clone)]
pub struct PeriodicMixer {
    table: Vec<Complex32>,
    pos: usize,
    k: crate::simd::Kernels,
}

impl PeriodicMixer {
    /// The periodic shift nearest to `freq` (cycles per sample); returns it with the frequency
    /// it uses (within 1/(2·period) of `freq`).
    pub fn nearest(freq: f64, period: usize) -> (PeriodicMixer, f64) {
        let period = period.max(1);
        let cycles = (freq * period as f64).round() as i64;
        let table = (0..period)
            .map(|i| {
                // Exact modular phase: (cycles·i mod period)/period.
                let m = (cycles * i as i64).rem_euclid(period as i64) as f64 / period as f64;
                let (s, c) = (2.0 * std::f64::consts::PI * m).sin_cos();
                Complex32::new(c as f32, s as f32)
            })
            .collect();
        let used = cycles as f64 / period as f64;
        (
            PeriodicMixer {
                table,
                pos: 0,
                k: crate::simd::Kernels::detect(),
            },
            used,
        )
    }

    /// out = x · oscillator (equal lengths). Never allocates.
    ///
    /// # Panics
    /// If the lengths differ.
    pub fn process(&mut self, x: &[Complex32], out: &mut [Complex32]) {
        assert_eq!(x.len(), out.len());
        let mut done = 0;
        while done < x.len() {
            let m = (x.len() - done).min(self.table.len() - self.pos);
            (self.k.mul_cf32)(
                &x[done..done + m],
                &self.table[self.pos..self.pos + m],
                &mut out[done..done + m],
            );
            self.pos = (self.pos + m) % self.table.len();
            done += m;
        }
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

    #[test]
    fn periodic_mixer_is_exact_over_many_periods() {
        let (mut m, f) = PeriodicMixer::nearest(0.130_208_4, 4096);
        assert!((f - 0.130_208_4).abs() <= 0.5 / 4096.0);
        let x = vec![Complex32::new(1.0, 0.0); 10_000];
        let mut y = vec![Complex32::default(); 10_000];
        for _ in 0..50 {
            m.process(&x, &mut y);
        }
        // Sample 499 999 of the stream.
        let n = 499_999.0;
        let want = Complex32::from_polar(1.0, (2.0 * std::f64::consts::PI * (f * n % 1.0)) as f32);
        assert!((y[9_999] - want).norm() < 1e-5, "{} vs {}", y[9_999], want);
    }
}
