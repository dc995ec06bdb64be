//! `linkscope survey` against a simulated drive with known truth (path loss + shadowing from the
//! generator's parameters, written to NAME.truth.csv), peer tools on its outputs (GDAL's
//! `ogrinfo`, `gpsbabel`, headless Chromium) and bad GPS input. Tests needing a tool print
//! "skipped" when it is missing (`.ci/run` installs them).

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn have(tool: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("skipped: {tool} not installed");
    }
    ok
}

/// Generate a drive in `dir`; returns the base path.
fn drive(dir: &Path, name: &str, extra: &[&str]) -> String {
    let base = dir.join(name).display().to_string();
    let mut args = vec!["gen", "survey", "-o", &base];
    args.extend_from_slice(extra);
    let (rc, _, err) = run(&args);
    assert_eq!(rc, 0, "{err}");
    base
}

fn csv_rows(path: &Path) -> Vec<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split(',').map(str::to_string))
                .collect()
        })
        .collect()
}

fn f(r: &BTreeMap<String, String>, k: &str) -> f64 {
    r[k].parse().unwrap()
}

/// Survey `base` (a `gen survey` output) and compare with its truth file: returns the share of
/// local means within ±1 dB, the mean and rms error, the share of tiles whose verdict agrees
/// with the truth's, the JSON report and the CSV rows.
#[allow(clippy::type_complexity)]
fn against_truth(
    base: &str,
    thr: f64,
    csv: &Path,
) -> (
    f64,
    f64,
    f64,
    f64,
    Value,
    Vec<BTreeMap<String, String>>,
    Vec<f64>,
) {
    let (rc, out, err) = run(&[
        "survey",
        &format!("{base}.sigmf-meta"),
        "--gps",
        &format!("{base}.nmea"),
        "-f",
        "351.0125M",
        &format!("--threshold={thr}dBFS"),
        "--csv",
        csv.to_str().unwrap(),
        "--json",
        "-q",
    ]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    // Truth every 10 ms: signal local mean (path loss + shadowing) plus the noise in 12.5 kHz
    // (-85 dBFS over 16 kHz, from the generator's parameters).
    let noise = 10f64.powf(-8.5) * 12.5 / 16.0;
    // (t, route distance, linear level)
    let truth: Vec<(f64, f64, f64)> = csv_rows(Path::new(&format!("{base}.truth.csv")))
        .iter()
        .map(|r| {
            (
                f(r, "t_s"),
                f(r, "route_m"),
                10f64.powf(f(r, "true_level_dbfs") / 10.0) + noise,
            )
        })
        .collect();
    let rows = csv_rows(csv);
    assert_eq!(j["local_means"], rows.len() as u64);
    let mut errs = Vec::new();
    let mut tiles: BTreeMap<(i64, i64), (u32, u32, u32)> = BTreeMap::new();
    for r in &rows {
        let (a, b) = (f(r, "start_s"), f(r, "end_s"));
        // The true local mean is a mean over distance (a stop adds nothing).
        let w: Vec<&(f64, f64, f64)> = truth
            .iter()
            .filter(|x| x.0 >= a - 0.005 && x.0 <= b + 0.005)
            .collect();
        let (num, den) = w.windows(2).fold((0.0, 0.0), |(n, d), p| {
            let ds = p[1].1 - p[0].1;
            (n + 0.5 * (p[0].2 + p[1].2) * ds, d + ds)
        });
        let true_db = 10.0 * (num / den).log10();
        let got = f(r, "local_mean_dbfs");
        errs.push(got - true_db);
        let e = tiles
            .entry((f(r, "tile_e") as i64, f(r, "tile_n") as i64))
            .or_default();
        e.0 += 1;
        e.1 += (got >= thr) as u32;
        e.2 += (true_db >= thr) as u32;
    }
    let within = errs.iter().filter(|e| e.abs() <= 1.0).count() as f64 / errs.len() as f64;
    let mean = errs.iter().sum::<f64>() / errs.len() as f64;
    let rms = (errs.iter().map(|e| e * e).sum::<f64>() / errs.len() as f64).sqrt();
    // Tile verdicts: measured (≥ 50 % of local means meet) vs the same rule on the truth.
    let agree = tiles
        .values()
        .filter(|(n, m, t)| (2 * m >= *n) == (2 * t >= *n))
        .count() as f64
        / tiles.len() as f64;
    assert_eq!(j["tiles_tested"], tiles.len() as u64);
    let passed = tiles.values().filter(|(n, m, _)| 2 * m >= *n).count() as u64;
    assert_eq!(j["tiles_passed"], passed);
    eprintln!(
        "{base}: {} local means, {:.1} % within ±1 dB of the truth, mean error {mean:+.2} dB, rms {rms:.2} dB; {} tiles, {:.1} % agree",
        errs.len(),
        within * 100.0,
        tiles.len(),
        agree * 100.0
    );
    (within, mean, rms, agree, j, rows, errs)
}

#[test]
fn local_means_and_tiles_match_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let base = drive(
        dir.path(),
        "long",
        &["--duration", "600s", "--format", "cf32_le", "--seed", "11"],
    );
    let (within, mean, rms, agree, _, rows, errs) =
        against_truth(&base, -45.0, &dir.path().join("lm.csv"));
    assert!(rows.len() > 150, "{} local means", rows.len());
    // Averaging an isotropic Rayleigh field over 40 λ leaves about 0.5–0.6 dB rms (the spatial
    // correlation J0²(kd) integrated over the window): Lee's ±1 dB holds for ~95 %.
    assert!(within >= 0.95, "{:.1} % within ±1 dB", within * 100.0);
    assert!(mean.abs() < 0.3 && rms < 0.65, "mean {mean}, rms {rms}");
    assert!(agree >= 0.95, "{:.1} % of tiles agree", agree * 100.0);
    // Lee's criterion holds for every local mean; the windows that span a 12 s stop at a
    // junction are as accurate as the others (samples are taken by distance, not time).
    assert!(rows.iter().all(|r| f(r, "samples") >= 50.0));
    let stops: Vec<f64> = rows
        .iter()
        .zip(&errs)
        .filter(|(r, _)| f(r, "duration_s") > 10.0)
        .map(|(_, e)| *e)
        .collect();
    assert!(stops.len() >= 3, "{} windows over a stop", stops.len());
    assert!(stops.iter().all(|e| e.abs() < 1.5), "{stops:?}");
}

