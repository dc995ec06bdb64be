//! MPT 1327 receiver: channel selection → FM discriminator → FFSK → codeword framing → monitor.
//!
//! Framing. The forward control channel is a stream of 128-bit slots, each a CCSC (whose last
//! 16 bits are SYNC) followed by an address or data codeword. The framer searches SYNC (and
//! SYNT for traffic-channel bursts) with at most one bit error; an unlocked candidate is accepted
//! only if the CCSC before it (or the codeword after a burst sync) checks **without** correction,
//! so noise and voice do not produce codewords. Once locked, every slot is read at its expected
//! place and single bit errors are corrected; a slot whose CCSC is out of place (neither the
//! locked CCSC within one bit nor SYNC within two) drops the lock at once (a sync-loss event). Bit polarity (tones swapped) is detected by running a framer on
//! the inverted stream too, and keeping only the one whose lock a second aligned slot confirms;
//! the tone-energy demodulator is indifferent to an inverted discriminator.

use super::codeword::{self, Context, Message, SYNC, SYNT};
use crate::fec::mpt1327_bch::{self, Check};
use linkscope_dsp::ddc::Ddc;
use linkscope_dsp::ffsk::{FfskBit, FfskDemodulator};
use linkscope_dsp::fm::FmDiscriminator;
use linkscope_dsp::{Complex32, DspError};
use serde::Serialize;
use serde_json::{Map, Value};

/// Where in the channel structure a codeword was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// First half of a control-channel slot.
    Ccsc,
    /// Second half of a control-channel slot.
    Address,
    /// After a SYNT (traffic channel) or a lone SYNC (a burst).
    Burst,
}

/// One received codeword.
#[derive(Debug, Clone)]
pub struct Received {
    /// Start time of the codeword from the start of the input, s.
    pub t_s: f64,
    /// The 64 bits as received (before correction).
    pub raw: u64,
    /// The codeword after correction.
    pub word: u64,
    /// Check result.
    pub check: Check,
    /// Position in the channel structure.
    pub position: Position,
    /// Decoded message (meaningful only when the check passed).
    pub message: Message,
    /// Whether the bit stream was inverted (tones swapped).
    pub inverted: bool,
}

impl Received {
    /// Whether the codeword is valid (received clean or corrected).
    pub fn check_ok(&self) -> bool {
        self.check != Check::Failed
    }

    /// JSON line: t_s, hex, type, check_ok, corrected, position and the decoded fields.
    pub fn to_json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("t_s".into(), Value::from((self.t_s * 1e4).round() / 1e4));
        m.insert("hex".into(), Value::from(format!("{:016X}", self.word)));
        m.insert("check_ok".into(), Value::from(self.check_ok()));
        m.insert(
            "corrected".into(),
            Value::from(matches!(self.check, Check::Corrected(_))),
        );
        m.insert(
            "position".into(),
            serde_json::to_value(self.position).unwrap_or(Value::Null),
        );
        if self.check_ok() {
            m.insert("type".into(), Value::from(self.message.kind));
            m.extend(self.message.to_json());
        } else {
            m.insert("type".into(), Value::from("INVALID"));
            m.insert("raw_hex".into(), Value::from(format!("{:016X}", self.raw)));
        }
        m
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Search,
    /// Locked on control-channel slots: bits into the current slot (0 = first address bit).
    Slot {
        bit: u32,
    },
    /// Reading codewords after a burst sync: bits into the codeword, codewords left.
    Burst {
        bit: u32,
        left: u32,
    },
}

/// Codeword framer on one polarity of the bit stream.
#[derive(Debug, Clone)]
struct Framer {
    inverted: bool,
    hist: u128,
    /// Confidence of the last 128 bits, by `seen % 128`.
    conf: [f32; 128],
    seen: u64,
    state: State,
    /// The CCSC this framer locked on: every later slot must start with it (±1 bit) or at
    /// least show SYNC in place, else the slot is misaligned (a bit slip) and the lock is
    /// dropped. Correcting a shifted codeword would otherwise "repair" it into a wrong one —
    /// the code is a shortened cyclic code, so a shifted word is often one bit from another.
    locked_ccsc: u64,
    /// The address codeword of the current slot, held until the next CCSC shows that no bit
    /// slipped during it (raw bits, start time).
    held: Option<(u64, f64)>,
    /// Data codewords expected next in the address position (after ACKT / HEAD).
    pending: Option<(Context, u32)>,
    sync_losses: u32,
    /// Set once a lock has been confirmed by a second aligned CCSC: this framer's polarity
    /// is the right one. Until then its output waits in `unconfirmed`.
    locked_once: bool,
    unconfirmed: Vec<Received>,
}

