//! Bad input gets one clear error line naming the file and the problem, exit code 1, no panic,
//! and no output file that could be mistaken for a finished one.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn linkscope(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// Run `scan` with every file output requested and check the failure contract.
fn assert_clean_failure(dir: &Path, input: &str, extra: &[&str], file_named: &str, problem: &str) {
    let before: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let mut args = vec![
        "scan",
        input,
        "--csv",
        "o.csv",
        "--png",
        "o.png",
        "--waterfall",
        "w.png",
        "--rtl-power",
        "r.csv",
    ];
    args.extend_from_slice(extra);
    let out = linkscope(&args, dir);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{input}: exit code, stderr: {err}"
    );
    assert!(!err.contains("panicked"), "{input}: panic: {err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{input}: expected one error line, got {err}"
    );
    assert!(lines[0].starts_with("error: "), "{err}");
    assert!(
        lines[0].contains(file_named),
        "{input}: error does not name {file_named}: {err}"
    );
    assert!(
        lines[0].contains(problem),
        "{input}: error does not say '{problem}': {err}"
    );
    assert!(out.stdout.is_empty(), "{input}: something on stdout");
    let after: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(
        before.len(),
        after.len(),
        "{input}: output left behind: {after:?}"
    );
}

fn meta(datatype: &str, rate: Option<f64>) -> Value {
    let mut g = json!({"core:datatype": datatype, "core:version": "1.2.0"});
    if let Some(r) = rate {
        g["core:sample_rate"] = json!(r);
    }
    json!({"global": g, "captures": [{"core:sample_start": 0, "core:frequency": 355e6}], "annotations": []})
}

fn write_pair(dir: &Path, name: &str, meta: &Value, data: &[u8]) {
    std::fs::write(
        dir.join(format!("{name}.sigmf-meta")),
        serde_json::to_vec(meta).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join(format!("{name}.sigmf-data")), data).unwrap();
}

/// A cu8 tone at +100 kHz, `n` samples.
fn cu8_tone(n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            let ph = 2.0 * std::f64::consts::PI * 100e3 * i as f64 / 1e6;
            [
                (127.5 + 60.0 * ph.cos()).round() as u8,
                (127.5 + 60.0 * ph.sin()).round() as u8,
            ]
        })
        .collect()
}

#[test]
fn empty_file() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("empty.cu8"), b"").unwrap();
    assert_clean_failure(
        d.path(),
        "empty.cu8",
        &["--rate", "1M", "--freq", "355M"],
        "empty.cu8",
        "empty",
    );
    write_pair(d.path(), "e", &meta("cu8", Some(1e6)), b"");
    assert_clean_failure(d.path(), "e.sigmf-meta", &[], "e.sigmf-data", "empty");
    std::fs::write(d.path().join("m.sigmf-meta"), b"").unwrap();
    std::fs::write(d.path().join("m.sigmf-data"), cu8_tone(100)).unwrap();
    assert_clean_failure(d.path(), "m.sigmf-meta", &[], "m.sigmf-meta", "empty");
}

#[test]
fn truncated_data_odd_number_of_bytes() {
    let d = tempfile::tempdir().unwrap();
    let mut data = cu8_tone(50_000);
    data.pop();
    write_pair(d.path(), "t", &meta("cu8", Some(1e6)), &data);
    assert_clean_failure(
        d.path(),
        "t.sigmf-meta",
        &[],
        "t.sigmf-data",
        "not a whole number",
    );
}

#[test]
fn unknown_datatype() {
    let d = tempfile::tempdir().unwrap();
    write_pair(d.path(), "u", &meta("ci32_be", Some(1e6)), &cu8_tone(100));
    assert_clean_failure(
        d.path(),
        "u.sigmf-meta",
        &[],
        "u.sigmf-meta",
        "core:datatype \"ci32_be\" is not supported",
    );
}

#[test]
fn missing_sample_rate() {
    let d = tempfile::tempdir().unwrap();
    write_pair(d.path(), "r", &meta("cu8", None), &cu8_tone(100));
    assert_clean_failure(
        d.path(),
        "r.sigmf-meta",
        &[],
        "r.sigmf-meta",
        "core:sample_rate is missing",
    );
}

