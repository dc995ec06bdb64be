//! The PDT/DMR 4FSK receiver: complex baseband (channel selection → FM discriminator) or
//! discriminator audio in, decoded bursts and link metrics out.
//!
//! Signal path: matched root-raised-cosine (α = 0.2) at the discriminator rate (any rate ≥ 4
//! samples per symbol, fractional allowed); sync correlation against the five base patterns
//! (each data sync's negation is its voice sync; an inverted discriminator negates all) gives
//! the symbol timing to a fraction of a sample by a parabolic fit of the correlation peak, the
//! polarity, the outer-symbol level and the DC offset.
//!
//! **Acquisition** searches every sample and accepts a sync only when its burst proves itself
//! (a data burst whose CRC/RS/idle check passes, or a voice sync without symbol errors), so
//! random 4FSK or noise never yields a burst. **Tracking** then runs on the 30 ms TDMA grid
//! (144 symbols: 12 CACH + 132 burst): every grid cell is sliced at the predicted instants (a
//! least-squares fit of the sync times against their symbol numbers, which also measures the
//! symbol-clock error), re-timed when its own sync is found within half a symbol; voice bursts
//! B–F (no sync) are placed from their superframe's burst A and identified by their EMB. The
//! lock is dropped after 12 cells (360 ms) without a validated burst (a "sync loss" event).
//!
//! **Slicing** is adaptive: DC and outer level come from each burst's sync (tracked between
//! syncs), thresholds at DC and DC ± ⅔ of the outer level.

use super::burst::{decode_data_burst, DataBurst, SyncKind};
use super::tx::{bits_to_symbols, ROLL_OFF, SYMBOL_RATE};
use crate::fec::dmr::{u64_to_bits, Standard};
use linkscope_dsp::ddc::Ddc;
use linkscope_dsp::fir::{lowpass_spec, root_raised_cosine_frac, DecimatingFir, RealFir};
use linkscope_dsp::fm::FmDiscriminator;
use linkscope_dsp::nco::Mixer;
use linkscope_dsp::{Complex32, DspError};

/// What the receiver is fed.
#[derive(Debug, Clone, Copy)]
pub enum PdtInput {
    /// Complex baseband at `fs`; the channel at `offset_hz` from its centre.
    Iq {
        /// Sample rate, Hz.
        fs: f64,
        /// Channel position, Hz.
        offset_hz: f64,
    },
    /// FM-discriminator audio at `fs` (any scale).
    Audio {
        /// Sample rate, Hz.
        fs: f64,
    },
}

/// Base patterns: data syncs and the MS reverse-channel sync.
const BASE: [SyncKind; 5] = [
    SyncKind::BsData,
    SyncKind::MsData,
    SyncKind::MsRc,
    SyncKind::DmTs1Data,
    SyncKind::DmTs2Data,
];

/// The sync kind of base pattern `p` seen with correlation sign `s` (after polarity).
fn kind_of(p: usize, positive: bool) -> Option<SyncKind> {
    Some(match (p, positive) {
        (0, true) => SyncKind::BsData,
        (0, false) => SyncKind::BsVoice,
        (1, true) => SyncKind::MsData,
        (1, false) => SyncKind::MsVoice,
        (2, true) => SyncKind::MsRc,
        (3, true) => SyncKind::DmTs1Data,
        (3, false) => SyncKind::DmTs1Voice,
        (4, true) => SyncKind::DmTs2Data,
        (4, false) => SyncKind::DmTs2Voice,
        _ => return None,
    })
}

/// Length of the matched filter, symbols (the pulse beyond ±5 symbols is below −40 dB).
const MF_SPAN: usize = 10;
/// Symbols of a TDMA cell: CACH (or guard) then the burst.
const CELL: usize = 144;
/// Burst symbol of the last sync symbol.
const SYNC_END: usize = 77;
/// Correlation needed to acquire.
const ACQUIRE: f32 = 0.85;
/// Correlation needed to re-time a tracked cell.
const TRACK: f32 = 0.6;
/// Cells without a validated burst before the lock is dropped.
const MAX_MISSES: u64 = 12;

/// Sync-symbol values of a pattern (±1).
fn pattern_symbols(k: SyncKind) -> [f32; 24] {
    let s = bits_to_symbols(&u64_to_bits(k.pattern(), 48));
    let mut o = [0f32; 24];
    for (o, v) in o.iter_mut().zip(s) {
        *o = v as f32 / 3.0;
    }
    o
}

/// One burst as received.
#[derive(Debug, Clone)]
pub struct RxBurst {
    /// Time of the burst's first symbol from the start of the input, s.
    pub t_s: f64,
    /// Timeslot 1 or 2 (from the CACH, or the direct-mode sync); None when unknown (MS
    /// inbound).
    pub slot: Option<u8>,
    /// The sync, when the burst carries one.
    pub sync: Option<SyncKind>,
    /// Voice-superframe letter A–F for voice bursts.
    pub voice_letter: Option<char>,
    /// Sync symbol errors (hard decisions).
    pub sync_errors: u32,
    /// Data/control contents.
    pub data: Option<DataBurst>,
    /// Voice bursts B–F: EMB (colour code, PI, LCSS) and its corrected bits.
    pub emb: Option<(super::lc::Emb, u32)>,
    /// The full LC completed in this burst by embedded-LC reassembly (voice burst E).
    pub embedded_lc: Option<super::burst::FullLc>,
    /// The CACH TACT of BS-outbound bursts: (AT, LCSS), corrected bits.
    pub tact: Option<(super::lc::Tact, u32)>,
    /// A short LC completed by this burst's CACH.
    pub short_lc: Option<super::lc::ShortLc>,
    /// Vocoder frames (of 3) passing the NVOC FEC (voice bursts).
    pub nvoc_frames: Option<u8>,
    /// Every FEC/check of the burst passed.
    pub fec_ok: bool,
    /// Bits compared against the re-encoded burst and the errors found.
    pub bits_checked: u32,
    /// Bit errors among `bits_checked`.
    pub bit_errors: u32,
    /// Discriminator polarity was inverted.
    pub inverted: bool,
    /// Link metrics of the burst.
    pub metrics: BurstMetrics,
    /// Eye trace: the matched-filter output at 8 points per symbol over the burst, in symbol
    /// units (ideal ±1, ±3 at every 8th point), when the receiver keeps them.
    pub eye: Option<Vec<f32>>,
}

impl RxBurst {
    /// Bit error ratio of the checked bits.
    pub fn ber(&self) -> Option<f64> {
        (self.bits_checked > 0).then(|| self.bit_errors as f64 / self.bits_checked as f64)
    }

    /// Colour code from the slot type or EMB.
    pub fn color_code(&self) -> Option<u8> {
        self.data
            .as_ref()
            .map(|d| d.color_code)
            .or(self.emb.as_ref().map(|e| e.0.color_code))
    }

    /// The standard whose masks validated the burst.
    pub fn standard(&self) -> Option<Standard> {
        self.data.as_ref().and_then(|d| d.check.flatten())
    }
}

