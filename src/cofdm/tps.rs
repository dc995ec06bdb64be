//! Transmission Parameter Signalling (EN 300 744 §4.6, digest §6.3): the 68-bit word of each
//! frame, its BCH(67,53) protection, and the parameters it carries.

use super::params::{CodeRate, Constellation, Guard, Mode, TxParams};
use serde::Serialize;

/// Sync word of frames 1 and 3 (s1–s16); frames 2 and 4 carry its complement.
pub const SYNC_ODD_FRAMES: u16 = 0x35EE;

/// BCH generator x¹⁴+x⁹+x⁸+x⁶+x⁵+x⁴+x²+x+1.
const BCH_G: u128 = (1 << 14) | (1 << 9) | (1 << 8) | (1 << 6) | (1 << 5) | (1 << 4) | 0b111;

fn poly_mod(mut v: u128, top_bit: u32) -> u128 {
    for i in (14..=top_bit).rev() {
        if v >> i & 1 == 1 {
            v ^= BCH_G << (i - 14);
        }
    }
    v
}

/// The 67 bits s1…s67 as a polynomial (s1 at x⁶⁶).
fn to_poly(s: &[u8]) -> u128 {
    s.iter().fold(0u128, |a, &b| (a << 1) | (b & 1) as u128)
}

/// TPS bits s0…s67 of frame `frame` (0…3) in a superframe.
pub fn encode(p: &TxParams, frame: usize) -> [u8; 68] {
    encode_signalling(p, frame, 0)
}

/// The TPS word with hierarchy code `hierarchy` (s27–s29: 0 non-hierarchical, 1/2/3 = α 1/2/4)
/// signalled, whatever the cells carry.
pub fn encode_signalling(p: &TxParams, frame: usize, hierarchy: u8) -> [u8; 68] {
    let mut d = [0u8; 68];
    fn set(d: &mut [u8; 68], start: usize, n: usize, v: u32) {
        for i in 0..n {
            d[start + i] = (v >> (n - 1 - i) & 1) as u8;
        }
    }
    let sync = if frame % 2 == 0 {
        SYNC_ODD_FRAMES
    } else {
        !SYNC_ODD_FRAMES
    };
    set(&mut d, 1, 16, sync as u32);
    set(&mut d, 17, 6, if p.cell_id.is_some() { 31 } else { 23 });
    set(&mut d, 23, 2, frame as u32 & 3);
    set(&mut d, 25, 2, p.constellation.tps_code() as u32);
    set(&mut d, 27, 3, hierarchy as u32 & 7);
    set(&mut d, 30, 3, p.code_rate.tps_code() as u32);
    set(&mut d, 33, 3, p.code_rate.tps_code() as u32);
    set(&mut d, 36, 2, p.guard.tps_code() as u32);
    set(&mut d, 38, 2, p.mode.tps_code() as u32);
    let cid = p.cell_id.unwrap_or(0);
    let byte = if frame % 2 == 0 { cid >> 8 } else { cid & 0xFF };
    set(&mut d, 40, 8, byte as u32);
    let parity = poly_mod(to_poly(&d[1..54]) << 14, 66);
    set(&mut d, 54, 14, parity as u32);
    d
}

/// A decoded TPS word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tps {
    /// Frame number in the superframe, 0…3 (frame 1 = 0).
    pub frame: u8,
    pub mode: Mode,
    pub guard: Guard,
    pub constellation: Constellation,
    /// Hierarchy code (0 = non-hierarchical).
    pub hierarchy: u8,
    pub code_rate_hp: CodeRate,
    pub code_rate_lp: Option<CodeRate>,
    /// Cell-id byte carried by this frame (high byte in frames 1/3, low in 2/4) when signalled.
    pub cell_id_byte: Option<u8>,
    /// Bits corrected by the BCH code.
    pub bch_corrected: u8,
}

/// Why a TPS word was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TpsError {
    Sync,
    Bch,
    Field,
}

