//! The 64-bit codeword code of MPT 1317/1327 (also Fleetsync): 48 information bits, 15 check bits
//! of the cyclic code g(x) = x¹⁵+x¹⁴+x¹³+x¹¹+x⁴+x²+1 (0x6815) with the last check bit inverted,
//! and one bit of even parity over the whole word. Minimum distance 4 with the parity bit: one
//! error is corrected, two are detected.
//!
//! A codeword is held in a `u64` with the first bit on air (bit 0 of the standard) as the MSB.

use std::sync::OnceLock;

const POLY: u16 = 0x6815 & 0x7fff;

/// The 16-bit check field (15 check bits, last inverted, then even parity) for 48 info bits
/// (`info` in the low 48 bits, first bit on air most significant).
pub fn check_field(info: u64) -> u16 {
    let mut reg: u16 = 0;
    for i in (0..48).rev() {
        let fb = (((reg >> 14) & 1) as u64 ^ ((info >> i) & 1)) != 0;
        reg = (reg << 1) & 0x7fff;
        if fb {
            reg ^= POLY;
        }
    }
    reg ^= 1;
    let word63 = ((info & 0xFFFF_FFFF_FFFF) << 15) | reg as u64;
    let parity = (word63.count_ones() & 1) as u16;
    (reg << 1) | parity
}

/// The full codeword for 48 info bits.
pub fn encode(info: u64) -> u64 {
    ((info & 0xFFFF_FFFF_FFFF) << 16) | check_field(info) as u64
}

/// Whether a received codeword checks.
pub fn is_valid(cw: u64) -> bool {
    check_field(cw >> 16) == (cw & 0xffff) as u16
}

/// Outcome of [`decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Received without error.
    Ok,
    /// One bit error corrected; the value is the bit index (0 = first on air).
    Corrected(u8),
    /// Two or more errors: not decodable.
    Failed,
}

fn syndrome_table() -> &'static [(u16, u8)] {
    static T: OnceLock<Vec<(u16, u8)>> = OnceLock::new();
    T.get_or_init(|| {
        // The code is affine, so the syndrome of a single error is independent of the word: take
        // the all-zero information word.
        let base = encode(0);
        let mut t: Vec<(u16, u8)> = (0..64u8)
            .map(|pos| {
                let e = base ^ (1u64 << (63 - pos));
                (syndrome(e), pos)
            })
            .collect();
        t.sort_unstable();
        t
    })
}

fn syndrome(cw: u64) -> u16 {
    check_field(cw >> 16) ^ (cw & 0xffff) as u16
}

/// Check a codeword and correct a single bit error if `correct` allows; returns the (possibly
/// corrected) word and what was done.
pub fn decode(cw: u64, correct: bool) -> (u64, Check) {
    let s = syndrome(cw);
    if s == 0 {
        return (cw, Check::Ok);
    }
    if correct {
        let t = syndrome_table();
        if let Ok(i) = t.binary_search_by_key(&s, |&(syn, _)| syn) {
            let pos = t[i].1;
            return (cw ^ (1u64 << (63 - pos)), Check::Corrected(pos));
        }
    }
    (cw, Check::Failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors from `../shared/spec/pdt-mpt1327-addendum.md` §5.2–5.3.
    #[test]
    fn spec_vectors_check() {
        for cw in [
            0x8103_2002_8320_1029u64, // GTC(pfix 1, ident1 100, d 0, chan 5, ident2 200, n 0)
            0x80FF_FC00_E804_BA13,    // ALH(pfix 0, ALLI, chan4 3, wt 5, m 0, n 4)
            0x8091_A470_0A00_EFC8,    // BCAST(sysdef 0, sys 0x1234, chan 10)
            0x0000_1151_AAAA_C4D7,    // CCSC SYS 0x0000
            0x1234_4221_AAAA_C4D7,    // CCSC SYS 0x1234
        ] {
            assert!(is_valid(cw), "{cw:016X}");
            assert_eq!(encode(cw >> 16), cw, "{cw:016X}");
        }
    }

    #[test]
    fn single_errors_corrected_double_errors_detected() {
        let cw = 0x8103_2002_8320_1029u64;
        // Each single-error syndrome is distinct (else the table would mis-correct).
        let t = syndrome_table();
        assert!(t.windows(2).all(|w| w[0].0 != w[1].0));
        for i in 0..64 {
            let (fixed, c) = decode(cw ^ (1 << (63 - i)), true);
            assert_eq!(fixed, cw);
            assert_eq!(c, Check::Corrected(i as u8));
            assert_eq!(decode(cw ^ (1 << (63 - i)), false).1, Check::Failed);
            for j in i + 1..64 {
                let bad = cw ^ (1 << (63 - i)) ^ (1 << (63 - j));
                assert_eq!(decode(bad, true).1, Check::Failed, "{i} {j}");
            }
        }
    }
}
