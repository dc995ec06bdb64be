//! Analyser metrics: level, MER (overall and per carrier), C/N estimate, BER before and after
//! Viterbi, RS counts, TS continuity errors, carrier and clock offsets, channel impulse
//! response with echoes against the guard interval, and the channel's time variation.

use super::chain::{ChainStats, TsPacket};
use super::params::{Guard, Mode, TxParams};
use super::pilots::Layout;
use super::tps::Tps;
use num_complex::Complex32;
use rustfft::FftPlanner;
use serde::Serialize;

/// Noise of the equalised cells due to the channel estimate, relative to the cell noise:
/// pilots boosted to 16/9 (9/16), time smoothing with β = 1/4 (β/(2−β) = 1/7), linear
/// interpolation over three carriers (mean of 1, 5/9, 5/9 = 19/27).
pub const CHANNEL_ESTIMATE_NOISE: f64 = 9.0 / 16.0 / 7.0 * 19.0 / 27.0;

/// Running measurements of a receiver.
#[derive(Debug, Clone)]
pub struct Metrics {
    fs_e: f64,
    pub bw_hz: f64,
    power_sum: f64,
    samples: u64,
    nonfinite: u64,
    clipped: u64,
    pub cp_rho: f32,
    pub cp_pilot_score: f32,
    /// Carrier offset range searched at the last acquisition, Hz.
    pub max_cfo_hz: f64,
    pub cfo_hz: f32,
    pub sco_ppm: f32,
    pub symbols: u64,
    pub mode: Option<Mode>,
    pub guard: Option<Guard>,
    pub tps: Option<Tps>,
    pub cell_id: Option<u16>,
    pub tps_ok: u64,
    pub tps_failed: u64,
    pub cut_symbol: bool,
    pub spectrum_inverted: bool,
    /// Latest interpolated channel (all carriers).
    pub channel: Vec<Complex32>,
    prev_channel: Vec<Complex32>,
    var_num: f64,
    var_den: f64,
    phase_err_sq: f64,
    timing_err_sq: f64,
    track_n: u64,
    cc_last: Vec<Option<u8>>,
    pub cc_errors: u64,
    /// Real (not complex) samples offered: COFDM needs complex baseband.
    pub real_samples: u64,
    /// Input gaps (live sources) that forced a new acquisition.
    pub gaps: u64,
}

/// An echo found in the channel impulse response.
#[derive(Debug, Clone, Serialize)]
pub struct Echo {
    /// Delay relative to the main path (negative: a pre-echo).
    pub delay_us: f64,
    /// Level relative to the main path.
    pub level_db: f64,
    /// Longer than the guard interval (causes inter-symbol interference).
    pub beyond_guard: bool,
}

/// The summary `linkscope cofdm` prints and serialises.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub status: String,
    pub locked: bool,
    pub mode: Option<Mode>,
    pub guard: Option<Guard>,
    pub constellation: Option<super::params::Constellation>,
    pub code_rate: Option<super::params::CodeRate>,
    pub hierarchy: Option<String>,
    pub cell_id: Option<u16>,
    pub bandwidth_hz: f64,
    pub elementary_rate_hz: f64,
    pub carrier_spacing_hz: Option<f64>,
    pub guard_us: Option<f64>,
    pub symbols: u64,
    pub tps_words: u64,
    pub tps_errors: u64,
    pub rf_level_dbfs: Option<f64>,
    pub mer_db: Option<f64>,
    pub cn_db: Option<f64>,
    pub ber_pre_viterbi: Option<f64>,
    pub ber_post_viterbi: Option<f64>,
    pub ts_packets: u64,
    pub rs_corrected_bytes: u64,
    pub rs_uncorrectable: u64,
    pub cc_errors: u64,
    pub freq_offset_hz: Option<f64>,
    pub sco_ppm: Option<f64>,
    pub echoes: Vec<Echo>,
    pub channel_variation_db: Option<f64>,
    pub doppler_hz: Option<f64>,
    pub ts_bitrate_bps: Option<f64>,
    pub nonfinite_samples: u64,
    pub clipped_samples: u64,
    pub cut_symbol: bool,
    /// The spectrum arrived mirrored (I and Q swapped, or a high-side mixer): decoded from
    /// the conjugate.
    pub spectrum_inverted: bool,
}

