//! Band scenes: several emitters of known kind, power and duty cycle over white noise, as an
//! RTL-SDR-like receiver would record them (optional DC offset, quantisation by the writer).

use super::{db_to_power, Rng};
use linkscope_dsp::fir::lowpass_spec;
use linkscope_dsp::Complex32;
use serde::{Deserialize, Serialize};
use std::f64::consts::PI;

/// What an emitter transmits (all constant-envelope except `NoiseBlock`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EmitterKind {
    /// Unmodulated carrier.
    Cw,
    /// FM with a sine tone.
    FmTone {
        /// Tone frequency.
        tone_hz: f64,
        /// Peak deviation.
        deviation_hz: f64,
    },
    /// 4-level FSK with random symbols (DMR/PDT-like: ±1944/±648 Hz at 4800 Bd).
    Fsk4 {
        /// Symbols per second.
        symbol_rate_hz: f64,
        /// Deviation of the outer symbols.
        outer_deviation_hz: f64,
    },
    /// Gaussian noise band-limited to `bandwidth_hz` (a digital emission's power spectrum).
    NoiseBlock {
        /// Occupied (flat) bandwidth.
        bandwidth_hz: f64,
    },
}

/// One transmitter in a scene.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Emitter {
    /// Label for reports.
    pub name: String,
    /// Carrier (centre) frequency, Hz.
    pub freq_hz: f64,
    /// Power while keyed, dBFS.
    pub power_dbfs: f64,
    /// Modulation.
    pub kind: EmitterKind,
    /// On/off keying period, s (`None` = always on).
    pub key_period_s: Option<f64>,
    /// Fraction of each period the emitter is on.
    pub duty: f64,
    /// Start of the first on-time within the period, s.
    pub key_offset_s: f64,
}

impl Emitter {
    /// An always-on emitter.
    pub fn continuous(name: &str, freq_hz: f64, power_dbfs: f64, kind: EmitterKind) -> Emitter {
        Emitter {
            name: name.into(),
            freq_hz,
            power_dbfs,
            kind,
            key_period_s: None,
            duty: 1.0,
            key_offset_s: 0.0,
        }
    }

    /// Whether the emitter is keyed at time `t`.
    pub fn is_on(&self, t: f64) -> bool {
        match self.key_period_s {
            None => true,
            Some(p) => (t - self.key_offset_s).rem_euclid(p) < self.duty * p,
        }
    }
}

/// A band: receiver parameters, noise and emitters.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scene {
    /// Samples per second.
    pub sample_rate_hz: f64,
    /// Receiver centre frequency, Hz.
    pub center_freq_hz: f64,
    /// Thermal noise power density, dBFS/Hz.
    pub noise_dbfs_per_hz: f64,
    /// DC offset (zero-IF receiver leakage), dBFS; `None` for none.
    pub dc_offset_dbfs: Option<f64>,
    /// The transmitters.
    pub emitters: Vec<Emitter>,
    /// Random seed.
    pub seed: u64,
}

impl Scene {
    /// Noise power in a bandwidth, linear.
    pub fn noise_power_in(&self, bandwidth_hz: f64) -> f64 {
        db_to_power(self.noise_dbfs_per_hz) * bandwidth_hz
    }

