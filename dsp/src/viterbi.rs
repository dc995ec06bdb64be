//! Convolutional code K = 7, rate 1/2: encoder and soft-decision Viterbi decoders.
//!
//! Polynomials are given in the usual octal notation with the most significant of the seven
//! taps on the *current* input bit: DVB-T's mother code is `(0o171, 0o133)` (X then Y), the
//! "NASA/Voyager" code of libfec and GNU Radio's `cc_decoder` is the same pair. The first
//! polynomial gives the first coded bit of each pair.
//!
//! Soft symbols are `i8`: positive means coded bit 1, negative 0, the magnitude is the
//! confidence, and 0 is an erasure (a punctured position carries no information, so
//! depuncturing inserts zeros). Values are clamped to ±127 by the caller's quantiser; −128 is
//! read as −127's neighbour and does no harm.
//!
//! The add-compare-select runs in [`crate::simd`] (`acs_k7`, AVX2 path: 16 butterflies per
//! instruction, i16 metrics); trace-back is scalar. Both decoders allocate only at
//! construction (and [`ViterbiK7::decode_terminated`] when given a longer frame than any before).

use crate::simd::scalar::K7Code;
use crate::simd::Kernels;
use crate::{invalid, DspError};

/// Coded bits per information bit.
pub const RATE_INV: usize = 2;
/// Memory of the code (K − 1): the tail that terminates a frame.
pub const TAIL_BITS: usize = 6;

/// Bit-reverse a 7-tap polynomial into the register order used here (bit 0 = newest input).
fn register_mask(poly: u8) -> u8 {
    let mut m = 0u8;
    for i in 0..7 {
        if poly >> i & 1 == 1 {
            m |= 1 << (6 - i);
        }
    }
    m
}

fn check_poly(name: &'static str, poly: u8) -> Result<u8, DspError> {
    // Both end taps set: otherwise the code is not K = 7 (or is catastrophic/degenerate).
    if poly & 0x41 != 0x41 || poly > 0x7f {
        return Err(invalid(
            name,
            format!("{poly:o} (octal) is not a K = 7 polynomial with both end taps set"),
        ));
    }
    Ok(register_mask(poly))
}

fn parity(v: u8) -> u8 {
    (v.count_ones() & 1) as u8
}

/// The ACS sign tables of a checked octal polynomial pair (both decoders).
fn checked_code(poly_a: u8, poly_b: u8) -> Result<K7Code, DspError> {
    Ok(code_tables(
        check_poly("poly_a", poly_a)?,
        check_poly("poly_b", poly_b)?,
    ))
}

fn code_tables(ma: u8, mb: u8) -> K7Code {
    let mut code = K7Code {
        sign_a: [0; 32],
        sign_b: [0; 32],
    };
    for j in 0..32u8 {
        // Transition old state j → new state 2j: register = j's bits then the new bit 0.
        let sr = j << 1;
        code.sign_a[j as usize] = if parity(sr & ma) == 1 { 1 } else { -1 };
        code.sign_b[j as usize] = if parity(sr & mb) == 1 { 1 } else { -1 };
    }
    code
}

/// Rate-1/2 K = 7 convolutional encoder (starts in the zero state).
#[derive(Debug, Clone)]
pub struct ConvEncoderK7 {
    ma: u8,
    mb: u8,
    sr: u8,
}

impl ConvEncoderK7 {
    /// Encoder for the octal polynomial pair (first, second coded bit).
    pub fn new(poly_a: u8, poly_b: u8) -> Result<ConvEncoderK7, DspError> {
        Ok(ConvEncoderK7 {
            ma: check_poly("poly_a", poly_a)?,
            mb: check_poly("poly_b", poly_b)?,
            sr: 0,
        })
    }

    /// Encode `bits` (0/1, any non-zero is 1) into `out` (2 coded bits per input bit).
    ///
    /// # Panics
    /// If `out.len() != 2 * bits.len()`.
    pub fn encode(&mut self, bits: &[u8], out: &mut [u8]) {
        assert_eq!(out.len(), RATE_INV * bits.len(), "encode: output length");
        for (&b, o) in bits.iter().zip(out.chunks_exact_mut(2)) {
            self.sr = ((self.sr << 1) | (b != 0) as u8) & 0x7f;
            o[0] = parity(self.sr & self.ma);
            o[1] = parity(self.sr & self.mb);
        }
    }

    /// Back to the zero state.
    pub fn reset(&mut self) {
        self.sr = 0;
    }
}

/// Metric a state starts with when the start state is known to be another one.
const UNREACHED: i16 = -6000;

