//! Coverage surveys along patrol routes, after the TIA TSB-88 method (see
//! `../shared/spec/coverage.md` §9 and `measurement-addendum.md` §1).
//!
//! - **Join** ([`Track`]): every measurement frame gets the UTC time of its centre (capture
//!   `core:datetime` + sample index / rate, plus `--gps-offset`) and a position interpolated
//!   linearly between the two fixes around it. Fixes more than `max_gap_s` apart, a fix without
//!   a valid position, or a time outside the log are a gap: never bridged, counted per reason.
//! - **Local mean** (Lee's criterion): linear channel powers are averaged over a window of 40
//!   wavelengths of travel (34.3 m at 350 MHz) holding at least 50 samples; the result is placed
//!   at the window's middle. Samples are taken by distance, one frame per 0.4 λ travelled (1 %
//!   of the window, so ~100 per window), so a stop does not weight the fading at one spot. A gap ends the window in progress (discarded);
//!   a window that takes longer than `max_window_s` (the vehicle stopped, so the fading is not
//!   averaged) is discarded and counted; a window with fewer than 50 frames is discarded and
//!   counted as undersampled.
//! - **Tiles**: a square metric grid (default 100 m). A tile passes when at least
//!   `tile_pass_fraction` (default 50 %: its median local mean) of its local means meet the
//!   threshold.
//! - **Covered-area reliability** = passed / tested tiles, with a Wilson interval at the chosen
//!   confidence; the number of tiles that confidence and sampling error need is
//!   n = ⌈z²·p(1−p)/e²⌉ with p the target reliability. Criteria: `greater-than` (the one-sided
//!   lower Wilson bound must reach the target) or `simple` (the observed fraction must).

pub mod geo;
pub mod output;
pub mod stats;

use crate::io::gps::{distance_m, Fix};
use chrono::{DateTime, Duration, SecondsFormat, Utc};
use geo::Grid;
use serde::Serialize;
use std::collections::BTreeMap;

/// Speed of light, m/s.
pub const C_MPS: f64 = 299_792_458.0;

/// A channel to survey.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyChannel {
    /// Label.
    pub name: String,
    /// Centre, Hz.
    pub freq_hz: f64,
    /// Measured bandwidth, Hz.
    pub bandwidth_hz: f64,
}

/// How the survey is judged.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyConfig {
    /// Tile edge, m.
    pub tile_m: f64,
    /// Service threshold (in `threshold_unit`).
    pub threshold: f64,
    /// `dBFS` or `dBm`.
    pub threshold_unit: &'static str,
    /// dBFS → dBm offset, dB.
    pub cal_db: Option<f64>,
    /// Local-mean window in wavelengths.
    pub window_wavelengths: f64,
    /// Frames a local mean needs.
    pub min_samples: u64,
    /// Longest time a window may take, s.
    pub max_window_s: f64,
    /// Longest time between fixes that is interpolated, s.
    pub max_gps_gap_s: f64,
    /// Added to sample times before the join, s.
    pub gps_offset_s: f64,
    /// Target covered-area reliability (0–1).
    pub reliability: f64,
    /// Confidence (0–1).
    pub confidence: f64,
    /// Allowed sampling error of the reliability (0–1).
    pub sampling_error: f64,
    /// Share of a tile's local means that must meet the threshold.
    pub tile_pass_fraction: f64,
    /// `greater-than` or `simple`.
    pub criterion: &'static str,
    /// Quality threshold: FM SINAD in dB (judges local means instead of the level).
    pub sinad_threshold_db: Option<f64>,
}

impl Default for SurveyConfig {
    fn default() -> Self {
        SurveyConfig {
            tile_m: 100.0,
            threshold: -90.0,
            threshold_unit: "dBFS",
            cal_db: None,
            window_wavelengths: 40.0,
            min_samples: 50,
            max_window_s: 30.0,
            max_gps_gap_s: 5.0,
            gps_offset_s: 0.0,
            reliability: 0.95,
            confidence: 0.95,
            sampling_error: 0.02,
            tile_pass_fraction: 0.5,
            criterion: "greater-than",
            sinad_threshold_db: None,
        }
    }
}

/// Why a frame has no position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoPosition {
    /// Before the first or after the last fix.
    Outside,
    /// The fixes around it are too far apart.
    Gap,
    /// A fix around it has no valid position.
    NoFix,
}

