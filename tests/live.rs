//! Live sources without hardware: a fake rtl_tcp server on loopback streams a capture shipped
//! in `captures/`; `linkscope record` must store it byte for byte, send the commands the
//! protocol defines, and leave a valid recording however the session ends (server gone,
//! SIGINT, SIGKILL). `sigmf_validate` (pip `sigmf`) checks the recordings when installed.

#[path = "common/recording.rs"]
#[allow(dead_code)] // each test crate uses part of the helpers
mod recording;
#[path = "common/rtltcp.rs"]
#[allow(dead_code)] // each test crate uses part of the shared server
mod rtltcp;

use recording::{meta, root, run_env, sigmf_validate};
use rtltcp::{FakeRtlTcp, Serve};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BAND: &str = "captures/band/rtl_355m_mixed";

fn run(args: &[&str]) -> (i32, String, String) {
    run_env(args, &[])
}

fn band_bytes() -> Vec<u8> {
    std::fs::read(root().join(format!("{BAND}.sigmf-data"))).unwrap()
}

/// `linkscope info` accepts the recording; returns its JSON.
fn info_ok(base: &Path) -> Value {
    let b = base.to_str().unwrap();
    let (rc, out, err) = run(&["info", b, "--json"]);
    assert_eq!(rc, 0, "info rejected {b}: {err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn record_from_rtl_tcp_is_byte_identical_and_sends_the_commands() {
    let data = band_bytes();
    let n = data.len() / 2;
    let srv = FakeRtlTcp::start(Serve {
        data: data.clone(),
        rate: None,
        cut_at: None,
        looped: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("rec");
    let dev = format!("rtl_tcp=127.0.0.1:{}", srv.port);
    let dur = format!("{}", n as f64 / 2.4e6);
    let (rc, out, err) = run(&[
        "record",
        "--device",
        &dev,
        "-f",
        "355M",
        "-s",
        "2.4M",
        "--gain",
        "49.6",
        "--ppm",
        "-2",
        "--bias-tee",
        "--duration",
        &dur,
        "--buffer",
        "10s",
        "-o",
        base.to_str().unwrap(),
        "--json",
        "--gps",
        "39.9042,116.4074,44",
    ]);
    assert_eq!(rc, 0, "{err}");
    let cmds = srv.commands.clone();
    srv.join();
    let j: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["samples"], n as u64);
    assert_eq!(j["dropped_samples"], 0);
    let got = std::fs::read(dir.path().join("rec.sigmf-data")).unwrap();
    assert!(got == data, "recorded bytes differ from the served file");
    let seen = cmds.lock().unwrap().clone();
    for want in [
        (0x02u8, 2_400_000u32),
        (0x01, 355_000_000),
        (0x05, (-2i32) as u32),
        (0x03, 1),
        (0x04, 496),
        (0x0e, 1),
    ] {
        assert!(seen.contains(&want), "command {want:?} not in {seen:?}");
    }
    let m = meta(&base);
    assert_eq!(m["global"]["core:datatype"], "cu8");
    assert_eq!(m["global"]["linkscope:state"], "complete");
    assert!(m["global"]["core:hw"].as_str().unwrap().contains("R820T"));
    assert_eq!(
        m["global"]["core:geolocation"]["coordinates"],
        serde_json::json!([116.4074, 39.9042, 44.0])
    );
    assert!(m["captures"][0]["core:datetime"].is_string());
    info_ok(&base);
    sigmf_validate(&base);
}

#[test]
fn scan_of_a_live_stream_equals_scan_of_the_file() {
    let data = band_bytes();
    let n = data.len() / 2;
    let srv = FakeRtlTcp::start(Serve {
        data,
        rate: None,
        cut_at: None,
        looped: false,
    });
    let dev = format!("rtl_tcp=127.0.0.1:{}", srv.port);
    let dur = format!("{}", n as f64 / 2.4e6);
    let (rc, live, err) = run(&[
        "scan",
        "--device",
        &dev,
        "--freq",
        "355M",
        "--rate",
        "2.4M",
        "--duration",
        &dur,
        "--buffer",
        "10s",
        "--json",
        "-q",
    ]);
    assert_eq!(rc, 0, "{err}");
    srv.join();
    let meta = format!("{}.sigmf-meta", root().join(BAND).display());
    let (rc, file, err) = run(&["scan", &meta, "--json", "-q"]);
    assert_eq!(rc, 0, "{err}");
    let (l, f): (Value, Value) = (
        serde_json::from_str(&live).unwrap(),
        serde_json::from_str(&file).unwrap(),
    );
    assert_eq!(l["samples"], f["samples"]);
    assert_eq!(l["dropped_samples"], 0);
    assert_eq!(l["channels"], f["channels"], "channel tables differ");
    assert_eq!(l["noise_floor_dbfs"], f["noise_floor_dbfs"]);
    assert_eq!(l["interferers"], f["interferers"]);
}

#[test]
fn server_vanishing_mid_stream_keeps_a_valid_recording() {
    let data = band_bytes();
    let cut = 1_000_001; // odd: the half sample at the end must not reach the file
    let srv = FakeRtlTcp::start(Serve {
        data: data.clone(),
        rate: None,
        cut_at: Some(cut),
        looped: false,
    });
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("cut");
    let dev = format!("rtl_tcp=127.0.0.1:{}", srv.port);
    let t = Instant::now();
    let (rc, _, err) = run(&[
        "record",
        "--device",
        &dev,
        "-f",
        "355M",
        "--reconnect",
        "1",
        "--buffer",
        "10s",
        "-o",
        base.to_str().unwrap(),
        "-q",
    ]);
    srv.join();
    assert_eq!(rc, 1, "a vanished server is a failure: {err}");
    assert!(
        err.contains("closed the connection") && err.contains("kept"),
        "message: {err}"
    );
    assert!(t.elapsed() < Duration::from_secs(10));
    let got = std::fs::read(dir.path().join("cut.sigmf-data")).unwrap();
    assert_eq!(got.len(), cut - 1);
    assert!(got[..] == data[..cut - 1]);
    let m = meta(&base);
    assert!(m["global"]["linkscope:state"]
        .as_str()
        .unwrap()
        .starts_with("ended by error"));
    let i = info_ok(&base);
    assert_eq!(i["samples"], (cut / 2) as u64);
    sigmf_validate(&base);
}

/// Start a paced, endless server and a `record` against it; returns both and the base path.
fn start_paced_record(dir: &Path, name: &str) -> (FakeRtlTcp, std::process::Child, PathBuf) {
    let srv = FakeRtlTcp::start(Serve {
        data: band_bytes(),
        rate: Some(2.4e6),
        cut_at: None,
        looped: true,
    });
    let base = dir.join(name);
    let child = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args([
            "record",
            "--device",
            &format!("rtl_tcp=127.0.0.1:{}", srv.port),
            "-f",
            "355M",
            "-o",
            base.to_str().unwrap(),
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until samples are on disk.
    let data = PathBuf::from(format!("{}.sigmf-data", base.display()));
    let t = Instant::now();
    while std::fs::metadata(&data).map(|m| m.len()).unwrap_or(0) < 2_000_000 {
        assert!(t.elapsed() < Duration::from_secs(10), "no data recorded");
        std::thread::sleep(Duration::from_millis(20));
    }
    (srv, child, base)
}

#[test]
fn sigint_stops_cleanly_with_a_complete_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, child, base) = start_paced_record(dir.path(), "int");
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let j: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["interrupted"], true);
    let m = meta(&base);
    assert_eq!(m["global"]["linkscope:state"], "complete");
    let i = info_ok(&base);
    assert_eq!(i["samples"], j["samples"]);
    sigmf_validate(&base);
    drop(srv);
}

#[test]
fn sigkill_leaves_a_readable_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (srv, mut child, base) = start_paced_record(dir.path(), "kill");
    child.kill().unwrap(); // SIGKILL: no handler runs
    child.wait().unwrap();
    let m = meta(&base);
    assert_eq!(m["global"]["linkscope:state"], "recording");
    let len = std::fs::metadata(format!("{}.sigmf-data", base.display()))
        .unwrap()
        .len();
    assert!(len >= 2_000_000 && len % 2 == 0, "{len} bytes");
    let i = info_ok(&base);
    assert_eq!(i["samples"], len / 2);
    sigmf_validate(&base);
    drop(srv);
}

