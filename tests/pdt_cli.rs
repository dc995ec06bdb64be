//! `linkscope gen pdt` and `linkscope pdt` end to end: both mask sets, the decoded calls and
//! signalling against the generator's truth, the link metrics against the injected
//! impairments, and bad input.

mod common;

use common::{json_lines, linkscope};
use serde_json::Value;
use std::path::Path;

fn gen(dir: &Path, name: &str, extra: &[&str]) -> (String, Value) {
    let base = dir.join(name);
    let b = base.to_str().unwrap().to_string();
    let mut args = vec!["gen", "pdt", "-o", &b];
    args.extend_from_slice(extra);
    let (rc, _, err) = linkscope(&args);
    assert_eq!(rc, 0, "{err}");
    let meta = format!("{b}.sigmf-meta");
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    (meta, m["global"]["linkscope:truth"].clone())
}

fn analyse(meta: &str, extra: &[&str]) -> (Vec<Value>, Value) {
    let mut args = vec!["pdt", meta, "--json", "-q"];
    args.extend_from_slice(extra);
    let (rc, out, err) = linkscope(&args);
    assert_eq!(rc, 0, "{err}");
    json_lines(&out)
}

#[test]
fn both_mask_sets_decode_to_the_generated_traffic() {
    let dir = tempfile::tempdir().unwrap();
    for (std, slot, cc) in [("dmr", "1", "7"), ("pdt", "2", "12")] {
        let (meta, truth) = gen(
            dir.path(),
            std,
            &[
                "--standard",
                std,
                "--cc",
                cc,
                "--slot",
                slot,
                "--src",
                "3520017",
                "--dst",
                "35100",
                "--bursts",
                "160",
                "--superframes",
                "3",
            ],
        );
        let (bursts, s) = analyse(&meta, &[]);
        let cc: u64 = cc.parse().unwrap();
        // Every burst the generator made, minus the one the end of the file may cut.
        let made = truth["bursts"].as_u64().unwrap();
        assert!(
            bursts.len() as u64 >= made - 1,
            "{} of {made}",
            bursts.len()
        );
        for b in &bursts {
            // Voice burst A carries no colour code.
            if b["voice_burst"] != "A" {
                assert_eq!(b["color_code"].as_u64(), Some(cc), "{b}");
            }
            assert_eq!(b["fec_ok"], true, "{b}");
            assert_eq!(b["ber"].as_f64(), Some(0.0), "{b}");
            if b["burst"] == "data" && b["data_type"] != 9 {
                assert_eq!(b["standard"], std, "{b}");
            }
        }
        // Counts per slot and kind equal the generator's.
        for (key, n) in truth["burst_counts"].as_object().unwrap() {
            let (sl, kind) = key.split_once('_').unwrap();
            let sl: u64 = sl.trim_start_matches("slot").parse().unwrap();
            let got = bursts
                .iter()
                .filter(|b| b["slot"].as_u64() == Some(sl))
                .filter(|b| match kind {
                    "voice" => b["burst"] == "voice",
                    k => b["data_type_name"] == k,
                })
                .count() as u64;
            let n = n.as_u64().unwrap();
            assert!(
                got == n || (got + 1 == n && kind == "idle"),
                "{key}: {got} of {n}"
            );
        }
        assert_eq!(s["standard"], std);
        assert_eq!(s["color_codes"], serde_json::json!([cc]));
        let calls = s["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1, "{s}");
        let c = &calls[0];
        assert_eq!(c["slot"].as_u64(), Some(slot.parse().unwrap()));
        assert_eq!(
            (c["src_id"].as_u64(), c["dst_id"].as_u64()),
            (Some(3520017), Some(35100))
        );
        assert_eq!(c["voice_bursts"].as_u64(), Some(18));
        assert_eq!(c["vocoder"], "ambe+2 (assumed)");
        assert_eq!(c["standard"], std);
        for how in ["voice_lc_header", "embedded_lc", "terminator"] {
            assert!(
                c["seen_in"].as_array().unwrap().iter().any(|v| v == how),
                "{c}"
            );
        }
        // The voice superframes: A with the sync, B–F by their EMB, the embedded LC in E.
        let letters: String = bursts
            .iter()
            .filter_map(|b| b["voice_burst"].as_str())
            .collect();
        assert_eq!(letters, "ABCDEF".repeat(3));
        let emb = bursts
            .iter()
            .filter(|b| b["embedded_lc"]["src_id"] == 3520017)
            .count();
        assert_eq!(emb, 3);
        // CSBKs: preambles addressed to the call.
        let csbk: Vec<&Value> = bursts.iter().filter(|b| b["data_type"] == 3).collect();
        assert!(!csbk.is_empty());
        assert!(csbk.iter().all(|b| b["csbk_opcode"] == 0x3D));
        assert!(csbk
            .iter()
            .filter(|b| b["slot"].as_u64() == Some(slot.parse().unwrap()))
            .all(|b| b["dst_id"] == 35100 && b["src_id"] == 3520017));
        // Short LC activity updates: the call's slot busy with a group voice call.
        assert!(
            bursts.iter().any(|b| b["short_lc"]["slco"] == 1),
            "no short LC"
        );
        assert_eq!(s["ber"].as_f64(), Some(0.0));
        assert_eq!(s["sync_losses"], 0);
    }
}

#[test]
fn measured_impairments_match_the_generator() {
    let dir = tempfile::tempdir().unwrap();
    // (deviation error %, carrier error Hz, clock ppm, format, offset)
    for (i, (dev, cfo, ppm, fmt, off)) in [
        ("3", "700", "40", "cu8", "-200k"),
        ("-4", "-1000", "-50", "ci16_le", "500k"),
    ]
    .into_iter()
    .enumerate()
    {
        let (meta, truth) = gen(
            dir.path(),
            &format!("imp{i}"),
            &[
                "--bursts",
                "400",
                "--esn0",
                "20",
                "--deviation-error",
                dev,
                "--cfo",
                cfo,
                "--clock-ppm",
                ppm,
                "--rate",
                "2.4M",
                "--offset",
                off,
                "--format",
                fmt,
                "--freq",
                "351M",
                "--seed",
                "7",
            ],
        );
        let f = 351e6 + units(off);
        let (_, s) = analyse(&meta, &["-f", &f.to_string()]);
        let want_dev = truth["deviation_hz"].as_f64().unwrap();
        let dev_hz = s["deviation_hz"].as_f64().unwrap();
        assert!(
            (dev_hz / want_dev - 1.0).abs() < 0.02,
            "deviation {dev_hz} vs {want_dev}"
        );
        let fe = s["freq_error_hz"].as_f64().unwrap();
        assert!(
            (fe - truth["cfo_hz"].as_f64().unwrap()).abs() < 20.0,
            "carrier {fe}"
        );
        let ce = s["clock_error_ppm"].as_f64().unwrap();
        assert!(
            (ce - truth["clock_ppm"].as_f64().unwrap()).abs() < 5.0,
            "clock {ce}"
        );
        assert!(s["data_failed"].as_u64().unwrap() == 0, "{s}");
        eprintln!(
            "case {i}: deviation {dev_hz} Hz (true {want_dev}), carrier {fe} Hz, clock {ce} ppm"
        );
    }
    // FSK error: a 4 % RMS symbol-level error on an otherwise clean channel reads 4 % (the
    // receiver's own floor, < 1 %, adds in quadrature).
    let (meta, _) = gen(dir.path(), "fsk", &["--bursts", "200", "--fsk-error", "4"]);
    let (_, s) = analyse(&meta, &[]);
    let fsk = s["fsk_error_pct"].as_f64().unwrap();
    assert!((3.8..4.4).contains(&fsk), "FSK error {fsk} %");
    let (meta, _) = gen(dir.path(), "clean", &["--bursts", "100"]);
    let png = dir.path().join("eye.png");
    let (_, s) = analyse(&meta, &["--png", png.to_str().unwrap()]);
    assert_eq!(&std::fs::read(&png).unwrap()[..4], b"\x89PNG");
    assert!(s["fsk_error_pct"].as_f64().unwrap() < 1.0, "{s}");
    assert!(s["mag_error_pct"].as_f64().unwrap() < 0.5, "{s}");
}

fn units(s: &str) -> f64 {
    let (n, m) = match s.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => (s, 1.0),
    };
    n.parse::<f64>().unwrap() * m
}

