//! Sensitivity trials: the transmitter model through AWGN at a given C/N into the receiver,
//! used by the sensitivity test and `examples/cofdm_sensitivity.rs`.

use super::metrics::Summary;
use super::params::{elementary_rate_hz, TxParams};
use super::rx::{CofdmReceiver, RxConfig};
use super::tx::{Channel, Transmitter, TsSource};

/// Outcome of one trial.
#[derive(Debug, Clone)]
pub struct Trial {
    pub cn_db: f64,
    pub summary: Summary,
}

impl Trial {
    /// Bit error ratio after Viterbi (from the RS corrections; 1.0 when nothing decoded, 0.5 as
    /// a floor when RS failed on any packet, since its errors are then uncounted).
    pub fn ber_post_viterbi(&self) -> f64 {
        let s = &self.summary;
        match s.ber_post_viterbi {
            Some(b) if s.rs_uncorrectable == 0 => b,
            Some(b) => b.max(s.rs_uncorrectable as f64 / s.ts_packets.max(1) as f64 * 0.5),
            None => 1.0,
        }
    }
}

/// Send `symbols` OFDM symbols of PRBS packets at `cn_db` (occupied band) and decode.
pub fn awgn(params: TxParams, bw_hz: f64, symbols: usize, cn_db: f64, seed: u64) -> Trial {
    let mut src = TsSource::prbs(seed);
    let mut tx = Transmitter::new(params, 0.1);
    let x = tx.symbols(&mut src, symbols);
    let fs = elementary_rate_hz(bw_hz);
    let ch = Channel {
        cn_db: Some(cn_db),
        seed: seed ^ 0x9E37_79B9,
        ..Default::default()
    };
    let occ = params.mode.carriers() as f64 / params.mode.fft_len() as f64;
    let y = ch.apply(&x, fs, occ);
    let mut rx = CofdmReceiver::new(RxConfig::new(fs, Some(bw_hz))).expect("valid rate");
    let mut out = Vec::new();
    for c in y.chunks(1 << 15) {
        rx.process(c, &mut out);
    }
    rx.finish(&mut out);
    Trial {
        cn_db,
        summary: rx.summary(),
    }
}

/// The C/N (dB, EN 300 744 Annex A, Gaussian channel) for BER 2×10⁻⁴ after Viterbi.
pub fn spec_gaussian_cn_db(c: super::Constellation, r: super::CodeRate) -> f64 {
    use super::{CodeRate as R, Constellation as C};
    let row = match c {
        C::Qpsk => [3.1, 4.9, 5.9, 6.9, 7.7],
        C::Qam16 => [8.8, 11.1, 12.5, 13.5, 13.9],
        C::Qam64 => [14.4, 16.5, 18.0, 19.3, 20.1],
    };
    row[match r {
        R::R12 => 0,
        R::R23 => 1,
        R::R34 => 2,
        R::R56 => 3,
        R::R78 => 4,
    }]
}