#[test]
fn the_shipped_drive_matches_its_truth() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/survey/drive_351m")
        .display()
        .to_string();
    let exp: Value =
        serde_json::from_slice(&std::fs::read(format!("{base}.expected.json")).unwrap()).unwrap();
    let thr = exp["survey"]["threshold_dbfs"].as_f64().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (within, mean, _, agree, j, _, _) = against_truth(&base, thr, &dir.path().join("lm.csv"));
    assert!(within >= 0.9 && mean.abs() < 0.5, "{within} {mean}");
    assert!(agree >= 0.9, "{agree}");
    assert_eq!(j["tiles_tested"], exp["survey"]["tiles_tested"]);
}

#[test]
fn geojson_and_kml_open_in_gdal_and_gpx_agrees_with_gpsbabel() {
    let dir = tempfile::tempdir().unwrap();
    let base = drive(dir.path(), "d", &["--duration", "90s"]);
    let gj = dir.path().join("s.geojson");
    let kml = dir.path().join("s.kml");
    let args = |gps: &str| -> (i32, String, String) {
        run(&[
            "survey",
            &format!("{base}.sigmf-meta"),
            "--gps",
            gps,
            "-f",
            "351.0125M",
            "--threshold=-45dBFS",
            "--geojson",
            gj.to_str().unwrap(),
            "--kml",
            kml.to_str().unwrap(),
            "--json",
            "-q",
        ])
    };
    let (rc, out, err) = args(&format!("{base}.nmea"));
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let tiles = j["tiles_tested"].as_u64().unwrap();
    let means = j["local_means"].as_u64().unwrap();
    if have("ogrinfo") {
        let o = Command::new("ogrinfo")
            .args(["-al", "-so"])
            .arg(&gj)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        // tiles + local means + one unbroken track line.
        assert!(
            text.contains(&format!("Feature Count: {}", tiles + means + 1)),
            "{text}"
        );
        let o = Command::new("ogrinfo")
            .args(["-al", "-so"])
            .arg(&kml)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(text.contains(&format!("Feature Count: {tiles}")), "{text}");
        assert!(text.contains("Layer name: track"), "{text}");
    }
    if have("gpsbabel") {
        let gpx = dir.path().join("d.gpx");
        let st = Command::new("gpsbabel")
            .args(["-i", "nmea", "-f"])
            .arg(format!("{base}.nmea"))
            .args(["-o", "gpx", "-F"])
            .arg(&gpx)
            .status()
            .unwrap();
        assert!(st.success());
        let a = linkscope::io::gps::read_log(Path::new(&format!("{base}.nmea"))).unwrap();
        let b = linkscope::io::gps::read_log(&gpx).unwrap();
        assert_eq!(a.fixes.len(), b.fixes.len());
        for (x, y) in a.fixes.iter().zip(&b.fixes) {
            assert_eq!(x.time, y.time);
            assert!((x.lat - y.lat).abs() < 1e-6 && (x.lon - y.lon).abs() < 1e-6);
        }
        let (rc, out2, err) = args(gpx.to_str().unwrap());
        assert_eq!(rc, 0, "{err}");
        let j2: Value = serde_json::from_str(&out2).unwrap();
        assert_eq!(j2["channels"][0]["tiles"], j["channels"][0]["tiles"]);
        assert_eq!(j2["local_means"], j["local_means"]);
    }
}

