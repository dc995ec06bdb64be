//! FFSK (fast FSK, phase-continuous, on an audio channel) modulation and demodulation, as used by
//! MPT 1327 and FMS at 1200 bit/s: binary 1 = one tone (1200 Hz), binary 0 = another (1800 Hz).
//!
//! The demodulator is non-coherent and works at any audio sample rate: two sliding one-bit
//! correlators (the matched filters of the two tones) give a decision metric
//! d = |S₁|² − |S₀|² per sample; a digital PLL, nudged at every sign change of d, samples d one
//! bit after each transition. Because it compares tone energies, a polarity-inverted
//! discriminator (audio × −1) demodulates identically; a DC blocker (~20 Hz) in front removes
//! the offset that a carrier frequency error puts on discriminator audio. A tone-purity gate (tone energy over total
//! audio energy in the bit window, averaged over ~5 bits) says whether FFSK is present at all.

use crate::{invalid, Complex32, DspError};

/// Phase-continuous FFSK tone generator.
#[derive(Debug, Clone)]
pub struct FfskModulator {
    fs: f64,
    baud: f64,
    f_one: f64,
    f_zero: f64,
    phase: f64,
    /// Fractional sample position within the current bit.
    bit_pos: f64,
}

impl FfskModulator {
    /// `baud` bit/s, tone `f_one` for binary 1 and `f_zero` for 0, at `fs` samples/s.
    pub fn new(fs: f64, baud: f64, f_one: f64, f_zero: f64) -> Result<FfskModulator, DspError> {
        if !(fs > 2.0 * f_one.max(f_zero) && baud > 0.0 && baud < fs) {
            return Err(invalid("rates", "need fs > 2·tone and 0 < baud < fs"));
        }
        Ok(FfskModulator {
            fs,
            baud,
            f_one,
            f_zero,
            phase: 0.0,
            bit_pos: 0.0,
        })
    }

    /// MPT 1327 / FMS: 1200 bit/s, 1 = 1200 Hz, 0 = 1800 Hz.
    pub fn mpt1327(fs: f64) -> Result<FfskModulator, DspError> {
        FfskModulator::new(fs, 1200.0, 1200.0, 1800.0)
    }

    /// Append the audio (amplitude 1, sine) of `bits` (0/1 values) to `out`. Bit boundaries fall
    /// on exact multiples of fs/baud (carried across calls), the phase never jumps.
    pub fn modulate(&mut self, bits: &[u8], out: &mut Vec<f32>) {
        let spb = self.fs / self.baud;
        for &b in bits {
            let f = if b != 0 { self.f_one } else { self.f_zero };
            let step = f / self.fs;
            // Samples whose time lies in [bit start, bit end).
            while self.bit_pos < spb {
                out.push((2.0 * std::f64::consts::PI * self.phase).sin() as f32);
                self.phase = (self.phase + step).fract();
                self.bit_pos += 1.0;
            }
            self.bit_pos -= spb;
        }
    }
}

/// One demodulated bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FfskBit {
    /// 0 or 1.
    pub bit: u8,
    /// Index (input samples since construction) of the last sample of the bit.
    pub end_sample: u64,
    /// |d| / (|S₁|² + |S₀|²): 1 = clean, near 0 = undecided.
    pub confidence: f32,
    /// Whether the tone-purity gate saw FFSK at this bit.
    pub present: bool,
}

/// Non-coherent FFSK demodulator (see the module docs).
#[derive(Debug, Clone)]
pub struct FfskDemodulator {
    len: usize,
    /// Continuous local oscillators (f64 phasors, renormalised now and then) and their steps.
    osc_one: num_complex::Complex64,
    osc_zero: num_complex::Complex64,
    rot_one: num_complex::Complex64,
    rot_zero: num_complex::Complex64,
    /// Ring buffers of the mixed products and of |a|² for the sliding sums.
    ring_one: Vec<Complex32>,
    ring_zero: Vec<Complex32>,
    ring_pow: Vec<f32>,
    pos: usize,
    sum_one: Complex32,
    sum_zero: Complex32,
    sum_pow: f32,
    /// Bit clock phase in bits, sampling at each wrap.
    phase: f64,
    step: f64,
    gain: f64,
    prev_d: f32,
    n: u64,
    present_threshold: f32,
    /// Purity averaged over the last few bits (EMA, ~5 bits).
    purity_avg: f32,
    /// Samples since the sums were re-computed from scratch (bounds float drift).
    since_refresh: usize,
    /// DC blocker state and coefficient: a carrier frequency error is a DC offset of the
    /// discriminator audio, and DC leaks into a tone correlator whose bit holds a fractional
    /// number of cycles (1800 Hz: 1.5).
    dc: f32,
    dc_alpha: f32,
}

