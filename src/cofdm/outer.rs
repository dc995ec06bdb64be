//! Outer layer (EN 300 744 §4.3.1–4.3.2, digest §6.8, §6.10): energy dispersal of the transport
//! stream and the Forney convolutional byte interleaver (I = 12, M = 17), both directions.

/// TS packet length.
pub const TS_LEN: usize = 188;
/// RS codeword length.
pub const RS_LEN: usize = 204;
/// Interleaver branches I and unit depth M.
pub const BRANCHES: usize = 12;
pub const DEPTH: usize = 17;
/// Packets per energy-dispersal group.
pub const GROUP: usize = 8;

pub const SYNC: u8 = 0x47;
pub const SYNC_INVERTED: u8 = 0xB8;

/// The PRBS bytes of one 8-packet group: entry p·188 + b − 1 is XORed onto byte b of packet p
/// (entries at the sync bytes of packets 1…7 are clocked but not applied).
pub fn dispersal_sequence() -> Vec<u8> {
    let mut reg: u16 = 0x00A9;
    (0..GROUP * TS_LEN - 1)
        .map(|_| {
            let mut byte = 0u8;
            for _ in 0..8 {
                let fb = ((reg >> 13) ^ (reg >> 14)) & 1;
                reg = ((reg << 1) | fb) & 0x7FFF;
                byte = (byte << 1) | fb as u8;
            }
            byte
        })
        .collect()
}

/// Randomise (or de-randomise: the same XOR) packet `p` (0…7) of a group in place; the sync
/// byte becomes 0xB8 in packet 0 and 0x47 elsewhere when `scramble`, 0x47 always otherwise.
pub fn disperse(seq: &[u8], p: usize, pkt: &mut [u8], scramble: bool) {
    let base = p * TS_LEN;
    for b in 1..TS_LEN {
        pkt[b] ^= seq[base + b - 1];
    }
    pkt[0] = if scramble && p == 0 {
        SYNC_INVERTED
    } else {
        SYNC
    };
}

/// A convolutional byte interleaver: branch j delays by `delay(j)` × M bytes.
#[derive(Debug, Clone)]
pub struct ConvInterleaver {
    fifos: Vec<Vec<u8>>,
    heads: Vec<usize>,
    branch: usize,
}

impl ConvInterleaver {
    /// Transmit side: branch j holds j·M bytes.
    pub fn interleaver() -> ConvInterleaver {
        Self::with_lengths(|j| j * DEPTH)
    }
    /// Transmit side with the FIFOs holding pseudo-random bytes instead of zeros (their
    /// contents precede the first packet and are never decoded; random filler keeps the first
    /// symbols from being a near-constant, high-crest signal).
    pub fn interleaver_filled(seed: u32) -> ConvInterleaver {
        let mut c = Self::interleaver();
        let mut x = seed | 1;
        for f in c.fifos.iter_mut() {
            for b in f.iter_mut() {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                *b = (x >> 24) as u8;
            }
        }
        c
    }
    /// Receive side: branch j holds (I − 1 − j)·M bytes.
    pub fn deinterleaver() -> ConvInterleaver {
        Self::with_lengths(|j| (BRANCHES - 1 - j) * DEPTH)
    }
    fn with_lengths(len: impl Fn(usize) -> usize) -> ConvInterleaver {
        ConvInterleaver {
            fifos: (0..BRANCHES).map(|j| vec![0u8; len(j)]).collect(),
            heads: vec![0; BRANCHES],
            branch: 0,
        }
    }
    /// Restart the commutator at branch 0 (the branch a sync byte goes through).
    pub fn align(&mut self) {
        self.branch = 0;
    }
    /// One byte in, one byte out.
    #[inline]
    pub fn push(&mut self, b: u8) -> u8 {
        let j = self.branch;
        self.branch = (j + 1) % BRANCHES;
        let f = &mut self.fifos[j];
        if f.is_empty() {
            return b;
        }
        let h = self.heads[j];
        let out = f[h];
        f[h] = b;
        self.heads[j] = if h + 1 == f.len() { 0 } else { h + 1 };
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prbs_starts_with_the_digest_bytes() {
        let s = dispersal_sequence();
        assert_eq!(s[..8], [0x03, 0xF6, 0x08, 0x34, 0x30, 0xB8, 0xA3, 0x93]);
    }

    #[test]
    fn interleaver_then_deinterleaver_is_a_pure_delay() {
        let mut i = ConvInterleaver::interleaver();
        let mut d = ConvInterleaver::deinterleaver();
        let delay = BRANCHES * (BRANCHES - 1) * DEPTH;
        let input: Vec<u8> = (0..5000u32).map(|x| (x * 31 % 251) as u8).collect();
        let out: Vec<u8> = input.iter().map(|&b| d.push(i.push(b))).collect();
        assert_eq!(out[delay..], input[..input.len() - delay]);
    }
}
