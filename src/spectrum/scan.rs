//! The band scan: per-channel power, peak and occupancy over measurement frames, the noise
//! floor, off-raster interferers and DC offset, from a stream of complex samples.
//!
//! Method (stated so a technician can defend the numbers):
//! - Each measurement frame (default 10 ms) gets a Welch PSD (4-term Blackman–Harris window,
//!   50 % overlap, bins of at most 1/8 of the narrowest channel). Channel power is the sum of the
//!   PSD bins inside the channel, edge bins weighted by their overlap, so it is the true power in
//!   the channel whatever the modulation.
//! - `mean_power_dbfs` is the mean over all frames; `peak_power_dbfs` the highest frame.
//! - Noise floor: the PSD averaged over the whole input, bins inside the usable band, 20th
//!   percentile, corrected for the known spread of that average, as a density; reported in the
//!   plan's channel bandwidth. Robust while fewer than ~80 % of the band's bins are occupied.
//! - A frame is *occupied* when its channel power exceeds floor + threshold (default 10 dB),
//!   ITU-R SM.1880 frequency-channel occupancy = occupied frames / frames. Per-channel frame
//!   powers are kept as 0.05 dB histograms, so memory does not grow with the input.
//! - A channel has a *signal* when occupancy ≥ 1 % or its mean power is ≥ 6 dB above the floor.
//! - Zero-IF DC offset is removed before analysis by a DC blocker ~40 Hz wide and reported
//!   (`dc_offset_dbfs`) — by default only above 250 kS/s (see [`DcRemoval`]).
//! - Interferers: runs of averaged-PSD bins above floor + threshold whose centre is more than
//!   a fifth of a channel bandwidth from every plan channel's centre.

use super::plan::Channel;
use super::power::channel_bin_weights;
use linkscope_dsp::psd::Welch;
use linkscope_dsp::stats::db10;
use linkscope_dsp::window::Window;
use linkscope_dsp::Complex32;
use ndarray::Array2;
use serde::Serialize;

/// Scan settings.
#[derive(Debug, Clone)]
pub struct ScanConfig {
    /// Measurement frame, s.
    pub frame_s: f64,
    /// Occupancy threshold above the noise floor, dB.
    pub threshold_db: f64,
    /// FFT size (None: automatic, bins ≤ 1/8 of the narrowest channel).
    pub fft_size: Option<usize>,
    /// Fraction of the sample rate treated as usable (receiver anti-alias roll-off outside).
    pub usable_fraction: f64,
    /// Whether to remove a zero-IF DC offset before analysis.
    pub dc_removal: DcRemoval,
    /// dBFS → dBm offset, when known.
    pub cal_db: Option<f64>,
    /// Interval of the rtl_power-style spectrum rows, s (None: none kept).
    pub interval_s: Option<f64>,
    /// Keep a waterfall (bounded to about this many rows).
    pub waterfall_rows: Option<usize>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            frame_s: 0.01,
            threshold_db: 10.0,
            fft_size: None,
            usable_fraction: 0.8,
            dc_removal: DcRemoval::Auto,
            cal_db: None,
            interval_s: None,
            waterfall_rows: None,
        }
    }
}

/// DC-offset handling. A wideband SDR capture's 0 Hz is just where the tuner sits, so a DC
/// spike there is a receiver artefact; a narrowband recording is centred on a channel on
/// purpose, so its 0 Hz is signal (an FM carrier there is not a DC offset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DcRemoval {
    /// Remove above 250 kS/s, keep at or below.
    Auto,
    /// Always remove.
    On,
    /// Never remove.
    Off,
}

impl DcRemoval {
    /// Whether to remove DC at sample rate `fs`.
    pub fn applies(self, fs: f64) -> bool {
        match self {
            DcRemoval::Auto => fs > 250e3,
            DcRemoval::On => true,
            DcRemoval::Off => false,
        }
    }
}

/// Why a scan cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// A setting does not fit the input.
    #[error("{0}")]
    Config(String),
}

/// One channel's result.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelReport {
    /// Plan name.
    pub name: String,
    /// Centre, Hz.
    pub freq_hz: f64,
    /// Measured bandwidth, Hz.
    pub bandwidth_hz: f64,
    /// Mean channel power over all frames, dBFS.
    pub mean_power_dbfs: f64,
    /// Highest frame power, dBFS.
    pub peak_power_dbfs: f64,
    /// Occupied frames, %.
    pub occupancy_pct: f64,
    /// Mean power above the noise floor in this bandwidth, dB.
    pub above_floor_db: f64,
    /// Whether a signal is present (see the module docs).
    pub signal: bool,
    /// Mean power, dBm (with a calibration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_power_dbm: Option<f64>,
    /// Peak power, dBm (with a calibration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_power_dbm: Option<f64>,
}

