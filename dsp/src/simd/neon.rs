//! NEON versions of the [`super::Kernels`] primitives (aarch64, where NEON is baseline).
//!
//! Same contracts as [`super::scalar`]; complex data is de-interleaved with `vld2q_f32`
//! (four samples per register pair) where the arithmetic needs real and imaginary parts apart.
//! Handed out by [`super::Kernels::for_path`] only after run-time detection.

use super::scalar;
use crate::Complex32;
use std::arch::aarch64::*;

/// Σ x[i]·h[i].
pub fn dot_cf32_f32(x: &[Complex32], h: &[f32]) -> Complex32 {
    // SAFETY: NEON detected before this is handed out; loads stay inside both slices.
    unsafe { dot_impl(x, h) }
}

#[target_feature(enable = "neon")]
unsafe fn dot_impl(x: &[Complex32], h: &[f32]) -> Complex32 {
    let n = x.len().min(h.len());
    let xp = x.as_ptr() as *const f32;
    let hp = h.as_ptr();
    let (mut r0, mut i0) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
    let (mut r1, mut i1) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
    let mut i = 0;
    while i + 8 <= n {
        let a = vld2q_f32(xp.add(2 * i));
        let b = vld2q_f32(xp.add(2 * i + 8));
        let ta = vld1q_f32(hp.add(i));
        let tb = vld1q_f32(hp.add(i + 4));
        r0 = vfmaq_f32(r0, a.0, ta);
        i0 = vfmaq_f32(i0, a.1, ta);
        r1 = vfmaq_f32(r1, b.0, tb);
        i1 = vfmaq_f32(i1, b.1, tb);
        i += 8;
    }
    let mut re = vaddvq_f32(vaddq_f32(r0, r1));
    let mut im = vaddvq_f32(vaddq_f32(i0, i1));
    while i < n {
        re += x[i].re * h[i];
        im += x[i].im * h[i];
        i += 1;
    }
    Complex32::new(re, im)
}

/// out[i] = x[i]·w[i].
pub fn mul_cf32_f32(x: &[Complex32], w: &[f32], out: &mut [Complex32]) {
    // SAFETY: NEON detected; loads/stores within the shortest slice.
    unsafe { mul_real_impl(x, w, out) }
}

#[target_feature(enable = "neon")]
unsafe fn mul_real_impl(x: &[Complex32], w: &[f32], out: &mut [Complex32]) {
    let n = x.len().min(w.len()).min(out.len());
    let (xp, op) = (x.as_ptr() as *const f32, out.as_mut_ptr() as *mut f32);
    let mut i = 0;
    while i + 4 <= n {
        let v = vld2q_f32(xp.add(2 * i));
        let t = vld1q_f32(w.as_ptr().add(i));
        vst2q_f32(
            op.add(2 * i),
            float32x4x2_t(vmulq_f32(v.0, t), vmulq_f32(v.1, t)),
        );
        i += 4;
    }
    scalar::mul_cf32_f32(&x[i..n], &w[i..n], &mut out[i..n]);
}

/// acc[i] += |x[i]|².
pub fn acc_mag2_cf32(x: &[Complex32], acc: &mut [f32]) {
    // SAFETY: NEON detected; within the shortest slice.
    unsafe { acc_mag2_impl(x, acc) }
}

#[target_feature(enable = "neon")]
unsafe fn acc_mag2_impl(x: &[Complex32], acc: &mut [f32]) {
    let n = x.len().min(acc.len());
    let (xp, ap) = (x.as_ptr() as *const f32, acc.as_mut_ptr());
    let mut i = 0;
    while i + 4 <= n {
        let v = vld2q_f32(xp.add(2 * i));
        let a = vld1q_f32(ap.add(i));
        let p = vaddq_f32(vmulq_f32(v.0, v.0), vmulq_f32(v.1, v.1));
        vst1q_f32(ap.add(i), vaddq_f32(a, p));
        i += 4;
    }
    scalar::acc_mag2_cf32(&x[i..n], &mut acc[i..n]);
}

#[inline]
#[target_feature(enable = "neon")]
unsafe fn cmul(a: float32x4x2_t, b: float32x4x2_t) -> float32x4x2_t {
    let re = vfmsq_f32(vmulq_f32(a.0, b.0), a.1, b.1);
    let im = vfmaq_f32(vmulq_f32(a.0, b.1), a.1, b.0);
    float32x4x2_t(re, im)
}

