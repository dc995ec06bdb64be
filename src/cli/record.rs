//! `linkscope record --device … -f FREQ -s RATE -o NAME` — a live session as SigMF.

use super::common::DeviceArgs;
use anyhow::Context;
use clap::Args;
use linkscope::io::recorder::Recorder;
use linkscope::io::sigmf_writer::{data_path, meta_path, SigmfHeader};
use linkscope::units;
use serde_json::{json, Map};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct RecordArgs {
    /// Centre frequency to tune to (e.g. 355M)
    #[arg(short = 'f', long, value_parser = units::parse_hz)]
    freq: f64,
    /// Sample rate (e.g. 2.4M)
    #[arg(short = 's', long, default_value = "2.4M", value_parser = units::parse_hz)]
    rate: f64,
    /// Stop after this long (e.g. 60s, 10min); without it, record until Ctrl-C
    #[arg(long, value_parser = units::parse_seconds)]
    duration: Option<f64>,
    /// Recording name: writes NAME.sigmf-meta and NAME.sigmf-data
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Replace an existing recording of that name
    #[arg(long)]
    force: bool,
    /// Fixed position of the receiver for core:geolocation: LAT,LON[,ALT_M] (degrees WGS 84)
    #[arg(long, value_parser = parse_position, allow_hyphen_values = true)]
    gps: Option<(f64, f64, Option<f64>)>,
    /// core:description text
    #[arg(long)]
    description: Option<String>,
    #[command(flatten)]
    dev: DeviceArgs,
    /// One JSON summary on stdout
    #[arg(long)]
    json: bool,
    /// No status line or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

fn parse_position(s: &str) -> Result<(f64, f64, Option<f64>), String> {
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    let num = |t: &str| {
        t.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("'{t}' in '{s}' is not a number"))
    };
    if !(2..=3).contains(&v.len()) {
        return Err(format!(
            "'{s}': expected LAT,LON or LAT,LON,ALT_M (e.g. 39.9042,116.4074,50)"
        ));
    }
    let (lat, lon) = (num(v[0])?, num(v[1])?);
    if lat.abs() > 90.0 || lon.abs() > 180.0 {
        return Err(format!(
            "'{s}': latitude must be within ±90° and longitude within ±180°"
        ));
    }
    let alt = v.get(2).map(|t| num(t)).transpose()?;
    Ok((lat, lon, alt))
}