impl FfskDemodulator {
    /// Demodulator for `baud` bit/s with tones `f_one` (binary 1) and `f_zero` at `fs`.
    pub fn new(fs: f64, baud: f64, f_one: f64, f_zero: f64) -> Result<FfskDemodulator, DspError> {
        if !(fs >= 4.0 * baud && fs > 2.0 * f_one.max(f_zero)) {
            return Err(invalid(
                "fs",
                format!("{fs} Hz is too low for {baud} bit/s FFSK"),
            ));
        }
        let len = (fs / baud).round() as usize;
        let rot =
            |f: f64| num_complex::Complex64::from_polar(1.0, -2.0 * std::f64::consts::PI * f / fs);
        Ok(FfskDemodulator {
            len,
            osc_one: num_complex::Complex64::new(1.0, 0.0),
            osc_zero: num_complex::Complex64::new(1.0, 0.0),
            rot_one: rot(f_one),
            rot_zero: rot(f_zero),
            ring_one: vec![Complex32::default(); len],
            ring_zero: vec![Complex32::default(); len],
            ring_pow: vec![0.0; len],
            pos: 0,
            sum_one: Complex32::default(),
            sum_zero: Complex32::default(),
            sum_pow: 0.0,
            phase: 0.0,
            step: baud / fs,
            gain: 0.25,
            prev_d: 0.0,
            n: 0,
            present_threshold: 0.6,
            purity_avg: 0.0,
            since_refresh: 0,
            dc: 0.0,
            dc_alpha: (2.0 * std::f64::consts::PI * 20.0 / fs) as f32,
        })
    }

    /// MPT 1327 / FMS: 1200 bit/s, 1 = 1200 Hz, 0 = 1800 Hz.
    pub fn mpt1327(fs: f64) -> Result<FfskDemodulator, DspError> {
        FfskDemodulator::new(fs, 1200.0, 1200.0, 1800.0)
    }

    /// Demodulate audio; `emit` receives each bit as it is decided. Never allocates.
    pub fn process(&mut self, audio: &[f32], mut emit: impl FnMut(FfskBit)) {
        for &raw in audio {
            self.dc += self.dc_alpha * (raw - self.dc);
            let a = raw - self.dc;
            // Products with continuous local oscillators: |S|² of the sliding sums is then the
            // energy of each tone over the last bit, whatever the oscillators' phase.
            let o1 = self.osc_one;
            let o0 = self.osc_zero;
            let m1 = Complex32::new(o1.re as f32 * a, o1.im as f32 * a);
            let m0 = Complex32::new(o0.re as f32 * a, o0.im as f32 * a);
            self.osc_one = o1 * self.rot_one;
            self.osc_zero = o0 * self.rot_zero;
            let p = a * a;
            self.sum_one += m1 - self.ring_one[self.pos];
            self.sum_zero += m0 - self.ring_zero[self.pos];
            self.sum_pow += p - self.ring_pow[self.pos];
            self.ring_one[self.pos] = m1;
            self.ring_zero[self.pos] = m0;
            self.ring_pow[self.pos] = p;
            self.pos += 1;
            if self.pos == self.len {
                self.pos = 0;
            }
            self.since_refresh += 1;
            if self.since_refresh >= 1 << 14 && self.pos == 0 {
                self.refresh();
            }
            let e1 = self.sum_one.norm_sqr();
            let e0 = self.sum_zero.norm_sqr();
            let d = e1 - e0;
            // A sign change of d happens half a bit after a bit boundary: pull the clock so that
            // the phase there is ½, which puts the next wrap at the end of the following bit.
            if (d > 0.0) != (self.prev_d > 0.0) && self.prev_d != 0.0 {
                self.phase += self.gain * (0.5 - self.phase);
            }
            self.prev_d = d;
            self.phase += self.step;
            if self.phase >= 1.0 {
                self.phase -= 1.0;
                emit(self.decide(self.n));
            }
            self.n += 1;
        }
    }

