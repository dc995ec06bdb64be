//! Regression over the corpus: every `captures/**/NAME.expected.json` with a `scan` section is
//! scanned by the real binary and compared with its truth (which comes from the generator's
//! parameters, not from a receiver).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn expected_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            expected_files(&p, out);
        } else if p.to_string_lossy().ends_with(".expected.json") {
            out.push(p);
        }
    }
}

fn scan_json(meta: &Path, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .arg("scan")
        .arg(meta)
        .args(["--json", "--quiet"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "scan {} failed: {}",
        meta.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn every_capture_scans_to_its_expected_results() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures");
    let mut files = Vec::new();
    expected_files(&root, &mut files);
    let mut checked = 0;
    for exp_path in files {
        let exp: Value = serde_json::from_slice(&std::fs::read(&exp_path).unwrap()).unwrap();
        if let Some(want) = exp.get("mpt") {
            check_mpt(&exp_path, want);
            checked += 1;
        }
        if let Some(want) = exp.get("fm") {
            check_fm(&exp_path, want);
            checked += 1;
        }
        if let Some(want) = exp.get("pdt") {
            check_pdt(&exp_path, want);
            checked += 1;
        }
        if let Some(want) = exp.get("cofdm") {
            check_cofdm(&exp_path, want);
            checked += 1;
        }
        let Some(want) = exp.get("scan") else {
            continue;
        };
        let base = exp_path
            .to_string_lossy()
            .trim_end_matches(".expected.json")
            .to_string();
        let meta = PathBuf::from(format!("{base}.sigmf-meta"));
        let args: Vec<String> = want["args"]
            .as_array()
            .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = scan_json(&meta, &args);
        let name = meta.display().to_string();

        let floor = got["noise_floor_dbfs"].as_f64().unwrap();
        let want_floor = want["noise_floor_dbfs"].as_f64().unwrap();
        assert!(
            (floor - want_floor).abs() <= want["noise_floor_tol_db"].as_f64().unwrap(),
            "{name}: noise floor {floor} vs {want_floor}"
        );
        let chans = got["channels"].as_array().unwrap();
        let find = |f: f64| {
            chans
                .iter()
                .find(|c| (c["freq_hz"].as_f64().unwrap() - f).abs() < 1.0)
                .unwrap_or_else(|| panic!("{name}: channel {f} missing from the scan"))
        };
        let ptol = want["mean_power_tol_db"].as_f64().unwrap();
        let otol = want["occupancy_tol_pct"].as_f64().unwrap();
        let mut truth_freqs = Vec::new();
        for t in want["channels"].as_array().unwrap() {
            let f = t["freq_hz"].as_f64().unwrap();
            truth_freqs.push(f);
            let c = find(f);
            let p = c["mean_power_dbfs"].as_f64().unwrap();
            let tp = t["mean_power_dbfs"].as_f64().unwrap();
            assert!(
                (p - tp).abs() <= ptol,
                "{name}: {f} Hz mean power {p} vs truth {tp}"
            );
            let o = c["occupancy_pct"].as_f64().unwrap();
            let to = t["occupancy_pct"].as_f64().unwrap();
            assert!(
                (o - to).abs() <= otol,
                "{name}: {f} Hz occupancy {o} vs truth {to}"
            );
            assert_eq!(c["signal"], t["signal"], "{name}: {f} Hz signal flag");
        }
        if want["other_channels_signal"] == Value::Bool(false) {
            for c in chans {
                let f = c["freq_hz"].as_f64().unwrap();
                if !truth_freqs.iter().any(|t| (t - f).abs() < 1.0) {
                    assert_eq!(
                        c["signal"],
                        Value::Bool(false),
                        "{name}: false signal at {f} Hz"
                    );
                }
            }
        }
        let got_i = got["interferers"].as_array().unwrap();
        let want_i = want["interferers"].as_array().unwrap();
        assert_eq!(got_i.len(), want_i.len(), "{name}: interferers {got_i:?}");
        for t in want_i {
            let f = t["freq_hz"].as_f64().unwrap();
            let hit = got_i
                .iter()
                .find(|i| {
                    (i["freq_hz"].as_f64().unwrap() - f).abs() <= t["freq_tol_hz"].as_f64().unwrap()
                })
                .unwrap_or_else(|| panic!("{name}: interferer at {f} Hz not found in {got_i:?}"));
            let p = hit["power_dbfs"].as_f64().unwrap();
            let tp = t["power_dbfs"].as_f64().unwrap();
            assert!(
                (p - tp).abs() <= t["power_tol_db"].as_f64().unwrap(),
                "{name}: interferer power {p} vs {tp}"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no capture with a scan expectation found under captures/"
    );
}

/// The documented JSON shape: these field names are a stable interface.
#[test]
fn scan_json_has_the_documented_shape() {
    let meta =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/band/rtl_355m_mixed.sigmf-meta");
    let v = scan_json(&meta, &["--band", "354.4M:354.8M", "--cal-db", "-30"]);
    for k in [
        "noise_floor_dbfs",
        "noise_floor_dbm",
        "channels",
        "interferers",
        "dropped_samples",
        "sample_rate_hz",
        "center_freq_hz",
        "frames",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    let chans = v["channels"].as_array().unwrap();
    assert_eq!(chans.len(), 31); // 354.4125 … 354.7875 MHz on the 12.5 kHz raster
    for k in [
        "freq_hz",
        "mean_power_dbfs",
        "peak_power_dbfs",
        "occupancy_pct",
        "signal",
        "mean_power_dbm",
    ] {
        assert!(chans[0].get(k).is_some(), "channel field {k} missing");
    }
    let c = chans.iter().find(|c| c["freq_hz"] == 354.5e6).unwrap();
    let d = c["mean_power_dbm"].as_f64().unwrap() - c["mean_power_dbfs"].as_f64().unwrap();
    assert!((d + 30.0).abs() < 0.011);
}

#[test]
fn outputs_are_written_and_valid() {
    let dir = tempfile::tempdir().unwrap();
    let meta =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/band/rtl_355m_mixed.sigmf-meta");
    let p = |n: &str| dir.path().join(n);
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .arg("scan")
        .arg(&meta)
        .arg("--csv")
        .arg(p("c.csv"))
        .arg("--rtl-power")
        .arg(p("r.csv"))
        .args(["--interval", "0.5s"])
        .arg("--png")
        .arg(p("s.png"))
        .arg("--waterfall")
        .arg(p("w.png"))
        .arg("--quiet")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for png in ["s.png", "w.png"] {
        let b = std::fs::read(p(png)).unwrap();
        assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{png} is not a PNG");
        assert!(b.len() > 10_000);
    }
    let csv = std::fs::read_to_string(p("c.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 153);
    // rtl_power: 3 rows of 0.5 s; bins + 1 values after the 6 leading fields; f_i = low + i·step.
    let rtl = std::fs::read_to_string(p("r.csv")).unwrap();
    let rows: Vec<Vec<&str>> = rtl.lines().map(|l| l.split(", ").collect()).collect();
    assert_eq!(rows.len(), 3);
    let low: f64 = rows[0][2].parse().unwrap();
    let high: f64 = rows[0][3].parse().unwrap();
    let step: f64 = rows[0][4].parse().unwrap();
    let bins = ((high - low) / step).round() as usize;
    assert_eq!(rows[0].len() - 6, bins + 1);
    assert_eq!(rows[0][rows[0].len() - 1], rows[0][rows[0].len() - 2]);
    // The strongest bin is the 354.5 MHz test carrier.
    let vals: Vec<f64> = rows[0][6..6 + bins]
        .iter()
        .map(|v| v.parse().unwrap())
        .collect();
    let k = vals
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!((low + k as f64 * step - 354.5e6).abs() < 1.5 * step);
    // No temporary files left behind.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
}

#[test]
fn info_reports_the_capture() {
    let meta =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/band/rtl_355m_mixed.sigmf-meta");
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args(["info", "--json"])
        .arg(&meta)
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "cu8");
    assert_eq!(v["samples"], 3_600_000);
    assert_eq!(v["sample_rate_hz"], 2.4e6);
    assert_eq!(v["center_freq_hz"], 355e6);
    assert_eq!(v["start_time_utc"], "2026-11-01T08:00:00Z");
    // Total power from the scene parameters stored in the meta: Σ emitters × on-fraction +
    // noise and quantisation over the whole 2.4 MHz + the DC offset.
    let m: Value = serde_json::from_slice(&std::fs::read(&meta).unwrap()).unwrap();
    let scene: linkscope::sim::band::Scene =
        serde_json::from_value(m["global"]["linkscope:scene"].clone()).unwrap();
    let p = |db: f64| 10f64.powf(db / 10.0);
    let total = scene
        .emitters
        .iter()
        .map(|e| p(e.power_dbfs) * e.on_fraction(1.5))
        .sum::<f64>()
        + scene.total_noise_in(2.4e6, linkscope::io::SampleFormat::Cu8)
        + p(scene.dc_offset_dbfs.unwrap());
    let rms = v["rms_dbfs"].as_f64().unwrap();
    assert!(
        (rms - 10.0 * total.log10()).abs() < 0.1,
        "{rms} vs {}",
        10.0 * total.log10()
    );
    assert_eq!(v["clipped_pct"], 0.0);
}

/// An `mpt` expectation: the valid codewords, in order, are the transmitted sequence; the
/// summary's SYS, carrier error and slot period match the generator's parameters.
fn check_mpt(exp_path: &Path, want: &Value) {
    let base = exp_path
        .to_string_lossy()
        .trim_end_matches(".expected.json")
        .to_string();
    let meta = PathBuf::from(format!("{base}.sigmf-meta"));
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .arg("mpt")
        .arg(&meta)
        .args(["--json", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (summary, words) = lines.split_last().unwrap();
    let s = &summary["summary"];
    let valid: Vec<&str> = words
        .iter()
        .filter(|w| w["check_ok"] == Value::Bool(true))
        .map(|w| w["hex"].as_str().unwrap())
        .collect();
    let sent: Vec<&str> = want["codewords_hex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let frac = want["min_valid_fraction"].as_f64().unwrap();
    assert!(
        valid.len() as f64 >= frac * sent.len() as f64,
        "{}: {} of {} valid",
        meta.display(),
        valid.len(),
        sent.len()
    );
    // Every valid codeword is the one sent, in order.
    let mut j = 0;
    for v in &valid {
        while j < sent.len() && sent[j] != *v {
            j += 1;
        }
        assert!(
            j < sent.len(),
            "{}: {v} was not sent (or out of order)",
            meta.display()
        );
        j += 1;
    }
    for w in words {
        for k in ["t_s", "hex", "type", "check_ok"] {
            assert!(w.get(k).is_some(), "codeword line lacks {k}: {w}");
        }
    }
    assert_eq!(s["sys"], want["sys"]);
    let fe = s["freq_error_hz"].as_f64().unwrap();
    assert!(
        (fe - want["freq_error_hz"].as_f64().unwrap()).abs()
            <= want["freq_error_tol_hz"].as_f64().unwrap(),
        "freq error {fe}"
    );
    let sp = s["slot_period_ms"].as_f64().unwrap();
    assert!(
        (sp - want["slot_period_ms"].as_f64().unwrap()).abs()
            <= want["slot_period_tol_ms"].as_f64().unwrap(),
        "slot period {sp}"
    );
}

/// `linkscope fm --json` on a capture: every field of `expect` equals the JSON's (numbers
/// within `tol[field]`, exactly when no tolerance is given).
fn check_fm(exp_path: &Path, want: &Value) {
    check_cli(exp_path, want, "fm");
}

/// `linkscope pdt --json` on a capture: its summary line against the expectations.
/// The extra command-line arguments of an expectation (`"args": [...]`).
fn want_args(want: &Value) -> Vec<String> {
    want["args"]
        .as_array()
        .map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

/// COFDM: the summary against the truth, then the `--ts` output: one contiguous run of the
/// source TS (checked against its sha256 when `sha256sum` exists), found at exactly one place,
/// inside the packets that lie in complete symbols, and nearly all of them.
fn check_cofdm(exp_path: &Path, want: &Value) {
    check_cli(exp_path, want, "cofdm");
    let dir = exp_path.parent().unwrap();
    let base = exp_path
        .to_string_lossy()
        .trim_end_matches(".expected.json")
        .to_string();
    let ts_want = &want["ts"];
    let src_path = dir.join(ts_want["file"].as_str().unwrap());
    if let Ok(o) = Command::new("sha256sum").arg(&src_path).output() {
        let h = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            h.split_whitespace().next().unwrap_or(""),
            ts_want["sha256"].as_str().unwrap(),
            "{}",
            src_path.display()
        );
    }
    let tmp = tempfile::tempdir().unwrap();
    let ts = tmp.path().join("out.ts");
    let args = want_args(want);
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .arg("cofdm")
        .arg(format!("{base}.sigmf-meta"))
        .args(["--quiet", "--ts"])
        .arg(&ts)
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = std::fs::read(&ts).unwrap();
    let src = std::fs::read(&src_path).unwrap();
    let n = got.len() / 188;
    assert!(
        n > 0 && got.len() % 188 == 0,
        "{base}: {} bytes of TS",
        got.len()
    );
    let at: Vec<usize> = (0..=(src.len() / 188).saturating_sub(n))
        .filter(|&o| src[o * 188..(o + n) * 188] == got[..])
        .collect();
    assert_eq!(at.len(), 1, "{base}: the TS matches the source at {at:?}");
    let lo = ts_want["packets_complete"][0].as_u64().unwrap() as usize;
    let hi = ts_want["packets_complete"][1].as_u64().unwrap() as usize;
    assert!(
        at[0] >= lo && at[0] + n - 1 <= hi,
        "{base}: packets {}..{}",
        at[0],
        at[0] + n - 1
    );
    let frac = ts_want["min_fraction_recovered"].as_f64().unwrap();
    assert!(
        n as f64 >= frac * (hi - lo + 1) as f64,
        "{base}: {n} of {} packets",
        hi - lo + 1
    );
}

fn check_pdt(exp_path: &Path, want: &Value) {
    check_cli(exp_path, want, "pdt");
}

/// `linkscope CMD CAPTURE --json --quiet ARGS` against `want["expect"]`: the JSON output (or
/// its last line, and there the `summary` object); a key starting with `/` is a JSON pointer into it;
/// numbers within `want["tol"]`, everything else equal.
fn check_cli(exp_path: &Path, want: &Value, cmd: &str) {
    let base = exp_path
        .to_string_lossy()
        .trim_end_matches(".expected.json")
        .to_string();
    let meta = PathBuf::from(format!("{base}.sigmf-meta"));
    let args = want_args(want);
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .arg(cmd)
        .arg(&meta)
        .args(["--json", "--quiet"])
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    // One JSON document (fm), or JSON lines ending with the summary (pdt).
    let last: Value = serde_json::from_str(&stdout)
        .or_else(|_| serde_json::from_str(stdout.lines().last().unwrap_or("")))
        .unwrap();
    let got = last.get("summary").unwrap_or(&last);
    let tol = &want["tol"];
    for (k, v) in want["expect"].as_object().unwrap() {
        let g = if k.starts_with('/') {
            got.pointer(k).unwrap_or(&Value::Null)
        } else {
            &got[k.as_str()]
        };
        match (
            v.as_f64(),
            g.as_f64(),
            tol.get(k.as_str()).and_then(Value::as_f64),
        ) {
            (Some(e), Some(x), Some(t)) => {
                assert!(
                    (x - e).abs() <= t,
                    "{}: {k} = {x}, expected {e} ± {t}",
                    meta.display()
                )
            }
            _ => assert_eq!(g, v, "{}: {k}", meta.display()),
        }
    }
}
