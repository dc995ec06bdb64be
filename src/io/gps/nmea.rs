//! NMEA 0183 GGA and RMC sentences (any talker: GP, GN, GL …).
//!
//! Every sentence's checksum (XOR of the characters between `$` and `*`) is verified; a sentence
//! with a wrong or missing checksum or malformed fields is counted in [`GpsLog::bad`] and skipped.
//! GGA carries the time of day, fix quality, HDOP and altitude; RMC the date, validity and speed.
//! Sentences of the same epoch are merged into one [`Fix`]; GGA sentences before the first RMC
//! take its date, and the date advances when the time of day wraps past midnight.

use super::{Fix, GpsLog};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};

/// Knots to m/s.
const KNOT_MPS: f64 = 1852.0 / 3600.0;

/// Verify and strip the checksum: the fields between `$` and `*`, or None.
pub fn checked_body(line: &str) -> Option<&str> {
    let l = line.trim();
    let rest = l.strip_prefix('$').or_else(|| l.strip_prefix('!'))?;
    let (body, cs) = rest.rsplit_once('*')?;
    let want = u8::from_str_radix(cs.get(..2)?, 16).ok()?;
    let got = body.bytes().fold(0u8, |a, b| a ^ b);
    (got == want).then_some(body)
}

/// `$BODY*CS` with the checksum computed (for writers and tests).
pub fn sentence(body: &str) -> String {
    let cs = body.bytes().fold(0u8, |a, b| a ^ b);
    format!("${body}*{cs:02X}")
}

fn time_of_day(s: &str) -> Option<NaiveTime> {
    if s.len() < 6 {
        return None;
    }
    let h: u32 = s.get(0..2)?.parse().ok()?;
    let m: u32 = s.get(2..4)?.parse().ok()?;
    let sec: f64 = s.get(4..)?.parse().ok()?;
    let whole = sec.floor();
    let nanos = ((sec - whole) * 1e9).round() as u32;
    NaiveTime::from_hms_nano_opt(h, m, whole as u32, nanos)
}

