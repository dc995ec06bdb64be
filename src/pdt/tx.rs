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
