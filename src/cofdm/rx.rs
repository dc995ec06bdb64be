//! The COFDM receiver: acquisition, per-symbol FFT, pilot tracking of carrier phase and
//! sampling clock, channel estimation, TPS, and the decoding chain. Streaming: feed any number
//! of samples at a time.

use super::chain::{Chain, EqSymbol, TsPacket};
use super::metrics::{Metrics, Summary};
use super::params::{elementary_rate_hz, Guard, Mode, TxParams};
use super::pilots::{Layout, PILOT_BOOST};
use super::pipeline::Decoder;
use super::sync::{detect, fft_at, integer_cfo, pilot_phase, CpPeak};
use super::tps::{self, Tps};
use linkscope_dsp::resample::Resampler;
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::collections::VecDeque;
use std::f64::consts::PI;
use std::sync::Arc;

/// Receiver settings.
#[derive(Debug, Clone)]
pub struct RxConfig {
    /// Input sample rate.
    pub fs_hz: f64,
    /// Channel bandwidth (None: 7/8 of the input rate, i.e. the input is at the elementary rate).
    pub bw_hz: Option<f64>,
    /// Largest carrier offset searched, Hz (at least 3 carrier spacings are searched). The
    /// default, 50 kHz, covers a ±100 ppm receiver at 340 MHz with room to spare: narrow 8K
    /// links have carrier spacings of a few hundred Hz, so an SDR's tuning error alone is
    /// dozens of spacings there.
    pub max_cfo_hz: f64,
    /// Threads: 1 decodes inline; 2 (the default on a machine with two or more cores) runs
    /// the demapping, Viterbi and RS chain on a second thread, beside sync and equalisation.
    pub threads: usize,
}

impl RxConfig {
    pub fn new(fs_hz: f64, bw_hz: Option<f64>) -> RxConfig {
        RxConfig {
            fs_hz,
            bw_hz,
            max_cfo_hz: 50e3,
            threads: std::thread::available_parallelism()
                .map(|n| n.get().min(2))
                .unwrap_or(1),
        }
    }
}

/// Why the receiver cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum RxError {
    #[error("sample rate {0} Hz: expected a positive rate")]
    Rate(f64),
    #[error(
        "bandwidth {bw_hz} Hz needs at least {need_hz:.0} S/s (8·BW/7); the input has {fs_hz:.0}"
    )]
    TooNarrow {
        bw_hz: f64,
        need_hz: f64,
        fs_hz: f64,
    },
}

/// Samples wanted before acquisition is tried (10 symbols of 8K at GI 1/4).
const ACQ_SAMPLES: usize = 10 * 10240;
/// Symbols FFT'd for the integer offset and the pilot phase.
const ACQ_SYMBOLS: usize = 6;
/// Below this CP correlation there is no OFDM.
const MIN_RHO: f32 = 0.25;

struct ComplexResampler {
    i: Resampler,
    q: Resampler,
    re: Vec<f32>,
    im: Vec<f32>,
    oi: Vec<f32>,
    oq: Vec<f32>,
}

impl ComplexResampler {
    fn new(fs_in: f64, fs_out: f64) -> Option<ComplexResampler> {
        let pass = 0.43 * fs_out;
        let stop = (fs_in.min(fs_out) - pass).min(0.6 * fs_out);
        Some(ComplexResampler {
            i: Resampler::new(fs_in, fs_out, pass, stop).ok()?,
            q: Resampler::new(fs_in, fs_out, pass, stop).ok()?,
            re: Vec::new(),
            im: Vec::new(),
            oi: Vec::new(),
            oq: Vec::new(),
        })
    }
    fn process(&mut self, x: &[Complex32], out: &mut Vec<Complex32>) {
        self.re.clear();
        self.im.clear();
        self.re.extend(x.iter().map(|c| c.re));
        self.im.extend(x.iter().map(|c| c.im));
        let m = self.i.max_output_len(x.len());
        self.oi.resize(m, 0.0);
        self.oq.resize(m, 0.0);
        let a = self.i.process(&self.re, &mut self.oi);
        let b = self.q.process(&self.im, &mut self.oq);
        out.extend((0..a.min(b)).map(|k| Complex32::new(self.oi[k], self.oq[k])));
    }
}

/// Taps on each side of a windowed-sinc interpolation point.
const INTERP_TAPS: usize = 8;
const INTERP_PHASES: usize = 128;