impl Framer {
    fn new(inverted: bool) -> Framer {
        Framer {
            inverted,
            hist: 0,
            conf: [1.0; 128],
            seen: 0,
            state: State::Search,
            locked_ccsc: 0,
            held: None,
            pending: None,
            sync_losses: 0,
            locked_once: false,
            unconfirmed: Vec::new(),
        }
    }

    fn last64(&self) -> u64 {
        self.hist as u64
    }

    fn context_for_address(&mut self, raw_is_data: bool) -> Context {
        match self.pending {
            Some((ctx, n)) if raw_is_data => {
                self.pending = if n > 1 { Some((ctx, n - 1)) } else { None };
                ctx
            }
            _ => {
                self.pending = None;
                Context::Address
            }
        }
    }

    fn note_follow_ups(&mut self, m: &Message) {
        match m.kind {
            "ACKT" if m.get("qual") == Some(0) => self.pending = Some((Context::Digits, 1)),
            "HEAD" => self.pending = Some((Context::Address, m.get("len").unwrap_or(0) as u32 + 1)),
            _ => {}
        }
    }

    /// Whether correcting bit `pos` of the codeword that ended `back` bits ago is safe: the bit
    /// must be among the four least confident of its word (a 3-error word "corrected" into
    /// another codeword usually flips a confident bit).
    fn safe_correction(&self, pos: u8, back: u64) -> bool {
        let end = self.seen - back;
        let at = |i: u64| self.conf[((end - 64 + i) % 128) as usize];
        let c = at(pos as u64);
        (0..64).filter(|&i| at(i) < c).count() < 4
    }

    /// Check (and, if `correct` and safe, repair) a codeword that ended `back` bits before
    /// the newest bit, and decode it.
    fn make(
        &mut self,
        raw: u64,
        correct: bool,
        position: Position,
        ctx: Context,
        t_s: f64,
        back: u64,
    ) -> Received {
        let (mut word, mut check) = mpt1327_bch::decode(raw, correct);
        if let Check::Corrected(pos) = check {
            if self.seen < 64 + back || !self.safe_correction(pos, back) {
                word = raw;
                check = Check::Failed;
            }
        }
        let ctx = if position == Position::Address {
            self.context_for_address(codeword::field(word, 0, 1) == 0)
        } else {
            ctx
        };
        let message = codeword::decode(word, ctx);
        if check != Check::Failed {
            self.note_follow_ups(&message);
        }
        Received {
            t_s,
            raw,
            word,
            check,
            position,
            message,
            inverted: self.inverted,
        }
    }

    /// At the end of input: a held address codeword had no following CCSC to confirm the
    /// alignment, so it is reported as received (no correction).
    fn flush_held(&mut self, out: &mut Vec<Received>) {
        if let Some((a, ta)) = self.held.take() {
            let r = self.make(a, false, Position::Address, Context::Address, ta, 0);
            out.push(r);
        }
    }

    /// Push one bit; `t_end` is the end time of this bit and `bit_s` one bit's duration.
    fn push(&mut self, bit: u8, confidence: f32, t_end: f64, bit_s: f64, out: &mut Vec<Received>) {
        if self.locked_once {
            self.step(bit, confidence, t_end, bit_s, out);
        } else {
            // Before the polarity is confirmed, slot output is held back: released when a
            // second aligned slot confirms the lock, discarded if the lock drops first. Bursts
            // (after a 0xAAAA preamble) are polarity-safe and go straight out.
            let mut fresh = Vec::new();
            self.step(bit, confidence, t_end, bit_s, &mut fresh);
            for r in fresh {
                if r.position == Position::Burst {
                    out.push(r);
                } else {
                    self.unconfirmed.push(r);
                }
            }
            if self.locked_once {
                out.append(&mut self.unconfirmed);
            } else if self.state == State::Search {
                self.unconfirmed.clear();
            }
        }
    }

