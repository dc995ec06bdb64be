//! Levels and decibels.

use crate::Complex32;

/// 10·log10(p), with a floor so that silence gives a finite −300 dB rather than −∞.
pub fn db10(p: f64) -> f64 {
    10.0 * p.max(1e-30).log10()
}

/// Mean power Σ|x|²/n (0 for an empty slice).
pub fn mean_power(x: &[Complex32]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    x.iter().map(|s| s.norm_sqr() as f64).sum::<f64>() / x.len() as f64
}

/// Running level statistics of a complex stream: mean power, peak power, clipped components.
#[derive(Debug, Clone, Default)]
pub struct LevelStats {
    /// Samples seen.
    pub samples: u64,
    /// Σ|x|².
    pub sum_power: f64,
    /// max |x|².
    pub peak_power: f64,
    /// Components (I or Q counted separately) at or beyond the clip level.
    pub clipped_components: u64,
}

impl LevelStats {
    /// Add a block; `clip_level` is the normalised component magnitude that counts as clipped.
    pub fn add(&mut self, x: &[Complex32], clip_level: f32) {
        let (sum, peak, clipped) =
            (crate::simd::Kernels::detect().level_cf32)(x, clip_level - 1e-6);
        self.samples += x.len() as u64;
        self.sum_power += sum;
        self.peak_power = self.peak_power.max(peak as f64);
        self.clipped_components += clipped;
    }

    /// Add a block of real samples (the imaginary part is absent, so it is not counted).
    pub fn add_real(&mut self, x: &[f32], clip_level: f32) {
        let lim = clip_level - 1e-6;
        for &s in x {
            let p = (s as f64) * (s as f64);
            self.sum_power += p;
            self.peak_power = self.peak_power.max(p);
            self.clipped_components += (s.abs() >= lim) as u64;
        }
        self.samples += x.len() as u64;
    }

    /// Mean power in dB relative to full scale.
    pub fn rms_dbfs(&self) -> f64 {
        db10(self.sum_power / self.samples.max(1) as f64)
    }

    /// Peak power in dB relative to full scale.
    pub fn peak_dbfs(&self) -> f64 {
        db10(self.peak_power)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_scale_sinusoid_is_0_dbfs() {
        let x: Vec<Complex32> = (0..1000)
            .map(|i| Complex32::from_polar(1.0, i as f32 * 0.1))
            .collect();
        assert!(db10(mean_power(&x)).abs() < 1e-5);
        let mut s = LevelStats::default();
        s.add(&x, 1.0);
        assert!(s.rms_dbfs().abs() < 1e-5 && s.peak_dbfs().abs() < 1e-5);
    }
}
