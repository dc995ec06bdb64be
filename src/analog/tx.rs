//! NBFM transmitter model for tests and `linkscope gen fm`: a test tone or a WAV voice,
//! CTCSS (with an optional reverse burst) or DCS, DTMF and selcall sequences, 750 µs
//! pre-emphasis, carrier frequency error and noise at a chosen CNR. The truth of a generated
//! signal is these parameters.

use super::dcs;
use super::tones::{Selcall, DTMF_COLS, DTMF_KEYS, DTMF_ROWS};
use crate::sim::{add_noise_cnr, Rng};
use linkscope_dsp::iir::OnePole;
use linkscope_dsp::Complex32;
use std::f64::consts::PI;

/// A DTMF burst: digits, tone and gap lengths, start time.
#[derive(Debug, Clone)]
pub struct DtmfBurst {
    /// Keys (0–9, A–D, *, #).
    pub digits: String,
    /// Tone length, s.
    pub tone_s: f64,
    /// Gap, s.
    pub gap_s: f64,
    /// Start, s.
    pub start_s: f64,
    /// Peak deviation of the tone pair, Hz.
    pub deviation_hz: f64,
}

/// A selcall sequence.
#[derive(Debug, Clone)]
pub struct SelcallBurst {
    /// The standard.
    pub standard: &'static Selcall,
    /// Digits 0–9, A–D, F (a repeated digit is sent as the repeat tone).
    pub digits: String,
    /// Start, s.
    pub start_s: f64,
    /// Peak deviation, Hz.
    pub deviation_hz: f64,
}

/// Transmitter settings; every field is truth for the tests.
#[derive(Debug, Clone)]
pub struct FmTx {
    /// Output sample rate.
    pub fs: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// Carrier on from..to, s.
    pub keyed_s: (f64, f64),
    /// Channel position from the centre of the output, Hz.
    pub offset_hz: f64,
    /// Carrier frequency error, Hz.
    pub cfo_hz: f64,
    /// Carrier amplitude (1 = full scale).
    pub amplitude: f32,
    /// Test tone: frequency and peak deviation, Hz.
    pub tone: Option<(f64, f64)>,
    /// Voice audio (any rate; resampled by linear interpolation) with its rate, start time
    /// and peak deviation.
    pub voice: Option<(Vec<f32>, f64, f64, f64)>,
    /// Pre-emphasise the tone, voice, DTMF and selcall audio (not CTCSS/DCS).
    pub pre_emphasis: bool,
    /// CTCSS: frequency and peak deviation.
    pub ctcss: Option<(f64, f64)>,
    /// Reverse burst: phase step (degrees) applied this long before the carrier drops, s.
    pub reverse_burst: Option<(f64, f64)>,
    /// DCS: code, inverted, peak deviation.
    pub dcs: Option<(u16, bool, f64)>,
    /// DTMF burst.
    pub dtmf: Option<DtmfBurst>,
    /// Selcall sequence.
    pub selcall: Option<SelcallBurst>,
    /// CNR in `noise_bw_hz`, dB (None: no noise).
    pub cnr_db: Option<f64>,
    /// Bandwidth the CNR is quoted in.
    pub noise_bw_hz: f64,
    /// Noise seed.
    pub seed: u64,
}

impl FmTx {
    /// A carrier at 48 kS/s keyed for the whole `duration_s`, nothing on it.
    pub fn new(fs: f64, duration_s: f64) -> FmTx {
        FmTx {
            fs,
            duration_s,
            keyed_s: (0.0, duration_s),
            offset_hz: 0.0,
            cfo_hz: 0.0,
            amplitude: 0.5,
            tone: None,
            voice: None,
            pre_emphasis: false,
            ctcss: None,
            reverse_burst: None,
            dcs: None,
            dtmf: None,
            selcall: None,
            cnr_db: None,
            noise_bw_hz: 12_500.0,
            seed: 1,
        }
    }

    /// Selcall tone schedule: (start s, frequency Hz, length s).
    pub fn selcall_schedule(b: &SelcallBurst) -> Vec<(f64, f64, f64)> {
        let mut out = Vec::new();
        let mut prev: Option<char> = None;
        let mut t = b.start_s;
        for c in b.digits.chars() {
            let k = if prev == Some(c) {
                14
            } else {
                c.to_digit(16).unwrap_or(0) as usize
            };
            out.push((t, b.standard.tones[k], b.standard.tone_s));
            t += b.standard.tone_s;
            prev = Some(c);
        }
        out
    }