/// Band-limited interpolation at fractional positions (Blackman-windowed sinc, 16 taps, 128
/// phases): the sampling-clock correction.
struct Interpolator {
    table: Vec<f32>,
}

impl Interpolator {
    fn new() -> Interpolator {
        let taps = 2 * INTERP_TAPS;
        let mut table = vec![0f32; INTERP_PHASES * taps];
        for p in 0..INTERP_PHASES {
            let f = p as f64 / INTERP_PHASES as f64;
            for j in 0..taps {
                // Tap j multiplies x[i0 − TAPS + 1 + j]; its distance from the point is u.
                let u = j as f64 - (INTERP_TAPS as f64 - 1.0) - f;
                let sinc = if u.abs() < 1e-12 {
                    1.0
                } else {
                    (PI * u).sin() / (PI * u)
                };
                let w = 0.42
                    + 0.5 * (PI * u / INTERP_TAPS as f64).cos()
                    + 0.08 * (2.0 * PI * u / INTERP_TAPS as f64).cos();
                table[p * taps + j] = (sinc * w) as f32;
            }
        }
        Interpolator { table }
    }

    /// x at fractional index t (needs TAPS samples either side).
    #[inline]
    fn at(&self, x: &[Complex32], t: f64) -> Complex32 {
        let i0 = t.floor() as usize;
        let p = (((t - t.floor()) * INTERP_PHASES as f64).round() as usize).min(INTERP_PHASES - 1);
        let taps = 2 * INTERP_TAPS;
        let h = &self.table[p * taps..(p + 1) * taps];
        let xs = &x[i0 + 1 - INTERP_TAPS..i0 + 1 + INTERP_TAPS];
        let mut acc = Complex32::default();
        for (a, &b) in xs.iter().zip(h.iter()) {
            acc += a * b;
        }
        acc
    }
}

/// f(k, e^{j(ph0 + k·step)}) for k = 0…n−1, the phasor advanced by multiplication
/// (re-anchored every 64 carriers so rounding cannot accumulate).
fn ramp(n: usize, ph0: f64, step: f64, mut f: impl FnMut(usize, Complex32)) {
    let st = Complex32::new(step.cos() as f32, step.sin() as f32);
    let mut r = Complex32::default();
    for k in 0..n {
        if k % 64 == 0 {
            let ph = ph0 + step * k as f64;
            r = Complex32::new(ph.cos() as f32, ph.sin() as f32);
        }
        f(k, r);
        r *= st;
    }
}

/// State once the mode and timing are known.
struct Track {
    mode: Mode,
    guard: Guard,
    layout: Layout,
    n: usize,
    ns: usize,
    fft: Arc<dyn Fft<f32>>,
    fftbuf: Vec<Complex32>,
    win: Vec<Complex32>,
    scratch: Vec<Complex32>,
    /// Carrier offset, cycles per sample (NCO), and the loop's phase.
    cfo: f64,
    theta: f64,
    nco_phase: f64,
    nco_at: f64,
    /// Absolute sample position of the next symbol's useful part, and the clock offset.
    pos: f64,
    xi: f64,
    backoff: usize,
    /// Symbols processed; scattered-pilot phase of the next one.
    count: u64,
    phase4: usize,
    cp_ref: Vec<Complex32>,
    /// Carrier and timing loops have settled (symbols before are used for training only).
    settled: bool,
    calm: u32,
    early: VecDeque<(u64, usize, Vec<Complex32>)>,
    pulled: bool,
    hs: Vec<Complex32>,
    hs_n: Vec<u32>,
    h: Vec<Complex32>,
    y: Vec<Complex32>,
    prev_tps: Vec<Complex32>,
    tps_bits: VecDeque<u8>,
    /// Symbol count of the first symbol of superframe relative numbering: l_sf(count) = (count − sf_base) mod 272.
    sf_base: Option<i64>,
    /// Start sample of every symbol by count (for superframe start positions).
    starts: VecDeque<(u64, f64)>,
    pending: VecDeque<(u64, usize, Vec<Complex32>, Vec<f32>)>,
    chain: Option<Decoder>,
    threaded: bool,
    /// Packets flushed from a chain that was replaced (the parameters changed).
    held: Vec<TsPacket>,
    carriers: [Arc<Vec<usize>>; 4],
    tps: Option<Tps>,
    cell_hi: Option<u8>,
    cell_lo: Option<u8>,
    tps_ok: u64,
    tps_failed: u64,
}

