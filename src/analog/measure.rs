//! Service-monitor measurements on demodulated audio: SINAD, S/N, psophometric (ITU-T O.41)
//! weighting, test-tone frequency, residual hum and noise; deviation statistics.
//!
//! SINAD and S/N come from a Welch spectrum of the audio (Blackman–Harris, 4096 points at
//! 8 kS/s, 50 % overlap, 1.95 Hz bins) accumulated over the measured time, so the audio band is an
//! ideal 300–3000 Hz filter and the notch an ideal ±6-bin window around the tone:
//! SINAD = P(band) / (P(band) − P(tone)); S/N = P(tone) / (P(band) − P(tone) − P(harmonics 2–5)).
//! Weighted figures multiply every bin by the O.41 weight (linear interpolation in dB against
//! log f of the table in `../shared/spec/measurement-addendum.md` §4.3) before summing, over the
//! same 300–3000 Hz band (the high-pass keeps CTCSS out, as on a service monitor with CTCSS on).

use linkscope_dsp::window::{coefficients, Window};
use linkscope_dsp::Complex32;
use rustfft::{Fft, FftPlanner};
use std::sync::Arc;

/// ITU-T O.41 psophometric weighting (Hz, dB), 0 dB at 800 Hz.
pub const O41: [(f64, f64); 24] = [
    (16.66, -85.0),
    (50.0, -63.0),
    (100.0, -41.0),
    (200.0, -21.0),
    (300.0, -10.6),
    (400.0, -6.3),
    (500.0, -3.6),
    (600.0, -2.0),
    (700.0, -0.9),
    (800.0, 0.0),
    (900.0, 0.6),
    (1000.0, 1.0),
    (1200.0, 0.0),
    (1400.0, -0.9),
    (1600.0, -1.7),
    (1800.0, -2.4),
    (2000.0, -3.0),
    (2500.0, -4.2),
    (3000.0, -5.6),
    (3500.0, -8.5),
    (4000.0, -15.0),
    (4500.0, -25.0),
    (5000.0, -36.0),
    (6000.0, -43.0),
];

/// O.41 weight at `f_hz` in dB (linear in dB against log f; −85 dB below, −43 dB above).
pub fn o41_weight_db(f_hz: f64) -> f64 {
    if f_hz <= O41[0].0 {
        return O41[0].1;
    }
    for w in O41.windows(2) {
        let ((f0, d0), (f1, d1)) = (w[0], w[1]);
        if f_hz <= f1 {
            let u = (f_hz / f0).ln() / (f1 / f0).ln();
            return d0 + u * (d1 - d0);
        }
    }
    O41[O41.len() - 1].1
}

/// Lower and upper edge of the measurement audio band, Hz.
pub const BAND_HZ: (f64, f64) = (300.0, 3000.0);
const TONE_BINS: i64 = 6;

/// Accumulates the audio power spectrum (frames of ~0.5 s: 4096 points at 8 kS/s).
pub struct AudioSpectrum {
    fs: f64,
    len: usize,
    fft: Arc<dyn Fft<f32>>,
    win: Vec<f32>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// Input ring (each sample twice) and write position.
    ring: Vec<f32>,
    pos: usize,
    filled: usize,
    since: usize,
    /// Accumulated |X|² (bins 0..N/2) and frame count.
    acc: Vec<f64>,
    frames: u64,
}

impl std::fmt::Debug for AudioSpectrum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AudioSpectrum")
            .field("frames", &self.frames)
            .finish()
    }
}

/// Figures read from an averaged audio spectrum (Blackman–Harris main lobe ±4 bins; the tone
/// window is ±6 bins, ±12 Hz at 8 kS/s).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct AudioFigures {
    /// Test tone frequency, Hz (when a tone dominates the band).
    pub tone_hz: Option<f64>,
    /// Tone amplitude in the audio's units (Hz of deviation when the audio is in Hz).
    pub tone_amplitude: Option<f64>,
    /// SINAD, dB (unweighted, 300–3000 Hz).
    pub sinad_db: Option<f64>,
    /// SINAD with O.41 weighting, dB.
    pub sinad_psoph_db: Option<f64>,
    /// S/N (harmonics excluded), dB.
    pub snr_db: Option<f64>,
    /// S/N with O.41 weighting, dB.
    pub snr_psoph_db: Option<f64>,
    /// RMS of the band (300–3000 Hz), audio units.
    pub band_rms: f64,
    /// RMS of what is left in the band without the tone and its harmonics, audio units.
    pub residual_rms: f64,
}

impl AudioSpectrum {
    /// A spectrum accumulator for audio at `fs`.
    pub fn new(fs: f64) -> AudioSpectrum {
        let len = ((fs / 2.0) as usize).next_power_of_two().max(256);
        let fft = FftPlanner::new().plan_fft_forward(len);
        AudioSpectrum {
            fs,
            len,
            scratch: vec![Complex32::default(); fft.get_inplace_scratch_len()],
            fft,
            win: coefficients(Window::BlackmanHarris, len).unwrap_or_else(|_| vec![1.0; len]),
            buf: vec![Complex32::default(); len],
            ring: vec![0.0; 2 * len],
            pos: 0,
            filled: 0,
            since: 0,
            acc: vec![0.0; len / 2 + 1],
            frames: 0,
        }
    }