pub fn run(a: RecordArgs) -> anyhow::Result<()> {
    if a.dev.device.is_none() {
        anyhow::bail!(
            "record needs --device (rtl_tcp=HOST:PORT or SoapySDR arguments such as driver=rtlsdr)"
        );
    }
    let base = strip_sigmf_ext(&a.output);
    for p in [meta_path(&base), data_path(&base)] {
        if p.exists() && !a.force {
            anyhow::bail!(
                "{}: a recording of that name exists; choose another name or give --force to replace it",
                p.display()
            );
        }
    }
    let mut stream = a.dev.start(a.freq, a.rate, a.quiet)?;
    let dev = stream.device.clone();
    let mut extra = Map::new();
    extra.insert("linkscope:gain".into(), json!(dev.gain.describe()));
    if let linkscope::io::device::Gain::Db(g) = dev.gain {
        extra.insert("linkscope:gain_db".into(), json!(g));
    }
    extra.insert("linkscope:device".into(), json!(dev.name));
    if a.dev.ppm != 0.0 {
        extra.insert("linkscope:ppm".into(), json!(a.dev.ppm));
    }
    if let Some((lat, lon, alt)) = a.gps {
        let mut c = vec![json!(lon), json!(lat)];
        if let Some(h) = alt {
            c.push(json!(h));
        }
        extra.insert(
            "core:geolocation".into(),
            json!({"type": "Point", "coordinates": c}),
        );
    }
    let header = SigmfHeader {
        format: dev.format,
        sample_rate_hz: dev.rate_hz,
        center_freq_hz: Some(dev.freq_hz),
        datetime: stream.info.datetime,
        description: a.description.clone(),
        hw: Some(dev.hw.clone()),
        extra_global: extra,
    };
    let mut rec = Recorder::create(&base, header, a.force)?;
    let fs = dev.rate_hz;
    let bps = dev.format.bytes_per_sample();
    let limit = a.duration.map(|d| (d * fs).round() as u64);
    let status = !a.quiet && std::io::stderr().is_terminal();
    let mut last_status = Instant::now();
    let started = Instant::now();
    let mut failure: Option<anyhow::Error> = None;
    loop {
        let (first, time) = match stream.next_block() {
            Ok(Some(b)) => (b.first_sample, b.time_utc),
            Ok(None) => break,
            Err(e) => {
                failure = Some(e.into());
                break;
            }
        };
        let gap = stream.take_gap();
        let mut bytes = stream.current().map(|b| b.data()).unwrap_or_default();
        if let Some(l) = limit {
            if first >= l {
                break;
            }
            let room = ((l - first) as usize).saturating_mul(bps);
            if bytes.len() > room {
                bytes = &bytes[..room];
            }
        }
        if let Err(e) = rec.write_block(bytes, gap, time) {
            failure = Some(e.into());
            break;
        }
        if limit.is_some_and(|l| first + (bytes.len() / bps) as u64 >= l) {
            break;
        }
        if status && last_status.elapsed() > Duration::from_millis(500) {
            last_status = Instant::now();
            eprint!(
                "\rrecording {}: {:.1} s, {} MB, {} samples dropped   ",
                base.display(),
                rec.samples() as f64 / fs,
                rec.samples() * bps as u64 / 1_000_000,
                stream.dropped_samples()
            );
        }
    }
    if status {
        eprintln!();
    }
    let sum = stream.summary();
    let samples = rec.samples();
    let dropped_in_file = rec.dropped();
    let err_text = failure.as_ref().map(|e| format!("{e:#}"));
    let meta = rec
        .finish(err_text.as_deref())
        .with_context(|| meta_path(&base).display().to_string())?;
    let elapsed = started.elapsed().as_secs_f64();
    let j = json!({
        "recording": meta.display().to_string(),
        "data": data_path(&base).display().to_string(),
        "datatype": dev.format.sigmf_name(),
        "sample_rate_hz": fs,
        "center_freq_hz": dev.freq_hz,
        "samples": samples,
        "duration_s": samples as f64 / fs,
        "bytes": samples * bps as u64,
        "dropped_samples": dropped_in_file,
        "gaps": sum.gaps,
        "max_lag_s": sum.max_lag_s,
        "device_events": sum.device_events.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
        "wall_time_s": (elapsed * 1e3).round() / 1e3,
        "interrupted": linkscope::stream::stop_requested(),
        "error": err_text,
    });
    if a.json {
        println!("{j}");
    } else if !a.quiet {
        eprintln!(
            "{}: {samples} samples ({:.2} s, {} bytes), {} dropped in {} gaps{}",
            meta.display(),
            samples as f64 / fs,
            samples * bps as u64,
            dropped_in_file,
            sum.gaps,
            if linkscope::stream::stop_requested() {
                ", stopped by signal"
            } else {
                ""
            }
        );
    }
    match failure {
        Some(e) => Err(e.context(format!(
            "recording stopped; the {samples} samples received are kept in {}",
            meta.display()
        ))),
        None => Ok(()),
    }
}

/// `NAME`, `NAME.sigmf-meta` or `NAME.sigmf-data` → `NAME`.
fn strip_sigmf_ext(p: &std::path::Path) -> PathBuf {
    let s = p.to_string_lossy();
    for ext in [".sigmf-meta", ".sigmf-data"] {
        if let Some(b) = s.strip_suffix(ext) {
            return PathBuf::from(b);
        }
    }
    p.to_path_buf()
}