#[test]
fn invalid_json() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("j.sigmf-meta"),
        b"{\"global\": {\"core:datatype\": \"cu8\",, }",
    )
    .unwrap();
    std::fs::write(d.path().join("j.sigmf-data"), cu8_tone(100)).unwrap();
    assert_clean_failure(
        d.path(),
        "j.sigmf-meta",
        &[],
        "j.sigmf-meta",
        "invalid JSON at line 1",
    );
}

#[test]
fn data_shorter_than_the_meta_claims() {
    let d = tempfile::tempdir().unwrap();
    let mut m = meta("cu8", Some(1e6));
    m["annotations"] =
        json!([{"core:sample_start": 40_000, "core:sample_count": 20_000, "core:label": "burst"}]);
    write_pair(d.path(), "s", &m, &cu8_tone(50_000));
    assert_clean_failure(
        d.path(),
        "s.sigmf-meta",
        &[],
        "s.sigmf-data",
        "shorter than the meta claims",
    );
}

#[test]
fn nan_and_inf_samples_in_cf32() {
    for bad in [f32::NAN, f32::INFINITY] {
        let d = tempfile::tempdir().unwrap();
        let mut data = Vec::new();
        for i in 0..200_000u32 {
            let v = if i == 123_456 {
                bad
            } else {
                0.01 * (i as f32 * 0.3).cos()
            };
            data.extend_from_slice(&v.to_le_bytes());
            data.extend_from_slice(&0.0f32.to_le_bytes());
        }
        write_pair(d.path(), "n", &meta("cf32_le", Some(1e6)), &data);
        assert_clean_failure(
            d.path(),
            "n.sigmf-meta",
            &[],
            "n.sigmf-data",
            "sample 123456 is not a finite number",
        );
    }
}

/// A one-member ustar archive whose member name is written verbatim (tar writers refuse `..`).
fn raw_tar(name: &str, content: &[u8]) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..name.len()].copy_from_slice(name.as_bytes());
    h[100..108].copy_from_slice(b"0000644\0");
    h[108..116].copy_from_slice(b"0000000\0");
    h[116..124].copy_from_slice(b"0000000\0");
    h[124..136].copy_from_slice(format!("{:011o}\0", content.len()).as_bytes());
    h[136..148].copy_from_slice(b"00000000000\0");
    h[156] = b'0';
    h[257..263].copy_from_slice(b"ustar\0");
    h[263..265].copy_from_slice(b"00");
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(content);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

#[test]
fn archive_with_parent_dir_paths_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let m = serde_json::to_vec(&meta("cu8", Some(1e6))).unwrap();
    std::fs::write(
        d.path().join("evil.sigmf"),
        raw_tar("../evil.sigmf-meta", &m),
    )
    .unwrap();
    assert_clean_failure(
        d.path(),
        "evil.sigmf",
        &[],
        "evil.sigmf",
        "outside the archive",
    );
    assert!(!d.path().parent().unwrap().join("evil.sigmf-meta").exists());
}

#[test]
fn channel_outside_the_band_and_real_samples_are_refused() {
    let d = tempfile::tempdir().unwrap();
    write_pair(d.path(), "ok", &meta("cu8", Some(1e6)), &cu8_tone(100_000));
    assert_clean_failure(
        d.path(),
        "ok.sigmf-meta",
        &["--band", "400M:401M"],
        "ok.sigmf-meta",
        "no channel of the plan",
    );
    write_pair(
        d.path(),
        "audio",
        &meta("ri16_le", Some(48e3)),
        &[0u8; 9600],
    );
    assert_clean_failure(
        d.path(),
        "audio.sigmf-meta",
        &[],
        "audio.sigmf-meta",
        "needs complex IQ",
    );
}

#[test]
fn usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    let out = linkscope(&["scan", "x.cu8", "--band", "nonsense"], d.path());
    assert_eq!(out.status.code(), Some(2));
    let out = linkscope(&["scan"], d.path());
    assert_eq!(out.status.code(), Some(2));
}