/// Per-burst modulation measurements.
#[derive(Debug, Clone, Copy, Default)]
pub struct BurstMetrics {
    /// Carrier frequency error, Hz (complex input only).
    pub freq_error_hz: Option<f64>,
    /// Outer-symbol deviation, Hz (complex input only).
    pub deviation_hz: Option<f64>,
    /// DC level in units of the outer deviation (any input).
    pub dc_rel: f64,
    /// RMS deviation of the symbol-instant frequency from the ideal level, % of the outer
    /// deviation.
    pub fsk_error_pct: f64,
    /// RMS envelope variation at the symbol instants, % of the mean (complex input only).
    pub mag_error_pct: Option<f64>,
    /// Mean power over the burst, dBFS (complex input only).
    pub rssi_dbfs: Option<f64>,
}

/// Front end for complex input: channel selection (wide enough for ±2 kHz of carrier error),
/// the AFC shift, the narrow channel filter, the discriminator.
struct FrontEnd {
    ddc: Ddc,
    afc: Mixer,
    chan: DecimatingFir,
    disc: FmDiscriminator,
    /// The measurement path: discriminator and matched filter before the narrow filter.
    disc_w: FmDiscriminator,
    meas: DecimatingFir,
    mf_w: RealFir,
    work3: Vec<Complex32>,
    audio_w: Vec<f32>,
    work: Vec<Complex32>,
    work2: Vec<Complex32>,
    audio: Vec<f32>,
    mags: Vec<f32>,
    /// Coarse AFC before lock: Σ discriminator output and count.
    acc: (f64, usize),
}

/// Narrow channel filter after the AFC: pass ±4.5 kHz, stop ±6.5 kHz (the 4FSK's occupied
/// bandwidth is ≈ ±4.5 kHz). Narrower filters lose deviation, wider ones let more noise
/// through the discriminator (measured: BER at Es/N0 12 dB 4.5e-3 at ±4 kHz, 5.1e-3 at
/// ±4.5 kHz, 9.1e-3 at ±6.5 kHz; deviation read 1.0 % / 0.7 % / 0.1 % low on a clean signal).
const CHANNEL_PASS_HZ: f64 = 4_500.0;
const CHANNEL_STOP_HZ: f64 = 6_500.0;
/// The measurement path's filter: wide enough not to change the deviation (< 0.3 % low on a
/// clean signal), narrow enough to keep the discriminator above threshold.
const MEAS_PASS_HZ: f64 = 7_000.0;
const MEAS_STOP_HZ: f64 = 10_000.0;
/// The channel rate complex input is decimated to (at least): 6⅔ samples per symbol, enough
/// for the ±12.5 kHz the measurement path and the AFC need.
const CHANNEL_RATE: f64 = 32_000.0;
/// The AFC's range.
const AFC_MAX_HZ: f64 = 2_500.0;

/// Timing fit of one lock: sync position (samples) against symbol number.
#[derive(Debug, Clone, Copy)]
struct Fit {
    x0: f64,
    y0: f64,
    n: f64,
    sx: f64,
    sy: f64,
    sxx: f64,
    sxy: f64,
    slope: f64,
    icept: f64,
}

impl Fit {
    fn new(x: f64, y: f64, slope: f64) -> Fit {
        let mut f = Fit {
            x0: x,
            y0: y,
            n: 0.0,
            sx: 0.0,
            sy: 0.0,
            sxx: 0.0,
            sxy: 0.0,
            slope,
            icept: 0.0,
        };
        f.add(x, y, slope);
        f
    }

    fn add(&mut self, x: f64, y: f64, nominal: f64) {
        let (x, y) = (x - self.x0, y - self.y0);
        self.n += 1.0;
        self.sx += x;
        self.sy += y;
        self.sxx += x * x;
        self.sxy += x * y;
        let sxx_c = self.sxx - self.sx * self.sx / self.n;
        // The slope is trusted once the syncs span more than 20 cells.
        if self.n >= 2.0 && sxx_c > (20.0 * CELL as f64).powi(2) / 4.0 {
            let b = (self.sxy - self.sx * self.sy / self.n) / sxx_c;
            self.slope = b.clamp(nominal * (1.0 - 3e-4), nominal * (1.0 + 3e-4));
            self.icept = (self.sy - self.slope * self.sx) / self.n;
        } else {
            // Until then: the nominal slope through the latest point.
            self.icept = y - self.slope * x;
        }
    }

    fn at(&self, x: f64) -> f64 {
        self.y0 + self.icept + self.slope * (x - self.x0)
    }

    /// Information on the slope: Σ(x − x̄)².
    fn weight(&self) -> f64 {
        if self.n < 3.0 {
            0.0
        } else {
            self.sxx - self.sx * self.sx / self.n
        }
    }
}

/// Tracking state.
#[derive(Debug, Clone)]
struct Lock {
    fit: Fit,
    /// Next cell to process.
    next: u64,
    /// Last cell with a validated burst.
    last_good: u64,
    /// Latched polarity (+1 normal, −1 inverted).
    pol: f32,
    /// The channel carries a CACH (BS outbound).
    bs: bool,
    /// Per cell parity: the cell of the running superframe's burst A.
    superframe: [Option<u64>; 2],
    /// Per cell parity: embedded-LC reassembly.
    emb_lc: [super::lc::EmbeddedLcAssembler; 2],
    /// Slot of the previous cell.
    last_slot: Option<u8>,
    /// Colour code of the channel.
    cc: Option<u8>,
}

/// Counts and running sums for the summary.
#[derive(Debug, Clone, Default)]
pub struct RxStats {
    /// Bursts reported.
    pub bursts: u64,
    /// Data/control bursts whose checks passed.
    pub data_valid: u64,
    /// Data/control bursts with a sync whose checks failed.
    pub data_failed: u64,
    /// Voice bursts.
    pub voice: u64,
    /// Voice bursts B–F whose EMB failed.
    pub emb_failed: u64,
    /// Times the lock was lost.
    pub sync_losses: u64,
    /// Bits checked / in error.
    pub bits_checked: u64,
    /// Bit errors.
    pub bit_errors: u64,
    /// Sums for the modulation metrics (bursts that validated).
    pub metric_bursts: u64,
    /// Σ frequency error, Hz.
    pub sum_freq_hz: f64,
    /// Σ deviation, Hz.
    pub sum_dev_hz: f64,
    /// Σ FSK error², %².
    pub sum_fsk2: f64,
    /// Σ magnitude error², %².
    pub sum_mag2: f64,
    /// Σ power (linear, full scale 1).
    pub sum_power: f64,
    /// Bursts cut at the end of the input.
    pub truncated: u64,
    /// Clock estimate: Σ w·ppm, Σ w.
    clock: (f64, f64),
}

