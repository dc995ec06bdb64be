//! Digital down-converter: select one channel of a wideband stream — shift it to 0 Hz, low-pass
//! and decimate in stages to a channel rate.

use crate::fir::{lowpass_spec, DecimatingFir};
use crate::nco::{Mixer, PeriodicMixer};
use crate::{invalid, Complex32, DspError};

/// Mixer + cascade of decimating FIRs. Output rate = input rate / [`Ddc::decimation`].
#[derive(Debug)]
pub struct Ddc {
    /// Exact shift at the input (a single-stage DDC).
    mixer: Option<Mixer>,
    /// Multi-stage: a periodic table shift at the input (within fs/8192 of the channel) and the
    /// small remainder, exactly, ahead of the last (channel) filter at its much lower rate.
    coarse: Option<PeriodicMixer>,
    fine: Option<Mixer>,
    stages: Vec<DecimatingFir>,
    decim: usize,
    fs_out: f64,
    delay_in: f64,
    work: Vec<Complex32>,
    work2: Vec<Complex32>,
}

const CHUNK: usize = 8192;

/// Split `d` into stage factors, the largest first, each ≤ 16 where possible (short filters in
/// the early, fast stages). When `d` is even and large, the last stage is a ÷2: the sharp
/// channel filter then runs at twice the output rate, where it is shortest (its cost grows
/// with the square of the rate it runs at).
fn factor(d: usize) -> Vec<usize> {
    let last2 = d >= 8 && d % 2 == 0;
    let mut d = if last2 { d / 2 } else { d };
    let mut f = Vec::new();
    while d > 1 {
        let mut best = d;
        for k in (2..=16).rev() {
            if d % k == 0 {
                best = k;
                break;
            }
        }
        f.push(best);
        d /= best;
    }
    f.sort_unstable_by(|a, b| b.cmp(a));
    if last2 {
        f.push(2);
    }
    f
}

/// The shortest cascade of `k`-sample moving averages (2 to 5 of them) with ≥ 70 dB in every
/// band m·fs_next ± stopband (m ≥ 1, below fs/2) and ≤ 0.1 dB droop at the pass-band edge.
fn boxcar_cascade(k: usize, fs: f64, fs_next: f64, pass: f64, stop: f64) -> Option<Vec<f32>> {
    if k < 3 {
        return None;
    }
    // |H(f)| of one moving average.
    let one = |f: f64| {
        let x = std::f64::consts::PI * f / fs;
        if x.abs() < 1e-12 {
            1.0
        } else {
            ((k as f64 * x).sin() / (k as f64 * x.sin())).abs()
        }
    };
    let worst_alias = {
        let mut w: f64 = 0.0;
        let mut m = 1.0;
        while m * fs_next - stop < fs / 2.0 {
            for i in 0..=32 {
                let f = m * fs_next - stop + 2.0 * stop * i as f64 / 32.0;
                if f <= fs / 2.0 {
                    w = w.max(one(f));
                }
            }
            m += 1.0;
        }
        w
    };
    let n = (2..=5).find(|&n| {
        worst_alias.powi(n) <= 10f64.powf(-70.0 / 20.0)
            && one(pass).powi(n) >= 10f64.powf(-0.1 / 20.0)
    })?;
    let mut h = vec![1.0f64];
    for _ in 0..n {
        let mut next = vec![0.0; h.len() + k - 1];
        for (i, &v) in h.iter().enumerate() {
            for t in next[i..i + k].iter_mut() {
                *t += v / k as f64;
            }
        }
        h = next;
    }
    Some(h.into_iter().map(|v| v as f32).collect())
}

impl Ddc {
    /// Select the channel at `offset_hz` from the centre of a stream at `fs_in`, keeping
    /// ±`passband_hz` flat (< 0.1 dB) and rejecting beyond ±`stopband_hz` by 70 dB at the output
    /// rate closest to (and not below) `fs_target` that divides `fs_in` by a whole number.
    pub fn new(
        fs_in: f64,
        offset_hz: f64,
        fs_target: f64,
        passband_hz: f64,
        stopband_hz: f64,
    ) -> Result<Ddc, DspError> {
        if !(fs_target > 0.0 && fs_target <= fs_in) {
            return Err(invalid(
                "target rate",
                format!("{fs_target} Hz must be in (0, {fs_in}]"),
            ));
        }
        if !(passband_hz > 0.0 && stopband_hz > passband_hz) {
            return Err(invalid("band edges", "need 0 < passband < stopband"));
        }
        if offset_hz.abs() + passband_hz > fs_in / 2.0 {
            return Err(invalid(
                "offset",
                format!(
                    "channel at {offset_hz} Hz ± {passband_hz} Hz lies outside ±{} Hz",
                    fs_in / 2.0
                ),
            ));
        }
        let decim = ((fs_in / fs_target).floor() as usize).max(1);
        let fs_out = fs_in / decim as f64;
        if stopband_hz > fs_out / 2.0 + (fs_out / 2.0 - passband_hz) {
            return Err(invalid(
                "stopband",
                format!("{stopband_hz} Hz would alias at the output rate {fs_out} Hz"),
            ));
        }
        let mut stages = Vec::new();
        let mut fs = fs_in;
        // Group delay of the linear-phase cascade, in input samples.
        let mut delay_in = 0.0;
        let mut rate_div = 1.0;
        let mut factors = factor(decim);
        if factors.is_empty() {
            // No decimation: still one filter, the channel selection itself.
            factors.push(1);
        }
        // Multi-stage: the input shift is a periodic table (period 4096) and the residual
        // (≤ fs/8192) is removed before the last stage; the earlier stages pass and protect a
        // band widened by that residual.
        let shift = -offset_hz / fs_in;
        let (coarse, residual_hz) = if factors.len() > 1 && offset_hz != 0.0 {
            let (m, used) = PeriodicMixer::nearest(shift, 4096);
            (Some(m), (shift - used) * fs_in)
        } else {
            (None, 0.0)
        };
        let mut fine = None;
        for (i, &k) in factors.iter().enumerate() {
            let fs_next = fs / k as f64;
            let last = i + 1 == factors.len();
            let (pass, protect) = if last {
                (passband_hz, stopband_hz)
            } else {
                (
                    passband_hz + residual_hz.abs(),
                    stopband_hz + residual_hz.abs(),
                )
            };
            // Intermediate stages only need to protect the final band from aliasing.
            let stop = if last { stopband_hz } else { fs_next - protect };
            let kaiser = lowpass_spec(pass / fs, stop.min(fs / 2.0) / fs, 70.0)?;
            let taps = if last {
                kaiser
            } else {
                // An early stage only has to null the bands that fold onto ±stopband: a
                // cascade of k-sample moving averages has its zeros exactly there and is
                // shorter than the Kaiser design when k is large.
                boxcar_cascade(k, fs, fs_next, pass, protect)
                    .filter(|b| b.len() < kaiser.len())
                    .unwrap_or(kaiser)
            };
            if last && residual_hz != 0.0 {
                fine = Some(Mixer::new(residual_hz / fs));
            }
            delay_in += (taps.len() - 1) as f64 / 2.0 * rate_div;
            rate_div *= k as f64;
            stages.push(DecimatingFir::new(&taps, k)?);
            fs = fs_next;
        }
        Ok(Ddc {
            mixer: (offset_hz != 0.0 && coarse.is_none()).then(|| Mixer::new(shift)),
            coarse,
            fine,
            stages,
            decim,
            fs_out,
            delay_in,
            work: vec![Complex32::default(); CHUNK],
            work2: vec![Complex32::default(); CHUNK],
        })
    }

