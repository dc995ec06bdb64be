//! The NBFM receiver: channel selection, discriminator, squelch, audio, signalling decoders and
//! the service-monitor measurements, over the whole input and per interval.
//!
//! Definitions used in the report:
//! - **carrier frequency error**: mean discriminator output while the squelch is open, less the
//!   mean a DCS word adds (its ones and zeros are not balanced).
//! - **deviation**: the discriminator output less the carrier error measured so far, 1 Hz
//!   high-pass, resampled to the audio rate (flat to 3 kHz, −70 dB from 3.6 kHz) and interpolated ×2 so
//!   peaks are not missed between samples, counted while
//!   the squelch is open, from 100 ms after it opens (and after the filters have settled).
//!   `deviation_peak_hz` is the 99th percentile of |deviation| over the window; the largest
//!   positive and negative excursions are reported beside it; `deviation_rms_hz` is the RMS.
//! - **over-deviation**: |deviation| above the channel's maximum permissible deviation
//!   (2.5 kHz at 12.5 kHz, 5 kHz at 25 kHz); events closer than 50 ms merge.
//! - **noise squelch / CNR**: the discriminator's noise in 28–42 % of the channel spacing
//!   (3.5–5.25 kHz on 12.5 kHz, above the voice band) grows as f²·N0/(2A²) above the FM
//!   threshold; its power gives the carrier-to-noise ratio in the channel spacing per 10 ms
//!   frame. The squelch opens at the threshold (default 8 dB) and closes 2 dB below it.
//! - **RF level**: mean power in the channel filter while the squelch is open (all of the
//!   input if it never opens), dBFS; dBm with a calibration.

use super::ctcss::{CtcssDecoder, CtcssSegment};
use super::dcs::{DcsDecoder, DcsSegment};
use super::max_deviation_hz;
use super::measure::{AudioFigures, AudioSpectrum, DeviationStats};
use super::tones::{DtmfDigit, SelcallSeq, ToneDecoder};
use linkscope_dsp::ddc::Ddc;
use linkscope_dsp::fir::{bandpass_kaiser, lowpass_spec, response, DecimatingFir, RealFir};
use linkscope_dsp::fm::FmDiscriminator;
use linkscope_dsp::iir::{DcBlock, OnePole};
use linkscope_dsp::nco::Mixer;
use linkscope_dsp::resample::Resampler;
use linkscope_dsp::{Complex32, DspError};
use serde::Serialize;

/// Receiver settings.
#[derive(Debug, Clone)]
pub struct FmConfig {
    /// Sample rate of the complex input.
    pub fs: f64,
    /// Channel offset from the centre of the input.
    pub offset_hz: f64,
    /// Channel spacing (12.5 or 25 kHz).
    pub channel_bw_hz: f64,
    /// Apply 750 µs de-emphasis to the audio (and the SINAD measurement).
    pub deemphasis: bool,
    /// Squelch threshold: estimated CNR in the channel spacing, dB.
    pub squelch_cnr_db: f64,
    /// Audio rate (8 or 16 kS/s).
    pub audio_rate_hz: f64,
    /// Produce the band-passed, squelched audio for a WAV file.
    pub audio_out: bool,
    /// Interval of the reports over time, s.
    pub every_s: Option<f64>,
    /// Keep the peak deviation of every 10 ms frame (for a plot).
    pub keep_trace: bool,
}

impl FmConfig {
    /// Defaults for a channel of `channel_bw_hz` at `offset_hz` in a stream at `fs`.
    pub fn new(fs: f64, offset_hz: f64, channel_bw_hz: f64) -> FmConfig {
        FmConfig {
            fs,
            offset_hz,
            channel_bw_hz,
            deemphasis: true,
            squelch_cnr_db: DEFAULT_SQUELCH_DB,
            audio_rate_hz: 8_000.0,
            audio_out: false,
            every_s: None,
            keep_trace: false,
        }
    }
}

