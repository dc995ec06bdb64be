//! Power-of-two complex FFT with an AVX2 + FMA path of our own.
//!
//! [`Fft`] is planned once (twiddles, scratch) and then transforms out of place with the input
//! preserved; `process` never allocates. The AVX2 path is a Stockham (self-sorting) FFT on a
//! split real/imaginary (SoA) internal layout, eight complex values per vector:
//!
//! - pass 1 (radix 4, stride 1) reads the interleaved input, splits it into re/im vectors (and
//!   applies the optional window) and writes its outputs through an in-register 4×8 transpose;
//! - pass 2 (radix 4, stride 4) works on pairs of butterflies per vector (half-register
//!   twiddles);
//! - the middle passes (stride ≥ 16) broadcast one set of twiddles per butterfly column: radix
//!   4 up to N = 1024, radix 8 from 2048 on (fewer trips through memory win once the data
//!   outgrows L1), with one pass of the other radix where log₂N needs it;
//! - the last pass (radix 4 or 8) has no twiddles and writes interleaved complex output (or,
//!   for Welch, accumulates |X|² in centred bin order).
//!
//! Twiddles are precomputed in f64 per pass, in the order the vector loops read them. The
//! passes ping-pong between two SoA buffers: for N ≤ 1024, the caller's output buffer when it
//! is 32-byte aligned (less cache; misaligned, half its vector accesses would split cache
//! lines) and one internal buffer, else two internal ones. The inverse transform
//! (unnormalised) swaps re and im on the way in and out. The sizes 2⁹ … 2¹³ run passes
//! compiled for their constant size (offsets and trip counts fold into the code).
//!
//! From N = 2048 the SoA buffers are padded (quarters one cache line apart) so the 16 streams
//! of a pass do not all fall into one L1 set.
//!
//! Paths: [`KernelPath::Avx2`] runs the native code for N = 2⁹ … 2¹⁶. Every other case — the
//! scalar path, NEON, other sizes — falls back to **rustfft** (planned at construction), so
//! the API is the same everywhere; [`Fft::is_native`] says which one runs.
//!
//! Measured (Zen 3 VM, shared, in-process `examples/fft_speed`, 64-byte aligned buffers,
//! Msamples/s vs rustfft 6.4 `process_immutable_with_scratch`): see `docs/PERFORMANCE.md`;
//! rustfft is faster at 64–256 (pass overheads dominate there), so below 512 rustfft runs.
//! Relative RMS error against an f64 DFT ≤ 1.3e-7 for 2⁹ … 2¹³.

use crate::simd::{KernelPath, Kernels};
use crate::{invalid, Complex32, DspError};
use std::sync::Arc;

/// Transform direction. Neither direction normalises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FftDirection {
    /// X[k] = Σ x[n]·e^(−2πi·nk/N).
    Forward,
    /// x[n] = Σ X[k]·e^(+2πi·nk/N) (no 1/N).
    Inverse,
}

/// Smallest and largest sizes the native AVX2 path handles.
pub const NATIVE_MIN: usize = 512;
/// See [`NATIVE_MIN`].
pub const NATIVE_MAX: usize = 1 << 16;

/// A planned FFT of one size and direction (see the module docs).
pub struct Fft {
    n: usize,
    dir: FftDirection,
    imp: Imp,
    /// Window for [`Fft::accumulate_power_centred`], in natural order (empty = none).
    window: Vec<f32>,
}

enum Imp {
    #[cfg(target_arch = "x86_64")]
    Avx2(avx2::Plan),
    Fallback {
        fft: Arc<dyn rustfft::Fft<f32>>,
        scratch: Vec<Complex32>,
        work: Vec<Complex32>,
        spectrum: Vec<Complex32>,
        k: Kernels,
    },
}

impl std::fmt::Debug for Fft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fft")
            .field("n", &self.n)
            .field("dir", &self.dir)
            .field("native", &self.is_native())
            .finish()
    }
}

impl Fft {
    /// An `n`-point FFT on the detected kernel path.
    pub fn new(n: usize, dir: FftDirection) -> Result<Fft, DspError> {
        Fft::with_path(n, dir, KernelPath::detect())
    }

    /// An `n`-point FFT on `path` (falling back to rustfft where that path has no native code
    /// for `n`, see the module docs).
    pub fn with_path(n: usize, dir: FftDirection, path: KernelPath) -> Result<Fft, DspError> {
        if n == 0 {
            return Err(invalid("fft size", "must be at least 1"));
        }
        let native = path == KernelPath::Avx2
            && path.supported()
            && n.is_power_of_two()
            && (NATIVE_MIN..=NATIVE_MAX).contains(&n);
        #[cfg(target_arch = "x86_64")]
        if native {
            return Ok(Fft {
                n,
                dir,
                imp: Imp::Avx2(avx2::Plan::new(n)),
                window: Vec::new(),
            });
        }
        let _ = native;
        let mut planner = rustfft::FftPlanner::new();
        let fft = match dir {
            FftDirection::Forward => planner.plan_fft_forward(n),
            FftDirection::Inverse => planner.plan_fft_inverse(n),
        };
        let len = fft
            .get_immutable_scratch_len()
            .max(fft.get_outofplace_scratch_len());
        Ok(Fft {
            n,
            dir,
            imp: Imp::Fallback {
                fft,
                scratch: vec![Complex32::default(); len],
                work: vec![Complex32::default(); n],
                spectrum: vec![Complex32::default(); n],
                k: Kernels::for_path(path),
            },
            window: Vec::new(),
        })
    }