    fn step(&mut self, bit: u8, confidence: f32, t_end: f64, bit_s: f64, out: &mut Vec<Received>) {
        let b = (bit ^ self.inverted as u8) as u128;
        self.hist = (self.hist << 1) | b;
        self.conf[(self.seen % 128) as usize] = confidence;
        self.seen += 1;
        let t_cw = t_end - 64.0 * bit_s;
        match self.state {
            State::Search => {
                let last16 = (self.hist & 0xffff) as u16;
                let d_sync = (last16 ^ SYNC).count_ones();
                let d_synt = (last16 ^ SYNT).count_ones();
                // A CCSC is a data codeword (bit 0 = 0): the bit-inverse of a traffic channel's
                // DCSC (which ends in SYNT) also ends in SYNC and checks, but starts with a 1.
                if d_sync <= 1
                    && self.seen >= 64
                    && self.last64() >> 63 == 0
                    && mpt1327_bch::is_valid(self.last64())
                {
                    // A CCSC that checks without correction: lock on the slot structure.
                    let r = self.make(self.last64(), false, Position::Ccsc, Context::Ccsc, t_cw, 0);
                    out.push(r);
                    self.state = State::Slot { bit: 0 };
                    self.locked_ccsc = self.last64();
                } else if (d_sync == 0 || d_synt == 0)
                    && ((self.hist >> 16) as u16 ^ 0xAAAA).count_ones() <= 1
                {
                    // A burst: bit-reversal preamble then SYNC/SYNT. (A bit-inverted control
                    // channel shows 0x5555 + SYNT here and is not taken for one.) After SYNT
                    // (traffic channel) up to five codewords follow back to back; after a lone
                    // SYNC one codeword is read and the search resumes to find the slots.
                    let left = if d_synt == 0 { 5 } else { 1 };
                    self.state = State::Burst { bit: 0, left };
                }
            }
            State::Slot { bit } => {
                let bit = bit + 1;
                if bit == 64 {
                    self.held = Some((self.last64(), t_cw));
                    self.state = State::Slot { bit };
                } else if bit == 128 {
                    let raw = self.last64();
                    let known = (raw ^ self.locked_ccsc).count_ones() <= 1;
                    let sync_in_place = ((raw & 0xffff) as u16 ^ SYNC).count_ones() <= 2;
                    let aligned = known || sync_in_place;
                    // The held address codeword may be corrected only if no bit slipped before
                    // this CCSC; otherwise it must check as received.
                    if let Some((a, ta)) = self.held.take() {
                        let r = self.make(a, aligned, Position::Address, Context::Address, ta, 64);
                        out.push(r);
                    }
                    if known && !self.locked_once {
                        self.locked_once = true;
                    }
                    if aligned {
                        // The CCSC (possibly hit by noise) is where it should be.
                        let r = self.make(raw, true, Position::Ccsc, Context::Ccsc, t_cw, 0);
                        out.push(r);
                        self.state = State::Slot { bit: 0 };
                    } else {
                        // Misaligned or lost: these bits are not at a codeword boundary, so
                        // they are reported as failed even if they happen to check (a CCSC
                        // shifted by one bit is itself a valid codeword), and the search resumes.
                        let mut r = self.make(raw, false, Position::Ccsc, Context::Ccsc, t_cw, 0);
                        r.check = Check::Failed;
                        out.push(r);
                        self.sync_losses += 1;
                        self.state = State::Search;
                        self.pending = None;
                    }
                } else {
                    self.state = State::Slot { bit };
                }
            }
            State::Burst { bit, left } => {
                let bit = bit + 1;
                if bit == 64 {
                    let raw = self.last64();
                    // Unlocked: accept only clean codewords. A CCSC among them (a data
                    // codeword ending in SYNC) means a control channel starts: lock on it.
                    if raw >> 63 == 0 && (raw & 0xffff) as u16 == SYNC && mpt1327_bch::is_valid(raw)
                    {
                        let r = self.make(raw, false, Position::Ccsc, Context::Ccsc, t_cw, 0);
                        out.push(r);
                        self.state = State::Slot { bit: 0 };
                        self.locked_ccsc = raw;
                    } else if mpt1327_bch::is_valid(raw) {
                        let r = self.make(raw, false, Position::Burst, Context::Address, t_cw, 0);
                        out.push(r);
                        self.state = if left > 1 {
                            State::Burst {
                                bit: 0,
                                left: left - 1,
                            }
                        } else {
                            State::Search
                        };
                    } else {
                        self.state = State::Search;
                    }
                } else {
                    self.state = State::Burst { bit, left };
                }
            }
        }
    }
}

