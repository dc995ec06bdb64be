//! SoapySDR sources (feature `soapy`) against a test-only device module, `replay`
//! (`tests/soapy-replay/replay.cpp`), built here with g++ and loaded through
//! `SOAPY_SDR_PLUGIN_PATH`. `SOAPY_SDR_ROOT=/nonexistent` keeps every system module (UHD,
//! remote …, which probe the network) from loading. Each test uses unique device arguments
//! (`test=NAME`): SoapySDR caches devices by their arguments.
#![cfg(feature = "soapy")]

#[path = "common/recording.rs"]
#[allow(dead_code)] // each test crate uses part of the helpers
mod recording;

use recording::{meta, root, run_env, sigmf_validate};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const BAND: &str = "captures/band/rtl_355m_mixed";

/// Build the module once per test run.
fn module() -> &'static Path {
    static SO: OnceLock<PathBuf> = OnceLock::new();
    SO.get_or_init(|| {
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("libreplay.so");
        let flags = Command::new("pkg-config")
            .args(["--cflags", "--libs", "SoapySDR"])
            .output()
            .expect("pkg-config (install pkg-config and libsoapysdr-dev)");
        assert!(flags.status.success(), "pkg-config finds no SoapySDR");
        let flags = String::from_utf8(flags.stdout).unwrap();
        let st = Command::new("g++")
            .args([
                "-std=c++17",
                "-O2",
                "-fPIC",
                "-shared",
                "-Wl,--no-undefined",
            ])
            .arg(root().join("tests/soapy-replay/replay.cpp"))
            .arg("-o")
            .arg(&out)
            .args(flags.split_whitespace())
            .status()
            .expect("g++");
        assert!(st.success(), "building the replay module failed");
        out
    })
}

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(
        args,
        &[
            ("SOAPY_SDR_ROOT", "/nonexistent".as_ref()),
            ("SOAPY_SDR_PLUGIN_PATH", module().as_os_str()),
        ],
    )
}

fn band_path() -> String {
    format!("{}.sigmf-data", root().join(BAND).display())
}