/// The receiver.
pub struct PdtReceiver {
    front: Option<FrontEnd>,
    fs: f64,
    sps: f64,
    delay_s: f64,
    mf: RealFir,
    /// Matched-filter output from absolute sample `base`.
    y: Vec<f32>,
    /// Matched-filter output of the wide measurement path, aligned with `y` (complex input).
    y_w: Vec<f32>,
    /// Envelope, aligned with `y` (complex input).
    mag: Vec<f32>,
    /// The AFC shift (Hz) each sample was received with, aligned with `y`.
    afc: Vec<f32>,
    /// A correction (Hz) for the AFC, from the last validated burst.
    afc_request: Option<f64>,
    base: usize,
    /// Tap offsets of the sync correlator (samples before the last sync symbol).
    offs: [usize; 24],
    pats: [[f32; 24]; 5],
    pat_mean: [f32; 5],
    pat_norm: [f32; 5],
    search: usize,
    lock: Option<Lock>,
    /// Polarity learned from a validated data burst (kept across locks).
    pol: Option<f32>,
    /// Running levels (DC, outer) for cells without their own sync.
    levels: (f32, f32),
    short_lc: super::lc::ShortLcAssembler,
    time_offset_s: f64,
    /// Counters.
    pub stats: RxStats,
    scratch: Vec<f32>,
    keep_eye: bool,
    iq: bool,
    /// Input sample rate and samples received (for the end of input).
    fs_in: f64,
    n_in: u64,
    /// At the end of input: the position (in matched-filter samples) where the real input
    /// ends; bursts reaching beyond it are counted as cut, not decoded.
    limit: Option<f64>,
}

impl PdtReceiver {
    /// A receiver for `input`.
    pub fn new(input: PdtInput) -> Result<PdtReceiver, DspError> {
        let mut chan_delay = 0;
        let mut meas_delay = 0;
        let (mut front, fs, ddc_delay) = match input {
            PdtInput::Iq { fs, offset_hz } => {
                // 4FSK at ±1944 Hz + RRC: occupied ±4.8 kHz; room for ±1.5 kHz of carrier error.
                // The decimator only has to keep aliases out of the band the narrow filter
                // passes (its stopband may reach fs_out − pass); the narrow filter does the
                // channel selection at the low rate, where it is cheap.
                let fs_out = fs / (fs / CHANNEL_RATE).floor().max(1.0);
                let pass = (MEAS_STOP_HZ + AFC_MAX_HZ).min(0.45 * fs_out);
                let ddc = Ddc::new(
                    fs,
                    offset_hz,
                    CHANNEL_RATE.min(fs),
                    pass,
                    (fs_out - pass).min(fs / 2.0),
                )?;
                let afs = ddc.output_rate();
                let taps = lowpass_spec(
                    CHANNEL_PASS_HZ / afs,
                    (CHANNEL_STOP_HZ / afs).min(0.5),
                    60.0,
                )?;
                let d = ddc.delay_s() + (taps.len() - 1) as f64 / 2.0 / afs;
                let meas = lowpass_spec(
                    (MEAS_PASS_HZ / afs).min(0.4),
                    (MEAS_STOP_HZ / afs).min(0.5),
                    60.0,
                )?;
                chan_delay = (taps.len() - 1) / 2;
                meas_delay = ((meas.len() - 1) / 2).min(chan_delay);
                (
                    Some(FrontEnd {
                        ddc,
                        afc: Mixer::new(0.0),
                        chan: DecimatingFir::new(&taps, 1)?,
                        disc: FmDiscriminator::hz(afs),
                        disc_w: FmDiscriminator::hz(afs),
                        mf_w: RealFir::new(&[1.0])?,
                        meas: DecimatingFir::new(&meas, 1)?,
                        work3: vec![Complex32::default(); 8192],
                        audio_w: vec![0.0; 8192],
                        work: vec![Complex32::default(); 8192],
                        work2: vec![Complex32::default(); 8192],
                        audio: vec![0.0; 8192],
                        mags: vec![0.0; 8192],
                        acc: (0.0, 0),
                    }),
                    afs,
                    d,
                )
            }
            PdtInput::Audio { fs } => (None, fs, 0.0),
        };
        let sps = fs / SYMBOL_RATE;
        if sps.is_nan() || sps < 4.0 || !fs.is_finite() {
            return Err(DspError::InvalidParameter {
                name: "sample_rate",
                reason: format!(
                    "{fs} Hz gives {sps:.2} samples per 4800 Bd symbol; the 4FSK receiver needs ≥ 19.2 kHz"
                ),
            });
        }
        let rrc = root_raised_cosine_frac(sps, MF_SPAN, ROLL_OFF)?;
        let dc: f32 = rrc.iter().sum();
        let rrc: Vec<f32> = rrc.iter().map(|v| v / dc).collect();
        let mf_delay = (rrc.len() - 1) / 2;
        if let Some(fe) = front.as_mut() {
            fe.mf_w = RealFir::new(&rrc)?;
        }
        let mut offs = [0usize; 24];
        for (i, o) in offs.iter_mut().enumerate() {
            *o = ((23 - i) as f64 * sps).round() as usize;
        }
        let mut pats = [[0f32; 24]; 5];
        let mut pat_mean = [0f32; 5];
        let mut pat_norm = [0f32; 5];
        for (i, k) in BASE.iter().enumerate() {
            pats[i] = pattern_symbols(*k);
            pat_mean[i] = pats[i].iter().sum::<f32>() / 24.0;
            pat_norm[i] = pats[i]
                .iter()
                .map(|v| (v - pat_mean[i]).powi(2))
                .sum::<f32>()
                .sqrt();
        }
        Ok(PdtReceiver {
            // The wide-path buffers are delayed to line up with the narrow path (whose filter
            // adds `chan_delay`); envelope and AFC are taken before the matched filter.
            y_w: vec![0.0; chan_delay - meas_delay],
            mag: if front.is_some() {
                vec![0.0; mf_delay + chan_delay - meas_delay]
            } else {
                Vec::new()
            },
            afc: if front.is_some() {
                vec![0.0; mf_delay + chan_delay]
            } else {
                Vec::new()
            },
            afc_request: None,
            front,
            fs,
            sps,
            delay_s: ddc_delay + mf_delay as f64 / fs,
            mf: RealFir::new(&rrc)?,
            y: Vec::new(),
            base: 0,
            offs,
            pats,
            pat_mean,
            pat_norm,
            search: 0,
            lock: None,
            pol: None,
            levels: (0.0, 0.0),
            short_lc: super::lc::ShortLcAssembler::new(),
            time_offset_s: 0.0,
            stats: RxStats::default(),
            scratch: vec![0.0; 8192],
            keep_eye: false,
            iq: matches!(input, PdtInput::Iq { .. }),
            fs_in: match input {
                PdtInput::Iq { fs, .. } | PdtInput::Audio { fs } => fs,
            },
            n_in: 0,
            limit: None,
        })
    }

    /// Keep eye traces in the bursts (for plots).
    pub fn keep_eye(&mut self, on: bool) {
        self.keep_eye = on;
    }

    /// The discriminator (channel) sample rate.
    pub fn channel_rate(&self) -> f64 {
        self.fs
    }

    /// Whether the input is complex (frequencies in Hz are measured).
    fn iq(&self) -> bool {
        self.iq
    }

