//! DCS (CDCSS / DPL): 23-bit Golay words at 134.4 bit/s NRZ, sent continuously.
//!
//! Word (spec §4.2): W = C | 1<<11 | P<<12, C the 9-bit code (three octal digits), P the 11
//! parity bits making W(x) divisible by g(x) = x¹¹+x¹⁰+x⁶+x⁵+x⁴+x²+1 (bit i ↔ xⁱ); bit 0 of W
//! is sent first. Normal polarity: a 1 raises the carrier frequency (Aeroflex 2948B manual,
//! sdrtrunk). The complement of a word is a rotation of another code's word, so "023
//! inverted" and "047 normal" are the same waveform: the decoder reports the code read with
//! normal polarity and names its inverted equivalent.
//!
//! Decoder: sub-audio (~2 kS/s, Hz) → DC removal (1 s mean) → sign slicer with a zero-crossing
//! DPLL at 134.4 bit/s → 23-bit register tested against every rotation of every code; a code
//! is detected after two whole words in a row (46 bits) match it.

use serde::Serialize;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Bit rate, bit/s.
pub const BIT_RATE: f64 = 134.4;

/// The commonly programmed DCS codes (octal digits as written), with whether each is in the
/// 83-code standard set (spec §4.2 table).
pub const CODES: [(u16, bool); 104] = [
    (0o023, true),
    (0o025, true),
    (0o026, true),
    (0o031, true),
    (0o032, true),
    (0o036, false),
    (0o043, true),
    (0o047, true),
    (0o051, true),
    (0o053, false),
    (0o054, true),
    (0o065, true),
    (0o071, true),
    (0o072, true),
    (0o073, true),
    (0o074, true),
    (0o114, true),
    (0o115, true),
    (0o116, true),
    (0o122, false),
    (0o125, true),
    (0o131, true),
    (0o132, true),
    (0o134, true),
    (0o143, true),
    (0o145, false),
    (0o152, true),
    (0o155, true),
    (0o156, true),
    (0o162, true),
    (0o165, true),
    (0o172, true),
    (0o174, true),
    (0o205, true),
    (0o212, false),
    (0o223, true),
    (0o225, false),
    (0o226, true),
    (0o243, true),
    (0o244, true),
    (0o245, true),
    (0o246, false),
    (0o251, true),
    (0o252, false),
    (0o255, false),
    (0o261, true),
    (0o263, true),
    (0o265, true),
    (0o266, false),
    (0o271, true),
    (0o274, false),
    (0o306, true),
    (0o311, true),
    (0o315, true),
    (0o325, false),
    (0o331, true),
    (0o332, false),
    (0o343, true),
    (0o346, true),
    (0o351, true),
    (0o356, false),
    (0o364, true),
    (0o365, true),
    (0o371, true),
    (0o411, true),
    (0o412, true),
    (0o413, true),
    (0o423, true),
    (0o431, true),
    (0o432, true),
    (0o445, true),
    (0o446, false),
    (0o452, false),
    (0o454, false),
    (0o455, false),
    (0o462, false),
    (0o464, true),
    (0o465, true),
    (0o466, true),
    (0o503, true),
    (0o506, true),
    (0o516, true),
    (0o523, false),
    (0o526, false),
    (0o532, true),
    (0o546, true),
    (0o565, true),
    (0o606, true),
    (0o612, true),
    (0o624, true),
    (0o627, true),
    (0o631, true),
    (0o632, true),
    (0o654, true),
    (0o662, true),
    (0o664, true),
    (0o703, true),
    (0o712, true),
    (0o723, true),
    (0o731, true),
    (0o732, true),
    (0o734, true),
    (0o743, true),
    (0o754, true),
];

const MASK23: u32 = (1 << 23) - 1;

