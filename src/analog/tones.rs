//! In-band tone signalling: DTMF digits and sequential-tone selective calling (ZVEI, CCIR,
//! EEA, EIA), tables from `../shared/spec/analog.md` §4.3–4.4.
//!
//! Both decoders run on the de-emphasised audio (8 or 16 kS/s) after a 400 Hz fourth-order
//! high-pass (which keeps CTCSS and DCS out), in 20 ms Goertzel blocks every 5 ms. A block holds a tone (pair) when it carries ≥ 60 % of the block's power and stands
//! ≥ 6 dB above the next candidate of its table. DTMF: a digit needs ≥ 30 ms of blocks and a
//! twist within ±8 dB; a repeated digit needs a gap. Selcall: each standard is decoded on its
//! own table; a tone needs ≥ 60 % of its nominal length, a sequence ends after 50 ms without a
//! tone and needs ≥ 3 tones; the repeat tone ("E") stands for the previous digit. When two
//! standards read the same stretch (ZVEI and CCIR share one tone; CCIR and EEA share all
//! digits), the reading with more tones wins, then the one whose tone length is nearest its
//! nominal.

use linkscope_dsp::iir::HighPass4;
use linkscope_dsp::resample::GoertzelBank;
use serde::Serialize;

/// DTMF row and column frequencies, Hz.
pub const DTMF_ROWS: [f64; 4] = [697.0, 770.0, 852.0, 941.0];
/// DTMF column frequencies, Hz.
pub const DTMF_COLS: [f64; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
/// DTMF keypad by [row][col].
pub const DTMF_KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// A sequential-tone standard: name, 16 tones (digits 0–9, A–F; E is the repeat tone), nominal
/// tone length.
#[derive(Debug, Clone, Copy)]
pub struct Selcall {
    /// Name as multimon-ng prints it.
    pub name: &'static str,
    /// Tone of each digit 0–F, Hz.
    pub tones: [f64; 16],
    /// Nominal tone length, s.
    pub tone_s: f64,
    /// Whether the decoder reads it (ZVEI2 and DZVEI use ZVEI-1's frequencies with other
    /// digit assignments: on air they are indistinguishable, and they are read as ZVEI1).
    pub decode: bool,
}

/// CCIR tones (CCIR-1 and CCIR-2 differ only in tone length).
const CCIR_TONES: [f64; 16] = [
    1981.0, 1124.0, 1197.0, 1275.0, 1358.0, 1446.0, 1540.0, 1640.0, 1747.0, 1860.0, 2400.0, 930.0,
    2247.0, 991.0, 2110.0, 1055.0,
];

/// The standards decoded (ZVEI-2/3 and DZVEI differ from ZVEI-1 only in A–F or the grid).
pub const SELCALL: [Selcall; 7] = [
    Selcall {
        name: "ZVEI1",
        tones: [
            2400.0, 1060.0, 1160.0, 1270.0, 1400.0, 1530.0, 1670.0, 1830.0, 2000.0, 2200.0, 2800.0,
            810.0, 970.0, 885.0, 2600.0, 680.0,
        ],
        tone_s: 0.070,
        decode: true,
    },
    Selcall {
        name: "ZVEI2",
        tones: [
            2400.0, 1060.0, 1160.0, 1270.0, 1400.0, 1530.0, 1670.0, 1830.0, 2000.0, 2200.0, 885.0,
            825.0, 740.0, 680.0, 970.0, 2600.0,
        ],
        tone_s: 0.070,
        decode: false,
    },
    Selcall {
        name: "DZVEI",
        tones: [
            2200.0, 970.0, 1060.0, 1160.0, 1270.0, 1400.0, 1530.0, 1670.0, 1830.0, 2000.0, 825.0,
            740.0, 2600.0, 885.0, 2400.0, 680.0,
        ],
        tone_s: 0.070,
        decode: false,
    },
    Selcall {
        name: "CCIR",
        tones: CCIR_TONES,
        tone_s: 0.100,
        decode: true,
    },
    Selcall {
        name: "CCIR2",
        tones: CCIR_TONES,
        tone_s: 0.070,
        decode: true,
    },
    Selcall {
        name: "EEA",
        tones: [
            1981.0, 1124.0, 1197.0, 1275.0, 1358.0, 1446.0, 1540.0, 1640.0, 1747.0, 1860.0, 1055.0,
            930.0, 2400.0, 991.0, 2110.0, 2247.0,
        ],
        tone_s: 0.040,
        decode: true,
    },
    Selcall {
        name: "EIA",
        tones: [
            600.0, 741.0, 882.0, 1023.0, 1164.0, 1305.0, 1446.0, 1587.0, 1728.0, 1869.0, 2151.0,
            2433.0, 2010.0, 2292.0, 459.0, 1091.0,
        ],
        tone_s: 0.033,
        decode: true,
    },
];

/// Look up a selcall standard by name (case-insensitive).
pub fn selcall_standard(name: &str) -> Option<&'static Selcall> {
    SELCALL.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// A decoded DTMF digit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct DtmfDigit {
    /// The key.
    pub digit: char,
    /// Start, s.
    pub t_s: f64,
    /// Length, s.
    pub duration_s: f64,
}