/// Copy a SigMF pair to `dir/name`, transforming the data bytes and the global meta.
fn copy_capture(
    meta: &Path,
    dir: &Path,
    name: &str,
    data: impl FnOnce(Vec<u8>) -> Vec<u8>,
    global: impl FnOnce(&mut Value),
) -> String {
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(meta).unwrap()).unwrap();
    global(&mut m["global"]);
    let bytes = std::fs::read(meta.with_extension("sigmf-data")).unwrap();
    let out = dir.join(name);
    std::fs::write(out.with_extension("sigmf-data"), data(bytes)).unwrap();
    let mp = out.with_extension("sigmf-meta");
    std::fs::write(&mp, serde_json::to_string_pretty(&m).unwrap()).unwrap();
    mp.to_str().unwrap().to_string()
}

#[test]
fn the_real_repeater_recording_and_its_inversion() {
    let meta = Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/pdt/dsdcc_dmr_it_8.sigmf-meta");
    let dir = tempfile::tempdir().unwrap();
    let inverted = copy_capture(
        &meta,
        dir.path(),
        "inverted",
        |b| {
            b.chunks_exact(2)
                .flat_map(|c| {
                    i16::from_le_bytes([c[0], c[1]])
                        .saturating_neg()
                        .to_le_bytes()
                })
                .collect()
        },
        |_| {},
    );
    let mut counts = Vec::new();
    for (m, pol) in [
        (meta.to_str().unwrap(), "normal"),
        (inverted.as_str(), "inverted"),
    ] {
        let (bursts, s) = analyse(m, &[]);
        assert_eq!(s["color_codes"], serde_json::json!([4]), "{s}");
        assert_eq!(s["standard"], "dmr");
        assert_eq!(s["polarity"], pol);
        // Slot 1 carries only idle bursts, slot 2 the call (with a short break near 8.5 s, where
        // the repeater sends an idle burst and a new voice LC header).
        for b in &bursts {
            match b["slot"].as_u64() {
                Some(1) => assert_eq!(b["data_type_name"], "idle", "{b}"),
                Some(2) => assert!(
                    b["burst"] == "voice" || b["data_type"] == 1 || b["data_type"] == 9,
                    "{b}"
                ),
                _ => panic!("burst without slot: {b}"),
            }
            // No address that failed its check is reported: only the true ones appear.
            for key in ["src_id", "dst_id"] {
                for v in [&b[key], &b["embedded_lc"][key]] {
                    assert!(v.is_null() || *v == 2_222_223 || *v == 19_535, "{b}");
                }
            }
        }
        let calls = s["calls"].as_array().unwrap();
        assert_eq!(calls.len(), 1, "{s}");
        assert_eq!(calls[0]["slot"], 2);
        assert_eq!(calls[0]["src_id"], 2_222_223);
        assert_eq!(calls[0]["dst_id"], 19_535);
        assert_eq!(calls[0]["call"], "group");
        // The CACH's short LC: slot 2 busy with a group voice call to the talkgroup whose
        // CRC-8 address hash it carries, slot 1 idle.
        let slc = &s["short_lc"][0];
        assert_eq!(
            (slc["slco"].as_u64(), slc["ts1_activity"].as_u64()),
            (Some(1), Some(0))
        );
        assert_eq!(slc["ts2_activity"], 8);
        assert_eq!(
            slc["ts2_hash"].as_u64(),
            Some(linkscope::pdt::lc::address_hash(19_535) as u64)
        );
        let embedded = bursts
            .iter()
            .filter(|b| b["embedded_lc"].is_object())
            .count();
        let valid = bursts.iter().filter(|b| b["fec_ok"] == true).count();
        // dsdccx synchronised to 71 data and 53 voice bursts (oracle/ log).
        assert!(valid >= 71 + 53, "{valid}");
        assert!(embedded >= 40, "{embedded} embedded LCs");
        counts.push((bursts.len(), valid, embedded));
        eprintln!(
            "{pol}: {} bursts, {valid} valid, {embedded} embedded LCs, FSK error {} %",
            bursts.len(),
            s["fsk_error_pct"]
        );
    }
    assert_eq!(counts[0], counts[1]);
}