/// Default squelch opening threshold (estimated CNR in the channel spacing), dB.
pub const DEFAULT_SQUELCH_DB: f64 = 8.0;
const FRAME_S: f64 = 0.010;

/// An over-deviation event.
#[derive(Debug, Clone, Serialize)]
pub struct OverDeviation {
    /// Start, s.
    pub t_s: f64,
    /// Length, ms.
    pub duration_ms: f64,
    /// Largest |deviation|, Hz.
    pub peak_hz: f64,
}

/// Measurements of one interval (with `every_s`).
#[derive(Debug, Clone, Serialize)]
pub struct FmInterval {
    /// Interval start, s.
    pub t_s: f64,
    /// Share of the interval with the squelch open, %.
    pub squelch_open_pct: f64,
    /// RF level, dBFS (null if the squelch stayed shut).
    pub power_dbfs: Option<f64>,
    /// Carrier frequency error, Hz.
    pub freq_error_hz: Option<f64>,
    /// Peak (99th percentile) deviation, Hz.
    pub deviation_peak_hz: Option<f64>,
    /// RMS deviation, Hz.
    pub deviation_rms_hz: Option<f64>,
    /// SINAD on a test tone, dB.
    pub sinad_db: Option<f64>,
    /// Estimated CNR in the channel spacing, dB (median of the frames).
    pub cnr_db: Option<f64>,
    /// CTCSS tone tracked at the interval's end, Hz.
    pub ctcss_hz: Option<f64>,
}

/// Whole-input results.
#[derive(Debug, Clone, Serialize)]
pub struct FmResults {
    /// Channel rate, S/s.
    pub channel_rate_hz: f64,
    /// Input duration, s.
    pub duration_s: f64,
    /// Share of the input with the squelch open, %.
    pub squelch_open_pct: f64,
    /// The channel held exactly zero throughout (an all-zero input).
    pub silent: bool,
    /// Squelch-open intervals (start, end), s.
    pub keyed: Vec<(f64, f64)>,
    /// RF level, dBFS.
    pub power_dbfs: Option<f64>,
    /// Estimated CNR in the channel spacing, dB (median of open frames).
    pub cnr_db: Option<f64>,
    /// Carrier frequency error, Hz.
    pub freq_error_hz: Option<f64>,
    /// Peak deviation (99th percentile of |dev|), Hz.
    pub deviation_peak_hz: Option<f64>,
    /// Largest positive excursion, Hz.
    pub deviation_max_pos_hz: Option<f64>,
    /// Largest negative excursion, Hz.
    pub deviation_max_neg_hz: Option<f64>,
    /// RMS deviation, Hz.
    pub deviation_rms_hz: Option<f64>,
    /// Audio spectrum figures.
    pub audio: Option<AudioFigures>,
    /// CTCSS segments.
    pub ctcss: Vec<CtcssSegment>,
    /// DCS detections.
    pub dcs: Vec<DcsSegment>,
    /// DTMF digits.
    pub dtmf: Vec<DtmfDigit>,
    /// Selcall sequences.
    pub selcall: Vec<SelcallSeq>,
    /// Over-deviation events.
    pub over_deviation: Vec<OverDeviation>,
    /// Maximum permissible deviation used, Hz.
    pub max_deviation_hz: f64,
    /// Intervals.
    pub intervals: Vec<FmInterval>,
    /// Averaged audio spectrum (Hz, dB re 1 Hz² of deviation per bin), for plots.
    #[serde(skip)]
    pub audio_psd_db: Vec<(f64, f64)>,
    /// Largest |deviation| per 10 ms frame (frame start s, Hz), with `keep_trace`.
    #[serde(skip)]
    pub deviation_trace: Vec<(f64, f32)>,
}

#[derive(Default, Clone)]
struct Acc {
    frames: u64,
    open_frames: u64,
    p_open: f64,
    n_open: u64,
    p_all: f64,
    n_all: u64,
    f_sum: f64,
    f_n: u64,
    cnr: Vec<f32>,
}

