//! Small recursive filters for audio-rate signals: one-pole low-pass (FM de-emphasis) and a
//! DC blocker.

use crate::{invalid, DspError};

/// One-pole low-pass y += a·(x − y) with time constant `tau_s`: the −6 dB/octave FM
/// de-emphasis (750 µs for land-mobile FM, corner 212 Hz). DC gain 1.
#[derive(Debug, Clone)]
pub struct OnePole {
    a: f32,
    y: f32,
}

impl OnePole {
    /// A low-pass with time constant `tau_s` at sample rate `fs`.
    pub fn new(tau_s: f64, fs: f64) -> Result<OnePole, DspError> {
        if !(tau_s > 0.0 && fs > 0.0) {
            return Err(invalid(
                "tau_s",
                format!("{tau_s} s at {fs} Hz must be > 0"),
            ));
        }
        Ok(OnePole {
            a: (1.0 - (-1.0 / (tau_s * fs)).exp()) as f32,
            y: 0.0,
        })
    }

    /// The smoothing coefficient a of y += a·(x − y) (a transmitter inverts it for
    /// pre-emphasis).
    pub fn alpha(&self) -> f32 {
        self.a
    }

    /// Gain (linear) of the filter at `f_hz` for a sample rate `fs`: the exact response of the
    /// discrete filter (for de-normalising levels).
    pub fn gain_at(&self, f_hz: f64, fs: f64) -> f64 {
        let a = self.a as f64;
        let w = 2.0 * std::f64::consts::PI * f_hz / fs;
        // H(z) = a / (1 − (1 − a) z⁻¹)
        let (re, im) = (1.0 - (1.0 - a) * w.cos(), (1.0 - a) * w.sin());
        a / (re * re + im * im).sqrt()
    }

    /// Filter in place.
    pub fn process(&mut self, x: &mut [f32]) {
        let (a, mut y) = (self.a, self.y);
        for v in x.iter_mut() {
            y += a * (*v - y);
            *v = y;
        }
        self.y = y;
    }
}

/// DC blocker y[n] = x[n] − x[n−1] + r·y[n−1], notch width ≈ (1 − r)·fs/π.
#[derive(Debug, Clone)]
pub struct DcBlock {
    r: f32,
    x1: f32,
    y1: f32,
}

impl DcBlock {
    /// A blocker whose −3 dB corner is near `corner_hz`.
    pub fn new(corner_hz: f64, fs: f64) -> Result<DcBlock, DspError> {
        if !(corner_hz > 0.0 && corner_hz < fs / 4.0) {
            return Err(invalid(
                "corner_hz",
                format!("{corner_hz} Hz not in (0, fs/4)"),
            ));
        }
        Ok(DcBlock {
            r: (1.0 - std::f64::consts::PI * corner_hz / fs) as f32,
            x1: 0.0,
            y1: 0.0,
        })
    }

    /// Filter in place.
    pub fn process(&mut self, x: &mut [f32]) {
        let (r, mut x1, mut y1) = (self.r, self.x1, self.y1);
        for v in x.iter_mut() {
            let y = *v - x1 + r * y1;
            x1 = *v;
            y1 = y;
            *v = y;
        }
        self.x1 = x1;
        self.y1 = y1;
    }
}

/// Butterworth high-pass of order 4 (two biquads from the bilinear transform, corner
/// pre-warped): −24 dB one octave below the corner, −0.3 dB at 1.4× the corner.
#[derive(Debug, Clone)]
pub struct HighPass4 {
    /// Per section: b0, b1, b2, a1, a2 and the state (z1, z2), transposed direct form II.
    sec: [[f32; 7]; 2],
}

