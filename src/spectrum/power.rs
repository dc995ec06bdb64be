//! Channel power per measurement frame, for several channels at once: a Welch spectrum
//! (Blackman–Harris, 50 % overlap, Parseval-normalised so bins sum to power in dBFS terms) over
//! each frame, summed over each channel's bins with fractional edge bins.

use linkscope_dsp::psd::Welch;
use linkscope_dsp::window::Window;
use linkscope_dsp::Complex32;

/// First bin and per-bin weights (the fraction of each bin inside `flo..fhi`) of a channel in an
/// `n`-point spectrum centred on `fc` at rate `fs` (bin n/2 is `fc`).
pub fn channel_bin_weights(fc: f64, fs: f64, n: usize, flo: f64, fhi: f64) -> (usize, Vec<f32>) {
    let df = fs / n as f64;
    let bin_f = |k: usize| fc + (k as f64 - (n / 2) as f64) * df;
    let k0 = (((flo - fc) / df + (n / 2) as f64) - 0.5).floor().max(0.0) as usize;
    let k1 = ((((fhi - fc) / df + (n / 2) as f64) + 0.5).ceil() as usize).min(n - 1);
    let weights = (k0..=k1)
        .map(|k| {
            let (b0, b1) = (bin_f(k) - df / 2.0, bin_f(k) + df / 2.0);
            ((b1.min(fhi) - b0.max(flo)).max(0.0) / df) as f32
        })
        .collect();
    (k0, weights)
}

/// Channel powers over consecutive frames.
pub struct ChannelMeter {
    welch: Welch,
    psd: Vec<f32>,
    chans: Vec<(usize, Vec<f32>)>,
    frame_len: u64,
    pos: u64,
    powers: Vec<f64>,
}

impl ChannelMeter {
    /// Channels as (low, high) edges in Hz; frames of `frame_s`; FFT bins ≤ 1/8 of the narrowest
    /// channel.
    pub fn new(fs: f64, fc: f64, channels: &[(f64, f64)], frame_s: f64) -> Result<Self, String> {
        let narrowest = channels
            .iter()
            .map(|c| c.1 - c.0)
            .fold(f64::INFINITY, f64::min);
        if channels.is_empty() || narrowest.is_nan() || narrowest <= 0.0 {
            return Err("no channel to measure".into());
        }
        for &(lo, hi) in channels {
            if lo < fc - fs / 2.0 || hi > fc + fs / 2.0 {
                return Err(format!(
                    "channel {:.6}–{:.6} MHz is outside the input's {:.6}–{:.6} MHz",
                    lo / 1e6,
                    hi / 1e6,
                    (fc - fs / 2.0) / 1e6,
                    (fc + fs / 2.0) / 1e6
                ));
            }
        }
        let n = ((fs / (narrowest / 8.0)).ceil() as usize)
            .next_power_of_two()
            .clamp(16, 1 << 16);
        let frame_len = (frame_s * fs).round() as u64;
        if frame_len < n as u64 {
            return Err(format!(
                "a {:.1} ms frame is shorter than one {n}-point FFT ({:.1} ms)",
                frame_s * 1e3,
                n as f64 / fs * 1e3
            ));
        }
        let welch = Welch::new(n, n / 2, Window::BlackmanHarris).map_err(|e| e.to_string())?;
        Ok(ChannelMeter {
            welch,
            psd: vec![0.0; n],
            chans: channels
                .iter()
                .map(|&(lo, hi)| channel_bin_weights(fc, fs, n, lo, hi))
                .collect(),
            frame_len,
            pos: 0,
            powers: vec![0.0; channels.len()],
        })
    }

    /// Samples per frame.
    pub fn frame_len(&self) -> u64 {
        self.frame_len
    }

    /// Drop the frame in progress (a gap in the input).
    pub fn reset(&mut self) {
        self.welch.reset();
        self.pos = 0;
    }

    /// Feed samples; `on_frame(sample_index_of_frame_end_relative, powers)` is called for each
    /// completed frame with the channels' linear powers (full-scale sinusoid = 1).
    pub fn process(&mut self, mut x: &[Complex32], mut on_frame: impl FnMut(usize, &[f64])) {
        let mut done = 0usize;
        while !x.is_empty() {
            let take = ((self.frame_len - self.pos) as usize).min(x.len());
            self.welch.process(&x[..take]);
            self.pos += take as u64;
            done += take;
            x = &x[take..];
            if self.pos == self.frame_len {
                self.pos = 0;
                if self.welch.take_average(&mut self.psd) > 0 {
                    for (p, (k0, w)) in self.powers.iter_mut().zip(&self.chans) {
                        *p = self.psd[*k0..*k0 + w.len()]
                            .iter()
                            .zip(w)
                            .map(|(&a, &b)| (a * b) as f64)
                            .sum();
                    }
                    on_frame(done, &self.powers);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_reads_its_power_in_its_channel_only() {
        let (fs, fc) = (100_000.0, 0.0);
        let mut m = ChannelMeter::new(fs, fc, &[(14e3, 26e3), (-26e3, -14e3)], 0.01).unwrap();
        let x: Vec<Complex32> = (0..10_000)
            .map(|i| {
                let ph = 2.0 * std::f64::consts::PI * 20e3 * i as f64 / fs;
                Complex32::new((0.1 * ph.cos()) as f32, (0.1 * ph.sin()) as f32)
            })
            .collect();
        let mut got = Vec::new();
        m.process(&x, |_, p| got.push(p.to_vec()));
        assert_eq!(got.len(), 10);
        for p in &got {
            // -20 dBFS analytic.
            assert!((10.0 * p[0].log10() + 20.0).abs() < 0.05, "{p:?}");
            assert!(10.0 * p[1].log10() < -100.0);
        }
    }
}
