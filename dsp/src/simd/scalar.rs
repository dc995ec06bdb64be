//! Scalar reference implementations of the [`super::Kernels`] primitives.

use crate::Complex32;

/// Σ x[i]·h[i].
pub fn dot_cf32_f32(x: &[Complex32], h: &[f32]) -> Complex32 {
    debug_assert_eq!(x.len(), h.len());
    let mut re = 0.0f32;
    let mut im = 0.0f32;
    for (s, &t) in x.iter().zip(h) {
        re += s.re * t;
        im += s.im * t;
    }
    Complex32::new(re, im)
}

/// out[i] = x[i]·w[i].
pub fn mul_cf32_f32(x: &[Complex32], w: &[f32], out: &mut [Complex32]) {
    for ((o, s), &t) in out.iter_mut().zip(x).zip(w) {
        *o = Complex32::new(s.re * t, s.im * t);
    }
}

/// acc[i] += |x[i]|².
pub fn acc_mag2_cf32(x: &[Complex32], acc: &mut [f32]) {
    for (a, s) in acc.iter_mut().zip(x) {
        *a += s.re * s.re + s.im * s.im;
    }
}

/// cu8 (offset binary, centre 127.5) → complex in [-1, 1].
/// Returns the components at the converter's limits (0 or 255: ADC clipping).
pub fn conv_cu8_cf32(input: &[u8], out: &mut [Complex32]) -> u64 {
    const K: f32 = 1.0 / 127.5;
    let mut clipped = 0;
    for (o, p) in out.iter_mut().zip(input.chunks_exact(2)) {
        *o = Complex32::new((p[0] as f32 - 127.5) * K, (p[1] as f32 - 127.5) * K);
        clipped += (p[0] == 0 || p[0] == 255) as u64 + (p[1] == 0 || p[1] == 255) as u64;
    }
    clipped
}

/// ci16 little-endian → complex in [-1, 1).
/// Returns the components at the converter's limits (−32768 or 32767).
pub fn conv_ci16_cf32(input: &[u8], out: &mut [Complex32]) -> u64 {
    const K: f32 = 1.0 / 32768.0;
    let mut clipped = 0;
    for (o, p) in out.iter_mut().zip(input.chunks_exact(4)) {
        let i = i16::from_le_bytes([p[0], p[1]]);
        let q = i16::from_le_bytes([p[2], p[3]]);
        *o = Complex32::new(i as f32 * K, q as f32 * K);
        let lim = |v: i16| (v == i16::MIN || v == i16::MAX) as u64;
        clipped += lim(i) + lim(q);
    }
    clipped
}

/// x[i] *= y[i] (complex).
pub fn mul_inplace_cf32(x: &mut [Complex32], y: &[Complex32]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a *= b;
    }
}

/// Eight dot products sharing each load of the taps (decimating FIRs): output q uses
/// x[q·stride ..][..taps] with the real taps given duplicated per component in `hd`
/// (t0, t0, t1, t1, …; `taps = hd.len() / 2`).
pub fn dot8_cf32_f32d(x: &[Complex32], stride: usize, hd: &[f32]) -> [Complex32; 8] {
    let taps = hd.len() / 2;
    assert!(x.len() >= 7 * stride + taps, "dot8: input too short");
    let mut out = [Complex32::default(); 8];
    for (q, o) in out.iter_mut().enumerate() {
        for (s, t) in x[q * stride..q * stride + taps]
            .iter()
            .zip(hd.chunks_exact(2))
        {
            o.re += s.re * t[0];
            o.im += s.im * t[1];
        }
    }
    out
}

/// out[i] = x[i]·y[i] (complex).
pub fn mul_cf32(x: &[Complex32], y: &[Complex32], out: &mut [Complex32]) {
    for ((o, a), b) in out.iter_mut().zip(x).zip(y) {
        *o = a * b;
    }
}