/// The 23-bit word of a code (bit 0 sent first).
pub fn word(code: u16) -> u32 {
    let data = (code as u32 & 0x1FF) | (1 << 11);
    let g: u32 = 0xC75;
    // Remainder modulo g(x) of a polynomial of degree < 23.
    let modg = |mut v: u32| {
        for bit in (11..23).rev() {
            if v & (1 << bit) != 0 {
                v ^= g << (bit - 11);
            }
        }
        v
    };
    // W(x) = D(x) + x¹²·P(x) ≡ 0 mod g: P = x⁻¹²·D mod g. x⁻¹² is found once by search (the
    // 11-bit q with x¹²·q ≡ 1); the product is a carry-less multiply reduced mod g.
    static X_INV12: OnceLock<u32> = OnceLock::new();
    let q = *X_INV12.get_or_init(|| (1..(1u32 << 11)).find(|&q| modg(q << 12) == 1).unwrap_or(0));
    let r = modg(data);
    let mut prod = 0u32;
    for i in 0..11 {
        if q & (1 << i) != 0 {
            prod ^= r << i;
        }
    }
    data | (modg(prod) << 12)
}

fn rotate(w: u32, k: u32) -> u32 {
    ((w >> k) | (w << (23 - k))) & MASK23
}

/// Octal text of a code, e.g. 0o023 → "023".
pub fn octal(code: u16) -> String {
    format!("{code:03o}")
}

/// Lookup: every rotation of every code's word → the code (built once, on first use).
fn rotation_table() -> &'static HashMap<u32, u16> {
    static TABLE: OnceLock<HashMap<u32, u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m = HashMap::new();
        for &(c, _) in &CODES {
            let w = word(c);
            for k in 0..23 {
                m.insert(rotate(w, k), c);
            }
        }
        m
    })
}

/// The code whose normal-polarity waveform equals the inverted waveform of `code`.
pub fn inverted_equivalent(code: u16) -> Option<u16> {
    rotation_table().get(&(!word(code) & MASK23)).copied()
}

/// One DCS detection.
#[derive(Debug, Clone, Serialize)]
pub struct DcsSegment {
    /// Code read with normal polarity (octal, e.g. "023").
    pub code: String,
    /// The same waveform read as an inverted code (e.g. "047" for 023), if in the list.
    pub inverted_equivalent: Option<String>,
    /// Whether the code is in the 83-code standard set.
    pub standard: bool,
    /// First detection, s.
    pub detected_s: f64,
    /// Last matching word, s.
    pub end_s: f64,
    /// Words that matched.
    pub words: u32,
    /// Peak deviation of the DCS signal, Hz (from its RMS and the word's ones/zeros balance).
    pub deviation_hz: f64,
    /// Mean frequency offset the word's imbalance adds to the carrier, Hz.
    pub dc_bias_hz: f64,
}

/// Streaming DCS decoder.
#[derive(Debug)]
pub struct DcsDecoder {
    fs: f64,
    delay_s: f64,
    table: &'static HashMap<u32, u16>,
    mean: f64,
    mean_a: f64,
    /// Bit clock phase in bits (a bit is sampled at phase 0.5).
    phase: f64,
    inc: f64,
    prev: f32,
    reg: u32,
    nbits: u32,
    n: u64,
    /// (code, bits since its last whole-word match, consecutive word matches)
    cand: Option<(u16, u32, u32)>,
    current: Option<DcsSegment>,
    /// Σy² and count while a code is held.
    y2: f64,
    ny: u64,
    done: Vec<DcsSegment>,
}

impl DcsDecoder {
    /// A decoder for sub-audio at `fs` (Hz of deviation); `delay_s` is the filter delay ahead.
    pub fn new(fs: f64, delay_s: f64) -> DcsDecoder {
        DcsDecoder {
            fs,
            delay_s,
            table: rotation_table(),
            mean: 0.0,
            mean_a: 1.0 - (-1.0 / fs).exp(),
            phase: 0.0,
            inc: BIT_RATE / fs,
            prev: 0.0,
            reg: 0,
            nbits: 0,
            n: 0,
            cand: None,
            current: None,
            y2: 0.0,
            ny: 0,
            done: Vec::new(),
        }
    }

