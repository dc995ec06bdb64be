//! Sample format conversion: raw interleaved integers/floats ↔ normalised `f32`/[`Complex32`].
//!
//! Scaling (so that 0 dBFS is a full-scale complex sinusoid):
//! `cu8`: (v − 127.5)/127.5 · `ci8`: v/128 · `ci16`: v/32768 · `cf32`: as stored.

use crate::simd::Kernels;
use crate::Complex32;

/// A raw sample encoding (SigMF names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SampleFormat {
    /// Complex unsigned 8-bit, offset 127.5 (RTL-SDR).
    Cu8,
    /// Complex signed 8-bit (HackRF).
    Ci8,
    /// Complex signed 16-bit little-endian (USRP sc16, HackRF, Airspy).
    Ci16Le,
    /// Complex float32 little-endian (GNU Radio).
    Cf32Le,
    /// Real signed 16-bit little-endian (audio, FM-discriminator output).
    Ri16Le,
    /// Real float32 little-endian.
    Rf32Le,
}

impl SampleFormat {
    /// Every supported format.
    pub const ALL: [SampleFormat; 6] = [
        SampleFormat::Cu8,
        SampleFormat::Ci8,
        SampleFormat::Ci16Le,
        SampleFormat::Cf32Le,
        SampleFormat::Ri16Le,
        SampleFormat::Rf32Le,
    ];

    /// SigMF `core:datatype` string.
    pub fn sigmf_name(self) -> &'static str {
        match self {
            SampleFormat::Cu8 => "cu8",
            SampleFormat::Ci8 => "ci8",
            SampleFormat::Ci16Le => "ci16_le",
            SampleFormat::Cf32Le => "cf32_le",
            SampleFormat::Ri16Le => "ri16_le",
            SampleFormat::Rf32Le => "rf32_le",
        }
    }

    /// Parse a SigMF datatype (or a common short alias such as `cs16`, `fc32`).
    pub fn from_name(s: &str) -> Option<SampleFormat> {
        Some(match s.to_ascii_lowercase().as_str() {
            "cu8" => SampleFormat::Cu8,
            "ci8" | "cs8" => SampleFormat::Ci8,
            "ci16_le" | "ci16" | "cs16" | "cs16_le" | "sc16" => SampleFormat::Ci16Le,
            "cf32_le" | "cf32" | "fc32" => SampleFormat::Cf32Le,
            "ri16_le" | "ri16" | "s16" => SampleFormat::Ri16Le,
            "rf32_le" | "rf32" | "f32" => SampleFormat::Rf32Le,
            _ => return None,
        })
    }

    /// Whether samples are complex (I/Q) rather than real.
    pub fn is_complex(self) -> bool {
        !matches!(self, SampleFormat::Ri16Le | SampleFormat::Rf32Le)
    }

    /// Bytes per sample (a complex sample counts once).
    pub fn bytes_per_sample(self) -> usize {
        match self {
            SampleFormat::Cu8 | SampleFormat::Ci8 => 2,
            SampleFormat::Ci16Le => 4,
            SampleFormat::Cf32Le => 8,
            SampleFormat::Ri16Le => 2,
            SampleFormat::Rf32Le => 4,
        }
    }

    /// Normalised magnitude of one component at or above which it counts as clipped
    /// (the largest code of the integer formats; 1.0 for floats).
    pub fn clip_level(self) -> f32 {
        match self {
            SampleFormat::Cu8 => 1.0,
            SampleFormat::Ci8 => 127.0 / 128.0,
            SampleFormat::Ci16Le | SampleFormat::Ri16Le => 32767.0 / 32768.0,
            SampleFormat::Cf32Le | SampleFormat::Rf32Le => 1.0,
        }
    }

    /// Whether the encoding can hold NaN/Inf (float formats).
    pub fn is_float(self) -> bool {
        matches!(self, SampleFormat::Cf32Le | SampleFormat::Rf32Le)
    }
}

/// Converts raw bytes of one [`SampleFormat`] to normalised samples, with the SIMD kernels chosen
/// once at construction.
#[derive(Debug, Clone)]
pub struct Converter {
    format: SampleFormat,
    k: Kernels,
}

