//! `linkscope mpt` from the command line: discriminator-audio input, no signal, bad usage.

use linkscope::dsp::Complex32;
use linkscope::io::sigmf_writer::{SigmfHeader, SigmfWriter};
use linkscope::io::SampleFormat;
use linkscope::mpt1327::tx::{control_channel_bits, demo_mix, ffsk_audio};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn mpt(args: &[&str]) -> (i32, Vec<Value>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_linkscope"))
        .arg("mpt")
        .args(args)
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    (
        out.status.code().unwrap_or(-1),
        lines,
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// FM-discriminator audio (real, 48 kHz, as DSD-family tools take it) decodes directly.
#[test]
fn discriminator_audio_input() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("audio");
    let sys = 0x2345;
    let bits = control_channel_bits(sys, &demo_mix(sys).unwrap(), 12);
    let audio = ffsk_audio(&bits, 48_000.0);
    let mut w = SigmfWriter::create(
        &base,
        SigmfHeader {
            format: SampleFormat::Ri16Le,
            sample_rate_hz: 48_000.0,
            center_freq_hz: None,
            datetime: None,
            description: None,
            hw: None,
            extra_global: Default::default(),
        },
    )
    .unwrap();
    // Inverted discriminator polarity, at 30 % of full scale.
    let x: Vec<Complex32> = audio
        .iter()
        .map(|&a| Complex32::new(-0.3 * a, 0.0))
        .collect();
    w.write(&x).unwrap();
    let meta = w.finish().unwrap();
    let (code, lines, err) = mpt(&[meta.to_str().unwrap(), "--json", "-q"]);
    assert_eq!(code, 0, "{err}");
    let s = &lines.last().unwrap()["summary"];
    assert_eq!(s["sys"], "2345");
    assert_eq!(s["valid"], 24, "{s}");
    assert_eq!(s["failed"], 0);
    assert_eq!(
        s["freq_error_hz"],
        Value::Null,
        "no carrier error from audio input"
    );
    // Field names in lower case, types as documented.
    let gtc = lines.iter().find(|l| l["type"] == "GTC").unwrap();
    for k in ["t_s", "hex", "check_ok", "pfix", "ident1", "ident2", "chan"] {
        assert!(gtc.get(k).is_some(), "GTC line lacks {k}");
    }
    assert_eq!(gtc["hex"].as_str().unwrap().len(), 16);
}

/// No FFSK (GNU Radio's noise-only recording): a clear status, no codeword, exit 0.
#[test]
fn no_ffsk_in_noise_gives_a_clear_status() {
    let meta = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/captures/gnuradio/nbfm_noise_only_48k.sigmf-meta");
    if !meta.exists() {
        eprintln!("skipped: {} not found", meta.display());
        return;
    }
    let (code, lines, err) = mpt(&[meta.to_str().unwrap(), "--json", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines.len(), 1, "only the summary line");
    let s = &lines[0]["summary"];
    assert_eq!(s["status"], "no FFSK signal found");
    assert_eq!(s["valid"], 0);
}

#[test]
fn wideband_without_channel_and_channel_outside_band_are_errors() {
    let meta =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("captures/band/rtl_355m_mixed.sigmf-meta");
    let (code, _, err) = mpt(&[meta.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("give the control channel with -f"), "{err}");
    assert_eq!(err.lines().count(), 1);
    let (code, _, err) = mpt(&[meta.to_str().unwrap(), "-f", "360M"]);
    assert_eq!(code, 1);
    assert!(err.contains("outside the capture"), "{err}");
    // A wideband capture with -f on an FM carrier (no FFSK): clean run, clear status.
    let (code, lines, err) = mpt(&[meta.to_str().unwrap(), "-f", "354.7125M", "--json", "-q"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines.last().unwrap()["summary"]["valid"], 0);
}