    /// Transform length.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Always false (a plan has at least one point).
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Direction.
    pub fn direction(&self) -> FftDirection {
        self.dir
    }

    /// Whether the native AVX2 code runs (false: rustfft).
    pub fn is_native(&self) -> bool {
        match self.imp {
            #[cfg(target_arch = "x86_64")]
            Imp::Avx2(_) => true,
            Imp::Fallback { .. } => false,
        }
    }

    /// `output` = FFT of `input`; `input` is left untouched. Never allocates.
    ///
    /// # Panics
    /// If either slice's length is not [`Fft::len`].
    pub fn process(&mut self, input: &[Complex32], output: &mut [Complex32]) {
        assert_eq!(input.len(), self.n, "fft input length");
        assert_eq!(output.len(), self.n, "fft output length");
        match &mut self.imp {
            #[cfg(target_arch = "x86_64")]
            Imp::Avx2(plan) => plan.process(input, output, self.dir == FftDirection::Inverse),
            Imp::Fallback { fft, scratch, .. } => {
                let need = fft.get_immutable_scratch_len();
                fft.process_immutable_with_scratch(input, output, &mut scratch[..need]);
            }
        }
    }

    /// Set the window [`Fft::accumulate_power_centred`] multiplies segments by (allocates; call
    /// at construction). `w.len()` must be [`Fft::len`].
    pub fn set_window(&mut self, w: &[f32]) -> Result<(), DspError> {
        if w.len() != self.n {
            return Err(invalid("window", format!("length must be {}", self.n)));
        }
        self.window = w.to_vec();
        #[cfg(target_arch = "x86_64")]
        if let Imp::Avx2(plan) = &mut self.imp {
            plan.set_window(w);
        }
        Ok(())
    }

