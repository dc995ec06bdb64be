//! The codes of the DMR / PDT air interface (ETSI TS 102 361-1; `../shared/spec/dmr-pdt.md`
//! §1.4–1.10), built from their construction rules — generator polynomials and parity
//! equations — and tested against the digest's vectors:
//!
//! - Golay(20,8) (slot type): shortened Golay(23,12), generator 0xC75, plus overall parity;
//!   corrects 3 errors.
//! - Hamming(15,11,3), (13,9,3) (BPTC rows/columns), (16,11,4) (embedded LC), (17,12,3) (short LC)
//!   and (7,4,3) (TACT), by their parity equations; single-error correction by syndrome.
//! - QR(16,7,6) (EMB): generator 0x139 plus overall parity; corrects 2 errors.
//! - RS(12,9) over GF(2⁸) (0x11D, α = 2) for the full LC; corrects one byte.
//! - BPTC(196,96) with its 181-step interleaver.
//! - CRC-CCITT (0x1021, init 0, inverted), CRC-8 (0x07), the 5-bit embedded-LC checksum, and the
//!   per-data-type masks.
//!
//! Bits are `u8` values 0/1, first transmitted bit first.

/// A codeword with more errors than the code corrects (detected, not corrected).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uncorrectable;

impl std::fmt::Display for Uncorrectable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("uncorrectable codeword")
    }
}

impl std::error::Error for Uncorrectable {}

/// Pack bits (MSB first) into an integer.
pub fn bits_to_u64(b: &[u8]) -> u64 {
    b.iter().fold(0, |a, &x| (a << 1) | (x & 1) as u64)
}

/// The `n` low bits of `v`, MSB first.
pub fn u64_to_bits(v: u64, n: usize) -> Vec<u8> {
    (0..n).map(|i| ((v >> (n - 1 - i)) & 1) as u8).collect()
}

/// Bytes → bits, MSB first.
pub fn bytes_to_bits(b: &[u8]) -> Vec<u8> {
    b.iter()
        .flat_map(|&x| (0..8).map(move |i| (x >> (7 - i)) & 1))
        .collect()
}

/// Hex text (`"02A9F0…"`, an even number of digits) → bits, MSB first; None if not hex.
pub fn hex_to_bits(h: &str) -> Option<Vec<u8>> {
    if h.len() % 2 != 0 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect();
    Some(bytes_to_bits(&bytes?))
}

/// Bits → bytes (MSB first; a partial last byte is left-aligned).
pub fn bits_to_bytes(b: &[u8]) -> Vec<u8> {
    b.chunks(8)
        .map(|c| {
            c.iter()
                .enumerate()
                .fold(0u8, |a, (i, &x)| a | ((x & 1) << (7 - i)))
        })
        .collect()
}

/// Remainder of `v` (a polynomial of degree < `top`) by `g` of degree `deg`.
fn poly_rem(mut v: u32, top: u32, g: u32, deg: u32) -> u32 {
    for i in (deg..top).rev() {
        if v >> i & 1 == 1 {
            v ^= g << (i - deg);
        }
    }
    v
}

// ---------------------------------------------------------------- Golay(20,8)

/// Slot-type codeword: 8 data bits (CC << 4 | DT) → 20 bits (data in the top 8).
pub fn golay2087_encode(d: u8) -> u32 {
    let r = poly_rem((d as u32) << 11, 19, 0xC75, 11);
    let cw19 = ((d as u32) << 11) | r;
    (cw19 << 1) | (cw19.count_ones() & 1)
}

fn golay_table() -> &'static std::collections::HashMap<u32, u32> {
    use std::sync::OnceLock;
    static T: OnceLock<std::collections::HashMap<u32, u32>> = OnceLock::new();
    T.get_or_init(|| {
        // Syndrome (11 bits) of every error pattern of weight ≤ 3 on the 19-bit word.
        let mut m = std::collections::HashMap::new();
        m.insert(0, 0);
        let syn = |e: u32| poly_rem(e, 19, 0xC75, 11);
        for a in 0..19 {
            m.entry(syn(1 << a)).or_insert(1 << a);
            for b in a + 1..19 {
                let e = (1 << a) | (1 << b);
                m.entry(syn(e)).or_insert(e);
                for c in b + 1..19 {
                    let e = e | (1 << c);
                    m.entry(syn(e)).or_insert(e);
                }
            }
        }
        m
    })
}

