//! Parsing of the unit-suffixed values technicians type: `351.0125M`, `12.5k`, `10ms`, `-3dB`.

/// Parse a frequency or rate: plain Hz (`351012500`) or with a suffix `k`/`M`/`G` (case of `k`
/// and `m` is forgiven, `Hz` may follow: `12.5kHz`). Negative values are allowed (offsets).
pub fn parse_hz(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("Hz")
        .or_else(|| t.strip_suffix("hz"))
        .unwrap_or(t);
    let (num, mult) = match t.chars().last() {
        Some('k') | Some('K') => (&t[..t.len() - 1], 1e3),
        Some('M') => (&t[..t.len() - 1], 1e6),
        Some('m') => (&t[..t.len() - 1], 1e6),
        Some('G') | Some('g') => (&t[..t.len() - 1], 1e9),
        _ => (t, 1.0),
    };
    let v: f64 = num.trim().parse().map_err(|_| {
        format!("'{s}' is not a frequency (expected e.g. 351.0125M, 12.5k or 351012500)")
    })?;
    if !v.is_finite() {
        return Err(format!("'{s}' is not a finite frequency"));
    }
    Ok(v * mult)
}

/// Parse a duration: `10ms`, `1.5s`, `2m` (minutes), `1h`, `500us`; a bare number is seconds.
pub fn parse_seconds(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, mult) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix("us") {
        (n, 1e-6)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix("min") {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else if let Some(n) = t.strip_suffix('h') {
        (n, 3600.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (expected e.g. 10ms, 1.5s, 2min)"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("'{s}' is not a non-negative duration"));
    }
    Ok(v * mult)
}

/// Parse decibels: `10`, `10dB`, `-3.5 dB`.
pub fn parse_db(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("dB")
        .or_else(|| t.strip_suffix("db"))
        .unwrap_or(t);
    let v: f64 = t
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a level in dB (expected e.g. 10 or 10dB)"))?;
    if !v.is_finite() {
        return Err(format!("'{s}' is not a finite level"));
    }
    Ok(v)
}

/// Parse a band `LOW:HIGH` (each as [`parse_hz`]), returned in ascending order.
pub fn parse_band(s: &str) -> Result<(f64, f64), String> {
    let (a, b) = s
        .split_once(':')
        .ok_or_else(|| format!("'{s}' is not a band (expected LOW:HIGH, e.g. 351M:358M)"))?;
    let (a, b) = (parse_hz(a)?, parse_hz(b)?);
    if a == b {
        return Err(format!("band '{s}' is empty"));
    }
    Ok((a.min(b), a.max(b)))
}

/// Format Hz as MHz with enough digits for a 12.5 kHz raster (`351.012500`).
pub fn mhz(hz: f64) -> String {
    format!("{:.6}", hz / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequencies_in_every_documented_spelling() {
        for s in ["351.0125M", "351012.5k", "351012500", "351.0125MHz"] {
            assert!((parse_hz(s).unwrap() - 351_012_500.0).abs() < 1e-3, "{s}");
        }
        assert_eq!(parse_hz("12.5k").unwrap(), 12_500.0);
        assert_eq!(parse_hz("-1k").unwrap(), -1000.0);
        assert!(parse_hz("fast").is_err());
        assert!(parse_hz("nanM").is_err());
    }

    #[test]
    fn durations_dbs_and_bands() {
        assert_eq!(parse_seconds("10ms").unwrap(), 0.01);
        assert_eq!(parse_seconds("2min").unwrap(), 120.0);
        assert_eq!(parse_seconds("1.5").unwrap(), 1.5);
        assert!(parse_seconds("-1s").is_err());
        assert_eq!(parse_db("10dB").unwrap(), 10.0);
        assert_eq!(parse_band("358M:351M").unwrap(), (351e6, 358e6));
        assert!(parse_band("351M").is_err());
    }
}