/// An emission off the plan's raster.
#[derive(Debug, Clone, Serialize)]
pub struct Interferer {
    /// Centre (narrow: interpolated peak; wide: power centroid), Hz.
    pub freq_hz: f64,
    /// Power of the emission above the noise, dBFS.
    pub power_dbfs: f64,
    /// Width of the run of bins above the threshold, Hz.
    pub bandwidth_hz: f64,
    /// Offset from the nearest plan channel centre, Hz.
    pub offset_from_channel_hz: f64,
    /// That channel's name.
    pub nearest_channel: String,
}

/// The scan's structured result (JSON shape documented in the README).
#[derive(Debug, Clone, Serialize)]
pub struct ScanReport {
    /// Input name (set by the caller).
    pub input: String,
    /// Samples per second.
    pub sample_rate_hz: f64,
    /// Receiver centre, Hz.
    pub center_freq_hz: f64,
    /// UTC time of the first sample, RFC 3339, if known.
    pub start_time_utc: Option<String>,
    /// Samples analysed.
    pub samples: u64,
    /// Seconds analysed.
    pub duration_s: f64,
    /// Measurement frame, s.
    pub frame_s: f64,
    /// Frames analysed.
    pub frames: u64,
    /// FFT size.
    pub fft_size: usize,
    /// Bin spacing, Hz.
    pub bin_hz: f64,
    /// Window.
    pub window: &'static str,
    /// Usable band [low, high], Hz.
    pub usable_band_hz: [f64; 2],
    /// Noise floor in `noise_floor_bandwidth_hz`, dBFS.
    pub noise_floor_dbfs: f64,
    /// Noise floor, dBm (with a calibration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise_floor_dbm: Option<f64>,
    /// Bandwidth the floor is quoted in (the plan's first channel), Hz.
    pub noise_floor_bandwidth_hz: f64,
    /// Noise density, dBFS/Hz.
    pub noise_density_dbfs_per_hz: f64,
    /// Occupancy threshold above the floor, dB.
    pub threshold_db: f64,
    /// Calibration offset used for dBm, dB.
    pub cal_db: Option<f64>,
    /// DC offset removed (zero-IF), dBFS; None when kept in.
    pub dc_offset_dbfs: Option<f64>,
    /// Channels with a signal.
    pub channels_with_signal: usize,
    /// Every channel of the plan.
    pub channels: Vec<ChannelReport>,
    /// Off-raster emissions, strongest first (at most 20).
    pub interferers: Vec<Interferer>,
    /// Samples the source lost (0 for files).
    pub dropped_samples: u64,
    /// Things the technician should know.
    pub warnings: Vec<String>,
}

/// Averaged spectra and the waterfall, for plots and rtl_power output.
#[derive(Debug, Clone)]
pub struct ScanSpectra {
    /// Frequency of each bin of the usable band, Hz.
    pub freqs_hz: Vec<f64>,
    /// Mean power per bin, dBFS.
    pub mean_dbfs: Vec<f32>,
    /// Highest frame power per bin, dBFS.
    pub peak_dbfs: Vec<f32>,
    /// Waterfall (rows × columns, dBFS per bin) over the usable band, if kept.
    pub waterfall: Option<Array2<f32>>,
    /// Seconds per waterfall row.
    pub waterfall_row_s: f64,
}

/// One rtl_power-style interval: averaged usable-band bins.
#[derive(Debug, Clone)]
pub struct IntervalRow {
    /// Start of the interval from the first sample, s.
    pub t_s: f64,
    /// FFTs averaged.
    pub segments: u64,
    /// Mean power per usable bin, dBFS.
    pub dbfs: Vec<f32>,
}

const HIST_MIN_DB: f64 = -200.0;
const HIST_STEP_DB: f64 = 0.05;
const HIST_BINS: usize = 4600; // to +30 dBFS

struct ChannelAcc {
    start: usize,
    weights: Vec<f32>,
    sum: f64,
    peak: f64,
    hist: Vec<u32>,
}

/// Streaming band scanner (see the module docs).
pub struct Scanner {
    cfg: ScanConfig,
    plan: Vec<Channel>,
    fs: f64,
    fc: f64,
    n: usize,
    welch: Welch,
    frame_len: u64,
    frame_pos: u64,
    frames: u64,
    samples: u64,
    psd: Vec<f32>,
    usable: (usize, usize),
    chans: Vec<ChannelAcc>,
    sum_psd: Vec<f64>,
    peak_psd: Vec<f32>,
    total_segments: u64,
    remove_dc: bool,
    dc: Complex32,
    dc_alpha: f32,
    dc_primed: bool,
    dc_sum_power: f64,
    work: Vec<Complex32>,
    // waterfall
    wf_cols: usize,
    wf_group: usize,
    wf_rows: Vec<Vec<f32>>,
    wf_acc: Vec<f32>,
    wf_frames_per_row: u64,
    wf_acc_frames: u64,
    // rtl_power intervals
    iv_frames: u64,
    iv_acc: Vec<f64>,
    iv_count: u64,
    iv_segments: u64,
    iv_start: f64,
    intervals: Vec<IntervalRow>,
    /// Samples lost by the source (set by the caller).
    pub dropped_samples: u64,
}