/// Where the samples come from.
#[derive(Debug, Clone, Copy)]
pub enum RxInput {
    /// Complex baseband at `fs`; the channel at `offset_hz` from its centre.
    Iq {
        /// Sample rate.
        fs: f64,
        /// Channel offset from the centre.
        offset_hz: f64,
    },
    /// FM-discriminator audio (real) at `fs`.
    Audio {
        /// Sample rate.
        fs: f64,
    },
}

/// Running counts for the channel monitor.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RxStats {
    /// Codewords read (valid or not).
    pub codewords: u64,
    /// Valid codewords (clean + corrected).
    pub valid: u64,
    /// Valid after a single-bit correction.
    pub corrected: u64,
    /// Failed their check.
    pub failed: u64,
    /// Bits demodulated.
    pub bits: u64,
    /// Bits during which FFSK was present.
    pub bits_with_ffsk: u64,
    /// Times the slot lock was lost.
    pub sync_losses: u32,
}

/// The whole receive chain.
pub struct MptReceiver {
    ddc: Option<Ddc>,
    disc: FmDiscriminator,
    audio: Vec<f32>,
    demod: FfskDemodulator,
    audio_fs: f64,
    framers: Vec<Framer>,
    bits: Vec<FfskBit>,
    step: Vec<Received>,
    /// When set, every demodulated bit with its end time (s) and FFSK presence is logged here.
    pub bit_log: Option<Vec<(u8, f64, bool)>>,
    /// Counters.
    pub stats: RxStats,
    /// Sum of discriminator output over FFSK-present audio, for the carrier frequency error.
    disc_sum: f64,
    disc_n: u64,
    /// Filter delay subtracted from every time, s.
    delay_s: f64,
    /// Stream time lost in gaps of a live source, s (added to every time).
    gap_s: f64,
}

impl MptReceiver {
    /// A receiver for `input`; `channel_bw_hz` is the channel spacing (12.5 or 25 kHz).
    pub fn new(input: RxInput, channel_bw_hz: f64) -> Result<MptReceiver, DspError> {
        let (ddc, audio_fs) = match input {
            RxInput::Iq { fs, offset_hz } => {
                // FFSK on NBFM: ±(deviation + 1.8 kHz) plus up to ±1 kHz of carrier error.
                let pass = (0.36 * channel_bw_hz).min(fs * 0.45);
                let stop = (0.64 * channel_bw_hz).min(fs * 0.49);
                let ddc = Ddc::new(fs, offset_hz, 24_000.0f64.min(fs), pass, stop)?;
                let afs = ddc.output_rate();
                (Some(ddc), afs)
            }
            RxInput::Audio { fs } => (None, fs),
        };
        let ddc_delay = ddc.as_ref().map(Ddc::delay_s).unwrap_or(0.0);
        Ok(MptReceiver {
            ddc,
            disc: FmDiscriminator::hz(audio_fs),
            audio: vec![0.0; 8192],
            demod: FfskDemodulator::mpt1327(audio_fs)?,
            audio_fs,
            framers: vec![Framer::new(false), Framer::new(true)],
            bits: Vec::with_capacity(256),
            step: Vec::new(),
            bit_log: None,
            stats: RxStats::default(),
            disc_sum: 0.0,
            disc_n: 0,
            delay_s: ddc_delay,
            gap_s: 0.0,
        })
    }

    /// Audio (channel) sample rate.
    pub fn audio_rate(&self) -> f64 {
        self.audio_fs
    }

    /// Feed complex samples (for [`RxInput::Iq`]); decoded codewords are appended to `out`.
    pub fn process_iq(&mut self, x: &[Complex32], out: &mut Vec<Received>) {
        let Some(mut ddc) = self.ddc.take() else {
            return;
        };
        ddc.process(x, |ch| {
            let n = ch.len();
            if self.audio.len() < n {
                self.audio.resize(n, 0.0);
            }
            let mut a = std::mem::take(&mut self.audio);
            self.disc.process(ch, &mut a[..n]);
            self.process_audio(&a[..n], out);
            self.audio = a;
        });
        self.ddc = Some(ddc);
    }