fn coord(v: &str, hemi: &str, deg_digits: usize) -> Option<f64> {
    if v.len() < deg_digits + 2 {
        return None;
    }
    let d: f64 = v.get(..deg_digits)?.parse().ok()?;
    let m: f64 = v.get(deg_digits..)?.parse().ok()?;
    if m >= 60.0 {
        return None;
    }
    let x = d + m / 60.0;
    match hemi {
        "N" | "E" => Some(x),
        "S" | "W" => Some(-x),
        _ => None,
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 {
        return None;
    }
    let d: u32 = s.get(0..2)?.parse().ok()?;
    let m: u32 = s.get(2..4)?.parse().ok()?;
    let y: i32 = s.get(4..6)?.parse().ok()?;
    NaiveDate::from_ymd_opt(if y < 80 { 2000 + y } else { 1900 + y }, m, d)
}

enum Parsed {
    Gga {
        tod: NaiveTime,
        pos: Option<(f64, f64)>,
        quality: u8,
        hdop: Option<f64>,
        alt: Option<f64>,
    },
    Rmc {
        tod: NaiveTime,
        day: NaiveDate,
        pos: Option<(f64, f64)>,
        valid: bool,
        speed: Option<f64>,
    },
}

fn parse_sentence(body: &str) -> Result<Option<Parsed>, ()> {
    let f: Vec<&str> = body.split(',').collect();
    let kind = f[0].get(2..).unwrap_or("");
    let num = |s: &str| -> Result<Option<f64>, ()> {
        if s.is_empty() {
            Ok(None)
        } else {
            s.parse::<f64>().map(Some).map_err(|_| ())
        }
    };
    match kind {
        "GGA" => {
            if f.len() < 10 {
                return Err(());
            }
            let tod = time_of_day(f[1]).ok_or(())?;
            let quality: u8 = if f[6].is_empty() {
                0
            } else {
                f[6].parse().map_err(|_| ())?
            };
            let pos = match (f[2].is_empty(), coord(f[2], f[3], 2), coord(f[4], f[5], 3)) {
                (true, _, _) => None,
                (false, Some(a), Some(b)) => Some((a, b)),
                _ => return Err(()),
            };
            Ok(Some(Parsed::Gga {
                tod,
                pos,
                quality,
                hdop: num(f[8])?,
                alt: num(f[9])?,
            }))
        }
        "RMC" => {
            if f.len() < 10 {
                return Err(());
            }
            let tod = time_of_day(f[1]).ok_or(())?;
            let day = date(f[9]).ok_or(())?;
            let pos = match (f[3].is_empty(), coord(f[3], f[4], 2), coord(f[5], f[6], 3)) {
                (true, _, _) => None,
                (false, Some(a), Some(b)) => Some((a, b)),
                _ => return Err(()),
            };
            Ok(Some(Parsed::Rmc {
                tod,
                day,
                pos,
                valid: f[2] == "A",
                speed: num(f[7])?.map(|k| k * KNOT_MPS),
            }))
        }
        _ => Ok(None),
    }
}

/// Parse a log (one sentence per line; other text is ignored).
pub fn parse(text: &str) -> GpsLog {
    let mut log = GpsLog::default();
    let mut parsed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if !(l.starts_with('$') || l.starts_with('!')) {
            continue;
        }
        match checked_body(l).ok_or(()).and_then(parse_sentence) {
            Ok(Some(p)) => parsed.push(p),
            Ok(None) => {}
            Err(()) => {
                log.bad += 1;
                if log.bad <= 3 {
                    log.warnings.push(format!(
                        "line {}: bad NMEA sentence skipped (checksum or fields): {}",
                        i + 1,
                        l.chars().take(60).collect::<String>()
                    ));
                }
            }
        }
    }
    // The date: from RMC; GGA before the first RMC takes the first RMC's date.
    let first_day = parsed.iter().find_map(|p| match p {
        Parsed::Rmc { day, .. } => Some(*day),
        _ => None,
    });
    let Some(mut day) = first_day else {
        if !parsed.is_empty() {
            log.warnings
                .push("no RMC sentence: the date is unknown, so no fix has a time".into());
        }
        return log;
    };
    let mut last_tod: Option<NaiveTime> = None;
    // Sentences of one epoch are adjacent; a time earlier than the last epoch's is a clock
    // jump backwards (not re-sorted: the join would put positions in the wrong order).
    let mut epochs: Vec<Fix> = Vec::new();
    let mut back = 0u64;
    for p in parsed {
        let tod = match &p {
            Parsed::Gga { tod, .. } | Parsed::Rmc { tod, .. } => *tod,
        };
        if let Parsed::Rmc { day: d, .. } = &p {
            day = *d;
        } else if last_tod.is_some_and(|l| l.signed_duration_since(tod) > Duration::hours(12)) {
            // (A signed difference: `tod + 12 h` would wrap past midnight for any afternoon
            // time and advance the date of every GGA after 12:00 UTC.)
            day = day.succ_opt().unwrap_or(day); // past midnight before the next RMC
        }
        last_tod = Some(tod);
        let t: DateTime<Utc> = day.and_time(tod).and_utc();
        match epochs.last() {
            Some(l) if t < l.time => {
                back += 1;
                continue;
            }
            Some(l) if t == l.time => {}
            _ => epochs.push(Fix {
                time: t,
                lat: f64::NAN,
                lon: f64::NAN,
                alt_m: None,
                valid: true,
                quality: 1,
                hdop: None,
                speed_mps: None,
            }),
        }
        let e = epochs.last_mut().expect("pushed");
        match p {
            Parsed::Gga {
                pos,
                quality,
                hdop,
                alt,
                ..
            } => {
                if let Some((a, b)) = pos {
                    (e.lat, e.lon) = (a, b);
                }
                e.quality = quality;
                e.valid &= quality > 0 && pos.is_some();
                e.hdop = hdop;
                e.alt_m = alt;
            }
            Parsed::Rmc {
                pos, valid, speed, ..
            } => {
                if let Some((a, b)) = pos {
                    (e.lat, e.lon) = (a, b);
                }
                e.valid &= valid && pos.is_some();
                e.speed_mps = speed;
            }
        }
    }
    if back > 0 {
        log.warnings.push(format!(
            "{back} sentences went back in time (a GPS clock jump) and were skipped"
        ));
    }
    log.fixes = epochs
        .into_iter()
        .map(|mut f| {
            if f.lat.is_nan() {
                f.valid = false;
                f.lat = 0.0;
                f.lon = 0.0;
            }
            f
        })
        .collect();
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_and_fields() {
        // A sentence from the NMEA literature (checksum as published).
        let gga = "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,*47";
        assert!(checked_body(gga).is_some());
        assert!(checked_body(&gga.replace("*47", "*48")).is_none());
        let rmc = "$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W*6A";
        assert!(checked_body(rmc).is_some());
        let log = parse(&format!("{gga}\n{rmc}\n$GPGSV,garbage*00\n"));
        assert_eq!(log.fixes.len(), 1);
        assert_eq!(log.bad, 1);
        let f = &log.fixes[0];
        assert!(f.valid);
        assert_eq!(f.time.to_rfc3339(), "1994-03-23T12:35:19+00:00");
        assert!((f.lat - (48.0 + 7.038 / 60.0)).abs() < 1e-12);
        assert!((f.lon - (11.0 + 31.0 / 60.0)).abs() < 1e-12);
        assert_eq!(f.alt_m, Some(545.4));
        assert_eq!(f.hdop, Some(0.9));
        assert!((f.speed_mps.unwrap() - 22.4 * 1852.0 / 3600.0).abs() < 1e-9);
        assert_eq!(sentence(&gga[1..gga.len() - 3]), gga);
    }

    #[test]
    fn no_fix_and_midnight() {
        let a = sentence("GPRMC,235959,A,3954.2520,N,11624.4440,E,10.0,0.0,011126,,");
        let b = sentence("GPGGA,000000,3954.2530,N,11624.4450,E,0,00,,,M,,M,,");
        let c = sentence("GPGGA,000001,3954.2540,N,11624.4460,E,1,08,1.1,50.0,M,,M,,");
        let log = parse(&format!("{a}\n{b}\n{c}\n"));
        assert_eq!(log.fixes.len(), 3);
        assert!(log.fixes[0].valid && !log.fixes[1].valid && log.fixes[2].valid);
        assert_eq!(log.fixes[2].time.to_rfc3339(), "2026-11-02T00:00:01+00:00");
    }

    #[test]
    fn an_afternoon_log_keeps_its_date() {
        // GGA before RMC in each epoch, after 12:00 UTC: the date must not advance (it did,
        // and every RMC then looked like a jump back in time).
        let mut text = String::new();
        for s in 0..4 {
            let t = format!("1322{:02}", 55 + s);
            text += &sentence(&format!(
                "GPGGA,{t},3954.2520,N,11624.4440,E,1,08,1.0,44.0,M,,M,,"
            ));
            text += "
";
            text += &sentence(&format!(
                "GPRMC,{t},A,3954.2520,N,11624.4440,E,10.0,0.0,291126,,"
            ));
            text += "
";
        }
        let log = parse(&text);
        assert_eq!(log.fixes.len(), 4, "{:?}", log.warnings);
        assert!(log.warnings.is_empty(), "{:?}", log.warnings);
        assert_eq!(log.fixes[3].time.to_rfc3339(), "2026-11-29T13:22:58+00:00");
    }
}