/// Check and decode s0…s67 (sync must be one of the two words exactly; BCH corrects ≤ 2 errors).
pub fn decode(bits: &[u8; 68]) -> Result<Tps, TpsError> {
    let sync = to_poly(&bits[1..17]) as u16;
    if sync != SYNC_ODD_FRAMES && sync != !SYNC_ODD_FRAMES {
        return Err(TpsError::Sync);
    }
    let mut s = [0u8; 67];
    s.copy_from_slice(&bits[1..68]);
    let mut corrected = 0u8;
    if poly_mod(to_poly(&s), 66) != 0 {
        let syn = poly_mod(to_poly(&s), 66);
        let single = |i: usize| poly_mod(1u128 << (66 - i), 66);
        let mut fixed = None;
        'search: for i in 0..67 {
            if single(i) == syn {
                fixed = Some((i, None));
                break;
            }
            for j in i + 1..67 {
                if single(i) ^ single(j) == syn {
                    fixed = Some((i, Some(j)));
                    break 'search;
                }
            }
        }
        let (i, j) = fixed.ok_or(TpsError::Bch)?;
        s[i] ^= 1;
        corrected = 1;
        if let Some(j) = j {
            s[j] ^= 1;
            corrected = 2;
        }
    }
    let field =
        |start: usize, n: usize| -> u8 { (0..n).fold(0u8, |a, i| (a << 1) | s[start - 1 + i]) };
    let len = field(17, 6);
    let frame = field(23, 2);
    let constellation = Constellation::from_tps(field(25, 2)).ok_or(TpsError::Field)?;
    let hierarchy = field(27, 3);
    let code_rate_hp = CodeRate::from_tps(field(30, 3)).ok_or(TpsError::Field)?;
    let code_rate_lp = CodeRate::from_tps(field(33, 3));
    let guard = Guard::from_tps(field(36, 2));
    let mode = Mode::from_tps(field(38, 2)).ok_or(TpsError::Field)?;
    let expect_sync = if frame % 2 == 0 {
        SYNC_ODD_FRAMES
    } else {
        !SYNC_ODD_FRAMES
    };
    if to_poly(&s[0..16]) as u16 != expect_sync {
        return Err(TpsError::Field);
    }
    Ok(Tps {
        frame,
        mode,
        guard,
        constellation,
        hierarchy,
        code_rate_hp,
        code_rate_lp,
        cell_id_byte: (len == 31).then(|| field(40, 8)),
        bch_corrected: corrected,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn digest_vectors_encode_and_decode() {
        // dvbt.md §6.3: 2K, QPSK, non-hierarchical, CR 1/2, GI 1/32, no cell id; s1…s67.
        let want = [
            "0011010111101110010111000000000000000000000000000000001100110000100",
            "1100101000010001010111010000000000000000000000000000000110010101000",
            "0011010111101110010111100000000000000000000000000000001010101111001",
            "1100101000010001010111110000000000000000000000000000000000001010101",
        ];
        let p = TxParams {
            mode: Mode::K2,
            guard: Guard::G32,
            constellation: Constellation::Qpsk,
            code_rate: CodeRate::R12,
            cell_id: None,
        };
        for (f, w) in want.iter().enumerate() {
            let d = encode(&p, f);
            assert_eq!(d[1..].to_vec(), bits(w), "frame {}", f + 1);
            let t = decode(&d).unwrap();
            assert_eq!(t.frame as usize, f);
            assert_eq!(t.mode, Mode::K2);
            assert_eq!(t.guard, Guard::G32);
            assert_eq!(t.code_rate_hp, CodeRate::R12);
            assert_eq!(t.cell_id_byte, None);
        }
    }

    #[test]
    fn bch_corrects_two_errors_and_cell_id_round_trips() {
        let p = TxParams {
            mode: Mode::K8,
            guard: Guard::G8,
            constellation: Constellation::Qam64,
            code_rate: CodeRate::R78,
            cell_id: Some(0x1A2B),
        };
        let mut d = encode(&p, 1);
        d[20] ^= 1;
        d[60] ^= 1;
        let t = decode(&d).unwrap();
        assert_eq!(t.bch_corrected, 2);
        assert_eq!(t.cell_id_byte, Some(0x2B));
        assert_eq!(t.constellation, Constellation::Qam64);
        assert_eq!(t.mode, Mode::K8);
        assert_eq!(decode(&encode(&p, 2)).unwrap().cell_id_byte, Some(0x1A));
    }
}