/// Decode a 20-bit slot type: (8 data bits, bit errors corrected) or None when uncorrectable.
/// Corrects up to 3 errors in the first 19 bits; the parity bit is only counted.
pub fn golay2087_decode(cw: u32) -> Option<(u8, u32)> {
    let w19 = (cw >> 1) & 0x7FFFF;
    let e = *golay_table().get(&poly_rem(w19, 19, 0xC75, 11))?;
    let fixed = w19 ^ e;
    let par_err = ((fixed.count_ones() & 1) != (cw & 1)) as u32;
    Some(((fixed >> 11) as u8, e.count_ones() + par_err))
}

// ---------------------------------------------------------------- Hamming family

/// A Hamming-type code given by the data bits each parity bit covers.
pub struct Hamming {
    /// Data bits.
    pub k: usize,
    /// For each parity bit, the data bit indices it sums.
    pub eqs: &'static [&'static [usize]],
}

/// Hamming(15,11,3) of the BPTC rows.
pub const H15_11: Hamming = Hamming {
    k: 11,
    eqs: &[
        &[0, 1, 2, 3, 5, 7, 8],
        &[1, 2, 3, 4, 6, 8, 9],
        &[2, 3, 4, 5, 7, 9, 10],
        &[0, 1, 2, 4, 6, 7, 10],
    ],
};
/// Hamming(13,9,3) of the BPTC columns.
pub const H13_9: Hamming = Hamming {
    k: 9,
    eqs: &[
        &[0, 1, 3, 5, 6],
        &[0, 1, 2, 4, 6, 7],
        &[0, 1, 2, 3, 5, 7, 8],
        &[0, 2, 4, 5, 8],
    ],
};
/// Hamming(16,11,4) of the embedded-LC rows.
pub const H16_11: Hamming = Hamming {
    k: 11,
    eqs: &[
        &[0, 1, 2, 3, 5, 7, 8],
        &[1, 2, 3, 4, 6, 8, 9],
        &[2, 3, 4, 5, 7, 9, 10],
        &[0, 1, 2, 4, 6, 7, 10],
        &[0, 2, 5, 6, 8, 9, 10],
    ],
};
/// Hamming(17,12,3) of the short-LC rows.
pub const H17_12: Hamming = Hamming {
    k: 12,
    eqs: &[
        &[0, 1, 2, 3, 6, 7, 9],
        &[0, 1, 2, 3, 4, 7, 8, 10],
        &[1, 2, 3, 4, 5, 8, 9, 11],
        &[0, 1, 4, 5, 7, 10],
        &[0, 1, 2, 5, 6, 8, 11],
    ],
};
/// Hamming(7,4,3) of the TACT.
pub const H7_4: Hamming = Hamming {
    k: 4,
    eqs: &[&[0, 1, 2], &[1, 2, 3], &[0, 1, 3]],
};

impl Hamming {
    /// Codeword length.
    pub fn n(&self) -> usize {
        self.k + self.eqs.len()
    }

    /// Parity bits of `d` (k data bits).
    pub fn parity(&self, d: &[u8]) -> Vec<u8> {
        self.eqs
            .iter()
            .map(|e| e.iter().fold(0, |a, &i| a ^ d[i]))
            .collect()
    }

    /// Syndrome of a codeword (bit i set when parity equation i fails).
    fn syndrome(&self, cw: &[u8]) -> u32 {
        self.eqs.iter().enumerate().fold(0, |s, (j, e)| {
            let p = e.iter().fold(cw[self.k + j], |a, &i| a ^ cw[i]);
            s | ((p as u32) << j)
        })
    }

    /// Correct a single error in place: Ok(true) when a bit was fixed, Ok(false) when the word
    /// was clean, Err(Uncorrectable) when the syndrome matches no single error (detected, not corrected).
    pub fn correct(&self, cw: &mut [u8]) -> Result<bool, Uncorrectable> {
        let s = self.syndrome(cw);
        if s == 0 {
            return Ok(false);
        }
        // The syndrome of an error in bit i: the equations containing i (or parity bit j alone).
        let single = |i: usize| {
            if i < self.k {
                self.eqs
                    .iter()
                    .enumerate()
                    .fold(0, |a, (j, e)| a | ((e.contains(&i) as u32) << j))
            } else {
                1 << (i - self.k)
            }
        };
        let i = (0..self.n())
            .find(|&i| single(i) == s)
            .ok_or(Uncorrectable)?;
        cw[i] ^= 1;
        Ok(true)
    }
}