    /// Polarity latched so far (true = inverted).
    pub fn inverted(&self) -> Option<bool> {
        self.pol.map(|p| p < 0.0)
    }

    /// Feed complex baseband; bursts are appended to `out`.
    pub fn process_iq(&mut self, x: &[Complex32], out: &mut Vec<RxBurst>) {
        let Some(mut fe) = self.front.take() else {
            return;
        };
        self.n_in += x.len() as u64;
        let FrontEnd {
            ddc,
            afc,
            chan,
            disc,
            disc_w,
            meas,
            mf_w,
            work3,
            audio_w,
            work,
            work2,
            audio,
            mags,
            acc,
        } = &mut fe;
        let fs = self.fs;
        ddc.process(x, |ch| {
            let n = ch.len();
            if audio.len() < n {
                audio.resize(n, 0.0);
                mags.resize(n, 0.0);
                work.resize(n, Complex32::default());
                work2.resize(n, Complex32::default());
                audio_w.resize(n, 0.0);
                work3.resize(n, Complex32::default());
            }
            afc.process(ch, &mut work[..n]);
            let m = chan.process(&work[..n], &mut work2[..]);
            disc.process(&work2[..m], &mut audio[..m]);
            let n = meas.process(&work[..n], &mut work3[..]);
            disc_w.process(&work3[..n], &mut audio_w[..n]);
            for v in audio_w[..n].iter_mut() {
                if !v.is_finite() {
                    *v = 0.0;
                }
            }
            mf_w.process(&mut audio_w[..n]);
            self.y_w.extend_from_slice(&audio_w[..n]);
            for (g, z) in mags.iter_mut().zip(&work3[..n]) {
                *g = (z.re * z.re + z.im * z.im).sqrt();
            }
            let shift = -afc.freq() * fs;
            self.mag.extend_from_slice(&mags[..n]);
            self.afc.extend(std::iter::repeat_n(shift as f32, m));
            self.push(&audio[..m], out);
            // Before lock: the mean discriminator output over 100 ms (4FSK data has little DC)
            // pulls the AFC towards the carrier; once locked, the bursts' measured DC does.
            let correction = if self.lock.is_none() {
                acc.0 += audio[..m].iter().map(|&v| v as f64).sum::<f64>();
                acc.1 += m;
                if acc.1 as f64 >= 0.1 * fs {
                    let c = acc.0 / acc.1 as f64;
                    *acc = (0.0, 0);
                    Some(c)
                } else {
                    None
                }
            } else {
                *acc = (0.0, 0);
                self.afc_request.take()
            };
            if let Some(c) = correction.filter(|c| c.is_finite()) {
                let f = (shift + c).clamp(-AFC_MAX_HZ, AFC_MAX_HZ);
                afc.set_freq(-f / fs);
            }
        });
        self.front = Some(fe);
    }

    /// Feed discriminator audio; bursts are appended to `out`.
    pub fn process_audio(&mut self, a: &[f32], out: &mut Vec<RxBurst>) {
        if self.iq {
            return;
        }
        self.n_in += a.len() as u64;
        self.push(a, out);
    }

    /// `seconds` of input were lost: drop the lock and shift the time base.
    pub fn gap(&mut self, seconds: f64) {
        if self.lock.take().is_some() {
            self.stats.sync_losses += 1;
        }
        self.time_offset_s += seconds;
        self.search = self.base + self.y.len();
    }

    /// End of input: bursts that the input cuts short are counted, not reported.
    ///
    /// The filters' delay is flushed with zeros so that a burst ending just before the end of
    /// the input is still decoded; the zeros themselves never complete a burst.
    pub fn finish(&mut self, out: &mut Vec<RxBurst>) {
        // Where the real input ends on the matched-filter axis (sample i is at i/fs − delay).
        let limit = (self.n_in as f64 / self.fs_in + self.delay_s) * self.fs;
        self.limit = Some(limit);
        let pad = ((self.delay_s + 4.0 / SYMBOL_RATE) * self.fs_in).ceil() as usize + 16;
        if self.iq {
            self.process_iq(&vec![Complex32::default(); pad], out);
        } else {
            self.process_audio(&vec![0.0; pad], out);
        }
        if let Some(l) = self.lock.take() {
            // The next cell began inside the input: its burst is cut.
            if l.fit.at((l.next * CELL as u64) as f64) < limit {
                self.stats.truncated += 1;
            }
            self.end_lock(&l);
        }
    }

    fn push(&mut self, a: &[f32], out: &mut Vec<RxBurst>) {
        for chunk in a.chunks(4096) {
            let n = chunk.len();
            if self.scratch.len() < n {
                self.scratch.resize(n, 0.0);
            }
            let s = &mut self.scratch[..n];
            for (o, &v) in s.iter_mut().zip(chunk) {
                *o = if v.is_finite() { v } else { 0.0 };
            }
            self.mf.process(s);
            self.y.extend_from_slice(s);
            self.run(out);
            self.trim();
        }
    }

    /// Discard samples no longer needed.
    fn trim(&mut self) {
        let back = ((SYNC_END + 12 + 30) as f64 * self.sps) as usize;
        let keep = match &self.lock {
            Some(l) => (l.fit.at((l.next * CELL as u64) as f64) as usize).saturating_sub(back),
            None => self.search.saturating_sub(back),
        };
        let drop = keep.saturating_sub(self.base).min(self.y.len());
        if drop > 1 << 15 {
            self.y.drain(..drop);
            if !self.mag.is_empty() {
                self.mag.drain(..drop.min(self.mag.len()));
                self.afc.drain(..drop.min(self.afc.len()));
                self.y_w.drain(..drop.min(self.y_w.len()));
            }
            self.base += drop;
        }
    }

    /// Normalised correlation of the 24 symbols ending at absolute sample `m` with every base
    /// pattern: (best pattern, signed correlation).
    fn corr(&self, m: usize) -> (usize, f32) {
        let v = self.window(m);
        let (mean, e) = spread(&v);
        let mut best = (0, 0f32);
        for p in 0..5 {
            let c = self.ncorr(&v, mean, e, p);
            if c.abs() > best.1.abs() {
                best = (p, c);
            }
        }
        best
    }

    /// The 24 sync-symbol values ending at absolute sample `m` (offsets rounded to samples).
    fn window(&self, m: usize) -> [f32; 24] {
        let r = m - self.base;
        let mut v = [0f32; 24];
        for (o, &d) in v.iter_mut().zip(&self.offs) {
            *o = self.y[r - d];
        }
        v
    }

    /// Normalised correlation of symbol values `v` (mean and spread from [`spread`]) with base
    /// pattern `p`.
    fn ncorr(&self, v: &[f32; 24], mean: f32, e: f32, p: usize) -> f32 {
        if e <= 0.0 {
            return 0.0;
        }
        let dot: f32 = v.iter().zip(&self.pats[p]).map(|(a, b)| a * b).sum();
        (dot - mean * 24.0 * self.pat_mean[p]) / (e * self.pat_norm[p])
    }

    /// The matched-filter output at fractional absolute position `t` (linear interpolation).
    fn at(&self, t: f64) -> f32 {
        cubic(&self.y, t - self.base as f64).unwrap_or(0.0)
    }

