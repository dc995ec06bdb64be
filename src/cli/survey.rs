//! `linkscope survey INPUT --gps LOG` — coverage along a route (TSB-88 style tiles).

use super::common::{print_warnings, progress, stream_warnings, SourceArgs};
use anyhow::{bail, Context};
use chrono::{DateTime, Duration, Utc};
use clap::Args;
use linkscope::dsp::Complex32;
use linkscope::io::atomic::write_atomic;
use linkscope::io::gps::gpsd::GpsdClient;
use linkscope::io::gps::{read_log, Fix};
use linkscope::io::recorder::Recorder;
use linkscope::io::sigmf_writer::SigmfHeader;
use linkscope::io::SampleFormat;
use linkscope::spectrum::plan::load_plan;
use linkscope::spectrum::power::ChannelMeter;
use linkscope::survey::{output, Survey, SurveyChannel, SurveyConfig, Track};
use linkscope::units;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct SurveyArgs {
    #[command(flatten)]
    input: SourceArgs,
    /// GPS log of the drive: NMEA 0183 (GGA/RMC) or .gpx
    #[arg(long, conflicts_with = "gpsd")]
    gps: Option<PathBuf>,
    /// Live positions from gpsd (HOST:PORT, usually 127.0.0.1:2947)
    #[arg(long)]
    gpsd: Option<String>,
    /// Channel to measure (repeatable); default: the capture's centre
    #[arg(short = 'f', long = "channel", value_parser = units::parse_hz)]
    channels: Vec<f64>,
    /// Channel plan file (CSV or TOML, as for scan) instead of -f
    #[arg(long, conflicts_with = "channels")]
    plan: Option<PathBuf>,
    /// Measured channel bandwidth
    #[arg(long, default_value = "12.5k", value_parser = units::parse_hz)]
    bw: f64,
    /// Service threshold: -105dBm (needs --cal-db) or -46dBFS
    #[arg(long, default_value = "-90dBFS", allow_hyphen_values = true, value_parser = parse_threshold)]
    threshold: (f64, &'static str),
    /// Calibration: dBm = dBFS + this
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    cal_db: Option<f64>,
    /// Tile edge, metres
    #[arg(long, default_value_t = 100.0)]
    tile: f64,
    /// Required covered-area reliability, %
    #[arg(long, default_value_t = 95.0)]
    reliability: f64,
    /// Confidence level, %
    #[arg(long, default_value_t = 95.0)]
    confidence: f64,
    /// Allowed sampling error of the reliability, %
    #[arg(long, default_value_t = 2.0)]
    sampling_error: f64,
    /// Pass/fail criterion: greater-than (lower confidence bound ≥ target) or simple
    #[arg(long, default_value = "greater-than", value_parser = ["greater-than", "simple"])]
    criterion: String,
    /// The channels are NBFM with a test tone: run the FM receiver on each and report SINAD and
    /// CNR per local mean and tile
    #[arg(long)]
    fm: bool,
    /// Judge local means on FM SINAD (dB) instead of the level (needs --fm)
    #[arg(long, requires = "fm", value_parser = units::parse_db)]
    sinad: Option<f64>,
    /// Share of a tile's local means that must meet the threshold, %
    #[arg(long, default_value_t = 50.0)]
    tile_pass: f64,
    /// Measurement frame
    #[arg(long, default_value = "10ms", value_parser = units::parse_seconds)]
    frame: f64,
    /// Known offset of the capture clock: added to sample times before joining with the GPS
    #[arg(long, default_value = "0s", allow_hyphen_values = true, value_parser = parse_signed_seconds)]
    gps_offset: f64,
    /// Longest interval between fixes that is interpolated
    #[arg(long, default_value = "5s", value_parser = units::parse_seconds)]
    max_gps_gap: f64,
    /// Live: also record the IQ (NAME.sigmf-*, cf32) and the positions (NAME.nmea)
    #[arg(long)]
    record: Option<PathBuf>,
    /// GeoJSON of tiles, local means and track
    #[arg(long)]
    geojson: Option<PathBuf>,
    /// KML (Google Earth), colour-coded
    #[arg(long)]
    kml: Option<PathBuf>,
    /// CSV, one row per local mean
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Map of tiles and track (PNG)
    #[arg(long)]
    png: Option<PathBuf>,
    /// Self-contained HTML report
    #[arg(long)]
    html: Option<PathBuf>,
    /// JSON summary on stdout
    #[arg(long)]
    json: bool,
    /// No progress, status line or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

fn parse_threshold(s: &str) -> Result<(f64, &'static str), String> {
    let t = s.trim();
    let (num, unit) = if let Some(n) = t.strip_suffix("dBm").or_else(|| t.strip_suffix("dbm")) {
        (n, "dBm")
    } else if let Some(n) = t.strip_suffix("dBFS").or_else(|| t.strip_suffix("dbfs")) {
        (n, "dBFS")
    } else {
        (t, "dBFS")
    };
    num.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .map(|v| (v, unit))
        .ok_or_else(|| format!("'{s}': expected a level such as -105dBm or -46dBFS"))
}

fn parse_signed_seconds(s: &str) -> Result<f64, String> {
    match s.trim().strip_prefix('-') {
        Some(r) => units::parse_seconds(r).map(|v| -v),
        None => units::parse_seconds(s),
    }
}

fn pct(v: f64, name: &str) -> anyhow::Result<f64> {
    if !(v > 0.0 && v < 100.0) {
        bail!("--{name} {v}: expected a percentage between 0 and 100");
    }
    Ok(v / 100.0)
}

/// NMEA GGA + RMC for a fix (the live survey's position log, replayable with --gps).
fn nmea_lines(f: &Fix) -> String {
    use linkscope::io::gps::nmea::sentence;
    let hms = format!(
        "{}.{:02}",
        f.time.format("%H%M%S"),
        f.time.timestamp_subsec_millis() / 10
    );
    let ll = linkscope::sim::drive::nmea_latlon(f.lat, f.lon);
    let q = if f.valid { 1 } else { 0 };
    format!(
        "{}\r\n{}\r\n",
        sentence(&format!(
            "GPGGA,{hms},{ll},{q},08,,{},M,,M,,",
            f.alt_m.map(|a| format!("{a:.1}")).unwrap_or_default()
        )),
        sentence(&format!(
            "GPRMC,{hms},{},{ll},{},,{},,,A",
            if f.valid { 'A' } else { 'V' },
            f.speed_mps
                .map(|v| format!("{:.2}", v / (1852.0 / 3600.0)))
                .unwrap_or_default(),
            f.time.format("%d%m%y")
        ))
    )
}

pub fn run(a: SurveyArgs) -> anyhow::Result<()> {
    let (threshold, unit) = a.threshold;
    if unit == "dBm" && a.cal_db.is_none() {
        bail!("--threshold {threshold}dBm needs --cal-db (the dBFS → dBm offset of your receiver chain)");
    }
    if !(a.tile > 0.0 && a.tile.is_finite()) {
        bail!("--tile {}: expected a positive size in metres", a.tile);
    }
    let cfg = SurveyConfig {
        tile_m: a.tile,
        threshold,
        threshold_unit: unit,
        cal_db: a.cal_db,
        max_gps_gap_s: a.max_gps_gap,
        gps_offset_s: a.gps_offset,
        reliability: pct(a.reliability, "reliability")?,
        confidence: pct(a.confidence, "confidence")?,
        sampling_error: pct(a.sampling_error, "sampling-error")?,
        tile_pass_fraction: pct(a.tile_pass, "tile-pass")?,
        sinad_threshold_db: a.sinad,
        criterion: if a.criterion == "simple" {
            "simple"
        } else {
            "greater-than"
        },
        ..SurveyConfig::default()
    };
    // Positions first: a bad log fails before any IQ is read.
    let (mut track, gps_name, mut gps_warnings) = match (&a.gps, &a.gpsd) {
        (Some(p), _) => {
            let log = read_log(p)?;
            (
                Track {
                    fixes: log.fixes,
                    max_gap_s: a.max_gps_gap,
                },
                p.display().to_string(),
                log.warnings,
            )
        }
        (None, Some(addr)) => (
            Track {
                fixes: Vec::new(),
                max_gap_s: a.max_gps_gap,
            },
            format!("gpsd {addr}"),
            Vec::new(),
        ),
        (None, None) => bail!("give the positions: --gps LOG (NMEA or GPX) or --gpsd HOST:PORT"),
    };
    let gpsd = match &a.gpsd {
        Some(addr) => Some(GpsdClient::connect(addr).map_err(anyhow::Error::msg)?),
        None => None,
    };
    let tune = a.channels.first().map(|f| f - a.input.device_rate() / 4.0);
    let mut input = a.input.open(tune, a.quiet)?;
    let info = input.info();
    let name = info.path.display().to_string();
    info.require_complex("the survey")?;
    let fs = info.sample_rate_hz;
    let fc = info.require_center_freq()?;
    let start: DateTime<Utc> = match info.datetime {
        Some(t) => t,
        None => bail!(
            "{name}: the capture has no start time (core:datetime), so its samples cannot be joined with GPS positions"
        ),
    };
    let chans: Vec<SurveyChannel> = if let Some(p) = &a.plan {
        load_plan(p, a.bw)?
            .into_iter()
            .map(|c| SurveyChannel {
                name: c.name.clone(),
                freq_hz: c.freq_hz,
                bandwidth_hz: c.bandwidth_hz,
            })
            .collect()
    } else if a.channels.is_empty() {
        if fs > 4.0 * a.bw {
            bail!(
                "{name}: a wideband capture ({:.3} MS/s): give the channel(s) with -f FREQ or --plan",
                fs / 1e6
            );
        }
        vec![SurveyChannel {
            name: "centre".into(),
            freq_hz: fc,
            bandwidth_hz: a.bw,
        }]
    } else {
        a.channels
            .iter()
            .map(|&f| SurveyChannel {
                name: format!("{} MHz", units::mhz(f)),
                freq_hz: f,
                bandwidth_hz: a.bw,
            })
            .collect()
    };
    let edges: Vec<(f64, f64)> = chans
        .iter()
        .map(|c| {
            (
                c.freq_hz - c.bandwidth_hz / 2.0,
                c.freq_hz + c.bandwidth_hz / 2.0,
            )
        })
        .collect();
    let mut meter =
        ChannelMeter::new(fs, fc, &edges, a.frame).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if let Some((t0, t1)) = track.span() {
        let end = start + Duration::milliseconds((info.duration_s().min(1e9) * 1e3) as i64);
        if !input.is_live() && (t1 < start || t0 > end) {
            bail!(
                "{}: the GPS log ({} … {}) does not overlap the capture ({} … {}): wrong log, or a clock offset to give with --gps-offset",
                gps_name,
                t0.to_rfc3339(),
                t1.to_rfc3339(),
                start.to_rfc3339(),
                end.to_rfc3339()
            );
        }
    }
    // Live recording alongside.
    let mut rec = match (&a.record, input.is_live()) {
        (Some(base), true) => Some((
            Recorder::create(
                base,
                SigmfHeader {
                    format: SampleFormat::Cf32Le,
                    sample_rate_hz: fs,
                    center_freq_hz: Some(fc),
                    datetime: Some(start),
                    description: Some("linkscope survey recording (positions in NAME.nmea)".into()),
                    hw: info.hw.clone(),
                    extra_global: Default::default(),
                },
                false,
            )
            .with_context(|| base.display().to_string())?,
            PathBuf::from(format!("{}.nmea", base.display())),
            String::new(),
        )),
        (Some(_), false) => {
            bail!("--record is for live surveys (--device); a capture is already recorded")
        }
        _ => None,
    };
    let frame_len = meter.frame_len();
    // FM receivers (--fm): one per channel, reporting every 0.5 s.
    let mut fm_rx = Vec::new();
    if a.fm {
        if !(a.bw == 12_500.0 || a.bw == 25_000.0) {
            bail!("--fm needs --bw 12.5k or 25k (the NBFM channel spacing)");
        }
        for c in &chans {
            let mut fc_cfg = linkscope::analog::rx::FmConfig::new(fs, c.freq_hz - fc, a.bw);
            fc_cfg.every_s = Some(0.5);
            fm_rx.push(
                linkscope::analog::rx::FmReceiver::new(fc_cfg)
                    .with_context(|| format!("{name}: FM receiver for {}", c.name))?,
            );
        }
    }
    let mut audio = Vec::new();
    let mut survey = Survey::new(
        cfg.clone(),
        chans.clone(),
        Track {
            fixes: Vec::new(),
            max_gap_s: a.max_gps_gap,
        },
        start,
    );
    std::mem::swap(survey.track_mut(), &mut track);
    survey.set_live(gpsd.is_some());
    let pb = progress(info.num_samples, a.quiet);
    let status = !a.quiet && input.is_live() && std::io::stderr().is_terminal();
    let mut last_status = std::time::Instant::now();
    let mut clock_note = false;
    let mut gps_lost: Option<String> = None;
    let mut buf = vec![Complex32::default(); 1 << 13];
    let mut bytes = Vec::new();
    loop {
        if let Some(g) = &gpsd {
            for (mut f, arrived) in g.take() {
                // A GPS clock far from the system clock (a replayed log, a receiver without a
                // time fix) would never line up with live samples: use the arrival time.
                if (f.time - arrived).num_milliseconds().abs() > 2000 {
                    if !clock_note {
                        clock_note = true;
                        gps_warnings.push(format!(
                            "the GPS time differs from the system clock by {:.1} s: positions joined by arrival time",
                            (f.time - arrived).num_milliseconds() as f64 / 1e3
                        ));
                    }
                    f.time = arrived;
                }
                if let Some((_, _, log)) = rec.as_mut() {
                    log.push_str(&nmea_lines(&f));
                }
                let tr = survey.track_mut();
                if tr.fixes.last().is_none_or(|l| f.time > l.time) {
                    tr.fixes.push(f);
                }
            }
            if !g.alive() {
                gps_lost = Some(g.error().unwrap_or_else(|| "gpsd went away".into()));
                break;
            }
        }
        let n = input.read_complex(&mut buf)?;
        if n == 0 {
            break;
        }
        let gap = input.take_gap();
        let first = input.position() - n as u64;
        if gap > 0 {
            meter.reset();
            survey.gap();
        }
        for rx in fm_rx.iter_mut() {
            if gap > 0 {
                rx.gap(gap as f64 / fs);
            }
            rx.process(&buf[..n], &mut audio);
            audio.clear();
        }
        if let Some((r, _, _)) = rec.as_mut() {
            bytes.clear();
            linkscope::dsp::convert::from_complex(SampleFormat::Cf32Le, &buf[..n], &mut bytes);
            r.write_block(
                &bytes,
                gap,
                start + Duration::nanoseconds((first as f64 / fs * 1e9) as i64),
            )?;
        }
        meter.process(&buf[..n], |end, p| {
            let centre = first as f64 + end as f64 - frame_len as f64 / 2.0;
            survey.frame(centre / fs, p);
        });
        pb.inc(n as u64);
        if status && last_status.elapsed().as_secs_f64() >= 1.0 {
            last_status = std::time::Instant::now();
            let res = survey.channel_results();
            let last = survey.local_means().last();
            eprint!(
                "\r{:.0} s  {}  last local mean {}  tiles {}/{} pass   ",
                input.position() as f64 / fs,
                survey
                    .track()
                    .fixes
                    .last()
                    .map(|f| format!("{:.5},{:.5}", f.lat, f.lon))
                    .unwrap_or_else(|| "no position".into()),
                last.map(|m| format!("{:.1} dBFS", m.local_mean_dbfs))
                    .unwrap_or_else(|| "–".into()),
                res[0].tiles_passed,
                res[0].tiles_tested
            );
        }
    }
    pb.finish_and_clear();
    if status {
        eprintln!();
    }
    let mut warnings = gps_warnings;
    warnings.extend(info.warnings.iter().cloned());
    let dropped = stream_warnings(&mut input, fs, &mut warnings);
    if let Some(e) = &gps_lost {
        warnings.push(format!(
            "{e}: the survey stopped at {:.1} s; everything measured until then is in the outputs",
            input.position() as f64 / fs
        ));
    }
    survey.flush(true);
    let dur = input.position() as f64 / fs;
    for (c, rx) in fm_rx.into_iter().enumerate() {
        let res = rx.finish(dur);
        let iv: Vec<_> = res
            .intervals
            .iter()
            .map(|i| (i.t_s, 0.5, i.sinad_db, i.cnr_db))
            .collect();
        survey.attach_fm(c, &iv);
    }
    let report = survey.finish(&name, &gps_name, a.frame, dropped, warnings);
    if let Some((r, nmea, log)) = rec.take() {
        write_atomic(&nmea, log.as_bytes()).with_context(|| nmea.display().to_string())?;
        r.finish(gps_lost.as_deref())?;
    }
    let means = survey.local_means();
    let fixes = &survey.track().fixes;
    let grid = survey.grid();
    write_outputs(&a, &report, means, grid, fixes)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_summary(&report);
        print_warnings(&report.warnings, a.quiet);
    }
    match gps_lost {
        Some(e) => Err(anyhow::anyhow!(
            "{e}: survey stopped early; outputs hold what was measured"
        )),
        None => Ok(()),
    }
}

fn write_outputs(
    a: &SurveyArgs,
    r: &linkscope::survey::SurveyReport,
    means: &[linkscope::survey::LocalMean],
    grid: Option<linkscope::survey::geo::Grid>,
    fixes: &[Fix],
) -> anyhow::Result<()> {
    let put =
        |p: &Path, s: &str| write_atomic(p, s.as_bytes()).with_context(|| p.display().to_string());
    if let Some(p) = &a.csv {
        put(p, &output::csv(r, means))?;
    }
    let Some(grid) = grid else {
        if a.geojson.is_some() || a.kml.is_some() || a.png.is_some() || a.html.is_some() {
            bail!("no valid GPS position joined any sample: no map output can be drawn");
        }
        return Ok(());
    };
    if let Some(p) = &a.geojson {
        put(p, &output::geojson(r, means, &grid, fixes))?;
    }
    if let Some(p) = &a.kml {
        put(p, &output::kml(r, &grid, fixes))?;
    }
    let has_tiles = r.tiles_tested > 0;
    if let Some(p) = &a.png {
        linkscope::report::plot::survey_png(p, r, means, &grid, fixes)?;
    }
    if let Some(p) = &a.html {
        let png = if has_tiles {
            let tmp = tempfile_path(p);
            linkscope::report::plot::survey_png(&tmp, r, means, &grid, fixes)?;
            let b = std::fs::read(&tmp).with_context(|| tmp.display().to_string())?;
            let _ = std::fs::remove_file(&tmp);
            Some(b)
        } else {
            None
        };
        put(p, &output::html(r, means, png.as_deref()))?;
    }
    Ok(())
}

fn tempfile_path(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    p.with_file_name(format!(".{name}.map-{}.png", std::process::id()))
}

fn print_summary(r: &linkscope::survey::SurveyReport) {
    println!(
        "{} + {}: {:.1} s, {} frames; threshold {} {}; tiles of {} m",
        r.input,
        r.gps,
        r.duration_s,
        r.frames,
        r.config.threshold,
        r.config.threshold_unit,
        r.config.tile_m
    );
    for c in &r.channels {
        println!(
            "  {:.6} MHz: {} local means (window {:.1} m); {} of {} tiles pass = {:.1} % covered-area reliability, {:.0} % interval {:.1}–{:.1} %; target {:.0} % ({}): {}; {} tiles needed{}",
            c.channel.freq_hz / 1e6,
            c.local_means,
            c.window_m,
            c.tiles_passed,
            c.tiles_tested,
            c.covered_area_reliability_pct,
            r.confidence_pct,
            c.reliability_interval_pct[0],
            c.reliability_interval_pct[1],
            r.target_reliability_pct,
            r.config.criterion,
            if c.meets_target { "met" } else { "NOT met" },
            c.tiles_needed,
            if c.enough_tiles { "" } else { " (not enough tested)" }
        );
        println!(
            "    discarded windows: {} cut by GPS gaps, {} stationary, {} undersampled",
            c.windows_cut_by_gps, c.windows_stationary, c.windows_undersampled
        );
    }
}
