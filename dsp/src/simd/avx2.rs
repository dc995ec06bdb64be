//! AVX2 + FMA versions of the [`super::Kernels`] primitives (x86-64).
//!
//! The safe wrappers are only handed out by [`super::Kernels::for_path`] after run-time
//! detection, which is what makes the `unsafe` calls sound.

use crate::Complex32;
use std::arch::x86_64::*;

/// Σ x[i]·h[i] with four 256-bit accumulators.
pub fn dot_cf32_f32(x: &[Complex32], h: &[f32]) -> Complex32 {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { dot_impl(x, h) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot_impl(x: &[Complex32], h: &[f32]) -> Complex32 {
    let n = x.len().min(h.len());
    let xp = x.as_ptr() as *const f32;
    let hp = h.as_ptr();
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut i = 0;
    // 8 complex samples (16 floats) per step; taps duplicated to (t0,t0,t1,t1,…).
    while i + 8 <= n {
        let t = _mm256_loadu_ps(hp.add(i));
        let lo = _mm256_permutevar8x32_ps(t, _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
        let hi = _mm256_permutevar8x32_ps(t, _mm256_setr_epi32(4, 4, 5, 5, 6, 6, 7, 7));
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(2 * i)), lo, acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(2 * i + 8)), hi, acc1);
        i += 8;
    }
    let acc = _mm256_add_ps(acc0, acc1);
    let mut lanes = [0.0f32; 8];
    _mm256_storeu_ps(lanes.as_mut_ptr(), acc);
    let mut re = lanes[0] + lanes[2] + lanes[4] + lanes[6];
    let mut im = lanes[1] + lanes[3] + lanes[5] + lanes[7];
    while i < n {
        re += x[i].re * h[i];
        im += x[i].im * h[i];
        i += 1;
    }
    Complex32::new(re, im)
}