/// The receiver.
pub struct CofdmReceiver {
    cfg: RxConfig,
    fs_e: f64,
    bw_hz: f64,
    resampler: Option<ComplexResampler>,
    buf: Vec<Complex32>,
    buf_abs: u64,
    track: Option<Box<Track>>,
    acq_failed: u32,
    planner: FftPlanner<f32>,
    interp: Interpolator,
    pub metrics: Metrics,
    finished: bool,
    /// Packets flushed at a gap in the input, handed out with the next call.
    held: Vec<TsPacket>,
    /// The input's spectrum is mirrored: samples are conjugated on the way in.
    inverted: bool,
}

fn wrap(x: f64) -> f64 {
    (x + PI).rem_euclid(2.0 * PI) - PI
}

impl CofdmReceiver {
    pub fn new(cfg: RxConfig) -> Result<CofdmReceiver, RxError> {
        if !(cfg.fs_hz.is_finite() && cfg.fs_hz > 0.0) {
            return Err(RxError::Rate(cfg.fs_hz));
        }
        let bw = cfg.bw_hz.unwrap_or(cfg.fs_hz * 7.0 / 8.0);
        let fs_e = elementary_rate_hz(bw);
        let resampler = if (cfg.fs_hz - fs_e).abs() / fs_e > 1e-6 {
            if cfg.fs_hz < fs_e * 0.999 {
                return Err(RxError::TooNarrow {
                    bw_hz: bw,
                    need_hz: fs_e,
                    fs_hz: cfg.fs_hz,
                });
            }
            ComplexResampler::new(cfg.fs_hz, fs_e)
        } else {
            None
        };
        Ok(CofdmReceiver {
            metrics: Metrics::new(fs_e, bw),
            cfg,
            fs_e,
            bw_hz: bw,
            resampler,
            buf: Vec::new(),
            buf_abs: 0,
            track: None,
            acq_failed: 0,
            planner: FftPlanner::new(),
            interp: Interpolator::new(),
            finished: false,
            held: Vec::new(),
            inverted: false,
        })
    }

    /// Elementary sample rate the receiver works at.
    pub fn elementary_rate_hz(&self) -> f64 {
        self.fs_e
    }

    /// Feed samples (any number); decoded TS packets are appended to `out`.
    pub fn process(&mut self, x: &[Complex32], out: &mut Vec<TsPacket>) {
        // In blocks: the buffer stays small however much is given at once.
        for block in x.chunks(1 << 16) {
            self.process_block(block, out);
        }
    }

    fn process_block(&mut self, x: &[Complex32], out: &mut Vec<TsPacket>) {
        let clean = |c: &Complex32| {
            if c.re.is_finite() && c.im.is_finite() {
                *c
            } else {
                Complex32::default()
            }
        };
        self.metrics.input(x);
        let before = out.len();
        out.append(&mut self.held);
        let start = self.buf.len();
        match &mut self.resampler {
            Some(r) => {
                let tmp: Vec<Complex32> = x.iter().map(clean).collect();
                r.process(&tmp, &mut self.buf);
            }
            None => self.buf.extend(x.iter().map(clean)),
        }
        if self.inverted {
            self.buf[start..].iter_mut().for_each(|c| *c = c.conj());
        }
        self.run(out, false);
        if let Some(t) = &mut self.track {
            out.append(&mut t.held);
            if let Some(c) = &mut t.chain {
                c.poll(out);
            }
        }
        self.metrics.packets(&out[before..]);
    }

    /// Complex baseband (the same as [`CofdmReceiver::process`]).
    pub fn process_iq(&mut self, x: &[Complex32], out: &mut Vec<TsPacket>) {
        self.process(x, out)
    }

    /// Real input cannot carry COFDM: counted, nothing decoded.
    pub fn process_audio(&mut self, a: &[f32], _out: &mut Vec<TsPacket>) {
        self.metrics.real_samples += a.len() as u64;
    }

    /// Samples lost by a live input: the symbol timing is gone, acquire again.
    pub fn gap(&mut self, _seconds: f64) {
        if let Some(t) = &mut self.track {
            self.held.append(&mut t.held);
            if let Some(c) = &mut t.chain {
                c.finish(&mut self.held);
            }
        }
        self.track = None;
        self.buf_abs += self.buf.len() as u64;
        self.buf.clear();
        self.metrics.gaps += 1;
    }

