//! Live positions from gpsd (JSON protocol over TCP, default `127.0.0.1:2947`).
//!
//! [`GpsdClient::connect`] sends `?WATCH={"enable":true,"json":true}` and a reader thread turns
//! TPV reports into [`Fix`]es (every field optional, as gpsd omits what it does not know). The
//! survey takes them with [`GpsdClient::take`]; [`GpsdClient::alive`] turns false when gpsd goes
//! away, which the survey reports without losing what it measured.

use super::Fix;
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Fixes with their arrival times, shared with the reader thread.
type Arrivals = Arc<Mutex<Vec<(Fix, DateTime<Utc>)>>>;

/// A connection to gpsd.
pub struct GpsdClient {
    /// `HOST:PORT`.
    pub addr: String,
    fixes: Arrivals,
    alive: Arc<AtomicBool>,
    error: Arc<Mutex<Option<String>>>,
}

/// A TPV report as a fix (None when it has no time or no position).
pub fn tpv_fix(v: &Value) -> Option<Fix> {
    if v["class"] != "TPV" {
        return None;
    }
    let time: DateTime<Utc> = v["time"].as_str()?.parse().ok()?;
    let mode = v["mode"].as_u64().unwrap_or(0) as u8;
    let lat = v["lat"].as_f64();
    let lon = v["lon"].as_f64();
    Some(Fix {
        time,
        lat: lat.unwrap_or(0.0),
        lon: lon.unwrap_or(0.0),
        alt_m: v["altMSL"].as_f64().or(v["alt"].as_f64()),
        valid: mode >= 2 && lat.is_some() && lon.is_some(),
        quality: mode,
        hdop: None,
        speed_mps: v["speed"].as_f64(),
    })
}

impl GpsdClient {
    /// Connect and start watching.
    pub fn connect(addr: &str) -> Result<GpsdClient, String> {
        let a = addr
            .to_socket_addrs()
            .map_err(|e| format!("gpsd {addr}: {e}"))?
            .next()
            .ok_or_else(|| format!("gpsd {addr}: no address"))?;
        let mut s = TcpStream::connect_timeout(&a, Duration::from_secs(3))
            .map_err(|e| format!("gpsd {addr}: cannot connect: {e} (is gpsd running?)"))?;
        s.write_all(b"?WATCH={\"enable\":true,\"json\":true}\n")
            .map_err(|e| format!("gpsd {addr}: {e}"))?;
        let fixes: Arrivals = Arc::new(Mutex::new(Vec::new()));
        let alive = Arc::new(AtomicBool::new(true));
        let error = Arc::new(Mutex::new(None));
        let (f2, a2, e2) = (fixes.clone(), alive.clone(), error.clone());
        let name = addr.to_string();
        std::thread::Builder::new()
            .name("linkscope-gpsd".into())
            .spawn(move || {
                let mut r = BufReader::new(s);
                let mut line = String::new();
                loop {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) => {
                            *e2.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(format!("gpsd {name} closed the connection"));
                            break;
                        }
                        Ok(_) => {
                            if let Ok(v) = serde_json::from_str::<Value>(&line) {
                                if let Some(f) = tpv_fix(&v) {
                                    f2.lock()
                                        .unwrap_or_else(|p| p.into_inner())
                                        .push((f, Utc::now()));
                                }
                            }
                        }
                        Err(e) => {
                            *e2.lock().unwrap_or_else(|p| p.into_inner()) =
                                Some(format!("gpsd {name}: {e}"));
                            break;
                        }
                    }
                }
                a2.store(false, Ordering::SeqCst);
            })
            .map_err(|e| e.to_string())?;
        Ok(GpsdClient {
            addr: addr.into(),
            fixes,
            alive,
            error,
        })
    }

    /// Fixes received since the last call, each with its arrival time.
    pub fn take(&self) -> Vec<(Fix, DateTime<Utc>)> {
        std::mem::take(&mut *self.fixes.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Whether the connection is up.
    pub fn alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Why the connection ended.
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn tpv_fields_are_optional() {
        let v: serde_json::Value = serde_json::from_str(
            r#"{"class":"TPV","mode":3,"time":"2026-11-01T08:00:01.000Z","lat":39.9,"lon":116.4,"altMSL":44.0,"speed":12.5}"#,
        )
        .unwrap();
        let f = super::tpv_fix(&v).unwrap();
        assert!(f.valid && f.speed_mps == Some(12.5) && f.alt_m == Some(44.0));
        let v: serde_json::Value =
            serde_json::from_str(r#"{"class":"TPV","mode":1,"time":"2026-11-01T08:00:01Z"}"#)
                .unwrap();
        assert!(!super::tpv_fix(&v).unwrap().valid);
        let v: serde_json::Value = serde_json::from_str(r#"{"class":"TPV","mode":1}"#).unwrap();
        assert!(super::tpv_fix(&v).is_none());
    }
}