    /// Feed discriminator audio (Hz or any scale); decoded codewords are appended to `out`.
    pub fn process_audio(&mut self, a: &[f32], out: &mut Vec<Received>) {
        let bits = &mut self.bits;
        bits.clear();
        self.demod.process(a, |b| bits.push(b));
        // Carrier offset: mean discriminator output while FFSK is present (FFSK's mean is 0).
        if bits.iter().any(|b| b.present) {
            self.disc_sum += a.iter().map(|&v| v as f64).sum::<f64>();
            self.disc_n += a.len() as u64;
        }
        self.frame_bits(out);
    }

    /// A live source lost `seconds` of signal before the next samples: later times move on by
    /// that much (the demodulator resynchronises by itself).
    pub fn gap(&mut self, seconds: f64) {
        self.gap_s += seconds;
    }

    /// End of input: decide a last, partly received bit.
    pub fn finish(&mut self, out: &mut Vec<Received>) {
        // Push the samples still inside the channel filter through with silence behind them.
        if let Some(ddc) = self.ddc.as_ref() {
            let fs_in = ddc.output_rate() * ddc.decimation() as f64;
            let n = (self.delay_s * fs_in).ceil() as usize + ddc.decimation();
            let zeros = vec![Complex32::default(); n];
            self.process_iq(&zeros, out);
        }
        let bits = &mut self.bits;
        bits.clear();
        self.demod.flush(|b| bits.push(b));
        self.frame_bits(out);
        // A lock that the input ended before confirming: release it if only one polarity locked.
        let waiting: Vec<usize> = (0..self.framers.len())
            .filter(|&k| !self.framers[k].locked_once && !self.framers[k].unconfirmed.is_empty())
            .collect();
        let start = out.len();
        if waiting.len() == 1 {
            out.append(&mut self.framers[waiting[0]].unconfirmed);
        }
        for f in self.framers.iter_mut() {
            if f.locked_once || waiting.len() == 1 {
                f.flush_held(out);
            }
        }
        for r in &out[start..] {
            self.stats.codewords += 1;
            match r.check {
                Check::Failed => self.stats.failed += 1,
                _ => self.stats.valid += 1,
            }
        }
    }

    fn frame_bits(&mut self, out: &mut Vec<Received>) {
        let bit_s = 1.0 / 1200.0;
        for i in 0..self.bits.len() {
            let b = self.bits[i];
            self.stats.bits += 1;
            self.stats.bits_with_ffsk += b.present as u64;
            let t_end = (b.end_sample + 1) as f64 / self.audio_fs - self.delay_s + self.gap_s;
            if let Some(log) = self.bit_log.as_mut() {
                log.push((b.bit, t_end, b.present));
            }
            let mut step = std::mem::take(&mut self.step);
            step.clear();
            for f in self.framers.iter_mut() {
                f.push(b.bit, b.confidence, t_end, bit_s, &mut step);
            }
            // Once one polarity has locked, the other framer and its output are dropped.
            if self.framers.len() == 2 {
                if let Some(k) = self.framers.iter().position(|f| f.locked_once) {
                    let keep = self.framers.swap_remove(k);
                    let inverted = keep.inverted;
                    self.framers = vec![keep];
                    step.retain(|r| r.inverted == inverted);
                }
            }
            for r in &step {
                self.stats.codewords += 1;
                match r.check {
                    Check::Ok => self.stats.valid += 1,
                    Check::Corrected(_) => {
                        self.stats.valid += 1;
                        self.stats.corrected += 1;
                    }
                    Check::Failed => self.stats.failed += 1,
                }
            }
            out.append(&mut step);
            self.step = step;
        }
        self.stats.sync_losses = self.framers.iter().map(|f| f.sync_losses).sum();
    }

    /// Whether the bit stream is inverted (decided once a polarity locked).
    pub fn inverted(&self) -> Option<bool> {
        (self.framers.len() == 1).then(|| self.framers[0].inverted)
    }

    /// Mean carrier offset while FFSK was present, Hz (IQ input only).
    pub fn carrier_offset_hz(&self) -> Option<f64> {
        (self.ddc.is_some() && self.disc_n > 0).then(|| self.disc_sum / self.disc_n as f64)
    }
}