    /// End of input.
    pub fn finish(&mut self, out: &mut Vec<TsPacket>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let before = out.len();
        out.append(&mut self.held);
        self.run(out, true);
        if let Some(t) = &mut self.track {
            out.append(&mut t.held);
            if let Some(c) = &mut t.chain {
                c.finish(out);
            }
        }
        self.metrics.packets(&out[before..]);
    }

    fn run(&mut self, out: &mut Vec<TsPacket>, last: bool) {
        loop {
            if self.track.is_none() {
                if self.buf.len() < ACQ_SAMPLES && !last {
                    return;
                }
                if !self.acquire() {
                    // Keep the newest half and try again later.
                    let keep = ACQ_SAMPLES / 2;
                    if self.buf.len() > keep {
                        let drop = self.buf.len() - keep;
                        self.buf.drain(..drop);
                        self.buf_abs += drop as u64;
                    }
                    return;
                }
            }
            let Some(t) = self.track.as_mut() else {
                return;
            };
            // Clock offset drifting the window by more than 1/50 sample over a symbol: sample
            // the window by interpolation at the receiver's estimate of the transmit clock.
            let resample = (t.xi * t.n as f64).abs() > 0.02;
            let margin = if resample { INTERP_TAPS } else { 0 };
            let ws = t.pos.floor() as i64 - t.backoff as i64 - margin as i64;
            let rel = ws - self.buf_abs as i64;
            if rel < 0 {
                // Timing moved before the buffer (cannot happen in practice): skip a symbol.
                t.pos += t.ns as f64;
                continue;
            }
            let rel = rel as usize;
            let span = t.n
                + if resample {
                    (t.n as f64 * t.xi.abs()).ceil() as usize + 2 * INTERP_TAPS
                } else {
                    0
                };
            if rel + span > self.buf.len() {
                if last && self.buf.len() > rel {
                    self.metrics.cut_symbol = true;
                }
                // Drop what no window needs any more.
                if rel > 1 << 16 {
                    let drop = (rel - 64).min(self.buf.len());
                    self.buf.drain(..drop);
                    self.buf_abs += drop as u64;
                }
                return;
            }
            let pos = t.pos;
            let frac = if resample {
                let t0 = pos - t.backoff as f64 - ws as f64;
                let step = 1.0 + t.xi;
                let src = &self.buf[rel..rel + span];
                for (i, o) in t.win.iter_mut().enumerate() {
                    *o = self.interp.at(src, t0 + i as f64 * step);
                }
                0.0
            } else {
                t.win.copy_from_slice(&self.buf[rel..rel + t.n]);
                pos - pos.floor()
            };
            Self::symbol(t, pos, frac, self.fs_e, &mut self.metrics, out);
        }
    }

    /// Try to find an OFDM signal in the buffer; true when tracking starts.
    fn acquire(&mut self) -> bool {
        let x = &self.buf;
        let Some(peak) = detect(x, &Mode::ALL, &Guard::ALL) else {
            self.acq_failed += 1;
            return false;
        };
        self.metrics.cp_rho = self.metrics.cp_rho.max(peak.rho);
        if peak.rho < MIN_RHO {
            self.acq_failed += 1;
            return false;
        }
        if let Some(t) = self.start_tracking(peak) {
            self.track = Some(Box::new(t));
            return true;
        }
        // OFDM but no pilots where they belong: the spectrum may be mirrored (I and Q swapped
        // before us). The conjugate has the opposite fractional offset.
        self.flip_spectrum();
        let mirrored = CpPeak {
            frac_cfo: -peak.frac_cfo,
            ..peak
        };
        if let Some(t) = self.start_tracking(mirrored) {
            self.track = Some(Box::new(t));
            return true;
        }
        self.flip_spectrum();
        self.acq_failed += 1;
        false
    }

    /// Conjugate the buffered samples and everything that follows.
    fn flip_spectrum(&mut self) {
        self.buf.iter_mut().for_each(|c| *c = c.conj());
        self.inverted = !self.inverted;
        self.metrics.spectrum_inverted = self.inverted;
    }