    /// The wide measurement path at `t` (complex input; else the decoding path).
    fn at_w(&self, t: f64) -> f32 {
        if !self.iq {
            return self.at(t);
        }
        cubic(&self.y_w, t - self.base as f64).unwrap_or_else(|| self.at(t))
    }

    fn mag_at(&self, t: f64) -> f32 {
        let r = (t.round() as usize).saturating_sub(self.base);
        self.mag.get(r).copied().unwrap_or(0.0)
    }

    fn afc_at(&self, t: f64) -> f32 {
        let r = (t.round() as usize).saturating_sub(self.base);
        self.afc.get(r).copied().unwrap_or(0.0)
    }

    fn end(&self) -> usize {
        self.base + self.y.len()
    }

    /// Parabolic refinement of the correlation peak of pattern `p` near `m`.
    ///
    /// The search correlator reads the symbols at whole samples (offsets rounded); here they are
    /// read at their exact fractional spacing (cubic interpolation), so the timing carries no
    /// rounding bias at fractional samples per symbol.
    fn refine(&self, m: usize, p: usize) -> f64 {
        let c = |t: f64| {
            let mut v = [0f32; 24];
            for (i, o) in v.iter_mut().enumerate() {
                *o = self.at(t - (23 - i) as f64 * self.sps);
            }
            let (mean, e) = spread(&v);
            self.ncorr(&v, mean, e, p).abs()
        };
        let mut centre = m as f64;
        // Two passes: whole samples, then half samples around the best.
        for h in [1.0, 0.5] {
            let (a, b, d) = (c(centre - h), c(centre), c(centre + h));
            let den = a - 2.0 * b + d;
            let off = if den < 0.0 { 0.5 * (a - d) / den } else { 0.0 };
            centre += h * off.clamp(-1.0, 1.0) as f64;
        }
        centre
    }

    fn corr_p(&self, m: usize, p: usize) -> (usize, f32) {
        let v = self.window(m);
        let (mean, e) = spread(&v);
        (p, self.ncorr(&v, mean, e, p))
    }

    fn run(&mut self, out: &mut Vec<RxBurst>) {
        let before = ((SYNC_END + 12) as f64 * self.sps).ceil() as usize + 2;
        let after = ((132 - SYNC_END) as f64 * self.sps).ceil() as usize + 4;
        let w = (self.sps / 2.0).ceil() as usize + 1;
        loop {
            if let Some(mut l) = self.lock.take() {
                let p0 = l.fit.at((l.next * CELL as u64) as f64);
                let m_exp = p0 + SYNC_END as f64 * self.sps_of(&l);
                let mr = m_exp.round() as usize;
                if mr + w + after >= self.end() || self.beyond_limit(p0, &l) {
                    self.lock = Some(l);
                    return;
                }
                let k = l.next;
                l.next += 1;
                self.cell(&mut l, k, m_exp, w, out);
                if l.next - l.last_good > MAX_MISSES {
                    self.stats.sync_losses += 1;
                    self.search = (m_exp as usize).max(self.base + before);
                    self.end_lock(&l);
                } else {
                    self.lock = Some(l);
                }
                continue;
            }
            // Acquisition.
            if self.search < self.base + before {
                self.search = self.base + before;
            }
            let end = self.end();
            while self.search + after + self.sps as usize + 2 < end {
                let m = self.search;
                let (p, c) = self.corr(m);
                if c.abs() < ACQUIRE {
                    self.search += 1;
                    continue;
                }
                // The peak within the next symbol.
                let mut best = (m, c.abs());
                for k in m + 1..=m + self.sps.ceil() as usize {
                    let v = self.corr_p(k, p).1.abs();
                    if v > best.1 {
                        best = (k, v);
                    }
                }
                let mhat = self.refine(best.0, p);
                if self
                    .limit
                    .is_some_and(|lim| mhat + (132 - SYNC_END) as f64 * self.sps > lim)
                {
                    // A burst the end of the input cuts: not decoded.
                    self.search = best.0 + 1;
                    continue;
                }
                let sign = self.corr_p(best.0, p).1.signum();
                let hyps: &[f32] = match self.pol {
                    Some(pol) => {
                        if pol > 0.0 {
                            &[1.0]
                        } else {
                            &[-1.0]
                        }
                    }
                    // The hypothesis that makes this sync a data sync first: its burst can
                    // prove itself (a voice sync is the negation of a data sync).
                    None if sign > 0.0 => &[1.0, -1.0],
                    None => &[-1.0, 1.0],
                };
                let mut got = None;
                for &pol in hyps {
                    let Some(kind) = kind_of(p, sign * pol > 0.0) else {
                        continue;
                    };
                    let sl = self.slice(mhat, Some(kind), pol, None);
                    // A voice sync alone cannot tell an inverted discriminator from a data
                    // sync: before a data burst has fixed the polarity, voice is only
                    // accepted as normal polarity.
                    let ok = if kind.is_data() {
                        sl.data.as_ref().is_some_and(|d| d.check.is_some())
                    } else {
                        kind != SyncKind::MsRc
                            && sl.sync_errors == 0
                            && best.1 > 0.9
                            && (self.pol.is_some() || pol > 0.0)
                    };
                    if ok {
                        got = Some((kind, pol));
                        break;
                    }
                }
                match got {
                    Some((kind, pol)) => {
                        if kind.is_data() && self.pol.is_none() {
                            self.pol = Some(pol);
                        }
                        let bs = matches!(kind, SyncKind::BsData | SyncKind::BsVoice);
                        let x = SYNC_END as f64;
                        let mut l = Lock {
                            fit: Fit::new(x, mhat, self.sps),
                            next: 0,
                            last_good: 0,
                            pol,
                            bs,
                            superframe: [None, None],
                            emb_lc: [
                                super::lc::EmbeddedLcAssembler::new(),
                                super::lc::EmbeddedLcAssembler::new(),
                            ],
                            last_slot: None,
                            cc: None,
                        };
                        // Process cell 0 through the tracker (it finds the same sync).
                        l.next = 1;
                        self.cell(&mut l, 0, mhat, w, out);
                        self.lock = Some(l);
                        break;
                    }
                    None => self.search = best.0 + 1,
                }
            }
            if self.lock.is_none() {
                return;
            }
        }
    }

    /// At the end of input: the burst starting at `p0` reaches past the real samples.
    fn beyond_limit(&self, p0: f64, l: &Lock) -> bool {
        self.limit
            .is_some_and(|lim| p0 + 132.0 * self.sps_of(l) > lim)
    }

    fn sps_of(&self, l: &Lock) -> f64 {
        l.fit.slope
    }

    fn end_lock(&mut self, l: &Lock) {
        let w = l.fit.weight();
        // Only locks spanning ≥ 0.5 s (≈ 17 cells) measure the clock.
        if w > (17.0 * CELL as f64).powi(2) / 4.0 {
            let ppm = (self.sps / l.fit.slope - 1.0) * 1e6;
            self.stats.clock.0 += w * ppm;
            self.stats.clock.1 += w;
        }
    }