// ---------------------------------------------------------------- QR(16,7,6)

/// EMB codeword: 7 data bits (CC << 3 | PI << 2 | LCSS) → 16 bits.
pub fn qr1676_encode(d: u8) -> u16 {
    let d = (d & 0x7F) as u32;
    let cw15 = (d << 8) | poly_rem(d << 8, 15, 0x139, 8);
    ((cw15 << 1) | (cw15.count_ones() & 1)) as u16
}

/// Decode an EMB word: (7 data bits, bit errors) for the nearest codeword within distance 2.
pub fn qr1676_decode(cw: u16) -> Option<(u8, u32)> {
    (0u8..128)
        .map(|d| (d, (qr1676_encode(d) ^ cw).count_ones()))
        .min_by_key(|&(_, e)| e)
        .filter(|&(_, e)| e <= 2)
}

// ---------------------------------------------------------------- RS(12,9)

use super::gf256::{inv as gf_inv, mul as gf_mul, pow as gf_pow};

/// RS(12,9) parity of 9 LC bytes (before the data-type mask).
pub fn rs129_parity(lc: &[u8; 9]) -> [u8; 3] {
    const G: [u8; 4] = [64, 56, 14, 1];
    let mut p = [0u8; 3];
    for &m in lc {
        let f = m ^ p[2];
        p[2] = p[1] ^ gf_mul(G[2], f);
        p[1] = p[0] ^ gf_mul(G[1], f);
        p[0] = gf_mul(G[0], f);
    }
    [p[2], p[1], p[0]]
}

/// Check and correct a 12-byte RS(12,9) codeword (mask already removed): Ok(corrected bytes
/// 0 or 1) or Err(Uncorrectable) when uncorrectable.
pub fn rs129_correct(cw: &mut [u8; 12]) -> Result<u32, Uncorrectable> {
    let syn = |cw: &[u8; 12], k: u32| {
        let a = gf_pow(k);
        cw.iter().fold(0u8, |s, &c| gf_mul(s, a) ^ c)
    };
    let s: Vec<u8> = (1..=3).map(|k| syn(cw, k)).collect();
    if s.iter().all(|&x| x == 0) {
        return Ok(0);
    }
    // One error of value e at position j (power x^(11-pos)): S_k = e·X^k with X = α^(11-pos).
    if s[0] == 0 {
        return Err(Uncorrectable);
    }
    let x = gf_mul(s[1], gf_inv(s[0]));
    if gf_mul(s[2], gf_inv(s[1])) != x {
        return Err(Uncorrectable);
    }
    let e = gf_mul(s[0], gf_inv(x));
    let pos = (0..12)
        .find(|&p| gf_pow(11 - p as u32) == x)
        .ok_or(Uncorrectable)?;
    cw[pos] ^= e;
    Ok(1)
}

// ---------------------------------------------------------------- BPTC(196,96)

/// Index in the 196-bit matrix of each of the 96 information bits.
fn bptc_data_positions() -> impl Iterator<Item = usize> {
    (4..12).chain((1..9).flat_map(|r| 15 * r + 1..15 * r + 12))
}

/// Encode 96 information bits into the 196 transmitted bits (interleaved).
pub fn bptc196_encode(info: &[u8]) -> Vec<u8> {
    assert_eq!(info.len(), 96);
    let mut m = [0u8; 196];
    for (p, &b) in bptc_data_positions().zip(info) {
        m[p] = b;
    }
    for r in 0..9 {
        let base = 15 * r + 1;
        let p = H15_11.parity(&m[base..base + 11]);
        m[base + 11..base + 15].copy_from_slice(&p);
    }
    for c in 0..15 {
        let col: Vec<u8> = (0..9).map(|r| m[c + 1 + 15 * r]).collect();
        for (k, b) in H13_9.parity(&col).into_iter().enumerate() {
            m[c + 1 + 15 * (9 + k)] = b;
        }
    }
    let mut tx = vec![0u8; 196];
    for (a, &b) in m.iter().enumerate() {
        tx[(a * 181) % 196] = b;
    }
    tx
}