fn trace_back(decisions: &[u64], mut state: usize, mut emit: impl FnMut(usize, u8)) {
    for t in (0..decisions.len()).rev() {
        emit(t, (state & 1) as u8);
        let d = (decisions[t] >> state) & 1;
        state = (state >> 1) | ((d as usize) << 5);
    }
}

fn best_state(metrics: &[i16; 64]) -> usize {
    // Metrics are kept relative to state 0, so plain signed comparison is valid.
    let mut best = 0;
    for s in 1..64 {
        if metrics[s] > metrics[best] {
            best = s;
        }
    }
    best
}

/// Decoder for frames that start and end in the zero state (the tail of [`TAIL_BITS`] zeros
/// is part of the frame), e.g. the anchor harness's 4096-bit frames.
#[derive(Debug, Clone)]
pub struct ViterbiK7 {
    code: K7Code,
    k: Kernels,
    decisions: Vec<u64>,
}

impl ViterbiK7 {
    /// Decoder for the octal polynomial pair, sized for frames of `max_bits` information bits.
    pub fn new(poly_a: u8, poly_b: u8, max_bits: usize) -> Result<ViterbiK7, DspError> {
        ViterbiK7::with_kernels(poly_a, poly_b, max_bits, Kernels::detect())
    }

    /// As [`ViterbiK7::new`] with an explicit kernel path (tests, benchmarks).
    pub fn with_kernels(
        poly_a: u8,
        poly_b: u8,
        max_bits: usize,
        k: Kernels,
    ) -> Result<ViterbiK7, DspError> {
        Ok(ViterbiK7 {
            code: checked_code(poly_a, poly_b)?,
            k,
            decisions: vec![0; max_bits + TAIL_BITS],
        })
    }

    /// Decode one terminated frame: `soft` holds 2 × (n + 6) soft symbols, `out` receives the
    /// n information bits (0/1). Returns the final path metric of the zero state relative to
    /// the best competitor (≥ 0 for a clean frame; negative means the end was not state 0).
    ///
    /// # Panics
    /// If `soft` is shorter than the tail or `out` is shorter than n.
    pub fn decode_terminated(&mut self, soft: &[i8], out: &mut [u8]) -> i32 {
        let steps = soft.len() / 2;
        assert!(
            steps >= TAIL_BITS,
            "decode_terminated: frame shorter than its tail"
        );
        let n = steps - TAIL_BITS;
        assert!(out.len() >= n, "decode_terminated: output too short");
        if self.decisions.len() < steps {
            self.decisions.resize(steps, 0);
        }
        let mut metrics = [UNREACHED; 64];
        metrics[0] = 0;
        (self.k.acs_k7)(
            &mut metrics,
            &soft[..2 * steps],
            &self.code,
            &mut self.decisions[..steps],
        );
        trace_back(&self.decisions[..steps], 0, |t, b| {
            if t < n {
                out[t] = b;
            }
        });
        metrics[0] as i32 - metrics[best_state(&metrics)] as i32
    }
}

/// Continuous decoder for unterminated streams (DVB-T's inner code): bits come out after a
/// trace-back delay, from the best state at the end of each chunk.
#[derive(Debug, Clone)]
pub struct ViterbiStream {
    code: K7Code,
    k: Kernels,
    metrics: [i16; 64],
    decisions: Vec<u64>,
    filled: usize,
    traceback: usize,
    odd: Option<i8>,
}

impl ViterbiStream {
    /// Decoder with `traceback` bits of delay (5 × K is the textbook minimum for rate 1/2;
    /// punctured rates want more: 96–160).
    pub fn new(poly_a: u8, poly_b: u8, traceback: usize) -> Result<ViterbiStream, DspError> {
        ViterbiStream::with_kernels(poly_a, poly_b, traceback, Kernels::detect())
    }

    /// As [`ViterbiStream::new`] with an explicit kernel path.
    pub fn with_kernels(
        poly_a: u8,
        poly_b: u8,
        traceback: usize,
        k: Kernels,
    ) -> Result<ViterbiStream, DspError> {
        let code = checked_code(poly_a, poly_b)?;
        if !(TAIL_BITS..=1 << 16).contains(&traceback) {
            return Err(invalid(
                "traceback",
                format!("{traceback}: expected 6…65536 bits"),
            ));
        }
        let chunk = (4 * traceback).max(1024);
        Ok(ViterbiStream {
            code,
            k,
            metrics: [0; 64],
            decisions: vec![0; traceback + chunk],
            filled: 0,
            traceback,
            odd: None,
        })
    }

    /// The decoding delay in bits.
    pub fn delay_bits(&self) -> usize {
        self.traceback
    }