impl Converter {
    /// A converter for `format` using the detected kernel path.
    pub fn new(format: SampleFormat) -> Converter {
        Converter::with_kernels(format, Kernels::detect())
    }

    /// A converter using the given kernels (tests pin a path).
    pub fn with_kernels(format: SampleFormat, k: Kernels) -> Converter {
        Converter { format, k }
    }

    /// The format converted.
    pub fn format(&self) -> SampleFormat {
        self.format
    }

    /// Complex formats → complex samples. `bytes.len()` must equal
    /// `out.len() * bytes_per_sample`. A real format is an error of the caller: this converts
    /// it with a zero imaginary part.
    ///
    /// Returns the number of components at the encoding's limits (ADC clipping: cu8 0/255,
    /// ci8 −128/127, ci16 −32768/32767; always 0 for floats).
    ///
    /// # Panics
    /// If the lengths disagree.
    pub fn to_complex(&self, bytes: &[u8], out: &mut [Complex32]) -> u64 {
        let bps = self.format.bytes_per_sample();
        assert_eq!(
            bytes.len(),
            out.len() * bps,
            "byte count must match sample count"
        );
        match self.format {
            SampleFormat::Cu8 => (self.k.conv_cu8_cf32)(bytes, out),
            SampleFormat::Ci16Le => (self.k.conv_ci16_cf32)(bytes, out),
            SampleFormat::Ci8 => {
                let mut clipped = 0;
                for (o, p) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                    let (i, q) = (p[0] as i8, p[1] as i8);
                    *o = Complex32::new(i as f32 / 128.0, q as f32 / 128.0);
                    let lim = |v: i8| (v == i8::MIN || v == i8::MAX) as u64;
                    clipped += lim(i) + lim(q);
                }
                clipped
            }
            SampleFormat::Cf32Le => {
                for (o, p) in out.iter_mut().zip(bytes.chunks_exact(8)) {
                    *o = Complex32::new(
                        f32::from_le_bytes([p[0], p[1], p[2], p[3]]),
                        f32::from_le_bytes([p[4], p[5], p[6], p[7]]),
                    );
                }
                0
            }
            SampleFormat::Ri16Le | SampleFormat::Rf32Le => {
                let mut tmp = [0.0f32; 1];
                for (o, p) in out.iter_mut().zip(bytes.chunks_exact(bps)) {
                    real_into(self.format, p, &mut tmp);
                    *o = Complex32::new(tmp[0], 0.0);
                }
                0
            }
        }
    }

    /// Real formats → real samples (`bytes.len() == out.len() * bytes_per_sample`). A complex
    /// format yields the in-phase component.
    ///
    /// # Panics
    /// If the lengths disagree.
    pub fn to_real(&self, bytes: &[u8], out: &mut [f32]) {
        let bps = self.format.bytes_per_sample();
        assert_eq!(
            bytes.len(),
            out.len() * bps,
            "byte count must match sample count"
        );
        if self.format.is_complex() {
            for (o, p) in out.iter_mut().zip(bytes.chunks_exact(bps)) {
                let mut c = [Complex32::default()];
                self.to_complex(p, &mut c);
                *o = c[0].re;
            }
        } else {
            real_into(self.format, bytes, out);
        }
    }
}

fn real_into(format: SampleFormat, bytes: &[u8], out: &mut [f32]) {
    match format {
        SampleFormat::Ri16Le => {
            for (o, p) in out.iter_mut().zip(bytes.chunks_exact(2)) {
                *o = i16::from_le_bytes([p[0], p[1]]) as f32 / 32768.0;
            }
        }
        SampleFormat::Rf32Le => {
            for (o, p) in out.iter_mut().zip(bytes.chunks_exact(4)) {
                *o = f32::from_le_bytes([p[0], p[1], p[2], p[3]]);
            }
        }
        _ => unreachable!("real_into called with a complex format"),
    }
}