impl Acc {
    fn power_dbfs(&self) -> Option<f64> {
        if self.n_open > 0 {
            Some(10.0 * (self.p_open / self.n_open as f64).max(1e-30).log10())
        } else if self.n_all > 0 {
            Some(10.0 * (self.p_all / self.n_all as f64).max(1e-30).log10())
        } else {
            None
        }
    }
    fn freq_error(&self) -> Option<f64> {
        (self.f_n > 0).then(|| self.f_sum / self.f_n as f64)
    }
    fn cnr_median(&mut self) -> Option<f64> {
        if self.cnr.is_empty() {
            return None;
        }
        self.cnr.sort_by(|a, b| a.total_cmp(b));
        Some(self.cnr[self.cnr.len() / 2] as f64)
    }
}

/// The receiver.
pub struct FmReceiver {
    ddc: Ddc,
    chain: Chain,
}

/// Everything after the channel filter.
struct Chain {
    cfg: FmConfig,
    fs_ch: f64,
    disc: FmDiscriminator,
    frame_len: usize,
    /// Channel samples of the frame being filled.
    frame: Vec<Complex32>,
    fill: usize,
    dev: Vec<f32>,
    /// The frame's discriminator output as complex samples (imaginary 0) for the complex FIRs,
    /// and the noise path's mixer and filter outputs.
    cbuf: Vec<Complex32>,
    cbuf2: Vec<Complex32>,
    cbuf3: Vec<Complex32>,
    // Noise squelch path.
    noise_mix: Mixer,
    noise_fir: DecimatingFir,
    noise_k: f64,
    squelch_open: bool,
    // Sub-audio path.
    sub: Ddc,
    ctcss: CtcssDecoder,
    dcs: DcsDecoder,
    sub_out: Vec<f32>,
    // Audio path.
    resamp: Resampler,
    audio: Vec<f32>,
    /// ×2 interpolation of the flat audio for the deviation figures (8 samples per cycle of
    /// a 1 kHz tone would miss its peaks).
    dev_up: Resampler,
    dev_hi: Vec<f32>,
    dc: DcBlock,
    deemph: Option<(OnePole, f32)>,
    spectrum: AudioSpectrum,
    tones: ToneDecoder,
    wav_filter: Option<RealFir>,
    // Measurements.
    dev_all: DeviationStats,
    acc: Acc,
    keyed: Vec<(f64, f64)>,
    open_since: Option<f64>,
    over: Vec<OverDeviation>,
    over_run: Option<(f64, f64, f64)>,
    audio_n: u64,
    max_dev: f64,
    // Intervals.
    iv_acc: Acc,
    iv_dev: Option<DeviationStats>,
    iv_spec: Option<AudioSpectrum>,
    iv_start: f64,
    intervals: Vec<FmInterval>,
    frames_done: u64,
    delay_ch: f64,
    /// Stream time lost in gaps of a live source, s (added to every time).
    gap_s: f64,
    /// Frames before the filters have settled, and frames since the squelch opened.
    settle_frames: u64,
    open_frames_run: u64,
    trace: Vec<(f64, f32)>,
}

impl std::fmt::Debug for FmReceiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FmReceiver")
            .field("fs_ch", &self.chain.fs_ch)
            .finish()
    }
}

