//! Inner code (EN 300 744 §4.3.3, digest §6.7): the K = 7 mother code (G1 = 171 → X, G2 = 133
//! → Y), puncturing on the transmit side and depuncturing (erasures) on the receive side.

use super::params::CodeRate;
use linkscope_dsp::viterbi::ConvEncoderK7;

/// Generator polynomials, octal, MSB = current input bit.
pub const G1: u8 = 0o171;
pub const G2: u8 = 0o133;

/// Puncturing masks (X, Y) per input bit of one period; 1 = transmitted.
pub fn pattern(r: CodeRate) -> (&'static [u8], &'static [u8]) {
    match r {
        CodeRate::R12 => (&[1], &[1]),
        CodeRate::R23 => (&[1, 0], &[1, 1]),
        CodeRate::R34 => (&[1, 0, 1], &[1, 1, 0]),
        CodeRate::R56 => (&[1, 0, 1, 0, 1], &[1, 1, 0, 1, 0]),
        CodeRate::R78 => (&[1, 0, 0, 0, 1, 0, 1], &[1, 1, 1, 1, 0, 1, 0]),
    }
}

/// Convolutional encoder (the mother code of `linkscope_dsp::viterbi`) with puncturing,
/// starting from the zero state.
#[derive(Debug, Clone)]
pub struct Encoder {
    mother: ConvEncoderK7,
    phase: usize,
    x: &'static [u8],
    y: &'static [u8],
    pairs: Vec<u8>,
}

impl Encoder {
    pub fn new(r: CodeRate) -> Encoder {
        let (x, y) = pattern(r);
        Encoder {
            mother: ConvEncoderK7::new(G1, G2).expect("valid DVB-T code"),
            phase: 0,
            x,
            y,
            pairs: Vec::new(),
        }
    }

    /// Encode `bits` (0/1), appending the transmitted coded bits to `out`.
    pub fn push(&mut self, bits: &[u8], out: &mut Vec<u8>) {
        self.pairs.resize(2 * bits.len(), 0);
        self.mother.encode(bits, &mut self.pairs);
        for xy in self.pairs.chunks_exact(2) {
            if self.x[self.phase] == 1 {
                out.push(xy[0]);
            }
            if self.y[self.phase] == 1 {
                out.push(xy[1]);
            }
            self.phase = (self.phase + 1) % self.x.len();
        }
    }
}

/// Depuncturing as a table: the slot in the (X, Y) pair sequence of each of `coded`
/// transmitted bits, from the start of a puncturing period, and the number of pairs they fill.
/// Slots that no transmitted bit reaches are the punctured ones (erasures).
pub fn depuncture_slots(r: CodeRate, coded: usize) -> (Vec<u32>, usize) {
    let (x, y) = pattern(r);
    let mut slots = Vec::with_capacity(coded);
    let mut pair = 0usize;
    while slots.len() < coded {
        let ph = pair % x.len();
        if x[ph] == 1 {
            slots.push(2 * pair as u32);
        }
        if y[ph] == 1 && slots.len() < coded {
            slots.push(2 * pair as u32 + 1);
        }
        pair += 1;
    }
    (slots, pair)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn impulse_responses_and_rates() {
        // A single 1 then zeros: X = 1111001, Y = 1011011 (digest §6.7).
        let mut e = Encoder::new(CodeRate::R12);
        let mut out = Vec::new();
        e.push(&[1, 0, 0, 0, 0, 0, 0], &mut out);
        let x: Vec<u8> = out.iter().step_by(2).copied().collect();
        let y: Vec<u8> = out.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(x, [1, 1, 1, 1, 0, 0, 1]);
        assert_eq!(y, [1, 0, 1, 1, 0, 1, 1]);
        for r in CodeRate::ALL {
            let (n, d) = r.ratio();
            let mut e = Encoder::new(r);
            let mut out = Vec::new();
            e.push(&vec![1; 7 * 5 * 6 * n], &mut out);
            assert_eq!(out.len(), 7 * 5 * 6 * d, "{r:?}");
            // Depuncturing puts every transmitted bit back on its mother-code pair: one pair
            // per input bit, and the unpunctured encoder's bits at every slot reached.
            let bits = 7 * 5 * 6 * n;
            let (slots, pairs) = depuncture_slots(r, out.len());
            assert_eq!(pairs, bits, "{r:?}");
            let mut mother = Vec::new();
            Encoder::new(CodeRate::R12).push(&vec![1; bits], &mut mother);
            for (&b, &slot) in out.iter().zip(&slots) {
                assert_eq!(b, mother[slot as usize], "{r:?} slot {slot}");
            }
        }
    }
}
