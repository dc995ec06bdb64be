//! The over-the-air DMR recording `captures/pdt/dsdcc_dmr_it_8` (a copy of
//! `../shared/captures/real/real_dmr_it_8`: FM-discriminator audio of an Italian Tier II
//! repeater; truth in its meta, DSDcc's log beside it): colour code 4, slot 1 idle. Every data
//! burst dsdccx synchronised to must be found and validate. Negative controls: the real dPMR and
//! D-Star recordings of `../shared` give no valid burst.

mod common;

use linkscope::io::{Capture, OpenOptions};
use linkscope::pdt::burst::SyncKind;
use linkscope::pdt::rx::decode_audio;

#[test]
fn the_real_repeater_recording_decodes_as_dmr_colour_code_4() {
    // A copy of ../shared/captures/real/real_dmr_it_8 with dsdccx's log (captures/README.md).
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("captures/pdt/dsdcc_dmr_it_8.sigmf-meta");
    let mut cap = Capture::open(&base, &OpenOptions::default()).unwrap();
    let mut x = vec![0f32; cap.info.num_samples as usize];
    let n = cap.read_real(&mut x).unwrap();
    x.truncate(n);
    let found = decode_audio(&x, cap.info.sample_rate_hz).unwrap();
    let data: Vec<_> = found.iter().filter_map(|f| f.data.as_ref()).collect();
    let valid = data.iter().filter(|d| d.check.is_some()).count();
    let voice = found
        .iter()
        .filter(|f| f.sync == Some(SyncKind::BsVoice))
        .count();
    let oracle =
        std::fs::read_to_string(base.with_file_name("dsdcc_dmr_it_8.dsdccx.log.txt")).unwrap();
    let (od, ov) = (
        oracle.matches("+DMRd").count(),
        oracle.matches("+DMRv").count(),
    );
    eprintln!(
        "linkscope: {} bursts, {} data ({} valid), {} voice syncs; dsdccx: {od} data syncs, {ov} voice syncs",
        found.len(),
        data.len(),
        valid,
        voice
    );
    assert!(found.iter().all(|f| !f.inverted));
    assert!(data.iter().all(|d| d.color_code == 4 || d.check.is_none()));
    assert!(
        valid >= od,
        "{valid} valid data bursts, dsdccx synchronised to {od}"
    );
    assert!(voice >= ov * 9 / 10, "{voice} voice syncs, dsdccx {ov}");
}

#[test]
fn other_digital_modes_give_no_valid_bursts() {
    // Negative controls: real dPMR and D-Star recordings (discriminator audio).
    for name in [
        "real/real_dpmr.sigmf-meta",
        "real/real_dstar_f1zil_1.sigmf-meta",
    ] {
        let Some(base) = common::shared(name) else {
            return;
        };
        let mut cap = Capture::open(&base, &OpenOptions::default()).unwrap();
        let mut x = vec![0f32; cap.info.num_samples as usize];
        let n = cap.read_real(&mut x).unwrap();
        x.truncate(n);
        let found = decode_audio(&x, cap.info.sample_rate_hz).unwrap();
        let valid = found
            .iter()
            .filter_map(|f| f.data.as_ref())
            .filter(|d| d.check.is_some())
            .count();
        eprintln!(
            "{name}: {} sync candidates, {valid} valid bursts",
            found.len()
        );
        assert_eq!(valid, 0, "{name}");
    }
}
