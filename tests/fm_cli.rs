//! `linkscope fm` and `linkscope gen fm` from the command line: the JSON contract, the audio
//! and plot outputs, and bad input (a channel outside the capture, a channel wider than the
//! capture, silence, a clipped recording).

use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn bin(args: &[&str]) -> (i32, String, String) {
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

fn gen(dir: &Path, name: &str, extra: &[&str]) -> String {
    let base = dir.join(name);
    let b = base.to_str().unwrap().to_string();
    let mut args = vec!["gen", "fm", "-o", &b];
    args.extend_from_slice(extra);
    let (rc, _, err) = bin(&args);
    assert_eq!(rc, 0, "{err}");
    format!("{b}.sigmf-meta")
}

#[test]
fn json_contract_audio_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let meta = gen(
        dir.path(),
        "wide",
        &[
            "--rate",
            "1.2M",
            "--offset",
            "-200k",
            "--freq",
            "355M",
            "--tone",
            "1k",
            "--ctcss",
            "118.8",
            "--cnr",
            "30",
            "--duration",
            "2s",
            "--cfo",
            "-350",
            "--format",
            "cu8",
            "--level",
            "-10",
        ],
    );
    let wav = dir.path().join("a.wav");
    let png = dir.path().join("a.png");
    let (rc, out, err) = bin(&[
        "fm",
        &meta,
        "-f",
        "354.8M",
        "--json",
        "--no-deemph",
        "--every",
        "0.5s",
        "--cal-db",
        "-60",
        "--audio",
        wav.to_str().unwrap(),
        "--png",
        png.to_str().unwrap(),
    ]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    for k in [
        "ctcss_hz",
        "dcs_code",
        "freq_error_hz",
        "deviation_peak_hz",
        "deviation_rms_hz",
        "sinad_db",
        "snr_db",
        "power_dbfs",
        "dtmf",
        "selcall",
    ] {
        assert!(j.get(k).is_some(), "missing {k}");
    }
    assert_eq!(j["ctcss_hz"], 118.8);
    assert!(j["dcs_code"].is_null());
    assert!(
        (j["freq_error_hz"].as_f64().unwrap() + 350.0).abs() <= 10.0,
        "{}",
        j["freq_error_hz"]
    );
    assert!(
        (j["power_dbfs"].as_f64().unwrap() + 10.0).abs() <= 0.5,
        "{}",
        j["power_dbfs"]
    );
    assert!((j["power_dbm"].as_f64().unwrap() + 70.0).abs() <= 0.5);
    assert!(j["sinad_db"].as_f64().unwrap() > 25.0);
    assert!(j["intervals"].as_array().unwrap().len() >= 3);
    let r = hound::WavReader::open(&wav).unwrap();
    assert_eq!(r.spec().sample_rate, 8000);
    assert!(r.len() as f64 >= 8000.0 * 1.9, "{}", r.len());
    assert!(std::fs::metadata(&png).unwrap().len() > 10_000);
}

#[test]
fn channel_outside_the_capture_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let meta = gen(dir.path(), "c", &["--duration", "0.5s", "--freq", "355M"]);
    let (rc, _, err) = bin(&["fm", &meta, "-f", "356M"]);
    assert_eq!(rc, 1);
    assert!(err.contains("outside the capture"), "{err}");
}

#[test]
fn channel_wider_than_the_capture_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let meta = gen(dir.path(), "n", &["--duration", "0.5s", "--rate", "24k"]);
    let (rc, _, err) = bin(&["fm", &meta, "--bw", "25k"]);
    assert_eq!(rc, 1);
    assert!(err.contains("channel") && err.contains("25"), "{err}");
}

#[test]
fn silence_is_flagged_and_measures_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // Carrier never keyed and no noise: an all-zero recording.
    let meta = gen(dir.path(), "z", &["--duration", "1s", "--key-on", "1s"]);
    let (rc, out, err) = bin(&["fm", &meta, "--json"]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(
        j["freq_error_hz"].is_null() && j["deviation_peak_hz"].is_null() && j["ctcss_hz"].is_null()
    );
    assert!(
        j["warnings"].to_string().contains("silent"),
        "{}",
        j["warnings"]
    );
}

#[test]
fn clipped_recording_is_flagged() {
    let dir = tempfile::tempdir().unwrap();
    // A carrier at +6 dBFS in cu8 saturates the converter.
    let meta = gen(
        dir.path(),
        "k",
        &[
            "--duration",
            "1s",
            "--tone",
            "1k",
            "--format",
            "cu8",
            "--level",
            "6",
        ],
    );
    let (rc, out, _) = bin(&["fm", &meta, "--json"]);
    assert_eq!(rc, 0);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(j["clipped_pct"].as_f64().unwrap() > 1.0);
    assert!(
        j["warnings"].to_string().contains("clipping"),
        "{}",
        j["warnings"]
    );
}
