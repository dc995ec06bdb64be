//! Hot inner loops with run-time dispatch.
//!
//! A [`Kernels`] value is chosen **once** (at block construction) from the CPU's features and
//! the `LINKSCOPE_KERNEL` override (`scalar`, `avx2`, `neon`). Each primitive has a scalar
//! reference in [`scalar`]; vector versions are added beside it and must agree with it (tests
//! compare every path the CPU supports). Primitive names state their signature, VOLK-style:
//! `dot_cf32_f32` = complex samples · real taps → complex.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "aarch64")]
mod neon;
pub mod scalar;

use crate::Complex32;

/// Which implementation of the primitives a block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KernelPath {
    /// Portable reference code.
    Scalar,
    /// x86-64 AVX2 + FMA.
    Avx2,
    /// aarch64 NEON.
    Neon,
}

impl KernelPath {
    /// Name as used by `LINKSCOPE_KERNEL`.
    pub fn name(self) -> &'static str {
        match self {
            KernelPath::Scalar => "scalar",
            KernelPath::Avx2 => "avx2",
            KernelPath::Neon => "neon",
        }
    }

    /// Whether this CPU can run the path.
    pub fn supported(self) -> bool {
        match self {
            KernelPath::Scalar => true,
            KernelPath::Avx2 => {
                #[cfg(target_arch = "x86_64")]
                {
                    is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    false
                }
            }
            KernelPath::Neon => {
                #[cfg(target_arch = "aarch64")]
                {
                    std::arch::is_aarch64_feature_detected!("neon")
                }
                #[cfg(not(target_arch = "aarch64"))]
                {
                    false
                }
            }
        }
    }

    /// Every path this CPU supports (for tests that must cover each one).
    pub fn all_supported() -> Vec<KernelPath> {
        [KernelPath::Scalar, KernelPath::Avx2, KernelPath::Neon]
            .into_iter()
            .filter(|p| p.supported())
            .collect()
    }

    /// The best path for this CPU, unless `LINKSCOPE_KERNEL` names another supported one.
    /// An unknown or unsupported override falls back to the best path (and says so on stderr
    /// once) rather than failing: the override is a test and diagnosis aid.
    pub fn detect() -> KernelPath {
        use std::sync::OnceLock;
        static CHOICE: OnceLock<KernelPath> = OnceLock::new();
        *CHOICE.get_or_init(|| {
            let best = if KernelPath::Avx2.supported() {
                KernelPath::Avx2
            } else if KernelPath::Neon.supported() {
                KernelPath::Neon
            } else {
                KernelPath::Scalar
            };
            match std::env::var("LINKSCOPE_KERNEL") {
                Ok(v) => {
                    let want = match v.as_str() {
                        "scalar" => Some(KernelPath::Scalar),
                        "avx2" => Some(KernelPath::Avx2),
                        "neon" => Some(KernelPath::Neon),
                        _ => None,
                    };
                    match want {
                        Some(p) if p.supported() => p,
                        _ => {
                            eprintln!(
                                "warning: LINKSCOPE_KERNEL={v} is not available on this CPU; using {}",
                                best.name()
                            );
                            best
                        }
                    }
                }
                Err(_) => best,
            }
        })
    }
}