    /// `acc[(k + N/2) mod N] += |FFT(x·w)[k]|²` (forward transform whatever the plan's
    /// direction; `w` from [`Fft::set_window`], none if unset): one Welch periodogram added in
    /// centred order, bin 0 of `acc` = −fs/2. Never allocates.
    ///
    /// # Panics
    /// If `x.len()` or `acc.len()` is not [`Fft::len`], or the plan is an inverse one on the
    /// fallback path.
    pub fn accumulate_power_centred(&mut self, x: &[Complex32], acc: &mut [f32]) {
        assert_eq!(x.len(), self.n, "segment length");
        assert_eq!(acc.len(), self.n, "accumulator length");
        match &mut self.imp {
            #[cfg(target_arch = "x86_64")]
            Imp::Avx2(plan) => plan.power(x, acc),
            Imp::Fallback {
                fft,
                scratch,
                work,
                spectrum,
                k,
            } => {
                assert_eq!(
                    self.dir,
                    FftDirection::Forward,
                    "power needs a forward plan"
                );
                if self.window.is_empty() {
                    work.copy_from_slice(x);
                } else {
                    (k.mul_cf32_f32)(x, &self.window, work);
                }
                let need = fft.get_outofplace_scratch_len();
                fft.process_outofplace_with_scratch(work, spectrum, &mut scratch[..need]);
                let h = self.n / 2;
                let (lo, hi) = spectrum.split_at(self.n - h);
                (k.acc_mag2_cf32)(hi, &mut acc[..h]);
                (k.acc_mag2_cf32)(lo, &mut acc[h..]);
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! The native radix-4 Stockham passes. Every `unsafe fn` here needs AVX2 + FMA, which
    //! [`super::Fft::with_path`] checked before building a [`Plan`]; buffer pointers cover
    //! 2·N floats (re half, then im half) unless stated.

    use crate::Complex32;
    use std::arch::x86_64::*;
    use std::f64::consts::PI;

    /// Lane order of pass 1 (what the re/im split of two interleaved vectors yields).
    const SIGMA: [usize; 8] = [0, 1, 4, 5, 2, 3, 6, 7];

    /// Twiddles, scratch and the pass schedule of one size.
    pub struct Plan {
        n: usize,
        /// Pass 1: per group of 8 butterflies, w¹ w² w³ as (re ×8, im ×8), lanes in SIGMA order.
        tw1: Vec<f32>,
        /// Pass 2: per pair of butterflies, w¹ w² w³ as (re ×8, im ×8), 4 lanes each.
        tw2: Vec<f32>,
        /// Middle passes: (current length, stride, offset into `twm`, radix 4 or 8).
        mid: Vec<(usize, usize, usize, usize)>,
        /// Middle passes: per butterfly column, w¹re w¹im … w^(r−1)re w^(r−1)im.
        twm: Vec<f32>,
        /// Last pass is radix 4 (else radix 8).
        last4: bool,
        /// Window in SIGMA order per 8-block (empty = none).
        win: Vec<f32>,
        /// Two SoA scratch buffers of `blen` floats each, the first 32-byte aligned (slack at
        /// the front).
        buf: Vec<f32>,
        blen: usize,
        /// Layout of the SoA buffers (padded for large N).
        lay: L,
    }

    /// The two pass-2 butterflies (in its half-lanes) of 8-float block `beta`: pass 1 leaves
    /// its outputs in blocks holding butterflies (p0 + SIGMA[b] | p0 + SIGMA[b + 4]),
    /// p0 = 8·(beta / 4), b = beta % 4 (its 4×8 transpose without the cross-lane step).
    fn pass2_pair(beta: usize) -> (usize, usize) {
        let (g, b) = (beta / 4, beta % 4);
        (8 * g + SIGMA[b], 8 * g + SIGMA[b + 4])
    }

    fn tw(k: usize, p: usize, len: usize) -> (f32, f32) {
        let a = -2.0 * PI * (k * p) as f64 / len as f64;
        (a.cos() as f32, a.sin() as f32)
    }

    /// Sizes from which the SoA buffers are padded (see `Plan::new`), and the padding.
    const PAD_FROM: usize = 2048;
    const PAD: usize = 16;

    /// Where SoA element i lives: re at `at(i)`, im at `im + at(i)`; each quarter of the
    /// transform is contiguous, quarters `pad` floats apart.
    #[derive(Clone, Copy)]
    struct L {
        im: usize,
        qsh: u32,
        pad: usize,
    }

    impl L {
        #[inline(always)]
        fn at(self, i: usize) -> usize {
            i + (i >> self.qsh) * self.pad
        }
    }

    impl L {
        /// The layout of an `n`-point plan: padded from [`PAD_FROM`] on. Quarters one cache
        /// line apart, im 8 lines after re: the 16 streams of a pass use distinct L1 sets
        /// instead of all sharing one.
        const fn new(n: usize) -> L {
            let qsh = (n / 4).trailing_zeros();
            if n >= PAD_FROM {
                L {
                    im: n + 8 * PAD,
                    qsh,
                    pad: PAD,
                }
            } else {
                L { im: n, qsh, pad: 0 }
            }
        }
    }

    /// Size and layout for a pass compiled for size `NN` (0: run-time size). With constants,
    /// every offset and trip count folds into the code: a radix-4 middle pass at N = 1024,
    /// stride 16, measured 115 ns against 245 with run-time values (whose sixteen stream
    /// pointers did not fit the registers).
    #[inline(always)]
    fn fix<const NN: usize>(n: usize, l: L) -> (usize, L) {
        if NN != 0 {
            (NN, L::new(NN))
        } else {
            (n, l)
        }
    }

    /// As [`fix`] for a middle pass of stride `S` (0: run-time stride).
    #[inline(always)]
    fn fix_mid<const NN: usize, const S: usize>(len: usize, s: usize, l: L) -> (usize, usize, L) {
        match (NN, S) {
            (0, _) => (len, s, l),
            (_, 0) => (len, s, L::new(NN)),
            _ => (NN / S, S, L::new(NN)),
        }
    }

    /// Radices of the passes after the first two: log₂ of what is left, `rem`, as radix-8
    /// passes (`prefer8`, 3a + 2b with a + b least) or radix-4 ones with one radix 8 for an
    /// odd `rem`.
    fn schedule(rem: usize, prefer8: bool) -> Vec<usize> {
        let fours = if prefer8 {
            [0, 2, 1][rem % 3]
        } else {
            (rem / 2).saturating_sub(rem % 2)
        };
        let eights = (rem - 2 * fours) / 3;
        let mut r = vec![8; eights];
        if prefer8 {
            r.extend(std::iter::repeat_n(4, fours));
        } else {
            r.splice(0..0, std::iter::repeat_n(4, fours));
        }
        r
    }

    fn aligned(v: &mut [f32]) -> *mut f32 {
        let off = v.as_ptr().align_offset(32);
        // SAFETY: the buffers are allocated 8 floats longer than they are used.
        unsafe { v.as_mut_ptr().add(off) }
    }

    impl Plan {
        pub fn new(n: usize) -> Plan {
            let m = n / 4;
            let mut tw1 = Vec::with_capacity(6 * m);
            for g in 0..m / 8 {
                for k in 1..=3 {
                    let w: Vec<(f32, f32)> = SIGMA.iter().map(|&l| tw(k, 8 * g + l, n)).collect();
                    tw1.extend(w.iter().map(|c| c.0));
                    tw1.extend(w.iter().map(|c| c.1));
                }
            }
            let n2 = n / 4;
            let mut tw2 = Vec::with_capacity(6 * n2 / 2);
            for beta in 0..n / 32 {
                let (lo, hi) = pass2_pair(beta);
                for k in 1..=3 {
                    let w: Vec<(f32, f32)> = (0..8)
                        .map(|l| tw(k, if l < 4 { lo } else { hi }, n2))
                        .collect();
                    tw2.extend(w.iter().map(|c| c.0));
                    tw2.extend(w.iter().map(|c| c.1));
                }
            }
            // After the two radix-4 passes (see `schedule`); the last pass has no twiddles.
            // Measured (paired, 32-byte aligned buffers): radix 4 is 15 % faster at 512 and
            // 1024, radix 8 20–27 % faster from 2048 on (padded layout, data beyond L1:
            // fewer trips through memory win there).
            let rem = (n / 16).trailing_zeros() as usize;
            let mut radices = schedule(rem, n >= PAD_FROM);
            let last = radices.pop().expect("N ≥ 512 leaves at least one pass");
            let (mut len, mut s) = (n / 16, 16);
            let mut mid = Vec::new();
            let mut twm = Vec::new();
            for r in radices {
                mid.push((len, s, twm.len(), r));
                for p in 0..len / r {
                    for k in 1..r {
                        let (re, im) = tw(k, p, len);
                        twm.extend([re, im]);
                    }
                }
                len /= r;
                s *= r;
            }
            debug_assert_eq!(len, last);
            let lay = L::new(n);
            // Padded: the second buffer 4 lines after the first (mod 4 KiB).
            let blen = if lay.pad != 0 {
                2 * n + 1024 + 64
            } else {
                2 * n
            };
            Plan {
                n,
                tw1,
                tw2,
                mid,
                twm,
                last4: len == 4,
                win: Vec::new(),
                buf: vec![0.0; 2 * blen + 8],
                blen,
                lay,
            }
        }

        pub fn set_window(&mut self, w: &[f32]) {
            self.win = w
                .chunks_exact(8)
                .flat_map(|c| SIGMA.map(|l| c[l]))
                .collect();
        }

        pub fn process(&mut self, input: &[Complex32], output: &mut [Complex32], inverse: bool) {
            let s = aligned(&mut self.buf);
            let out = output.as_mut_ptr() as *mut f32;
            // Unpadded and 32-byte aligned, the output doubles as the second SoA buffer (less
            // cache). Misaligned, half its vector accesses would split cache lines: measured
            // 12 % slower at N = 1024 than with a second internal buffer.
            // SAFETY: `buf` holds 2·blen floats after the alignment slack.
            let o = if self.lay.pad == 0 && out as usize % 32 == 0 {
                out
            } else {
                unsafe { s.add(self.blen) }
            };
            let x = input.as_ptr() as *const f32;
            // SAFETY: AVX2 + FMA checked at planning; lengths checked by the caller; `output`
            // holds 2·N floats.
            unsafe {
                if inverse {
                    self.run::<true, false, false>(x, o, s, out)
                } else {
                    self.run::<false, false, false>(x, o, s, out)
                }
            }
        }

        pub fn power(&mut self, x: &[Complex32], acc: &mut [f32]) {
            let s = aligned(&mut self.buf);
            // SAFETY: `buf` holds 2·blen floats after the alignment slack.
            let o = unsafe { s.add(self.blen) };
            let xp = x.as_ptr() as *const f32;
            // SAFETY: as in `process`; `acc` holds N floats.
            unsafe {
                let a = acc.as_mut_ptr();
                if self.win.is_empty() {
                    self.run::<false, false, true>(xp, o, s, a)
                } else {
                    self.run::<false, true, true>(xp, o, s, a)
                }
            }
        }

        /// All passes: `x` interleaved input, `o` and `s` the SoA buffers, `out` interleaved
        /// output (or the N-float accumulator when POWER).
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run<const INV: bool, const WIN: bool, const POWER: bool>(
            &self,
            x: *const f32,
            o: *mut f32,
            s: *mut f32,
            out: *mut f32,
        ) {
            match self.n {
                512 => self.run_n::<INV, WIN, POWER, 512>(x, o, s, out),
                1024 => self.run_n::<INV, WIN, POWER, 1024>(x, o, s, out),
                2048 => self.run_n::<INV, WIN, POWER, 2048>(x, o, s, out),
                4096 => self.run_n::<INV, WIN, POWER, 4096>(x, o, s, out),
                8192 => self.run_n::<INV, WIN, POWER, 8192>(x, o, s, out),
                _ => self.run_n::<INV, WIN, POWER, 0>(x, o, s, out),
            }
        }

        /// [`Plan::run`] for a size fixed at compile time (`NN`, 0 = run-time size).
        #[target_feature(enable = "avx2,fma")]
        unsafe fn run_n<const INV: bool, const WIN: bool, const POWER: bool, const NN: usize>(
            &self,
            x: *const f32,
            o: *mut f32,
            s: *mut f32,
            out: *mut f32,
        ) {
            let n = self.n;
            // Passes 1, 2, the middle ones, the last: the last reads `s`, so buffers alternate
            // backwards from there.
            let total = 3 + self.mid.len();
            let dst = |i: usize| if (total - 1 - i) % 2 == 0 { s } else { o };
            let l = self.lay;
            first::<INV, WIN, NN>(n, l, x, self.win.as_ptr(), self.tw1.as_ptr(), dst(1));
            second::<NN>(n, l, dst(1), self.tw2.as_ptr(), dst(2));
            let mut cur = dst(2);
            for (j, &(len, stride, off, radix)) in self.mid.iter().enumerate() {
                let d = dst(3 + j);
                let t = self.twm.as_ptr().add(off);
                // The strides the compiled sizes use (16 after the first two passes, then 64
                // after a radix-4 pass or 128 after a radix-8 one).
                match (radix, NN != 0, stride) {
                    (8, true, 16) => middle8::<NN, 16>(l, len, stride, cur, t, d),
                    (8, true, 128) => middle8::<NN, 128>(l, len, stride, cur, t, d),
                    (8, _, _) => middle8::<NN, 0>(l, len, stride, cur, t, d),
                    (_, true, 16) => middle::<NN, 16>(l, len, stride, cur, t, d),
                    (_, true, 64) => middle::<NN, 64>(l, len, stride, cur, t, d),
                    (_, true, 128) => middle::<NN, 128>(l, len, stride, cur, t, d),
                    _ => middle::<NN, 0>(l, len, stride, cur, t, d),
                }
                cur = d;
            }
            debug_assert!(cur == s);
            if self.last4 {
                last4::<INV, POWER, NN>(n, l, cur, out)
            } else {
                last8::<INV, POWER, NN>(n, l, cur, out)
            }
        }
    }

    #[derive(Clone, Copy)]
    struct V {
        r: __m256,
        i: __m256,
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn ld(re: *const f32, im: usize) -> V {
        V {
            r: _mm256_loadu_ps(re),
            i: _mm256_loadu_ps(re.add(im)),
        }
    }

    /// Radix-4 butterfly (forward), before twiddles.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn bfly(a: V, b: V, c: V, d: V) -> [V; 4] {
        let apc = V {
            r: _mm256_add_ps(a.r, c.r),
            i: _mm256_add_ps(a.i, c.i),
        };
        let amc = V {
            r: _mm256_sub_ps(a.r, c.r),
            i: _mm256_sub_ps(a.i, c.i),
        };
        let bpd = V {
            r: _mm256_add_ps(b.r, d.r),
            i: _mm256_add_ps(b.i, d.i),
        };
        let bmd = V {
            r: _mm256_sub_ps(b.r, d.r),
            i: _mm256_sub_ps(b.i, d.i),
        };
        [
            V {
                r: _mm256_add_ps(apc.r, bpd.r),
                i: _mm256_add_ps(apc.i, bpd.i),
            },
            // (a − c) − j(b − d)
            V {
                r: _mm256_add_ps(amc.r, bmd.i),
                i: _mm256_sub_ps(amc.i, bmd.r),
            },
            V {
                r: _mm256_sub_ps(apc.r, bpd.r),
                i: _mm256_sub_ps(apc.i, bpd.i),
            },
            // (a − c) + j(b − d)
            V {
                r: _mm256_sub_ps(amc.r, bmd.i),
                i: _mm256_add_ps(amc.i, bmd.r),
            },
        ]
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn cmul(x: V, wr: __m256, wi: __m256) -> V {
        V {
            r: _mm256_fmsub_ps(x.r, wr, _mm256_mul_ps(x.i, wi)),
            i: _mm256_fmadd_ps(x.r, wi, _mm256_mul_ps(x.i, wr)),
        }
    }

    /// Butterfly with per-lane twiddles from `t` (w¹re w¹im w²re w²im w³re w³im, 8 each).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn bfly_tw_vec(a: V, b: V, c: V, d: V, t: *const f32) -> [V; 4] {
        let [y0, y1, y2, y3] = bfly(a, b, c, d);
        [
            y0,
            cmul(y1, _mm256_loadu_ps(t), _mm256_loadu_ps(t.add(8))),
            cmul(y2, _mm256_loadu_ps(t.add(16)), _mm256_loadu_ps(t.add(24))),
            cmul(y3, _mm256_loadu_ps(t.add(32)), _mm256_loadu_ps(t.add(40))),
        ]
    }

    /// Eight interleaved complex values → re/im vectors in SIGMA lane order.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn ld_aos<const INV: bool, const WIN: bool>(x: *const f32, w: *const f32) -> V {
        let lo = _mm256_loadu_ps(x);
        let hi = _mm256_loadu_ps(x.add(8));
        let mut r = _mm256_shuffle_ps::<0x88>(lo, hi);
        let mut i = _mm256_shuffle_ps::<0xDD>(lo, hi);
        if WIN {
            let wv = _mm256_loadu_ps(w);
            r = _mm256_mul_ps(r, wv);
            i = _mm256_mul_ps(i, wv);
        }
        if INV {
            V { r: i, i: r }
        } else {
            V { r, i }
        }
    }

    /// Store y0..y3 (lanes = butterflies p0 + SIGMA[l]) as four 8-float blocks from `y`, block
    /// b holding the 4 outputs of butterfly p0 + SIGMA[b], then those of p0 + SIGMA[b + 4]
    /// (a 4×8 transpose within 128-bit halves; pass 2 reads that order, see `pass2_pair`).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn st_transposed(y: *mut f32, v0: __m256, v1: __m256, v2: __m256, v3: __m256) {
        let t0 = _mm256_unpacklo_ps(v0, v1);
        let t1 = _mm256_unpackhi_ps(v0, v1);
        let t2 = _mm256_unpacklo_ps(v2, v3);
        let t3 = _mm256_unpackhi_ps(v2, v3);
        _mm256_storeu_ps(y, _mm256_shuffle_ps::<0x44>(t0, t2));
        _mm256_storeu_ps(y.add(8), _mm256_shuffle_ps::<0xEE>(t0, t2));
        _mm256_storeu_ps(y.add(16), _mm256_shuffle_ps::<0x44>(t1, t3));
        _mm256_storeu_ps(y.add(24), _mm256_shuffle_ps::<0xEE>(t1, t3));
    }

    /// Pass 1 (length N, stride 1): interleaved `x` → SoA `y`, 8 butterflies per step.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn first<const INV: bool, const WIN: bool, const NN: usize>(
        n: usize,
        l: L,
        x: *const f32,
        win: *const f32,
        tw: *const f32,
        y: *mut f32,
    ) {
        let (n, l) = fix::<NN>(n, l);
        let m = n / 4;
        let mut p = 0;
        let mut t = tw;
        while p < m {
            let a = ld_aos::<INV, WIN>(x.add(2 * p), win.wrapping_add(p));
            let b = ld_aos::<INV, WIN>(x.add(2 * (p + m)), win.wrapping_add(p + m));
            let c = ld_aos::<INV, WIN>(x.add(2 * (p + 2 * m)), win.wrapping_add(p + 2 * m));
            let d = ld_aos::<INV, WIN>(x.add(2 * (p + 3 * m)), win.wrapping_add(p + 3 * m));
            let [y0, y1, y2, y3] = bfly_tw_vec(a, b, c, d, t);
            let yp = y.add(l.at(4 * p));
            st_transposed(yp, y0.r, y1.r, y2.r, y3.r);
            st_transposed(yp.add(l.im), y0.i, y1.i, y2.i, y3.i);
            t = t.add(48);
            p += 8;
        }
    }