/// out[i] = x[i]·y[i] (complex).
pub fn mul_cf32(x: &[Complex32], y: &[Complex32], out: &mut [Complex32]) {
    // SAFETY: NEON detected; within the shortest slice.
    unsafe { mul_cc_impl(x, y, out) }
}

#[target_feature(enable = "neon")]
unsafe fn mul_cc_impl(x: &[Complex32], y: &[Complex32], out: &mut [Complex32]) {
    let n = x.len().min(y.len()).min(out.len());
    let (xp, yp, op) = (
        x.as_ptr() as *const f32,
        y.as_ptr() as *const f32,
        out.as_mut_ptr() as *mut f32,
    );
    let mut i = 0;
    while i + 4 <= n {
        let r = cmul(vld2q_f32(xp.add(2 * i)), vld2q_f32(yp.add(2 * i)));
        vst2q_f32(op.add(2 * i), r);
        i += 4;
    }
    scalar::mul_cf32(&x[i..n], &y[i..n], &mut out[i..n]);
}

/// x[i] *= y[i] (complex).
pub fn mul_inplace_cf32(x: &mut [Complex32], y: &[Complex32]) {
    // SAFETY: NEON detected; within the shorter slice.
    unsafe { mul_inplace_impl(x, y) }
}

#[target_feature(enable = "neon")]
unsafe fn mul_inplace_impl(x: &mut [Complex32], y: &[Complex32]) {
    let n = x.len().min(y.len());
    let (xp, yp) = (x.as_mut_ptr() as *mut f32, y.as_ptr() as *const f32);
    let mut i = 0;
    while i + 4 <= n {
        let r = cmul(vld2q_f32(xp.add(2 * i)), vld2q_f32(yp.add(2 * i)));
        vst2q_f32(xp.add(2 * i), r);
        i += 4;
    }
    scalar::mul_inplace_cf32(&mut x[i..n], &y[i..n]);
}

/// Eight dot products sharing each load of the duplicated taps.
pub fn dot8_cf32_f32d(x: &[Complex32], stride: usize, hd: &[f32]) -> [Complex32; 8] {
    let taps = hd.len() / 2;
    assert!(x.len() >= 7 * stride + taps, "dot8: input too short");
    // SAFETY: NEON detected; bounds checked above.
    unsafe { dot8_impl(x, stride, hd) }
}

#[target_feature(enable = "neon")]
unsafe fn dot8_impl(x: &[Complex32], stride: usize, hd: &[f32]) -> [Complex32; 8] {
    let taps = hd.len() / 2;
    let xp = x.as_ptr() as *const f32;
    let mut re = [vdupq_n_f32(0.0); 8];
    let mut im = [vdupq_n_f32(0.0); 8];
    let mut k = 0;
    while k + 4 <= taps {
        // (t0,t0,t1,t1,…) de-interleaves into the same four taps twice.
        let t = vld2q_f32(hd.as_ptr().add(2 * k));
        for q in 0..8 {
            let v = vld2q_f32(xp.add(2 * (q * stride + k)));
            re[q] = vfmaq_f32(re[q], v.0, t.0);
            im[q] = vfmaq_f32(im[q], v.1, t.1);
        }
        k += 4;
    }
    let mut out = [Complex32::default(); 8];
    for (q, o) in out.iter_mut().enumerate() {
        *o = Complex32::new(vaddvq_f32(re[q]), vaddvq_f32(im[q]));
        for kk in k..taps {
            let s = x[q * stride + kk];
            o.re += s.re * hd[2 * kk];
            o.im += s.im * hd[2 * kk + 1];
        }
    }
    out
}

/// cu8 → complex, counting components at 0 or 255.
pub fn conv_cu8_cf32(input: &[u8], out: &mut [Complex32]) -> u64 {
    // SAFETY: NEON detected; 16 bytes read per 8 samples written, within both slices.
    unsafe { cu8_impl(input, out) }
}

