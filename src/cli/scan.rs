//! `linkscope scan INPUT` — spectrum health over a channel plan.

use super::common::{print_warnings, progress, stream_warnings, SourceArgs};
use anyhow::Context;
use chrono::{DateTime, Local, SecondsFormat, Utc};
use clap::Args;
use linkscope::dsp::Complex32;
use linkscope::io::atomic::AtomicFile;
use linkscope::report::plot;
use linkscope::spectrum::plan::{load_plan, raster_plan};
use linkscope::spectrum::scan::{DcRemoval, IntervalRow, ScanConfig, ScanReport, Scanner};
use linkscope::units::{self, mhz};
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    input: SourceArgs,
    /// Channel raster of the default plan (12.5k or 25k)
    #[arg(long, default_value = "12.5k", value_parser = units::parse_hz)]
    raster: f64,
    /// Measured channel bandwidth (default: the raster)
    #[arg(long, value_parser = units::parse_hz)]
    bw: Option<f64>,
    /// Channel plan file: CSV (name,freq,bandwidth) or TOML ([[channel]] tables)
    #[arg(long)]
    plan: Option<PathBuf>,
    /// Only channels inside LOW:HIGH (e.g. 351M:358M)
    #[arg(long, value_parser = units::parse_band)]
    band: Option<(f64, f64)>,
    /// Measurement frame for occupancy and peak power
    #[arg(long, default_value = "10ms", value_parser = units::parse_seconds)]
    frame: f64,
    /// Occupancy threshold above the noise floor, dB
    #[arg(long, default_value = "10", value_parser = units::parse_db, allow_hyphen_values = true)]
    threshold: f64,
    /// FFT size (default: bins ≤ 1/8 of a channel)
    #[arg(long)]
    fft: Option<usize>,
    /// Fraction of the sample rate that is usable (outside it the receiver filter rolls off)
    #[arg(long, default_value_t = 0.8)]
    usable: f64,
    /// Keep a zero-IF DC offset instead of removing it (default for captures ≤ 250 kS/s,
    /// which are centred on a channel on purpose: their 0 Hz is signal, not a tuner artefact)
    #[arg(long, conflicts_with = "remove_dc")]
    keep_dc: bool,
    /// Remove the DC offset even on a narrowband capture (default above 250 kS/s)
    #[arg(long)]
    remove_dc: bool,
    /// Calibration: add this many dB to dBFS to get dBm at the antenna
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    cal_db: Option<f64>,
    /// Show every channel, not only those with a signal
    #[arg(long)]
    all: bool,
    /// One JSON document on stdout instead of the table
    #[arg(long)]
    json: bool,
    /// Per-channel results as CSV
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Spectrum rows in rtl_power's CSV format (for existing heatmap tools)
    #[arg(long)]
    rtl_power: Option<PathBuf>,
    /// Integration interval of the rtl_power rows
    #[arg(long, default_value = "1s", value_parser = units::parse_seconds)]
    interval: f64,
    /// Spectrum plot (PNG) with the plan's channels marked
    #[arg(long)]
    png: Option<PathBuf>,
    /// Waterfall plot (PNG)
    #[arg(long)]
    waterfall: Option<PathBuf>,
    /// No progress bar or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: ScanArgs) -> anyhow::Result<()> {
    let mut cap = a.input.open(None, a.quiet)?;
    let info = cap.info();
    info.require_complex("scan")?;
    let fc = info.require_center_freq()?;
    let fs = info.sample_rate_hz;
    let half = a.usable * fs / 2.0;
    let (mut lo, mut hi) = (fc - half, fc + half);
    let bw = a.bw.unwrap_or(a.raster);
    let mut plan = match &a.plan {
        Some(p) => load_plan(p, bw)?,
        None => raster_plan(lo, hi, a.raster, bw),
    };
    if let Some((blo, bhi)) = a.band {
        lo = lo.max(blo);
        hi = hi.min(bhi);
        plan.retain(|c| c.lower_hz() >= blo && c.upper_hz() <= bhi);
    }
    if plan.is_empty() {
        anyhow::bail!(
            "{}: no channel of the plan lies inside {}–{} MHz (the usable part of the capture{})",
            info.path.display(),
            mhz(lo),
            mhz(hi),
            if a.band.is_some() {
                " within --band"
            } else {
                ""
            }
        );
    }
    let cfg = ScanConfig {
        frame_s: a.frame,
        threshold_db: a.threshold,
        fft_size: a.fft,
        usable_fraction: a.usable,
        dc_removal: match (a.keep_dc, a.remove_dc) {
            (true, _) => DcRemoval::Off,
            (_, true) => DcRemoval::On,
            _ => DcRemoval::Auto,
        },
        cal_db: a.cal_db,
        interval_s: a.rtl_power.as_ref().map(|_| a.interval),
        waterfall_rows: a.waterfall.as_ref().map(|_| 600),
    };
    let expected = (info.num_samples != u64::MAX).then_some(info.num_samples);
    let mut scanner = Scanner::new(cfg, plan, fs, fc, expected)
        .with_context(|| info.path.display().to_string())?;
    let start: DateTime<Utc> = info.datetime.unwrap_or_else(Utc::now);
    let mut rtl: RtlOut = match &a.rtl_power {
        Some(p) => Some((
            AtomicFile::create(p).with_context(|| p.display().to_string())?,
            scanner.usable_freqs_hz(),
            p.clone(),
        )),
        None => None,
    };
    let bin_hz = scanner.bin_hz();
    let pb = progress(info.num_samples, a.quiet);
    let mut buf = vec![Complex32::default(); 1 << 13];
    loop {
        let n = cap.read_complex(&mut buf)?;
        if n == 0 {
            break;
        }
        scanner.gap(cap.take_gap());
        scanner.process(&buf[..n]);
        pb.inc(n as u64);
        drain_rtl_power(&mut scanner, &mut rtl, bin_hz, start)?;
    }
    pb.finish_and_clear();
    scanner.end_of_input();
    drain_rtl_power(&mut scanner, &mut rtl, bin_hz, start)?;
    let input_name = info.path.display().to_string();
    let (mut report, spectra) = scanner.finish(
        &input_name,
        info.datetime
            .map(|t| t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    );
    report.warnings.extend(info.warnings.iter().cloned());
    report.dropped_samples = stream_warnings(&mut cap, fs, &mut report.warnings);
    if let Some((f, _, path)) = rtl {
        f.commit().with_context(|| path.display().to_string())?;
    }
    if let Some(p) = &a.csv {
        write_csv(p, &report).with_context(|| p.display().to_string())?;
    }
    if let Some(p) = &a.png {
        plot::spectrum_png(p, &report, &spectra)?;
    }
    if let Some(p) = &a.waterfall {
        plot::waterfall_png(p, &report, &spectra)?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_table(&report, a.all);
        print_warnings(&report.warnings, a.quiet);
    }
    Ok(())
}