    fn start_tracking(&mut self, p: CpPeak) -> Option<Track> {
        let mode = p.mode;
        let n = mode.fft_len();
        let g = p.guard.samples(mode);
        let ns = n + g;
        let layout = Layout::new(mode);
        let fft = self.planner.plan_fft_forward(n);
        let mut scratch = vec![Complex32::default(); fft.get_inplace_scratch_len()];
        let backoff = (g / 8).min(32);
        // The first symbol that carries signal (a capture may begin with noise or silence).
        let energy = |st: usize| -> f32 { self.buf[st..st + n].iter().map(|c| c.norm_sqr()).sum() };
        let starts: Vec<usize> = (0..)
            .map(|s| p.cp_start + g + s * ns)
            .take_while(|&st| st + n <= self.buf.len())
            .collect();
        let peak = starts.iter().map(|&st| energy(st)).fold(0.0, f32::max);
        let first = starts
            .iter()
            .copied()
            .find(|&st| energy(st) > 0.3 * peak)
            .unwrap_or(p.cp_start + g);
        let frac = p.frac_cfo as f64 / n as f64;
        let mut ffts = Vec::new();
        for s in 0..ACQ_SYMBOLS {
            let st = first + s * ns - backoff;
            if st + n > self.buf.len() {
                break;
            }
            let mut o = vec![Complex32::default(); n];
            fft_at(&fft, &self.buf, st, frac, &mut o, &mut scratch);
            ffts.push(o);
        }
        if ffts.len() < 3 {
            return None;
        }
        let spacing = self.fs_e / n as f64;
        let max_shift = ((self.cfg.max_cfo_hz / spacing).ceil() as i32).clamp(3, n as i32 / 8);
        self.metrics.max_cfo_hz = max_shift as f64 * spacing;
        let (shift, score, other) = integer_cfo(&layout, &ffts, max_shift);
        self.metrics.cp_pilot_score = score;
        // The pilots must stand out from what data reaches at the other offsets (a wide search
        // gives data many chances) and from a mirrored spectrum (some continual pilots sit
        // symmetrically: 0.38 measured on 8K). At the lowest C/N that decodes (QPSK 1/2, 3 dB)
        // the boosted pilots still score about 0.75.
        if score < 0.5 || score < 2.0 * other {
            return None;
        }
        // Re-run with the whole offset removed for the pilot phase.
        let cfo = (shift as f64 + p.frac_cfo as f64) / n as f64;
        for (s, o) in ffts.iter_mut().enumerate() {
            let st = first + s * ns - backoff;
            fft_at(&fft, &self.buf, st, cfo, o, &mut scratch);
        }
        let (phase, _) = pilot_phase(&layout, &ffts, 0);
        let k = mode.carriers();
        let carriers = [0, 1, 2, 3].map(|q| Arc::new(layout.data[q].clone()));
        let ncp = layout.continual.len();
        let ntps = layout.tps.len();
        Some(Track {
            mode,
            guard: p.guard,
            n,
            ns,
            fftbuf: vec![Complex32::default(); n],
            win: vec![Complex32::default(); n],
            scratch,
            fft,
            cfo,
            theta: 0.0,
            nco_phase: 0.0,
            nco_at: (self.buf_abs + first as u64) as f64 - backoff as f64,
            pos: (self.buf_abs + first as u64) as f64,
            xi: 0.0,
            backoff,
            count: 0,
            phase4: phase,
            cp_ref: vec![Complex32::default(); ncp],
            settled: false,
            calm: 0,
            early: VecDeque::new(),
            pulled: false,
            hs: vec![Complex32::default(); k / 3 + 1],
            hs_n: vec![0; k / 3 + 1],
            h: vec![Complex32::default(); k],
            y: vec![Complex32::default(); k],
            prev_tps: vec![Complex32::default(); ntps],
            tps_bits: VecDeque::with_capacity(68),
            sf_base: None,
            starts: VecDeque::new(),
            pending: VecDeque::new(),
            chain: None,
            threaded: self.cfg.threads > 1,
            held: Vec::new(),
            carriers,
            layout,
            tps: None,
            cell_hi: None,
            cell_lo: None,
            tps_ok: 0,
            tps_failed: 0,
        })
    }