    /// The symbol-clock error measured so far, ppm (positive: faster than 4800 Bd).
    pub fn clock_error_ppm(&self) -> Option<f64> {
        let (mut s, mut w) = self.stats.clock;
        if let Some(l) = &self.lock {
            let lw = l.fit.weight();
            if lw > (17.0 * CELL as f64).powi(2) / 4.0 {
                s += lw * (self.sps / l.fit.slope - 1.0) * 1e6;
                w += lw;
            }
        }
        (w > 0.0).then(|| s / w)
    }

    /// Process TDMA cell `k` whose sync would end near `m_exp`.
    fn cell(&mut self, l: &mut Lock, k: u64, m_exp: f64, w: usize, out: &mut Vec<RxBurst>) {
        // Look for a sync near the prediction.
        let mr = m_exp.round() as usize;
        let mut best = (mr, 0usize, 0f32);
        for m in mr - w..=mr + w {
            let (p, c) = self.corr(m);
            if c.abs() > best.2.abs() {
                best = (m, p, c);
            }
        }
        // Locked on voice only, the polarity is still a guess: a "voice" sync whose burst
        // validates as data with the opposite polarity settles it.
        if self.pol.is_none() && best.2.abs() >= ACQUIRE {
            if let Some(kind) = kind_of(best.1, best.2 * -l.pol > 0.0).filter(|k| k.is_data()) {
                let mhat = self.refine(best.0, best.1);
                let sl = self.slice(mhat, Some(kind), -l.pol, Some(&*l));
                if sl.data.as_ref().is_some_and(|d| d.check.is_some()) {
                    l.pol = -l.pol;
                    self.pol = Some(l.pol);
                    l.superframe = [None, None];
                }
            }
        }
        let mut found = None;
        if best.2.abs() >= TRACK {
            if let Some(kind) = kind_of(best.1, best.2 * l.pol > 0.0) {
                let mhat = self.refine(best.0, best.1);
                let sl = self.slice(mhat, Some(kind), l.pol, Some(&*l));
                let ok = if kind.is_data() {
                    sl.data.as_ref().is_some_and(|d| d.check.is_some())
                        || (sl.data.is_some() && sl.sync_errors <= 2)
                } else {
                    sl.sync_errors <= 3
                };
                if ok {
                    found = Some((mhat, sl));
                }
            }
        }
        // A slot type decoded to another colour code than the channel's, with the most errors
        // Golay(20,8) corrects, is far likelier a miscorrection than a second carrier.
        if let (Some((_, sl)), Some(cc)) = (found.as_mut(), l.cc) {
            if let Some(d) = sl.data.as_mut() {
                if d.color_code != cc && d.slot_type_errors >= 2 {
                    d.check = None;
                    sl.fec_ok = false;
                }
            }
        }
        let x = (k * CELL as u64) as f64 + SYNC_END as f64;
        let parity = (k % 2) as usize;
        let mut b = match found {
            Some((mhat, sl)) => {
                let good = sl.data.as_ref().is_none_or(|d| d.check.is_some());
                if good {
                    l.fit.add(x, mhat, self.sps);
                    l.last_good = k;
                }
                sl
            }
            None => self.slice(m_exp, None, l.pol, Some(&*l)),
        };
        // CACH / slot.
        let sps = self.sps_of(l);
        // `t_s` holds the absolute position of symbol 0 until emitted.
        let burst0 = b.t_s;
        let mut slot = None;
        if l.bs {
            let cach = self.hard_bits(burst0 - 12.0 * sps, 12, sps, l.pol);
            if let Some((tact, fixed, payload)) = super::lc::cach_decode(&cach) {
                slot = Some(tact.tc + 1);
                b.bits_checked += 7;
                b.bit_errors += fixed;
                b.short_lc = self.short_lc.push(tact.lcss, &payload).flatten();
                b.tact = Some((tact, fixed));
            }
        }
        match b.sync {
            Some(SyncKind::DmTs1Data | SyncKind::DmTs1Voice) => slot = Some(1),
            Some(SyncKind::DmTs2Data | SyncKind::DmTs2Voice) => slot = Some(2),
            _ => {}
        }
        if slot.is_none() && l.bs {
            slot = l.last_slot.map(|s| 3 - s);
        }
        l.last_slot = slot;
        b.slot = slot;
        // Voice superframe.
        match b.sync {
            Some(kind) if !kind.is_data() && kind != SyncKind::MsRc => {
                l.superframe[parity] = Some(k);
                l.emb_lc[parity] = super::lc::EmbeddedLcAssembler::new();
                b.voice_letter = Some('A');
                l.last_good = l.last_good.max(k);
            }
            Some(_) => {
                if b.data.as_ref().is_some_and(|d| d.check.is_some()) {
                    l.superframe[parity] = None;
                }
            }
            None => {
                let bits = self.hard_bits(burst0, 132, sps, l.pol);
                let (_, centre) = super::lc::split_voice(&bits);
                let (emb_bits, embedded) = super::lc::centre_emb(&centre);
                let emb = super::lc::emb_decode(&emb_bits);
                let pos = l.superframe[parity].map(|a| (k - a) / 2);
                let letter = match pos {
                    Some(j @ 1..=5) if (k - l.superframe[parity].unwrap_or(0)) % 2 == 0 => {
                        Some((b'A' + j as u8) as char)
                    }
                    _ => None,
                };
                let cc_ok = |e: &super::lc::Emb| l.cc.is_none_or(|c| c == e.color_code);
                match emb {
                    Some((e, fixed)) if cc_ok(&e) && (letter.is_some() || fixed <= 1) => {
                        b.voice_letter = letter.or(Some('?'));
                        b.bits_checked += 16;
                        b.bit_errors += fixed;
                        b.fec_ok = true;
                        if let Some(Some((bytes, fixed))) = l.emb_lc[parity].push(e.lcss, &embedded)
                        {
                            b.embedded_lc = Some(super::burst::FullLc::from_bytes(&bytes));
                            let _ = fixed;
                        }
                        b.emb = Some((e, fixed));
                        l.last_good = k;
                        if letter == Some('F') {
                            l.superframe[parity] = None;
                        }
                        let (voc, _) = super::lc::split_voice(&bits);
                        b.nvoc_frames = Some(super::lc::classify_voice(&voc));
                    }
                    _ => {
                        if letter.is_some() {
                            self.stats.emb_failed += 1;
                        }
                        // Nothing recognisable in this cell (the other slot idle, or noise).
                        if letter == Some('F') {
                            l.superframe[parity] = None;
                        }
                        return;
                    }
                }
            }
        }
        if let Some(d) = &b.data {
            if d.check.is_some() {
                l.cc = Some(d.color_code);
            }
        }
        if b.sync.is_some_and(|s| !s.is_data()) {
            let (voc, _) = super::lc::split_voice(&self.hard_bits(burst0, 132, sps, l.pol));
            b.nvoc_frames = Some(super::lc::classify_voice(&voc));
        }
        self.emit(b, sps, out);
    }

