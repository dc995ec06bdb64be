//! GPS positions: NMEA 0183 logs ([`nmea`]), GPX tracks ([`gpx`]) and live gpsd ([`gpsd`]).
//!
//! Every source yields [`Fix`]es in time order; a fix without a valid position (NMEA quality 0,
//! RMC status V, gpsd mode < 2) is kept with `valid = false`, so the join can mark the stretch
//! instead of bridging it.

pub mod gpsd;
pub mod gpx;
pub mod nmea;

use chrono::{DateTime, Utc};
use std::path::Path;

/// One position report.
#[derive(Debug, Clone, PartialEq)]
pub struct Fix {
    /// UTC time of the fix.
    pub time: DateTime<Utc>,
    /// Latitude, degrees (WGS 84, north positive).
    pub lat: f64,
    /// Longitude, degrees (east positive).
    pub lon: f64,
    /// Altitude above mean sea level, m.
    pub alt_m: Option<f64>,
    /// Whether the receiver had a fix.
    pub valid: bool,
    /// NMEA GGA fix quality (0 none, 1 GPS, 2 DGPS, 4 RTK …) or gpsd mode (2 = 2D, 3 = 3D).
    pub quality: u8,
    /// Horizontal dilution of precision.
    pub hdop: Option<f64>,
    /// Ground speed, m/s.
    pub speed_mps: Option<f64>,
}

/// A GPS log read from a file.
#[derive(Debug, Clone, Default)]
pub struct GpsLog {
    /// Fixes in time order (valid and invalid).
    pub fixes: Vec<Fix>,
    /// Sentences/points skipped (bad checksum, malformed fields).
    pub bad: u64,
    /// Problems worth a line in the report.
    pub warnings: Vec<String>,
}

/// A GPS file problem, naming the file and line.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {msg}")]
pub struct GpsError {
    /// The file.
    pub path: String,
    /// What is wrong.
    pub msg: String,
}

/// Read a GPS log: `.gpx` as GPX, anything else as NMEA 0183.
pub fn read_log(path: &Path) -> Result<GpsLog, GpsError> {
    let text = std::fs::read(path).map_err(|e| GpsError {
        path: path.display().to_string(),
        msg: e.to_string(),
    })?;
    let text = String::from_utf8_lossy(&text);
    let name = path.to_string_lossy().to_ascii_lowercase();
    let mut log = if name.ends_with(".gpx") {
        gpx::parse(&text).map_err(|msg| GpsError {
            path: path.display().to_string(),
            msg,
        })?
    } else {
        nmea::parse(&text)
    };
    if log.fixes.iter().all(|f| !f.valid) {
        return Err(GpsError {
            path: path.display().to_string(),
            msg: format!(
                "no valid position in the log ({} fixes without a fix, {} bad sentences): expected NMEA GGA/RMC sentences or GPX track points",
                log.fixes.len(),
                log.bad
            ),
        });
    }
    // Time order; a jump backwards is reported and the out-of-order fix dropped.
    let mut kept: Vec<Fix> = Vec::with_capacity(log.fixes.len());
    let mut back = 0;
    for f in log.fixes.drain(..) {
        if kept.last().is_some_and(|l| f.time <= l.time) {
            back += 1;
            continue;
        }
        kept.push(f);
    }
    if back > 0 {
        log.warnings.push(format!(
            "{}: {back} fixes went back in time or repeated a time and were skipped",
            path.display()
        ));
    }
    log.fixes = kept;
    Ok(log)
}

/// Earth radius for local distances, m (mean radius).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance, m.
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}
