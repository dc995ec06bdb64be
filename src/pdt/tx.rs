//! The 4FSK transmitter model (`../shared/spec/dmr-pdt.md` §1.1): dibits → symbols ±1/±3 →
//! impulses at 4800 Bd → root-raised-cosine (α = 0.2) → FM at ±648/±1944 Hz.
//!
//! Scaling: the transmit filter is the RRC times its DC sum, so that after a receiver's matched
//! RRC normalised to unity DC gain the frequency at each symbol instant is exactly the symbol's
//! deviation (the cascade is a Nyquist raised cosine).

use linkscope_dsp::fir::root_raised_cosine;
use linkscope_dsp::Complex32;

/// Symbol rate, Bd.
pub const SYMBOL_RATE: f64 = 4800.0;
/// Deviation of the outer symbols (±3), Hz.
pub const OUTER_DEVIATION_HZ: f64 = 1944.0;
/// RRC roll-off.
pub const ROLL_OFF: f64 = 0.2;
/// RRC length in symbols.
pub const RRC_SPAN: usize = 16;

/// Table 10.3: dibit (first bit, second bit) → symbol.
pub fn dibit_symbol(b0: u8, b1: u8) -> i8 {
    match (b0 & 1, b1 & 1) {
        (0, 1) => 3,
        (0, 0) => 1,
        (1, 0) => -1,
        _ => -3,
    }
}

/// Symbol → dibit (inverse of [`dibit_symbol`]).
pub fn symbol_dibit(s: i8) -> (u8, u8) {
    match s {
        3 => (0, 1),
        1 => (0, 0),
        -1 => (1, 0),
        _ => (1, 1),
    }
}

/// Bits (an even number) → symbols.
pub fn bits_to_symbols(bits: &[u8]) -> Vec<i8> {
    bits.chunks_exact(2)
        .map(|d| dibit_symbol(d[0], d[1]))
        .collect()
}

/// The transmit and (unity-DC) receive RRC filters for `sps` samples per symbol.
pub fn rrc_pair(sps: usize) -> (Vec<f32>, Vec<f32>) {
    let h = root_raised_cosine(sps, RRC_SPAN, ROLL_OFF).expect("valid constants");
    let dc: f32 = h.iter().sum();
    (
        h.iter().map(|v| v * dc).collect(),
        h.iter().map(|v| v / dc).collect(),
    )
}

/// The instantaneous frequency (Hz) of `symbols` at `sps` samples per symbol, with
/// `deviation_scale` applied to the nominal deviations (1.0 = ±1944 Hz outer). The output is
/// `symbols.len()·sps + taps − 1` samples; symbol k's centre is at sample k·sps + (taps−1)/2.
pub fn frequency(symbols: &[i8], sps: usize, deviation_scale: f64) -> Vec<f32> {
    let (tx, _) = rrc_pair(sps);
    let step = (OUTER_DEVIATION_HZ / 3.0 * deviation_scale) as f32;
    let mut out = vec![0f32; symbols.len() * sps + tx.len() - 1];
    for (k, &s) in symbols.iter().enumerate() {
        let a = s as f32 * step;
        for (j, &h) in tx.iter().enumerate() {
            out[k * sps + j] += a * h;
        }
    }
    out
}

/// FM: complex baseband of a frequency trajectory (Hz) at `fs`, plus a carrier offset.
pub fn fm_iq(freq_hz: &[f32], fs: f64, offset_hz: f64) -> Vec<Complex32> {
    let mut ph = 0f64;
    freq_hz
        .iter()
        .map(|&f| {
            ph += std::f64::consts::TAU * (f as f64 + offset_hz) / fs;
            if ph > std::f64::consts::PI {
                ph -= std::f64::consts::TAU;
            }
            Complex32::new(ph.cos() as f32, ph.sin() as f32)
        })
        .collect()
}

/// A transmitter and channel for the generator: 4FSK at a chosen deviation and symbol-clock
/// error, a carrier offset, and white noise at a chosen Es/N0.
#[derive(Debug, Clone)]
pub struct TxChannel {
    /// Sample rate, Hz.
    pub fs: f64,
    /// Position of the channel from the centre of the capture, Hz.
    pub offset_hz: f64,
    /// Carrier frequency error, Hz.
    pub cfo_hz: f64,
    /// Deviation relative to nominal (1.0 = ±1944 Hz outer symbols).
    pub deviation_scale: f64,
    /// Symbol-clock error, ppm (positive = faster than 4800 Bd).
    pub clock_ppm: f64,
    /// Es/N0 in the channel, dB (Es = carrier power × symbol period; N0 = noise density over
    /// the whole capture bandwidth). None: no noise.
    pub esn0_db: Option<f64>,
    /// Carrier amplitude (full scale 1).
    pub amplitude: f32,
    /// Random error of each symbol's frequency, RMS % of the outer deviation (an FSK error
    /// the way a service monitor reports it).
    pub fsk_error_pct: f64,
    /// Noise and start-phase seed.
    pub seed: u64,
}

impl Default for TxChannel {
    fn default() -> TxChannel {
        TxChannel {
            fs: 48_000.0,
            offset_hz: 0.0,
            cfo_hz: 0.0,
            deviation_scale: 1.0,
            clock_ppm: 0.0,
            esn0_db: None,
            amplitude: 0.5,
            fsk_error_pct: 0.0,
            seed: 1,
        }
    }
}

/// Pulse table resolution, points per symbol.
const PULSE_RES: usize = 1024;