#[test]
fn refusals_are_clear() {
    // Nothing listening.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("none");
    let (rc, _, err) = run(&[
        "record",
        "--device",
        &format!("rtl_tcp=127.0.0.1:{port}"),
        "-f",
        "355M",
        "-o",
        base.to_str().unwrap(),
    ]);
    assert_eq!(rc, 1);
    assert!(err.contains("cannot connect"), "{err}");
    assert!(!Path::new(&format!("{}.sigmf-meta", base.display())).exists());
    // Not an rtl_tcp server: a listener that greets with something else.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        use std::io::Write;
        let (mut s, _) = l.accept().unwrap();
        let _ = s.write_all(b"HTTP/1.0 200");
        std::thread::sleep(Duration::from_millis(500));
    });
    let (rc, _, err) = run(&[
        "scan",
        "--device",
        &format!("rtl_tcp=127.0.0.1:{port}"),
        "--freq",
        "355M",
    ]);
    assert_eq!(rc, 1);
    assert!(err.contains("RTL0"), "{err}");
    // A live scan needs the frequency; a SoapySDR device without the feature says how to build.
    let (rc, _, err) = run(&["scan", "--device", "rtl_tcp=127.0.0.1:1"]);
    assert_eq!(rc, 1);
    assert!(err.contains("--freq"), "{err}");
    // An existing recording is never replaced without --force.
    std::fs::write(format!("{}.sigmf-meta", base.display()), "{}").unwrap();
    let (rc, _, err) = run(&[
        "record",
        "--device",
        "rtl_tcp=127.0.0.1:1",
        "-f",
        "355M",
        "-o",
        base.to_str().unwrap(),
    ]);
    assert_eq!(rc, 1);
    assert!(err.contains("--force"), "{err}");
}