impl HighPass4 {
    /// Corner `corner_hz` at sample rate `fs`.
    pub fn new(corner_hz: f64, fs: f64) -> Result<HighPass4, DspError> {
        if !(corner_hz > 0.0 && corner_hz < 0.45 * fs) {
            return Err(invalid(
                "corner_hz",
                format!("{corner_hz} Hz not in (0, 0.45 fs)"),
            ));
        }
        let k = (std::f64::consts::PI * corner_hz / fs).tan();
        let mut sec = [[0.0f32; 7]; 2];
        // Butterworth poles of order 4: Q = 1/(2 cos θ), θ = π/8 and 3π/8.
        for (i, theta) in [std::f64::consts::PI / 8.0, 3.0 * std::f64::consts::PI / 8.0]
            .iter()
            .enumerate()
        {
            let q = 1.0 / (2.0 * theta.cos());
            let norm = 1.0 / (1.0 + k / q + k * k);
            let b0 = norm;
            let a1 = 2.0 * (k * k - 1.0) * norm;
            let a2 = (1.0 - k / q + k * k) * norm;
            sec[i] = [
                b0 as f32,
                (-2.0 * b0) as f32,
                b0 as f32,
                a1 as f32,
                a2 as f32,
                0.0,
                0.0,
            ];
        }
        Ok(HighPass4 { sec })
    }

    /// Filter in place.
    pub fn process(&mut self, x: &mut [f32]) {
        for s in self.sec.iter_mut() {
            let [b0, b1, b2, a1, a2, mut z1, mut z2] = *s;
            for v in x.iter_mut() {
                let y = b0 * *v + z1;
                z1 = b1 * *v - a1 * y + z2;
                z2 = b2 * *v - a2 * y;
                *v = y;
            }
            s[5] = z1;
            s[6] = z2;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone_gain(f: f64, fs: f64, filt: &mut dyn FnMut(&mut [f32])) -> f64 {
        let n = (fs * 2.0) as usize;
        let mut x: Vec<f32> = (0..n)
            .map(|k| (2.0 * std::f64::consts::PI * f * k as f64 / fs).sin() as f32)
            .collect();
        filt(&mut x);
        let tail = &x[n / 2..];
        (tail.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / tail.len() as f64 * 2.0).sqrt()
    }

    #[test]
    fn deemphasis_is_6_db_per_octave_above_its_corner() {
        let fs = 24_000.0;
        let mut d = OnePole::new(750e-6, fs).unwrap();
        let g1 = d.gain_at(1000.0, fs);
        let g2 = d.gain_at(2000.0, fs);
        // Analogue: |H| = 1/√(1 + (2πfτ)²): at 1 kHz 0.207, the octave ratio ≈ −5.8 dB.
        let analog =
            |f: f64| 1.0 / (1.0 + (2.0 * std::f64::consts::PI * f * 750e-6).powi(2)).sqrt();
        assert!((g1 / analog(1000.0) - 1.0).abs() < 0.02, "{g1}");
        assert!(
            (20.0 * (g2 / g1).log10() - 20.0 * (analog(2000.0) / analog(1000.0)).log10()).abs()
                < 0.1
        );
        let measured = tone_gain(1000.0, fs, &mut |x| d.process(x));
        assert!((measured / g1 - 1.0).abs() < 0.01, "{measured} vs {g1}");
    }

    #[test]
    fn fourth_order_high_pass_response() {
        let fs = 8000.0;
        for (f, want_db, tol) in [
            (250.0, -24.1, 0.5),
            (500.0, -3.01, 0.2),
            (1000.0, -0.02, 0.05),
            (67.0, -70.0, 2.0),
        ] {
            let mut h = HighPass4::new(500.0, fs).unwrap();
            let g = tone_gain(f, fs, &mut |x| h.process(x));
            let db = 20.0 * g.log10();
            assert!((db - want_db).abs() < tol, "{f} Hz: {db:.2} dB");
        }
    }

    #[test]
    fn dc_blocker_removes_dc_and_passes_audio() {
        let fs = 8000.0;
        let mut b = DcBlock::new(20.0, fs).unwrap();
        let mut x = vec![0.7f32; 8000];
        b.process(&mut x);
        assert!(x[7999].abs() < 1e-3);
        let mut b = DcBlock::new(20.0, fs).unwrap();
        let g = tone_gain(300.0, fs, &mut |x| b.process(x));
        assert!((g - 1.0).abs() < 0.01, "{g}");
    }
}
