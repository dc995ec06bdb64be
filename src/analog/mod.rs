//! Analogue NBFM voice channels (350 MHz conventional): the receiver chain, the sub-audible
//! and in-band signalling decoders, service-monitor measurements and a transmitter model.
//!
//! ```text
//! IQ ─► Ddc (channel at ~1.28 × channel spacing) ─► FM discriminator (Hz) ─┬─► deviation, carrier error,
//!                                                                         │   noise squelch (3.5–5.3 kHz noise → CNR)
//!                                                                         ├─► sub-audio ÷12 (LPF 260 Hz) ─► CTCSS, DCS
//!                                                                         └─► de-emphasis ─► audio analyser (SINAD, tone, O.41)
//!                                                                             └─► resampler (8/16 kHz) ─► DTMF, selcall, WAV
//! ```

pub mod ctcss;
pub mod dcs;
pub mod measure;
pub mod rx;
pub mod tones;
pub mod tx;

/// The 50 CTCSS tones (Hz) in the order radios number them 1–50 (`../shared/spec/analog.md`
/// §4.1): the 38 EIA tones, the 4 of the 42-tone TIA list and the 8 of the 50-tone list.
pub const CTCSS_TONES_HZ: [f64; 50] = [
    67.0, 69.3, 71.9, 74.4, 77.0, 79.7, 82.5, 85.4, 88.5, 91.5, 94.8, 97.4, 100.0, 103.5, 107.2,
    110.9, 114.8, 118.8, 123.0, 127.3, 131.8, 136.5, 141.3, 146.2, 151.4, 156.7, 159.8, 162.2,
    165.5, 167.9, 171.3, 173.8, 177.3, 179.9, 183.5, 186.2, 189.9, 192.8, 196.6, 199.5, 203.5,
    206.5, 210.7, 218.1, 225.7, 229.1, 233.6, 241.8, 250.3, 254.1,
];

/// Maximum permissible peak deviation (Hz) for a channel spacing: ±2.5 kHz at 12.5 kHz,
/// ±4 kHz at 20 kHz, ±5 kHz at 25 kHz (spec §5.1); proportional in between.
pub fn max_deviation_hz(channel_bw_hz: f64) -> f64 {
    if channel_bw_hz <= 12_500.0 {
        2_500.0 * channel_bw_hz / 12_500.0
    } else if channel_bw_hz <= 20_000.0 {
        2_500.0 + (channel_bw_hz - 12_500.0) / 7_500.0 * 1_500.0
    } else {
        4_000.0 + ((channel_bw_hz - 20_000.0) / 5_000.0).min(1.0) * 1_000.0
    }
}