/// Quantise complex samples to `format`'s bytes (rounding to nearest, saturating at the
/// format's limits), appending to `out`. Real formats take the in-phase component.
pub fn from_complex(format: SampleFormat, input: &[Complex32], out: &mut Vec<u8>) {
    out.reserve(input.len() * format.bytes_per_sample());
    for s in input {
        match format {
            SampleFormat::Cu8 => {
                for v in [s.re, s.im] {
                    out.push((v * 127.5 + 127.5).round().clamp(0.0, 255.0) as u8);
                }
            }
            SampleFormat::Ci8 => {
                for v in [s.re, s.im] {
                    out.push((v * 128.0).round().clamp(-128.0, 127.0) as i8 as u8);
                }
            }
            SampleFormat::Ci16Le => {
                for v in [s.re, s.im] {
                    let q = (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                    out.extend_from_slice(&q.to_le_bytes());
                }
            }
            SampleFormat::Cf32Le => {
                out.extend_from_slice(&s.re.to_le_bytes());
                out.extend_from_slice(&s.im.to_le_bytes());
            }
            SampleFormat::Ri16Le => {
                let q = (s.re * 32768.0).round().clamp(-32768.0, 32767.0) as i16;
                out.extend_from_slice(&q.to_le_bytes());
            }
            SampleFormat::Rf32Le => out.extend_from_slice(&s.re.to_le_bytes()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaling_matches_the_documented_full_scale() {
        let c = Converter::new(SampleFormat::Cu8);
        let mut o = [Complex32::default(); 2];
        c.to_complex(&[0, 255, 127, 128], &mut o);
        assert_eq!(o[0], Complex32::new(-1.0, 1.0));
        assert!((o[1].re + 0.5 / 127.5).abs() < 1e-7 && (o[1].im - 0.5 / 127.5).abs() < 1e-7);
        let c = Converter::new(SampleFormat::Ci16Le);
        let mut o = [Complex32::default(); 1];
        c.to_complex(&[0x00, 0x80, 0xff, 0x7f], &mut o);
        assert_eq!(o[0], Complex32::new(-1.0, 32767.0 / 32768.0));
        let c = Converter::new(SampleFormat::Ci8);
        c.to_complex(&[0x80, 0x40], &mut o);
        assert_eq!(o[0], Complex32::new(-1.0, 0.5));
    }

    #[test]
    fn round_trip_through_every_format() {
        let x: Vec<Complex32> = (0..50)
            .map(|i| Complex32::from_polar(0.9, i as f32 * 0.37))
            .collect();
        for f in SampleFormat::ALL {
            let mut bytes = Vec::new();
            from_complex(f, &x, &mut bytes);
            assert_eq!(bytes.len(), x.len() * f.bytes_per_sample());
            let mut y = vec![Complex32::default(); x.len()];
            Converter::new(f).to_complex(&bytes, &mut y);
            let lsb = match f {
                SampleFormat::Cu8 | SampleFormat::Ci8 => 1.0 / 127.0,
                SampleFormat::Ci16Le | SampleFormat::Ri16Le => 1.0 / 32767.0,
                _ => 1e-7,
            };
            for (a, b) in x.iter().zip(&y) {
                assert!((a.re - b.re).abs() <= lsb, "{f:?}");
                if f.is_complex() {
                    assert!((a.im - b.im).abs() <= lsb, "{f:?}");
                }
            }
        }
    }

    #[test]
    fn names_round_trip() {
        for f in SampleFormat::ALL {
            assert_eq!(SampleFormat::from_name(f.sigmf_name()), Some(f));
        }
        assert_eq!(SampleFormat::from_name("ci32_le"), None);
    }

    /// Counters that could overflow in a vector path: a long run where every byte clips.
    #[test]
    fn clipping_count_of_a_long_saturated_block() {
        let bytes: Vec<u8> = (0..2 * 100_003)
            .map(|i| if i % 3 == 0 { 0 } else { 255 })
            .collect();
        let mut out = vec![Complex32::default(); 100_003];
        for path in crate::simd::KernelPath::all_supported() {
            let c =
                Converter::with_kernels(SampleFormat::Cu8, crate::simd::Kernels::for_path(path));
            assert_eq!(c.to_complex(&bytes, &mut out), 200_006, "{path:?}");
        }
    }
}
