//! Tile statistics (TSB-88 style, see `../shared/spec/coverage.md` §9 and the addendum §1.6–1.7):
//! the normal quantile, Wilson intervals and the number of tiles a confidence needs.

/// Complementary error function (Abramowitz & Stegun 7.1.26 applied to |x|, error < 1.5e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let r = poly * (-z * z).exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Standard normal CDF.
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// The z with Φ(z) = p (bisection; |error| < 1e-6 for 1e-9 < p < 1 − 1e-9).
pub fn norm_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0, 10.0);
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if norm_cdf(mid) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Two-sided z for a confidence (0.95 → 1.960).
pub fn z_two_sided(confidence: f64) -> f64 {
    norm_quantile(0.5 + confidence / 2.0)
}

/// One-sided z for a confidence (0.95 → 1.645).
pub fn z_one_sided(confidence: f64) -> f64 {
    norm_quantile(confidence)
}

/// Wilson score interval for `k` successes in `n` trials at quantile `z`: (low, high).
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = z * z;
    let d = 1.0 + z2 / n;
    let c = (p + z2 / (2.0 * n)) / d;
    let h = z / d * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((c - h).max(0.0), (c + h).min(1.0))
}

/// Tiles needed to estimate a reliability `p` within ±`e` at two-sided confidence:
/// n = ⌈z²·p(1−p)/e²⌉ (normal approximation to the binomial).
pub fn tiles_needed(p: f64, e: f64, confidence: f64) -> u64 {
    let z = z_two_sided(confidence);
    (z * z * p * (1.0 - p) / (e * e) - 1e-9).ceil() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_the_tables() {
        // Standard normal table values.
        assert!((z_two_sided(0.95) - 1.959_964).abs() < 1e-5);
        assert!((z_one_sided(0.95) - 1.644_854).abs() < 1e-5);
        assert!((z_two_sided(0.99) - 2.575_829).abs() < 1e-5);
    }

    #[test]
    fn tile_counts_match_the_addendum_table() {
        // ../shared/spec/measurement-addendum.md §1.6 (p = 0.95).
        assert_eq!(tiles_needed(0.95, 0.01, 0.95), 1825);
        assert_eq!(tiles_needed(0.95, 0.02, 0.95), 457);
        assert_eq!(tiles_needed(0.95, 0.02, 0.99), 788);
        assert_eq!(tiles_needed(0.95, 0.01, 0.99), 3152);
    }

    #[test]
    fn wilson_interval_known_value() {
        // 81 of 263 at 95 %: the textbook Wilson interval is [0.2553, 0.3662].
        let (lo, hi) = wilson(81, 263, z_two_sided(0.95));
        assert!(
            (lo - 0.2553).abs() < 5e-4 && (hi - 0.3662).abs() < 5e-4,
            "{lo} {hi}"
        );
    }
}