#[test]
fn a_partial_sample_from_a_power_loss_is_repaired_explicitly() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("cut");
    let src = root().join(BAND);
    std::fs::copy(
        format!("{}.sigmf-meta", src.display()),
        format!("{}.sigmf-meta", base.display()),
    )
    .unwrap();
    let mut data = band_bytes();
    let n = data.len() / 2;
    data.push(0x80); // half a cu8 sample
    std::fs::write(format!("{}.sigmf-data", base.display()), &data).unwrap();
    let b = base.to_str().unwrap();
    let (rc, _, err) = run(&["info", b]);
    assert_eq!(rc, 1);
    assert!(err.contains("--repair"), "{err}");
    let (rc, out, err) = run(&["info", b, "--repair", "--json"]);
    assert_eq!(rc, 0, "{err}");
    assert!(err.contains("removed 1 trailing bytes"), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["samples"], n as u64);
    let (_, _, err) = run(&["info", b, "--repair"]);
    assert!(err.contains("nothing to repair"), "{err}");
}

#[test]
fn sigint_ends_a_live_scan_with_complete_results() {
    let srv = FakeRtlTcp::start(Serve {
        data: band_bytes(),
        rate: Some(2.4e6),
        cut_at: None,
        looped: true,
    });
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("rows.csv");
    let child = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args([
            "scan",
            "--device",
            &format!("rtl_tcp=127.0.0.1:{}", srv.port),
            "--freq",
            "355M",
            "--json",
            "-q",
            "--rtl-power",
            csv.to_str().unwrap(),
            "--interval",
            "0.1s",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let secs = v["duration_s"].as_f64().unwrap();
    assert!(secs > 0.5, "{secs} s scanned");
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains("interrupted")));
    assert_eq!(v["dropped_samples"], 0);
    // The carrier of the capture is in the table.
    assert!(v["channels_with_signal"].as_u64().unwrap() >= 3, "{v}");
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(rows.lines().count() >= 5, "{rows}");
    drop(srv);
}

#[test]
fn fm_runs_live_and_reads_the_shipped_capture_truth() {
    // captures/fm/dcs023i_dtmf_cu8: 96 kS/s cu8, channel 20 kHz above the centre; truth from its
    // generator (expected.json): DCS 047 (= 023 inverted), DTMF 4711, +400 Hz.
    let base = root().join("captures/fm/dcs023i_dtmf_cu8");
    let data = std::fs::read(format!("{}.sigmf-data", base.display())).unwrap();
    let dur = format!("{}", (data.len() / 2) as f64 / 96e3);
    let srv = FakeRtlTcp::start(Serve {
        data,
        rate: None,
        cut_at: None,
        looped: false,
    });
    let (rc, out, err) = run(&[
        "fm",
        "--device",
        &format!("rtl_tcp=127.0.0.1:{}", srv.port),
        "--freq",
        "355.0125M",
        "--rate",
        "96k",
        "-f",
        "355.0325M",
        "--duration",
        &dur,
        "--buffer",
        "10s",
        "--json",
        "-q",
    ]);
    assert_eq!(rc, 0, "{err}");
    srv.join();
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dcs_code"], "047");
    assert_eq!(v["dtmf_digits"], "4711");
    assert!(
        (v["freq_error_hz"].as_f64().unwrap() - 400.0).abs() < 10.0,
        "{v}"
    );
    assert_eq!(v["dropped_samples"], 0);
}