/// Decode 196 received bits: (96 information bits, bits corrected, all rows and columns clean).
pub fn bptc196_decode(rx: &[u8]) -> (Vec<u8>, u32, bool) {
    assert_eq!(rx.len(), 196);
    let mut m = [0u8; 196];
    for (a, v) in m.iter_mut().enumerate() {
        *v = rx[(a * 181) % 196];
    }
    let mut fixed = 0;
    let mut clean = false;
    for _ in 0..5 {
        let mut changed = false;
        let mut bad = false;
        for c in 0..15 {
            let mut col: Vec<u8> = (0..13).map(|r| m[c + 1 + 15 * r]).collect();
            match H13_9.correct(&mut col) {
                Ok(true) => {
                    for (r, &b) in col.iter().enumerate() {
                        m[c + 1 + 15 * r] = b;
                    }
                    fixed += 1;
                    changed = true;
                }
                Ok(false) => {}
                Err(Uncorrectable) => bad = true,
            }
        }
        for r in 0..9 {
            let base = 15 * r + 1;
            match H15_11.correct(&mut m[base..base + 15]) {
                Ok(true) => {
                    fixed += 1;
                    changed = true;
                }
                Ok(false) => {}
                Err(Uncorrectable) => bad = true,
            }
        }
        if !bad && !changed {
            clean = true;
            break;
        }
        if !changed {
            break;
        }
    }
    let info = bptc_data_positions().map(|p| m[p]).collect();
    (info, fixed, clean)
}

// ---------------------------------------------------------------- CRCs

/// CRC-CCITT as DMR uses it: 0x1021, init 0, MSB first, result inverted.
pub fn crc_ccitt(bytes: &[u8]) -> u16 {
    let mut crc = 0u16;
    for &b in bytes {
        for i in 0..8 {
            let fb = ((crc >> 15) as u8 ^ (b >> (7 - i))) & 1;
            crc <<= 1;
            if fb == 1 {
                crc ^= 0x1021;
            }
        }
    }
    !crc
}

/// CRC-8 (0x07, init 0, no final XOR) of the short LC and the address hash.
pub fn crc8(bytes: &[u8]) -> u8 {
    let mut crc = 0u8;
    for &b in bytes {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// The embedded LC's 5-bit checksum: the sum of the 9 LC bytes mod 31.
pub fn checksum5(lc: &[u8; 9]) -> u8 {
    (lc.iter().map(|&b| b as u32).sum::<u32>() % 31) as u8
}

/// Which mask set a burst validated with: ETSI DMR or PDT (GA/T 1056; the masks are the main
/// on-air difference, `../shared/spec/pdt-mpt1327-addendum.md` §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standard {
    /// ETSI TS 102 361.
    Dmr,
    /// Police Digital Trunking.
    Pdt,
}

impl Standard {
    /// `dmr` / `pdt`.
    pub fn name(self) -> &'static str {
        match self {
            Standard::Dmr => "dmr",
            Standard::Pdt => "pdt",
        }
    }

    /// CRC-CCITT mask of a data type (PI header, CSBK, MBC header, data header, USBD).
    pub fn crc16_mask(self, data_type: u8) -> Option<u16> {
        match self {
            Standard::Dmr => dmr_crc16_mask(data_type),
            Standard::Pdt => match data_type {
                0 => Some(0x89AA),
                3 => Some(0xF150),
                4 => Some(0xD8ED),
                6 => Some(0x785E),
                _ => None,
            },
        }
    }

    /// RS(12,9) parity masks of the voice LC header (1) and terminator (2).
    pub fn rs_mask(self, data_type: u8) -> Option<[u8; 3]> {
        match (self, data_type) {
            (Standard::Dmr, 1) => Some([0x96; 3]),
            (Standard::Dmr, 2) => Some([0x99; 3]),
            (Standard::Pdt, 1) => Some([0xC6, 0x8A, 0xA1]),
            (Standard::Pdt, 2) => Some([0xFA, 0x23, 0x54]),
            _ => None,
        }
    }
}

/// Check a 12-byte CRC-16 PDU (10 data bytes + CRC) of `data_type` against both mask sets:
/// the standard whose mask matches, or None.
pub fn crc16_standard(pdu: &[u8; 12], data_type: u8) -> Option<Standard> {
    let residual = crc_ccitt(&pdu[..10]) ^ u16::from_be_bytes([pdu[10], pdu[11]]);
    [Standard::Dmr, Standard::Pdt]
        .into_iter()
        .find(|s| s.crc16_mask(data_type) == Some(residual))
}