impl Scanner {
    /// Prepare a scan of `plan` on a stream at `fs` Hz centred on `fc` Hz.
    /// `expected_samples` (if known) sizes the waterfall rows.
    pub fn new(
        cfg: ScanConfig,
        plan: Vec<Channel>,
        fs: f64,
        fc: f64,
        expected_samples: Option<u64>,
    ) -> Result<Scanner, ScanError> {
        let cerr = |m: String| ScanError::Config(m);
        if plan.is_empty() {
            return Err(cerr("the channel plan is empty".into()));
        }
        let frame_ok = cfg.frame_s.is_finite() && cfg.frame_s > 0.0;
        let usable_ok = cfg.usable_fraction > 0.0 && cfg.usable_fraction <= 1.0;
        if !frame_ok || !usable_ok {
            return Err(cerr(
                "frame must be positive and the usable fraction in (0, 1]".into(),
            ));
        }
        let lo = fc - fs / 2.0;
        let hi = fc + fs / 2.0;
        for c in &plan {
            if c.lower_hz() < lo || c.upper_hz() > hi {
                return Err(cerr(format!(
                    "channel {} ({:.6} MHz, {} Hz wide) is outside the capture's band {:.6}–{:.6} MHz",
                    c.name,
                    c.freq_hz / 1e6,
                    c.bandwidth_hz,
                    lo / 1e6,
                    hi / 1e6
                )));
            }
        }
        let narrowest = plan
            .iter()
            .map(|c| c.bandwidth_hz)
            .fold(f64::INFINITY, f64::min);
        let frame_len = (cfg.frame_s * fs).round() as u64;
        let n = match cfg.fft_size {
            Some(n) => n,
            None => ((fs / (narrowest / 8.0)).ceil() as usize)
                .next_power_of_two()
                .clamp(64, 1 << 18),
        };
        if n < 16 || !n.is_power_of_two() {
            return Err(cerr(format!("FFT size {n} must be a power of two ≥ 16")));
        }
        if frame_len < n as u64 {
            return Err(cerr(format!(
                "a {:.1} ms frame holds {frame_len} samples, fewer than one {n}-point FFT: use a longer --frame (≥ {:.1} ms)",
                cfg.frame_s * 1e3,
                n as f64 / fs * 1e3
            )));
        }
        let welch =
            Welch::new(n, n / 2, Window::BlackmanHarris).map_err(|e| cerr(e.to_string()))?;
        let df = fs / n as f64;
        let half_usable = cfg.usable_fraction * fs / 2.0;
        let ulo = ((n / 2) as f64 - half_usable / df).ceil().max(0.0) as usize;
        let uhi = (((n / 2) as f64 + half_usable / df).floor() as usize).min(n - 1);
        let chans = plan
            .iter()
            .map(|c| {
                let (start, weights) = channel_bin_weights(fc, fs, n, c.lower_hz(), c.upper_hz());
                ChannelAcc {
                    start,
                    weights,
                    sum: 0.0,
                    peak: 0.0,
                    hist: vec![0; HIST_BINS],
                }
            })
            .collect();
        let ucount = uhi - ulo + 1;
        let wf_group = ucount.div_ceil(1000).max(1);
        let wf_cols = ucount.div_ceil(wf_group);
        let wf_frames_per_row = match (cfg.waterfall_rows, expected_samples) {
            (Some(rows), Some(total)) => (total / frame_len).div_ceil(rows.max(1) as u64).max(1),
            _ => 1,
        };
        let iv_frames = cfg
            .interval_s
            .map(|s| ((s / cfg.frame_s).round() as u64).max(1))
            .unwrap_or(0);
        Ok(Scanner {
            dc_alpha: (2.0 * std::f64::consts::PI * 20.0 / fs).min(0.1) as f32,
            remove_dc: cfg.dc_removal.applies(fs),
            cfg,
            plan,
            fs,
            fc,
            n,
            welch,
            frame_len,
            frame_pos: 0,
            frames: 0,
            samples: 0,
            psd: vec![0.0; n],
            usable: (ulo, uhi),
            chans,
            sum_psd: vec![0.0; n],
            peak_psd: vec![0.0; n],
            total_segments: 0,
            dc: Complex32::default(),
            dc_primed: false,
            dc_sum_power: 0.0,
            work: vec![Complex32::default(); 8192],
            wf_cols,
            wf_group,
            wf_rows: Vec::new(),
            wf_acc: vec![0.0; wf_cols],
            wf_frames_per_row,
            wf_acc_frames: 0,
            iv_frames,
            iv_acc: vec![0.0; ucount],
            iv_count: 0,
            iv_segments: 0,
            iv_start: 0.0,
            intervals: Vec::new(),
            dropped_samples: 0,
        })
    }