/// Open rtl_power output: the file and its bin frequencies.
type RtlOut = Option<(AtomicFile, Vec<f64>, PathBuf)>;

/// Write the scanner's completed intervals as rtl_power lines.
fn drain_rtl_power(
    scanner: &mut Scanner,
    rtl: &mut RtlOut,
    bin_hz: f64,
    start: DateTime<Utc>,
) -> anyhow::Result<()> {
    if let Some((f, freqs, path)) = rtl.as_mut() {
        for row in scanner.drain_intervals() {
            write_rtl_power_row(f, &row, freqs, bin_hz, start)
                .with_context(|| path.display().to_string())?;
        }
    }
    Ok(())
}

/// One rtl_power line: `date, time, Hz low, Hz high, Hz step, samples, dB, …` with rtl_power's
/// quirk of repeating the last value (so readers written for it find what they expect).
fn write_rtl_power_row(
    f: &mut AtomicFile,
    row: &IntervalRow,
    freqs: &[f64],
    step: f64,
    start: DateTime<Utc>,
) -> std::io::Result<()> {
    let t = start + chrono::Duration::microseconds((row.t_s * 1e6) as i64);
    let local = t.with_timezone(&Local);
    let low = freqs[0].round() as i64;
    let high = (freqs[freqs.len() - 1] + step).round() as i64;
    write!(
        f,
        "{}, {}, {low}, {high}, {step:.2}, {}",
        local.format("%Y-%m-%d"),
        local.format("%H:%M:%S"),
        row.segments
    )?;
    for v in &row.dbfs {
        write!(f, ", {v:.2}")?;
    }
    writeln!(f, ", {:.2}", row.dbfs[row.dbfs.len() - 1])
}