    /// The modulating signal in Hz of deviation at `self.fs` (what the FM modulator sees).
    pub fn modulation(&self) -> Vec<f32> {
        let fs = self.fs;
        let n = (self.duration_s * fs).round() as usize;
        let mut audio = vec![0.0f64; n];
        let t = |i: usize| i as f64 / fs;
        if let Some((f, dev)) = self.tone {
            for (i, a) in audio.iter_mut().enumerate() {
                *a += dev * (2.0 * PI * f * t(i)).sin();
            }
        }
        if let Some((v, rate, start, dev)) = &self.voice {
            let peak = v.iter().fold(0.0f32, |m, x| m.max(x.abs())).max(1e-9) as f64;
            for (i, a) in audio.iter_mut().enumerate() {
                let pos = (t(i) - start) * rate;
                if pos >= 0.0 && (pos as usize) + 1 < v.len() {
                    let k = pos as usize;
                    let u = pos - k as f64;
                    *a += dev / peak * (v[k] as f64 * (1.0 - u) + v[k + 1] as f64 * u);
                }
            }
        }
        if let Some(d) = &self.dtmf {
            let mut start = d.start_s;
            for c in d.digits.chars() {
                let Some((r, col)) = (0..4)
                    .flat_map(|r| (0..4).map(move |c| (r, c)))
                    .find(|&(r, k)| DTMF_KEYS[r][k] == c.to_ascii_uppercase())
                else {
                    continue;
                };
                let (f1, f2) = (DTMF_ROWS[r], DTMF_COLS[col]);
                let (a, b) = ((start * fs) as usize, ((start + d.tone_s) * fs) as usize);
                for (i, v) in audio.iter_mut().enumerate().take(b.min(n)).skip(a) {
                    let tt = t(i) - start;
                    *v += d.deviation_hz / 2.0
                        * ((2.0 * PI * f1 * tt).sin() + (2.0 * PI * f2 * tt).sin());
                }
                start += d.tone_s + d.gap_s;
            }
        }
        if let Some(s) = &self.selcall {
            for (start, f, len) in FmTx::selcall_schedule(s) {
                let (a, b) = ((start * fs) as usize, ((start + len) * fs) as usize);
                for (i, v) in audio.iter_mut().enumerate().take(b.min(n)).skip(a) {
                    *v += s.deviation_hz * (2.0 * PI * f * (t(i) - start)).sin();
                }
            }
        }
        if self.pre_emphasis {
            // The exact inverse of the receiver's one-pole de-emphasis y += a(x − y), scaled to
            // 0 dB at 1 kHz: x = (y[n] − (1 − a)·y[n−1]) / a.
            if let Ok(d) = OnePole::new(750e-6, fs) {
                let a = d.alpha() as f64;
                let g = d.gain_at(1000.0, fs);
                let mut prev = 0.0;
                for v in audio.iter_mut() {
                    let x = *v;
                    *v = (x - (1.0 - a) * prev) / a * g;
                    prev = x;
                }
            }
        }
        let burst_at = self
            .reverse_burst
            .map(|(deg, before)| (self.keyed_s.1 - before, deg));
        if let Some((f, dev)) = self.ctcss {
            for (i, a) in audio.iter_mut().enumerate() {
                let mut ph = 2.0 * PI * f * t(i);
                if let Some((tb, deg)) = burst_at {
                    if t(i) >= tb {
                        ph += deg.to_radians();
                    }
                }
                *a += dev * ph.sin();
            }
        }
        if let Some((code, inverted, dev)) = self.dcs {
            let w = dcs::word(code);
            let mut lp = 0.0;
            let alpha = 1.0 - (-2.0 * PI * 300.0 / fs).exp();
            for (i, a) in audio.iter_mut().enumerate() {
                let bit_index = (t(i) * dcs::BIT_RATE) as u64;
                let bit = (w >> (bit_index % 23)) & 1 == 1;
                let level = if bit != inverted { dev } else { -dev };
                lp += alpha * (level - lp);
                *a += lp;
            }
        }
        audio.into_iter().map(|v| v as f32).collect()
    }

    /// The complex baseband signal (carrier keyed as set, noise over the whole duration).
    pub fn iq(&self) -> Vec<Complex32> {
        let audio = self.modulation();
        let mut rng = Rng::new(self.seed);
        let fs = self.fs;
        let mut ph = rng.uniform();
        let f0 = self.offset_hz + self.cfo_hz;
        let mut x: Vec<Complex32> = audio
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let t = i as f64 / fs;
                let on = t >= self.keyed_s.0 && t < self.keyed_s.1;
                let v = if on {
                    Complex32::from_polar(self.amplitude, (2.0 * PI * ph) as f32)
                } else {
                    Complex32::default()
                };
                ph = (ph + (f0 + a as f64) / fs).rem_euclid(1.0);
                v
            })
            .collect();
        if let Some(cnr) = self.cnr_db {
            let p = (self.amplitude as f64).powi(2);
            add_noise_cnr(&mut x, p, cnr, self.noise_bw_hz, fs, &mut rng);
        }
        x
    }
}