impl FmReceiver {
    /// Build the chain. Errors name the parameter that cannot work (e.g. a channel wider than
    /// the input's bandwidth).
    pub fn new(cfg: FmConfig) -> Result<FmReceiver, DspError> {
        let bw = cfg.channel_bw_hz;
        if !(6_250.0..=30_000.0).contains(&bw) {
            return Err(DspError::InvalidParameter {
                name: "channel bandwidth",
                reason: format!("{bw} Hz; expected 12.5 kHz or 25 kHz"),
            });
        }
        let target = 1.28 * bw;
        if cfg.fs < target {
            return Err(DspError::InvalidParameter {
                name: "sample rate",
                reason: format!(
                    "the input ({:.0} S/s) is narrower than the {:.1} kHz channel needs ({:.0} S/s)",
                    cfg.fs,
                    bw / 1e3,
                    target
                ),
            });
        }
        let ddc = Ddc::new(cfg.fs, cfg.offset_hz, target, 0.44 * bw, 0.56 * bw)?;
        let fs_ch = ddc.output_rate();
        let frame_len = (FRAME_S * fs_ch).round() as usize;
        // Noise band: centre 35 %, half-width 7 % of the spacing.
        let (fc, half) = (0.35 * bw, 0.07 * bw);
        let noise_decim = ((fs_ch / (4.0 * half)).floor() as usize).max(1);
        let taps = lowpass_spec(0.8 * half / fs_ch, 1.4 * half / fs_ch, 60.0)?;
        // ∫ f²·|H(f − fc)|² df over the filter's band: the expected power of frequency noise of
        // density f² (per unit density).
        let mut noise_k = 0.0;
        let df = 25.0;
        let mut f = -2.0 * half;
        while f <= 2.0 * half {
            let h = response(&taps, f / fs_ch);
            noise_k += (fc + f).powi(2) * h * h * df;
            f += df;
        }
        let noise_fir = DecimatingFir::new(&taps, noise_decim)?;
        let sub = Ddc::new(fs_ch, 0.0, 2_000.0, 260.0, 330.0)?;
        let fs_sub = sub.output_rate();
        let delay_ch = ddc.delay_s();
        let delay_sub = delay_ch + sub.delay_s() * 1.0;
        let fa = cfg.audio_rate_hz;
        // Audio flat to 3 kHz (the voice band and the deviation measurement), 70 dB down
        // from 3.6 kHz.
        let resamp = Resampler::new(fs_ch, fa, 3_000.0, 3_600.0f64.min(fs_ch / 2.0))?;
        let resamp_delay = resamp.delay_s();
        let delay_audio = delay_ch + resamp_delay;
        let deemph = if cfg.deemphasis {
            let d = OnePole::new(750e-6, fa)?;
            let g = (1.0 / d.gain_at(1000.0, fa)) as f32;
            Some((d, g))
        } else {
            None
        };
        let wav_filter = if cfg.audio_out {
            let n = ((fa * 0.04) as usize) | 1;
            Some(RealFir::new(&bandpass_kaiser(
                n,
                250.0 / fa,
                3_100.0 / fa,
                60.0,
            )?)?)
        } else {
            None
        };
        let max_dev = max_deviation_hz(bw);
        let every = cfg.every_s.filter(|e| *e > 0.0);
        Ok(FmReceiver {
            ddc,
            chain: Chain {
                fs_ch,
                disc: FmDiscriminator::hz(fs_ch),
                frame_len,
                frame: vec![Complex32::default(); frame_len],
                fill: 0,
                dev: vec![0.0; frame_len],
                cbuf: vec![Complex32::default(); frame_len],
                cbuf2: vec![Complex32::default(); frame_len],
                cbuf3: vec![Complex32::default(); frame_len],
                noise_mix: Mixer::new(-fc / fs_ch),
                noise_fir,
                noise_k,
                squelch_open: false,
                ctcss: CtcssDecoder::new(fs_sub, delay_sub),
                dcs: DcsDecoder::new(fs_sub, delay_sub),
                sub,
                sub_out: Vec::with_capacity(frame_len),
                audio: vec![0.0; frame_len + 8],
                dc: DcBlock::new(1.0, fa)?,
                deemph,
                spectrum: AudioSpectrum::new(fa),
                tones: ToneDecoder::new(fa, delay_audio),
                wav_filter,
                resamp,
                dev_up: Resampler::new(fa, 2.0 * fa, 3_000.0, fa - 3_600.0)?,
                dev_hi: vec![0.0; 3 * frame_len + 64],
                dev_all: DeviationStats::new(fs_ch / 2.0),
                acc: Acc::default(),
                keyed: Vec::new(),
                open_since: None,
                over: Vec::new(),
                over_run: None,
                audio_n: 0,
                max_dev,
                iv_acc: Acc::default(),
                iv_dev: every.map(|_| DeviationStats::new(fs_ch / 2.0)),
                iv_spec: every.map(|_| AudioSpectrum::new(fa)),
                iv_start: 0.0,
                intervals: Vec::new(),
                frames_done: 0,
                delay_ch,
                gap_s: 0.0,
                settle_frames: ((2.0 * (delay_ch + resamp_delay) + 0.02) / FRAME_S).ceil() as u64,
                open_frames_run: 0,
                trace: Vec::new(),
                cfg,
            },
        })
    }

