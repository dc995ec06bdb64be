//! The PDT/DMR transmitter against an independent decoder: `linkscope gen pdt` (base-station
//! channel: slot 1 idle and CSBKs, slot 2 a group call with voice LC headers, voice superframes
//! and a terminator) FM-demodulated to 48 kHz s16 discriminator audio is decoded by DSDcc's
//! `dsdccx` (Debian `dsdcc`; skipped when absent). dsdccx must report DMR with normal polarity,
//! the colour code, idle on slot 1 and the call's voice with its IDs on slot 2; every voice sync; and at least 90 % of the data syncs (it skips some bursts of the
//! idle slot while it follows the call).

mod common;

use linkscope::dsp::fm::FmDiscriminator;
use linkscope::dsp::Complex32;
use std::process::Command;

#[test]
fn dsdccx_decodes_the_generator() {
    if Command::new("sh")
        .args(["-c", "command -v dsdccx"])
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        eprintln!("skipped: dsdccx not installed (Debian dsdcc)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    for std in ["dmr", "pdt"] {
        let base = dir.path().join(std);
        let b = base.to_str().unwrap();
        let (rc, _, err) = common::linkscope(&[
            "gen",
            "pdt",
            "-o",
            b,
            "--standard",
            std,
            "--cc",
            "5",
            "--slot",
            "2",
            "--src",
            "3520001",
            "--dst",
            "35001",
            "--bursts",
            "300",
            "--superframes",
            "4",
        ]);
        assert_eq!(rc, 0, "{err}");
        let meta: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{b}.sigmf-meta")).unwrap())
                .unwrap();
        let counts = &meta["global"]["linkscope:truth"]["burst_counts"];
        let data: u64 = counts
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| !k.ends_with("_voice"))
            .map(|(_, v)| v.as_u64().unwrap())
            .sum();
        // The generator's cf32 samples through a plain quadrature discriminator, Hz × 6 → s16.
        let raw = std::fs::read(format!("{b}.sigmf-data")).unwrap();
        let x: Vec<Complex32> = raw
            .chunks_exact(8)
            .map(|c| {
                Complex32::new(
                    f32::from_le_bytes(c[..4].try_into().unwrap()),
                    f32::from_le_bytes(c[4..].try_into().unwrap()),
                )
            })
            .collect();
        let mut hz = vec![0f32; x.len()];
        FmDiscriminator::hz(48_000.0).process(&x, &mut hz);
        let audio: Vec<u8> = hz
            .iter()
            .flat_map(|&v| ((v * 6.0).round().clamp(-32768.0, 32767.0) as i16).to_le_bytes())
            .collect();
        let s16 = dir.path().join(format!("{std}.s16"));
        std::fs::write(&s16, audio).unwrap();
        let msgs = dir.path().join(format!("{std}.msgs"));
        let out = Command::new("dsdccx")
            .arg("-i")
            .arg(&s16)
            .args(["-fr", "-T", "3", "-n", "-M"])
            .arg(&msgs)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        let (d, v) = (log.matches("+DMRd").count(), log.matches("+DMRv").count());
        let m = std::fs::read_to_string(&msgs).unwrap();
        eprintln!(
            "{std}: dsdccx: {d} data syncs of {data}, {v} voice syncs of 4; e.g. {}",
            m.lines().find(|l| l.contains("VOX 0")).unwrap_or("")
        );
        assert!(!log.contains("-DMR"), "inverted polarity reported");
        assert_eq!(v, 4);
        assert!(d as u64 * 10 >= data * 9, "{d} of {data}");
        for want in ["BS S1: *05 IDL", "S2: *05 VOX 03520001>G00035001"] {
            assert!(
                m.contains(want),
                "{std}: no '{want}' in dsdccx messages:\n{m}"
            );
        }
    }
}
