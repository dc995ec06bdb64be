//! Survey outputs: CSV (one row per local mean), GeoJSON (tiles, local means, track), KML
//! (colour-coded for Google Earth) and a self-contained HTML report. Each is built in memory and
//! written atomically by the caller.

use super::geo::Grid;
use super::{SurveyReport, TileReport};
use crate::io::gps::Fix;
use serde_json::{json, Value};
use std::fmt::Write;

/// CSV: `time_utc,lat,lon,channel_mhz,samples,distance_m,duration_s,speed_mps,start_s,end_s,
/// local_mean_dbfs,[local_mean_dbm,]meets_threshold,tile_e,tile_n` (`start_s`/`end_s`: the
/// window's first and last frame, seconds from the input's start).
pub fn csv(r: &SurveyReport, means: &[super::LocalMean]) -> String {
    let dbm = r.config.cal_db.is_some();
    let mut s = String::from(
        "time_utc,lat,lon,channel_mhz,samples,distance_m,duration_s,speed_mps,start_s,end_s,local_mean_dbfs",
    );
    if dbm {
        s.push_str(",local_mean_dbm");
    }
    let fm = means
        .iter()
        .any(|m| m.sinad_db.is_some() || m.cnr_db.is_some());
    if fm {
        s.push_str(",sinad_db,cnr_db");
    }
    s.push_str(",meets_threshold,tile_e,tile_n\n");
    for m in means {
        let _ = write!(
            s,
            "{},{:.7},{:.7},{:.6},{},{},{},{},{},{},{}",
            m.time_utc,
            m.lat,
            m.lon,
            r.channels[m.channel].channel.freq_hz / 1e6,
            m.samples,
            m.distance_m,
            m.duration_s,
            m.speed_mps,
            m.start_s,
            m.end_s,
            m.local_mean_dbfs
        );
        if let Some(v) = m.local_mean_dbm.filter(|_| dbm) {
            let _ = write!(s, ",{v}");
        }
        if fm {
            let o = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
            let _ = write!(s, ",{},{}", o(m.sinad_db), o(m.cnr_db));
        }
        let _ = writeln!(s, ",{},{},{}", m.meets_threshold, m.tile.0, m.tile.1);
    }
    s
}

/// Track pieces between gaps (fixes more than `max_gap_s` apart or without a fix end a piece).
pub fn track_pieces(fixes: &[Fix], max_gap_s: f64) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur: Vec<(f64, f64)> = Vec::new();
    let mut last: Option<&Fix> = None;
    for f in fixes {
        let joined = last.is_some_and(|l| {
            l.valid && f.valid && (f.time - l.time).num_milliseconds() as f64 / 1e3 <= max_gap_s
        });
        if !joined && cur.len() > 1 {
            out.push(std::mem::take(&mut cur));
        } else if !joined {
            cur.clear();
        }
        if f.valid {
            cur.push((f.lat, f.lon));
        }
        last = Some(f);
    }
    if cur.len() > 1 {
        out.push(cur);
    }
    out
}

fn ring_json(grid: &Grid, t: (i64, i64)) -> Value {
    json!([grid
        .tile_ring(t)
        .iter()
        .map(|&(la, lo)| json!([round7(lo), round7(la)]))
        .collect::<Vec<_>>()])
}

fn round7(x: f64) -> f64 {
    (x * 1e7).round() / 1e7
}

/// GeoJSON FeatureCollection: one Polygon per tile and channel, one Point per local mean, one
/// LineString per unbroken piece of track. Every feature has a `kind` property.
pub fn geojson(r: &SurveyReport, means: &[super::LocalMean], grid: &Grid, fixes: &[Fix]) -> String {
    let mut feats = Vec::new();
    for (c, ch) in r.channels.iter().enumerate() {
        for t in &ch.tiles {
            feats.push(json!({
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": ring_json(grid, t.tile)},
                "properties": tile_props(r, c, t),
            }));
        }
    }
    for m in means {
        feats.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round7(m.lon), round7(m.lat)]},
            "properties": {
                "kind": "local_mean",
                "channel_mhz": r.channels[m.channel].channel.freq_hz / 1e6,
                "time_utc": m.time_utc,
                "samples": m.samples,
                "local_mean_dbfs": m.local_mean_dbfs,
                "local_mean_dbm": m.local_mean_dbm,
                "meets_threshold": m.meets_threshold,
            },
        }));
    }
    for piece in track_pieces(fixes, r.config.max_gps_gap_s) {
        feats.push(json!({
            "type": "Feature",
            "geometry": {"type": "LineString", "coordinates":
                piece.iter().map(|&(la, lo)| json!([round7(lo), round7(la)])).collect::<Vec<_>>()},
            "properties": {"kind": "track", "points": piece.len()},
        }));
    }
    serde_json::to_string(&json!({"type": "FeatureCollection", "features": feats}))
        .unwrap_or_default()
}