    /// Channel sample rate.
    pub fn channel_rate(&self) -> f64 {
        self.chain.fs_ch
    }

    /// Whether the squelch is open now.
    pub fn squelch_open(&self) -> bool {
        self.chain.squelch_open
    }

    /// A live source lost `seconds` of signal before the next samples: later times move on by
    /// that much.
    pub fn gap(&mut self, seconds: f64) {
        self.chain.gap_s += seconds;
    }

    /// Feed input samples; squelched audio (when configured) is appended to `audio_out`.
    pub fn process(&mut self, x: &[Complex32], audio_out: &mut Vec<f32>) {
        let chain = &mut self.chain;
        self.ddc.process(x, |ch| chain.push(ch, audio_out));
    }

    /// End of input: the results.
    pub fn finish(self, duration_s: f64) -> FmResults {
        self.chain.finish(duration_s)
    }
}

impl Chain {
    fn push(&mut self, mut ch: &[Complex32], audio_out: &mut Vec<f32>) {
        while !ch.is_empty() {
            let take = (self.frame_len - self.fill).min(ch.len());
            self.frame[self.fill..self.fill + take].copy_from_slice(&ch[..take]);
            self.fill += take;
            ch = &ch[take..];
            if self.fill == self.frame_len {
                self.fill = 0;
                self.on_frame(audio_out);
            }
        }
    }

