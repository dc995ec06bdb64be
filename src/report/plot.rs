//! Spectrum and waterfall plots of a band scan.

use crate::io::atomic::AtomicFile;
use crate::spectrum::scan::{ScanReport, ScanSpectra};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::path::Path;
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans.LICENSE`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

fn ensure_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded font is valid; a failure here would be a build defect.
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// A plotting failure (the message names the output file).
#[derive(Debug, thiserror::Error)]
#[error("{path}: cannot draw the plot: {msg}")]
pub struct PlotError {
    path: String,
    msg: String,
}

fn perr(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError {
        path: path.display().to_string(),
        msg: e.to_string(),
    }
}

/// Mean and peak-hold spectrum over the usable band, channels with a signal shaded, the
/// occupancy threshold drawn.
pub fn spectrum_png(
    path: &Path,
    report: &ScanReport,
    spectra: &ScanSpectra,
) -> Result<(), PlotError> {
    ensure_font();
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (1400, 700)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let f = &spectra.freqs_hz;
        if f.len() < 2 {
            return Err(perr(path, "no spectrum to draw"));
        }
        let (x0, x1) = (f[0] / 1e6, f[f.len() - 1] / 1e6);
        let bin_floor = report.noise_density_dbfs_per_hz + 10.0 * report.bin_hz.log10();
        let ymax = spectra
            .peak_dbfs
            .iter()
            .fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        let (y0, y1) = (
            (bin_floor - 15.0).floor(),
            (ymax + 10.0).ceil().max(bin_floor + 30.0),
        );
        let title = format!(
            "{} — {:.4} MHz ± {:.0} kHz, {:.1} s",
            report.input,
            report.center_freq_hz / 1e6,
            report.sample_rate_hz / 2e3,
            report.duration_s
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(|e| perr(path, e))?;
        chart
            .configure_mesh()
            .x_desc("Frequency (MHz)")
            .y_desc(format!("Power per bin (dBFS, RBW {:.0} Hz)", report.bin_hz))
            .x_label_formatter(&|v| format!("{v:.3}"))
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(|e| perr(path, e))?;
        for c in report.channels.iter().filter(|c| c.signal) {
            let (a, b) = (
                (c.freq_hz - c.bandwidth_hz / 2.0) / 1e6,
                (c.freq_hz + c.bandwidth_hz / 2.0) / 1e6,
            );
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a, y0), (b, y1)],
                    RGBColor(60, 170, 80).mix(0.18).filled(),
                )))
                .map_err(|e| perr(path, e))?;
        }
        let peak = RGBColor(230, 120, 60);
        chart
            .draw_series(LineSeries::new(
                f.iter()
                    .zip(&spectra.peak_dbfs)
                    .map(|(&x, &y)| (x / 1e6, y as f64)),
                peak.mix(0.8),
            ))
            .map_err(|e| perr(path, e))?
            .label("peak hold")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], peak));
        let mean = RGBColor(30, 80, 200);
        chart
            .draw_series(LineSeries::new(
                f.iter()
                    .zip(&spectra.mean_dbfs)
                    .map(|(&x, &y)| (x / 1e6, y as f64)),
                mean.stroke_width(1),
            ))
            .map_err(|e| perr(path, e))?
            .label("mean")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], mean));
        let thr = bin_floor + report.threshold_db;
        chart
            .draw_series(LineSeries::new(
                vec![(x0, bin_floor), (x1, bin_floor)],
                BLACK.mix(0.6),
            ))
            .map_err(|e| perr(path, e))?
            .label(format!(
                "noise floor ({:.1} dBFS / {:.1} kHz)",
                report.noise_floor_dbfs,
                report.noise_floor_bandwidth_hz / 1e3
            ))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.6)));
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x0, thr), (x1, thr)],
                6,
                4,
                RED.mix(0.7).into(),
            ))
            .map_err(|e| perr(path, e))?
            .label(format!("occupancy threshold (+{} dB)", report.threshold_db))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.mix(0.7)));
        // Channel ticks along the bottom (every channel of the plan).
        if report.channels.len() <= 2000 {
            chart
                .draw_series(report.channels.iter().map(|c| {
                    let x = c.freq_hz / 1e6;
                    let col = if c.signal {
                        RGBColor(40, 140, 60)
                    } else {
                        RGBColor(150, 150, 150)
                    };
                    PathElement::new(vec![(x, y0), (x, y0 + 2.0)], col)
                }))
                .map_err(|e| perr(path, e))?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 15))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| perr(path, e))?;
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// Map 0..1 to a perceptually ordered colour (a viridis-like ramp).
fn ramp(t: f64) -> RGBColor {
    const STOPS: [(f64, (u8, u8, u8)); 6] = [
        (0.0, (13, 8, 50)),
        (0.2, (59, 28, 140)),
        (0.4, (33, 110, 150)),
        (0.6, (32, 165, 130)),
        (0.8, (140, 210, 70)),
        (1.0, (250, 235, 40)),
    ];
    let t = t.clamp(0.0, 1.0);
    for w in STOPS.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if t <= b {
            let u = (t - a) / (b - a);
            let mix = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * u).round() as u8;
            return RGBColor(mix(ca.0, cb.0), mix(ca.1, cb.1), mix(ca.2, cb.2));
        }
    }
    RGBColor(250, 235, 40)
}

/// Waterfall: frequency (MHz) across, time (s) down, colour = dBFS per bin, with a colour bar.
pub fn waterfall_png(
    path: &Path,
    report: &ScanReport,
    spectra: &ScanSpectra,
) -> Result<(), PlotError> {
    ensure_font();
    let wf = spectra
        .waterfall
        .as_ref()
        .ok_or_else(|| perr(path, "no waterfall was kept"))?;
    let (rows, cols) = wf.dim();
    if rows == 0 || cols == 0 || spectra.freqs_hz.len() < 2 {
        return Err(perr(
            path,
            "the input is too short for a waterfall (no complete row)",
        ));
    }
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (1400, 900)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let (main, bar) = root.split_horizontally(1250);
        let f = &spectra.freqs_hz;
        let (x0, x1) = (f[0] / 1e6, f[f.len() - 1] / 1e6);
        let t1 = rows as f64 * spectra.waterfall_row_s;
        let bin_floor = report.noise_density_dbfs_per_hz + 10.0 * report.bin_hz.log10();
        let zmin = bin_floor - 5.0;
        let zmax = wf.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
        let zmax = zmax.max(zmin + 20.0);
        let mut chart = ChartBuilder::on(&main)
            .caption(
                format!(
                    "{} — waterfall, {:.0} ms per row",
                    report.input,
                    spectra.waterfall_row_s * 1e3
                ),
                ("sans-serif", 22),
            )
            .margin(12)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, t1..0.0)
            .map_err(|e| perr(path, e))?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("Frequency (MHz)")
            .y_desc("Time (s)")
            .x_label_formatter(&|v| format!("{v:.3}"))
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .draw()
            .map_err(|e| perr(path, e))?;
        let dx = (x1 - x0) / cols as f64;
        let dt = spectra.waterfall_row_s;
        chart
            .draw_series(wf.indexed_iter().map(|((r, c), &v)| {
                let t = (v as f64 - zmin) / (zmax - zmin);
                let xa = x0 + c as f64 * dx;
                Rectangle::new(
                    [(xa, r as f64 * dt), (xa + dx, (r + 1) as f64 * dt)],
                    ramp(t).filled(),
                )
            }))
            .map_err(|e| perr(path, e))?;
        let mut cb = ChartBuilder::on(&bar)
            .margin_top(50)
            .margin_bottom(62)
            .margin_right(8)
            .y_label_area_size(60)
            .caption("dBFS", ("sans-serif", 16))
            .build_cartesian_2d(0.0..1.0, zmin..zmax)
            .map_err(|e| perr(path, e))?;
        cb.configure_mesh()
            .disable_mesh()
            .disable_x_axis()
            .label_style(("sans-serif", 14))
            .draw()
            .map_err(|e| perr(path, e))?;
        let steps = 200;
        cb.draw_series((0..steps).map(|i| {
            let a = zmin + (zmax - zmin) * i as f64 / steps as f64;
            let b = zmin + (zmax - zmin) * (i + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], ramp(i as f64 / steps as f64).filled())
        }))
        .map_err(|e| perr(path, e))?;
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// The FM receiver's picture: the averaged audio spectrum (top) and the peak deviation per
/// 10 ms over time with the permissible maximum (bottom).
pub fn fm_png(
    path: &Path,
    psd_db: &[(f64, f64)],
    trace: &[(f64, f32)],
    max_dev_hz: f64,
    title: &str,
) -> Result<(), PlotError> {
    ensure_font();
    if psd_db.len() < 2 && trace.len() < 2 {
        return Err(perr(path, "nothing was measured (squelch never opened)"));
    }
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (1200, 900)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| perr(path, e))?;
        let (top, bottom) = root.split_vertically(430);
        let fmax = psd_db.last().map(|p| p.0).unwrap_or(4000.0).max(1.0);
        let ymax = psd_db.iter().fold(f64::NEG_INFINITY, |a, p| a.max(p.1));
        let ymax = if ymax.is_finite() {
            (ymax / 10.0).ceil() * 10.0 + 5.0
        } else {
            60.0
        };
        let mut c = ChartBuilder::on(&top)
            .caption("Demodulated audio spectrum", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..fmax, (ymax - 90.0)..ymax)
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc("audio frequency, Hz")
            .y_desc("dB (Hz² of deviation per bin)")
            .draw()
            .map_err(|e| perr(path, e))?;
        c.draw_series(LineSeries::new(psd_db.iter().copied(), &BLUE))
            .map_err(|e| perr(path, e))?;
        let t1 = trace.last().map(|p| p.0).unwrap_or(1.0).max(0.01);
        let dmax = trace.iter().fold(max_dev_hz, |a, p| a.max(p.1 as f64)) * 1.1;
        let mut c = ChartBuilder::on(&bottom)
            .caption("Peak deviation per 10 ms", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t1, 0.0..dmax)
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc("time, s")
            .y_desc("deviation, Hz")
            .draw()
            .map_err(|e| perr(path, e))?;
        c.draw_series(LineSeries::new(
            trace.iter().map(|p| (p.0, p.1 as f64)),
            &BLUE,
        ))
        .map_err(|e| perr(path, e))?;
        c.draw_series(LineSeries::new(
            [(0.0, max_dev_hz), (t1, max_dev_hz)],
            RED.stroke_width(2),
        ))
        .map_err(|e| perr(path, e))?
        .label("maximum permissible deviation");
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// Survey map: tiles filled by their median level (colour scale, outlined green when they pass,
/// red when they fail), the local means as dots on the same scale, the track in grey, and a
/// legend bar. Axes in metres east/north of the grid origin.
pub fn survey_png(
    path: &Path,
    r: &crate::survey::SurveyReport,
    means: &[crate::survey::LocalMean],
    grid: &crate::survey::geo::Grid,
    fixes: &[crate::io::gps::Fix],
) -> Result<(), PlotError> {
    ensure_font();
    let ch = r.channels.first().ok_or_else(|| perr(path, "no channel"))?;
    if ch.tiles.is_empty() {
        return Err(perr(path, "no tile was measured: nothing to map"));
    }
    let unit = r.config.threshold_unit;
    let level = |dbfs: f64| {
        dbfs + if unit == "dBm" {
            r.config.cal_db.unwrap_or(0.0)
        } else {
            0.0
        }
    };
    let pts: Vec<(f64, f64)> = fixes
        .iter()
        .filter(|f| f.valid)
        .map(|f| grid.xy(f.lat, f.lon))
        .collect();
    let ts = grid.tile_m;
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for t in &ch.tiles {
        x0 = x0.min(t.tile.0 as f64 * ts);
        x1 = x1.max((t.tile.0 + 1) as f64 * ts);
        y0 = y0.min(t.tile.1 as f64 * ts);
        y1 = y1.max((t.tile.1 + 1) as f64 * ts);
    }
    for &(x, y) in &pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let pad = ts * 0.5;
    let (x0, x1, y0, y1) = (x0 - pad, x1 + pad, y0 - pad, y1 + pad);
    let lv: Vec<f64> = ch.tiles.iter().map(|t| t.median_level).collect();
    let lo = lv
        .iter()
        .cloned()
        .fold(f64::MAX, f64::min)
        .min(r.config.threshold - 10.0);
    let hi = lv
        .iter()
        .cloned()
        .fold(f64::MIN, f64::max)
        .max(r.config.threshold + 10.0);
    let col = |v: f64| ramp(((v - lo) / (hi - lo)).clamp(0.0, 1.0));
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (1200, 1000)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let title = format!(
            "Coverage {:.6} MHz — {} of {} tiles pass ({:.1} %), threshold {} {unit}",
            ch.channel.freq_hz / 1e6,
            ch.tiles_passed,
            ch.tiles_tested,
            ch.covered_area_reliability_pct,
            r.config.threshold
        );
        let root = root
            .titled(&title, ("sans-serif", 22))
            .map_err(|e| perr(path, e))?;
        let (map, legend) = root.split_horizontally(1040);
        // Equal scale on both axes.
        let span = (x1 - x0).max(y1 - y0);
        let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let mut c = ChartBuilder::on(&map)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(
                cx - span / 2.0..cx + span / 2.0,
                cy - span / 2.0..cy + span / 2.0,
            )
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc(format!("m east of {:.4}°, {:.4}°", grid.lat0, grid.lon0))
            .y_desc("m north")
            .draw()
            .map_err(|e| perr(path, e))?;
        for t in &ch.tiles {
            let (a, b) = (
                (t.tile.0 as f64 * ts, t.tile.1 as f64 * ts),
                ((t.tile.0 + 1) as f64 * ts, (t.tile.1 + 1) as f64 * ts),
            );
            c.draw_series([Rectangle::new(
                [a, b],
                col(t.median_level).mix(0.55).filled(),
            )])
            .map_err(|e| perr(path, e))?;
            let edge = if t.passed { GREEN } else { RED };
            c.draw_series([Rectangle::new([a, b], edge.stroke_width(2))])
                .map_err(|e| perr(path, e))?;
        }
        c.draw_series(
            pts.iter()
                .map(|&p| Circle::new(p, 1, RGBColor(120, 120, 120).filled())),
        )
        .map_err(|e| perr(path, e))?;
        c.draw_series(means.iter().filter(|m| m.channel == 0).map(|m| {
            Circle::new(
                grid.xy(m.lat, m.lon),
                4,
                col(level(m.local_mean_dbfs)).filled(),
            )
        }))
        .map_err(|e| perr(path, e))?;
        // Legend: the colour scale with the threshold marked.
        let mut l = ChartBuilder::on(&legend)
            .margin_top(40)
            .margin_bottom(52)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..1.0, lo..hi)
            .map_err(|e| perr(path, e))?;
        l.configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .y_desc(format!("median local mean, {unit}"))
            .draw()
            .map_err(|e| perr(path, e))?;
        let steps = 100;
        l.draw_series((0..steps).map(|k| {
            let v0 = lo + (hi - lo) * k as f64 / steps as f64;
            let v1 = lo + (hi - lo) * (k + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, v0), (1.0, v1)], col(v0).filled())
        }))
        .map_err(|e| perr(path, e))?;
        l.draw_series([PathElement::new(
            vec![(0.0, r.config.threshold), (1.0, r.config.threshold)],
            BLACK.stroke_width(3),
        )])
        .map_err(|e| perr(path, e))?;
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// PDT/DMR analyser plot: eye diagram of the matched-filter output (two symbols wide, in
/// symbol units, ideal levels ±1/±3 marked), the histogram of the symbol-instant values, and
/// the deviation of each validated burst over time.
pub fn pdt_png(
    path: &Path,
    mon: &crate::pdt::monitor::Monitor,
    title: &str,
) -> Result<(), PlotError> {
    ensure_font();
    if mon.eye.is_empty() {
        return Err(perr(
            path,
            "no burst was decoded, so there is no eye to draw",
        ));
    }
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (1200, 900)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| perr(path, e))?;
        let (top, bottom) = root.split_vertically(480);
        let (eye_area, hist_area) = top.split_horizontally(700);
        let mut c = ChartBuilder::on(&eye_area)
            .caption("Eye diagram (matched filter)", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-1.0f64..1.0, -5.0f64..5.0)
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc("time, symbols")
            .y_desc("level, symbol units")
            .draw()
            .map_err(|e| perr(path, e))?;
        let colour = BLUE.mix(0.08);
        for e in mon.eye.iter().take(80) {
            for s in 1..131usize {
                let pts = (0..=16).map(|j| {
                    let i = (s - 1) * 8 + j;
                    ((j as f64 - 8.0) / 8.0, e[i] as f64)
                });
                c.draw_series(LineSeries::new(pts, colour))
                    .map_err(|e| perr(path, e))?;
            }
        }
        for l in [-3.0, -1.0, 1.0, 3.0] {
            c.draw_series(LineSeries::new([(-1.0, l), (1.0, l)], RED.mix(0.6)))
                .map_err(|e| perr(path, e))?;
        }
        // Histogram of symbol-instant values.
        let bins = 100usize;
        let mut h = vec![0u64; bins];
        for &v in &mon.symbols {
            let b = ((v as f64 + 5.0) / 10.0 * bins as f64).floor();
            if b >= 0.0 && (b as usize) < bins {
                h[b as usize] += 1;
            }
        }
        let hmax = h.iter().copied().max().unwrap_or(1).max(1) as f64;
        let mut c = ChartBuilder::on(&hist_area)
            .caption("Symbol histogram", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(0.0..hmax * 1.05, -5.0f64..5.0)
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc("symbols")
            .y_desc("level, symbol units")
            .draw()
            .map_err(|e| perr(path, e))?;
        c.draw_series(h.iter().enumerate().map(|(i, &n)| {
            let y0 = -5.0 + 10.0 * i as f64 / bins as f64;
            Rectangle::new(
                [(0.0, y0), (n as f64, y0 + 10.0 / bins as f64)],
                BLUE.filled(),
            )
        }))
        .map_err(|e| perr(path, e))?;
        // Deviation over time.
        let t1 = mon.deviation.last().map(|p| p.0).unwrap_or(1.0).max(0.01);
        let (lo, hi) = if mon.deviation_in_hz {
            (1944.0 * 0.8, 1944.0 * 1.2)
        } else {
            (80.0, 120.0)
        };
        let mut c = ChartBuilder::on(&bottom)
            .caption(
                if mon.deviation_in_hz {
                    "Outer-symbol deviation per burst (nominal 1944 Hz and ±10 % in red)"
                } else {
                    "Relative deviation per burst (discriminator audio: %)"
                },
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..t1, lo..hi)
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc("time, s")
            .y_desc(if mon.deviation_in_hz {
                "deviation, Hz"
            } else {
                "%"
            })
            .draw()
            .map_err(|e| perr(path, e))?;
        c.draw_series(
            mon.deviation
                .iter()
                .map(|&(t, d)| Circle::new((t, d.clamp(lo, hi)), 2, BLUE.filled())),
        )
        .map_err(|e| perr(path, e))?;
        if mon.deviation_in_hz {
            for l in [1944.0 * 0.9, 1944.0, 1944.0 * 1.1] {
                c.draw_series(LineSeries::new([(0.0, l), (t1, l)], RED.mix(0.5)))
                    .map_err(|e| perr(path, e))?;
            }
        }
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// An x–y line chart written atomically (shared by the COFDM impulse-response and per-carrier
/// MER plots); `marks` are vertical red lines at those x values.
fn xy_png(
    path: &Path,
    title: &str,
    caption: &str,
    (xd, yd): (&str, &str),
    pts: &[(f64, f64)],
    y_range: std::ops::Range<f64>,
    marks: &[f64],
) -> Result<(), PlotError> {
    ensure_font();
    if pts.is_empty() {
        return Err(perr(path, "nothing to draw"));
    }
    let x0 = pts.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let x1 = pts
        .iter()
        .map(|p| p.0)
        .fold(f64::NEG_INFINITY, f64::max)
        .max(x0 + 1e-9);
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (1100, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| perr(path, e))?;
        let mut c = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(x0..x1, y_range.clone())
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc(xd)
            .y_desc(yd)
            .draw()
            .map_err(|e| perr(path, e))?;
        let (lo, hi) = (y_range.start, y_range.end);
        c.draw_series(LineSeries::new(
            pts.iter().map(|&(x, y)| (x, y.clamp(lo, hi))),
            BLUE,
        ))
        .map_err(|e| perr(path, e))?;
        for &m in marks {
            c.draw_series(LineSeries::new([(m, lo), (m, hi)], RED.mix(0.6)))
                .map_err(|e| perr(path, e))?;
        }
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// COFDM constellation of equalised data cells (energy-normalised).
pub fn constellation_png(
    path: &Path,
    points: &[num_complex::Complex32],
    title: &str,
) -> Result<(), PlotError> {
    ensure_font();
    let out = AtomicFile::reserve(path);
    {
        let root = BitMapBackend::new(out.temp_path(), (800, 800)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| perr(path, e))?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| perr(path, e))?;
        let mut c = ChartBuilder::on(&root)
            .caption("Equalised data cells", ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-1.6f64..1.6, -1.6f64..1.6)
            .map_err(|e| perr(path, e))?;
        c.configure_mesh()
            .x_desc("I")
            .y_desc("Q")
            .draw()
            .map_err(|e| perr(path, e))?;
        c.draw_series(
            points
                .iter()
                .filter(|z| z.re.abs() < 1.6 && z.im.abs() < 1.6)
                .map(|z| Circle::new((z.re as f64, z.im as f64), 1, BLUE.mix(0.5).filled())),
        )
        .map_err(|e| perr(path, e))?;
        root.present().map_err(|e| perr(path, e))?;
    }
    out.commit().map_err(|e| perr(path, e))
}

/// Channel impulse response (dB re the strongest path) against delay, guard interval marked.
pub fn impulse_png(
    path: &Path,
    cir: &[(f64, f64)],
    guard_us: f64,
    title: &str,
) -> Result<(), PlotError> {
    xy_png(
        path,
        title,
        "Channel impulse response (guard interval in red)",
        ("delay, µs", "level, dB"),
        cir,
        -50.0..3.0,
        &[-guard_us, guard_us],
    )
}

/// MER per carrier (dB) against frequency offset from the centre (kHz).
pub fn mer_carriers_png(path: &Path, mer: &[(f64, f64)], title: &str) -> Result<(), PlotError> {
    let hi = mer.iter().map(|p| p.1).fold(0.0, f64::max) + 5.0;
    xy_png(
        path,
        title,
        "MER per carrier",
        ("frequency, kHz", "MER, dB"),
        mer,
        0.0..hi.max(10.0),
        &[],
    )
}
