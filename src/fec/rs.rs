//! Reed–Solomon RS(204,188, t = 8) of DVB (EN 300 744 §4.3.2, digest §6.9): RS(255,239) over
//! GF(256)/0x11D with roots α⁰…α¹⁵, shortened by 51 leading zeros.

use super::gf256 as gf;

pub const N: usize = 204;
pub const K: usize = 188;
const NROOTS: usize = 16;

/// x · α^j for every x: one table per root (4 KiB).
static ROOT_MUL: [[u8; 256]; NROOTS] = root_tables();

const fn root_tables() -> [[u8; 256]; NROOTS] {
    let mut t = [[0u8; 256]; NROOTS];
    let mut j = 0;
    while j < NROOTS {
        let mut x = 0;
        while x < 256 {
            t[j][x] = gf::mul_const(x as u8, gf::pow_const(j as u32));
            x += 1;
        }
        j += 1;
    }
    t
}

fn generator() -> [u8; NROOTS + 1] {
    // g(x) = Π (x + α^i), coefficients g[0] = x^16 … g[16] = x^0.
    let mut g = [0u8; NROOTS + 1];
    g[0] = 1;
    for i in 0..NROOTS {
        let root = gf::pow(i as u32);
        for j in (1..=i + 1).rev() {
            g[j] ^= gf::mul(g[j - 1], root);
        }
    }
    g
}

/// The 16 parity bytes of a 188-byte packet.
pub fn encode(data: &[u8; K]) -> [u8; NROOTS] {
    let g = generator();
    let mut r = [0u8; NROOTS];
    for &d in data {
        let f = d ^ r[0];
        r.copy_within(1.., 0);
        r[NROOTS - 1] = 0;
        if f != 0 {
            for j in 0..NROOTS {
                r[j] ^= gf::mul(f, g[j + 1]);
            }
        }
    }
    r
}

/// Correct a 204-byte codeword in place: Some(bytes corrected) or None when uncorrectable
/// (the codeword is then left as received).
pub fn decode(cw: &mut [u8; N]) -> Option<usize> {
    // Syndromes S_j = r(α^j) by Horner's rule, the sixteen in parallel, each step a lookup.
    let mut s = [0u8; NROOTS];
    for &c in cw.iter() {
        for (sj, t) in s.iter_mut().zip(ROOT_MUL.iter()) {
            *sj = t[*sj as usize] ^ c;
        }
    }
    if s.iter().all(|&x| x == 0) {
        return Some(0);
    }
    // Berlekamp–Massey: Λ(x), coefficients lam[0] = 1 (x^0) upwards.
    let mut lam = [0u8; NROOTS + 1];
    let mut b = [0u8; NROOTS + 1];
    lam[0] = 1;
    b[0] = 1;
    let mut l = 0usize;
    let mut m = 1usize;
    let mut bb = 1u8;
    for n in 0..NROOTS {
        let mut d = s[n];
        for i in 1..=l {
            d ^= gf::mul(lam[i], s[n - i]);
        }
        if d == 0 {
            m += 1;
            continue;
        }
        let coef = gf::div(d, bb);
        let t = lam;
        for i in m..=NROOTS {
            lam[i] ^= gf::mul(coef, b[i - m]);
        }
        if 2 * l <= n {
            l = n + 1 - l;
            b = t;
            bb = d;
            m = 1;
        } else {
            m += 1;
        }
    }
    if l > NROOTS / 2 || lam[l] == 0 {
        return None;
    }
    // Ω(x) = S(x)Λ(x) mod x^16.
    let mut om = [0u8; NROOTS];
    for i in 0..NROOTS {
        for j in 0..=i.min(l) {
            om[i] ^= gf::mul(lam[j], s[i - j]);
        }
    }
    // Chien search over the 204 positions: byte i has power p = 203 − i, X = α^p.
    let mut found = 0;
    let mut fixes = [(0usize, 0u8); NROOTS / 2];
    for i in 0..N {
        let p = (N - 1 - i) as u32;
        let xinv = gf::pow(255 - p % 255);
        let mut v = 0u8;
        let mut xp = 1u8;
        for &c in lam.iter().take(l + 1) {
            v ^= gf::mul(c, xp);
            xp = gf::mul(xp, xinv);
        }
        if v != 0 {
            continue;
        }
        // Forney (first root α⁰): e = X·Ω(X⁻¹)/Λ'(X⁻¹).
        let mut omv = 0u8;
        let mut xp = 1u8;
        for &c in om.iter() {
            omv ^= gf::mul(c, xp);
            xp = gf::mul(xp, xinv);
        }
        let mut dv = 0u8;
        let mut xp = 1u8; // X^{-(i-1)} for odd i terms
        for (k, &c) in lam.iter().enumerate().take(l + 1).skip(1) {
            if k % 2 == 1 {
                dv ^= gf::mul(c, xp);
            }
            if k >= 1 {
                xp = gf::mul(xp, xinv);
            }
        }
        if dv == 0 || found == NROOTS / 2 {
            return None;
        }
        let e = gf::mul(gf::pow(p), gf::div(omv, dv));
        fixes[found] = (i, e);
        found += 1;
    }
    if found != l {
        return None;
    }
    for &(i, e) in &fixes[..found] {
        cw[i] ^= e;
    }
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rng(seed: &mut u64) -> u64 {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *seed
    }

    #[test]
    fn generator_has_the_sixteen_roots() {
        let g = generator();
        for i in 0..16 {
            let a = gf::pow(i);
            assert_eq!(g.iter().fold(0u8, |acc, &c| gf::mul(acc, a) ^ c), 0);
        }
    }

    #[test]
    fn corrects_up_to_eight_byte_errors_and_flags_more() {
        let mut seed = 0x1234_5678_9abc_def1u64;
        for trial in 0..200 {
            let mut data = [0u8; K];
            data.iter_mut().for_each(|d| *d = rng(&mut seed) as u8);
            let p = encode(&data);
            let mut cw = [0u8; N];
            cw[..K].copy_from_slice(&data);
            cw[K..].copy_from_slice(&p);
            let clean = cw;
            assert_eq!(decode(&mut cw.clone()), Some(0));
            let nerr = trial % 11;
            let mut pos = Vec::new();
            while pos.len() < nerr {
                let i = rng(&mut seed) as usize % N;
                if !pos.contains(&i) {
                    pos.push(i);
                }
            }
            for &i in &pos {
                cw[i] ^= (rng(&mut seed) as u8) | 1;
            }
            let r = decode(&mut cw);
            if nerr <= 8 {
                assert_eq!(r, Some(nerr), "trial {trial}");
                assert_eq!(cw, clean);
            } else {
                assert!(r.is_none() || cw != clean || r == Some(0), "trial {trial}");
                if r.is_some() {
                    // A miscorrection to another codeword is possible but must be a codeword.
                    assert_eq!(decode(&mut cw.clone()), Some(0));
                }
            }
        }
    }
}
