//! The PDT/DMR transmitter against an independent decoder: a base-station burst stream (slot 1
//! idle, slot 2 a voice LC header then terminators, colour code 4, CACH with TACT) as 48 kHz s16
//! FM-discriminator audio is decoded by DSDcc's `dsdccx` (Debian `dsdcc`; skipped when absent).
//! dsdccx must find every burst's data sync with normal polarity, the colour code and, per slot,
//! the data types from the slot type.

use linkscope::fec::dmr::Standard;
use linkscope::pdt::burst::{bs_stream, data_burst, lc_pdu, FullLc, SyncKind, IDLE_INFO};
use linkscope::pdt::tx::{bits_to_symbols, frequency};
use std::process::Command;

fn stream(std: Standard) -> Vec<u8> {
    let lc = FullLc {
        pf: false,
        flco: 0,
        fid: 0,
        service_options: 0,
        dst_id: 19535,
        src_id: 2_222_223,
    };
    let bits = bs_stream((0..200u8).map(|i| {
        let slot = i % 2;
        let b = match (slot, i < 150) {
            (0, _) => data_burst(4, 9, &IDLE_INFO, SyncKind::BsData),
            (_, true) => data_burst(4, 1, &lc_pdu(&lc, 1, std), SyncKind::BsData),
            _ => data_burst(4, 2, &lc_pdu(&lc, 2, std), SyncKind::BsData),
        };
        (slot, b)
    }));
    frequency(&bits_to_symbols(&bits), 10, 1.0)
        .iter()
        .flat_map(|&hz| ((hz * 6.0).round().clamp(-32768.0, 32767.0) as i16).to_le_bytes())
        .collect()
}

#[test]
fn dsdccx_decodes_the_transmitter() {
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
    for std in [Standard::Dmr, Standard::Pdt] {
        let audio = dir.path().join(format!("{}.s16", std.name()));
        std::fs::write(&audio, stream(std)).unwrap();
        let msgs = dir.path().join(format!("{}.msgs", std.name()));
        let out = Command::new("dsdccx")
            .arg("-i")
            .arg(&audio)
            .args(["-fr", "-T", "3", "-n", "-M"])
            .arg(&msgs)
            .output()
            .unwrap();
        let log = String::from_utf8_lossy(&out.stderr).to_string()
            + &String::from_utf8_lossy(&out.stdout);
        let syncs = log.matches("+DMRd").count();
        assert_eq!(
            syncs,
            200,
            "{}: dsdccx found {syncs} data syncs of 200",
            std.name()
        );
        assert!(!log.contains("-DMR"), "inverted polarity reported");
        let m = std::fs::read_to_string(&msgs).unwrap();
        eprintln!("{}: dsdccx: {}", std.name(), m.lines().last().unwrap_or(""));
        assert!(m.contains("S1: *04 IDL"), "{m}");
        assert!(m.contains("S2: *04 VLC"), "{m}");
        assert!(m.contains("S2: *04 TLC"), "{m}");
    }
}
