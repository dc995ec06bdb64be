//! Gray QAM mapping and soft demapping (EN 300 744 §4.3.5, digest §6.4), non-hierarchical.

use super::params::Constellation;
use num_complex::Complex32;

/// Integer level on one axis from the bits after the sign (y2[,y4] or y3[,y5]).
#[inline]
fn level(c: Constellation, b0: u8, b1: u8) -> f32 {
    match c {
        Constellation::Qpsk => 1.0,
        Constellation::Qam16 => [3.0, 1.0][b0 as usize & 1],
        Constellation::Qam64 => [[7.0, 5.0], [1.0, 3.0]][b0 as usize & 1][b1 as usize & 1],
    }
}

/// The cell for symbol word y (y[0] first out of the bit interleaver), energy-normalised.
#[inline]
pub fn map(c: Constellation, y: &[u8]) -> Complex32 {
    let (i, q) = match c {
        Constellation::Qpsk => (level(c, 0, 0), level(c, 0, 0)),
        Constellation::Qam16 => (level(c, y[2], 0), level(c, y[3], 0)),
        Constellation::Qam64 => (level(c, y[2], y[4]), level(c, y[3], y[5])),
    };
    let sign = |b: u8| if b == 0 { 1.0 } else { -1.0 };
    Complex32::new(sign(y[0]) * i, sign(y[1]) * q) * c.norm()
}

/// Soft bits of one axis value `x` in integer-level units: (sign bit, level bits…), positive =
/// "1" likely, in units of the distance to the decision boundary (max-log approximation).
#[inline]
fn axis_soft(c: Constellation, x: f32, out: &mut [f32]) {
    out[0] = -x;
    match c {
        Constellation::Qpsk => {}
        Constellation::Qam16 => out[1] = 2.0 - x.abs(),
        Constellation::Qam64 => {
            let a = x.abs();
            out[1] = 4.0 - a;
            out[2] = 2.0 - (a - 4.0).abs();
        }
    }
}

/// Soft values of cell `z` (equalised, energy-normalised), each multiplied by `weight` (channel
/// state) and written as y0…y(v−1) into `out` (length v).
#[inline]
pub fn demap(c: Constellation, z: Complex32, weight: f32, out: &mut [f32]) {
    let s = 1.0 / c.norm();
    let mut i = [0f32; 3];
    let mut q = [0f32; 3];
    axis_soft(c, z.re * s, &mut i);
    axis_soft(c, z.im * s, &mut q);
    let half = c.bits() / 2;
    for a in 0..half {
        out[2 * a] = i[a] * weight;
        out[2 * a + 1] = q[a] * weight;
    }
}

/// The nearest constellation point to `z` (for MER).
#[inline]
pub fn slice(c: Constellation, z: Complex32) -> Complex32 {
    let s = 1.0 / c.norm();
    let m = match c {
        Constellation::Qpsk => 1,
        Constellation::Qam16 => 3,
        Constellation::Qam64 => 7,
    };
    // Level index i = ⌊(x + m + 1)/2⌋ in 0…m, level 2i − m.
    let q = |x: f32| {
        let i = ((x * s + (m + 1) as f32) * 0.5).max(0.0) as i32;
        (2 * i.min(m) - m) as f32
    };
    Complex32::new(q(z.re), q(z.im)) * c.norm()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn digest_examples() {
        let n16 = Constellation::Qam16.norm();
        let n64 = Constellation::Qam64.norm();
        assert_eq!(
            map(Constellation::Qam16, &bits("0000")),
            Complex32::new(3.0, 3.0) * n16
        );
        assert_eq!(
            map(Constellation::Qam16, &bits("1011")),
            Complex32::new(-1.0, 1.0) * n16
        );
        assert_eq!(
            map(Constellation::Qam64, &bits("000000")),
            Complex32::new(7.0, 7.0) * n64
        );
        assert_eq!(
            map(Constellation::Qam64, &bits("001010")),
            Complex32::new(3.0, 7.0) * n64
        );
        assert_eq!(
            map(Constellation::Qam64, &bits("111111")),
            Complex32::new(-3.0, -3.0) * n64
        );
    }

    #[test]
    fn demap_and_slice_invert_map_for_every_point() {
        for c in Constellation::ALL {
            let v = c.bits();
            let mut energy = 0.0;
            for w in 0..1usize << v {
                let y: Vec<u8> = (0..v).map(|i| (w >> (v - 1 - i) & 1) as u8).collect();
                let z = map(c, &y);
                energy += z.norm_sqr();
                assert_eq!(slice(c, z * 1.05), z);
                let mut soft = vec![0f32; v];
                demap(c, z, 1.0, &mut soft);
                let hard: Vec<u8> = soft.iter().map(|&s| (s > 0.0) as u8).collect();
                assert_eq!(hard, y, "{c:?} {w}");
            }
            let mean = energy / (1 << v) as f32;
            assert!((mean - 1.0).abs() < 1e-5, "{c:?} mean energy {mean}");
        }
    }
}