fn tile_props(r: &SurveyReport, c: usize, t: &TileReport) -> Value {
    json!({
        "kind": "tile",
        "channel_mhz": r.channels[c].channel.freq_hz / 1e6,
        "tile_e": t.tile.0,
        "tile_n": t.tile.1,
        "local_means": t.local_means,
        "mean_level": t.mean_level,
        "median_level": t.median_level,
        "p10_level": t.p10_level,
        "unit": r.config.threshold_unit,
        "meeting_threshold_pct": t.meeting_threshold_pct,
        "passed": t.passed,
    })
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// KML: a folder of tiles (green pass / red fail, half transparent), a folder of local means
/// and the track.
pub fn kml(r: &SurveyReport, grid: &Grid, fixes: &[Fix]) -> String {
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<kml xmlns=\"http://www.opengis.net/kml/2.2\"><Document>\n<name>linkscope survey</name>\n\
<Style id=\"pass\"><LineStyle><color>ff00aa00</color></LineStyle><PolyStyle><color>8000cc00</color></PolyStyle></Style>\n\
<Style id=\"fail\"><LineStyle><color>ff0000cc</color></LineStyle><PolyStyle><color>800000ff</color></PolyStyle></Style>\n\
<Style id=\"track\"><LineStyle><color>ffff0000</color><width>2</width></LineStyle></Style>\n",
    );
    for ch in &r.channels {
        let _ = writeln!(
            s,
            "<Folder><name>tiles {:.6} MHz</name>",
            ch.channel.freq_hz / 1e6
        );
        for t in &ch.tiles {
            let coords: Vec<String> = grid
                .tile_ring(t.tile)
                .iter()
                .map(|&(la, lo)| format!("{:.7},{:.7},0", lo, la))
                .collect();
            let _ = writeln!(
                s,
                "<Placemark><name>{} {}/{}</name><description>{}</description><styleUrl>#{}</styleUrl><Polygon><outerBoundaryIs><LinearRing><coordinates>{}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>",
                if t.passed { "pass" } else { "fail" },
                t.tile.0,
                t.tile.1,
                xml(&format!(
                    "{} local means, median {:.1} {}, {:.0} % meeting {} {}",
                    t.local_means,
                    t.median_level,
                    r.config.threshold_unit,
                    t.meeting_threshold_pct,
                    r.config.threshold,
                    r.config.threshold_unit
                )),
                if t.passed { "pass" } else { "fail" },
                coords.join(" ")
            );
        }
        s.push_str("</Folder>\n");
    }
    s.push_str("<Folder><name>track</name>\n");
    for (i, piece) in track_pieces(fixes, r.config.max_gps_gap_s)
        .iter()
        .enumerate()
    {
        let coords: Vec<String> = piece
            .iter()
            .map(|&(la, lo)| format!("{lo:.7},{la:.7},0"))
            .collect();
        let _ = writeln!(
            s,
            "<Placemark><name>track {}</name><styleUrl>#track</styleUrl><LineString><coordinates>{}</coordinates></LineString></Placemark>",
            i + 1,
            coords.join(" ")
        );
    }
    s.push_str("</Folder>\n</Document></kml>\n");
    s
}