/// The same tone read from a SigMF archive, a WAV IQ file and a raw file gives the same power.
#[test]
fn archive_wav_and_raw_inputs_agree() {
    let d = tempfile::tempdir().unwrap();
    let data = cu8_tone(200_000);
    // SigMF archive, recording in a sub-folder as the reference library writes it.
    let m = serde_json::to_vec(&meta("cu8", Some(1e6))).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("rec/rec.sigmf-meta", &m[..]),
        ("rec/rec.sigmf-data", &data[..]),
    ] {
        let mut h = tar::Header::new_ustar();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, bytes).unwrap();
    }
    std::fs::write(d.path().join("a.sigmf"), b.into_inner().unwrap()).unwrap();
    // Raw.
    std::fs::write(d.path().join("t.cu8"), &data).unwrap();
    // WAV IQ, 16 bit.
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 1_000_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(d.path().join("t.wav"), spec).unwrap();
    for v in &data {
        w.write_sample(
            ((*v as f32 - 127.5) / 127.5 * 32768.0)
                .round()
                .clamp(-32768.0, 32767.0) as i16,
        )
        .unwrap();
    }
    w.finalize().unwrap();
    let power = |args: &[&str]| -> f64 {
        let mut a = vec!["scan"];
        a.extend_from_slice(args);
        a.extend_from_slice(&["--json", "-q"]);
        let out = linkscope(&a, d.path());
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["channels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["freq_hz"] == 355.1e6)
            .unwrap()["mean_power_dbfs"]
            .as_f64()
            .unwrap()
    };
    // Truth: amplitude 60/127.5 → 20·log10(0.4706) = −6.55 dBFS (quantisation adds < 0.01 dB here).
    let truth = 20.0 * (60.0f64 / 127.5).log10();
    for args in [
        vec!["a.sigmf"],
        vec!["t.cu8", "--rate", "1M", "--freq", "355M"],
        vec!["t.wav", "--freq", "355M"],
    ] {
        let p = power(&args);
        assert!((p - truth).abs() < 0.1, "{args:?}: {p} vs {truth}");
    }
}

/// Digital silence (a dead receiver): no channel counts as busy, and the report says why.
#[test]
fn all_zero_input_is_not_a_busy_band() {
    let d = tempfile::tempdir().unwrap();
    write_pair(
        d.path(),
        "z",
        &meta("ci16_le", Some(1e6)),
        &vec![0u8; 4 * 200_000],
    );
    let out = linkscope(&["scan", "z.sigmf-meta", "--json", "-q"], d.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["channels_with_signal"], 0);
    assert!(v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["occupancy_pct"] == 0.0));
    assert!(v["warnings"].to_string().contains("silent"));
}

#[test]
fn dataset_path_outside_and_bad_overrides_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut m = meta("cu8", Some(1e6));
    m["global"]["core:dataset"] = json!("../../etc/passwd");
    write_pair(d.path(), "p", &m, &cu8_tone(1000));
    assert_clean_failure(
        d.path(),
        "p.sigmf-meta",
        &[],
        "p.sigmf-meta",
        "core:dataset",
    );
    write_pair(d.path(), "q", &meta("cu8", Some(1e6)), &cu8_tone(100_000));
    assert_clean_failure(
        d.path(),
        "q.sigmf-meta",
        &["--rate=0"],
        "q.sigmf-meta",
        "--rate 0 Hz must be positive",
    );
}

/// A narrowband recording centred on its channel keeps its 0 Hz (the FM carrier there is
/// signal, not a tuner's DC offset): GNU Radio's NBFM capture at unit amplitude reads 0 dBFS.
#[test]
fn narrowband_capture_keeps_its_centre_carrier() {
    let meta = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/gnuradio/nbfm_12k5_tone1k_ctcss067.0_cnr40.sigmf-meta");
    if !meta.exists() {
        eprintln!("skipped: {} not found", meta.display());
        return;
    }
    let out = linkscope(
        &["scan", meta.to_str().unwrap(), "--json", "-q"],
        std::path::Path::new("."),
    );
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["dc_offset_dbfs"], Value::Null);
    let c = &v["channels"][v["channels"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c["freq_hz"] == 355.0125e6)
        .unwrap()];
    // Truth from the meta's chain: a constant-envelope FM carrier of amplitude 1 (0 dBFS) plus
    // noise 40 dB below it in 12.5 kHz: 10·log10(1 + 1e-4) ≈ 0.0004 dB.
    assert!(c["mean_power_dbfs"].as_f64().unwrap().abs() < 0.1, "{c}");
}