fn info_samples(base: &Path) -> u64 {
    let (rc, out, err) = run(&["info", base.to_str().unwrap(), "--json"]);
    assert_eq!(rc, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    v["samples"].as_u64().unwrap()
}

#[test]
fn record_is_byte_identical_in_cu8_and_cs16() {
    let dir = tempfile::tempdir().unwrap();
    let cu8 = std::fs::read(band_path()).unwrap();
    // The same samples as CS16 (what an Airspy/LimeSDR/USRP delivers).
    let cs16: Vec<u8> = cu8
        .iter()
        .flat_map(|&b| (((b as i16) - 128) * 256 + 77).to_le_bytes())
        .collect();
    let cs16_path = dir.path().join("band.cs16");
    std::fs::write(&cs16_path, &cs16).unwrap();
    for (fmt, path, bytes, datatype) in [
        ("CU8", band_path(), &cu8, "cu8"),
        ("CS16", cs16_path.display().to_string(), &cs16, "ci16_le"),
    ] {
        let base = dir.path().join(format!("rec_{fmt}"));
        let dev = format!("driver=replay,file={path},format={fmt},realtime=0,test=rec{fmt}");
        let (rc, out, err) = run(&[
            "record",
            "--device",
            &dev,
            "-f",
            "355M",
            "-s",
            "2.4M",
            "--gain",
            "LNA=10,VGA=5",
            "--antenna",
            "RX2",
            "--device-bw",
            "2M",
            "--ppm",
            "1.5",
            "--buffer",
            "30s",
            "-o",
            base.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(rc, 0, "{fmt}: {err}");
        let j: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(j["dropped_samples"], 0, "{j}");
        let got = std::fs::read(format!("{}.sigmf-data", base.display())).unwrap();
        assert!(
            &got == bytes,
            "{fmt}: recorded bytes differ from the source"
        );
        let m = meta(&base);
        assert_eq!(m["global"]["core:datatype"], datatype);
        assert_eq!(m["global"]["linkscope:state"], "complete");
        assert!(m["global"]["core:hw"].as_str().unwrap().contains("replay"));
        assert_eq!(m["global"]["linkscope:gain"], "LNA=10 dB,VGA=5 dB");
        let bps = if fmt == "CU8" { 2 } else { 4 };
        assert_eq!(j["samples"], (bytes.len() / bps) as u64);
        assert_eq!(info_samples(&base), (bytes.len() / bps) as u64);
        sigmf_validate(&base);
    }
}

#[test]
fn scan_of_the_replay_device_equals_scan_of_the_file() {
    let dev = format!(
        "driver=replay,file={},format=CU8,realtime=0,test=scan",
        band_path()
    );
    let (rc, live, err) = run(&[
        "scan", "--device", &dev, "--freq", "355M", "--rate", "2.4M", "--buffer", "30s", "--json",
        "-q",
    ]);
    assert_eq!(rc, 0, "{err}");
    let meta_path = format!("{}.sigmf-meta", root().join(BAND).display());
    let (rc, file, err) = run(&["scan", &meta_path, "--json", "-q"]);
    assert_eq!(rc, 0, "{err}");
    let (l, f): (Value, Value) = (
        serde_json::from_str(&live).unwrap(),
        serde_json::from_str(&file).unwrap(),
    );
    assert_eq!(l["samples"], f["samples"]);
    assert_eq!(l["dropped_samples"], 0);
    assert_eq!(l["channels"], f["channels"]);
    assert_eq!(l["noise_floor_dbfs"], f["noise_floor_dbfs"]);
}

#[test]
fn an_overflow_is_a_counted_gap_with_true_time() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("ovf");
    let (at, len) = (1_200_000u64, 240_000u64); // 0.1 s lost 0.5 s in
    let dev = format!(
        "driver=replay,file={},format=CU8,realtime=1,overflow_at={at},overflow_len={len},test=ovf",
        band_path()
    );
    let (rc, out, err) = run(&[
        "record",
        "--device",
        &dev,
        "-f",
        "355M",
        "-s",
        "2.4M",
        "-o",
        base.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(rc, 0, "{err}");
    let j: Value = serde_json::from_str(&out).unwrap();
    // The device does not say how many it lost: the wall clock does (within 10 ms).
    let dropped = j["dropped_samples"].as_u64().unwrap();
    assert!(
        (dropped as f64 - len as f64).abs() < 0.010 * 2.4e6,
        "dropped {dropped}, truth {len}"
    );
    assert_eq!(j["device_events"]["overflows"], 1);
    // The file holds exactly the samples delivered: before and after the lost stretch.
    let src = std::fs::read(band_path()).unwrap();
    let got = std::fs::read(format!("{}.sigmf-data", base.display())).unwrap();
    let a = 2 * at as usize;
    assert_eq!(got.len(), src.len() - 2 * len as usize);
    assert!(got[..a] == src[..a] && got[a..] == src[a + 2 * len as usize..]);
    // A new capture segment starts at the gap with the time of its first sample.
    let m = meta(&base);
    let caps = m["captures"].as_array().unwrap();
    assert_eq!(caps.len(), 2);
    assert_eq!(caps[1]["core:sample_start"], at);
    let t = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["core:datetime"].as_str().unwrap()).unwrap()
    };
    let dt = (t(&caps[1]) - t(&caps[0])).num_microseconds().unwrap() as f64 * 1e-6;
    let truth = (at + len) as f64 / 2.4e6;
    assert!(
        (dt - truth).abs() < 0.010,
        "segment time {dt} s, truth {truth} s"
    );
    assert_eq!(m["annotations"][0]["core:label"], "gap");
    sigmf_validate(&base);
}

#[test]
fn a_device_error_keeps_a_valid_recording() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("fail");
    let dev = format!(
        "driver=replay,file={},format=CU8,realtime=0,fail_at=500000,test=fail",
        band_path()
    );
    let (rc, _, err) = run(&[
        "record",
        "--device",
        &dev,
        "-f",
        "355M",
        "--buffer",
        "30s",
        "-o",
        base.to_str().unwrap(),
    ]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("stream error") && err.contains("kept"),
        "{err}"
    );
    assert_eq!(info_samples(&base), 500_000);
    assert!(meta(&base)["global"]["linkscope:state"]
        .as_str()
        .unwrap()
        .starts_with("ended by error"));
    sigmf_validate(&base);
}

#[test]
fn devices_lists_ranges_and_bad_settings_are_named() {
    let filter = format!("driver=replay,file={},test=list", band_path());
    let (rc, out, err) = run(&["devices", "--filter", &filter, "--json"]);
    assert_eq!(rc, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    let d = &v[0];
    assert_eq!(d["driver"], "replay");
    assert_eq!(
        d["frequency_ranges_hz"][0],
        serde_json::json!([24e6, 1766e6])
    );
    assert_eq!(d["antennas"], serde_json::json!(["RX", "RX2"]));
    assert_eq!(d["gain_stages"][0][0], "LNA");
    // No such gain stage / antenna / module.
    let dev = format!("driver=replay,file={},test=bad1", band_path());
    let (rc, _, err) = run(&[
        "scan", "--device", &dev, "--freq", "355M", "--gain", "MIX=3",
    ]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("no gain stage 'MIX'") && err.contains("LNA"),
        "{err}"
    );
    let (rc, _, err) = run(&[
        "scan",
        "--device",
        &format!("{dev},x=2"),
        "--freq",
        "355M",
        "--antenna",
        "TX",
    ]);
    assert_eq!(rc, 1);
    assert!(err.contains("antenna TX"), "{err}");
    let (rc, _, err) = run(&["scan", "--device", "driver=nosuch,test=x", "--freq", "355M"]);
    assert_eq!(rc, 1);
    assert!(err.contains("cannot open the device"), "{err}");
}