    fn on_frame(&mut self, audio_out: &mut Vec<f32>) {
        let n = self.frame_len;
        let t0 = self.frames_done as f64 * FRAME_S - self.delay_ch + self.gap_s;
        self.frames_done += 1;
        let power = self.frame.iter().map(|v| v.norm_sqr() as f64).sum::<f64>() / n as f64;
        self.disc.process(&self.frame, &mut self.dev[..n]);
        // Noise squelch.
        for (c, &d) in self.cbuf.iter_mut().zip(&self.dev[..n]) {
            *c = Complex32::new(d, 0.0);
        }
        self.noise_mix
            .process(&self.cbuf[..n], &mut self.cbuf2[..n]);
        let m = self.noise_fir.process(&self.cbuf2[..n], &mut self.cbuf3);
        let pn = self.cbuf3[..m]
            .iter()
            .map(|v| v.norm_sqr() as f64)
            .sum::<f64>()
            / m.max(1) as f64;
        let cnr_db = if pn > 0.0 && power > 0.0 {
            Some(10.0 * (self.noise_k / (2.0 * pn * self.cfg.channel_bw_hz)).log10())
        } else {
            None
        };
        let thr = self.cfg.squelch_cnr_db;
        let was = self.squelch_open;
        self.squelch_open = match cnr_db {
            Some(c) if power > 0.0 => {
                if was {
                    c >= thr - 2.0
                } else {
                    c >= thr
                }
            }
            _ => false,
        };
        let settled = self.frames_done > self.settle_frames;
        self.squelch_open &= settled;
        let open = self.squelch_open;
        self.open_frames_run = if open { self.open_frames_run + 1 } else { 0 };
        // Deviation figures start 100 ms after the squelch opens.
        let measure = self.open_frames_run > (0.1 / FRAME_S) as u64;
        match (was, open) {
            (false, true) => self.open_since = Some(t0),
            (true, false) => {
                if let Some(s) = self.open_since.take() {
                    self.keyed.push((s.max(0.0), t0.max(0.0)));
                }
            }
            _ => {}
        }
        let fsum = self.dev[..n].iter().map(|&v| v as f64).sum::<f64>();
        for acc in [&mut self.acc, &mut self.iv_acc] {
            acc.frames += 1;
            acc.p_all += power * n as f64;
            acc.n_all += n as u64;
            if open {
                acc.open_frames += 1;
                acc.p_open += power * n as f64;
                acc.n_open += n as u64;
                acc.f_sum += fsum;
                acc.f_n += n as u64;
                if let Some(c) = cnr_db {
                    acc.cnr.push(c as f32);
                }
            }
        }
        // Sub-audio (from the same complex copy).
        self.sub_out.clear();
        let sub_out = &mut self.sub_out;
        self.sub
            .process(&self.cbuf[..n], |y| sub_out.extend(y.iter().map(|v| v.re)));
        self.ctcss.process(&self.sub_out);
        self.dcs.process(&self.sub_out);
        // Audio: the carrier error measured so far removed first (then a 1 Hz high-pass takes
        // out what is left), so deviation figures hold no offset.
        let f_err = self.acc.freq_error().unwrap_or(0.0) as f32;
        self.dev[..n].iter_mut().for_each(|v| *v -= f_err);
        let na = self.resamp.process(&self.dev[..n], &mut self.audio);
        let a = &mut self.audio[..na];
        self.dc.process(a);
        let nh = self.dev_up.process(a, &mut self.dev_hi);
        let hi = &self.dev_hi[..nh];
        let peak = hi.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if self.cfg.keep_trace {
            self.trace.push((t0, if measure { peak } else { 0.0 }));
        }
        if measure {
            self.dev_all.add(hi);
            if let Some(d) = self.iv_dev.as_mut() {
                d.add(hi);
            }
        }
        let fa = self.cfg.audio_rate_hz;
        let t0 = self.audio_n as f64 / fa - self.delay_ch + self.gap_s;
        track_over(
            &mut self.over_run,
            &mut self.over,
            hi,
            measure,
            self.max_dev,
            t0,
            1.0 / (2.0 * fa),
        );
        self.audio_n += na as u64;
        if let Some((d, g)) = self.deemph.as_mut() {
            d.process(a);
            a.iter_mut().for_each(|v| *v *= *g);
        }
        self.spectrum.process(a, open);
        if let Some(s) = self.iv_spec.as_mut() {
            s.process(a, open);
        }
        self.tones.process(a);
        if let Some(f) = self.wav_filter.as_mut() {
            f.process(a);
            if open {
                audio_out.extend_from_slice(a);
            } else {
                audio_out.extend(std::iter::repeat_n(0.0, a.len()));
            }
        }
        if let Some(every) = self.cfg.every_s {
            let t_end = self.frames_done as f64 * FRAME_S - self.delay_ch + self.gap_s;
            if t_end - self.iv_start >= every - 1e-9 {
                self.close_interval();
                self.iv_start = t_end.max(0.0);
            }
        }
    }

    fn close_interval(&mut self) {
        let mut acc = std::mem::take(&mut self.iv_acc);
        if acc.frames == 0 {
            return;
        }
        let dev = self.iv_dev.as_ref();
        let figs = self.iv_spec.as_ref().and_then(|s| s.figures());
        self.intervals.push(FmInterval {
            t_s: self.iv_start,
            squelch_open_pct: 100.0 * acc.open_frames as f64 / acc.frames as f64,
            power_dbfs: (acc.n_open > 0).then(|| acc.power_dbfs()).flatten(),
            freq_error_hz: acc.freq_error(),
            deviation_peak_hz: dev.and_then(|d| d.quantile(0.99)),
            deviation_rms_hz: dev.and_then(|d| d.rms()),
            sinad_db: figs.and_then(|f| f.sinad_db),
            cnr_db: acc.cnr_median(),
            ctcss_hz: self.ctcss.current(),
        });
        if let Some(d) = self.iv_dev.as_mut() {
            d.reset();
        }
        if let Some(s) = self.iv_spec.as_mut() {
            s.reset();
        }
    }