    fn refresh(&mut self) {
        self.osc_one /= self.osc_one.norm();
        self.osc_zero /= self.osc_zero.norm();
        self.sum_one = self.ring_one.iter().sum();
        self.sum_zero = self.ring_zero.iter().sum();
        self.sum_pow = self.ring_pow.iter().sum();
        self.since_refresh = 0;
    }

    /// Decide the bit whose window ends at input sample `end_sample` from the current
    /// correlator sums, and update the presence average.
    fn decide(&mut self, end_sample: u64) -> FfskBit {
        let e1 = self.sum_one.norm_sqr();
        let e0 = self.sum_zero.norm_sqr();
        let tone = e1 + e0;
        // Tone energy vs. total: a pure tone gives |S|² = len·Σa²/2 → purity 1.
        let purity = if self.sum_pow > 0.0 {
            2.0 * tone / (self.len as f32 * self.sum_pow)
        } else {
            0.0
        };
        self.purity_avg += 0.2 * (purity.min(1.0) - self.purity_avg);
        FfskBit {
            bit: (e1 > e0) as u8,
            end_sample,
            confidence: if tone > 0.0 {
                (e1 - e0).abs() / tone
            } else {
                0.0
            },
            present: self.purity_avg >= self.present_threshold,
        }
    }

    /// At the end of input: a bit more than half received is decided and emitted.
    pub fn flush(&mut self, mut emit: impl FnMut(FfskBit)) {
        if self.phase >= 0.5 {
            emit(self.decide(self.n.saturating_sub(1)));
            self.phase = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s & 1) as u8
            })
            .collect()
    }

    #[test]
    fn round_trip_at_integer_and_fractional_rates() {
        for fs in [48_000.0, 22_050.0, 16_000.0, 44_100.0] {
            let mut data = vec![1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0];
            data.extend(bits(2000, 99));
            let mut audio = Vec::new();
            FfskModulator::mpt1327(fs)
                .unwrap()
                .modulate(&data, &mut audio);
            for sign in [1.0f32, -1.0] {
                let a: Vec<f32> = audio.iter().map(|v| v * sign * 0.3).collect();
                let mut d = FfskDemodulator::mpt1327(fs).unwrap();
                let mut got = Vec::new();
                d.process(&a, |b| got.push(b.bit));
                d.flush(|b| got.push(b.bit));
                // After the clock settles the demodulated bits are the sent bits.
                let want = &data[16..];
                let pos = got
                    .windows(want.len().min(200))
                    .position(|w| w == &want[..200])
                    .unwrap_or_else(|| panic!("fs {fs}: stream not found"));
                let tail = &got[pos..];
                let errors = tail.iter().zip(want).filter(|(a, b)| a != b).count();
                assert_eq!(errors, 0, "fs {fs} sign {sign}");
                assert!(
                    tail.len() >= want.len() - 1,
                    "fs {fs}: {} of {}",
                    tail.len(),
                    want.len()
                );
            }
        }
    }

    #[test]
    fn presence_gate_separates_ffsk_from_noise() {
        let fs = 48_000.0;
        let mut audio = Vec::new();
        FfskModulator::mpt1327(fs)
            .unwrap()
            .modulate(&bits(500, 3), &mut audio);
        let mut s = 12345u64;
        let noise: Vec<f32> = (0..48_000)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect();
        let mut d = FfskDemodulator::mpt1327(fs).unwrap();
        let mut present = 0;
        let mut total = 0;
        d.process(&noise, |b| {
            total += 1;
            present += b.present as usize;
        });
        assert!(
            present * 100 <= total,
            "noise: {present} of {total} bits flagged present"
        );
        let mut present = 0;
        let mut total = 0;
        d.process(&audio, |b| {
            total += 1;
            present += b.present as usize;
        });
        assert!(present * 100 >= 95 * total, "ffsk: {present} of {total}");
    }
}