/// A decoded selcall sequence.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SelcallSeq {
    /// Standard name.
    pub standard: String,
    /// Digits with repeats resolved (hex digits A–F for the extra tones).
    pub digits: String,
    /// Start, s.
    pub t_s: f64,
    /// Mean tone length, s.
    pub tone_s: f64,
}

const BLOCK_S: f64 = 0.020;
const HOP_S: f64 = 0.010;
const PURITY: f32 = 0.6;
const DOMINANCE: f32 = 4.0;

/// DTMF digit state: the current key, its first block time and block count.
#[derive(Default)]
struct DtmfState {
    run: Option<(char, f64, usize)>,
    misses: usize,
    out: Vec<DtmfDigit>,
}

impl DtmfState {
    /// One block: `rows`/`cols` are A² powers, `total` the block's A²-scaled power.
    fn block(&mut self, rows: &[f32], cols: &[f32], total: f32, t: f64) {
        let best = |v: &[f32]| {
            let mut idx = [0usize, 1, 2, 3];
            idx.sort_by(|&a, &b| v[b].total_cmp(&v[a]));
            (idx[0], v[idx[0]], v[idx[1]])
        };
        let (r, pr, pr2) = best(rows);
        let (c, pc, pc2) = best(cols);
        let twist_db = 10.0 * (pr / pc.max(1e-20)).log10();
        let key = (total > 1e-9
            && pr + pc >= PURITY * total
            && pr >= DOMINANCE * pr2
            && pc >= DOMINANCE * pc2
            && twist_db.abs() <= 8.0)
            .then_some(DTMF_KEYS[r][c]);
        match (self.run.as_mut(), key) {
            (Some((k, _, count)), Some(now)) if *k == now => {
                *count += 1;
                self.misses = 0;
            }
            (Some(_), _) => {
                self.misses += 1;
                if self.misses >= 2 || key.is_some() {
                    self.end_run();
                    if let Some(now) = key {
                        self.run = Some((now, t, 1));
                    }
                }
            }
            (None, Some(now)) => {
                self.run = Some((now, t, 1));
                self.misses = 0;
            }
            (None, None) => {}
        }
    }

    fn end_run(&mut self) {
        if let Some((k, t0, count)) = self.run.take() {
            // Blocks overlap: a tone of length L gives (L − block)/hop + 1 blocks.
            let dur = (count - 1) as f64 * HOP_S + BLOCK_S;
            if dur >= 0.030 {
                self.out.push(DtmfDigit {
                    digit: k,
                    t_s: t0,
                    duration_s: dur,
                });
            }
        }
        self.misses = 0;
    }
}