    fn finish(mut self, duration_s: f64) -> FmResults {
        if let Some(s) = self.open_since.take() {
            self.keyed.push((s.max(0.0), duration_s));
        }
        end_over(
            &mut self.over_run,
            &mut self.over,
            1.0 / self.cfg.audio_rate_hz,
        );
        if self.cfg.every_s.is_some() {
            self.close_interval();
        }
        let (dtmf, selcall) = self.tones.finish();
        let dcs = self.dcs.finish();
        // A DCS word is not balanced: its mean shifts the carrier; take it out of the error.
        let dcs_bias = dcs
            .iter()
            .max_by_key(|d| d.words)
            .map(|d| d.dc_bias_hz)
            .unwrap_or(0.0);
        let (pos, neg) = self.dev_all.extremes();
        let has_dev = self.dev_all.count() > 0;
        FmResults {
            channel_rate_hz: self.fs_ch,
            duration_s,
            squelch_open_pct: if self.acc.frames > 0 {
                100.0 * self.acc.open_frames as f64 / self.acc.frames as f64
            } else {
                0.0
            },
            silent: self.acc.n_all > 0 && self.acc.p_all == 0.0,
            keyed: self.keyed,
            power_dbfs: self.acc.power_dbfs(),
            cnr_db: self.acc.cnr_median(),
            freq_error_hz: self.acc.freq_error().map(|f| f - dcs_bias),
            deviation_peak_hz: self.dev_all.quantile(0.99),
            deviation_max_pos_hz: has_dev.then_some(pos),
            deviation_max_neg_hz: has_dev.then_some(neg),
            deviation_rms_hz: self.dev_all.rms(),
            audio: self.spectrum.figures(),
            ctcss: self.ctcss.finish(),
            dcs,
            dtmf,
            selcall,
            over_deviation: self.over,
            max_deviation_hz: self.max_dev,
            intervals: self.intervals,
            audio_psd_db: self.spectrum.psd_db(),
            deviation_trace: self.trace,
        }
    }
}

type OverRun = Option<(f64, f64, f64)>;

/// Follow |deviation| > `max` through `a` (samples `dt` apart from `t0`), merging events that
/// are < 50 ms apart.
#[allow(clippy::too_many_arguments)]
fn track_over(
    run: &mut OverRun,
    over: &mut Vec<OverDeviation>,
    a: &[f32],
    open: bool,
    max: f64,
    t0: f64,
    dt: f64,
) {
    for (i, &v) in a.iter().enumerate() {
        let t = t0 + i as f64 * dt;
        let m = v.abs() as f64;
        let is_over = open && m > max;
        match (run.as_mut(), is_over) {
            (Some((_, end, peak)), true) => {
                *end = t;
                *peak = peak.max(m);
            }
            (None, true) => {
                let merge = over
                    .last()
                    .is_some_and(|l| t - (l.t_s + l.duration_ms / 1e3) < 0.050);
                *run = match (merge, over.pop()) {
                    (true, Some(l)) => Some((l.t_s, t, l.peak_hz.max(m))),
                    (false, Some(l)) => {
                        over.push(l);
                        Some((t, t, m))
                    }
                    (_, None) => Some((t, t, m)),
                };
            }
            (Some(_), false) => end_over(run, over, dt),
            (None, false) => {}
        }
    }
}

fn end_over(run: &mut OverRun, over: &mut Vec<OverDeviation>, dt: f64) {
    if let Some((s, e, p)) = run.take() {
        over.push(OverDeviation {
            t_s: s.max(0.0),
            duration_ms: (e - s + dt) * 1e3,
            peak_hz: p,
        });
    }
}