#[target_feature(enable = "neon")]
unsafe fn cu8_impl(input: &[u8], out: &mut [Complex32]) -> u64 {
    let n = out.len().min(input.len() / 2);
    let op = out.as_mut_ptr() as *mut f32;
    let (half, k) = (vdupq_n_f32(127.5), vdupq_n_f32(1.0 / 127.5));
    let one = vdupq_n_u8(1);
    let mut clipped = 0u64;
    let mut i = 0;
    while i + 8 <= n {
        let b = vld1q_u8(input.as_ptr().add(2 * i));
        let lim = vorrq_u8(vceqq_u8(b, vdupq_n_u8(0)), vceqq_u8(b, vdupq_n_u8(255)));
        clipped += vaddvq_u8(vandq_u8(lim, one)) as u64;
        let lo = vmovl_u8(vget_low_u8(b));
        let hi = vmovl_u8(vget_high_u8(b));
        for (j, w) in [lo, hi].into_iter().enumerate() {
            let a = vcvtq_f32_u32(vmovl_u16(vget_low_u16(w)));
            let c = vcvtq_f32_u32(vmovl_u16(vget_high_u16(w)));
            // (v − 127.5)·(1/127.5), as the scalar reference rounds it.
            vst1q_f32(op.add(2 * i + 8 * j), vmulq_f32(vsubq_f32(a, half), k));
            vst1q_f32(op.add(2 * i + 8 * j + 4), vmulq_f32(vsubq_f32(c, half), k));
        }
        i += 8;
    }
    clipped + scalar::conv_cu8_cf32(&input[2 * i..2 * n], &mut out[i..n])
}

/// ci16 little-endian → complex, counting components at the limits.
pub fn conv_ci16_cf32(input: &[u8], out: &mut [Complex32]) -> u64 {
    // SAFETY: NEON detected; 16 bytes read per 4 samples written, within both slices.
    unsafe { ci16_impl(input, out) }
}

#[target_feature(enable = "neon")]
unsafe fn ci16_impl(input: &[u8], out: &mut [Complex32]) -> u64 {
    let n = out.len().min(input.len() / 4);
    let op = out.as_mut_ptr() as *mut f32;
    let k = vdupq_n_f32(1.0 / 32768.0);
    let mut clipped = 0u64;
    let mut i = 0;
    while i + 4 <= n {
        // aarch64 Linux is little-endian: the bytes are the i16 values.
        let w = vreinterpretq_s16_u8(vld1q_u8(input.as_ptr().add(4 * i)));
        let lim = vorrq_u16(
            vceqq_s16(w, vdupq_n_s16(i16::MIN)),
            vceqq_s16(w, vdupq_n_s16(i16::MAX)),
        );
        clipped += vaddvq_u16(vandq_u16(lim, vdupq_n_u16(1))) as u64;
        let a = vcvtq_f32_s32(vmovl_s16(vget_low_s16(w)));
        let b = vcvtq_f32_s32(vmovl_s16(vget_high_s16(w)));
        vst1q_f32(op.add(2 * i), vmulq_f32(a, k));
        vst1q_f32(op.add(2 * i + 4), vmulq_f32(b, k));
        i += 4;
    }
    clipped + scalar::conv_ci16_cf32(&input[4 * i..4 * n], &mut out[i..n])
}

/// The fast atan2 of [`scalar::atan2_approx`], four lanes.
#[inline]
#[target_feature(enable = "neon")]
unsafe fn atan2_4(y: float32x4_t, x: float32x4_t) -> float32x4_t {
    let c = &scalar::ATAN_POLY;
    let (ax, ay) = (vabsq_f32(x), vabsq_f32(y));
    let mx = vmaxq_f32(ax, ay);
    let mn = vminq_f32(ax, ay);
    let z = vdivq_f32(mn, vmaxq_f32(mx, vdupq_n_f32(1e-37)));
    let z2 = vmulq_f32(z, z);
    let mut p = vfmaq_f32(vdupq_n_f32(c[4]), vdupq_n_f32(c[5]), z2);
    p = vfmaq_f32(vdupq_n_f32(c[3]), p, z2);
    p = vfmaq_f32(vdupq_n_f32(c[2]), p, z2);
    p = vfmaq_f32(vdupq_n_f32(c[1]), p, z2);
    p = vfmaq_f32(vdupq_n_f32(c[0]), p, z2);
    let mut r = vmulq_f32(p, z);
    r = vbslq_f32(
        vcgtq_f32(ay, ax),
        vsubq_f32(vdupq_n_f32(std::f32::consts::FRAC_PI_2), r),
        r,
    );
    r = vbslq_f32(
        vcltq_f32(x, vdupq_n_f32(0.0)),
        vsubq_f32(vdupq_n_f32(std::f32::consts::PI), r),
        r,
    );
    // Copy the sign of y (−0.0 included), as the reference does.
    let sign = vandq_u32(vreinterpretq_u32_f32(y), vdupq_n_u32(0x8000_0000));
    vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(r), sign))
}

