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
        let lim = clip_level - 1e-6;
        // Eight independent lanes in f32 (summed to f64 per call) so the loop vectorises;
        // callers pass blocks of a few thousand samples, where f32 partial sums keep ~1e-5.
        let mut sum = [0.0f32; 8];
        let mut peak = [0.0f32; 8];
        let mut clipped = [0u32; 8];
        let flat: &[f32] = bytemuck_cast(x);
        let mut chunks = flat.chunks_exact(16);
        for c in chunks.by_ref() {
            let c: &[f32; 16] = c.try_into().unwrap_or(&[0.0; 16]);
            for k in 0..8 {
                let (re, im) = (c[2 * k], c[2 * k + 1]);
                let p = re * re + im * im;
                sum[k] += p;
                peak[k] = if p > peak[k] { p } else { peak[k] };
                clipped[k] += (re.abs() >= lim) as u32 + (im.abs() >= lim) as u32;
            }
        }
        let mut total: f64 = sum.iter().map(|&v| v as f64).sum();
        let mut pk = peak.iter().fold(self.peak_power as f32, |a, &b| a.max(b)) as f64;
        let mut cl: u64 = clipped.iter().map(|&v| v as u64).sum();
        for c in chunks.remainder().chunks_exact(2) {
            let p = (c[0] * c[0] + c[1] * c[1]) as f64;
            total += p;
            pk = pk.max(p);
            cl += (c[0].abs() >= lim) as u64 + (c[1].abs() >= lim) as u64;
        }
        self.samples += x.len() as u64;
        self.sum_power += total;
        self.peak_power = pk.max(self.peak_power);
        self.clipped_components += cl;
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

/// View complex samples as interleaved floats (Complex32 is `repr(C)` {re, im}).
fn bytemuck_cast(x: &[Complex32]) -> &[f32] {
    // SAFETY: num_complex::Complex<f32> is #[repr(C)] with two f32 fields, so a slice of n
    // of them is 2n contiguous, aligned f32 values.
    unsafe { std::slice::from_raw_parts(x.as_ptr() as *const f32, 2 * x.len()) }
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