    /// One OFDM symbol: `w` is the FFT window (N samples), `pos` the nominal useful start.
    fn symbol(
        t: &mut Track,
        pos: f64,
        frac: f64,
        fs_e: f64,
        m: &mut Metrics,
        out: &mut Vec<TsPacket>,
    ) {
        let n = t.n;
        let kc = t.mode.centre() as f64;
        let ws = pos.floor() - t.backoff as f64;
        // NCO: phase referenced to absolute sample index.
        let w0 = -2.0 * PI * t.cfo;
        // Continuous NCO phase: advance from the previous window start.
        t.nco_phase = wrap(t.nco_phase + w0 * (ws - t.nco_at));
        t.nco_at = ws;
        let ph0 = t.nco_phase - t.theta;
        let step = Complex32::new(w0.cos() as f32, w0.sin() as f32);
        for (i, (o, x)) in t.fftbuf.chunks_mut(256).zip(t.win.chunks(256)).enumerate() {
            let ph = ph0 + w0 * (256 * i) as f64;
            let mut c = Complex32::new(ph.cos() as f32, ph.sin() as f32);
            for (o, &x) in o.iter_mut().zip(x.iter()) {
                *o = x * c;
                c *= step;
            }
        }
        t.fft.process_with_scratch(&mut t.fftbuf, &mut t.scratch);
        // Fractional timing compensation (window early by frac): multiply by e^{+j2π kk frac/N}.
        let scale = 1.0 / (n as f32).sqrt();
        // The back-off is removed too, so a direct path leaves a flat channel (no phase ramp
        // for the frequency interpolation to get wrong).
        let slope = 2.0 * PI * (frac + t.backoff as f64) / n as f64;
        let nk = t.mode.carriers();
        ramp(nk, -kc * slope, slope, |k, r| {
            t.y[k] = t.fftbuf[t.layout.bin(k)] * r * scale
        });
        // Continual pilots: common phase and timing slope against the reference.
        let first = t.count == 0;
        let (mut sw, mut swk, mut swkk, mut swp, mut swkp) = (0f64, 0f64, 0f64, 0f64, 0f64);
        let mut cpe = Complex32::default();
        if !first {
            for (i, &k) in t.layout.continual.iter().enumerate() {
                cpe += t.y[k] * t.layout.ref_sign[k] * t.cp_ref[i].conj();
            }
            let a0 = cpe.arg() as f64;
            let rot = Complex32::new(a0.cos() as f32, -a0.sin() as f32);
            for (i, &k) in t.layout.continual.iter().enumerate() {
                let d = t.y[k] * t.layout.ref_sign[k] * t.cp_ref[i].conj() * rot;
                let wgt = d.norm() as f64;
                let kk = k as f64 - kc;
                let p = d.arg() as f64;
                sw += wgt;
                swk += wgt * kk;
                swkk += wgt * kk * kk;
                swp += wgt * p;
                swkp += wgt * kk * p;
            }
            let det = sw * swkk - swk * swk;
            let (a, b) = if det.abs() > 1e-9 && sw > 0.0 {
                (
                    (swp * swkk - swk * swkp) / det,
                    (sw * swkp - swk * swp) / det,
                )
            } else {
                (0.0, 0.0)
            };
            let phase_err = wrap(a0 + a);
            // Correct this symbol.
            ramp(t.mode.carriers(), -(phase_err - b * kc), -b, |k, r| {
                t.y[k] *= r
            });
            // Loops: carrier phase/frequency and timing/clock.
            t.theta = wrap(t.theta + 0.3 * phase_err);
            t.cfo += 0.03 * phase_err / (2.0 * PI * t.ns as f64);
            let early = -b * n as f64 / (2.0 * PI);
            // Faster while pulling in, then narrower.
            let (kp, ki) = if t.count < 40 {
                (0.5, 0.12)
            } else {
                (0.3, 0.02)
            };
            t.pos += kp * early;
            t.xi += ki * early / t.ns as f64;
            m.track(phase_err, early);
            if !t.settled {
                let calm = early.abs() < 0.05 && phase_err.abs() < 0.05;
                t.calm = if calm { t.calm + 1 } else { 0 };
                t.pulled |= !calm;
                if t.calm >= 6 && t.count >= 10 {
                    t.settled = true;
                    if t.pulled {
                        // The loops were pulling in: estimate the channel afresh from here on.
                        t.hs_n.fill(0);
                    }
                }
            }
            if std::env::var_os("LINKSCOPE_COFDM_DEBUG").is_some() {
                eprintln!(
                    "sym {} pos {:.3} phase_err {:.4} early {:.4} cfo {:.3e} xi {:.3e}",
                    t.count, pos, phase_err, early, t.cfo, t.xi
                );
            }
        }
        // Update the continual-pilot reference (slow).
        for (i, &k) in t.layout.continual.iter().enumerate() {
            let z = t.y[k] * t.layout.ref_sign[k];
            t.cp_ref[i] = if first {
                z
            } else {
                t.cp_ref[i] * 0.9 + z * 0.1
            };
        }
        // Scattered pilots → channel estimate on every third carrier.
        let ph = t.phase4;
        for &k in &t.layout.scattered[ph] {
            let hp = t.y[k] * (t.layout.ref_sign[k] / PILOT_BOOST);
            let j = k / 3;
            t.hs_n[j] += 1;
            let beta = (1.0 / t.hs_n[j] as f32).max(0.25);
            t.hs[j] = t.hs[j] * (1.0 - beta) + hp * beta;
        }
        // TPS: differential BPSK against the previous symbol.
        let mut acc = 0f32;
        for (i, &k) in t.layout.tps.iter().enumerate() {
            let z = t.y[k];
            acc += (z * t.prev_tps[i].conj()).re;
            t.prev_tps[i] = z;
        }
        let count = t.count;
        t.starts.push_back((count, pos));
        while t.starts.len() > 300 {
            t.starts.pop_front();
        }
        if !first {
            t.tps_bits.push_back((acc < 0.0) as u8);
            if t.tps_bits.len() > 68 {
                t.tps_bits.pop_front();
            }
            Self::tps_check(t, m);
        }
        if !t.settled {
            // Keep the corrected symbol: if the loops settle without having had to pull in,
            // it is equalised and decoded then (no symbols lost at the start).
            t.early.push_back((count, ph, t.y.clone()));
            if t.early.len() > 24 {
                t.early.pop_front();
            }
        } else if t.hs_n.iter().all(|&c| c > 0) {
            let kmax = t.mode.carriers() - 1;
            for k in 0..=kmax {
                let j = k / 3;
                let f = (k % 3) as f32 / 3.0;
                t.h[k] = if f == 0.0 {
                    t.hs[j]
                } else {
                    t.hs[j] * (1.0 - f) + t.hs[(j + 1).min(kmax / 3)] * f
                };
            }
            m.channel(&t.h, count);
            if !t.pulled {
                while let Some((c, p, y)) = t.early.pop_front() {
                    let (mut cells, mut csi) = Self::buffers(t);
                    Self::equalise(&t.h, &t.layout.data[p], &y, &mut cells, &mut csi);
                    t.pending.push_back((c, p, cells, csi));
                }
            }
            t.early.clear();
            let (mut cells, mut csi) = Self::buffers(t);
            Self::equalise(&t.h, &t.layout.data[ph], &t.y, &mut cells, &mut csi);
            t.pending.push_back((count, ph, cells, csi));
        }
        // Decode what the frame position and TPS allow.
        Self::drain_pending(t, fs_e, out);
        if t.pending.len() > 300 {
            t.pending.pop_front();
        }
        t.count += 1;
        t.phase4 = (t.phase4 + 1) % 4;
        t.pos += t.ns as f64 * (1.0 + t.xi);
        m.cfo_hz = (t.cfo * fs_e) as f32;
        m.sco_ppm = (t.xi * 1e6) as f32;
        m.symbols = t.count;
        m.mode = Some(t.mode);
        m.guard = Some(t.guard);
    }