    /// FFT size in use.
    pub fn fft_size(&self) -> usize {
        self.n
    }

    /// Samples consumed so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Feed samples. Allocation-free except when a waterfall row or interval completes.
    pub fn process(&mut self, mut x: &[Complex32]) {
        while !x.is_empty() {
            let room = (self.frame_len - self.frame_pos) as usize;
            let take = room.min(x.len()).min(self.work.len());
            let chunk = &x[..take];
            if !self.remove_dc {
                self.welch.process(chunk);
            } else {
                if !self.dc_primed {
                    let m: Complex32 = chunk.iter().sum::<Complex32>() / chunk.len() as f32;
                    self.dc = m;
                    self.dc_primed = true;
                }
                let a = self.dc_alpha;
                for (w, &v) in self.work.iter_mut().zip(chunk) {
                    self.dc += (v - self.dc) * a;
                    *w = v - self.dc;
                }
                self.dc_sum_power += self.dc.norm_sqr() as f64 * take as f64;
                self.welch.process(&self.work[..take]);
            }
            self.frame_pos += take as u64;
            self.samples += take as u64;
            x = &x[take..];
            if self.frame_pos == self.frame_len {
                self.frame_pos = 0;
                self.end_frame();
            }
        }
    }

    fn end_frame(&mut self) {
        let segs = self.welch.take_average(&mut self.psd);
        if segs == 0 {
            return;
        }
        self.frames += 1;
        self.total_segments += segs as u64;
        for (i, &p) in self.psd.iter().enumerate() {
            self.sum_psd[i] += p as f64;
            if p > self.peak_psd[i] {
                self.peak_psd[i] = p;
            }
        }
        for c in self.chans.iter_mut() {
            let p: f64 = self.psd[c.start..c.start + c.weights.len()]
                .iter()
                .zip(&c.weights)
                .map(|(&a, &w)| (a * w) as f64)
                .sum();
            c.sum += p;
            c.peak = c.peak.max(p);
            let idx = ((db10(p) - HIST_MIN_DB) / HIST_STEP_DB).floor();
            c.hist[(idx.max(0.0) as usize).min(HIST_BINS - 1)] += 1;
        }
        let (ulo, uhi) = self.usable;
        if self.cfg.waterfall_rows.is_some() {
            for (j, chunk) in self.psd[ulo..=uhi].chunks(self.wf_group).enumerate() {
                self.wf_acc[j] += chunk.iter().sum::<f32>() / chunk.len() as f32;
            }
            self.wf_acc_frames += 1;
            if self.wf_acc_frames == self.wf_frames_per_row {
                let k = 1.0 / self.wf_acc_frames as f32;
                self.wf_rows
                    .push(self.wf_acc.iter().map(|v| v * k).collect());
                self.wf_acc.iter_mut().for_each(|v| *v = 0.0);
                self.wf_acc_frames = 0;
                let limit = self.cfg.waterfall_rows.unwrap_or(usize::MAX).max(1);
                if self.wf_rows.len() >= 2 * limit {
                    // Keep memory bounded on endless inputs: halve the time resolution.
                    let merged = self
                        .wf_rows
                        .chunks(2)
                        .map(|p| p[0].iter().zip(&p[1]).map(|(a, b)| 0.5 * (a + b)).collect())
                        .collect();
                    self.wf_rows = merged;
                    self.wf_frames_per_row *= 2;
                }
            }
        }
        if self.iv_frames > 0 {
            for (a, &p) in self.iv_acc.iter_mut().zip(&self.psd[ulo..=uhi]) {
                *a += p as f64;
            }
            self.iv_count += 1;
            self.iv_segments += segs as u64;
            if self.iv_count == self.iv_frames {
                self.flush_interval();
            }
        }
    }

    fn flush_interval(&mut self) {
        if self.iv_count == 0 {
            return;
        }
        let k = 1.0 / self.iv_count as f64;
        self.intervals.push(IntervalRow {
            t_s: self.iv_start,
            segments: self.iv_segments,
            dbfs: self.iv_acc.iter().map(|&v| db10(v * k) as f32).collect(),
        });
        self.iv_acc.iter_mut().for_each(|v| *v = 0.0);
        self.iv_start += (self.iv_count * self.frame_len) as f64 / self.fs;
        self.iv_count = 0;
        self.iv_segments = 0;
    }