/// FM discriminator, four samples per step.
pub fn fm_disc_cf32(x: &[Complex32], prev: Complex32, out: &mut [f32], scale: f32) {
    // SAFETY: NEON detected; reads x[i−1..i+4] with i ≥ 1, within x.
    unsafe { fm_disc_impl(x, prev, out, scale) }
}

#[target_feature(enable = "neon")]
unsafe fn fm_disc_impl(x: &[Complex32], prev: Complex32, out: &mut [f32], scale: f32) {
    let n = x.len().min(out.len());
    if n == 0 {
        return;
    }
    scalar::fm_disc_cf32(&x[..1], prev, &mut out[..1], scale);
    let xp = x.as_ptr() as *const f32;
    let s = vdupq_n_f32(scale);
    let mut i = 1;
    while i + 4 <= n {
        let a = vld2q_f32(xp.add(2 * i));
        let b = vld2q_f32(xp.add(2 * i - 2));
        let re = vfmaq_f32(vmulq_f32(a.0, b.0), a.1, b.1);
        let im = vfmsq_f32(vmulq_f32(a.1, b.0), a.0, b.1);
        vst1q_f32(out.as_mut_ptr().add(i), vmulq_f32(atan2_4(im, re), s));
        i += 4;
    }
    if i < n {
        scalar::fm_disc_cf32(&x[i..n], x[i - 1], &mut out[i..n], scale);
    }
}

/// out[i] = x[i]·(table[i]·ph).
pub fn mix_cf32(x: &[Complex32], table: &[Complex32], ph: Complex32, out: &mut [Complex32]) {
    // SAFETY: NEON detected; within the shortest slice.
    unsafe { mix_impl(x, table, ph, out) }
}

#[target_feature(enable = "neon")]
unsafe fn mix_impl(x: &[Complex32], table: &[Complex32], ph: Complex32, out: &mut [Complex32]) {
    let n = x.len().min(table.len()).min(out.len());
    let (xp, tp, op) = (
        x.as_ptr() as *const f32,
        table.as_ptr() as *const f32,
        out.as_mut_ptr() as *mut f32,
    );
    let p = float32x4x2_t(vdupq_n_f32(ph.re), vdupq_n_f32(ph.im));
    let mut i = 0;
    while i + 4 <= n {
        let osc = cmul(vld2q_f32(tp.add(2 * i)), p);
        vst2q_f32(op.add(2 * i), cmul(vld2q_f32(xp.add(2 * i)), osc));
        i += 4;
    }
    scalar::mix_cf32(&x[i..n], &table[i..n], ph, &mut out[i..n]);
}

/// (Σ|x|², max |x|², components at or beyond `lim`).
pub fn level_cf32(x: &[Complex32], lim: f32) -> (f64, f32, u64) {
    // SAFETY: NEON detected; within x.
    unsafe { level_impl(x, lim) }
}

#[target_feature(enable = "neon")]
unsafe fn level_impl(x: &[Complex32], lim: f32) -> (f64, f32, u64) {
    let n = x.len();
    let xp = x.as_ptr() as *const f32;
    let l = vdupq_n_f32(lim);
    let mut sum = vdupq_n_f64(0.0);
    let mut peak = vdupq_n_f32(0.0);
    let mut count = vdupq_n_u32(0);
    let one = vdupq_n_u32(1);
    let mut i = 0;
    while i + 4 <= n {
        let v = vld2q_f32(xp.add(2 * i));
        // Products rounded separately, as the scalar reference does (peaks compare exactly).
        let p = vaddq_f32(vmulq_f32(v.0, v.0), vmulq_f32(v.1, v.1));
        sum = vaddq_f64(sum, vcvt_f64_f32(vget_low_f32(p)));
        sum = vaddq_f64(sum, vcvt_high_f64_f32(p));
        peak = vmaxq_f32(peak, p);
        count = vaddq_u32(count, vandq_u32(vcgeq_f32(vabsq_f32(v.0), l), one));
        count = vaddq_u32(count, vandq_u32(vcgeq_f32(vabsq_f32(v.1), l), one));
        i += 4;
    }
    let (s, p, c) = scalar::level_cf32(&x[i..], lim);
    (
        vaddvq_f64(sum) + s,
        vmaxvq_f32(peak).max(p),
        vaddvq_u32(count) as u64 + c,
    )
}