/// The primitives of one kernel path, as plain function pointers (chosen once, called often).
#[derive(Clone, Copy)]
pub struct Kernels {
    path: KernelPath,
    /// Σ x[i]·h[i], complex samples, real taps (equal lengths).
    pub dot_cf32_f32: fn(&[Complex32], &[f32]) -> Complex32,
    /// out[i] = x[i]·w[i] (window multiply; equal lengths).
    pub mul_cf32_f32: fn(&[Complex32], &[f32], &mut [Complex32]),
    /// acc[i] += |x[i]|² (equal lengths).
    pub acc_mag2_cf32: fn(&[Complex32], &mut [f32]),
    /// out[i] = x[i]·y[i], complex (equal lengths).
    pub mul_cf32: fn(&[Complex32], &[Complex32], &mut [Complex32]),
    /// x[i] *= y[i], complex (equal lengths).
    pub mul_inplace_cf32: fn(&mut [Complex32], &[Complex32]),
    /// Eight dot products with shared real taps given duplicated (t0, t0, t1, t1, …); output q
    /// uses x[q·stride..][..taps].
    pub dot8_cf32_f32d: fn(&[Complex32], usize, &[f32]) -> [Complex32; 8],
    /// cu8 pairs → complex, (v − 127.5)/127.5; `out.len() * 2 == input.len()`.
    pub conv_cu8_cf32: fn(&[u8], &mut [Complex32]) -> u64,
    /// ci16 little-endian pairs → complex, v/32768; `out.len() * 4 == input.len()`.
    pub conv_ci16_cf32: fn(&[u8], &mut [Complex32]) -> u64,
    /// FM discriminator: out[i] = atan2(x[i]·conj(x[i−1]))·scale, x[−1] = prev; the fast
    /// arctangent of [`scalar::atan2_approx`] (|error| ≤ 2.5e-6 rad).
    pub fm_disc_cf32: fn(&[Complex32], Complex32, &mut [f32], f32),
    /// Frequency shift: out[i] = x[i]·(table[i]·ph) (equal lengths).
    pub mix_cf32: fn(&[Complex32], &[Complex32], Complex32, &mut [Complex32]),
    /// Block level statistics: (Σ|x|², max |x|², components at or beyond the limit).
    pub level_cf32: fn(&[Complex32], f32) -> (f64, f32, u64),
    /// Σ a[i]·b[i], real (equal lengths; audio FIRs and resamplers).
    pub dot_f32: fn(&[f32], &[f32]) -> f32,
    /// K = 7 rate-1/2 Viterbi add-compare-select over `soft.len() / 2` steps
    /// (see [`scalar::acs_k7`]); integer kernel, every path bit-identical.
    pub acs_k7: fn(&mut [i16; 64], &[i8], &scalar::K7Code, &mut [u64]),
    /// Contiguous FIR outputs: out[i] = Σ_k h[k]·x[i + k] (see [`scalar::fir_cf32_f32`]).
    pub fir_cf32_f32: fn(&[Complex32], &[f32], &mut [Complex32]),
    /// Polyphase filter-bank branch sums of consecutive frames, reversed
    /// (see [`scalar::pfb_frames_cf32`]).
    pub pfb_frames_cf32: fn(&[Complex32], usize, &[f32], usize, &mut [Complex32]),
}

impl std::fmt::Debug for Kernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernels").field("path", &self.path).finish()
    }
}

impl Kernels {
    /// The kernels for the detected (or overridden) path.
    pub fn detect() -> Kernels {
        Kernels::for_path(KernelPath::detect())
    }

    /// The kernels of one path; falls back to scalar if the CPU cannot run `path`.
    pub fn for_path(path: KernelPath) -> Kernels {
        let scalar = Kernels {
            path: KernelPath::Scalar,
            dot_cf32_f32: scalar::dot_cf32_f32,
            mul_cf32_f32: scalar::mul_cf32_f32,
            acc_mag2_cf32: scalar::acc_mag2_cf32,
            mul_cf32: scalar::mul_cf32,
            mul_inplace_cf32: scalar::mul_inplace_cf32,
            dot8_cf32_f32d: scalar::dot8_cf32_f32d,
            conv_cu8_cf32: scalar::conv_cu8_cf32,
            conv_ci16_cf32: scalar::conv_ci16_cf32,
            fm_disc_cf32: scalar::fm_disc_cf32,
            mix_cf32: scalar::mix_cf32,
            level_cf32: scalar::level_cf32,
            dot_f32: scalar::dot_f32,
            acs_k7: scalar::acs_k7,
            fir_cf32_f32: scalar::fir_cf32_f32,
            pfb_frames_cf32: scalar::pfb_frames_cf32,
        };
        if !path.supported() {
            return scalar;
        }
        match path {
            #[cfg(target_arch = "x86_64")]
            KernelPath::Avx2 => Kernels {
                path,
                dot_cf32_f32: avx2::dot_cf32_f32,
                mul_cf32_f32: avx2::mul_cf32_f32,
                acc_mag2_cf32: avx2::acc_mag2_cf32,
                mul_cf32: avx2::mul_cf32,
                mul_inplace_cf32: avx2::mul_inplace_cf32,
                dot8_cf32_f32d: avx2::dot8_cf32_f32d,
                conv_cu8_cf32: avx2::conv_cu8_cf32,
                conv_ci16_cf32: avx2::conv_ci16_cf32,
                fm_disc_cf32: avx2::fm_disc_cf32,
                mix_cf32: avx2::mix_cf32,
                level_cf32: avx2::level_cf32,
                dot_f32: avx2::dot_f32,
                acs_k7: avx2::acs_k7,
                fir_cf32_f32: avx2::fir_cf32_f32,
                pfb_frames_cf32: avx2::pfb_frames_cf32,
            },
            #[cfg(target_arch = "aarch64")]
            KernelPath::Neon => Kernels {
                path,
                dot_cf32_f32: neon::dot_cf32_f32,
                mul_cf32_f32: neon::mul_cf32_f32,
                acc_mag2_cf32: neon::acc_mag2_cf32,
                mul_cf32: neon::mul_cf32,
                mul_inplace_cf32: neon::mul_inplace_cf32,
                dot8_cf32_f32d: neon::dot8_cf32_f32d,
                conv_cu8_cf32: neon::conv_cu8_cf32,
                conv_ci16_cf32: neon::conv_ci16_cf32,
                fm_disc_cf32: neon::fm_disc_cf32,
                mix_cf32: neon::mix_cf32,
                level_cf32: neon::level_cf32,
                dot_f32: neon::dot_f32,
                acs_k7: neon::acs_k7,
                fir_cf32_f32: neon::fir_cf32_f32,
                pfb_frames_cf32: neon::pfb_frames_cf32,
            },
            _ => scalar,
        }
    }

