//! `linkscope info INPUT`.

use super::common::InputArgs;
use chrono::SecondsFormat;
use clap::Args;
use linkscope::dsp::stats::LevelStats;
use linkscope::dsp::Complex32;
use serde::Serialize;

#[derive(Args)]
pub struct InfoArgs {
    #[command(flatten)]
    input: InputArgs,
    /// One JSON document on stdout
    #[arg(long)]
    json: bool,
    /// First trim a partial trailing sample from a SigMF recording (left by a power loss while
    /// recording); the samples before it are kept
    #[arg(long)]
    repair: bool,
}

#[derive(Serialize)]
struct InfoReport {
    path: String,
    container: &'static str,
    format: &'static str,
    complex: bool,
    sample_rate_hz: f64,
    center_freq_hz: Option<f64>,
    start_time_utc: Option<String>,
    samples: u64,
    duration_s: f64,
    rms_dbfs: f64,
    peak_dbfs: f64,
    clipped_pct: f64,
    segments: usize,
    annotations: usize,
    hw: Option<String>,
    description: Option<String>,
    metadata_problems: Vec<String>,
}

pub fn run(a: InfoArgs) -> anyhow::Result<()> {
    if a.repair {
        let removed = linkscope::io::repair_sigmf(&a.input.input)?;
        if removed > 0 {
            eprintln!(
                "repaired {}: removed {removed} trailing bytes (a partial sample)",
                a.input.input.display()
            );
        } else {
            eprintln!(
                "{}: the data is a whole number of samples; nothing to repair",
                a.input.input.display()
            );
        }
    }
    let mut cap = a.input.open()?;
    let info = cap.info.clone();
    let clip = info.format.clip_level();
    let mut stats = LevelStats::default();
    if info.format.is_complex() {
        let mut buf = vec![Complex32::default(); 1 << 18];
        loop {
            let n = cap.read_complex(&mut buf)?;
            if n == 0 {
                break;
            }
            stats.add(&buf[..n], clip);
        }
    } else {
        let mut buf = vec![0.0f32; 1 << 18];
        loop {
            let n = cap.read_real(&mut buf)?;
            if n == 0 {
                break;
            }
            stats.add_real(&buf[..n], clip);
        }
    }
    let components = stats.samples * if info.format.is_complex() { 2 } else { 1 };
    let r = InfoReport {
        path: info.path.display().to_string(),
        container: info.container.name(),
        format: info.format.sigmf_name(),
        complex: info.format.is_complex(),
        sample_rate_hz: info.sample_rate_hz,
        center_freq_hz: info.center_freq_hz,
        start_time_utc: info
            .datetime
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        samples: info.num_samples,
        duration_s: info.duration_s(),
        rms_dbfs: (stats.rms_dbfs() * 100.0).round() / 100.0,
        peak_dbfs: (stats.peak_dbfs() * 100.0).round() / 100.0,
        clipped_pct: 100.0 * stats.clipped_components as f64 / components.max(1) as f64,
        segments: info.segments.len(),
        annotations: info.annotations.len(),
        hw: info.hw.clone(),
        description: info.description.clone(),
        metadata_problems: info.warnings.clone(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("{}", r.path);
    println!("  container    {} ({})", r.container, r.format);
    println!(
        "  samples      {} {} at {:.6} MS/s = {:.3} s",
        r.samples,
        if r.complex { "complex (IQ)" } else { "real" },
        r.sample_rate_hz / 1e6,
        r.duration_s
    );
    match r.center_freq_hz {
        Some(f) => println!("  centre       {:.6} MHz", f / 1e6),
        None => println!("  centre       unknown"),
    }
    println!(
        "  start (UTC)  {}",
        r.start_time_utc.as_deref().unwrap_or("unknown")
    );
    println!(
        "  level        {:.2} dBFS RMS, {:.2} dBFS peak",
        r.rms_dbfs, r.peak_dbfs
    );
    println!(
        "  clipping     {:.4} % of components at full scale{}",
        r.clipped_pct,
        if r.clipped_pct > 0.01 {
            "  ← reduce the gain"
        } else {
            ""
        }
    );
    println!(
        "  segments     {}, annotations {}",
        r.segments, r.annotations
    );
    if let Some(hw) = &r.hw {
        println!("  hardware     {hw}");
    }
    if let Some(d) = &r.description {
        println!("  description  {d}");
    }
    if r.metadata_problems.is_empty() {
        println!("  metadata     no problems found");
    } else {
        println!("  metadata problems:");
        for w in &r.metadata_problems {
            println!("    - {w}");
        }
    }
    Ok(())
}