struct SelcallTrack {
    std: &'static Selcall,
    /// Index of each of the standard's 16 tones in the shared frequency list.
    at: [usize; 16],
    /// Current tone index, its start time and blocks.
    tone: Option<(usize, f64, usize)>,
    gap_blocks: usize,
    /// Tones of the sequence being built: (index, duration).
    seq: Vec<(usize, f64)>,
    seq_t0: f64,
    out: Vec<SelcallSeq>,
}

impl SelcallTrack {
    fn block(&mut self, p: &[f32], total: f32, t: f64) {
        let mut best = (0usize, 0.0f32);
        let mut second = 0.0f32;
        for (k, &i) in self.at.iter().enumerate() {
            let v = p[i];
            if v > best.1 {
                second = best.1;
                best = (k, v);
            } else if v > second {
                second = v;
            }
        }
        let tone = (total > 1e-9 && best.1 >= PURITY * total && best.1 >= DOMINANCE * second)
            .then_some(best.0);
        match (self.tone.as_mut(), tone) {
            (Some((k, _, count)), Some(now)) if *k == now => *count += 1,
            (_, Some(now)) => {
                self.end_tone();
                self.tone = Some((now, t, 1));
                self.gap_blocks = 0;
            }
            (_, None) => {
                self.end_tone();
                self.gap_blocks += 1;
                if self.gap_blocks == (0.050 / HOP_S).round() as usize {
                    self.end_seq();
                }
            }
        }
    }

    fn end_tone(&mut self) {
        if let Some((k, t0, count)) = self.tone.take() {
            let dur = (count - 1) as f64 * HOP_S + BLOCK_S;
            if dur >= 0.6 * self.std.tone_s {
                if self.seq.is_empty() {
                    self.seq_t0 = t0;
                }
                self.seq.push((k, dur));
            }
        }
    }

    fn end_seq(&mut self) {
        self.end_tone();
        if self.seq.len() >= 3 {
            let mut digits = String::new();
            let mut prev: Option<char> = None;
            for &(k, _) in &self.seq {
                let c = if k == 14 {
                    prev.unwrap_or('E')
                } else {
                    char::from_digit(k as u32, 16)
                        .unwrap_or('?')
                        .to_ascii_uppercase()
                };
                digits.push(c);
                prev = Some(c);
            }
            let tone_s = self.seq.iter().map(|s| s.1).sum::<f64>() / self.seq.len() as f64;
            self.out.push(SelcallSeq {
                standard: self.std.name.to_string(),
                digits,
                t_s: self.seq_t0,
                tone_s,
            });
        }
        self.seq.clear();
    }
}

/// Streaming DTMF + selcall decoder: one Goertzel bank over every tone of every table per
/// 5 ms hop.
pub struct ToneDecoder {
    fs: f64,
    delay_s: f64,
    block: usize,
    hop: usize,
    /// Each sample is written twice, so the newest `block` samples are always contiguous.
    ring: Vec<f32>,
    pos: usize,
    since: usize,
    filled: usize,
    n: u64,
    bank: GoertzelBank,
    powers: Vec<f32>,
    dtmf: DtmfState,
    tracks: Vec<SelcallTrack>,
    /// Keeps CTCSS/DCS (boosted by the de-emphasis) out of the tone decisions.
    hp: HighPass4,
    work: Vec<f32>,
}

