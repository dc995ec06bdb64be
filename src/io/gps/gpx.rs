//! GPX 1.0/1.1 tracks: `<trkpt lat=… lon=…>` with `<time>`, `<ele>`, `<hdop>`, `<fix>` and
//! (GPX 1.0) `<speed>`. Points without a time cannot be joined to samples and are counted as bad.

use super::{Fix, GpsLog};
use chrono::{DateTime, Utc};

fn attr(tag: &str, name: &str) -> Option<f64> {
    for q in ['"', '\''] {
        let key = format!("{name}={q}");
        if let Some(i) = tag.find(&key) {
            let rest = &tag[i + key.len()..];
            let end = rest.find(q)?;
            return rest[..end].trim().parse().ok();
        }
    }
    None
}

fn child<'a>(body: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let i = body.find(&open)? + open.len();
    let j = body[i..].find(&close)? + i;
    Some(body[i..j].trim())
}

/// Parse the track points of a GPX document.
pub fn parse(text: &str) -> Result<GpsLog, String> {
    if !text.contains("<gpx") {
        return Err("not a GPX document (no <gpx> element)".into());
    }
    let mut log = GpsLog::default();
    let mut rest = text;
    while let Some(i) = rest.find("<trkpt") {
        rest = &rest[i..];
        let tag_end = rest.find('>').ok_or("unterminated <trkpt> tag")?;
        let tag = &rest[..tag_end];
        let (body, next) = if tag.ends_with('/') {
            ("", &rest[tag_end + 1..])
        } else {
            let close = rest.find("</trkpt>").ok_or("<trkpt> without </trkpt>")?;
            (&rest[tag_end + 1..close], &rest[close + 8..])
        };
        rest = next;
        let (Some(lat), Some(lon)) = (attr(tag, "lat"), attr(tag, "lon")) else {
            log.bad += 1;
            continue;
        };
        let Some(time) = child(body, "time").and_then(|t| t.parse::<DateTime<Utc>>().ok()) else {
            log.bad += 1;
            continue;
        };
        let fix_kind = child(body, "fix");
        let valid = !matches!(fix_kind, Some("none"))
            && (-90.0..=90.0).contains(&lat)
            && (-180.0..=180.0).contains(&lon);
        log.fixes.push(Fix {
            time,
            lat,
            lon,
            alt_m: child(body, "ele").and_then(|v| v.parse().ok()),
            valid,
            quality: match fix_kind {
                Some("none") => 0,
                Some("dgps") => 2,
                Some("3d") => 3,
                Some("2d") => 2,
                _ => 1,
            },
            hdop: child(body, "hdop").and_then(|v| v.parse().ok()),
            speed_mps: child(body, "speed").and_then(|v| v.parse().ok()),
        });
    }
    if log.bad > 0 {
        log.warnings.push(format!(
            "{} track points without a position or time were skipped",
            log.bad
        ));
    }
    Ok(log)
}

#[cfg(test)]
mod tests {
    #[test]
    fn track_points() {
        let g = r#"<?xml version="1.0"?><gpx version="1.1" creator="x"><trk><trkseg>
<trkpt lat="39.9" lon='116.4'><ele>44.5</ele><time>2026-11-01T08:00:00Z</time><hdop>0.9</hdop></trkpt>
<trkpt lon="116.41" lat="39.91"><time>2026-11-01T08:00:01.500Z</time><fix>none</fix></trkpt>
<trkpt lat="1" lon="2"/>
</trkseg></trk></gpx>"#;
        let log = super::parse(g).unwrap();
        assert_eq!(log.fixes.len(), 2);
        assert_eq!(log.bad, 1);
        assert_eq!(log.fixes[0].alt_m, Some(44.5));
        assert!(log.fixes[0].valid && !log.fixes[1].valid);
        assert_eq!(log.fixes[1].lat, 39.91);
        assert!(super::parse("<html>").is_err());
    }
}