#[test]
fn other_signals_give_no_bursts() {
    let dir = tempfile::tempdir().unwrap();
    let mut inputs: Vec<String> = [
        "real/real_dpmr.sigmf-meta",
        "real/real_dstar_f1zil_1.sigmf-meta",
        "gnuradio/nbfm_12k5_voice_ctcss250.3_cnr40.sigmf-meta",
        "gnuradio/nbfm_12k5_tone1k_ctcss088.5_cnr20.sigmf-meta",
        "gnuradio/nbfm_noise_only_48k.sigmf-meta",
        "gnuradio/ffsk1200_fms_cnr30.sigmf-meta",
    ]
    .iter()
    .filter_map(|n| common::shared(n))
    .map(|p| p.to_str().unwrap().to_string())
    .collect();
    // Our own DMR signal played at the wrong rate (the meta claims twice and half the rate:
    // 2400 and 9600 Bd 4FSK).
    let (meta, _) = gen(dir.path(), "ok", &["--bursts", "100"]);
    for (name, rate) in [("slow", 96_000.0), ("fast", 24_000.0)] {
        inputs.push(copy_capture(
            Path::new(&meta),
            dir.path(),
            name,
            |b| b,
            |g| {
                g["core:sample_rate"] = serde_json::json!(rate);
            },
        ));
    }
    // Noise only.
    let (noise, _) = gen(dir.path(), "noise", &["--bursts", "100", "--esn0", "-30"]);
    inputs.push(noise);
    for m in &inputs {
        let (bursts, s) = analyse(m, &[]);
        eprintln!("{m}: {}", s["status"]);
        assert!(bursts.is_empty(), "{m}: {:?}", bursts.first());
        assert!(s["status"]
            .as_str()
            .unwrap()
            .starts_with("no DMR/PDT burst found"));
    }
}