impl ToneDecoder {
    /// A decoder for audio at `fs` (≥ 6 kS/s); `delay_s` is the delay of the chain ahead.
    pub fn new(fs: f64, delay_s: f64) -> ToneDecoder {
        let mut freqs: Vec<f64> = DTMF_ROWS.iter().chain(&DTMF_COLS).copied().collect();
        let index = |f: f64, freqs: &mut Vec<f64>| {
            freqs.iter().position(|&g| g == f).unwrap_or_else(|| {
                freqs.push(f);
                freqs.len() - 1
            })
        };
        let tracks = SELCALL
            .iter()
            .filter(|s| s.decode)
            .map(|s| {
                let mut at = [0usize; 16];
                for (k, &f) in s.tones.iter().enumerate() {
                    at[k] = index(f, &mut freqs);
                }
                SelcallTrack {
                    std: s,
                    at,
                    tone: None,
                    gap_blocks: 0,
                    seq: Vec::new(),
                    seq_t0: 0.0,
                    out: Vec::new(),
                }
            })
            .collect();
        let norm: Vec<f64> = freqs.iter().map(|f| f / fs).collect();
        let block = (BLOCK_S * fs).round() as usize;
        ToneDecoder {
            fs,
            delay_s,
            block,
            hop: (HOP_S * fs).round() as usize,
            ring: vec![0.0; 2 * block],
            pos: 0,
            since: 0,
            filled: 0,
            n: 0,
            bank: GoertzelBank::new(&norm),
            powers: vec![0.0; freqs.len()],
            dtmf: DtmfState::default(),
            tracks,
            hp: HighPass4::new(400.0, fs).unwrap_or_else(|_| unreachable!("400 Hz < 0.45 fs")),
            work: Vec::with_capacity(4096),
        }
    }

    /// Feed audio samples.
    pub fn process(&mut self, x: &[f32]) {
        let b = self.block;
        let mut work = std::mem::take(&mut self.work);
        work.clear();
        work.extend_from_slice(x);
        self.hp.process(&mut work);
        for &v in &work {
            self.ring[self.pos] = v;
            self.ring[self.pos + b] = v;
            self.pos = (self.pos + 1) % b;
            self.n += 1;
            self.filled = (self.filled + 1).min(b);
            self.since += 1;
            if self.since < self.hop || self.filled < b {
                continue;
            }
            self.since = 0;
            let w = &self.ring[self.pos..self.pos + b];
            let total = 2.0 * w.iter().map(|v| v * v).sum::<f32>() / b as f32;
            self.bank.powers(w, &mut self.powers);
            let t = (self.n as f64 - b as f64) / self.fs - self.delay_s;
            self.dtmf
                .block(&self.powers[..4], &self.powers[4..8], total, t);
            for tr in self.tracks.iter_mut() {
                tr.block(&self.powers, total, t);
            }
        }
        self.work = work;
    }

    /// DTMF digits decoded so far.
    pub fn dtmf(&self) -> &[DtmfDigit] {
        &self.dtmf.out
    }

    /// End of input: DTMF digits and selcall sequences (overlapping readings resolved as the
    /// module docs say).
    pub fn finish(&mut self) -> (Vec<DtmfDigit>, Vec<SelcallSeq>) {
        self.dtmf.end_run();
        let mut all: Vec<(SelcallSeq, f64)> = Vec::new();
        for tr in self.tracks.iter_mut() {
            tr.end_seq();
            let nominal = tr.std.tone_s;
            all.extend(tr.out.drain(..).map(|s| (s, nominal)));
        }
        let span = |s: &SelcallSeq| (s.t_s, s.t_s + s.tone_s * s.digits.len() as f64);
        let better = |a: &(SelcallSeq, f64), b: &(SelcallSeq, f64)| {
            let (la, lb) = (a.0.digits.len(), b.0.digits.len());
            if la != lb {
                return la > lb;
            }
            (a.0.tone_s / a.1).ln().abs() < (b.0.tone_s / b.1).ln().abs()
        };
        let mut keep: Vec<(SelcallSeq, f64)> = Vec::new();
        for cand in all {
            let (s0, e0) = span(&cand.0);
            let overlapping: Vec<usize> = keep
                .iter()
                .enumerate()
                .filter(|(_, k)| {
                    let (s1, e1) = span(&k.0);
                    s0 < e1 && s1 < e0
                })
                .map(|(i, _)| i)
                .collect();
            if overlapping.iter().all(|&i| better(&cand, &keep[i])) {
                for &i in overlapping.iter().rev() {
                    keep.remove(i);
                }
                keep.push(cand);
            }
        }
        let mut v: Vec<SelcallSeq> = keep.into_iter().map(|k| k.0).collect();
        v.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        (std::mem::take(&mut self.dtmf.out), v)
    }
}