    /// Which path these kernels run.
    pub fn path(&self) -> KernelPath {
        self.path
    }
}

/// Ask the memory system for `x` ahead of use (into L2, every 64-byte line): a hint only,
/// no effect on results; a no-op where no stable prefetch instruction is exposed.
#[inline]
pub fn prefetch<T>(x: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T1};
        let p = x.as_ptr() as *const i8;
        for off in (0..std::mem::size_of_val(x)).step_by(64) {
            // SAFETY: SSE is part of the x86-64 baseline; a prefetch never faults, and the
            // address lies inside `x`.
            unsafe { _mm_prefetch::<_MM_HINT_T1>(p.add(off)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn fast_atan2_meets_its_error_bound_over_the_plane() {
        let mut worst = 0.0f64;
        for k in 0..100_000 {
            let a = k as f64 / 100_000.0 * 2.0 * std::f64::consts::PI - std::f64::consts::PI;
            for r in [1e-20f64, 1e-3, 1.0, 7.5e3] {
                let (y, x) = ((r * a.sin()) as f32, (r * a.cos()) as f32);
                let e = (scalar::atan2_approx(y, x) as f64 - (y as f64).atan2(x as f64)).abs();
                // ±π are the same angle.
                let e = e.min((e - 2.0 * std::f64::consts::PI).abs());
                worst = worst.max(e);
            }
        }
        assert!(worst <= 2.5e-6, "{worst}");
        assert_eq!(scalar::atan2_approx(0.0, 0.0), 0.0);
    }

    /// Xorshift test data for the dsp crate's tests: uniform in [−1, 1).
    pub(crate) struct Rng(pub(crate) u64);
    impl Rng {
        pub(crate) fn f(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        }
        pub(crate) fn c(&mut self) -> Complex32 {
            Complex32::new(self.f(), self.f())
        }
    }

    fn lengths() -> Vec<usize> {
        let mut v: Vec<usize> = (0..=67).collect();
        v.push(4099);
        v
    }

    #[test]
    fn every_path_matches_scalar_reference() {
        let reference = Kernels::for_path(KernelPath::Scalar);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for path in KernelPath::all_supported() {
            let k = Kernels::for_path(path);
            assert_eq!(k.path(), path);
            for n in lengths() {
                for offset in [0usize, 1, 3] {
                    let x: Vec<Complex32> = (0..n + offset).map(|_| rng.c()).collect();
                    let h: Vec<f32> = (0..n + offset).map(|_| rng.f()).collect();
                    let (x, h) = (&x[offset..], &h[offset..]);
                    // Dot product: float sums in another order, tolerance scales with length.
                    let a = (reference.dot_cf32_f32)(x, h);
                    let b = (k.dot_cf32_f32)(x, h);
                    let tol = 1e-5 * (n as f32).max(1.0);
                    assert!((a - b).norm() <= tol, "{path:?} dot n={n}: {a} vs {b}");
                    // Element-wise kernels: exact up to FMA rounding.
                    let mut o1 = vec![Complex32::default(); n];
                    let mut o2 = o1.clone();
                    (reference.mul_cf32_f32)(x, h, &mut o1);
                    (k.mul_cf32_f32)(x, h, &mut o2);
                    assert!(o1.iter().zip(&o2).all(|(a, b)| (a - b).norm() <= 1e-6));
                    let mut a1 = h.to_vec();
                    let mut a2 = h.to_vec();
                    (reference.acc_mag2_cf32)(x, &mut a1);
                    (k.acc_mag2_cf32)(x, &mut a2);
                    assert!(a1.iter().zip(&a2).all(|(a, b)| (a - b).abs() <= 1e-6));
                    let mut m1: Vec<Complex32> = x.to_vec();
                    let mut m2 = m1.clone();
                    let y: Vec<Complex32> = x.iter().rev().copied().collect();
                    (reference.mul_inplace_cf32)(&mut m1, &y);
                    (k.mul_inplace_cf32)(&mut m2, &y);
                    assert!(
                        m1.iter().zip(&m2).all(|(a, b)| (a - b).norm() <= 1e-5),
                        "{path:?} mul n={n}"
                    );
                    let mut o1 = vec![Complex32::default(); n];
                    let mut o2 = o1.clone();
                    (reference.mul_cf32)(x, &y, &mut o1);
                    (k.mul_cf32)(x, &y, &mut o2);
                    assert!(
                        o1.iter().zip(&m1).all(|(a, b)| (a - b).norm() <= 1e-5),
                        "{path:?} mul vs inplace n={n}"
                    );
                    assert!(
                        o1.iter().zip(&o2).all(|(a, b)| (a - b).norm() <= 1e-5),
                        "{path:?} mul_cf32 n={n}"
                    );
                    if n >= 8 {
                        let taps = (n / 2).max(1);
                        let stride = (n - taps) / 7;
                        let hd: Vec<f32> = h[..taps].iter().flat_map(|&t| [t, t]).collect();
                        let d1 = (reference.dot8_cf32_f32d)(x, stride, &hd);
                        let d2 = (k.dot8_cf32_f32d)(x, stride, &hd);
                        for q in 0..8 {
                            let single = (reference.dot_cf32_f32)(
                                &x[q * stride..q * stride + taps],
                                &h[..taps],
                            );
                            assert!(
                                (d1[q] - d2[q]).norm() <= 1e-5 * taps as f32
                                    && (d1[q] - single).norm() <= 1e-5 * taps as f32,
                                "{path:?} dot8 n={n}"
                            );
                        }
                    }
                    // Conversions are exact.
                    let bytes: Vec<u8> = (0..4 * n + offset)
                        .map(|_| (rng.f() * 127.0 + 128.0) as u8)
                        .collect();
                    let bytes = &bytes[offset..];
                    let mut c1 = vec![Complex32::default(); n];
                    let mut c2 = c1.clone();
                    // Clipping counts: the test bytes include the limits.
                    let mut bytes = bytes.to_vec();
                    for (i, b) in bytes.iter_mut().enumerate().step_by(7) {
                        *b = if i % 2 == 0 { 0 } else { 255 };
                    }
                    let bytes = &bytes[..];
                    let want_cu8 = bytes[..2 * n]
                        .iter()
                        .filter(|&&b| b == 0 || b == 255)
                        .count();
                    let k1 = (reference.conv_cu8_cf32)(&bytes[..2 * n], &mut c1);
                    let k2 = (k.conv_cu8_cf32)(&bytes[..2 * n], &mut c2);
                    assert_eq!(
                        (k1, k2),
                        (want_cu8 as u64, want_cu8 as u64),
                        "{path:?} cu8 clip n={n}"
                    );
                    assert_eq!(c1, c2, "{path:?} cu8 n={n}");
                    let mut words = bytes.to_vec();
                    for (w, p) in words.chunks_exact_mut(2).enumerate().step_by(5) {
                        let v = if w % 2 == 0 { i16::MIN } else { i16::MAX };
                        p.copy_from_slice(&v.to_le_bytes());
                    }
                    let bytes = &words[..];
                    let want_ci16 = bytes[..4 * n]
                        .chunks_exact(2)
                        .map(|p| i16::from_le_bytes([p[0], p[1]]))
                        .filter(|&v| v == i16::MIN || v == i16::MAX)
                        .count() as u64;
                    let k1 = (reference.conv_ci16_cf32)(bytes, &mut c1);
                    let k2 = (k.conv_ci16_cf32)(bytes, &mut c2);
                    assert_eq!((k1, k2), (want_ci16, want_ci16), "{path:?} ci16 clip n={n}");
                    assert_eq!(c1, c2, "{path:?} ci16 n={n}");
                    // Real dot product.
                    let (ra, rb): (Vec<f32>, Vec<f32>) = x.iter().map(|c| (c.re, c.im)).unzip();
                    let d1 = (reference.dot_f32)(&ra, &rb);
                    let d2 = (k.dot_f32)(&ra, &rb);
                    assert!(
                        (d1 - d2).abs() <= 1e-5 * (n as f32).max(1.0),
                        "{path:?} dot_f32 n={n}"
                    );
                    // Mixer and level statistics.
                    let ph = Complex32::from_polar(1.0, 0.7);
                    let mut q1 = vec![Complex32::default(); n];
                    let mut q2 = q1.clone();
                    (reference.mix_cf32)(x, &y, ph, &mut q1);
                    (k.mix_cf32)(x, &y, ph, &mut q2);
                    assert!(
                        q1.iter().zip(&q2).all(|(a, b)| (a - b).norm() <= 1e-5),
                        "{path:?} mix n={n}"
                    );
                    let (s1, p1, c1n) = (reference.level_cf32)(x, 0.9);
                    let (s2, p2, c2n) = (k.level_cf32)(x, 0.9);
                    assert!(
                        (s1 - s2).abs() <= 1e-5 * (n as f64).max(1.0),
                        "{path:?} level n={n}"
                    );
                    assert_eq!((p1, c1n), (p2, c2n), "{path:?} level n={n}");
                    // Contiguous FIR: out.len() = n + 1 − taps outputs of a taps-long filter.
                    let taps = n / 3 + 1;
                    if n >= taps {
                        let m = n + 1 - taps;
                        let mut r1 = vec![Complex32::default(); m];
                        let mut r2 = r1.clone();
                        (reference.fir_cf32_f32)(x, &h[..taps], &mut r1);
                        (k.fir_cf32_f32)(x, &h[..taps], &mut r2);
                        assert!(
                            r1.iter()
                                .zip(&r2)
                                .all(|(a, b)| (a - b).norm() <= 1e-5 * taps as f32),
                            "{path:?} fir n={n}"
                        );
                    }
                    // Polyphase frames: branch counts with and without a vector path, rows
                    // over and under one register block, hops shorter and longer than m.
                    for (m, rows, hop) in [
                        (4usize, 2usize, 4usize),
                        (8, 3, 4),
                        (12, 9, 12),
                        (12, 8, 12),
                        (8, 9, 8),
                        (8, 2, 8),
                        (6, 2, 5),
                        (16, 8, 8),
                    ] {
                        if n < rows * m {
                            continue;
                        }
                        let frames = (n - rows * m) / hop + 1;
                        let hd: Vec<f32> = (0..2 * rows * m).map(|i| h[i % n]).collect();
                        let mut c1 = vec![Complex32::default(); frames * m];
                        let mut c2 = vec![Complex32::new(9.0, 9.0); frames * m];
                        (reference.pfb_frames_cf32)(x, hop, &hd, m, &mut c1);
                        (k.pfb_frames_cf32)(x, hop, &hd, m, &mut c2);
                        let bad = c1
                            .iter()
                            .zip(&c2)
                            .position(|(a, b)| (a - b).norm() > 1e-5 * rows as f32);
                        assert!(
                            bad.is_none(),
                            "{path:?} pfb n={n} m={m} rows={rows}: index {bad:?} of {} {:?}",
                            c1.len(),
                            bad.map(|i| (c1[i], c2[i]))
                        );
                    }
                    // Discriminator: same polynomial, FMA rounding only.
                    let prev = rng.c();
                    let mut f1 = vec![0.0f32; n];
                    let mut f2 = f1.clone();
                    (reference.fm_disc_cf32)(x, prev, &mut f1, 1.0);
                    (k.fm_disc_cf32)(x, prev, &mut f2, 1.0);
                    assert!(
                        f1.iter().zip(&f2).all(|(a, b)| (a - b).abs() <= 2e-6),
                        "{path:?} fm_disc n={n}"
                    );
                }
            }
        }
    }
}
