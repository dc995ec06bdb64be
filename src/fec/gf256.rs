//! GF(256) with field polynomial x⁸+x⁴+x³+x²+1 (0x11D) and primitive element α = 2, the field of
//! the DMR RS(12,9) and DVB RS(204,188) codes. Table-driven.

const fn tables() -> ([u8; 512], [u8; 256]) {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x as u8;
        exp[i + 255] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11D;
        }
        i += 1;
    }
    exp[510] = exp[0];
    exp[511] = exp[1];
    (exp, log)
}

const TABLES: ([u8; 512], [u8; 256]) = tables();
const EXP: [u8; 512] = TABLES.0;
const LOG: [u8; 256] = TABLES.1;

/// a · b.
#[inline]
pub fn mul(a: u8, b: u8) -> u8 {
    mul_const(a, b)
}

/// a · b, usable in constant tables.
pub const fn mul_const(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        EXP[LOG[a as usize] as usize + LOG[b as usize] as usize]
    }
}

/// α^e.
#[inline]
pub fn pow(e: u32) -> u8 {
    pow_const(e)
}

/// α^e, usable in constant tables.
pub const fn pow_const(e: u32) -> u8 {
    EXP[(e % 255) as usize]
}

/// log_α a (a ≠ 0).
#[inline]
pub fn log(a: u8) -> u32 {
    LOG[a as usize] as u32
}

/// 1/a (0 for a = 0).
#[inline]
pub fn inv(a: u8) -> u8 {
    if a == 0 {
        0
    } else {
        EXP[255 - LOG[a as usize] as usize]
    }
}

/// a / b (b ≠ 0).
#[inline]
pub fn div(a: u8, b: u8) -> u8 {
    mul(a, inv(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slow_mul(mut a: u8, mut b: u8) -> u8 {
        let mut r = 0u8;
        while b != 0 {
            if b & 1 == 1 {
                r ^= a;
            }
            let hi = a & 0x80;
            a <<= 1;
            if hi != 0 {
                a ^= 0x1D;
            }
            b >>= 1;
        }
        r
    }

    #[test]
    fn tables_agree_with_shift_and_add() {
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                assert_eq!(mul(a, b), slow_mul(a, b));
            }
            if a != 0 {
                assert_eq!(mul(a, inv(a)), 1);
                assert_eq!(pow(log(a)), a);
            }
        }
    }
}