#[test]
fn the_html_report_renders_in_chromium() {
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new("sh")
                .args(["-c", &format!("command -v {c}")])
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        });
    let dir = tempfile::tempdir().unwrap();
    let base = drive(dir.path(), "h", &["--duration", "90s"]);
    let html = dir.path().join("r.html");
    let (rc, out, err) = run(&[
        "survey",
        &format!("{base}.sigmf-meta"),
        "--gps",
        &format!("{base}.nmea"),
        "-f",
        "351.0125M",
        "--threshold=-45dBFS",
        "--html",
        html.to_str().unwrap(),
        "--json",
        "-q",
    ]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let Some(chromium) = chromium else {
        eprintln!("skipped: chromium not installed");
        return;
    };
    let shot = PathBuf::from(std::env::var("LINKSCOPE_SHOT").unwrap_or_default());
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
    ])
    .arg(format!(
        "--user-data-dir={}",
        dir.path().join("profile").display()
    ));
    if !shot.as_os_str().is_empty() {
        cmd.arg(format!("--screenshot={}", shot.display()))
            .arg("--window-size=1300,2400");
    } else {
        cmd.arg("--dump-dom");
    }
    let o = cmd
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    if !shot.as_os_str().is_empty() {
        return;
    }
    let dom = String::from_utf8_lossy(&o.stdout);
    for (id, v) in [
        ("tiles_tested", j["tiles_tested"].to_string()),
        ("tiles_passed", j["tiles_passed"].to_string()),
        (
            "car",
            format!(
                "{:.2} %",
                j["covered_area_reliability_pct"].as_f64().unwrap()
            ),
        ),
        ("local_means", j["local_means"].to_string()),
    ] {
        assert!(
            dom.contains(&format!("id=\"{id}\">{v}<")),
            "{id} = {v} not in the rendered DOM"
        );
    }
    assert!(dom.contains("data:image/png;base64,iVBOR"), "map missing");
}

