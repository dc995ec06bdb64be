//! Sensitivity trials: known base-station traffic through the transmitter model and an AWGN
//! channel with carrier and symbol-clock error, received, and every reported burst matched
//! against the truth by its time. Used by the sensitivity test and by
//! `examples/pdt_sensitivity.rs`, which writes `docs/pdt-sensitivity.md`.

use super::burst::FullLc;
use super::rx::{PdtInput, PdtReceiver, RxBurst};
use super::traffic::{bs_outbound, Burst, Call};
use super::tx::{modulate, TxChannel, SYMBOL_RATE};
use crate::fec::dmr::Standard;
use linkscope_dsp::Complex32;

/// One trial's channel.
#[derive(Debug, Clone, Copy)]
pub struct TrialConfig {
    /// Es/N0, dB (None: no noise).
    pub esn0_db: Option<f64>,
    /// Carrier error, Hz.
    pub cfo_hz: f64,
    /// Symbol-clock error, ppm.
    pub clock_ppm: f64,
    /// Bursts (both slots).
    pub bursts: usize,
    /// Noise seed.
    pub seed: u64,
    /// Sample rate of the complex baseband.
    pub fs: f64,
}

/// What the receiver made of it.
#[derive(Debug, Clone, Default)]
pub struct TrialResult {
    /// Bursts sent.
    pub sent: usize,
    /// Sent bursts that carry a sync (data and voice A).
    pub sync_bursts: usize,
    /// … reported at their time with the right sync pattern.
    pub detected: usize,
    /// Sent data/control bursts.
    pub data_bursts: usize,
    /// … reported with the right colour code and data type.
    pub slot_type_ok: usize,
    /// Sent bursts whose contents were decoded: data whose CRC/RS/idle check passed, voice A by
    /// its sync, voice B–F by their EMB.
    pub decoded: usize,
    /// Reported bursts at a time where none was sent, or of the wrong kind.
    pub false_bursts: usize,
    /// Bits checked by the receiver's FEC and the errors it found.
    pub bits_checked: u64,
    /// Bit errors found.
    pub bit_errors: u64,
}

impl TrialResult {
    /// Fraction helper.
    pub fn rate(n: usize, of: usize) -> f64 {
        if of == 0 {
            f64::NAN
        } else {
            n as f64 / of as f64
        }
    }

    /// The receiver's BER estimate from its FEC.
    pub fn ber(&self) -> f64 {
        self.bit_errors as f64 / self.bits_checked.max(1) as f64
    }
}

/// The traffic of a trial: a group call on slot 2 between idle bursts and CSBKs on slot 1.
pub fn traffic(bursts: usize) -> (Vec<u8>, Vec<Burst>) {
    let lc = FullLc {
        pf: false,
        flco: 0,
        fid: 0,
        service_options: 0,
        dst_id: 35_001,
        src_id: 3_520_001,
    };
    let calls: Vec<Call> = (0..bursts / 60)
        .map(|_| Call {
            slot: 2,
            lc,
            superframes: 3,
            nvoc: false,
        })
        .collect();
    bs_outbound(1, Standard::Pdt, &calls, bursts, Some(7))
}

/// Run one trial; also returns the complex baseband (for a peer decoder).
pub fn run(cfg: &TrialConfig) -> (TrialResult, Vec<Complex32>) {
    let (bits, sent) = traffic(cfg.bursts);
    let ch = TxChannel {
        fs: cfg.fs,
        cfo_hz: cfg.cfo_hz,
        clock_ppm: cfg.clock_ppm,
        esn0_db: cfg.esn0_db,
        seed: cfg.seed,
        ..Default::default()
    };
    let x = modulate(&bits, &ch);
    let mut rx = PdtReceiver::new(PdtInput::Iq {
        fs: cfg.fs,
        offset_hz: 0.0,
    })
    .expect("valid receiver");
    let mut got = Vec::new();
    for chunk in x.chunks(8192) {
        rx.process_iq(chunk, &mut got);
    }
    rx.finish(&mut got);
    let rs = SYMBOL_RATE * (1.0 + cfg.clock_ppm * 1e-6);
    (score(&sent, &got, rs), x)
}

/// Match reported bursts to sent ones: burst i's first symbol is sent at (8 + 144·i + 12)/rs.
pub fn score(sent: &[Burst], got: &[RxBurst], rs: f64) -> TrialResult {
    let mut r = TrialResult {
        sent: sent.len(),
        ..Default::default()
    };
    let mut matched = vec![false; got.len()];
    for (i, s) in sent.iter().enumerate() {
        let t = (8 + 144 * i + 12) as f64 / rs;
        let g = got
            .iter()
            .enumerate()
            .find(|(_, g)| (g.t_s - t).abs() < 1e-3);
        let has_sync = s.sync.is_some();
        r.sync_bursts += has_sync as usize;
        r.data_bursts += s.data_type.is_some() as usize;
        let Some((j, g)) = g else {
            continue;
        };
        matched[j] = true;
        if has_sync && g.sync == s.sync {
            r.detected += 1;
        }
        if let (Some(dt), Some(d)) = (s.data_type, g.data.as_ref()) {
            if d.data_type == dt && d.color_code == 1 {
                r.slot_type_ok += 1;
            }
        }
        let decoded = match (s.data_type, g.data.as_ref()) {
            (Some(dt), Some(d)) => d.data_type == dt && d.check.is_some(),
            (Some(_), None) => false,
            (None, _) => g.voice_letter == s.voice_letter && g.fec_ok,
        };
        r.decoded += decoded as usize;
        r.bits_checked += g.bits_checked as u64;
        r.bit_errors += g.bit_errors as u64;
    }
    r.false_bursts = matched.iter().filter(|m| !**m).count();
    r
}