/// Check (and correct one byte of) a 12-byte full-LC PDU of data type 1 or 2 against both mask
/// sets: the standard, the corrected LC and the bytes corrected; None when neither validates.
pub fn rs_standard(pdu: &[u8; 12], data_type: u8) -> Option<(Standard, [u8; 9], u32)> {
    // Clean matches first, so a single-byte correction cannot pick the wrong mask set.
    let mut best = None;
    for s in [Standard::Dmr, Standard::Pdt] {
        let m = s.rs_mask(data_type)?;
        let mut cw = *pdu;
        for k in 0..3 {
            cw[9 + k] ^= m[k];
        }
        if let Ok(n) = rs129_correct(&mut cw) {
            let lc: [u8; 9] = cw[..9].try_into().expect("9 bytes");
            if n == 0 {
                return Some((s, lc, 0));
            }
            best.get_or_insert((s, lc, n));
        }
    }
    best
}

/// DMR CRC masks by data type (TS 102 361-1 via the digest's table): CRC-CCITT types.
pub fn dmr_crc16_mask(data_type: u8) -> Option<u16> {
    match data_type {
        0 => Some(0x6969),
        3 => Some(0xA5A5),
        4 => Some(0xAAAA),
        6 => Some(0xCCCC),
        11 => Some(0x3333),
        _ => None,
    }
}

/// DMR RS(12,9) masks: voice LC header and terminator.
pub fn dmr_rs_mask(data_type: u8) -> Option<u8> {
    match data_type {
        1 => Some(0x96),
        2 => Some(0x99),
        _ => None,
    }
}

// ---------------------------------------------------------------- TACT, sync

/// TACT: AT, TC, LCSS → 7 bits with Hamming(7,4) parity.
pub fn tact_encode(at: u8, tc: u8, lcss: u8) -> [u8; 7] {
    let d = [at & 1, tc & 1, (lcss >> 1) & 1, lcss & 1];
    let p = H7_4.parity(&d);
    [d[0], d[1], d[2], d[3], p[0], p[1], p[2]]
}

/// CACH positions of the 7 TACT bits.
pub const CACH_TACT_POS: [usize; 7] = [0, 4, 8, 12, 14, 18, 22];

/// The 48-bit sync patterns.
pub mod sync {
    /// BS-sourced voice.
    pub const BS_VOICE: u64 = 0x755F_D7DF_75F7;
    /// BS-sourced data.
    pub const BS_DATA: u64 = 0xDFF5_7D75_DF5D;
    /// MS-sourced voice.
    pub const MS_VOICE: u64 = 0x7F7D_5DD5_7DFD;
    /// MS-sourced data.
    pub const MS_DATA: u64 = 0xD5D7_F77F_D757;
    /// MS-sourced reverse channel.
    pub const MS_RC: u64 = 0x77D5_5F7D_FD77;
    /// Direct mode TS1 voice.
    pub const DM_TS1_VOICE: u64 = 0x5D57_7F77_57FF;
    /// Direct mode TS1 data.
    pub const DM_TS1_DATA: u64 = 0xF7FD_D5DD_FD55;
    /// Direct mode TS2 voice.
    pub const DM_TS2_VOICE: u64 = 0x7DFF_D5F5_5D5F;
    /// Direct mode TS2 data.
    pub const DM_TS2_DATA: u64 = 0xD755_7F5F_F7F5;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_bits(h: &str) -> Vec<u8> {
        hex_to_bits(h).unwrap()
    }

    #[test]
    fn golay_slot_type_vectors_and_correction() {
        // dmr-pdt.md §1.4 test vectors.
        for (cc, dt, want) in [
            (1, 1, 0x11B8C),
            (1, 2, 0x12A59),
            (1, 3, 0x132B2),
            (0, 9, 0x0952D),
            (1, 9, 0x1964A),
        ] {
            assert_eq!(golay2087_encode((cc << 4) | dt), want, "CC {cc} DT {dt}");
        }
        for d in 0..=255u8 {
            let cw = golay2087_encode(d);
            assert_eq!(golay2087_decode(cw), Some((d, 0)));
            // Every 3-bit error pattern in the first 19 bits is corrected.
            for (a, b, c) in [(1, 5, 19), (2, 3, 4), (10, 15, 20), (6, 12, 18)] {
                let e = (1u32 << a) | (1 << b) | (1 << c);
                assert_eq!(golay2087_decode(cw ^ e).map(|x| x.0), Some(d));
            }
        }
    }