    /// The demonstration scene of the shipped capture: an RTL-SDR at 2.4 MS/s tuned to
    /// 355 MHz with a test carrier, NBFM, a 30 %-duty keyed carrier, a digital (noise-like)
    /// emission, 4FSK, a weak FM carrier, an off-raster spur and a DC offset.
    pub fn demo_355m() -> Scene {
        let fm = |tone, dev| EmitterKind::FmTone {
            tone_hz: tone,
            deviation_hz: dev,
        };
        let mut keyed = Emitter::continuous("keyed carrier 30 %", 355.3e6, -35.0, EmitterKind::Cw);
        keyed.key_period_s = Some(0.5);
        keyed.duty = 0.3;
        keyed.key_offset_s = 0.1234;
        Scene {
            sample_rate_hz: 2.4e6,
            center_freq_hz: 355.0e6,
            // −60 dBFS in 12.5 kHz.
            noise_dbfs_per_hz: -60.0 - 10.0 * 12_500f64.log10(),
            dc_offset_dbfs: Some(-40.0),
            emitters: vec![
                Emitter::continuous("test carrier", 354.5e6, -30.0, EmitterKind::Cw),
                Emitter::continuous("NBFM 1 kHz tone", 354.7125e6, -40.0, fm(1000.0, 1500.0)),
                keyed,
                Emitter::continuous(
                    "digital 8 kHz",
                    355.625e6,
                    -45.0,
                    EmitterKind::NoiseBlock {
                        bandwidth_hz: 8000.0,
                    },
                ),
                Emitter::continuous(
                    "4FSK 4800 Bd",
                    355.8e6,
                    -46.0,
                    EmitterKind::Fsk4 {
                        symbol_rate_hz: 4800.0,
                        outer_deviation_hz: 1944.0,
                    },
                ),
                Emitter::continuous("weak FM", 354.25e6, -52.0, fm(400.0, 2000.0)),
                Emitter::continuous("spur", 355.2047e6, -52.0, EmitterKind::Cw),
            ],
            seed: 355,
        }
    }

    /// A streaming generator for this scene.
    pub fn generator(&self) -> SceneGen {
        let fs = self.sample_rate_hz;
        let mut rng = Rng::new(self.seed);
        let sources = self
            .emitters
            .iter()
            .map(|e| Source::new(e, fs, self.center_freq_hz, &mut rng))
            .collect();
        SceneGen {
            noise_power: self.noise_power_in(fs),
            dc: self
                .dc_offset_dbfs
                .map(|d| Complex32::from_polar(db_to_power(d).sqrt() as f32, 0.7))
                .unwrap_or_default(),
            sources,
            rng,
            n: 0,
        }
    }
}

struct Source {
    em: Emitter,
    /// Carrier offset from the receiver centre, cycles/sample.
    offset: f64,
    amp: f64,
    phase: f64,
    fs: f64,
    state: SourceState,
}

enum SourceState {
    Plain,
    Fsk {
        symbol_len: f64,
        next_symbol_at: f64,
        freq_hz: f64,
    },
    Noise {
        /// Band-limited noise produced at `fs / up` and linearly interpolated.
        up: usize,
        taps: Vec<f32>,
        hist: Vec<Complex32>,
        prev: Complex32,
        cur: Complex32,
        k: usize,
        scale: f32,
    },
}

impl Source {
    fn new(e: &Emitter, fs: f64, fc: f64, rng: &mut Rng) -> Source {
        let state = match e.kind {
            EmitterKind::Fsk4 { symbol_rate_hz, .. } => SourceState::Fsk {
                symbol_len: fs / symbol_rate_hz,
                next_symbol_at: 0.0,
                freq_hz: 0.0,
            },
            EmitterKind::NoiseBlock { bandwidth_hz } => {
                // Work at ≥ 25× the bandwidth so linear interpolation images stay > 30 dB down.
                let up = ((fs / (25.0 * bandwidth_hz)).floor() as usize).max(1);
                let low = fs / up as f64;
                let pass = 0.5 * bandwidth_hz / low;
                let taps = lowpass_spec(pass * 0.98, (pass * 1.25).min(0.49), 70.0)
                    .expect("noise-block filter parameters are valid by construction");
                let g: f64 = taps.iter().map(|&t| (t as f64).powi(2)).sum();
                SourceState::Noise {
                    up,
                    hist: vec![Complex32::default(); taps.len()],
                    taps,
                    prev: Complex32::default(),
                    cur: Complex32::default(),
                    k: up,
                    scale: (1.0 / g).sqrt() as f32,
                }
            }
            _ => SourceState::Plain,
        };
        Source {
            em: e.clone(),
            offset: (e.freq_hz - fc) / fs,
            amp: db_to_power(e.power_dbfs).sqrt(),
            phase: rng.uniform(),
            fs,
            state,
        }
    }