    /// Consume soft symbols (pairs a, b, …; an odd one is kept for the next call) and append
    /// the bits decided so far to `out`.
    pub fn push(&mut self, mut soft: &[i8], out: &mut Vec<u8>) {
        if let Some(first) = self.odd.take() {
            match soft.split_first() {
                Some((&second, rest)) => {
                    self.steps(&[first, second], out);
                    soft = rest;
                }
                None => {
                    self.odd = Some(first);
                    return;
                }
            }
        }
        let even = soft.len() & !1;
        if even < soft.len() {
            self.odd = Some(soft[even]);
        }
        self.steps(&soft[..even], out);
    }

    fn steps(&mut self, mut soft: &[i8], out: &mut Vec<u8>) {
        while !soft.is_empty() {
            let room = self.decisions.len() - self.filled;
            let n = room.min(soft.len() / 2);
            (self.k.acs_k7)(
                &mut self.metrics,
                &soft[..2 * n],
                &self.code,
                &mut self.decisions[self.filled..self.filled + n],
            );
            self.filled += n;
            soft = &soft[2 * n..];
            if self.filled == self.decisions.len() {
                self.emit(self.filled - self.traceback, out);
            }
        }
    }

    /// Trace back from the best state over everything held, append the oldest `count` bits,
    /// keep the rest.
    fn emit(&mut self, count: usize, out: &mut Vec<u8>) {
        let base = out.len();
        out.resize(base + count, 0);
        let held = &self.decisions[..self.filled];
        trace_back(held, best_state(&self.metrics), |t, b| {
            if t < count {
                out[base + t] = b;
            }
        });
        self.decisions.copy_within(count..self.filled, 0);
        self.filled -= count;
    }

    /// Append every remaining bit (traced back from the best state), then reset.
    pub fn flush(&mut self, out: &mut Vec<u8>) {
        self.emit(self.filled, out);
        self.reset();
    }

    /// Forget the stream (unknown state, nothing held).
    pub fn reset(&mut self) {
        self.metrics = [0; 64];
        self.filled = 0;
        self.odd = None;
    }
}