#[test]
fn bad_gps_input_is_named_and_nothing_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let base = drive(dir.path(), "b", &["--duration", "60s", "--gps-gap", "20:8"]);
    let meta = format!("{base}.sigmf-meta");
    let nmea = std::fs::read_to_string(format!("{base}.nmea")).unwrap();
    let put = |name: &str, text: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    };
    let survey = |gps: &str, extra: &[&str]| {
        let mut a = vec![
            "survey",
            &meta,
            "--gps",
            gps,
            "-f",
            "351.0125M",
            "--json",
            "-q",
        ];
        a.extend_from_slice(extra);
        run(&a)
    };
    // The 8 s outage is a gap: counted, never bridged.
    let (rc, out, err) = survey(&format!("{base}.nmea"), &[]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let gap_frames = j["frames_without_position"][1].as_u64().unwrap();
    assert!(
        (750..=950).contains(&gap_frames),
        "{gap_frames} frames in the gap"
    );
    assert!(j["channels"][0]["windows_cut_by_gps"].as_u64().unwrap() >= 1);
    // Bad checksums: counted and skipped, the rest used.
    let corrupt: String = nmea
        .lines()
        .enumerate()
        .map(|(i, l)| {
            if i % 7 == 3 {
                // One digit changed: the checksum no longer matches.
                l.replacen(",0", ",9", 1) + "\n"
            } else {
                l.to_string() + "\n"
            }
        })
        .collect();
    let (rc, out, err) = survey(&put("bad.nmea", &corrupt), &[]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(j["local_means"].as_u64().unwrap() > 5);
    assert!(
        j["warnings"]
            .to_string()
            .contains("bad NMEA sentence skipped"),
        "{}",
        j["warnings"]
    );
    // No fix at all.
    let nofix: String = nmea
        .lines()
        .filter(|l| l.contains("GGA"))
        .map(|l| {
            let body = &l[1..l.len() - 3];
            let mut f: Vec<&str> = body.split(',').collect();
            f[6] = "0";
            linkscope::io::gps::nmea::sentence(&f.join(",")) + "\n"
        })
        .collect();
    let (rc, _, err) = survey(&put("nofix.nmea", &nofix), &[]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("nofix.nmea") && err.contains("no valid position"),
        "{err}"
    );
    // A log of another day does not overlap the capture.
    let other = nmea.replace(",011126,", ",021126,");
    let other: String = other
        .lines()
        .map(|l| {
            let body = &l[1..l.len() - 3];
            linkscope::io::gps::nmea::sentence(body) + "\n"
        })
        .collect();
    let (rc, _, err) = survey(&put("other.nmea", &other), &[]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("does not overlap") && err.contains("--gps-offset"),
        "{err}"
    );
    // A time jump backwards: the out-of-order fixes are reported and skipped.
    let mut lines: Vec<&str> = nmea.lines().collect();
    let moved: Vec<&str> = lines.drain(40..44).collect();
    lines.splice(80..80, moved);
    let (rc, out, err) = survey(&put("jump.nmea", &(lines.join("\n") + "\n")), &[]);
    assert_eq!(rc, 0, "{err}");
    assert!(out.contains("went back in time"), "{out}");
    // A jump forwards (the clock an hour ahead from 30 s on): what follows is a gap.
    let ahead: String = nmea
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let body = &l[1..l.len() - 3];
            let b = if i >= 60 {
                body.replacen(",0900", ",1000", 1)
            } else {
                body.to_string()
            };
            linkscope::io::gps::nmea::sentence(&b) + "\n"
        })
        .collect();
    let (rc, out, err) = survey(&put("ahead.nmea", &ahead), &[]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let lost = j["frames_without_position"][1].as_u64().unwrap();
    // The jump comes 38 s in (the outage removed 8 s of sentences before line 60).
    assert!(
        (lost - gap_frames).abs_diff(2200) <= 100,
        "{lost} frames without position, {gap_frames} of them in the outage"
    );
    // A missing file, a threshold in dBm without a calibration.
    let (rc, _, err) = survey("/nonexistent.nmea", &[]);
    assert_eq!(rc, 1);
    assert!(err.contains("/nonexistent.nmea"), "{err}");
    let (rc, _, err) = survey(&format!("{base}.nmea"), &["--threshold=-105dBm"]);
    assert_eq!(rc, 1);
    assert!(err.contains("--cal-db"), "{err}");
}