    /// Data cells of `y` divided by the channel, and the channel state (|H|², mean 1).
    /// Buffers for one symbol's cells (reused from the chain once it has them).
    fn buffers(t: &mut Track) -> (Vec<Complex32>, Vec<f32>) {
        t.chain.as_mut().map(|c| c.buffers()).unwrap_or_default()
    }

    fn equalise(
        h: &[Complex32],
        carriers: &[usize],
        y: &[Complex32],
        cells: &mut Vec<Complex32>,
        csi: &mut Vec<f32>,
    ) {
        let mean_h: f32 =
            carriers.iter().map(|&k| h[k].norm_sqr()).sum::<f32>() / carriers.len().max(1) as f32;
        cells.clear();
        csi.clear();
        for &k in carriers {
            let p = h[k].norm_sqr();
            cells.push(if p > 0.0 {
                y[k] * h[k].conj() / p
            } else {
                Complex32::default()
            });
            csi.push(p / mean_h.max(1e-12));
        }
    }

    fn tps_check(t: &mut Track, m: &mut Metrics) {
        // s0 (the DBPSK reference) carries no information: 67 bits make a word.
        if t.tps_bits.len() < 67 {
            return;
        }
        let mut bits = [0u8; 68];
        let skip = 68 - t.tps_bits.len();
        for (b, &v) in bits[skip..].iter_mut().zip(t.tps_bits.iter()) {
            *b = v;
        }
        let Ok(tp) = tps::decode(&bits) else {
            if t.sf_base
                .is_some_and(|b| (t.count as i64 - b).rem_euclid(68) == 67)
            {
                t.tps_failed += 1;
                m.tps_failed = t.tps_failed;
            }
            return;
        };
        // The newest bit is s67 of frame tp.frame: this symbol is number 67 of that frame.
        let l_sf = tp.frame as i64 * 68 + 67;
        let base = t.count as i64 - l_sf;
        if tp.mode != t.mode {
            return;
        }
        if (t.count as i64 - base).rem_euclid(4) as usize != t.phase4 {
            // The pilot phase disagrees with the frame position; trust TPS (sync + BCH).
            t.phase4 = ((t.count as i64 - base).rem_euclid(4)) as usize;
        }
        t.sf_base = Some(base);
        t.tps_ok += 1;
        match tp.frame % 2 {
            0 => t.cell_hi = tp.cell_id_byte,
            _ => t.cell_lo = tp.cell_id_byte,
        }
        let params = TxParams {
            mode: tp.mode,
            guard: tp.guard,
            constellation: tp.constellation,
            code_rate: tp.code_rate_hp,
            cell_id: match (t.cell_hi, t.cell_lo) {
                (Some(h), Some(l)) => Some((h as u16) << 8 | l as u16),
                _ => None,
            },
        };
        if tp.hierarchy != 0
            || t.chain.as_ref().is_some_and(|c| {
                c.params().constellation != params.constellation
                    || c.params().code_rate != params.code_rate
            })
        {
            // New parameters: what the old chain holds comes out, then a new chain starts.
            if let Some(mut old) = t.chain.take() {
                old.finish(&mut t.held);
            }
        }
        // Hierarchical modes (separate HP and LP streams) are not decoded: no chain, and the
        // summary says why.
        if t.chain.is_none() && tp.hierarchy == 0 {
            t.chain = Some(Decoder::new(params, t.threaded));
        }
        if let Some(c) = &mut t.chain {
            c.set_cell_id(params.cell_id);
        }
        t.tps = Some(tp);
        m.tps = Some(tp);
        m.cell_id = params.cell_id;
        m.tps_ok = t.tps_ok;
        m.tps_failed = t.tps_failed;
    }