    /// Pass 2 (length N/4, stride 4): two butterflies (4 lanes each) per 8-float block, in the
    /// block order pass 1 left (see `pass2_pair`).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn second<const NN: usize>(n: usize, l: L, x: *const f32, tw: *const f32, y: *mut f32) {
        let (n, l) = fix::<NN>(n, l);
        let q = n / 4;
        let mut t = tw;
        let qo = l.at(q);
        for beta in 0..n / 32 {
            let f = 8 * beta;
            let a = ld(x.add(f), l.im);
            let b = ld(x.add(f + qo), l.im);
            let c = ld(x.add(f + 2 * qo), l.im);
            let d = ld(x.add(f + 3 * qo), l.im);
            let [y0, y1, y2, y3] = bfly_tw_vec(a, b, c, d, t);
            let (lo, hi) = pass2_pair(beta);
            for (off, v0, v1, v2, v3) in
                [(0, y0.r, y1.r, y2.r, y3.r), (l.im, y0.i, y1.i, y2.i, y3.i)]
            {
                let yl = y.add(off + l.at(16 * lo));
                let yh = y.add(off + l.at(16 * hi));
                _mm256_storeu_ps(yl, _mm256_permute2f128_ps::<0x20>(v0, v1));
                _mm256_storeu_ps(yl.add(8), _mm256_permute2f128_ps::<0x20>(v2, v3));
                _mm256_storeu_ps(yh, _mm256_permute2f128_ps::<0x31>(v0, v1));
                _mm256_storeu_ps(yh.add(8), _mm256_permute2f128_ps::<0x31>(v2, v3));
            }
            t = t.add(48);
        }
    }

    /// A middle pass: current length `len`, stride `s` ≥ 8.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn middle<const NN: usize, const S: usize>(
        l: L,
        len: usize,
        s: usize,
        x: *const f32,
        tw: *const f32,
        y: *mut f32,
    ) {
        let (len, s, l) = fix_mid::<NN, S>(len, s, l);
        let m = len / 4;
        for p in 0..m {
            let t = tw.add(6 * p);
            let (w1r, w1i) = (_mm256_set1_ps(*t), _mm256_set1_ps(*t.add(1)));
            let (w2r, w2i) = (_mm256_set1_ps(*t.add(2)), _mm256_set1_ps(*t.add(3)));
            let (w3r, w3i) = (_mm256_set1_ps(*t.add(4)), _mm256_set1_ps(*t.add(5)));
            let xa = x.add(l.at(s * p));
            let ya = y.add(l.at(4 * s * p));
            // Offsets of the quarters read and of the outputs written, from xa and ya.
            let qo = l.at(s * m) - l.at(0);
            let yo: [usize; 4] = std::array::from_fn(|k| l.at(4 * s * p + k * s) - l.at(4 * s * p));
            let mut q = 0;
            while q < s {
                let a = ld(xa.add(q), l.im);
                let b = ld(xa.add(q + qo), l.im);
                let c = ld(xa.add(q + 2 * qo), l.im);
                let d = ld(xa.add(q + 3 * qo), l.im);
                let [y0, y1, y2, y3] = bfly(a, b, c, d);
                let y1 = cmul(y1, w1r, w1i);
                let y2 = cmul(y2, w2r, w2i);
                let y3 = cmul(y3, w3r, w3i);
                for (k, v) in [y0, y1, y2, y3].into_iter().enumerate() {
                    let yp = ya.add(q + yo[k]);
                    _mm256_storeu_ps(yp, v.r);
                    _mm256_storeu_ps(yp.add(l.im), v.i);
                }
                q += 8;
            }
        }
    }

    /// A radix-8 middle pass: current length `len`, stride `s` ≥ 8 (n = len·s).
    #[target_feature(enable = "avx2,fma")]
    unsafe fn middle8<const NN: usize, const S: usize>(
        l: L,
        len: usize,
        s: usize,
        x: *const f32,
        tw: *const f32,
        y: *mut f32,
    ) {
        let (len, s, l) = fix_mid::<NN, S>(len, s, l);
        let m = len / 8;
        // Eighths of the transform, from any index in the first eighth (see `last8`).
        let xs: [usize; 8] = std::array::from_fn(|j| l.at(j * s * m));
        for p in 0..m {
            let t = tw.add(14 * p);
            let xa = x.add(l.at(s * p));
            let ya = y.add(l.at(8 * s * p));
            let yo: [usize; 8] = std::array::from_fn(|k| l.at(8 * s * p + k * s) - l.at(8 * s * p));
            let mut q = 0;
            while q < s {
                let v = bfly8(xa, &xs, l.im, q);
                let yp = ya.add(q);
                _mm256_storeu_ps(yp, v[0].r);
                _mm256_storeu_ps(yp.add(l.im), v[0].i);
                for k in 1..8 {
                    let w = cmul(
                        v[k],
                        _mm256_broadcast_ss(&*t.add(2 * k - 2)),
                        _mm256_broadcast_ss(&*t.add(2 * k - 1)),
                    );
                    let yk = yp.add(yo[k]);
                    _mm256_storeu_ps(yk, w.r);
                    _mm256_storeu_ps(yk.add(l.im), w.i);
                }
                q += 8;
            }
        }
    }

    /// re/im vectors → 8 interleaved complex values at `out`.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn st_aos<const INV: bool>(out: *mut f32, v: V) {
        let (r, i) = if INV { (v.i, v.r) } else { (v.r, v.i) };
        // lo = c0 c1 | c4 c5, hi = c2 c3 | c6 c7: four 128-bit stores instead of two
        // lane-crossing shuffles (and no split line for an output only 16-byte aligned).
        let lo = _mm256_unpacklo_ps(r, i);
        let hi = _mm256_unpackhi_ps(r, i);
        _mm_storeu_ps(out, _mm256_castps256_ps128(lo));
        _mm_storeu_ps(out.add(4), _mm256_castps256_ps128(hi));
        _mm_storeu_ps(out.add(8), _mm256_extractf128_ps::<1>(lo));
        _mm_storeu_ps(out.add(12), _mm256_extractf128_ps::<1>(hi));
    }

    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn acc_pow(acc: *mut f32, v: V) {
        let p = _mm256_fmadd_ps(v.r, v.r, _mm256_mul_ps(v.i, v.i));
        _mm256_storeu_ps(acc, _mm256_add_ps(_mm256_loadu_ps(acc), p));
    }

    /// Output k (of `r`) of the last pass, lanes = bins q … q+7 of stride `s`: interleaved
    /// complex at `out` (`!POWER`), or |X|² added to the N-float accumulator `out` in centred
    /// order, bin k·s + q → ((k + r/2) mod r)·s + q, i.e. (bin + N/2) mod N.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn emit<const INV: bool, const POWER: bool>(
        out: *mut f32,
        q: usize,
        k: usize,
        r: usize,
        s: usize,
        v: V,
    ) {
        if POWER {
            acc_pow(out.add(q + ((k + r / 2) % r) * s), v);
        } else {
            st_aos::<INV>(out.add(2 * (q + k * s)), v);
        }
    }

    /// Last pass, radix 4 (stride N/4, no twiddles) → `out` as [`emit`] writes it.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn last4<const INV: bool, const POWER: bool, const NN: usize>(
        n: usize,
        l: L,
        x: *const f32,
        out: *mut f32,
    ) {
        let (n, l) = fix::<NN>(n, l);
        let s = n / 4;
        let qo = l.at(s);
        let mut q = 0;
        while q < s {
            let y = bfly(
                ld(x.add(q), l.im),
                ld(x.add(q + qo), l.im),
                ld(x.add(q + 2 * qo), l.im),
                ld(x.add(q + 3 * qo), l.im),
            );
            for (k, v) in y.into_iter().enumerate() {
                emit::<INV, POWER>(out, q, k, 4, s, v);
            }
            q += 8;
        }
    }

    /// Radix-8 butterfly without outer twiddles: X[k] for k = 0..8 of the 8 vectors at
    /// `x + xs[j] + q` (radix 2 × radix 4, the W₈ factors inline).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn bfly8(x: *const f32, xs: &[usize; 8], im: usize, q: usize) -> [V; 8] {
        let h = _mm256_set1_ps(std::f32::consts::FRAC_1_SQRT_2);
        let mut a = [V {
            r: _mm256_setzero_ps(),
            i: _mm256_setzero_ps(),
        }; 4];
        let mut b = a;
        for j in 0..4 {
            let u = ld(x.add(q + xs[j]), im);
            let v = ld(x.add(q + xs[j + 4]), im);
            a[j] = V {
                r: _mm256_add_ps(u.r, v.r),
                i: _mm256_add_ps(u.i, v.i),
            };
            let d = V {
                r: _mm256_sub_ps(u.r, v.r),
                i: _mm256_sub_ps(u.i, v.i),
            };
            // d·W₈^j, W₈ = (1 − i)/√2.
            b[j] = match j {
                0 => d,
                1 => V {
                    r: _mm256_mul_ps(_mm256_add_ps(d.r, d.i), h),
                    i: _mm256_mul_ps(_mm256_sub_ps(d.i, d.r), h),
                },
                2 => V {
                    r: d.i,
                    i: _mm256_sub_ps(_mm256_setzero_ps(), d.r),
                },
                _ => V {
                    r: _mm256_mul_ps(_mm256_sub_ps(d.i, d.r), h),
                    i: _mm256_mul_ps(
                        _mm256_add_ps(d.r, d.i),
                        _mm256_set1_ps(-std::f32::consts::FRAC_1_SQRT_2),
                    ),
                },
            };
        }
        let e = bfly(a[0], a[1], a[2], a[3]);
        let o = bfly(b[0], b[1], b[2], b[3]);
        [e[0], o[0], e[1], o[1], e[2], o[2], e[3], o[3]]
    }

    /// Last pass, radix 8 (stride N/8, no twiddles) → `out` as [`emit`] writes it.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn last8<const INV: bool, const POWER: bool, const NN: usize>(
        n: usize,
        l: L,
        x: *const f32,
        out: *mut f32,
    ) {
        let (n, l) = fix::<NN>(n, l);
        let s = n / 8;
        let xs: [usize; 8] = std::array::from_fn(|j| l.at(j * s));
        let mut q = 0;
        while q < s {
            let y = bfly8(x, &xs, l.im, q);
            for (k, v) in y.into_iter().enumerate() {
                emit::<INV, POWER>(out, q, k, 8, s, v);
            }
            q += 8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::simd::tests::Rng;

    /// Naive DFT in f64.
    fn dft(x: &[Complex32], sign: f64) -> Vec<(f64, f64)> {
        let n = x.len();
        // Twiddle table: e^(sign·2πi·j/n).
        let w: Vec<(f64, f64)> = (0..n)
            .map(|j| {
                let a = sign * 2.0 * std::f64::consts::PI * j as f64 / n as f64;
                (a.cos(), a.sin())
            })
            .collect();
        (0..n)
            .map(|k| {
                let (mut re, mut im) = (0.0, 0.0);
                for (j, v) in x.iter().enumerate() {
                    let (c, s) = w[(j * k) % n];
                    re += v.re as f64 * c - v.im as f64 * s;
                    im += v.re as f64 * s + v.im as f64 * c;
                }
                (re, im)
            })
            .collect()
    }

    fn rel_rms(got: &[Complex32], want: &[(f64, f64)]) -> f64 {
        let (mut e, mut r) = (0.0, 0.0);
        for (g, w) in got.iter().zip(want) {
            e += (g.re as f64 - w.0).powi(2) + (g.im as f64 - w.1).powi(2);
            r += w.0 * w.0 + w.1 * w.1;
        }
        (e / r).sqrt()
    }

    #[test]
    fn every_size_and_path_matches_a_naive_dft() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut worst = vec![];
        for path in KernelPath::all_supported() {
            for log in 0..=13 {
                let n = 1usize << log;
                for dir in [FftDirection::Forward, FftDirection::Inverse] {
                    let mut fft = Fft::with_path(n, dir, path).unwrap();
                    if path == KernelPath::Avx2 && n >= NATIVE_MIN {
                        assert!(fft.is_native());
                    }
                    // Offsets from a 64-byte boundary: 0 (the output doubles as scratch), 2
                    // (16-byte aligned), 1 and 3 (8-byte aligned).
                    for offset in [0usize, 1, 2, 3] {
                        let buf: Vec<Complex32> = (0..n + 16).map(|_| rng.c()).collect();
                        let b0 = buf.as_ptr().align_offset(64) + offset;
                        let x = &buf[b0..b0 + n];
                        let keep = x.to_vec();
                        let mut ob = vec![Complex32::new(7.0, 7.0); n + 16];
                        let o0 = ob.as_ptr().align_offset(64) + offset;
                        let out = &mut ob[o0..o0 + n];
                        fft.process(x, out);
                        assert_eq!(x, &keep[..], "input preserved");
                        let sign = if dir == FftDirection::Forward {
                            -1.0
                        } else {
                            1.0
                        };
                        let e = rel_rms(out, &dft(x, sign));
                        assert!(e <= 1e-5, "{path:?} n={n} {dir:?}: rel rms {e:e}");
                        if offset == 1 && dir == FftDirection::Forward {
                            worst.push((path, n, e));
                        }
                    }
                }
            }
        }
        for (p, n, e) in worst {
            eprintln!("{p:?} n={n}: rel rms {e:.2e}");
        }
    }

    #[test]
    fn large_native_sizes_agree_with_rustfft() {
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        for log in 14..=16 {
            let n = 1usize << log;
            let x: Vec<Complex32> = (0..n).map(|_| rng.c()).collect();
            let mut a = vec![Complex32::default(); n];
            let mut b = a.clone();
            for path in KernelPath::all_supported() {
                Fft::with_path(n, FftDirection::Forward, path)
                    .unwrap()
                    .process(&x, &mut a);
                Fft::with_path(n, FftDirection::Forward, KernelPath::Scalar)
                    .unwrap()
                    .process(&x, &mut b);
                let want: Vec<(f64, f64)> = b.iter().map(|c| (c.re as f64, c.im as f64)).collect();
                let e = rel_rms(&a, &want);
                assert!(e <= 1e-5, "{path:?} n={n}: {e:e}");
            }
        }
    }

    #[test]
    fn power_accumulation_matches_process() {
        let mut rng = Rng(0x0DDB_A11C_AFE0_0001);
        for path in KernelPath::all_supported() {
            for log in 1..=13 {
                let n = 1usize << log;
                let w: Vec<f32> = (0..n).map(|_| rng.f().abs()).collect();
                let x: Vec<Complex32> = (0..n + 1).map(|_| rng.c()).collect();
                let x = &x[1..];
                let mut fft = Fft::with_path(n, FftDirection::Forward, path).unwrap();
                fft.set_window(&w).unwrap();
                let mut acc: Vec<f32> = (0..n).map(|i| i as f32).collect();
                fft.accumulate_power_centred(x, &mut acc);
                let xw: Vec<Complex32> = x.iter().zip(&w).map(|(v, &g)| v * g).collect();
                let want = dft(&xw, -1.0);
                let total: f64 = want.iter().map(|c| c.0 * c.0 + c.1 * c.1).sum();
                for (i, a) in acc.iter().enumerate() {
                    let k = (i + n / 2) % n;
                    let p = want[k].0 * want[k].0 + want[k].1 * want[k].1;
                    let got = *a as f64 - i as f64;
                    assert!(
                        (got - p).abs() <= 1e-5 * total + 1e-4 * i as f64,
                        "{path:?} n={n} bin {i}: {got} vs {p}"
                    );
                }
            }
        }
    }
}