/// Σ a[i]·b[i], real.
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    // SAFETY: NEON detected; within the shorter slice.
    unsafe { dot_f32_impl(a, b) }
}

#[target_feature(enable = "neon")]
unsafe fn dot_f32_impl(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (mut s0, mut s1) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
    let mut i = 0;
    while i + 8 <= n {
        s0 = vfmaq_f32(
            s0,
            vld1q_f32(a.as_ptr().add(i)),
            vld1q_f32(b.as_ptr().add(i)),
        );
        s1 = vfmaq_f32(
            s1,
            vld1q_f32(a.as_ptr().add(i + 4)),
            vld1q_f32(b.as_ptr().add(i + 4)),
        );
        i += 8;
    }
    let mut s = vaddvq_f32(vaddq_f32(s0, s1));
    while i < n {
        s += a[i] * b[i];
        i += 1;
    }
    s
}

/// K = 7 add-compare-select, eight butterflies per register (see [`scalar::acs_k7`]).
pub fn acs_k7(metrics: &mut [i16; 64], soft: &[i8], code: &scalar::K7Code, decisions: &mut [u64]) {
    assert!(
        decisions.len() >= soft.len() / 2,
        "acs_k7: decisions too short"
    );
    // SAFETY: NEON detected; lengths checked above.
    unsafe { acs_k7_impl(metrics, soft, code, decisions) }
}

#[target_feature(enable = "neon")]
unsafe fn acs_k7_impl(
    metrics: &mut [i16; 64],
    soft: &[i8],
    code: &scalar::K7Code,
    decisions: &mut [u64],
) {
    let steps = soft.len() / 2;
    let mut m = [vdupq_n_s16(0); 8];
    for (q, v) in m.iter_mut().enumerate() {
        *v = vld1q_s16(metrics.as_ptr().add(8 * q));
    }
    let mut sa = [vdupq_n_s16(0); 4];
    let mut sb = [vdupq_n_s16(0); 4];
    for g in 0..4 {
        sa[g] = vld1q_s16(code.sign_a.as_ptr().add(8 * g));
        sb[g] = vld1q_s16(code.sign_b.as_ptr().add(8 * g));
    }
    // Bit weights to turn eight lane masks into one byte.
    let weights: [u8; 8] = [1, 2, 4, 8, 16, 32, 64, 128];
    let w = vld1_u8(weights.as_ptr());
    let byte = |mask: uint16x8_t| vaddv_u8(vand_u8(vmovn_u16(mask), w)) as u64;
    for t in 0..steps {
        let s0 = vdupq_n_s16(soft[2 * t] as i16);
        let s1 = vdupq_n_s16(soft[2 * t + 1] as i16);
        let mut out = [vdupq_n_s16(0); 8];
        let mut word = 0u64;
        for g in 0..4 {
            let bm = vaddq_s16(vmulq_s16(s0, sa[g]), vmulq_s16(s1, sb[g]));
            let (a, b) = (m[g], m[g + 4]);
            let e0 = vaddq_s16(a, bm);
            let e1 = vsubq_s16(b, bm);
            let o0 = vsubq_s16(a, bm);
            let o1 = vaddq_s16(b, bm);
            let e = vmaxq_s16(e0, e1);
            let o = vmaxq_s16(o0, o1);
            // New states 16g + 2j (e) and 16g + 2j + 1 (o), interleaved into state order.
            out[2 * g] = vzip1q_s16(e, o);
            out[2 * g + 1] = vzip2q_s16(e, o);
            let de = vcgtq_s16(e1, e0);
            let d_o = vcgtq_s16(o1, o0);
            word |= byte(vzip1q_u16(de, d_o)) << (16 * g);
            word |= byte(vzip2q_u16(de, d_o)) << (16 * g + 8);
        }
        decisions[t] = word;
        m = out;
        if (t + 1) % scalar::K7_RENORM_STEPS == 0 || t + 1 == steps {
            let m0 = vdupq_n_s16(vgetq_lane_s16::<0>(m[0]));
            for v in m.iter_mut() {
                *v = vsubq_s16(*v, m0);
            }
        }
    }
    for (q, v) in m.iter().enumerate() {
        vst1q_s16(metrics.as_mut_ptr().add(8 * q), *v);
    }
}