    fn drain_pending(t: &mut Track, fs_e: f64, out: &mut Vec<TsPacket>) {
        let (Some(base), Some(chain)) = (t.sf_base, t.chain.as_mut()) else {
            return;
        };
        let _ = fs_e;
        while let Some((count, ph, cells, csi)) = t.pending.pop_front() {
            let l_sf = (count as i64 - base).rem_euclid(272) as usize;
            let sf_count = count as i64 - l_sf as i64;
            // Start sample of the superframe's first symbol, extrapolated from a known one.
            let (c0, p0) = t.starts.front().copied().unwrap_or((0, 0.0));
            let sf_start = p0 + (sf_count - c0 as i64) as f64 * t.ns as f64 * (1.0 + t.xi);
            let s = EqSymbol {
                l_sf,
                superframe_start_sample: sf_start.round() as i64,
                cells,
                csi,
                carriers: t.carriers[ph].clone(),
            };
            chain.push(s, out);
        }
    }

    /// The results so far.
    pub fn summary(&self) -> Summary {
        let chain = self
            .track
            .as_ref()
            .and_then(|t| t.chain.as_ref())
            .map(|c| (c.stats(), c.params()));
        self.metrics
            .summary(chain, self.track.is_some(), self.bw_hz)
    }

    /// The decoding chain (after TPS lock; with two threads, after [`CofdmReceiver::finish`]).
    pub fn chain(&self) -> Option<&Chain> {
        self.track
            .as_ref()
            .and_then(|t| t.chain.as_ref())
            .and_then(|c| c.chain())
    }
}