fn write_csv(path: &std::path::Path, r: &ScanReport) -> std::io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    let cal = r.cal_db.is_some();
    write!(
        f,
        "name,freq_hz,bandwidth_hz,mean_power_dbfs,peak_power_dbfs,occupancy_pct,above_floor_db,signal"
    )?;
    if cal {
        write!(f, ",mean_power_dbm,peak_power_dbm")?;
    }
    writeln!(f)?;
    for c in &r.channels {
        write!(
            f,
            "{},{},{},{},{},{},{},{}",
            c.name.replace(',', ";"),
            c.freq_hz,
            c.bandwidth_hz,
            c.mean_power_dbfs,
            c.peak_power_dbfs,
            c.occupancy_pct,
            c.above_floor_db,
            c.signal
        )?;
        if let (Some(m), Some(p)) = (c.mean_power_dbm, c.peak_power_dbm) {
            write!(f, ",{m},{p}")?;
        }
        writeln!(f)?;
    }
    f.commit()
}

fn print_table(r: &ScanReport, all: bool) {
    let unit = if r.cal_db.is_some() { "dBm" } else { "dBFS" };
    let lvl = |dbfs: f64| dbfs + r.cal_db.unwrap_or(0.0);
    println!(
        "{}: {:.6} MHz ± {:.0} kHz, {:.2} s, {} frames of {:.0} ms, RBW {:.0} Hz",
        r.input,
        r.center_freq_hz / 1e6,
        r.sample_rate_hz / 2e3,
        r.duration_s,
        r.frames,
        r.frame_s * 1e3,
        r.bin_hz
    );
    println!(
        "noise floor {:.1} {unit} per {:.1} kHz ({:.1} dBFS/Hz); occupancy threshold floor + {} dB{}",
        lvl(r.noise_floor_dbfs),
        r.noise_floor_bandwidth_hz / 1e3,
        r.noise_density_dbfs_per_hz,
        r.threshold_db,
        match r.dc_offset_dbfs {
            Some(d) => format!("; DC offset {d:.1} dBFS removed"),
            None => String::new(),
        }
    );
    let shown: Vec<_> = r.channels.iter().filter(|c| all || c.signal).collect();
    println!(
        "{} of {} channels with a signal{}",
        r.channels_with_signal,
        r.channels.len(),
        if all {
            ""
        } else {
            " (--all shows every channel)"
        }
    );
    // Raster channels are named by their frequency: show a name column only for plan names.
    let named = r.channels.iter().any(|c| c.name != mhz(c.freq_hz));
    let name_of = |c: &linkscope::spectrum::scan::ChannelReport| {
        if named {
            format!("{:<14} ", c.name)
        } else {
            String::new()
        }
    };
    if !shown.is_empty() {
        println!();
        println!(
            "{}{:>12} {:>11} {:>11} {:>9} {:>11}  signal",
            if named {
                format!("{:<14} ", "channel")
            } else {
                String::new()
            },
            "freq MHz",
            format!("mean {unit}"),
            format!("peak {unit}"),
            "occup %",
            "above flr",
        );
        for c in shown {
            println!(
                "{}{:>12} {:>11.1} {:>11.1} {:>9.1} {:>9.1} dB  {}",
                name_of(c),
                mhz(c.freq_hz),
                lvl(c.mean_power_dbfs),
                lvl(c.peak_power_dbfs),
                c.occupancy_pct,
                c.above_floor_db,
                if c.signal { "yes" } else { "-" }
            );
        }
    }
    if !r.interferers.is_empty() {
        println!();
        println!("off-raster emissions (strongest first):");
        for i in &r.interferers {
            println!(
                "  {:>12} MHz {:>7.1} {unit}  {:>6.0} Hz wide, {:+.0} Hz from {}",
                mhz(i.freq_hz),
                lvl(i.power_dbfs),
                i.bandwidth_hz,
                i.offset_from_channel_hz,
                i.nearest_channel
            );
        }
    }
}