/// Coefficients of atan(z) ≈ z·Σ c_k z^(2k) on [0, 1] (an odd polynomial of degree 11, fitted
/// by iteratively reweighted least squares for the smallest maximum error): |error| ≤ 1.7e-6
/// rad before float rounding, ≤ 2.5e-6 rad measured in f32 over the whole plane.
pub const ATAN_POLY: [f32; 6] = [
    0.999_977_2,
    -0.332_622_83,
    0.193_540_36,
    -0.116_426_43,
    0.052_647_29,
    -0.011_719_11,
];

/// Fast four-quadrant arctangent of `y/x` (rad, in [−π, π]); error bound in [`ATAN_POLY`].
/// atan2(0, 0) = 0.
#[inline(always)]
pub fn atan2_approx(y: f32, x: f32) -> f32 {
    let (ax, ay) = (x.abs(), y.abs());
    let mx = ax.max(ay);
    let mn = ax.min(ay);
    let z = mn / mx.max(1e-37);
    let z2 = z * z;
    let c = &ATAN_POLY;
    let mut r = z * (((((c[5] * z2 + c[4]) * z2 + c[3]) * z2 + c[2]) * z2 + c[1]) * z2 + c[0]);
    if ay > ax {
        r = std::f32::consts::FRAC_PI_2 - r;
    }
    if x < 0.0 {
        r = std::f32::consts::PI - r;
    }
    if y.is_sign_negative() {
        -r
    } else {
        r
    }
}

/// FM discriminator: out[i] = atan2(x[i]·conj(x[i−1]))·scale with x[−1] = `prev`.
pub fn fm_disc_cf32(x: &[Complex32], prev: Complex32, out: &mut [f32], scale: f32) {
    let mut p = prev;
    for (o, &s) in out.iter_mut().zip(x) {
        let re = s.re * p.re + s.im * p.im;
        let im = s.im * p.re - s.re * p.im;
        *o = atan2_approx(im, re) * scale;
        p = s;
    }
}

/// Frequency shift by a tabulated oscillator: out[i] = x[i]·(table[i]·ph).
pub fn mix_cf32(x: &[Complex32], table: &[Complex32], ph: Complex32, out: &mut [Complex32]) {
    for ((o, a), t) in out.iter_mut().zip(x).zip(table) {
        *o = a * (t * ph);
    }
}

/// Level statistics of a block: (Σ|x|², max |x|², components with |re| or |im| ≥ `lim`).
pub fn level_cf32(x: &[Complex32], lim: f32) -> (f64, f32, u64) {
    let mut sum = 0.0f64;
    let mut peak = 0.0f32;
    let mut clipped = 0u64;
    for s in x {
        let p = s.re * s.re + s.im * s.im;
        sum += p as f64;
        peak = peak.max(p);
        clipped += (s.re.abs() >= lim) as u64 + (s.im.abs() >= lim) as u64;
    }
    (sum, peak, clipped)
}

/// Σ a[i]·b[i], real (eight partial sums).
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    let mut s: f32 = acc.iter().sum();
    for (x, y) in ra.iter().zip(rb) {
        s += x * y;
    }
    s
}

/// Branch-metric sign tables of a K = 7, rate-1/2 convolutional code for [`acs_k7`]: for the
/// butterfly of old states j and j + 32, `sign_a[j]` is +1 when the first coded bit of the
/// transition j → 2j is 1 (else −1), `sign_b[j]` likewise for the second coded bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct K7Code {
    /// ±1 per butterfly for the first coded bit.
    pub sign_a: [i16; 32],
    /// ±1 per butterfly for the second coded bit.
    pub sign_b: [i16; 32],
}

/// Trellis steps between metric renormalisations (keeps the i16 metrics far from overflow:
/// 32 steps × 254 growth + the bounded spread < 2^15).
pub const K7_RENORM_STEPS: usize = 32;