    /// Feed audio; `use_frame` decides (at each frame end) whether the frame counts.
    pub fn process(&mut self, x: &[f32], use_frame: bool) {
        let len = self.len;
        for &v in x {
            self.ring[self.pos] = v;
            self.ring[self.pos + len] = v;
            self.pos = (self.pos + 1) % len;
            self.filled = (self.filled + 1).min(len);
            self.since += 1;
            if self.filled == len && self.since >= len / 2 {
                self.since = 0;
                if use_frame {
                    self.frame();
                }
            }
        }
    }

    fn frame(&mut self) {
        let w = &self.ring[self.pos..self.pos + self.len];
        for ((b, &v), &h) in self.buf.iter_mut().zip(w).zip(&self.win) {
            *b = Complex32::new(v * h, 0.0);
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        for (a, b) in self.acc.iter_mut().zip(&self.buf) {
            *a += b.norm_sqr() as f64;
        }
        self.frames += 1;
    }

    /// Frames accumulated.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Forget the accumulated spectrum (start a new interval).
    pub fn reset(&mut self) {
        self.acc.fill(0.0);
        self.frames = 0;
    }

    /// The averaged spectrum as (Hz, dB of audio units² per bin), for plots.
    pub fn psd_db(&self) -> Vec<(f64, f64)> {
        if self.frames == 0 {
            return Vec::new();
        }
        let s2: f64 = self.win.iter().map(|&w| (w as f64).powi(2)).sum();
        let scale = 2.0 / (self.len as f64 * s2 * self.frames as f64);
        let bin_hz = self.fs / self.len as f64;
        self.acc
            .iter()
            .enumerate()
            .map(|(k, a)| (k as f64 * bin_hz, 10.0 * (a * scale).max(1e-20).log10()))
            .collect()
    }

    /// Read the figures; None without frames.
    pub fn figures(&self) -> Option<AudioFigures> {
        if self.frames == 0 {
            return None;
        }
        let n = self.len as f64;
        let bin_hz = self.fs / n;
        // One-sided power per bin: a sinusoid of amplitude A sums to A²/2 over its lobe
        // (Parseval: Σ|X|² = N·Σ(xw)²).
        let s2: f64 = self.win.iter().map(|&w| (w as f64).powi(2)).sum();
        let scale = 2.0 / (n * s2 * self.frames as f64);
        let p: Vec<f64> = self.acc.iter().map(|a| a * scale).collect();
        let lo = (BAND_HZ.0 / bin_hz).ceil() as usize;
        let hi = ((BAND_HZ.1 / bin_hz).floor() as usize).min(p.len() - 1);
        let weights: Vec<f64> = (0..p.len())
            .map(|k| 10f64.powf(o41_weight_db(k as f64 * bin_hz) / 10.0))
            .collect();
        let band: f64 = p[lo..=hi].iter().sum();
        let band_w: f64 = (lo..=hi).map(|k| p[k] * weights[k]).sum();
        let peak = (lo..=hi).max_by(|&a, &b| p[a].total_cmp(&p[b]))?;
        let lobe = |c: usize| {
            let a = (c as i64 - TONE_BINS).max(lo as i64) as usize;
            let b = ((c as i64 + TONE_BINS) as usize).min(hi);
            a..=b
        };
        let tone: f64 = p[lobe(peak)].iter().sum();
        let mut figs = AudioFigures {
            band_rms: band.sqrt(),
            residual_rms: band.sqrt(),
            ..Default::default()
        };
        // A test tone: one line holding most of the band.
        if tone >= 0.5 * band && band > 0.0 {
            let r = lobe(peak);
            let (mut m0, mut m1) = (0.0, 0.0);
            for k in r.clone() {
                m0 += p[k];
                m1 += p[k] * k as f64;
            }
            let f_tone = m1 / m0 * bin_hz;
            let tone_w: f64 = r.clone().map(|k| p[k] * weights[k]).sum();
            let mut harm = 0.0;
            let mut harm_w = 0.0;
            for h in 2..=5 {
                let c = (f_tone * h as f64 / bin_hz).round() as usize;
                if c > hi {
                    break;
                }
                for k in lobe(c) {
                    harm += p[k];
                    harm_w += p[k] * weights[k];
                }
            }
            let nd = (band - tone).max(1e-30);
            let nd_w = (band_w - tone_w).max(1e-30);
            let noise = (band - tone - harm).max(1e-30);
            let noise_w = (band_w - tone_w - harm_w).max(1e-30);
            figs.tone_hz = Some(f_tone);
            figs.tone_amplitude = Some((2.0 * tone).sqrt());
            figs.sinad_db = Some(10.0 * (band / nd).log10());
            figs.sinad_psoph_db = Some(10.0 * (band_w / nd_w).log10());
            figs.snr_db = Some(10.0 * (tone / noise).log10());
            figs.snr_psoph_db = Some(10.0 * (tone_w / noise_w).log10());
            figs.residual_rms = noise.sqrt();
        }
        Some(figs)
    }
}

/// Histogram of |deviation| (1 Hz bins) with peak and RMS, for percentiles without storing
/// samples.
#[derive(Debug, Clone)]
pub struct DeviationStats {
    hist: Vec<u64>,
    count: u64,
    sum2: f64,
    pos_max: f64,
    neg_max: f64,
}

impl DeviationStats {
    /// Bins up to `max_hz`.
    pub fn new(max_hz: f64) -> DeviationStats {
        DeviationStats {
            hist: vec![0; max_hz.ceil() as usize + 1],
            count: 0,
            sum2: 0.0,
            pos_max: 0.0,
            neg_max: 0.0,
        }
    }

