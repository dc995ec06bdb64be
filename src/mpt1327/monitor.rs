//! Control-channel health from the received codewords: rates, check-failure rate, slot timing,
//! system identity, adjacent sites and the call log of channel grants.

use super::rx::{Position, Received, RxStats};
use crate::fec::mpt1327_bch::Check;
use serde::Serialize;
use std::collections::BTreeMap;

/// Channel numbering: frequency = base + CHAN × step.
#[derive(Debug, Clone, Copy)]
pub struct ChannelPlan {
    /// Frequency of channel 0, Hz.
    pub base_hz: f64,
    /// Spacing, Hz.
    pub step_hz: f64,
}

/// A channel grant (GTC).
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    /// Time, s.
    pub t_s: f64,
    /// Prefix of the called/calling unit.
    pub pfix: u64,
    /// Called party.
    pub ident1: u64,
    /// Calling party.
    pub ident2: u64,
    /// Traffic channel number.
    pub chan: u64,
    /// Traffic channel frequency, Hz (with a channel plan).
    pub freq_hz: Option<f64>,
    /// Data call (else speech).
    pub data: bool,
}

/// An adjacent site announced by BCAST (SYSDEF 4).
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct AdjacentSite {
    /// ADJSITE number.
    pub adjsite: u64,
    /// Its control channel.
    pub chan: u64,
}

/// The monitor's summary.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Overall state in words.
    pub status: String,
    /// Seconds analysed.
    pub duration_s: f64,
    /// Codewords read.
    pub codewords: u64,
    /// Valid (clean + corrected).
    pub valid: u64,
    /// Corrected single-bit errors.
    pub corrected: u64,
    /// Failed the check.
    pub failed: u64,
    /// Valid codewords per second of input.
    pub codewords_per_s: f64,
    /// Failed / read, %.
    pub check_fail_pct: f64,
    /// Bit-error-rate estimate from the check: corrected bits + 2 per failed word, over bits
    /// read (a lower bound when words fail).
    pub ber_estimate: f64,
    /// Mean time between consecutive CCSCs, ms (106.67 nominal).
    pub slot_period_ms: Option<f64>,
    /// System identity of the control channel (most frequent CCSC SYS), hex.
    pub sys: Option<String>,
    /// Adjacent sites announced.
    pub adjacent_sites: Vec<AdjacentSite>,
    /// Number of channel grants.
    pub grants: usize,
    /// Count of each message type.
    pub message_counts: BTreeMap<String, u64>,
    /// Lock losses.
    pub sync_losses: u32,
    /// Fraction of bits with FFSK present, %.
    pub ffsk_present_pct: f64,
    /// Bit polarity found (null before any lock).
    pub inverted: Option<bool>,
    /// Carrier frequency error, Hz (IQ input).
    pub freq_error_hz: Option<f64>,
    /// The call log.
    pub grant_log: Vec<Grant>,
}

/// Accumulates codewords into a [`Summary`].
#[derive(Debug, Default)]
pub struct Monitor {
    plan: Option<ChannelPlan>,
    ccsc_times: Vec<f64>,
    sys_counts: BTreeMap<u64, u64>,
    adjacent: std::collections::BTreeSet<AdjacentSite>,
    grants: Vec<Grant>,
    counts: BTreeMap<String, u64>,
    corrected_bits: u64,
}

impl Monitor {
    /// A monitor; `plan` turns channel numbers into frequencies.
    pub fn new(plan: Option<ChannelPlan>) -> Monitor {
        Monitor {
            plan,
            ..Default::default()
        }
    }

    /// Take one received codeword into account.
    pub fn add(&mut self, r: &Received) {
        if let Check::Corrected(_) = r.check {
            self.corrected_bits += 1;
        }
        if !r.check_ok() {
            return;
        }
        let m = &r.message;
        *self.counts.entry(m.kind.to_string()).or_default() += 1;
        match m.kind {
            "CCSC" if r.position == Position::Ccsc => {
                self.ccsc_times.push(r.t_s);
                *self
                    .sys_counts
                    .entry(m.get("sys").unwrap_or(0))
                    .or_default() += 1;
            }
            "BCAST" if m.get("sysdef") == Some(4) => {
                self.adjacent.insert(AdjacentSite {
                    adjsite: m.get("adjsite").unwrap_or(0),
                    chan: m.get("chan").unwrap_or(0),
                });
            }
            "GTC" => {
                let chan = m.get("chan").unwrap_or(0);
                self.grants.push(Grant {
                    t_s: (r.t_s * 1e4).round() / 1e4,
                    pfix: m.get("pfix").unwrap_or(0),
                    ident1: m.get("ident1").unwrap_or(0),
                    ident2: m.get("ident2").unwrap_or(0),
                    chan,
                    freq_hz: self.plan.map(|p| p.base_hz + chan as f64 * p.step_hz),
                    data: m.get("d") == Some(1),
                });
            }
            _ => {}
        }
    }

    /// The summary over `duration_s` of input with the receiver's counters.
    pub fn summary(
        &self,
        duration_s: f64,
        stats: &RxStats,
        inverted: Option<bool>,
        freq_error_hz: Option<f64>,
    ) -> Summary {
        let slot_period_ms = {
            // Consecutive CCSCs one slot apart (gaps from lost slots excluded).
            let d: Vec<f64> = self
                .ccsc_times
                .windows(2)
                .map(|w| w[1] - w[0])
                .filter(|&d| d < 0.15)
                .collect();
            (!d.is_empty()).then(|| (d.iter().sum::<f64>() / d.len() as f64 * 1e5).round() / 100.0)
        };
        let bits_read = stats.codewords * 64;
        let status = if stats.bits_with_ffsk * 20 < stats.bits.max(1) && stats.valid == 0 {
            "no FFSK signal found".to_string()
        } else if stats.valid == 0 {
            "FFSK present but no valid MPT 1327 codeword".to_string()
        } else if self.ccsc_times.is_empty() {
            "MPT 1327 codewords received (bursts, no control channel)".to_string()
        } else {
            "control channel received".to_string()
        };
        Summary {
            status,
            duration_s,
            codewords: stats.codewords,
            valid: stats.valid,
            corrected: stats.corrected,
            failed: stats.failed,
            codewords_per_s: if duration_s > 0.0 {
                (stats.valid as f64 / duration_s * 100.0).round() / 100.0
            } else {
                0.0
            },
            check_fail_pct: if stats.codewords > 0 {
                100.0 * stats.failed as f64 / stats.codewords as f64
            } else {
                0.0
            },
            ber_estimate: if bits_read > 0 {
                (self.corrected_bits + 2 * stats.failed) as f64 / bits_read as f64
            } else {
                0.0
            },
            slot_period_ms,
            sys: self
                .sys_counts
                .iter()
                .max_by_key(|(_, &c)| c)
                .map(|(s, _)| format!("{s:04X}")),
            adjacent_sites: self.adjacent.iter().cloned().collect(),
            grants: self.grants.len(),
            message_counts: self.counts.clone(),
            sync_losses: stats.sync_losses,
            ffsk_present_pct: if stats.bits > 0 {
                100.0 * stats.bits_with_ffsk as f64 / stats.bits as f64
            } else {
                0.0
            },
            inverted,
            freq_error_hz: freq_error_hz.map(|f| (f * 10.0).round() / 10.0),
            grant_log: self.grants.clone(),
        }
    }
}