    fn sample(&mut self, n: u64, rng: &mut Rng) -> Complex32 {
        let t = n as f64 / self.fs;
        // Frequency excursion (Hz) of the modulation at this sample.
        let (dev_hz, env) = match &mut self.state {
            SourceState::Plain => match self.em.kind {
                EmitterKind::FmTone {
                    tone_hz,
                    deviation_hz,
                } => (deviation_hz * (2.0 * PI * tone_hz * t).sin(), None),
                _ => (0.0, None),
            },
            SourceState::Fsk {
                symbol_len,
                next_symbol_at,
                freq_hz,
            } => {
                if n as f64 >= *next_symbol_at {
                    let outer = match self.em.kind {
                        EmitterKind::Fsk4 {
                            outer_deviation_hz, ..
                        } => outer_deviation_hz,
                        _ => 0.0,
                    };
                    let levels = [-1.0, -1.0 / 3.0, 1.0 / 3.0, 1.0];
                    *freq_hz = outer * levels[(rng.next_u64() >> 62) as usize];
                    *next_symbol_at += *symbol_len;
                }
                (*freq_hz, None)
            }
            SourceState::Noise {
                up,
                taps,
                hist,
                prev,
                cur,
                k,
                scale,
            } => {
                if *k == *up {
                    *k = 0;
                    hist.rotate_right(1);
                    hist[0] = rng.cgauss(1.0);
                    let mut acc = Complex32::default();
                    for (h, x) in taps.iter().zip(hist.iter()) {
                        acc += x * *h;
                    }
                    *prev = *cur;
                    *cur = acc * *scale;
                }
                let a = *k as f32 / *up as f32;
                *k += 1;
                (0.0, Some(*prev * (1.0 - a) + *cur * a))
            }
        };
        self.phase = (self.phase + (self.offset * self.fs + dev_hz) / self.fs).rem_euclid(1.0);
        if !self.em.is_on(t) {
            return Complex32::default();
        }
        let carrier = Complex32::from_polar(self.amp as f32, (2.0 * PI * self.phase) as f32);
        match env {
            Some(e) => carrier * e,
            None => carrier,
        }
    }
}

/// Produces a scene's samples block by block (bounded memory for any duration).
pub struct SceneGen {
    noise_power: f64,
    dc: Complex32,
    sources: Vec<Source>,
    rng: Rng,
    n: u64,
}