/// Fixes to interpolate between.
#[derive(Debug, Clone)]
pub struct Track {
    /// Fixes in time order.
    pub fixes: Vec<Fix>,
    /// Longest interpolated interval, s.
    pub max_gap_s: f64,
}

/// An interpolated position.
#[derive(Debug, Clone, Copy)]
pub struct Position {
    /// Degrees.
    pub lat: f64,
    /// Degrees.
    pub lon: f64,
}

impl Track {
    /// Position at `t`.
    pub fn at(&self, t: DateTime<Utc>) -> Result<Position, NoPosition> {
        let f = &self.fixes;
        let i = f.partition_point(|x| x.time <= t);
        if i == 0 || i > f.len() {
            return Err(NoPosition::Outside);
        }
        let a = &f[i - 1];
        if i == f.len() {
            // Exactly at the last fix only.
            return if a.time == t && a.valid {
                Ok(Position {
                    lat: a.lat,
                    lon: a.lon,
                })
            } else {
                Err(NoPosition::Outside)
            };
        }
        let b = &f[i];
        if !(a.valid && b.valid) {
            return Err(NoPosition::NoFix);
        }
        let span = (b.time - a.time).num_microseconds().unwrap_or(i64::MAX) as f64 * 1e-6;
        if span > self.max_gap_s {
            return Err(NoPosition::Gap);
        }
        let u = (t - a.time).num_microseconds().unwrap_or(0) as f64 * 1e-6 / span;
        Ok(Position {
            lat: a.lat + u * (b.lat - a.lat),
            lon: a.lon + u * (b.lon - a.lon),
        })
    }

    /// Time span of the log.
    pub fn span(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        Some((self.fixes.first()?.time, self.fixes.last()?.time))
    }
}

/// One local mean.
#[derive(Debug, Clone, Serialize)]
pub struct LocalMean {
    /// Index into the survey's channels.
    pub channel: usize,
    /// UTC time of the window's middle.
    pub time_utc: String,
    /// Seconds from the input's start (window middle).
    pub t_s: f64,
    /// First frame's centre, s from the input's start.
    pub start_s: f64,
    /// Last frame's centre, s.
    pub end_s: f64,
    /// Window's middle, degrees.
    pub lat: f64,
    /// Degrees.
    pub lon: f64,
    /// Frames averaged.
    pub samples: u64,
    /// Distance travelled in the window, m.
    pub distance_m: f64,
    /// Window duration, s.
    pub duration_s: f64,
    /// Mean speed, m/s.
    pub speed_mps: f64,
    /// Local mean, dBFS.
    pub local_mean_dbfs: f64,
    /// Local mean, dBm (with a calibration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub local_mean_dbm: Option<f64>,
    /// FM SINAD on the test tone over the window, dB (with `--fm`; None while squelched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sinad_db: Option<f64>,
    /// FM receiver's CNR estimate over the window, dB (with `--fm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnr_db: Option<f64>,
    /// Meets the threshold (the level's, or the quality threshold's when one is set).
    pub meets_threshold: bool,
    /// Tile index (east, north).
    pub tile: (i64, i64),
}

/// One tile's figures.
#[derive(Debug, Clone, Serialize)]
pub struct TileReport {
    /// Index (east, north).
    pub tile: (i64, i64),
    /// Centre, degrees.
    pub center_lat: f64,
    /// Degrees.
    pub center_lon: f64,
    /// Local means in it.
    pub local_means: u64,
    /// Mean of its local means (in the threshold's unit).
    pub mean_level: f64,
    /// Median.
    pub median_level: f64,
    /// 10th percentile.
    pub p10_level: f64,
    /// Share meeting the threshold, %.
    pub meeting_threshold_pct: f64,
    /// Median FM SINAD of its local means, dB (with `--fm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_sinad_db: Option<f64>,
    /// Verdict.
    pub passed: bool,
}