/// Base64 (RFC 4648, with padding) for embedding the map in the HTML report.
pub fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for k in 0..4 {
            if k <= c.len() {
                s.push(A[(v >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

/// A self-contained HTML report: summary, thresholds, method, map, per-tile table, worst
/// stretches. `map_png` is embedded as a data URI.
pub fn html(r: &SurveyReport, means: &[super::LocalMean], map_png: Option<&[u8]>) -> String {
    let u = r.config.threshold_unit;
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>linkscope coverage survey</title>\
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:2px 8px;text-align:right}}\
.pass{{background:#cfc}}.fail{{background:#fcc}}th{{background:#eee}}</style></head><body>\
<h1>Coverage survey</h1><p>{} with GPS {} — start {} UTC, {:.1} s, {} frames of {:.0} ms</p>",
        xml(&r.input),
        xml(&r.gps),
        xml(&r.start_time_utc),
        r.duration_s,
        r.frames,
        r.frame_s * 1e3
    );
    s.push_str("<h2>Summary</h2><table id=\"summary\">");
    let row = |s: &mut String, k: &str, id: &str, v: String| {
        let _ = write!(s, "<tr><th>{k}</th><td id=\"{id}\">{}</td></tr>", xml(&v));
    };
    row(
        &mut s,
        "tiles tested",
        "tiles_tested",
        r.tiles_tested.to_string(),
    );
    row(
        &mut s,
        "tiles passed",
        "tiles_passed",
        r.tiles_passed.to_string(),
    );
    row(
        &mut s,
        "covered-area reliability",
        "car",
        format!("{:.2} %", r.covered_area_reliability_pct),
    );
    let c0 = &r.channels[0];
    row(
        &mut s,
        &format!("{:.0} % interval (Wilson)", r.confidence_pct),
        "interval",
        format!(
            "{:.2} … {:.2} %",
            c0.reliability_interval_pct[0], c0.reliability_interval_pct[1]
        ),
    );
    row(
        &mut s,
        "target",
        "target",
        format!(
            "{:.0} % ({} test: {})",
            r.target_reliability_pct,
            r.config.criterion,
            if c0.meets_target { "met" } else { "not met" }
        ),
    );
    row(
        &mut s,
        "tiles needed",
        "tiles_needed",
        format!(
            "{} for ±{:.0} % at {:.0} % confidence{}",
            c0.tiles_needed,
            r.config.sampling_error * 100.0,
            r.confidence_pct,
            if c0.enough_tiles {
                ""
            } else {
                " — not enough tested"
            }
        ),
    );
    row(
        &mut s,
        "local means",
        "local_means",
        r.local_means.to_string(),
    );
    s.push_str("</table>");
    let _ = write!(
        s,
        "<h2>Thresholds and method</h2><p>Service threshold {} {u} (level in {u}{}); a tile passes when at least {:.0} % of its local means meet it. \
Local means after Lee: the mean channel power over {:.0} wavelengths of travel ({:.1} m at {:.4} MHz) from at least {} samples taken by distance (one per 0.4 λ, so standing still adds nothing); windows cut by GPS gaps (fixes more than {} s apart or without a fix), \
taking longer than {} s or with too few samples are discarded. Tiles {} m square. Reliability = passed ÷ tested tiles with a Wilson interval; tiles needed n = z²p(1−p)/e².</p>",
        r.config.threshold,
        r.config
            .cal_db
            .map(|k| format!(", calibration {k:+.1} dB"))
            .unwrap_or_default(),
        r.config.tile_pass_fraction * 100.0,
        r.config.window_wavelengths,
        c0.window_m,
        c0.channel.freq_hz / 1e6,
        r.config.min_samples,
        r.config.max_gps_gap_s,
        r.config.max_window_s,
        r.config.tile_m
    );
    if let Some(png) = map_png {
        let _ = write!(
            s,
            "<h2>Map</h2><img alt=\"map of tiles and track\" style=\"max-width:100%\" src=\"data:image/png;base64,{}\">",
            base64(png)
        );
    }
    for ch in &r.channels {
        let _ = write!(
            s,
            "<h2>Tiles — {:.6} MHz</h2><table class=\"tiles\"><tr><th>tile E</th><th>tile N</th><th>local means</th><th>mean {u}</th><th>median {u}</th><th>10 % {u}</th><th>meeting %</th><th>verdict</th></tr>",
            ch.channel.freq_hz / 1e6
        );
        for t in &ch.tiles {
            let _ = write!(
                s,
                "<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.0}</td><td>{}</td></tr>",
                if t.passed { "pass" } else { "fail" },
                t.tile.0,
                t.tile.1,
                t.local_means,
                t.mean_level,
                t.median_level,
                t.p10_level,
                t.meeting_threshold_pct,
                if t.passed { "pass" } else { "fail" }
            );
        }
        s.push_str("</table>");
    }
    let mut worst: Vec<&super::LocalMean> = means.iter().collect();
    worst.sort_by(|a, b| a.local_mean_dbfs.total_cmp(&b.local_mean_dbfs));
    s.push_str("<h2>Worst stretches</h2><table id=\"worst\"><tr><th>time UTC</th><th>lat</th><th>lon</th><th>local mean dBFS</th><th>tile</th></tr>");
    for m in worst.iter().take(10) {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{:.6}</td><td>{:.6}</td><td>{:.1}</td><td>{}/{}</td></tr>",
            m.time_utc, m.lat, m.lon, m.local_mean_dbfs, m.tile.0, m.tile.1
        );
    }
    s.push_str("</table>");
    if !r.warnings.is_empty() {
        s.push_str("<h2>Notes</h2><ul>");
        for w in &r.warnings {
            let _ = write!(s, "<li>{}</li>", xml(w));
        }
        s.push_str("</ul>");
    }
    s.push_str("<p><small>linkscope ");
    s.push_str(env!("CARGO_PKG_VERSION"));
    s.push_str("</small></p></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_rfc4648_vectors() {
        // RFC 4648 §10 test vectors.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(i.as_bytes()), o);
        }
    }
}