    /// Hard bits of `n` symbols from absolute position `t0`.
    fn hard_bits(&self, t0: f64, n: usize, sps: f64, pol: f32) -> Vec<u8> {
        let (dc, g) = self.levels;
        let mut bits = Vec::with_capacity(2 * n);
        for s in 0..n {
            let v = (pol * self.at(t0 + s as f64 * sps) - dc) / g.max(1e-30) * 3.0;
            let (b0, b1) = decide(v);
            bits.push(b0);
            bits.push(b1);
        }
        bits
    }

    /// Slice and decode the burst whose sync ends (or would end) at `mhat` (absolute,
    /// fractional); with a sync, the levels are learned from it, else the running levels are
    /// used. `t_s` of the result holds the absolute position of symbol 0 until [`Self::emit`]
    /// converts it.
    fn slice(&mut self, mhat: f64, kind: Option<SyncKind>, pol: f32, l: Option<&Lock>) -> RxBurst {
        let sps = l.map(|l| self.sps_of(l)).unwrap_or(self.sps);
        let first = mhat - SYNC_END as f64 * sps;
        let mut v = [0f32; 132];
        for (s, o) in v.iter_mut().enumerate() {
            *o = pol * self.at(first + s as f64 * sps);
        }
        let mut errs = 0;
        let (dc, g) = match kind {
            Some(kind) => {
                // Levels from the sync: v = dc + g·p.
                let p = pattern_symbols(kind);
                let sv = &v[54..78];
                let (vm, pm) = (sv.iter().sum::<f32>() / 24.0, p.iter().sum::<f32>() / 24.0);
                let den: f32 = p.iter().map(|b| (b - pm) * (b - pm)).sum();
                let g = sv
                    .iter()
                    .zip(&p)
                    .map(|(a, b)| (a - vm) * (b - pm))
                    .sum::<f32>()
                    / den;
                let dc = vm - g * pm;
                let (dc, g) = if g > 0.0 { (dc, g) } else { self.levels };
                for (x, q) in sv.iter().zip(&p) {
                    errs += ((x - dc > 0.0) != (*q > 0.0)) as u32;
                }
                if g > 0.0 && errs <= 2 {
                    self.levels = (dc, g);
                }
                (dc, g)
            }
            None => self.levels,
        };
        let mut bits = Vec::with_capacity(264);
        for &x in v.iter() {
            let (b0, b1) = decide((x - dc) / g.max(1e-30) * 3.0);
            bits.push(b0);
            bits.push(b1);
        }
        let data = match kind {
            Some(k) if k.is_data() && k != SyncKind::MsRc => decode_data_burst(&bits),
            _ => None,
        };
        RxBurst {
            t_s: first,
            slot: None,
            sync: kind,
            voice_letter: None,
            sync_errors: errs,
            fec_ok: data.as_ref().is_some_and(|d| d.check.is_some())
                || kind.is_some_and(|k| !k.is_data()),
            data,
            emb: None,
            embedded_lc: None,
            tact: None,
            short_lc: None,
            nvoc_frames: None,
            bits_checked: 0,
            bit_errors: 0,
            inverted: pol < 0.0,
            metrics: BurstMetrics::default(),
            eye: None,
        }
    }

    /// Measure, count and report a burst whose `t_s` still holds its absolute start position.
    fn emit(&mut self, mut b: RxBurst, sps: f64, out: &mut Vec<RxBurst>) {
        let first = b.t_s;
        let pol = if b.inverted { -1.0f32 } else { 1.0 };
        // Reference symbols: the re-encoded burst where it validated, else the sync (voice A)
        // or nothing (decisions then).
        let mut reference: [Option<i8>; 132] = [None; 132];
        let valid_data = b.data.as_ref().filter(|d| d.check.is_some());
        if let (Some(d), Some(kind)) = (valid_data, b.sync) {
            let re = super::burst::data_burst(d.color_code, d.data_type, &d.pdu, kind);
            let rs = bits_to_symbols(&re);
            for (r, s) in reference.iter_mut().zip(rs) {
                *r = Some(s);
            }
        } else if let Some(kind) = b.sync {
            let ps = bits_to_symbols(&u64_to_bits(kind.pattern(), 48));
            for (i, s) in ps.into_iter().enumerate() {
                reference[54 + i] = Some(s);
            }
        }
        let v_dec: Vec<f32> = (0..132)
            .map(|s| pol * self.at(first + s as f64 * sps))
            .collect();
        // Bit errors against the reference.
        let (dc0, g0) = self.levels;
        for (s, r) in reference.iter().enumerate() {
            if let Some(r) = r {
                let (b0, b1) = decide((v_dec[s] - dc0) / g0.max(1e-30) * 3.0);
                let want = super::tx::symbol_dibit(*r);
                b.bits_checked += 2;
                b.bit_errors += (b0 != want.0) as u32 + (b1 != want.1) as u32;
            }
        }
        // Fit v = dc + (g/3)·s over the reference (or decisions), on the measurement path.
        let v: Vec<f32> = (0..132)
            .map(|s| pol * self.at_w(first + s as f64 * sps))
            .collect();
        let syms: Vec<f32> = reference
            .iter()
            .zip(&v_dec)
            .map(|(r, &x)| match r {
                Some(s) => *s as f32,
                None => level_of((x - dc0) / g0.max(1e-30) * 3.0),
            })
            .collect();
        let n = 132.0f32;
        let (sm, vm) = (syms.iter().sum::<f32>() / n, v.iter().sum::<f32>() / n);
        let sxx: f32 = syms.iter().map(|s| (s - sm) * (s - sm)).sum();
        let k = syms
            .iter()
            .zip(&v)
            .map(|(s, x)| (s - sm) * (x - vm))
            .sum::<f32>()
            / sxx.max(1e-30);
        let g = 3.0 * k;
        let dc = vm - k * sm;
        let resid = (syms
            .iter()
            .zip(&v)
            .map(|(s, x)| (x - dc - k * s).powi(2))
            .sum::<f32>()
            / n)
            .sqrt();
        let iq = self.iq();
        let mut m = BurstMetrics {
            dc_rel: (dc / g) as f64,
            fsk_error_pct: (100.0 * resid / g) as f64,
            ..Default::default()
        };
        if iq {
            // In the capture's frequency axis (a spectrally inverted input has pol −1): the
            // discriminator's DC plus the AFC shift the burst was received with.
            let shift = self.afc_at(first + 66.0 * sps) as f64;
            m.freq_error_hz = Some((pol * dc) as f64 + shift);
            if valid_data.is_some() || b.fec_ok {
                self.afc_request = Some(0.5 * (pol * dc) as f64);
            }
            m.deviation_hz = Some(g as f64);
            let mags: Vec<f32> = (0..132)
                .map(|s| self.mag_at(first + s as f64 * sps))
                .collect();
            let mm = mags.iter().sum::<f32>() / n;
            let mv = (mags.iter().map(|a| (a - mm).powi(2)).sum::<f32>() / n).sqrt();
            let p = mags.iter().map(|a| a * a).sum::<f32>() / n;
            m.mag_error_pct = Some((100.0 * mv / mm.max(1e-30)) as f64);
            m.rssi_dbfs = Some(10.0 * (p.max(1e-30) as f64).log10());
        }
        b.metrics = m;
        if self.keep_eye && k > 0.0 {
            b.eye = Some(
                (0..132 * 8)
                    .map(|i| (pol * self.at_w(first + i as f64 / 8.0 * sps) - dc) / k)
                    .collect(),
            );
        }
        let good = valid_data.is_some() || b.fec_ok;
        b.t_s = first / self.fs - self.delay_s + self.time_offset_s;
        let st = &mut self.stats;
        st.bursts += 1;
        match (&b.data, b.sync) {
            (Some(d), _) if d.check.is_some() => st.data_valid += 1,
            (Some(_), _) => st.data_failed += 1,
            _ => st.voice += 1,
        }
        st.bits_checked += b.bits_checked as u64;
        st.bit_errors += b.bit_errors as u64;
        if good && g > 0.0 {
            st.metric_bursts += 1;
            st.sum_fsk2 += m.fsk_error_pct.powi(2);
            if let (Some(f), Some(d)) = (m.freq_error_hz, m.deviation_hz) {
                st.sum_freq_hz += f;
                st.sum_dev_hz += d;
            }
            if let (Some(me), Some(r)) = (m.mag_error_pct, m.rssi_dbfs) {
                st.sum_mag2 += me * me;
                st.sum_power += 10f64.powf(r / 10.0);
            }
        }
        out.push(b);
    }
}