/// The anchor harness's Viterbi test frames (`anchors/c/bench_libfec.c`, kernel `viterbi_k7`):
/// random information bits from the LCG s ← 1664525·s + 1013904223 (seed 12345, bit = s ≫ 31),
/// each frame of `bits` bits followed by [`TAIL_BITS`] zeros, encoded in libfec's register
/// convention (new bit in the LSB, first symbol with mask 0x6d = 133 octal, second with 0x4f =
/// 171 octal — decode with `(0o133, 0o171)`), mapped to 0…255 with uniform noise −64…63 around
/// 55 (bit 0) / 200 (bit 1), and here re-centred to this module's i8 soft symbols (v − 128,
/// clamped to ±127). Written independently of [`ConvEncoderK7`], so decoding these frames
/// tests the decoder against the peer's encoder convention. Returns (bits, soft symbols).
pub fn anchor_frames(frames: usize, bits: usize) -> (Vec<u8>, Vec<i8>) {
    let mut s = 12345u32;
    let mut next = || {
        s = s.wrapping_mul(1664525).wrapping_add(1013904223);
        s
    };
    let mut info = Vec::with_capacity(frames * bits);
    let mut soft = Vec::with_capacity(frames * 2 * (bits + TAIL_BITS));
    for _ in 0..frames {
        let mut sr = 0u32;
        for i in 0..bits + TAIL_BITS {
            let mut b = 0;
            if i < bits {
                b = next() >> 31;
                info.push(b as u8);
            }
            sr = ((sr << 1) | b) & 0x7f;
            for mask in [0x6d, 0x4f] {
                let c = (sr & mask).count_ones() & 1;
                let noise = (next() >> 25) as i32 - 64;
                let v = (if c == 1 { 200 } else { 55 } + noise).clamp(0, 255);
                soft.push((v - 128).clamp(-127, 127) as i8);
            }
        }
    }
    (info, soft)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::KernelPath;

    struct Lcg(u32);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self.0.wrapping_mul(1664525).wrapping_add(1013904223);
            self.0
        }
    }

    #[test]
    fn decodes_the_harness_frames_without_error_on_every_path() {
        // libfec's 0x6d / 0x4f masks are 133 and 171 octal in the MSB-first notation.
        let (info, soft) = anchor_frames(8, 4096);
        for path in KernelPath::all_supported() {
            let mut v =
                ViterbiK7::with_kernels(0o133, 0o171, 4096, Kernels::for_path(path)).unwrap();
            let mut out = vec![0u8; 4096];
            for (f, frame) in soft.chunks_exact(2 * (4096 + TAIL_BITS)).enumerate() {
                let margin = v.decode_terminated(frame, &mut out);
                assert_eq!(
                    &out[..],
                    &info[f * 4096..(f + 1) * 4096],
                    "{path:?} frame {f}"
                );
                assert!(margin >= 0);
            }
        }
    }

    #[test]
    fn dvbt_impulse_response_and_free_distance() {
        // EN 300 744 §4.3.3: X = 1111001, Y = 1011011 (first tap on the current bit).
        let mut e = ConvEncoderK7::new(0o171, 0o133).unwrap();
        let mut bits = vec![0u8; 7];
        bits[0] = 1;
        let mut out = vec![0u8; 14];
        e.encode(&bits, &mut out);
        let x: Vec<u8> = out.iter().step_by(2).copied().collect();
        let y: Vec<u8> = out.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(x, [1, 1, 1, 1, 0, 0, 1]);
        assert_eq!(y, [1, 0, 1, 1, 0, 1, 1]);
        // d_free of the (171,133) code is 10: the weight of its impulse response.
        assert_eq!(out.iter().filter(|&&b| b == 1).count(), 10);
    }

    #[test]
    fn corrects_scattered_hard_errors_and_stream_matches_frames() {
        let mut rng = Lcg(7);
        let n = 20_000;
        let bits: Vec<u8> = (0..n).map(|_| (rng.next() >> 31) as u8).collect();
        let mut coded = vec![0u8; 2 * (n + TAIL_BITS)];
        let mut framed = bits.clone();
        framed.extend([0; TAIL_BITS]);
        ConvEncoderK7::new(0o171, 0o133)
            .unwrap()
            .encode(&framed, &mut coded);
        let mut soft: Vec<i8> = coded
            .iter()
            .map(|&c| if c == 1 { 64 } else { -64 })
            .collect();
        // Two hard errors every 40 coded bits (d_free 10 corrects 4 in a constraint span).
        for i in (0..soft.len()).step_by(40) {
            soft[i] = -soft[i];
            if i + 3 < soft.len() {
                soft[i + 3] = -soft[i + 3];
            }
        }
        // Erasures (depunctured positions) carry no information but do not hurt.
        for i in (5..soft.len()).step_by(6) {
            soft[i] = 0;
        }
        for path in KernelPath::all_supported() {
            let k = Kernels::for_path(path);
            let mut v = ViterbiK7::with_kernels(0o171, 0o133, n, k).unwrap();
            let mut out = vec![9u8; n];
            v.decode_terminated(&soft, &mut out);
            assert_eq!(out, bits, "{path:?} terminated");
            let mut s = ViterbiStream::with_kernels(0o171, 0o133, 96, k).unwrap();
            let mut got = Vec::new();
            // Odd-sized pieces exercise the carried half pair.
            for piece in soft.chunks(333) {
                s.push(piece, &mut got);
            }
            s.flush(&mut got);
            assert_eq!(got.len(), n + TAIL_BITS);
            assert_eq!(&got[..n], &bits[..], "{path:?} stream");
        }
    }

    #[test]
    fn simd_acs_equals_scalar_exactly() {
        let reference = Kernels::for_path(KernelPath::Scalar);
        let code = code_tables(register_mask(0o171), register_mask(0o133));
        let mut rng = Lcg(99);
        let mut lengths: Vec<usize> = (0..=67).collect();
        lengths.push(5001);
        for path in KernelPath::all_supported() {
            let k = Kernels::for_path(path);
            for &n in &lengths {
                for offset in [0usize, 1] {
                    let soft: Vec<i8> = (0..2 * n + offset + 1)
                        .map(|_| match rng.next() % 5 {
                            0 => 0,
                            1 => 127,
                            2 => -127,
                            _ => (rng.next() >> 24) as i8,
                        })
                        .collect();
                    let soft = &soft[offset..offset + 2 * n];
                    let mut m1 = [0i16; 64];
                    for (i, m) in m1.iter_mut().enumerate() {
                        *m = (rng.next() % 600) as i16 - 300 + i as i16;
                    }
                    let mut m2 = m1;
                    let mut d1 = vec![0u64; n];
                    let mut d2 = vec![1u64; n];
                    (reference.acs_k7)(&mut m1, soft, &code, &mut d1);
                    (k.acs_k7)(&mut m2, soft, &code, &mut d2);
                    assert_eq!(m1, m2, "{path:?} metrics n={n}");
                    assert_eq!(d1, d2, "{path:?} decisions n={n}");
                }
            }
        }
    }

    #[test]
    fn rejects_degenerate_polynomials() {
        assert!(ConvEncoderK7::new(0o170, 0o133).is_err());
        assert!(ViterbiK7::new(0o171, 0o033, 10).is_err());
        assert!(ViterbiStream::new(0o171, 0o133, 2).is_err());
    }
}