/// A channel's survey result.
#[derive(Debug, Clone, Serialize)]
pub struct ChannelSurvey {
    /// The channel.
    pub channel: SurveyChannel,
    /// Local-mean window, m.
    pub window_m: f64,
    /// Local means accepted.
    pub local_means: u64,
    /// Windows discarded: cut by a GPS gap.
    pub windows_cut_by_gps: u64,
    /// Windows discarded: too slow (stopped).
    pub windows_stationary: u64,
    /// Windows discarded: fewer frames than Lee's criterion needs.
    pub windows_undersampled: u64,
    /// Tiles with at least one local mean.
    pub tiles_tested: u64,
    /// Tiles that passed.
    pub tiles_passed: u64,
    /// passed / tested, %.
    pub covered_area_reliability_pct: f64,
    /// Wilson interval at the confidence, %.
    pub reliability_interval_pct: [f64; 2],
    /// One-sided lower Wilson bound at the confidence, %.
    pub reliability_lower_bound_pct: f64,
    /// Whether the criterion is met.
    pub meets_target: bool,
    /// Tiles the confidence and sampling error need.
    pub tiles_needed: u64,
    /// Whether enough tiles were tested.
    pub enough_tiles: bool,
    /// Per tile.
    pub tiles: Vec<TileReport>,
}

/// The survey's structured result (JSON on stdout).
#[derive(Debug, Clone, Serialize)]
pub struct SurveyReport {
    /// Input name.
    pub input: String,
    /// GPS source.
    pub gps: String,
    /// UTC of sample 0.
    pub start_time_utc: String,
    /// Seconds of input analysed.
    pub duration_s: f64,
    /// Measurement frame, s.
    pub frame_s: f64,
    /// Frames measured.
    pub frames: u64,
    /// Frames without a position: outside the log, GPS gap, no fix.
    pub frames_without_position: [u64; 3],
    /// Samples a live source lost.
    pub dropped_samples: u64,
    /// Settings.
    pub config: SurveyConfig,
    /// First channel's figures, repeated at the top level for scripts.
    pub tiles_tested: u64,
    /// See [`ChannelSurvey`].
    pub tiles_passed: u64,
    /// See [`ChannelSurvey`].
    pub covered_area_reliability_pct: f64,
    /// The confidence, %.
    pub confidence_pct: f64,
    /// Target reliability, %.
    pub target_reliability_pct: f64,
    /// See [`ChannelSurvey`].
    pub local_means: u64,
    /// Per channel.
    pub channels: Vec<ChannelSurvey>,
    /// Things the technician should know.
    pub warnings: Vec<String>,
}

#[derive(Default)]
struct Window {
    n: u64,
    since: f64,
    sum: f64,
    dist: f64,
    start: Option<f64>,
    mid: Option<(f64, Position)>,
}

/// A survey in progress.
pub struct Survey {
    cfg: SurveyConfig,
    chans: Vec<SurveyChannel>,
    track: Track,
    start: DateTime<Utc>,
    grid: Option<Grid>,
    windows: Vec<Window>,
    window_m: Vec<f64>,
    last: Option<Position>,
    means: Vec<LocalMean>,
    frames: u64,
    no_pos: [u64; 3],
    cut: Vec<u64>,
    stationary: Vec<u64>,
    undersampled: Vec<u64>,
    last_t: f64,
    live: bool,
    pending: std::collections::VecDeque<(f64, Vec<f64>)>,
}

impl Survey {
    /// A survey of `chans` joined with `track`; `start` is the UTC time of sample 0.
    pub fn new(
        cfg: SurveyConfig,
        chans: Vec<SurveyChannel>,
        track: Track,
        start: DateTime<Utc>,
    ) -> Survey {
        let k = chans.len();
        let window_m = chans
            .iter()
            .map(|c| cfg.window_wavelengths * C_MPS / c.freq_hz)
            .collect();
        let grid = track
            .fixes
            .iter()
            .find(|f| f.valid)
            .map(|f| Grid::new(f.lat, f.lon, cfg.tile_m));
        Survey {
            cfg,
            chans,
            track,
            start,
            grid,
            windows: (0..k).map(|_| Window::default()).collect(),
            window_m,
            last: None,
            means: Vec::new(),
            frames: 0,
            no_pos: [0; 3],
            cut: vec![0; k],
            stationary: vec![0; k],
            undersampled: vec![0; k],
            last_t: 0.0,
            live: false,
            pending: Default::default(),
        }
    }

    /// Live: positions arrive after the samples they belong to, so frames wait until a fix at
    /// or after their time is known (or until it is overdue by more than the gap limit).
    pub fn set_live(&mut self, live: bool) {
        self.live = live;
    }

