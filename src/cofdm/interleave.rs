//! Inner interleaving (EN 300 744 §4.3.4, digest §6.5–6.6): the bit-wise interleaver on blocks
//! of 126 symbol words and the symbol interleaver over the data cells of a symbol. One table
//! each, used forwards by the transmitter and backwards by the receiver.

use super::params::{Constellation, Mode};

/// Cyclic shifts H_e(w) = (w + SHIFT[e]) mod 126 of the six bit-interleaver branches.
const SHIFT: [usize; 6] = [0, 63, 105, 42, 21, 84];

/// Symbol words per bit-interleaver block.
pub const BLOCK_WORDS: usize = 126;

/// The bit interleaver of one constellation: coded bit j of a block (126·v bits) goes to soft
/// slot `slot[j]` = w·v + e (word w, bit e of the word).
#[derive(Debug, Clone)]
pub struct BitInterleaver {
    pub v: usize,
    pub slot: Vec<u32>,
}

impl BitInterleaver {
    pub fn new(c: Constellation) -> BitInterleaver {
        let v = c.bits();
        let slot = (0..BLOCK_WORDS * v)
            .map(|i| {
                let r = i % v;
                let e = r / (v / 2) + 2 * (r % (v / 2));
                let pos = i / v; // index in sub-stream b_e
                let w = (pos + BLOCK_WORDS - SHIFT[e]) % BLOCK_WORDS;
                (w * v + e) as u32
            })
            .collect();
        BitInterleaver { v, slot }
    }

    /// Transmit: coded bits of one block → symbol words (w·v + e layout).
    pub fn interleave(&self, x: &[u8], y: &mut [u8]) {
        for (j, &s) in self.slot.iter().enumerate() {
            y[s as usize] = x[j];
        }
    }

    /// Receive: soft symbol words of one block → soft coded bits in transmission order.
    pub fn deinterleave<T: Copy>(&self, y: &[T], x: &mut [T]) {
        for (j, &s) in self.slot.iter().enumerate() {
            x[j] = y[s as usize];
        }
    }
}

/// The symbol interleaver's H(q) for `mode` (q = 0 … data cells − 1).
pub fn symbol_permutation(mode: Mode) -> Vec<u32> {
    let (nr, perm, taps): (usize, &[usize], &[usize]) = match mode {
        // R′ bit → R bit.
        Mode::K2 => (11, &[4, 3, 9, 6, 2, 8, 1, 5, 7, 0], &[0, 3]),
        Mode::K8 => (13, &[7, 1, 4, 2, 9, 6, 8, 10, 0, 3, 11, 5], &[0, 1, 4, 6]),
    };
    let bits = nr - 1;
    let n_data = mode.data_cells();
    let mut h = Vec::with_capacity(n_data);
    let mut rp: u32 = 0;
    for i in 0..(1usize << nr) {
        if i < 2 {
            rp = 0;
        } else if i == 2 {
            rp = 1;
        } else {
            let nb = taps.iter().fold(0, |a, &t| a ^ (rp >> t & 1));
            rp = (rp >> 1) | (nb << (bits - 1));
        }
        let r = (0..bits).fold(0u32, |a, k| a | ((rp >> k & 1) << perm[k]));
        let v = ((i % 2) << bits) as u32 + r;
        if (v as usize) < n_data {
            h.push(v);
        }
        if h.len() == n_data {
            break;
        }
    }
    h
}

/// Transmit: interleaver input y′ → cells y in carrier order for symbol `l`.
pub fn symbol_interleave<T: Copy>(h: &[u32], l: usize, yin: &[T], yout: &mut [T]) {
    if l % 2 == 0 {
        for (q, &hq) in h.iter().enumerate() {
            yout[hq as usize] = yin[q];
        }
    } else {
        for (q, &hq) in h.iter().enumerate() {
            yout[q] = yin[hq as usize];
        }
    }
}

/// Receive: cells y in carrier order → interleaver input y′ for symbol `l`.
pub fn symbol_deinterleave<T: Copy>(h: &[u32], l: usize, y: &[T], yp: &mut [T]) {
    if l % 2 == 0 {
        for (q, &hq) in h.iter().enumerate() {
            yp[q] = y[hq as usize];
        }
    } else {
        for (q, &hq) in h.iter().enumerate() {
            yp[hq as usize] = y[q];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_permutation_matches_the_digest_vector_and_is_a_permutation() {
        let h = symbol_permutation(Mode::K2);
        assert_eq!(
            h[..20],
            [
                0, 1024, 16, 1025, 128, 1056, 2, 1280, 4, 1088, 513, 1160, 48, 1027, 384, 1060, 66,
                140, 1136, 514
            ]
        );
        for mode in Mode::ALL {
            let h = symbol_permutation(mode);
            let mut s = h.clone();
            s.sort_unstable();
            assert!(
                s.iter().enumerate().all(|(i, &v)| v as usize == i),
                "{mode:?}"
            );
        }
    }

    #[test]
    fn bit_interleaver_follows_the_demux_and_shifts() {
        // 16-QAM: x1 → b2, which is read at word w where (w + 105) mod 126 = 0 → w = 21.
        let bi = BitInterleaver::new(Constellation::Qam16);
        assert_eq!(bi.slot[0], 0);
        assert_eq!(bi.slot[1], 21 * 4 + 2);
        assert_eq!(bi.slot[2], 63 * 4 + 1);
        for c in Constellation::ALL {
            let bi = BitInterleaver::new(c);
            let x: Vec<u8> = (0..bi.slot.len()).map(|i| (i * 7 % 5 % 2) as u8).collect();
            let mut y = vec![0u8; x.len()];
            bi.interleave(&x, &mut y);
            let mut back = vec![0u8; x.len()];
            bi.deinterleave(&y, &mut back);
            assert_eq!(back, x);
        }
    }
}