    #[test]
    fn qr_emb_table_rows() {
        // dmr-pdt.md §1.9: table rows 0, 1 and the CC=1 examples.
        let row0 = [
            0x0000, 0x0273, 0x04E5, 0x0696, 0x09C9, 0x0BBA, 0x0D2C, 0x0F5F, 0x11E2, 0x1391, 0x1507,
            0x1774, 0x182B, 0x1A58, 0x1CCE, 0x1EBD,
        ];
        for (d, &w) in row0.iter().enumerate() {
            assert_eq!(qr1676_encode(d as u8), w);
        }
        assert_eq!(qr1676_encode(127), 0xFE5B);
        assert_eq!(qr1676_encode(0x40), 0x804F);
        for d in 0..128u8 {
            let w = qr1676_encode(d);
            assert_eq!(qr1676_decode(w ^ 0x8001), Some((d, 2)));
        }
    }

    #[test]
    fn tact_vectors() {
        // §1.8: (AT,TC,LCSS) → 7 bits.
        for (at, tc, want) in [
            (0, 0, "0000000"),
            (0, 1, "0100111"),
            (1, 0, "1000101"),
            (1, 1, "1100010"),
        ] {
            let got: String = tact_encode(at, tc, 0)
                .iter()
                .map(|b| b.to_string())
                .collect();
            assert_eq!(got, want);
        }
        let mut w = tact_encode(1, 1, 3);
        w[2] ^= 1;
        assert_eq!(H7_4.correct(&mut w), Ok(true));
        assert_eq!(w, tact_encode(1, 1, 3));
    }

    #[test]
    fn rs129_vector_masks_and_correction() {
        // §1.10: LC 00 00 00 00 00 09 12 D6 87 → parity 65 21 66; masked F3 B7 F0 / FC B8 FF.
        let lc = [0, 0, 0, 0, 0, 0x09, 0x12, 0xD6, 0x87];
        let p = rs129_parity(&lc);
        assert_eq!(p, [0x65, 0x21, 0x66]);
        assert_eq!(p.map(|x| x ^ dmr_rs_mask(1).unwrap()), [0xF3, 0xB7, 0xF0]);
        assert_eq!(p.map(|x| x ^ dmr_rs_mask(2).unwrap()), [0xFC, 0xB8, 0xFF]);
        let mut cw = [0u8; 12];
        cw[..9].copy_from_slice(&lc);
        cw[9..].copy_from_slice(&p);
        assert_eq!(rs129_correct(&mut cw.clone()), Ok(0));
        for pos in 0..12 {
            let mut bad = cw;
            bad[pos] ^= 0x5A;
            assert_eq!(rs129_correct(&mut bad), Ok(1));
            assert_eq!(bad, cw);
        }
        let mut two = cw;
        two[0] ^= 1;
        two[5] ^= 1;
        assert_eq!(rs129_correct(&mut two), Err(Uncorrectable));
    }