/// out[i] = x[i]·w[i].
pub fn mul_cf32_f32(x: &[Complex32], w: &[f32], out: &mut [Complex32]) {
    // SAFETY: only reachable when AVX2 was detected.
    unsafe { mul_impl(x, w, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn mul_impl(x: &[Complex32], w: &[f32], out: &mut [Complex32]) {
    let n = x.len().min(w.len()).min(out.len());
    let xp = x.as_ptr() as *const f32;
    let op = out.as_mut_ptr() as *mut f32;
    let mut i = 0;
    while i + 4 <= n {
        let t = _mm_loadu_ps(w.as_ptr().add(i));
        let d = _mm256_permutevar8x32_ps(
            _mm256_castps128_ps256(t),
            _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3),
        );
        _mm256_storeu_ps(
            op.add(2 * i),
            _mm256_mul_ps(_mm256_loadu_ps(xp.add(2 * i)), d),
        );
        i += 4;
    }
    while i < n {
        out[i] = Complex32::new(x[i].re * w[i], x[i].im * w[i]);
        i += 1;
    }
}

/// acc[i] += |x[i]|².
pub fn acc_mag2_cf32(x: &[Complex32], acc: &mut [f32]) {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { acc_mag2_impl(x, acc) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn acc_mag2_impl(x: &[Complex32], acc: &mut [f32]) {
    let n = x.len().min(acc.len());
    let xp = x.as_ptr() as *const f32;
    let ap = acc.as_mut_ptr();
    let mut i = 0;
    while i + 8 <= n {
        let a = _mm256_loadu_ps(xp.add(2 * i)); // r0 i0 r1 i1 r2 i2 r3 i3
        let b = _mm256_loadu_ps(xp.add(2 * i + 8)); // r4 i4 … r7 i7
        let a2 = _mm256_mul_ps(a, a);
        let b2 = _mm256_mul_ps(b, b);
        // hadd pairs within 128-bit lanes: (a0+a1, a2+a3, b0+b1, b2+b3 | a4+a5, a6+a7, b4+b5, b6+b7)
        let s = _mm256_hadd_ps(a2, b2);
        // reorder to samples 0..7: lanes are [m0 m1 m4 m5 | m2 m3 m6 m7]
        let s = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(s), 0b11_01_10_00));
        _mm256_storeu_ps(ap.add(i), _mm256_add_ps(_mm256_loadu_ps(ap.add(i)), s));
        i += 8;
    }
    while i < n {
        acc[i] += x[i].re * x[i].re + x[i].im * x[i].im;
        i += 1;
    }
}

/// cu8 → complex.
pub fn conv_cu8_cf32(input: &[u8], out: &mut [Complex32]) -> u64 {
    // SAFETY: only reachable when AVX2 was detected.
    unsafe { cu8_impl(input, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn cu8_impl(input: &[u8], out: &mut [Complex32]) -> u64 {
    let n = out.len().min(input.len() / 2);
    let op = out.as_mut_ptr() as *mut f32;
    let ip = input.as_ptr();
    let k = _mm256_set1_ps(1.0 / 127.5);
    let half = _mm256_set1_ps(127.5);
    let full = _mm_set1_epi8(-1);
    let zero = _mm_setzero_si128();
    // Same operation order as the scalar reference, so the results are bit-identical.
    let conv = |b: __m128i| {
        _mm256_mul_ps(
            _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(b)), half),
            k,
        )
    };
    let mut clipped = 0u64;
    let mut i = 0;
    // 32 bytes = 16 complex samples per step; bytes at 0 or 255 (clipping) counted in byte
    // lanes (two per step), flushed every 127 steps before they can overflow.
    while i + 16 <= n {
        let mut counts = _mm_setzero_si128();
        let end = (i + 16 * 127).min(n - n % 16);
        while i < end {
            let a = _mm_loadu_si128(ip.add(2 * i) as *const __m128i);
            let b = _mm_loadu_si128(ip.add(2 * i + 16) as *const __m128i);
            _mm256_storeu_ps(op.add(2 * i), conv(a));
            _mm256_storeu_ps(op.add(2 * i + 8), conv(_mm_srli_si128(a, 8)));
            _mm256_storeu_ps(op.add(2 * i + 16), conv(b));
            _mm256_storeu_ps(op.add(2 * i + 24), conv(_mm_srli_si128(b, 8)));
            let ea = _mm_or_si128(_mm_cmpeq_epi8(a, zero), _mm_cmpeq_epi8(a, full));
            let eb = _mm_or_si128(_mm_cmpeq_epi8(b, zero), _mm_cmpeq_epi8(b, full));
            counts = _mm_sub_epi8(_mm_sub_epi8(counts, ea), eb);
            i += 16;
        }
        clipped += flush_byte_counts(counts);
    }
    clipped + super::scalar::conv_cu8_cf32(&input[2 * i..2 * n], &mut out[i..n])
}

/// Sum of the 16 byte counters.
#[target_feature(enable = "avx2,fma")]
unsafe fn flush_byte_counts(c: __m128i) -> u64 {
    let s = _mm_sad_epu8(c, _mm_setzero_si128());
    (_mm_cvtsi128_si64(s) + _mm_extract_epi64(s, 1)) as u64
}

/// ci16 LE → complex.
pub fn conv_ci16_cf32(input: &[u8], out: &mut [Complex32]) -> u64 {
    // SAFETY: only reachable when AVX2 was detected.
    unsafe { ci16_impl(input, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn ci16_impl(input: &[u8], out: &mut [Complex32]) -> u64 {
    let n = out.len().min(input.len() / 4);
    let op = out.as_mut_ptr() as *mut f32;
    let k = _mm256_set1_ps(1.0 / 32768.0);
    let (lo_lim, hi_lim) = (_mm_set1_epi16(i16::MIN), _mm_set1_epi16(i16::MAX));
    let mut counts = _mm_setzero_si128();
    let mut i = 0;
    // 16 bytes = 4 complex samples per step; values at the limits counted in 16-bit lanes.
    while i + 4 <= n {
        let b = _mm_loadu_si128(input.as_ptr().add(4 * i) as *const __m128i);
        let v = _mm256_cvtepi32_ps(_mm256_cvtepi16_epi32(b));
        _mm256_storeu_ps(op.add(2 * i), _mm256_mul_ps(v, k));
        let edge = _mm_or_si128(_mm_cmpeq_epi16(b, lo_lim), _mm_cmpeq_epi16(b, hi_lim));
        // Widen the −1 flags to 32-bit before they can overflow a 16-bit lane.
        counts = _mm_sub_epi32(counts, _mm_madd_epi16(edge, _mm_set1_epi16(1)));
        i += 4;
    }
    let mut lanes = [0i32; 4];
    _mm_storeu_si128(lanes.as_mut_ptr() as *mut __m128i, counts);
    let clipped: u64 = lanes.iter().map(|&v| v as u32 as u64).sum();
    clipped + super::scalar::conv_ci16_cf32(&input[4 * i..4 * n], &mut out[i..n])
}

/// x[i] *= y[i] (complex), fmaddsub form.
pub fn mul_inplace_cf32(x: &mut [Complex32], y: &[Complex32]) {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { mul_inplace_impl(x, y) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn mul_inplace_impl(x: &mut [Complex32], y: &[Complex32]) {
    let n = x.len().min(y.len());
    let xp = x.as_mut_ptr() as *mut f32;
    let yp = y.as_ptr() as *const f32;
    let mut i = 0;
    while i + 4 <= n {
        let a = _mm256_loadu_ps(xp.add(2 * i));
        let b = _mm256_loadu_ps(yp.add(2 * i));
        let b_re = _mm256_moveldup_ps(b);
        let b_im = _mm256_movehdup_ps(b);
        let a_sw = _mm256_permute_ps(a, 0b1011_0001);
        let r = _mm256_fmaddsub_ps(a, b_re, _mm256_mul_ps(a_sw, b_im));
        _mm256_storeu_ps(xp.add(2 * i), r);
        i += 4;
    }
    while i < n {
        x[i] *= y[i];
        i += 1;
    }
}

/// Eight dot products sharing each load of the (pre-duplicated) taps: 4 taps per step, one
/// tap load per eight sample loads and FMAs, no shuffles in the loop.
pub fn dot8_cf32_f32d(x: &[Complex32], stride: usize, hd: &[f32]) -> [Complex32; 8] {
    let taps = hd.len() / 2;
    assert!(x.len() >= 7 * stride + taps, "dot8: input too short");
    // SAFETY: AVX2/FMA detected before this is handed out; bounds checked above.
    unsafe { dot8_impl(x, stride, hd) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot8_impl(x: &[Complex32], stride: usize, hd: &[f32]) -> [Complex32; 8] {
    let taps = hd.len() / 2;
    let base = x.as_ptr() as *const f32;
    let hp = hd.as_ptr();
    let mut acc = [_mm256_setzero_ps(); 8];
    let mut k = 0;
    while k + 4 <= taps {
        let t = _mm256_loadu_ps(hp.add(2 * k));
        for (q, a) in acc.iter_mut().enumerate() {
            *a = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(2 * (q * stride + k))), t, *a);
        }
        k += 4;
    }
    // Reduce: lanes (re, im) × 4 → one complex per accumulator, two at a time.
    let mut out = [Complex32::default(); 8];
    for q in (0..8).step_by(2) {
        // a = [A0 A1 | A2 A3], b = [B0 B1 | B2 B3] (complex pairs) → [A0+A2 A1+A3 | B0+B2 B1+B3]
        let a = acc[q];
        let b = acc[q + 1];
        let lo = _mm256_permute2f128_ps(a, b, 0x20);
        let hi = _mm256_permute2f128_ps(a, b, 0x31);
        let s = _mm256_add_ps(lo, hi);
        // [A, A', B, B'] complex → A + A', B + B'
        let s = _mm256_add_ps(s, _mm256_permute_ps(s, 0b01_00_11_10));
        let mut v = [0.0f32; 8];
        _mm256_storeu_ps(v.as_mut_ptr(), s);
        out[q] = Complex32::new(v[0], v[1]);
        out[q + 1] = Complex32::new(v[4], v[5]);
    }
    while k < taps {
        for (q, o) in out.iter_mut().enumerate() {
            let s = x[q * stride + k];
            o.re += s.re * hd[2 * k];
            o.im += s.im * hd[2 * k + 1];
        }
        k += 1;
    }
    out
}

/// out[i] = x[i]·y[i] (complex).
pub fn mul_cf32(x: &[Complex32], y: &[Complex32], out: &mut [Complex32]) {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { mul_impl_cc(x, y, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn mul_impl_cc(x: &[Complex32], y: &[Complex32], out: &mut [Complex32]) {
    let n = x.len().min(y.len()).min(out.len());
    let xp = x.as_ptr() as *const f32;
    let yp = y.as_ptr() as *const f32;
    let op = out.as_mut_ptr() as *mut f32;
    let cmul = |a: __m256, b: __m256| {
        _mm256_fmaddsub_ps(
            a,
            _mm256_moveldup_ps(b),
            _mm256_mul_ps(_mm256_permute_ps(a, 0b1011_0001), _mm256_movehdup_ps(b)),
        )
    };
    let mut i = 0;
    while i + 8 <= n {
        let r0 = cmul(
            _mm256_loadu_ps(xp.add(2 * i)),
            _mm256_loadu_ps(yp.add(2 * i)),
        );
        let r1 = cmul(
            _mm256_loadu_ps(xp.add(2 * i + 8)),
            _mm256_loadu_ps(yp.add(2 * i + 8)),
        );
        _mm256_storeu_ps(op.add(2 * i), r0);
        _mm256_storeu_ps(op.add(2 * i + 8), r1);
        i += 8;
    }
    while i + 4 <= n {
        let r = cmul(
            _mm256_loadu_ps(xp.add(2 * i)),
            _mm256_loadu_ps(yp.add(2 * i)),
        );
        _mm256_storeu_ps(op.add(2 * i), r);
        i += 4;
    }
    while i < n {
        out[i] = x[i] * y[i];
        i += 1;
    }
}

/// FM discriminator, 8 samples per step (see [`super::scalar::fm_disc_cf32`]).
pub fn fm_disc_cf32(x: &[Complex32], prev: Complex32, out: &mut [f32], scale: f32) {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { fm_disc_impl(x, prev, out, scale) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn fm_disc_impl(x: &[Complex32], prev: Complex32, out: &mut [f32], scale: f32) {
    let n = x.len().min(out.len());
    if n == 0 {
        return;
    }
    // The first sample pairs with `prev`; the vector loop pairs x[i] with x[i−1] from memory.
    super::scalar::fm_disc_cf32(&x[..1], prev, &mut out[..1], scale);
    let xp = x.as_ptr() as *const f32;
    let c = &super::scalar::ATAN_POLY;
    let sign = _mm256_set1_ps(-0.0);
    let tiny = _mm256_set1_ps(1e-37);
    let half_pi = _mm256_set1_ps(std::f32::consts::FRAC_PI_2);
    let pi = _mm256_set1_ps(std::f32::consts::PI);
    let vscale = _mm256_set1_ps(scale);
    let order = _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7);
    let mut i = 1;
    while i + 8 <= n {
        let a0 = _mm256_loadu_ps(xp.add(2 * i));
        let a1 = _mm256_loadu_ps(xp.add(2 * i + 8));
        let b0 = _mm256_loadu_ps(xp.add(2 * i - 2));
        let b1 = _mm256_loadu_ps(xp.add(2 * i + 6));
        // De-interleave; lanes come out in the order 0,1,4,5,2,3,6,7 (undone at the end).
        let ar = _mm256_shuffle_ps(a0, a1, 0x88);
        let ai = _mm256_shuffle_ps(a0, a1, 0xDD);
        let br = _mm256_shuffle_ps(b0, b1, 0x88);
        let bi = _mm256_shuffle_ps(b0, b1, 0xDD);
        // d = a·conj(b)
        let re = _mm256_fmadd_ps(ar, br, _mm256_mul_ps(ai, bi));
        let im = _mm256_fmsub_ps(ai, br, _mm256_mul_ps(ar, bi));
        let ax = _mm256_andnot_ps(sign, re);
        let ay = _mm256_andnot_ps(sign, im);
        let mx = _mm256_max_ps(ax, ay);
        let mn = _mm256_min_ps(ax, ay);
        let z = _mm256_div_ps(mn, _mm256_max_ps(mx, tiny));
        let z2 = _mm256_mul_ps(z, z);
        let mut p = _mm256_fmadd_ps(_mm256_set1_ps(c[5]), z2, _mm256_set1_ps(c[4]));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(c[3]));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(c[2]));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(c[1]));
        p = _mm256_fmadd_ps(p, z2, _mm256_set1_ps(c[0]));
        let mut r = _mm256_mul_ps(p, z);
        r = _mm256_blendv_ps(
            r,
            _mm256_sub_ps(half_pi, r),
            _mm256_cmp_ps(ay, ax, _CMP_GT_OQ),
        );
        r = _mm256_blendv_ps(r, _mm256_sub_ps(pi, r), re);
        r = _mm256_or_ps(r, _mm256_and_ps(im, sign));
        r = _mm256_mul_ps(r, vscale);
        _mm256_storeu_ps(out.as_mut_ptr().add(i), _mm256_permutevar8x32_ps(r, order));
        i += 8;
    }
    if i < n {
        super::scalar::fm_disc_cf32(&x[i..n], x[i - 1], &mut out[i..n], scale);
    }
}

/// out[i] = x[i]·(table[i]·ph), four samples per step, one pass.
pub fn mix_cf32(x: &[Complex32], table: &[Complex32], ph: Complex32, out: &mut [Complex32]) {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { mix_impl(x, table, ph, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn mix_impl(x: &[Complex32], table: &[Complex32], ph: Complex32, out: &mut [Complex32]) {
    let n = x.len().min(table.len()).min(out.len());
    let xp = x.as_ptr() as *const f32;
    let tp = table.as_ptr() as *const f32;
    let op = out.as_mut_ptr() as *mut f32;
    let (pr, pi) = (_mm256_set1_ps(ph.re), _mm256_set1_ps(ph.im));
    // o = t·ph, then x·o: two complex products, no intermediate store.
    let step = |t: __m256, a: __m256| {
        let o = _mm256_fmaddsub_ps(t, pr, _mm256_mul_ps(_mm256_permute_ps(t, 0b1011_0001), pi));
        _mm256_fmaddsub_ps(
            a,
            _mm256_moveldup_ps(o),
            _mm256_mul_ps(_mm256_permute_ps(a, 0b1011_0001), _mm256_movehdup_ps(o)),
        )
    };
    let mut i = 0;
    while i + 8 <= n {
        let r0 = step(
            _mm256_loadu_ps(tp.add(2 * i)),
            _mm256_loadu_ps(xp.add(2 * i)),
        );
        let r1 = step(
            _mm256_loadu_ps(tp.add(2 * i + 8)),
            _mm256_loadu_ps(xp.add(2 * i + 8)),
        );
        _mm256_storeu_ps(op.add(2 * i), r0);
        _mm256_storeu_ps(op.add(2 * i + 8), r1);
        i += 8;
    }
    if i < n {
        super::scalar::mix_cf32(&x[i..n], &table[i..n], ph, &mut out[i..n]);
    }
}

/// Level statistics, eight components per step (see [`super::scalar::level_cf32`]).
pub fn level_cf32(x: &[Complex32], lim: f32) -> (f64, f32, u64) {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { level_impl(x, lim) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn level_impl(x: &[Complex32], lim: f32) -> (f64, f32, u64) {
    let n = x.len();
    let xp = x.as_ptr() as *const f32;
    let sign = _mm256_set1_ps(-0.0);
    let vlim = _mm256_set1_ps(lim);
    let mut sum0 = _mm256_setzero_ps();
    let mut sum1 = _mm256_setzero_ps();
    let mut peak = _mm256_setzero_ps();
    let mut clip = _mm256_setzero_si256();
    let mut total = 0.0f64;
    let mut i = 0;
    // f32 partial sums are flushed to f64 every 4096 samples.
    while i + 8 <= n {
        let end = (i + 4096).min(n - n % 8);
        while i + 8 <= end {
            let a = _mm256_loadu_ps(xp.add(2 * i));
            let b = _mm256_loadu_ps(xp.add(2 * i + 8));
            let sa = _mm256_mul_ps(a, a);
            let sb = _mm256_mul_ps(b, b);
            sum0 = _mm256_add_ps(sum0, sa);
            sum1 = _mm256_add_ps(sum1, sb);
            // |x|² of each sample in both lanes of its pair.
            let pa = _mm256_add_ps(sa, _mm256_permute_ps(sa, 0b1011_0001));
            let pb = _mm256_add_ps(sb, _mm256_permute_ps(sb, 0b1011_0001));
            peak = _mm256_max_ps(peak, _mm256_max_ps(pa, pb));
            let ca = _mm256_cmp_ps(_mm256_andnot_ps(sign, a), vlim, _CMP_GE_OQ);
            let cb = _mm256_cmp_ps(_mm256_andnot_ps(sign, b), vlim, _CMP_GE_OQ);
            // A true compare is all ones (−1): subtracting counts it.
            clip = _mm256_sub_epi32(clip, _mm256_castps_si256(ca));
            clip = _mm256_sub_epi32(clip, _mm256_castps_si256(cb));
            i += 8;
        }
        let mut lanes = [0.0f32; 8];
        _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(sum0, sum1));
        total += lanes.iter().map(|&v| v as f64).sum::<f64>();
        sum0 = _mm256_setzero_ps();
        sum1 = _mm256_setzero_ps();
    }
    let mut pl = [0.0f32; 8];
    _mm256_storeu_ps(pl.as_mut_ptr(), peak);
    let mut cl = [0i32; 8];
    _mm256_storeu_si256(cl.as_mut_ptr() as *mut __m256i, clip);
    let (ts, tp, tc) = super::scalar::level_cf32(&x[i..], lim);
    (
        total + ts,
        pl.iter().fold(tp, |m, &v| m.max(v)),
        cl.iter().map(|&v| v as u32 as u64).sum::<u64>() + tc,
    )
}

/// Σ a[i]·b[i], real, 16 per step in two accumulators.
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: only reachable when AVX2 and FMA were detected.
    unsafe { dot_f32_impl(a, b) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f32_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (ap, bp) = (a.as_ptr(), b.as_ptr());
    let mut acc0 = _mm256_setzero_ps();
    let mut acc1 = _mm256_setzero_ps();
    let mut i = 0;
    while i + 16 <= n {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(ap.add(i)), _mm256_loadu_ps(bp.add(i)), acc0);
        acc1 = _mm256_fmadd_ps(
            _mm256_loadu_ps(ap.add(i + 8)),
            _mm256_loadu_ps(bp.add(i + 8)),
            acc1,
        );
        i += 16;
    }
    if i + 8 <= n {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(ap.add(i)), _mm256_loadu_ps(bp.add(i)), acc0);
        i += 8;
    }
    let acc = _mm256_add_ps(acc0, acc1);
    let hi = _mm256_extractf128_ps(acc, 1);
    let lo = _mm256_castps256_ps128(acc);
    let s4 = _mm_add_ps(lo, hi);
    let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
    let s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
    let mut s = _mm_cvtss_f32(s1);
    while i < n {
        s += a[i] * b[i];
        i += 1;
    }
    s
}

/// K = 7 add-compare-select, 16 butterflies per register (see [`super::scalar::acs_k7`]).
pub fn acs_k7(
    metrics: &mut [i16; 64],
    soft: &[i8],
    code: &super::scalar::K7Code,
    decisions: &mut [u64],
) {
    assert!(
        decisions.len() >= soft.len() / 2,
        "acs_k7: decisions too short"
    );
    // SAFETY: only reachable when AVX2 was detected; lengths checked above.
    unsafe { acs_k7_impl(metrics, soft, code, decisions) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn acs_k7_impl(
    metrics: &mut [i16; 64],
    soft: &[i8],
    code: &super::scalar::K7Code,
    decisions: &mut [u64],
) {
    use super::scalar::K7_RENORM_STEPS;
    let steps = soft.len() / 2;
    let mp = metrics.as_ptr() as *const __m256i;
    let mut m = [
        _mm256_loadu_si256(mp),
        _mm256_loadu_si256(mp.add(1)),
        _mm256_loadu_si256(mp.add(2)),
        _mm256_loadu_si256(mp.add(3)),
    ];
    let sa = [
        _mm256_loadu_si256(code.sign_a.as_ptr() as *const __m256i),
        _mm256_loadu_si256(code.sign_a.as_ptr().add(16) as *const __m256i),
    ];
    let sb = [
        _mm256_loadu_si256(code.sign_b.as_ptr() as *const __m256i),
        _mm256_loadu_si256(code.sign_b.as_ptr().add(16) as *const __m256i),
    ];
    let sp = soft.as_ptr();
    let dp = decisions.as_mut_ptr();
    for t in 0..steps {
        let s0 = _mm256_set1_epi16(*sp.add(2 * t) as i16);
        let s1 = _mm256_set1_epi16(*sp.add(2 * t + 1) as i16);
        let mut out = [_mm256_setzero_si256(); 4];
        let mut word = 0u64;
        for g in 0..2 {
            let bm = _mm256_add_epi16(_mm256_sign_epi16(s0, sa[g]), _mm256_sign_epi16(s1, sb[g]));
            let (a, b) = (m[g], m[g + 2]);
            let e0 = _mm256_add_epi16(a, bm);
            let e1 = _mm256_sub_epi16(b, bm);
            let o0 = _mm256_sub_epi16(a, bm);
            let o1 = _mm256_add_epi16(b, bm);
            let e = _mm256_max_epi16(e0, e1);
            let o = _mm256_max_epi16(o0, o1);
            let de = _mm256_cmpgt_epi16(e1, e0);
            let d_o = _mm256_cmpgt_epi16(o1, o0);
            // Interleaved like the metrics, then packed: bytes in new-state order.
            let dlo = _mm256_unpacklo_epi16(de, d_o);
            let dhi = _mm256_unpackhi_epi16(de, d_o);
            let mask = _mm256_movemask_epi8(_mm256_packs_epi16(dlo, dhi)) as u32;
            word |= (mask as u64) << (32 * g);
            let lo = _mm256_unpacklo_epi16(e, o);
            let hi = _mm256_unpackhi_epi16(e, o);
            out[2 * g] = _mm256_permute2x128_si256(lo, hi, 0x20);
            out[2 * g + 1] = _mm256_permute2x128_si256(lo, hi, 0x31);
        }
        *dp.add(t) = word;
        m = out;
        if (t + 1) % K7_RENORM_STEPS == 0 || t + 1 == steps {
            let m0 = _mm256_set1_epi16(_mm256_extract_epi16::<0>(m[0]) as i16);
            for v in m.iter_mut() {
                *v = _mm256_sub_epi16(*v, m0);
            }
        }
    }
    let op = metrics.as_mut_ptr() as *mut __m256i;
    for (q, v) in m.iter().enumerate() {
        _mm256_storeu_si256(op.add(q), *v);
    }
}

/// FIR over contiguous outputs (see [`super::scalar::fir_cf32_f32`]).
///
/// Register blocking: a pass computes `4·FIR_ACC` outputs. Taps are taken by residue r mod 4;
/// for tap r + 4t, accumulator q needs x[i + 4q + r + 4t ..][..4], which is what accumulator
/// q + 1 needed for tap r + 4(t − 1). So a window of `FIR_ACC` input registers slides by one
/// register per tap: one load and one broadcast per `FIR_ACC` FMAs (instead of a misaligned
/// load per FMA, which made the loop load-bound).
pub fn fir_cf32_f32(x: &[Complex32], h: &[f32], out: &mut [Complex32]) {
    assert!(
        h.is_empty() || x.len() + 1 >= out.len() + h.len(),
        "fir: input too short"
    );
    // SAFETY: only reachable when AVX2 and FMA were detected; bounds checked above.
    unsafe { fir_impl(x, h, out) }
}

const FIR_ACC: usize = 6;

#[target_feature(enable = "avx2,fma")]
unsafe fn fir_impl(x: &[Complex32], h: &[f32], out: &mut [Complex32]) {
    let n = out.len();
    let nt = h.len();
    if nt == 0 {
        out.iter_mut().for_each(|o| *o = Complex32::default());
        return;
    }
    let xp = x.as_ptr() as *const f32;
    let op = out.as_mut_ptr() as *mut f32;
    let hp = h.as_ptr();
    let mut i = 0;
    while i + 4 * FIR_ACC <= n {
        let mut acc = [_mm256_setzero_ps(); FIR_ACC];
        for r in 0..4.min(nt) {
            let taps = (nt - r).div_ceil(4);
            let base = xp.add(2 * (i + r));
            let mut win = [_mm256_setzero_ps(); FIR_ACC];
            for (q, w) in win.iter_mut().enumerate() {
                *w = _mm256_loadu_ps(base.add(8 * q));
            }
            // win[j mod FIR_ACC] holds register j of the window; unrolled by FIR_ACC so that
            // every index is a constant (the window stays in registers, nothing is moved).
            let mut t0 = 0;
            while t0 < taps {
                for u in 0..FIR_ACC {
                    let t = t0 + u;
                    if t >= taps {
                        break;
                    }
                    let tap = _mm256_broadcast_ss(&*hp.add(r + 4 * t));
                    for q in 0..FIR_ACC {
                        acc[q] = _mm256_fmadd_ps(win[(u + q) % FIR_ACC], tap, acc[q]);
                    }
                    if t + 1 < taps {
                        win[u] = _mm256_loadu_ps(base.add(8 * (t + FIR_ACC)));
                    }
                }
                t0 += FIR_ACC;
            }
        }
        for (q, a) in acc.iter().enumerate() {
            _mm256_storeu_ps(op.add(2 * i + 8 * q), *a);
        }
        i += 4 * FIR_ACC;
    }
    while i + 4 <= n {
        let mut acc = _mm256_setzero_ps();
        let base = xp.add(2 * i);
        for k in 0..nt {
            let t = _mm256_broadcast_ss(&*hp.add(k));
            acc = _mm256_fmadd_ps(_mm256_loadu_ps(base.add(2 * k)), t, acc);
        }
        _mm256_storeu_ps(op.add(2 * i), acc);
        i += 4;
    }
    while i < n {
        out[i] = super::scalar::dot_cf32_f32(&x[i..i + nt], h);
        i += 1;
    }
}

/// Polyphase branch sums for consecutive frames (see [`super::scalar::pfb_frames_cf32`]).
/// Frame by frame, eight branches per pass: the rows of a window are read in order (streaming,
/// prefetch-friendly), taps from L1, two accumulators per four branches; results are stored
/// lane-reversed so no separate reversal pass is needed.
///
/// (Holding taps in registers across frames was tried: it walks each window once per branch
/// group with a 1 KiB stride, and measured slower from cache-set conflicts and 4K aliasing.)
pub fn pfb_frames_cf32(x: &[Complex32], hop: usize, hd: &[f32], m: usize, out: &mut [Complex32]) {
    let (rows, frames) = super::scalar::pfb_shape(x, hop, hd, m, out);
    if m % 8 != 0 || rows == 0 {
        return super::scalar::pfb_frames_cf32(x, hop, hd, m, out);
    }
    // SAFETY: only reachable when AVX2 and FMA were detected; shapes checked above.
    unsafe { pfb_frames_impl(x, hop, hd, m, rows, frames, out) }
}

#[target_feature(enable = "avx2,fma")]
unsafe fn pfb_frames_impl(
    x: &[Complex32],
    hop: usize,
    hd: &[f32],
    m: usize,
    rows: usize,
    frames: usize,
    out: &mut [Complex32],
) {
    // Reverses the four complex values of a register.
    const REV: i32 = 0b00_01_10_11;
    let rev = |v: __m256| _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(v), REV));
    let hp = hd.as_ptr();
    for f in 0..frames {
        let xp = x.as_ptr().add(f * hop) as *const f32;
        let op = out.as_mut_ptr().add(f * m) as *mut f32;
        let mut p = 0;
        while p < m {
            let mut a0 = _mm256_setzero_ps();
            let mut a1 = _mm256_setzero_ps();
            for r in 0..rows {
                let o = 2 * (r * m + p);
                a0 = _mm256_fmadd_ps(_mm256_loadu_ps(xp.add(o)), _mm256_loadu_ps(hp.add(o)), a0);
                a1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(xp.add(o + 8)),
                    _mm256_loadu_ps(hp.add(o + 8)),
                    a1,
                );
            }
            // Branches p..p+3 go to m−1−p … m−4−p, p+4..p+7 to m−5−p … m−8−p.
            _mm256_storeu_ps(op.add(2 * (m - 4 - p)), rev(a0));
            _mm256_storeu_ps(op.add(2 * (m - 8 - p)), rev(a1));
            p += 8;
        }
    }
}