/// The instantaneous frequency (Hz) of `symbols` sent at `symbol_rate` and sampled at `fs`:
/// each symbol is a root-raised-cosine pulse (α = 0.2, 16 symbols long) of height
/// symbol × 648 Hz × `deviation_scale` at the output of a matched RRC. Symbol k is centred at
/// (8 + k)/symbol_rate seconds; the track ends 8 symbols after the last one.
pub fn frequency_track(
    symbols: &[i8],
    fs: f64,
    symbol_rate: f64,
    deviation_scale: f64,
) -> Vec<f32> {
    frequency_track_with(symbols, fs, symbol_rate, deviation_scale, |_| 0.0)
}

/// [`frequency_track`] with `err(k)` Hz added to symbol k's level.
pub fn frequency_track_with(
    symbols: &[i8],
    fs: f64,
    symbol_rate: f64,
    deviation_scale: f64,
    mut err: impl FnMut(usize) -> f32,
) -> Vec<f32> {
    let half = RRC_SPAN / 2;
    let table: Vec<f32> = (0..=RRC_SPAN * PULSE_RES)
        .map(|i| root_raised_cosine_value(i as f64 / PULSE_RES as f64 - half as f64) as f32)
        .collect();
    let n = (((symbols.len() + RRC_SPAN) as f64) / symbol_rate * fs).ceil() as usize;
    let mut out = vec![0f32; n];
    let step = (OUTER_DEVIATION_HZ / 3.0 * deviation_scale) as f32;
    for (k, &s) in symbols.iter().enumerate() {
        let a = s as f32 * step + err(k);
        let centre = (half + k) as f64 / symbol_rate * fs; // in samples
        let lo = (centre - half as f64 * fs / symbol_rate).ceil().max(0.0) as usize;
        let hi = ((centre + half as f64 * fs / symbol_rate).floor() as usize).min(n - 1);
        for (i, o) in out.iter_mut().enumerate().take(hi + 1).skip(lo) {
            // Position in the table.
            let u = ((i as f64 - centre) * symbol_rate / fs + half as f64) * PULSE_RES as f64;
            let j = (u.floor() as usize).min(table.len() - 2);
            let fr = (u - j as f64) as f32;
            *o += a * (table[j] + fr * (table[j + 1] - table[j]));
        }
    }
    out
}

fn root_raised_cosine_value(t: f64) -> f64 {
    linkscope_dsp::fir::rrc_pulse(t, ROLL_OFF)
}

/// Bits → complex baseband through `ch` (FM, carrier offset, noise).
pub fn modulate(bits: &[u8], ch: &TxChannel) -> Vec<Complex32> {
    let rate = SYMBOL_RATE * (1.0 + ch.clock_ppm * 1e-6);
    let mut rng = crate::sim::Rng::new(ch.seed);
    let mut jit = crate::sim::Rng::new(ch.seed ^ 0x5EED);
    let sigma = (ch.fsk_error_pct / 100.0 * OUTER_DEVIATION_HZ * ch.deviation_scale) as f32;
    let f = frequency_track_with(
        &bits_to_symbols(bits),
        ch.fs,
        rate,
        ch.deviation_scale,
        |_| sigma * jit.gauss() as f32,
    );
    let mut ph = std::f64::consts::TAU * rng.uniform();
    let shift = ch.offset_hz + ch.cfo_hz;
    let mut x: Vec<Complex32> = f
        .iter()
        .map(|&v| {
            ph += std::f64::consts::TAU * (v as f64 + shift) / ch.fs;
            ph %= std::f64::consts::TAU;
            Complex32::from_polar(ch.amplitude, ph as f32)
        })
        .collect();
    if let Some(db) = ch.esn0_db {
        // Es/N0 = A²·T / (σ²/fs)  →  σ² = A²·fs / (rate · Es/N0).
        let a2 = (ch.amplitude as f64).powi(2);
        let var = a2 * ch.fs / (SYMBOL_RATE * 10f64.powf(db / 10.0));
        crate::sim::add_awgn(&mut x, var, &mut rng);
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::dmr::{sync, u64_to_bits};

    #[test]
    fn the_sync_symbols_match_the_table() {
        // dmr-pdt.md §1.3: BS data sync `-+----+++--++-++-+--++-+` (+ = +3, - = -3).
        let s = bits_to_symbols(&u64_to_bits(sync::BS_DATA, 48));
        let txt: String = s.iter().map(|&v| if v == 3 { '+' } else { '-' }).collect();
        assert_eq!(txt, "-+----+++--++-++-+--++-+");
        let s = bits_to_symbols(&u64_to_bits(sync::MS_VOICE, 48));
        let txt: String = s.iter().map(|&v| if v == 3 { '+' } else { '-' }).collect();
        assert_eq!(txt, "+---+--+++-+-++++--+---+");
    }

    #[test]
    fn matched_filter_recovers_the_symbol_deviations() {
        let sps = 10;
        let syms: Vec<i8> = (0..400)
            .map(|i| [3, 1, -1, -3][(i * 7 + i / 3) % 4])
            .collect();
        let f = frequency(&syms, sps, 1.0);
        let (_, rx) = rrc_pair(sps);
        let d = rx.len() - 1; // total delay of both filters: (taps − 1)/2 each
        for (k, &s) in syms.iter().enumerate().skip(20).take(360) {
            let c = k * sps + d;
            let z: f32 = rx.iter().enumerate().map(|(j, &h)| h * f[c - j]).sum();
            let want = s as f32 * 648.0;
            assert!(
                (z - want).abs() < 0.01 * 1944.0,
                "symbol {k}: {z} vs {want}"
            );
        }
    }
}
