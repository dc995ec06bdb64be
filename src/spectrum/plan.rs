//! Channel plans: the default raster, or a file (CSV or TOML) with name, frequency, bandwidth.

use crate::units::{mhz, parse_hz};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// One channel of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    /// Label (the frequency in MHz for raster channels).
    pub name: String,
    /// Centre frequency, Hz.
    pub freq_hz: f64,
    /// Measured bandwidth, Hz (the channel spacing by default).
    pub bandwidth_hz: f64,
}

impl Channel {
    /// Lower edge, Hz.
    pub fn lower_hz(&self) -> f64 {
        self.freq_hz - self.bandwidth_hz / 2.0
    }
    /// Upper edge, Hz.
    pub fn upper_hz(&self) -> f64 {
        self.freq_hz + self.bandwidth_hz / 2.0
    }
}

/// Every channel on a raster of `raster_hz` (centres at absolute multiples of the raster) whose
/// full bandwidth lies inside [`lo_hz`, `hi_hz`].
pub fn raster_plan(lo_hz: f64, hi_hz: f64, raster_hz: f64, bandwidth_hz: f64) -> Vec<Channel> {
    let first = ((lo_hz + bandwidth_hz / 2.0) / raster_hz).ceil() as i64;
    let last = ((hi_hz - bandwidth_hz / 2.0) / raster_hz).floor() as i64;
    (first..=last)
        .map(|k| {
            let f = k as f64 * raster_hz;
            Channel {
                name: mhz(f),
                freq_hz: f,
                bandwidth_hz,
            }
        })
        .collect()
}

/// Problems reading a plan file.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {msg}")]
pub struct PlanError {
    path: String,
    msg: String,
}

#[derive(Deserialize)]
struct TomlPlan {
    channel: Vec<TomlChannel>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Num {
    N(f64),
    S(String),
}

#[derive(Deserialize)]
struct TomlChannel {
    name: Option<String>,
    freq: Num,
    bandwidth: Option<Num>,
}

fn num(v: &Num) -> Result<f64, String> {
    match v {
        Num::N(n) => Ok(*n),
        Num::S(s) => parse_hz(s),
    }
}

/// Load a plan: `.toml` with `[[channel]]` tables (`name`, `freq`, `bandwidth`), anything else
/// as CSV with a header naming the columns `name`, `freq` (or `freq_hz`), `bandwidth` (or
/// `bandwidth_hz`). Values take unit suffixes (`351.0125M`, `12.5k`). A missing bandwidth is
/// `default_bw_hz`.
pub fn load_plan(path: &Path, default_bw_hz: f64) -> Result<Vec<Channel>, PlanError> {
    let err = |msg: String| PlanError {
        path: path.display().to_string(),
        msg,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let mut out = Vec::new();
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"))
    {
        let plan: TomlPlan = toml::from_str(&text).map_err(|e| {
            err(format!(
                "not a valid plan ([[channel]] tables with freq, bandwidth, name): {e}"
            ))
        })?;
        for (i, c) in plan.channel.iter().enumerate() {
            let f = num(&c.freq).map_err(|e| err(format!("channel[{i}].freq: {e}")))?;
            let bw = match &c.bandwidth {
                Some(b) => num(b).map_err(|e| err(format!("channel[{i}].bandwidth: {e}")))?,
                None => default_bw_hz,
            };
            out.push(Channel {
                name: c.name.clone().unwrap_or_else(|| mhz(f)),
                freq_hz: f,
                bandwidth_hz: bw,
            });
        }
    } else {
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        let Some((_, header)) = lines.next() else {
            return Err(err(
                "the plan is empty (expected a header: name,freq,bandwidth)".into(),
            ));
        };
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let find = |names: &[&str]| cols.iter().position(|c| names.contains(&c.as_str()));
        let fi = find(&["freq", "freq_hz", "frequency"]).ok_or_else(|| {
            err(format!(
                "header '{header}' has no freq column (expected name,freq,bandwidth)"
            ))
        })?;
        let ni = find(&["name"]);
        let bi = find(&["bandwidth", "bandwidth_hz", "bw"]);
        for (ln, line) in lines {
            let cells: Vec<&str> = line.split(',').map(str::trim).collect();
            let cell = |i: usize| cells.get(i).copied().unwrap_or("");
            let f = parse_hz(cell(fi)).map_err(|e| err(format!("line {}: freq: {e}", ln + 1)))?;
            let bw = match bi.map(cell).filter(|s| !s.is_empty()) {
                Some(s) => {
                    parse_hz(s).map_err(|e| err(format!("line {}: bandwidth: {e}", ln + 1)))?
                }
                None => default_bw_hz,
            };
            let name = ni.map(cell).filter(|s| !s.is_empty()).map(str::to_owned);
            out.push(Channel {
                name: name.unwrap_or_else(|| mhz(f)),
                freq_hz: f,
                bandwidth_hz: bw,
            });
        }
    }
    for c in &out {
        if !(c.bandwidth_hz > 0.0 && c.freq_hz.is_finite()) {
            return Err(err(format!(
                "channel '{}': bandwidth must be positive",
                c.name
            )));
        }
    }
    if out.is_empty() {
        return Err(err("the plan lists no channel".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raster_is_aligned_to_absolute_multiples() {
        let p = raster_plan(354.04e6, 355.96e6, 12_500.0, 12_500.0);
        assert_eq!(p.first().unwrap().freq_hz, 354.05e6);
        assert_eq!(p.last().unwrap().freq_hz, 355.95e6);
        assert_eq!(p.len(), 153);
        assert!(p.iter().all(|c| (c.freq_hz / 12_500.0).fract() == 0.0));
        // 354.050 MHz would reach down to 354.0375 MHz: the first whole 25 kHz channel is 354.075.
        let p = raster_plan(354.04e6, 355.96e6, 25_000.0, 25_000.0);
        assert_eq!(p.first().unwrap().freq_hz, 354.075e6);
        assert!(p
            .iter()
            .all(|c| c.lower_hz() >= 354.04e6 && c.upper_hz() <= 355.96e6));
    }

    #[test]
    fn plan_files_in_csv_and_toml() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("plan.csv");
        std::fs::write(
            &csv,
            "# site A\nname,freq,bandwidth\nRPT1,351.0125M,12.5k\nRPT2,351025000,\n",
        )
        .unwrap();
        let p = load_plan(&csv, 25_000.0).unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "RPT1");
        assert!((p[0].freq_hz - 351_012_500.0).abs() < 1e-3);
        assert_eq!(p[1].bandwidth_hz, 25_000.0);
        let toml = dir.path().join("plan.toml");
        std::fs::write(
            &toml,
            "[[channel]]\nname = \"A\"\nfreq = \"355.1M\"\nbandwidth = 12500\n",
        )
        .unwrap();
        let p = load_plan(&toml, 12_500.0).unwrap();
        assert_eq!(p[0].freq_hz, 355.1e6);
        std::fs::write(&csv, "name,bandwidth\nA,12.5k\n").unwrap();
        assert!(load_plan(&csv, 12_500.0)
            .unwrap_err()
            .to_string()
            .contains("no freq column"));
    }
}