    /// Add deviation samples (Hz, carrier offset removed).
    pub fn add(&mut self, x: &[f32]) {
        let top = self.hist.len() - 1;
        for &v in x {
            let a = v.abs() as usize;
            self.hist[a.min(top)] += 1;
            self.sum2 += (v as f64) * (v as f64);
            self.pos_max = self.pos_max.max(v as f64);
            self.neg_max = self.neg_max.min(v as f64);
        }
        self.count += x.len() as u64;
    }

    /// Forget everything (start a new interval) without reallocating.
    pub fn reset(&mut self) {
        self.hist.fill(0);
        self.count = 0;
        self.sum2 = 0.0;
        self.pos_max = 0.0;
        self.neg_max = 0.0;
    }

    /// Samples added.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q`-quantile of |deviation| (0–1), Hz.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.count == 0 {
            return None;
        }
        let target = (q * self.count as f64).ceil().max(1.0) as u64;
        let mut c = 0;
        for (i, &h) in self.hist.iter().enumerate() {
            if c + h >= target {
                // Interpolate inside the 1 Hz bin.
                let frac = (target - c) as f64 / h.max(1) as f64;
                return Some(i as f64 + frac);
            }
            c += h;
        }
        Some((self.hist.len() - 1) as f64)
    }

    /// RMS deviation, Hz.
    pub fn rms(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.sum2 / self.count as f64).sqrt())
    }

    /// Largest positive and negative excursions, Hz.
    pub fn extremes(&self) -> (f64, f64) {
        (self.pos_max, self.neg_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn o41_table_points_and_interpolation() {
        assert_eq!(o41_weight_db(800.0), 0.0);
        assert_eq!(o41_weight_db(1000.0), 1.0);
        assert_eq!(o41_weight_db(3000.0), -5.6);
        let mid = o41_weight_db((2000.0f64 * 2500.0).sqrt());
        assert!((mid - (-3.6)).abs() < 1e-9, "{mid}");
    }

    /// A tone plus white noise of known power: SINAD and S/N against the analytic values.
    #[test]
    fn sinad_of_tone_in_white_noise() {
        let fs = 8000.0;
        let mut sp = AudioSpectrum::new(fs);
        let mut seed = 12345u64;
        let mut gauss = || {
            // Sum of 12 uniforms − 6: unit variance.
            let mut s = 0.0;
            for _ in 0..12 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                s += (seed >> 11) as f64 / (1u64 << 53) as f64;
            }
            s - 6.0
        };
        let sigma = 0.01; // noise variance 1e-4 over 0–4 kHz → 2700/4000 of it in band
        let x: Vec<f32> = (0..(fs * 8.0) as usize)
            .map(|n| {
                ((2.0 * std::f64::consts::PI * 1000.0 * n as f64 / fs).sin() * 0.5
                    + sigma * gauss()) as f32
            })
            .collect();
        sp.process(&x, true);
        let f = sp.figures().unwrap();
        let noise: f64 = 1e-4 * 2700.0 / 4000.0;
        let expect = 10.0 * ((0.125 + noise) / noise).log10();
        assert!((f.tone_hz.unwrap() - 1000.0).abs() < 0.05);
        assert!(
            (f.sinad_db.unwrap() - expect).abs() < 0.2,
            "{:?} vs {expect}",
            f.sinad_db
        );
        assert!((f.tone_amplitude.unwrap() - 0.5).abs() < 0.005);
        // No harmonics here: S/N = S/N+D, just below SINAD = (S+N)/N.
        let snr = 10.0 * (0.125 / noise).log10();
        assert!(
            (f.snr_db.unwrap() - snr).abs() < 0.2,
            "{:?} vs {snr}",
            f.snr_db
        );
    }

    #[test]
    fn deviation_quantiles() {
        let mut d = DeviationStats::new(5000.0);
        let x: Vec<f32> = (0..1000).map(|i| i as f32).collect();
        d.add(&x);
        assert!((d.quantile(0.99).unwrap() - 990.0).abs() <= 1.0);
        assert!((d.rms().unwrap() - (332_833.5f64).sqrt()).abs() < 1.0);
    }
}