/// Add-compare-select over `soft.len() / 2` trellis steps of a K = 7 rate-1/2 code.
/// `metrics[s]` is the path metric of state s (s = the last six input bits, newest in bit 0;
/// larger is better). Soft symbols: i8, positive = coded bit 1, 0 = erasure. For each step the
/// 64 survivor decisions go to `decisions[step]`, bit s for new state s (1 = its predecessor
/// was s/2 + 32, so trace-back is `s ← s/2 + 32·bit`). Every [`K7_RENORM_STEPS`] steps of the call, and at its
/// end, the metrics are shifted so that state 0's is 0 (decisions are shift-invariant).
pub fn acs_k7(metrics: &mut [i16; 64], soft: &[i8], code: &K7Code, decisions: &mut [u64]) {
    let steps = soft.len() / 2;
    let mut new = [0i16; 64];
    for (t, pair) in soft.chunks_exact(2).enumerate().take(steps) {
        let (s0, s1) = (pair[0] as i16, pair[1] as i16);
        let mut word = 0u64;
        for j in 0..32 {
            let bm = code.sign_a[j] * s0 + code.sign_b[j] * s1;
            let (a, b) = (metrics[j], metrics[j + 32]);
            let (e0, e1) = (a.wrapping_add(bm), b.wrapping_sub(bm));
            let (o0, o1) = (a.wrapping_sub(bm), b.wrapping_add(bm));
            new[2 * j] = e0.max(e1);
            new[2 * j + 1] = o0.max(o1);
            word |= ((e1 > e0) as u64) << (2 * j);
            word |= ((o1 > o0) as u64) << (2 * j + 1);
        }
        decisions[t] = word;
        *metrics = new;
        if (t + 1) % K7_RENORM_STEPS == 0 || t + 1 == steps {
            let m0 = metrics[0];
            for m in metrics.iter_mut() {
                *m = m.wrapping_sub(m0);
            }
        }
    }
}

/// out[i] = Σ_k h[k]·x[i + k] (correlation form: pass reversed taps for a convolution).
/// `x.len() ≥ out.len() + h.len() − 1`.
pub fn fir_cf32_f32(x: &[Complex32], h: &[f32], out: &mut [Complex32]) {
    assert!(
        h.is_empty() || x.len() + 1 >= out.len() + h.len(),
        "fir: input too short"
    );
    for (i, o) in out.iter_mut().enumerate() {
        *o = dot_cf32_f32(&x[i..i + h.len()], h);
    }
}

/// (rows, frames) of a [`pfb_frames_cf32`] call, after checking the shapes every path relies on.
pub(super) fn pfb_shape(
    x: &[Complex32],
    hop: usize,
    hd: &[f32],
    m: usize,
    out: &[Complex32],
) -> (usize, usize) {
    assert!(
        m > 0 && hd.len() % (2 * m) == 0 && out.len() % m == 0,
        "pfb: shapes"
    );
    let (rows, frames) = (hd.len() / (2 * m), out.len() / m);
    assert!(
        frames == 0 || x.len() >= (frames - 1) * hop + rows * m,
        "pfb: input too short"
    );
    (rows, frames)
}

/// Polyphase filter-bank branch sums for consecutive frames, written in reverse branch order:
/// with `m` branches, `rows = hd.len() / (2m)` taps per branch and `frames = out.len() / m`,
/// out[f·m + m − 1 − p] = Σ_r x[f·hop + r·m + p]·h[r·m + p], the real taps duplicated per
/// component in `hd`. (Reversed because the channelizer's window runs backwards in time.)
pub fn pfb_frames_cf32(x: &[Complex32], hop: usize, hd: &[f32], m: usize, out: &mut [Complex32]) {
    let (rows, _) = pfb_shape(x, hop, hd, m, out);
    for (f, o) in out.chunks_exact_mut(m).enumerate() {
        let w = &x[f * hop..f * hop + rows * m];
        for p in 0..m {
            let mut acc = Complex32::default();
            for r in 0..rows {
                let (s, i) = (w[r * m + p], r * m + p);
                acc.re += s.re * hd[2 * i];
                acc.im += s.im * hd[2 * i + 1];
            }
            o[m - 1 - p] = acc;
        }
    }
}