impl SceneGen {
    /// Fill `out` with the next samples.
    pub fn fill(&mut self, out: &mut [Complex32]) {
        for o in out.iter_mut() {
            let mut v = self.rng.cgauss(self.noise_power) + self.dc;
            for s in self.sources.iter_mut() {
                v += s.sample(self.n, &mut self.rng);
            }
            *o = v;
            self.n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emitter_power_and_keying_match_parameters() {
        let mut s = Scene::demo_355m();
        s.noise_dbfs_per_hz = -300.0;
        s.dc_offset_dbfs = None;
        for e in s.emitters.clone() {
            let mut one = s.clone();
            one.emitters = vec![e.clone()];
            let mut g = one.generator();
            let mut x = vec![Complex32::default(); 1_200_000];
            g.fill(&mut x);
            let p: f64 = x.iter().map(|v| v.norm_sqr() as f64).sum::<f64>() / x.len() as f64;
            let on = (0..x.len())
                .filter(|&i| e.is_on(i as f64 / s.sample_rate_hz))
                .count() as f64
                / x.len() as f64;
            let want = db_to_power(e.power_dbfs) * on;
            let tol = if matches!(e.kind, EmitterKind::NoiseBlock { .. }) {
                0.1
            } else {
                0.01
            };
            assert!(
                (10.0 * (p / want).log10()).abs() < tol,
                "{}: {} vs {} dB",
                e.name,
                10.0 * p.log10(),
                10.0 * want.log10()
            );
        }
    }
}

impl Emitter {
    /// Fraction of [0, `duration_s`) during which the emitter is keyed (exact, from the keying
    /// parameters).
    pub fn on_fraction(&self, duration_s: f64) -> f64 {
        let Some(p) = self.key_period_s else {
            return 1.0;
        };
        if duration_s <= 0.0 {
            return 0.0;
        }
        let mut on = 0.0;
        let mut k = (-self.key_offset_s / p).floor() - 1.0;
        loop {
            let start = self.key_offset_s + k * p;
            if start >= duration_s {
                break;
            }
            let end = start + self.duty * p;
            on += (end.min(duration_s) - start.max(0.0)).max(0.0);
            k += 1.0;
        }
        on / duration_s
    }
}

/// Expected result of a scan of one channel, from the scene's parameters alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChannelTruth {
    /// Channel centre, Hz.
    pub freq_hz: f64,
    /// Mean channel power, dBFS (emitters × on-fraction + noise).
    pub mean_power_dbfs: f64,
    /// Occupied fraction of time, %, at the given threshold.
    pub occupancy_pct: f64,
    /// Whether the scan must flag a signal.
    pub signal: bool,
}

impl Scene {
    /// Quantisation noise density of `format` (uniform error of ±½ LSB per component), per Hz.
    pub fn quantisation_density(&self, format: linkscope_dsp::convert::SampleFormat) -> f64 {
        use linkscope_dsp::convert::SampleFormat as F;
        let lsb: f64 = match format {
            F::Cu8 => 1.0 / 127.5,
            F::Ci8 => 1.0 / 128.0,
            F::Ci16Le | F::Ri16Le => 1.0 / 32768.0,
            F::Cf32Le | F::Rf32Le => 0.0,
        };
        2.0 * lsb * lsb / 12.0 / self.sample_rate_hz
    }

    /// Noise power (thermal + quantisation) in `bandwidth_hz`, linear.
    pub fn total_noise_in(
        &self,
        bandwidth_hz: f64,
        format: linkscope_dsp::convert::SampleFormat,
    ) -> f64 {
        self.noise_power_in(bandwidth_hz) + self.quantisation_density(format) * bandwidth_hz
    }

    /// Truth for a channel [`freq_hz` ± `bandwidth_hz`/2] over `duration_s`, occupancy judged at
    /// `threshold_db` above the noise in that bandwidth.
    pub fn channel_truth(
        &self,
        freq_hz: f64,
        bandwidth_hz: f64,
        duration_s: f64,
        format: linkscope_dsp::convert::SampleFormat,
        threshold_db: f64,
    ) -> ChannelTruth {
        let noise = self.total_noise_in(bandwidth_hz, format);
        let inside: Vec<&Emitter> = self
            .emitters
            .iter()
            .filter(|e| (e.freq_hz - freq_hz).abs() < bandwidth_hz / 2.0)
            .collect();
        let mean = noise
            + inside
                .iter()
                .map(|e| db_to_power(e.power_dbfs) * e.on_fraction(duration_s))
                .sum::<f64>();
        let thr = noise * db_to_power(threshold_db);
        let occupancy = inside
            .iter()
            .filter(|e| db_to_power(e.power_dbfs) + noise > thr)
            .map(|e| e.on_fraction(duration_s))
            .fold(0.0, f64::max);
        ChannelTruth {
            freq_hz,
            mean_power_dbfs: 10.0 * mean.log10(),
            occupancy_pct: 100.0 * occupancy,
            signal: occupancy >= 0.01 || mean >= noise * db_to_power(6.0),
        }
    }
}