    /// Process the waiting frames that can be joined now (all of them when `all`).
    pub fn flush(&mut self, all: bool) {
        while let Some((t_s, _)) = self.pending.front() {
            let t = self.time_of(*t_s);
            let known = self.track.fixes.last().map(|f| f.time);
            let ready = all
                || known.is_some_and(|k| {
                    k >= t || (k - t).num_milliseconds().abs() as f64 / 1e3 > self.cfg.max_gps_gap_s
                });
            if !ready {
                break;
            }
            let (t_s, p) = self.pending.pop_front().expect("front");
            self.frame_now(t_s, &p);
        }
    }

    fn time_of(&self, t_s: f64) -> DateTime<Utc> {
        self.start + Duration::nanoseconds(((t_s + self.cfg.gps_offset_s) * 1e9).round() as i64)
    }

    /// Replace the track (live: fixes arrive as the drive goes on).
    pub fn track_mut(&mut self) -> &mut Track {
        &mut self.track
    }

    /// The track joined so far.
    pub fn track(&self) -> &Track {
        &self.track
    }

    /// Local means so far.
    pub fn local_means(&self) -> &[LocalMean] {
        &self.means
    }

    /// The grid (known once a valid fix is).
    pub fn grid(&self) -> Option<Grid> {
        self.grid
    }

    /// Level in the threshold's unit.
    pub fn level(&self, dbfs: f64) -> f64 {
        dbfs + self
            .cfg
            .cal_db
            .filter(|_| self.cfg.threshold_unit == "dBm")
            .unwrap_or(0.0)
    }

    fn abort_windows(&mut self) {
        for (w, c) in self.windows.iter_mut().zip(self.cut.iter_mut()) {
            if w.n > 0 {
                *c += 1;
            }
            *w = Window::default();
        }
        self.last = None;
    }

    /// The input lost samples: windows in progress end (their time would be wrong).
    pub fn gap(&mut self) {
        self.flush(true);
        self.abort_windows();
    }

    /// One frame whose centre is `t_s` after sample 0, with the channels' linear powers.
    pub fn frame(&mut self, t_s: f64, powers: &[f64]) {
        if self.live {
            self.pending.push_back((t_s, powers.to_vec()));
            self.flush(false);
        } else {
            self.frame_now(t_s, powers);
        }
    }

    fn frame_now(&mut self, t_s: f64, powers: &[f64]) {
        self.frames += 1;
        self.last_t = t_s;
        let t = self.time_of(t_s);
        let pos = match self.track.at(t) {
            Ok(p) => p,
            Err(why) => {
                self.no_pos[why as usize] += 1;
                self.abort_windows();
                return;
            }
        };
        if self.grid.is_none() {
            self.grid = Some(Grid::new(pos.lat, pos.lon, self.cfg.tile_m));
        }
        let step = self
            .last
            .map(|l| distance_m(l.lat, l.lon, pos.lat, pos.lon))
            .unwrap_or(0.0);
        self.last = Some(pos);
        #[allow(clippy::needless_range_loop)] // c indexes five parallel per-channel vectors
        for c in 0..self.windows.len() {
            let wm = self.window_m[c];
            let w = &mut self.windows[c];
            if w.n == 0 {
                w.start = Some(t_s);
            }
            w.dist += step;
            w.since += step;
            // Samples are taken by distance (every 1 % of the window, 0.4 λ): a vehicle that
            // stands still adds no weight to the spot where it stands.
            if w.n == 0 || w.since >= wm / 100.0 {
                w.n += 1;
                w.sum += powers[c];
                w.since = 0.0;
            }
            if w.mid.is_none() && w.dist >= wm / 2.0 {
                w.mid = Some((t_s, pos));
            }
            let start = w.start.unwrap_or(t_s);
            if w.dist >= wm {
                let done = std::mem::take(w);
                if done.n < self.cfg.min_samples {
                    self.undersampled[c] += 1;
                    continue;
                }
                let (mt, mp) = done.mid.unwrap_or((t_s, pos));
                let dbfs = 10.0 * (done.sum / done.n as f64).max(1e-30).log10();
                let level = self.level(dbfs);
                let grid = self.grid.expect("set above");
                let dur = t_s - start;
                self.means.push(LocalMean {
                    channel: c,
                    time_utc: (self.start
                        + Duration::nanoseconds(((mt + self.cfg.gps_offset_s) * 1e9) as i64))
                    .to_rfc3339_opts(SecondsFormat::Millis, true),
                    t_s: (mt * 1e3).round() / 1e3,
                    start_s: (start * 1e3).round() / 1e3,
                    end_s: (t_s * 1e3).round() / 1e3,
                    lat: mp.lat,
                    lon: mp.lon,
                    samples: done.n,
                    distance_m: (done.dist * 10.0).round() / 10.0,
                    duration_s: (dur * 1e3).round() / 1e3,
                    speed_mps: if dur > 0.0 {
                        ((done.dist / dur) * 100.0).round() / 100.0
                    } else {
                        0.0
                    },
                    local_mean_dbfs: (dbfs * 100.0).round() / 100.0,
                    local_mean_dbm: self
                        .cfg
                        .cal_db
                        .map(|k| ((dbfs + k) * 100.0).round() / 100.0),
                    sinad_db: None,
                    cnr_db: None,
                    meets_threshold: level >= self.cfg.threshold,
                    tile: grid.tile(mp.lat, mp.lon),
                });
            } else if t_s - start > self.cfg.max_window_s {
                *w = Window::default();
                self.stationary[c] += 1;
            }
        }
    }