/// Mean and root of the summed squared deviations of 24 values.
fn spread(v: &[f32; 24]) -> (f32, f32) {
    let mean = v.iter().sum::<f32>() / 24.0;
    let e = v
        .iter()
        .map(|x| (x - mean) * (x - mean))
        .sum::<f32>()
        .sqrt();
    (mean, e)
}

/// `y` at fractional index `t` by 4-point cubic (Lagrange) interpolation: linear interpolation
/// would read the symbol peaks up to ~1 % low at 10 samples per symbol.
fn cubic(y: &[f32], t: f64) -> Option<f32> {
    let i = t.floor();
    let f = (t - i) as f32;
    let i = i as isize;
    if i < 1 || i as usize + 2 >= y.len() {
        return y.get(i.max(0) as usize).copied();
    }
    let i = i as usize;
    let (a, b, c, d) = (y[i - 1], y[i], y[i + 1], y[i + 2]);
    Some(
        b + f
            * ((c - a) / 2.0
                + f * ((2.0 * a - 5.0 * b + 4.0 * c - d) / 2.0
                    + f * (3.0 * (b - c) + d - a) / 2.0)),
    )
}

/// Hard decision of a value in symbol units (±1, ±3) → dibit.
fn decide(v: f32) -> (u8, u8) {
    if v >= 2.0 {
        (0, 1)
    } else if v >= 0.0 {
        (0, 0)
    } else if v >= -2.0 {
        (1, 0)
    } else {
        (1, 1)
    }
}

/// The nearest symbol level.
fn level_of(v: f32) -> f32 {
    if v >= 2.0 {
        3.0
    } else if v >= 0.0 {
        1.0
    } else if v >= -2.0 {
        -1.0
    } else {
        -3.0
    }
}

/// Decode a whole buffer of discriminator audio (convenience for tests and tools).
pub fn decode_audio(x: &[f32], fs: f64) -> Result<Vec<RxBurst>, DspError> {
    let mut rx = PdtReceiver::new(PdtInput::Audio { fs })?;
    let mut out = Vec::new();
    rx.process_audio(x, &mut out);
    rx.finish(&mut out);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdt::burst::{data_burst, IDLE_INFO};
    use crate::pdt::traffic::bs_outbound;
    use crate::pdt::tx::{frequency_track, modulate, TxChannel};

    #[test]
    fn audio_at_any_rate_from_4_samples_per_symbol() {
        let (bits, sent) = bs_outbound(3, Standard::Dmr, &[], 60, Some(5));
        let syms = bits_to_symbols(&bits);
        for fs in [44_100.0, 22_050.0, 96_000.0] {
            // Discriminator audio at an arbitrary scale with a DC offset.
            let x: Vec<f32> = frequency_track(&syms, fs, SYMBOL_RATE, 1.0)
                .iter()
                .map(|v| 0.3 - v / 5000.0)
                .collect();
            let got = decode_audio(&x, fs).unwrap();
            assert!(
                got.len() + 1 >= sent.len(),
                "{fs}: {} of {}",
                got.len(),
                sent.len()
            );
            assert!(got.iter().all(|b| b.fec_ok && b.inverted), "{fs}");
            assert!(got.iter().all(|b| b.data.as_ref().unwrap().color_code == 3));
        }
        assert!(decode_audio(&[0.0; 100], 16_000.0).is_err());
    }

    #[test]
    fn direct_mode_slots_come_from_the_sync() {
        // Two radios in direct mode (no CACH: 12 symbols of guard), TS1 and TS2 alternating.
        let mut bits = Vec::new();
        for i in 0..40 {
            bits.extend([0u8; 24]);
            let sync = if i % 2 == 0 {
                SyncKind::DmTs1Data
            } else {
                SyncKind::DmTs2Data
            };
            bits.extend(data_burst(6, 9, &IDLE_INFO, sync));
        }
        let x = frequency_track(&bits_to_symbols(&bits), 48_000.0, SYMBOL_RATE, 1.0);
        let got = decode_audio(&x, 48_000.0).unwrap();
        assert!(got.len() >= 39);
        for b in &got {
            let want = if b.sync == Some(SyncKind::DmTs1Data) {
                1
            } else {
                2
            };
            assert_eq!(b.slot, Some(want));
            assert!(b.tact.is_none() && b.fec_ok);
        }
    }

    #[test]
    fn a_gap_drops_the_lock_and_decoding_resumes() {
        let (bits, _) = bs_outbound(1, Standard::Pdt, &[], 100, None);
        let ch = TxChannel::default();
        let x = modulate(&bits, &ch);
        let mut rx = PdtReceiver::new(PdtInput::Iq {
            fs: 48_000.0,
            offset_hz: 0.0,
        })
        .unwrap();
        let mut out = Vec::new();
        let half = x.len() / 2;
        rx.process_iq(&x[..half], &mut out);
        let before = out.len();
        // 0.1 s lost between the two halves (the samples are simply missing).
        rx.gap(0.1);
        rx.process_iq(&x[half + 4800..], &mut out);
        rx.finish(&mut out);
        assert_eq!(rx.stats.sync_losses, 1);
        assert!(out.len() > before + 40, "{} then {}", before, out.len());
        // Times after the gap stay on the true time axis.
        // Up to the last burst, which ends 8 symbols before the signal does.
        let t = out.last().unwrap().t_s;
        let want = (8 + 144 * 99 + 12) as f64 / SYMBOL_RATE;
        assert!((t - want).abs() < 1e-3, "{t} vs {want}");
    }
}