#[test]
fn bad_input_is_reported_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (meta, truth) = gen(dir.path(), "ok", &["--bursts", "60", "--superframes", "1"]);
    // Cut in the middle of burst 40: 39 complete bursts at most, the cut one counted.
    let cut_at = (((8 + 144 * 40 + 12 + 60) as f64 / 4800.0) * 48_000.0) as usize * 8;
    let cut = copy_capture(
        Path::new(&meta),
        dir.path(),
        "cut",
        |b| b[..cut_at].to_vec(),
        |_| {},
    );
    let (bursts, s) = analyse(&cut, &[]);
    assert_eq!(bursts.len(), 40, "{s}");
    assert_eq!(s["truncated_bursts"], 1, "{s}");
    assert!(bursts.iter().all(|b| b["fec_ok"] == true));
    assert!(truth["bursts"].as_u64().unwrap() == 60);
    // NaNs in the samples (a corrupt float capture): the reader names the file and sample.
    let nan = copy_capture(
        Path::new(&meta),
        dir.path(),
        "nan",
        |mut b| {
            for k in (0..b.len() / 4).step_by(997) {
                b[4 * k..4 * k + 4].copy_from_slice(&f32::NAN.to_le_bytes());
            }
            b
        },
        |_| {},
    );
    let (rc, _, err) = linkscope(&["pdt", &nan, "-q"]);
    assert_eq!(rc, 1);
    assert!(
        err.contains("nan.sigmf-data") && err.contains("not a finite number"),
        "{err}"
    );
    // Discriminator audio at too low a rate for 4800 Bd: named, exit 1.
    let real = copy_capture(
        Path::new(&meta),
        dir.path(),
        "lowrate",
        |b| b,
        |g| {
            g["core:datatype"] = serde_json::json!("rf32_le");
            g["core:sample_rate"] = serde_json::json!(16_000.0);
        },
    );
    let (rc, _, err) = linkscope(&["pdt", &real, "-q"]);
    assert_eq!(rc, 1);
    assert!(err.contains("lowrate") && err.contains("19.2 kHz"), "{err}");
    // A channel outside the capture.
    let (rc, _, err) = linkscope(&["pdt", &meta, "-f", "360M", "-q"]);
    assert_eq!(rc, 1);
    assert!(err.contains("outside the capture"), "{err}");
}

#[test]
fn nvoc_voice_is_recognised() {
    // The vocoder frames coded as NVOC (two Golay(24,12) words per 72-bit frame, addendum
    // §2.4): the call is classified "nvoc"; the same call with a PN9 pattern is not.
    let dir = tempfile::tempdir().unwrap();
    let (meta, _) = gen(
        dir.path(),
        "nvoc",
        &["--bursts", "80", "--superframes", "2", "--nvoc"],
    );
    let (bursts, s) = analyse(&meta, &[]);
    assert_eq!(s["calls"][0]["vocoder"], "nvoc", "{s}");
    assert!(bursts
        .iter()
        .filter(|b| b["burst"] == "voice")
        .all(|b| b["nvoc_frames"] == 3));
}