    /// Attach an FM receiver's per-interval measurements of channel `c` — (start s, length s,
    /// SINAD dB, CNR dB) — to its local means (the mean of the intervals overlapping each window);
    /// with a SINAD threshold the local means are then judged on SINAD.
    pub fn attach_fm(&mut self, c: usize, intervals: &[(f64, f64, Option<f64>, Option<f64>)]) {
        let thr = self.cfg.sinad_threshold_db;
        for m in self.means.iter_mut().filter(|m| m.channel == c) {
            let over: Vec<_> = intervals
                .iter()
                .filter(|iv| iv.0 < m.end_s && iv.0 + iv.1 > m.start_s)
                .collect();
            let avg = |v: Vec<f64>| {
                (!v.is_empty())
                    .then(|| (v.iter().sum::<f64>() / v.len() as f64 * 100.0).round() / 100.0)
            };
            m.sinad_db = avg(over.iter().filter_map(|iv| iv.2).collect());
            m.cnr_db = avg(over.iter().filter_map(|iv| iv.3).collect());
            if let Some(t) = thr {
                m.meets_threshold = m.sinad_db.is_some_and(|s| s >= t);
            }
        }
    }

    /// Per-channel figures so far.
    pub fn channel_results(&self) -> Vec<ChannelSurvey> {
        (0..self.chans.len())
            .map(|c| self.channel_result(c))
            .collect()
    }

    fn channel_result(&self, c: usize) -> ChannelSurvey {
        let cfg = &self.cfg;
        let mut by_tile: BTreeMap<(i64, i64), Vec<&LocalMean>> = BTreeMap::new();
        for m in self.means.iter().filter(|m| m.channel == c) {
            by_tile.entry(m.tile).or_default().push(m);
        }
        let unit_level = |m: &LocalMean| self.level(m.local_mean_dbfs);
        let tiles: Vec<TileReport> = by_tile
            .iter()
            .map(|(&t, ms)| {
                let mut v: Vec<f64> = ms.iter().map(|m| unit_level(m)).collect();
                v.sort_by(f64::total_cmp);
                let q = |p: f64| {
                    let x = p * (v.len() - 1) as f64;
                    let (i, f) = (x.floor() as usize, x - x.floor());
                    v[i] + f * (v[(i + 1).min(v.len() - 1)] - v[i])
                };
                let meet = ms.iter().filter(|m| m.meets_threshold).count() as f64 / ms.len() as f64;
                let mut sinads: Vec<f64> = ms.iter().filter_map(|m| m.sinad_db).collect();
                sinads.sort_by(f64::total_cmp);
                let median_sinad_db = (!sinads.is_empty()).then(|| sinads[sinads.len() / 2]);
                let (clat, clon) = self
                    .grid
                    .map(|g| {
                        g.latlon(
                            (t.0 as f64 + 0.5) * cfg.tile_m,
                            (t.1 as f64 + 0.5) * cfg.tile_m,
                        )
                    })
                    .unwrap_or((0.0, 0.0));
                let r2 = |x: f64| (x * 100.0).round() / 100.0;
                TileReport {
                    tile: t,
                    center_lat: clat,
                    center_lon: clon,
                    local_means: v.len() as u64,
                    mean_level: r2(v.iter().sum::<f64>() / v.len() as f64),
                    median_level: r2(q(0.5)),
                    p10_level: r2(q(0.1)),
                    meeting_threshold_pct: r2(100.0 * meet),
                    median_sinad_db,
                    passed: meet >= cfg.tile_pass_fraction,
                }
            })
            .collect();
        let n = tiles.len() as u64;
        let k = tiles.iter().filter(|t| t.passed).count() as u64;
        let (lo, hi) = stats::wilson(k, n, stats::z_two_sided(cfg.confidence));
        let (low1, _) = stats::wilson(k, n, stats::z_one_sided(cfg.confidence));
        let p = if n > 0 { k as f64 / n as f64 } else { 0.0 };
        let needed = stats::tiles_needed(cfg.reliability, cfg.sampling_error, cfg.confidence);
        let r2 = |x: f64| (x * 100.0).round() / 100.0;
        ChannelSurvey {
            channel: self.chans[c].clone(),
            window_m: r2(self.window_m[c]),
            local_means: self.means.iter().filter(|m| m.channel == c).count() as u64,
            windows_cut_by_gps: self.cut[c],
            windows_stationary: self.stationary[c],
            windows_undersampled: self.undersampled[c],
            tiles_tested: n,
            tiles_passed: k,
            covered_area_reliability_pct: r2(100.0 * p),
            reliability_interval_pct: [r2(100.0 * lo), r2(100.0 * hi)],
            reliability_lower_bound_pct: r2(100.0 * low1),
            meets_target: n > 0
                && if cfg.criterion == "simple" {
                    p >= cfg.reliability
                } else {
                    low1 >= cfg.reliability
                },
            tiles_needed: needed,
            enough_tiles: n >= needed,
            tiles,
        }
    }