    /// Feed sub-audio samples.
    pub fn process(&mut self, x: &[f32]) {
        for &v in x {
            self.n += 1;
            self.mean += self.mean_a * (v as f64 - self.mean);
            let y = (v as f64 - self.mean) as f32;
            if self.current.is_some() {
                self.y2 += (y as f64) * (y as f64);
                self.ny += 1;
            }
            // Zero crossing: pull the clock so transitions fall at phase 0 (bit edges).
            if (y >= 0.0) != (self.prev >= 0.0) {
                let frac = if y != self.prev {
                    (y / (y - self.prev)) as f64
                } else {
                    0.0
                };
                // Phase at the crossing (it happened `frac` samples ago).
                let mut e = self.phase - frac * self.inc;
                e -= e.round();
                self.phase -= 0.15 * e;
            }
            let before = self.phase;
            self.phase += self.inc;
            if before < 0.5 && self.phase >= 0.5 {
                self.on_bit(y > 0.0);
            }
            if self.phase >= 1.0 {
                self.phase -= 1.0;
            }
            self.prev = y;
        }
    }

    fn on_bit(&mut self, one: bool) {
        // Bit 0 of W arrives first: shift in at the top.
        self.reg = (self.reg >> 1) | ((one as u32) << 22);
        self.nbits = (self.nbits + 1).min(1000);
        let t = self.n as f64 / self.fs - self.delay_s;
        if let Some((c, since, count)) = self.cand.as_mut() {
            *since += 1;
            if *since == 23 {
                if self.table.get(&self.reg) == Some(c) {
                    *since = 0;
                    *count += 1;
                    let code = *c;
                    let count = *count;
                    if count >= 2 {
                        match self.current.as_mut() {
                            Some(s) if s.code == octal(code) => {
                                s.end_s = t;
                                s.words = count;
                            }
                            _ => {
                                self.close();
                                self.current = Some(DcsSegment {
                                    code: octal(code),
                                    inverted_equivalent: inverted_equivalent(code).map(octal),
                                    standard: CODES.iter().any(|&(k, s)| k == code && s),
                                    detected_s: t,
                                    end_s: t,
                                    words: count,
                                    deviation_hz: 0.0,
                                    dc_bias_hz: 0.0,
                                });
                                self.y2 = 0.0;
                                self.ny = 0;
                            }
                        }
                    }
                    return;
                }
                self.cand = None;
                self.close();
            }
        }
        if self.cand.is_none() && self.nbits >= 23 {
            if let Some(&c) = self.table.get(&self.reg) {
                self.cand = Some((c, 0, 1));
            }
        }
    }

    fn close(&mut self) {
        if let Some(mut s) = self.current.take() {
            // NRZ ±D with ones share p: mean m·D (m = 2p − 1), variance D²(1 − m²).
            let code = u16::from_str_radix(&s.code, 8).unwrap_or(0);
            let m = 2.0 * word(code).count_ones() as f64 / 23.0 - 1.0;
            if self.ny > 0 {
                let rms = (self.y2 / self.ny as f64).sqrt();
                s.deviation_hz = rms / (1.0 - m * m).sqrt();
                s.dc_bias_hz = m * s.deviation_hz;
            }
            self.done.push(s);
        }
    }

    /// End of input: all detections.
    pub fn finish(&mut self) -> Vec<DcsSegment> {
        self.close();
        std::mem::take(&mut self.done)
    }

    /// Detections closed so far.
    pub fn segments(&self) -> &[DcsSegment] {
        &self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's table (`../shared/spec/analog.md` §4.2, derived from sdrtrunk's code
    /// table): W and the inverted partner of every code.
    #[test]
    fn words_and_partners_match_the_spec_table() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/spec/analog.md");
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("skipped: {} not present", path.display());
            return;
        };
        let mut rows = 0;
        for line in text.lines() {
            let f: Vec<&str> = line.split('|').map(str::trim).collect();
            if f.len() == 6
                && f[1].len() == 3
                && f[2].len() == 6
                && (f[4] == "std" || f[4] == "ext")
            {
                let code = u16::from_str_radix(f[1], 8).unwrap();
                let w = u32::from_str_radix(f[2], 16).unwrap();
                let partner = u16::from_str_radix(f[3], 8).unwrap();
                assert_eq!(word(code), w, "{}", f[1]);
                assert_eq!(inverted_equivalent(code), Some(partner), "{}", f[1]);
                assert!(CODES.contains(&(code, f[4] == "std")), "{}", f[1]);
                rows += 1;
            }
        }
        assert_eq!(rows, 104);
    }

    #[test]
    fn rotation_classes_are_distinct() {
        assert_eq!(rotation_table().len(), 104 * 23);
    }
}