impl Metrics {
    pub fn new(fs_e: f64, bw_hz: f64) -> Metrics {
        Metrics {
            fs_e,
            bw_hz,
            power_sum: 0.0,
            samples: 0,
            nonfinite: 0,
            clipped: 0,
            cp_rho: 0.0,
            cp_pilot_score: 0.0,
            max_cfo_hz: 0.0,
            cfo_hz: 0.0,
            sco_ppm: 0.0,
            symbols: 0,
            mode: None,
            guard: None,
            tps: None,
            cell_id: None,
            tps_ok: 0,
            tps_failed: 0,
            cut_symbol: false,
            spectrum_inverted: false,
            channel: Vec::new(),
            prev_channel: Vec::new(),
            var_num: 0.0,
            var_den: 0.0,
            phase_err_sq: 0.0,
            timing_err_sq: 0.0,
            track_n: 0,
            cc_last: vec![None; 8192],
            cc_errors: 0,
            real_samples: 0,
            gaps: 0,
        }
    }

    /// Raw input samples (level, clipping, NaNs).
    pub fn input(&mut self, x: &[Complex32]) {
        for c in x {
            if c.re.is_finite() && c.im.is_finite() {
                self.power_sum += c.norm_sqr() as f64;
                if c.re.abs() >= 0.999 || c.im.abs() >= 0.999 {
                    self.clipped += 1;
                }
            } else {
                self.nonfinite += 1;
            }
        }
        self.samples += x.len() as u64;
    }

    pub fn track(&mut self, phase_err: f64, timing_err: f64) {
        self.phase_err_sq += phase_err * phase_err;
        self.timing_err_sq += timing_err * timing_err;
        self.track_n += 1;
    }

    /// The interpolated channel of symbol `count`.
    pub fn channel(&mut self, h: &[Complex32], count: u64) {
        let _ = count;
        if self.prev_channel.len() == h.len() {
            for (a, b) in h.iter().zip(self.prev_channel.iter()) {
                self.var_num += (a - b).norm_sqr() as f64;
                self.var_den += a.norm_sqr() as f64;
            }
        }
        self.prev_channel.clear();
        self.prev_channel.extend_from_slice(h);
        self.channel.clear();
        self.channel.extend_from_slice(h);
    }

    /// Continuity counters of decoded packets.
    pub fn packets(&mut self, p: &[TsPacket]) {
        for pk in p.iter().filter(|p| p.rs_ok) {
            let d = &pk.data;
            let pid = ((d[1] as usize & 0x1F) << 8) | d[2] as usize;
            let afc = d[3] >> 4 & 3;
            let cc = d[3] & 0xF;
            if pid == 0x1FFF {
                continue;
            }
            if let Some(last) = self.cc_last[pid] {
                let expect = if afc & 1 == 1 { (last + 1) & 15 } else { last };
                if cc != expect && !(afc & 1 == 1 && cc == last) {
                    self.cc_errors += 1;
                }
            }
            self.cc_last[pid] = Some(cc);
        }
    }