#[test]
fn fm_quality_per_local_mean_follows_the_level_and_judges_tiles() {
    // An NBFM carrier with a 1 kHz tone at 1.5 kHz deviation, noise -50 dBFS over 48 kHz
    // (-55.8 dBFS in 12.5 kHz): the CNR runs from ~25 dB near the site to ~5 dB far away.
    let dir = tempfile::tempdir().unwrap();
    let base = drive(
        dir.path(),
        "fm",
        &[
            "--duration",
            "60s",
            "--rate",
            "48k",
            "--tone-dev",
            "1.5k",
            "--noise",
            "-50",
            "--format",
            "cf32_le",
        ],
    );
    let csv = dir.path().join("fm.csv");
    let (rc, out, err) = run(&[
        "survey",
        &format!("{base}.sigmf-meta"),
        "--gps",
        &format!("{base}.nmea"),
        "-f",
        "351.0125M",
        "--fm",
        "--sinad",
        "12",
        "--csv",
        csv.to_str().unwrap(),
        "--json",
        "-q",
    ]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    let rows = csv_rows(&csv);
    assert!(rows.len() >= 15);
    let noise_ch = -50.0 + 10.0 * (12.5f64 / 48.0).log10();
    let mut pairs = Vec::new();
    let mut cnr_errs = Vec::new();
    for r in &rows {
        let level = f(r, "local_mean_dbfs");
        let cnr_true = level - noise_ch;
        // The FM receiver's CNR estimate (a median over 10 ms frames, so a fade pulls it down)
        // agrees with the analytic CNR where it is well above the FM threshold.
        if cnr_true >= 15.0 {
            let cnr: f64 = r["cnr_db"].parse().unwrap();
            assert!((cnr - cnr_true).abs() < 5.0, "CNR {cnr} vs {cnr_true:.1}");
            cnr_errs.push((cnr - cnr_true).abs());
        }
        let sinad: Option<f64> = r["sinad_db"].parse().ok();
        // Judged on SINAD, not on the level.
        assert_eq!(
            r["meets_threshold"] == "true",
            sinad.is_some_and(|s| s >= 12.0),
            "{r:?}"
        );
        if let Some(s) = sinad {
            pairs.push((level, s));
        }
    }
    cnr_errs.sort_by(f64::total_cmp);
    assert!(
        cnr_errs.len() >= 5 && cnr_errs[cnr_errs.len() / 2] < 1.5,
        "{cnr_errs:?}"
    );
    // SINAD rises with the level (Spearman rank correlation).
    let rank = |v: Vec<f64>| {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        let mut r = vec![0.0; v.len()];
        for (k, &i) in idx.iter().enumerate() {
            r[i] = k as f64;
        }
        r
    };
    let (ra, rb) = (
        rank(pairs.iter().map(|p| p.0).collect()),
        rank(pairs.iter().map(|p| p.1).collect()),
    );
    let n = ra.len() as f64;
    let d2: f64 = ra.iter().zip(&rb).map(|(a, b)| (a - b) * (a - b)).sum();
    let rho = 1.0 - 6.0 * d2 / (n * (n * n - 1.0));
    assert!(rho > 0.8, "Spearman {rho}");
    assert!(j["channels"][0]["tiles"][0]["median_sinad_db"].is_number());
}