    /// The report (call [`Survey::flush`] with `all` first on a live survey).
    pub fn finish(
        &self,
        input: &str,
        gps: &str,
        frame_s: f64,
        dropped: u64,
        mut warnings: Vec<String>,
    ) -> SurveyReport {
        let channels = self.channel_results();
        let first = &channels[0];
        if self.frames > 0 && self.no_pos[NoPosition::Outside as usize] == self.frames {
            let span = self
                .track
                .span()
                .map(|(a, b)| format!("{} … {}", a.to_rfc3339(), b.to_rfc3339()))
                .unwrap_or_default();
            warnings.push(format!(
                "the GPS log ({span}) does not overlap the capture ({} + {:.1} s): check the capture's core:datetime or give --gps-offset",
                self.start.to_rfc3339(),
                self.last_t
            ));
        }
        let [out, gap, nofix] = self.no_pos;
        if gap + nofix > 0 {
            warnings.push(format!(
                "{gap} frames fell in GPS gaps longer than {} s and {nofix} in stretches without a fix: not measured (never bridged)",
                self.cfg.max_gps_gap_s
            ));
        }
        if out > 0 && out < self.frames {
            warnings.push(format!(
                "{out} frames lie outside the GPS log's time span: not measured"
            ));
        }
        if !first.enough_tiles {
            warnings.push(format!(
                "{} tiles tested; {} are needed for ±{:.0} % at {:.0} % confidence (n = z²p(1−p)/e²): the reliability figure is indicative",
                first.tiles_tested,
                first.tiles_needed,
                self.cfg.sampling_error * 100.0,
                self.cfg.confidence * 100.0
            ));
        }
        if self.cfg.sinad_threshold_db.is_none() {
            warnings.push(
                "tiles are judged on signal level only: an RSSI pass does not prove audio or data quality (--fm --sinad DB judges NBFM channels on SINAD)".into(),
            );
        }
        SurveyReport {
            input: input.into(),
            gps: gps.into(),
            start_time_utc: self.start.to_rfc3339_opts(SecondsFormat::Millis, true),
            duration_s: (self.last_t * 1e3).round() / 1e3,
            frame_s,
            frames: self.frames,
            frames_without_position: self.no_pos,
            dropped_samples: dropped,
            config: self.cfg.clone(),
            tiles_tested: first.tiles_tested,
            tiles_passed: first.tiles_passed,
            covered_area_reliability_pct: first.covered_area_reliability_pct,
            confidence_pct: self.cfg.confidence * 100.0,
            target_reliability_pct: self.cfg.reliability * 100.0,
            local_means: first.local_means,
            channels,
            warnings,
        }
    }
}