    /// A live source lost `n` samples before the next ones: the frame in progress is closed
    /// (counted if at least half long) so no spectrum straddles the gap, the rtl_power interval
    /// is closed, and the next interval starts at its true time.
    pub fn gap(&mut self, n: u64) {
        if n == 0 {
            return;
        }
        if self.frame_pos as f64 >= 0.5 * self.frame_len as f64 {
            self.end_frame();
        } else {
            let _ = self.welch.take_average(&mut self.psd);
        }
        self.welch.reset();
        self.frame_pos = 0;
        self.flush_interval();
        self.dropped_samples += n;
        self.iv_start = (self.samples + self.dropped_samples) as f64 / self.fs;
    }

    /// Close the trailing partial frame (counted only if at least half a frame long) and the
    /// partial interval, so their rows can be drained before [`Scanner::finish`]. Idempotent.
    pub fn end_of_input(&mut self) {
        if self.frame_pos as f64 >= 0.5 * self.frame_len as f64 {
            self.end_frame();
        }
        self.frame_pos = 0;
        self.flush_interval();
    }

    /// Completed rtl_power-style intervals since the last call (stream them out).
    pub fn drain_intervals(&mut self) -> std::vec::Drain<'_, IntervalRow> {
        self.intervals.drain(..)
    }

    /// Frequencies of the usable bins (the columns of intervals), Hz.
    pub fn usable_freqs_hz(&self) -> Vec<f64> {
        let df = self.fs / self.n as f64;
        (self.usable.0..=self.usable.1)
            .map(|k| self.fc + (k as f64 - (self.n / 2) as f64) * df)
            .collect()
    }

    /// Bin spacing, Hz.
    pub fn bin_hz(&self) -> f64 {
        self.fs / self.n as f64
    }

    /// Finish: the report and the spectra (calls [`Scanner::end_of_input`]).
    pub fn finish(
        mut self,
        input: &str,
        start_time_utc: Option<String>,
    ) -> (ScanReport, ScanSpectra) {
        let mut warnings = Vec::new();
        self.end_of_input();
        let frames = self.frames.max(1) as f64;
        let df = self.fs / self.n as f64;
        let (ulo, uhi) = self.usable;
        let mean_bins: Vec<f64> = self.sum_psd.iter().map(|s| s / frames).collect();

        // Noise density from the usable band's averaged bins (see the module docs).
        let mut sorted: Vec<f64> = mean_bins[ulo..=uhi].to_vec();
        sorted.sort_by(f64::total_cmp);
        let p20 = sorted[(sorted.len() as f64 * 0.2) as usize];
        // Relative spread of a bin's mean over all segments (≈ 0.95 independent per segment
        // for Blackman–Harris at 50 % overlap), and the 20th percentile's z = −0.8416.
        let sigma = 1.0 / (0.95 * self.total_segments.max(1) as f64).sqrt();
        let mut density = p20 / (1.0 - 0.8416 * sigma).max(0.5) / df;
        if density.is_nan() || density <= 1e-25 {
            // Digital silence (a dead receiver, zero padding): there is no noise to measure.
            // Use a floor far below any real receiver so that nothing counts as occupied.
            warnings.push(
                "the input is silent (no noise at all in the usable band): check the receiver"
                    .into(),
            );
            density = 1e-25;
        }
        let floor_bw = self.plan[0].bandwidth_hz;
        let floor = density * floor_bw;
        if self.frames == 0 {
            warnings
                .push("the input is shorter than one measurement frame: nothing measured".into());
        }
        if self.frames > 0 && self.frames < 10 {
            warnings.push(format!(
                "only {} frames measured: occupancy and peak figures are coarse",
                self.frames
            ));
        }

        let cal = self.cfg.cal_db;
        let thr = self.cfg.threshold_db;
        let channels: Vec<ChannelReport> = self
            .plan
            .iter()
            .zip(&self.chans)
            .map(|(c, a)| {
                let ch_floor = density * c.bandwidth_hz;
                let thr_db = db10(ch_floor) + thr;
                let first = ((thr_db - HIST_MIN_DB) / HIST_STEP_DB).floor().max(0.0) as usize;
                let occ: u64 = a.hist[first.min(HIST_BINS)..]
                    .iter()
                    .map(|&v| v as u64)
                    .sum();
                let occupancy_pct = if self.frames > 0 {
                    100.0 * occ as f64 / self.frames as f64
                } else {
                    0.0
                };
                let mean = db10(a.sum / frames);
                let above = mean - db10(ch_floor);
                ChannelReport {
                    name: c.name.clone(),
                    freq_hz: c.freq_hz,
                    bandwidth_hz: c.bandwidth_hz,
                    mean_power_dbfs: round2(mean),
                    peak_power_dbfs: round2(db10(a.peak)),
                    occupancy_pct: round2(occupancy_pct),
                    above_floor_db: round2(above),
                    signal: occupancy_pct >= 1.0 || above >= 6.0,
                    mean_power_dbm: cal.map(|k| round2(mean + k)),
                    peak_power_dbm: cal.map(|k| round2(db10(a.peak) + k)),
                }
            })
            .collect();

        let interferers = self.find_interferers(&mean_bins, density);

        let spectra = ScanSpectra {
            freqs_hz: self.usable_freqs_hz(),
            mean_dbfs: mean_bins[ulo..=uhi]
                .iter()
                .map(|&v| db10(v) as f32)
                .collect(),
            peak_dbfs: self.peak_psd[ulo..=uhi]
                .iter()
                .map(|&v| db10(v as f64) as f32)
                .collect(),
            waterfall: self.cfg.waterfall_rows.map(|_| {
                let rows = self.wf_rows.len();
                let mut a = Array2::<f32>::zeros((rows, self.wf_cols));
                for (r, row) in self.wf_rows.iter().enumerate() {
                    for (c, &v) in row.iter().enumerate() {
                        a[[r, c]] = db10(v as f64) as f32;
                    }
                }
                a
            }),
            waterfall_row_s: (self.wf_frames_per_row * self.frame_len) as f64 / self.fs,
        };
        let report = ScanReport {
            input: input.to_string(),
            sample_rate_hz: self.fs,
            center_freq_hz: self.fc,
            start_time_utc,
            samples: self.samples,
            duration_s: self.samples as f64 / self.fs,
            frame_s: self.frame_len as f64 / self.fs,
            frames: self.frames,
            fft_size: self.n,
            bin_hz: df,
            window: "blackman-harris-4",
            usable_band_hz: [
                self.fc + (ulo as f64 - (self.n / 2) as f64 - 0.5) * df,
                self.fc + (uhi as f64 - (self.n / 2) as f64 + 0.5) * df,
            ],
            noise_floor_dbfs: round2(db10(floor)),
            noise_floor_dbm: cal.map(|k| round2(db10(floor) + k)),
            noise_floor_bandwidth_hz: floor_bw,
            noise_density_dbfs_per_hz: round2(db10(density)),
            threshold_db: thr,
            cal_db: cal,
            dc_offset_dbfs: (self.remove_dc && self.samples > 0)
                .then(|| round2(db10(self.dc_sum_power / self.samples as f64))),
            channels_with_signal: channels.iter().filter(|c| c.signal).count(),
            channels,
            interferers,
            dropped_samples: self.dropped_samples,
            warnings,
        };
        (report, spectra)
    }

    fn find_interferers(&self, mean_bins: &[f64], density: f64) -> Vec<Interferer> {
        let n = self.n;
        let df = self.fs / n as f64;
        let bin_f = |k: f64| self.fc + (k - (n / 2) as f64) * df;
        let lo_hz = self
            .plan
            .iter()
            .map(Channel::lower_hz)
            .fold(f64::INFINITY, f64::min);
        let hi_hz = self
            .plan
            .iter()
            .map(Channel::upper_hz)
            .fold(f64::NEG_INFINITY, f64::max);
        let (ulo, uhi) = self.usable;
        let kmin = ulo.max(((lo_hz - self.fc) / df + (n / 2) as f64).ceil().max(0.0) as usize);
        let kmax = uhi.min(((hi_hz - self.fc) / df + (n / 2) as f64).floor() as usize);
        let bin_noise = density * df;
        let thr = bin_noise * 10f64.powf(self.cfg.threshold_db / 10.0);
        // Runs of bins above the threshold, joined across gaps of ≤ 2 bins.
        let mut runs: Vec<(usize, usize)> = Vec::new();
        for k in kmin..=kmax.max(kmin) {
            if k >= mean_bins.len() || mean_bins[k] <= thr {
                continue;
            }
            match runs.last_mut() {
                Some((_, e)) if k <= *e + 3 => *e = k,
                _ => runs.push((k, k)),
            }
        }
        let mut out: Vec<Interferer> = runs
            .into_iter()
            .filter_map(|(s, e)| {
                let bins = &mean_bins[s..=e];
                let excess: Vec<f64> = bins.iter().map(|&p| (p - bin_noise).max(0.0)).collect();
                // Power: the run widened by the window's main-lobe half width (4 bins for
                // Blackman–Harris), so the skirts below the threshold are counted too.
                let (ps, pe) = (s.saturating_sub(4), (e + 4).min(n - 1));
                let power: f64 = mean_bins[ps..=pe]
                    .iter()
                    .map(|&p| p - bin_noise)
                    .sum::<f64>()
                    .max(1e-30);
                let width = (e - s + 1) as f64 * df;
                // The strongest bin of the run.
                let kp = s + bins
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.total_cmp(b.1))
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                let f = if e - s < 4 {
                    // Narrow: parabolic interpolation of the peak in dB.
                    let d = |k: usize| db10(mean_bins[k]);
                    let delta = if kp > 0 && kp + 1 < n {
                        let (a, b, c) = (d(kp - 1), d(kp), d(kp + 1));
                        let den = a - 2.0 * b + c;
                        if den.abs() > 1e-12 {
                            (0.5 * (a - c) / den).clamp(-0.5, 0.5)
                        } else {
                            0.0
                        }
                    } else {
                        0.0
                    };
                    bin_f(kp as f64 + delta)
                } else {
                    let c: f64 = excess
                        .iter()
                        .enumerate()
                        .map(|(i, &p)| (s + i) as f64 * p)
                        .sum::<f64>()
                        / excess.iter().sum::<f64>().max(1e-30);
                    bin_f(c)
                };
                let nearest_to = |x: f64| {
                    self.plan
                        .iter()
                        .min_by(|a, b| (a.freq_hz - x).abs().total_cmp(&(b.freq_hz - x).abs()))
                };
                let nearest = nearest_to(f)?;
                let off = f - nearest.freq_hz;
                // The strongest bin must be off-raster too: two busy neighbouring channels
                // merge into one run whose centroid falls between them, but each peaks on its
                // own centre.
                let fp = bin_f(kp as f64);
                let peak_off = nearest_to(fp)
                    .map(|c| (fp - c.freq_hz).abs() > 0.2 * c.bandwidth_hz)
                    .unwrap_or(true);
                (off.abs() > 0.2 * nearest.bandwidth_hz && peak_off).then(|| Interferer {
                    freq_hz: f.round(),
                    power_dbfs: round2(db10(power)),
                    bandwidth_hz: width.round(),
                    offset_from_channel_hz: off.round(),
                    nearest_channel: nearest.name.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| b.power_dbfs.total_cmp(&a.power_dbfs));
        out.truncate(20);
        out
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::band::{Emitter, EmitterKind, Scene};
    use crate::sim::db_to_power;
    use crate::spectrum::plan::raster_plan;

    /// Run a scene through a default scan; returns the report.
    fn scan_scene(scene: &Scene, seconds: f64) -> ScanReport {
        let fs = scene.sample_rate_hz;
        let fc = scene.center_freq_hz;
        let plan = raster_plan(fc - 0.4 * fs, fc + 0.4 * fs, 12_500.0, 12_500.0);
        let total = (seconds * fs) as u64;
        let mut s = Scanner::new(ScanConfig::default(), plan, fs, fc, Some(total)).unwrap();
        let mut g = scene.generator();
        let mut buf = vec![Complex32::default(); 65_536];
        let mut left = total;
        while left > 0 {
            let n = (left as usize).min(buf.len());
            g.fill(&mut buf[..n]);
            s.process(&buf[..n]);
            left -= n as u64;
        }
        s.finish("test", None).0
    }

    fn quiet(fs: f64) -> Scene {
        Scene {
            sample_rate_hz: fs,
            center_freq_hz: 355e6,
            noise_dbfs_per_hz: -60.0 - 10.0 * 12_500f64.log10(),
            dc_offset_dbfs: None,
            emitters: vec![],
            seed: 7,
        }
    }

    fn channel(r: &ScanReport, f: f64) -> &ChannelReport {
        r.channels
            .iter()
            .find(|c| (c.freq_hz - f).abs() < 1.0)
            .unwrap()
    }

    // Analytic truth: emitter power + noise density × 12.5 kHz.
    fn truth_db(scene: &Scene, p_dbfs: f64) -> f64 {
        10.0 * (db_to_power(p_dbfs) + scene.noise_power_in(12_500.0)).log10()
    }

    #[test]
    fn cw_and_band_limited_noise_power_within_0_3_db() {
        let mut sc = quiet(1.0e6);
        sc.emitters = vec![
            Emitter::continuous("cw", 354.9e6 + 1234.0, -30.0, EmitterKind::Cw),
            Emitter::continuous(
                "noise",
                355.2e6,
                -40.0,
                EmitterKind::NoiseBlock {
                    bandwidth_hz: 8000.0,
                },
            ),
        ];
        let r = scan_scene(&sc, 2.0);
        let cw = channel(&r, 354.9e6);
        let nb = channel(&r, 355.2e6);
        assert!(
            (cw.mean_power_dbfs - truth_db(&sc, -30.0)).abs() <= 0.3,
            "{cw:?}"
        );
        assert!(
            (nb.mean_power_dbfs - truth_db(&sc, -40.0)).abs() <= 0.3,
            "{nb:?}"
        );
        assert!(cw.signal && nb.signal);
        assert!((cw.occupancy_pct - 100.0).abs() < 1e-9);
    }

    #[test]
    fn keyed_carrier_30_pct_duty_is_30_pct_occupancy() {
        let mut sc = quiet(1.0e6);
        let mut e = Emitter::continuous("keyed", 355.1e6, -40.0, EmitterKind::Cw);
        e.key_period_s = Some(1.0);
        e.duty = 0.3;
        e.key_offset_s = 0.0137;
        sc.emitters = vec![e];
        let r = scan_scene(&sc, 10.0);
        let c = channel(&r, 355.1e6);
        assert!((c.occupancy_pct - 30.0).abs() <= 3.0, "{c:?}");
    }

    #[test]
    fn noise_floor_and_no_false_alarms_in_10_s_of_noise() {
        let sc = quiet(2.4e6);
        let r = scan_scene(&sc, 10.0);
        let truth = 10.0 * sc.noise_power_in(12_500.0).log10();
        assert!(
            (r.noise_floor_dbfs - truth).abs() <= 1.0,
            "{} vs {truth}",
            r.noise_floor_dbfs
        );
        assert_eq!(r.frames, 1000);
        let occupied: f64 = r.channels.iter().map(|c| c.occupancy_pct).sum();
        // False alarms ≤ 0.1 % of frames, summed over every channel.
        assert!(occupied / r.channels.len() as f64 <= 0.1, "{occupied}");
        assert_eq!(r.channels_with_signal, 0);
        assert!(r.interferers.is_empty(), "{:?}", r.interferers);
    }

    #[test]
    fn noise_floor_robust_to_occupied_channels_and_dc() {
        let mut sc = quiet(1.0e6);
        sc.dc_offset_dbfs = Some(-35.0);
        // A third of the channels carry strong FM.
        for k in 0..20 {
            sc.emitters.push(Emitter::continuous(
                "fm",
                355e6 - 287.5e3 + k as f64 * 25e3,
                -30.0,
                EmitterKind::FmTone {
                    tone_hz: 1000.0,
                    deviation_hz: 2500.0,
                },
            ));
        }
        let r = scan_scene(&sc, 1.0);
        let truth = 10.0 * sc.noise_power_in(12_500.0).log10();
        assert!(
            (r.noise_floor_dbfs - truth).abs() <= 1.0,
            "{} vs {truth}",
            r.noise_floor_dbfs
        );
        // The DC offset is measured and removed: the centre channel stays empty.
        assert!(
            (r.dc_offset_dbfs.unwrap() + 35.0).abs() < 0.5,
            "{:?}",
            r.dc_offset_dbfs
        );
        assert!(!channel(&r, 355e6).signal);
    }

    #[test]
    fn off_raster_spur_is_reported_and_on_raster_carrier_is_not() {
        let mut sc = quiet(1.0e6);
        sc.emitters = vec![
            Emitter::continuous("spur", 355.1047e6, -50.0, EmitterKind::Cw),
            Emitter::continuous("carrier", 355.2e6 + 300.0, -40.0, EmitterKind::Cw),
        ];
        let r = scan_scene(&sc, 0.5);
        assert_eq!(r.interferers.len(), 1, "{:?}", r.interferers);
        let i = &r.interferers[0];
        assert!((i.freq_hz - 355.1047e6).abs() < 100.0, "{i:?}");
        assert!((i.power_dbfs + 50.0).abs() < 0.5, "{i:?}");
    }

    #[test]
    fn busy_neighbouring_channels_are_not_an_interferer() {
        let mut sc = quiet(1.0e6);
        let fm = EmitterKind::FmTone {
            tone_hz: 1000.0,
            deviation_hz: 2500.0,
        };
        sc.emitters = vec![
            Emitter::continuous("a", 355.1e6, -20.0, fm.clone()),
            Emitter::continuous("b", 355.1125e6, -20.0, fm),
        ];
        let r = scan_scene(&sc, 0.5);
        assert!(r.interferers.is_empty(), "{:?}", r.interferers);
        assert!(channel(&r, 355.1e6).signal && channel(&r, 355.1125e6).signal);
    }

    #[test]
    fn plan_outside_the_band_is_refused() {
        let plan = vec![Channel {
            name: "x".into(),
            freq_hz: 360e6,
            bandwidth_hz: 12_500.0,
        }];
        let e = Scanner::new(ScanConfig::default(), plan, 2.4e6, 355e6, None)
            .err()
            .unwrap();
        assert!(e.to_string().contains("outside the capture's band"));
    }
}