    /// Channel impulse response |h|² (dB re the strongest path) over delays in µs, from the
    /// latest channel estimate (range ±Tu/6: pilots every third carrier).
    pub fn impulse_response(&self) -> Vec<(f64, f64)> {
        let k = self.channel.len();
        if k == 0 {
            return Vec::new();
        }
        let n = k.next_power_of_two() * 2;
        let mut buf = vec![Complex32::default(); n];
        for (i, h) in self.channel.iter().enumerate() {
            let w = 0.5 - 0.5 * (2.0 * std::f32::consts::PI * i as f32 / (k - 1) as f32).cos();
            buf[i] = h * w;
        }
        FftPlanner::new().plan_fft_inverse(n).process(&mut buf);
        let mode = self.mode.unwrap_or(Mode::K2);
        let tu_s = mode.fft_len() as f64 / self.fs_e;
        // The channel was interpolated linearly between pilots three carriers apart: that
        // weights a path at delay d by sinc²(3d/Tu) in amplitude; undo it.
        let p: Vec<f64> = buf
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let d = if i < n / 2 {
                    i as f64
                } else {
                    i as f64 - n as f64
                } / n as f64;
                let x = std::f64::consts::PI * 3.0 * d;
                let sinc = if x.abs() < 1e-9 { 1.0 } else { x.sin() / x };
                c.norm_sqr() as f64 / (sinc.powi(4)).max(0.1)
            })
            .collect();
        let peak = p.iter().copied().fold(0.0, f64::max).max(1e-30);
        // Delay of bin i: i/n of the carrier-spacing reciprocal (= Tu); keep |delay| ≤ Tu/6.
        let mut v: Vec<(f64, f64)> = (0..n)
            .map(|i| {
                let d = if i < n / 2 {
                    i as f64
                } else {
                    i as f64 - n as f64
                };
                (
                    d / n as f64 * tu_s * 1e6,
                    10.0 * (p[i] / peak).max(1e-12).log10(),
                )
            })
            .filter(|(d, _)| d.abs() <= tu_s * 1e6 / 6.0)
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    fn echoes(&self) -> Vec<Echo> {
        let cir = self.impulse_response();
        if cir.len() < 3 {
            return Vec::new();
        }
        let Some(main) = cir.iter().copied().max_by(|a, b| a.1.total_cmp(&b.1)) else {
            return Vec::new();
        };
        let tg_us = self
            .mode
            .zip(self.guard)
            .map(|(m, g)| g.samples(m) as f64 / self.fs_e * 1e6)
            .unwrap_or(0.0);
        let mut out = Vec::new();
        for w in cir.windows(3) {
            let (d, l) = w[1];
            if l > w[0].1 && l >= w[2].1 && l > -22.0 && (d - main.0).abs() > 1e-9 {
                out.push(Echo {
                    delay_us: d - main.0,
                    level_db: l,
                    beyond_guard: (d - main.0).abs() > tg_us,
                });
            }
        }
        out.sort_by(|a, b| b.level_db.total_cmp(&a.level_db));
        out.truncate(8);
        out
    }

    /// Assemble the summary.
    pub fn summary(
        &self,
        chain: Option<(&ChainStats, &TxParams)>,
        locked: bool,
        bw_hz: f64,
    ) -> Summary {
        let db = |x: f64| 10.0 * x.log10();
        let stats = chain.map(|c| c.0);
        // The error includes the channel estimate's own noise, a known fraction of the
        // cell noise (see `CHANNEL_ESTIMATE_NOISE`): take it out.
        let mer = stats
            .filter(|s| s.mer_error > 0.0)
            .map(|s| db(s.mer_signal * (1.0 + CHANNEL_ESTIMATE_NOISE) / s.mer_error));
        let cn = mer.zip(self.mode).map(|(m, mode)| {
            // Mean cell power over data (1), TPS (1) and boosted pilots (16/9).
            let l = Layout::new(mode);
            let k = mode.carriers() as f64;
            let pil = (0..4).map(|p| l.pilots[p].len()).sum::<usize>() as f64 / 4.0;
            m + db((k - pil + pil * 16.0 / 9.0) / k)
        });
        let status = if self.real_samples > 0 && self.samples == 0 {
            "real-valued input: COFDM needs complex (IQ) baseband".to_string()
        } else if self.samples == 0 {
            "no input".to_string()
        } else if !locked && self.cp_rho >= 0.5 && self.max_cfo_hz > 0.0 {
            format!(
                "OFDM found (cyclic-prefix correlation {:.2}) but not its continual pilots \
                 within ±{:.1} kHz: a larger carrier offset (raise --max-cfo) or not DVB-T framing",
                self.cp_rho,
                self.max_cfo_hz / 1e3
            )
        } else if !locked {
            format!(
                "no COFDM signal found (cyclic-prefix correlation {:.2}; check the bandwidth/sample rate)",
                self.cp_rho
            )
        } else if self.tps.is_none() {
            "OFDM found but no TPS decoded (too little signal or input too short)".to_string()
        } else if let Some(t) = self.tps.filter(|t| t.hierarchy != 0) {
            format!(
                "hierarchical transmission signalled in TPS ({}): linkscope decodes \
                 non-hierarchical links only; mode, level, offsets and channel are measured, no \
                 transport stream is decoded",
                hierarchy_name(t.hierarchy)
            )
        } else if stats.is_none_or(|s| s.packets == 0) {
            "TPS decoded but no transport stream packet synchronised".to_string()
        } else if stats.is_some_and(|s| s.rs_uncorrectable > 0) {
            "decoding with uncorrectable RS packets".to_string()
        } else {
            "ok".to_string()
        };
        let pre = stats
            .filter(|s| s.pre_bits > 0)
            .map(|s| s.pre_errors as f64 / s.pre_bits as f64);
        let post = stats
            .filter(|s| s.post_bits > 0)
            .map(|s| s.post_errors as f64 / s.post_bits as f64);
        let var = (self.var_den > 0.0).then(|| self.var_num / self.var_den);
        let ts_s = self
            .mode
            .zip(self.guard)
            .map(|(m, g)| (m.fft_len() + g.samples(m)) as f64 / self.fs_e);
        Summary {
            status,
            locked,
            mode: self.mode,
            guard: self.guard,
            constellation: self.tps.map(|t| t.constellation),
            code_rate: self.tps.map(|t| t.code_rate_hp),
            hierarchy: self.tps.map(|t| hierarchy_name(t.hierarchy).to_string()),
            cell_id: self.cell_id,
            bandwidth_hz: bw_hz,
            elementary_rate_hz: self.fs_e,
            carrier_spacing_hz: self.mode.map(|m| self.fs_e / m.fft_len() as f64),
            guard_us: self
                .mode
                .zip(self.guard)
                .map(|(m, g)| g.samples(m) as f64 / self.fs_e * 1e6),
            symbols: self.symbols,
            tps_words: self.tps_ok,
            tps_errors: self.tps_failed,
            rf_level_dbfs: (self.samples > self.nonfinite)
                .then(|| db(self.power_sum / (self.samples - self.nonfinite) as f64 + 1e-30)),
            mer_db: mer,
            cn_db: cn,
            ber_pre_viterbi: pre,
            ber_post_viterbi: post,
            ts_packets: stats.map(|s| s.packets).unwrap_or(0),
            rs_corrected_bytes: stats.map(|s| s.rs_corrected_bytes).unwrap_or(0),
            rs_uncorrectable: stats.map(|s| s.rs_uncorrectable).unwrap_or(0),
            cc_errors: self.cc_errors,
            // In the input's own frame (the tracking loop sees the conjugate when mirrored).
            freq_offset_hz: locked.then_some(if self.spectrum_inverted {
                -self.cfo_hz as f64
            } else {
                self.cfo_hz as f64
            }),
            sco_ppm: locked.then_some(self.sco_ppm as f64),
            echoes: if locked { self.echoes() } else { Vec::new() },
            channel_variation_db: var.map(|v| db(v.max(1e-12))),
            doppler_hz: var
                .zip(ts_s)
                .map(|(v, ts)| v.sqrt() / (2.0 * std::f64::consts::PI * ts)),
            ts_bitrate_bps: chain.map(|c| c.1.ts_bitrate_bps(self.fs_e)),
            nonfinite_samples: self.nonfinite,
            clipped_samples: self.clipped,
            cut_symbol: self.cut_symbol,
            spectrum_inverted: self.spectrum_inverted,
        }
    }
}

/// TPS hierarchy code s27–s29 as a name.
fn hierarchy_name(code: u8) -> &'static str {
    ["non-hierarchical", "alpha=1", "alpha=2", "alpha=4"]
        .get(code as usize)
        .copied()
        .unwrap_or("reserved")
}