    #[test]
    fn pdt_masks_vectors_and_classification() {
        // pdt-mpt1327-addendum.md §2.1 test vectors.
        let lc = [0, 0, 0, 0, 0, 0x09, 0x12, 0xD6, 0x87];
        let p = rs129_parity(&lc);
        let on_air = |m: [u8; 3]| [p[0] ^ m[0], p[1] ^ m[1], p[2] ^ m[2]];
        assert_eq!(
            on_air(Standard::Pdt.rs_mask(1).unwrap()),
            [0xA3, 0xAB, 0xC7]
        );
        assert_eq!(
            on_air(Standard::Pdt.rs_mask(2).unwrap()),
            [0x9F, 0x02, 0x32]
        );
        let csbk = [0xBD, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        assert_eq!(
            crc_ccitt(&csbk) ^ Standard::Pdt.crc16_mask(3).unwrap(),
            0x229B
        );
        // A PDU validates with its own mask set only.
        for (std, crc) in [(Standard::Dmr, 0x766Eu16), (Standard::Pdt, 0x229B)] {
            let mut pdu = [0u8; 12];
            pdu[..10].copy_from_slice(&csbk);
            pdu[10..].copy_from_slice(&crc.to_be_bytes());
            assert_eq!(crc16_standard(&pdu, 3), Some(std));
            assert_eq!(crc16_standard(&pdu, 6), None);
        }
        for (std, par) in [
            (Standard::Dmr, [0xF3, 0xB7, 0xF0]),
            (Standard::Pdt, [0xA3, 0xAB, 0xC7]),
        ] {
            let mut pdu = [0u8; 12];
            pdu[..9].copy_from_slice(&lc);
            pdu[9..].copy_from_slice(&par);
            assert_eq!(rs_standard(&pdu, 1), Some((std, lc, 0)));
            pdu[6] ^= 0x40; // one byte hit: corrected, still the right standard
            assert_eq!(rs_standard(&pdu, 1), Some((std, lc, 1)));
        }
    }

    #[test]
    fn crc_vectors() {
        // §1.6 and §1.8 check values, and the CSBK example.
        assert_eq!(crc_ccitt(b"123456789"), 0xCE3C);
        let csbk = [0xBD, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        assert_eq!(crc_ccitt(&csbk), 0xD3CB);
        assert_eq!(crc_ccitt(&csbk) ^ dmr_crc16_mask(3).unwrap(), 0x766E);
        assert_eq!(crc8(b"123456789"), 0xF4);
    }

    #[test]
    fn bptc_idle_and_voice_lc_header_bursts() {
        // §1.7: the Idle message encodes to MMDVMHost's DMR_IDLE_DATA payload (bits 0–97 and
        // 166–263 of its 264-bit burst, the 33 bytes in dmr_vectors.py).
        let idle_burst =
            hex_bits("53C25EABA8671DC7383BD936000DFF57D75DF5D003F6E465171B48CA6D4FC610B4");
        let info = hex_bits("FF83DF1732094ED1E7CD8A91");
        let tx = bptc196_encode(&info);
        let want: Vec<u8> = idle_burst[..98]
            .iter()
            .chain(&idle_burst[166..])
            .copied()
            .collect();
        assert_eq!(tx, want);
        let (back, fixed, clean) = bptc196_decode(&tx);
        assert_eq!((back, fixed, clean), (info.clone(), 0, true));
        // Voice LC header for LC 00..87, CC 1, BS data sync: the complete 264-bit burst (§1.10).
        let burst = hex_bits("028F083403680F981A203F20C46DFF57D75DF5DE33D8174813A004405401BB00AE");
        let lc = [0, 0, 0, 0, 0, 0x09, 0x12, 0xD6, 0x87];
        let mut payload = lc.to_vec();
        payload.extend(rs129_parity(&lc).map(|x| x ^ 0x96));
        // (Slot type and sync around it are checked in pdt::burst; here the BPTC part and the
        // slot-type word, which sit at bits 0–97/166–263 and 98–107/156–165.)
        let tx = bptc196_encode(&bytes_to_bits(&payload));
        let want: Vec<u8> = burst[..98].iter().chain(&burst[166..]).copied().collect();
        assert_eq!(tx, want);
        let st: Vec<u8> = burst[98..108]
            .iter()
            .chain(&burst[156..166])
            .copied()
            .collect();
        assert_eq!(golay2087_encode(0x11) as u64, bits_to_u64(&st));
        assert_eq!(bits_to_u64(&burst[108..156]), sync::BS_DATA);
        // Errors spread over the burst are corrected.
        let mut rx: Vec<u8> = burst[..98].iter().chain(&burst[166..]).copied().collect();
        for i in [3, 50, 97, 120, 180] {
            rx[i] ^= 1;
        }
        let (got, fixed, _) = bptc196_decode(&rx);
        assert_eq!(bits_to_bytes(&got), payload);
        assert_eq!(fixed, 5);
    }

    #[test]
    fn hamming_codes_correct_every_single_error() {
        for h in [&H15_11, &H13_9, &H16_11, &H17_12, &H7_4] {
            let d: Vec<u8> = (0..h.k).map(|i| ((i * 7 + 3) % 2) as u8).collect();
            let mut cw = d.clone();
            cw.extend(h.parity(&d));
            for i in 0..h.n() {
                let mut bad = cw.clone();
                bad[i] ^= 1;
                assert_eq!(h.correct(&mut bad), Ok(true), "n {} bit {i}", h.n());
                assert_eq!(bad, cw);
            }
        }
    }
}
