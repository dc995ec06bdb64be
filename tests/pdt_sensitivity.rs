//! Sensitivity at the operating point: Es/N0 12 dB in the channel, carrier error ±1 kHz,
//! symbol clock ±50 ppm — burst detection and slot-type decoding ≥ 99 %, no false burst. The
//! truth is the transmitted traffic, matched by time.

use linkscope::pdt::trial::{run, TrialConfig, TrialResult};

#[test]
fn twelve_db_with_carrier_and_clock_error() {
    // The four corners at a 48 kS/s channel rate, and one through the decimating front end
    // (240 kS/s → 32 kS/s).
    for (i, (cfo, ppm, fs)) in [
        (1000.0, 50.0, 48e3),
        (-1000.0, -50.0, 48e3),
        (1000.0, -50.0, 48e3),
        (-1000.0, 50.0, 48e3),
        (-1000.0, 50.0, 240e3),
    ]
    .into_iter()
    .enumerate()
    {
        let (r, _) = run(&TrialConfig {
            esn0_db: Some(12.0),
            cfo_hz: cfo,
            clock_ppm: ppm,
            bursts: 400,
            seed: 11 + i as u64,
            fs,
        });
        let det = TrialResult::rate(r.detected, r.sync_bursts);
        let st = TrialResult::rate(r.slot_type_ok, r.data_bursts);
        eprintln!(
            "{} kS/s, CFO {cfo:+} Hz, clock {ppm:+} ppm: detected {}/{} ({:.2} %), slot type {}/{} ({:.2} %), decoded {}/{}, false {}, BER {:.2e}",
            fs / 1e3,
            r.detected, r.sync_bursts, 100.0 * det, r.slot_type_ok, r.data_bursts, 100.0 * st,
            r.decoded, r.sent, r.false_bursts, r.ber()
        );
        assert!(det >= 0.99, "burst detection {det}");
        assert!(st >= 0.99, "slot-type decoding {st}");
        assert_eq!(r.false_bursts, 0);
    }
}

#[test]
fn a_clean_channel_decodes_every_burst() {
    let (r, _) = run(&TrialConfig {
        esn0_db: None,
        cfo_hz: 400.0,
        clock_ppm: 20.0,
        bursts: 240,
        seed: 1,
        fs: 48_000.0,
    });
    // The last burst may be cut by the end of the signal.
    assert!(r.decoded + 1 >= r.sent, "{r:?}");
    assert_eq!((r.false_bursts, r.bit_errors), (0, 0), "{r:?}");
}