/// Contiguous FIR outputs: 16 per pass, a broadcast tap per eight loads and FMAs.
pub fn fir_cf32_f32(x: &[Complex32], h: &[f32], out: &mut [Complex32]) {
    assert!(
        h.is_empty() || x.len() + 1 >= out.len() + h.len(),
        "fir: input too short"
    );
    // SAFETY: NEON detected; bounds checked above.
    unsafe { fir_impl(x, h, out) }
}

#[target_feature(enable = "neon")]
unsafe fn fir_impl(x: &[Complex32], h: &[f32], out: &mut [Complex32]) {
    let n = out.len();
    let nt = h.len();
    if nt == 0 {
        out.iter_mut().for_each(|o| *o = Complex32::default());
        return;
    }
    let xp = x.as_ptr() as *const f32;
    let op = out.as_mut_ptr() as *mut f32;
    let mut i = 0;
    // Each register holds two interleaved complex outputs.
    while i + 16 <= n {
        let mut acc = [vdupq_n_f32(0.0); 8];
        let base = xp.add(2 * i);
        for (k, &tap) in h.iter().enumerate() {
            let t = vdupq_n_f32(tap);
            for (q, a) in acc.iter_mut().enumerate() {
                *a = vfmaq_f32(*a, vld1q_f32(base.add(2 * k + 4 * q)), t);
            }
        }
        for (q, a) in acc.iter().enumerate() {
            vst1q_f32(op.add(2 * i + 4 * q), *a);
        }
        i += 16;
    }
    while i < n {
        out[i] = scalar::dot_cf32_f32(&x[i..i + nt], h);
        i += 1;
    }
}

/// Polyphase branch sums of consecutive frames, two branches per register, stored reversed.
pub fn pfb_frames_cf32(x: &[Complex32], hop: usize, hd: &[f32], m: usize, out: &mut [Complex32]) {
    let (rows, frames) = scalar::pfb_shape(x, hop, hd, m, out);
    if m % 4 != 0 || rows == 0 {
        return scalar::pfb_frames_cf32(x, hop, hd, m, out);
    }
    // SAFETY: NEON detected; shapes checked above.
    unsafe { pfb_impl(x, hop, hd, m, rows, frames, out) }
}

#[target_feature(enable = "neon")]
unsafe fn pfb_impl(
    x: &[Complex32],
    hop: usize,
    hd: &[f32],
    m: usize,
    rows: usize,
    frames: usize,
    out: &mut [Complex32],
) {
    let hp = hd.as_ptr();
    for f in 0..frames {
        let xp = x.as_ptr().add(f * hop) as *const f32;
        let op = out.as_mut_ptr().add(f * m) as *mut f32;
        let mut p = 0;
        while p < m {
            let (mut a0, mut a1) = (vdupq_n_f32(0.0), vdupq_n_f32(0.0));
            for r in 0..rows {
                let o = 2 * (r * m + p);
                a0 = vfmaq_f32(a0, vld1q_f32(xp.add(o)), vld1q_f32(hp.add(o)));
                a1 = vfmaq_f32(a1, vld1q_f32(xp.add(o + 4)), vld1q_f32(hp.add(o + 4)));
            }
            // Branches p, p+1 → m−1−p, m−2−p (swap the two complex values); p+2, p+3 likewise.
            vst1q_f32(op.add(2 * (m - 2 - p)), vextq_f32::<2>(a0, a0));
            vst1q_f32(op.add(2 * (m - 4 - p)), vextq_f32::<2>(a1, a1));
            p += 4;
        }
    }
}