    /// Total decimation.
    pub fn decimation(&self) -> usize {
        self.decim
    }

    /// Output sample rate.
    pub fn output_rate(&self) -> f64 {
        self.fs_out
    }

    /// Group delay of the filters, s: a feature at input time t appears at output time
    /// t + delay.
    pub fn delay_s(&self) -> f64 {
        self.delay_in / (self.fs_out * self.decim as f64)
    }

    /// Filter taps per stage (for cost estimates).
    pub fn stage_count(&self) -> usize {
        self.stages.len()
    }

    /// Process `x`, appending channel samples to `out` through `emit` per block. Never allocates.
    pub fn process(&mut self, x: &[Complex32], mut emit: impl FnMut(&[Complex32])) {
        for chunk in x.chunks(CHUNK) {
            let n = chunk.len();
            // Without a shift the first stage reads the caller's samples directly.
            let first: &[Complex32] = match (self.coarse.as_mut(), self.mixer.as_mut()) {
                (Some(c), _) => {
                    c.process(chunk, &mut self.work[..n]);
                    &self.work[..n]
                }
                (None, Some(m)) => {
                    m.process(chunk, &mut self.work[..n]);
                    &self.work[..n]
                }
                (None, None) => chunk,
            };
            let mut len = self.stages[0].process(first, &mut self.work2);
            std::mem::swap(&mut self.work, &mut self.work2);
            let last = self.stages.len() - 1;
            for (i, st) in self.stages.iter_mut().enumerate().skip(1) {
                if i == last {
                    if let Some(f) = self.fine.as_mut() {
                        f.process_inplace(&mut self.work[..len]);
                    }
                }
                let produced = st.process(&self.work[..len], &mut self.work2);
                std::mem::swap(&mut self.work, &mut self.work2);
                len = produced;
            }
            if len > 0 {
                emit(&self.work[..len]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_the_channel_and_rejects_the_neighbours() {
        let fs = 2.4e6;
        let off = 312_500.0;
        let tone = |f: f64, n: usize| -> Vec<Complex32> {
            (0..n)
                .map(|k| {
                    Complex32::from_polar(
                        0.5,
                        (2.0 * std::f64::consts::PI * (f * k as f64 / fs).fract()) as f32,
                    )
                })
                .collect()
        };
        let mut ddc = Ddc::new(fs, off, 48_000.0, 4_000.0, 8_000.0).unwrap();
        assert_eq!(ddc.decimation(), 50);
        assert_eq!(ddc.output_rate(), 48_000.0);
        let power = |ddc: &mut Ddc, f: f64| -> f64 {
            let x = tone(f, 480_000);
            let mut y = Vec::new();
            ddc.process(&x, |b| y.extend_from_slice(b));
            let tail = &y[y.len() / 2..];
            tail.iter().map(|v| v.norm_sqr() as f64).sum::<f64>() / tail.len() as f64
        };
        // In band: the tone's power (0.25) within 0.1 dB.
        let p = power(&mut ddc, off + 3_000.0);
        assert!((10.0 * (p / 0.25).log10()).abs() < 0.1, "{p}");
        // The next 12.5 kHz channels and an alias candidate are ≥ 60 dB down.
        for f in [
            off + 12_500.0,
            off - 12_500.0,
            off + 48_000.0,
            off - 100_000.0,
        ] {
            let mut d = Ddc::new(fs, off, 48_000.0, 4_000.0, 8_000.0).unwrap();
            let p = power(&mut d, f);
            assert!(
                10.0 * (p / 0.25).log10() < -60.0,
                "{f}: {} dB",
                10.0 * (p / 0.25).log10()
            );
        }
    }
}
