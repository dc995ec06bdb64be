//! A first 4FSK receiver for FM-discriminator audio (what DSD-family tools read): matched RRC,
//! sync correlation against every pattern at every sample (which also gives the symbol timing,
//! the polarity, the outer-symbol level and the DC offset), then slicing of the 132 symbols of
//! the burst around the sync and burst decoding. Bursts without a sync (voice B–F) are not
//! decoded yet; symbol-clock tracking between syncs is the next step.

use super::burst::{decode_data_burst, DataBurst, SyncKind};
use super::tx::{bits_to_symbols, rrc_pair};
use crate::fec::dmr::u64_to_bits;
use linkscope_dsp::fir::RealFir;

/// A burst found in the audio.
#[derive(Debug, Clone)]
pub struct Found {
    /// Time of the burst's first symbol, s.
    pub t_s: f64,
    /// The sync and its bit errors.
    pub sync: SyncKind,
    /// Sync symbol errors.
    pub sync_errors: u32,
    /// The discriminator was inverted.
    pub inverted: bool,
    /// Data/control burst contents (None for voice syncs).
    pub data: Option<DataBurst>,
}

/// Decode every burst with a sync in real discriminator samples at `fs` (an integer multiple of
/// 4800 Hz).
pub fn decode_audio(x: &[f32], fs: f64) -> Vec<Found> {
    let sps = (fs / super::tx::SYMBOL_RATE).round() as usize;
    let (_, rx) = rrc_pair(sps);
    let mut y = x.to_vec();
    let mut f = RealFir::new(&rx).expect("taps");
    f.process(&mut y);
    let delay = (rx.len() - 1) / 2;
    let pats: Vec<(SyncKind, Vec<f32>)> = SyncKind::ALL
        .iter()
        .map(|&k| {
            (
                k,
                bits_to_symbols(&u64_to_bits(k.pattern(), 48))
                    .iter()
                    .map(|&s| s as f32 / 3.0)
                    .collect(),
            )
        })
        .collect();
    let span = 23 * sps;
    let mut out = Vec::new();
    // Polarity (inverted discriminator) is latched from the first burst whose data decodes
    // cleanly: a voice sync is the negation of a data sync, so one burst alone is ambiguous.
    let mut latched: Option<bool> = None;
    let mut n = span + 54 * sps;
    while n + 55 * sps < y.len() {
        let corr = |m: usize, sign: f32| -> Option<(SyncKind, f32)> {
            let taps: Vec<f32> = (0..24).map(|i| sign * y[m - span + i * sps]).collect();
            let mean = taps.iter().sum::<f32>() / 24.0;
            let energy: f32 = taps
                .iter()
                .map(|v| (v - mean) * (v - mean))
                .sum::<f32>()
                .sqrt();
            if energy <= 0.0 {
                return None;
            }
            pats.iter()
                .map(|(k, p)| {
                    let pm = p.iter().sum::<f32>() / 24.0;
                    let pe = p.iter().map(|v| (v - pm) * (v - pm)).sum::<f32>().sqrt();
                    let c = taps
                        .iter()
                        .zip(p)
                        .map(|(a, b)| (a - mean) * (b - pm))
                        .sum::<f32>()
                        / (energy * pe);
                    (*k, c)
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
        };
        let signs: &[f32] = match latched {
            Some(true) => &[-1.0],
            Some(false) => &[1.0],
            None => &[1.0, -1.0],
        };
        let mut chosen: Option<(Found, usize)> = None;
        for &sign in signs {
            let Some((kind, _)) = corr(n, sign).filter(|b| b.1 > 0.85) else {
                continue;
            };
            // Refine to the local maximum within half a symbol.
            let best_n = (n..n + sps / 2 + 1)
                .max_by(|&a, &b| {
                    let sa = corr(a, sign).map(|x| x.1).unwrap_or(0.0);
                    let sb = corr(b, sign).map(|x| x.1).unwrap_or(0.0);
                    sa.total_cmp(&sb)
                })
                .unwrap_or(n);
            let found = slice_burst(&y, best_n, span, sps, sign, kind, &pats, delay, fs);
            let good = found.data.as_ref().is_some_and(|d| d.check.is_some());
            if good && latched.is_none() {
                latched = Some(sign < 0.0);
            }
            if chosen.is_none() || good {
                chosen = Some((found, best_n));
            }
            if good {
                break;
            }
        }
        match chosen {
            Some((f, m)) => {
                out.push(f);
                n = m + 100 * sps;
            }
            None => n += 1,
        }
    }
    out
}

/// Slice the 132 symbols of the burst whose sync ends at sample `m` and decode it.
#[allow(clippy::too_many_arguments)]
fn slice_burst(
    y: &[f32],
    m: usize,
    span: usize,
    sps: usize,
    sign: f32,
    kind: SyncKind,
    pats: &[(SyncKind, Vec<f32>)],
    delay: usize,
    fs: f64,
) -> Found {
    let p = &pats.iter().find(|p| p.0 == kind).expect("kind").1;
    // Levels from the sync: v = dc + g·p with p = ±1 (all sync symbols are ±3).
    let v: Vec<f32> = (0..24).map(|i| sign * y[m - span + i * sps]).collect();
    let (vm, pm) = (v.iter().sum::<f32>() / 24.0, p.iter().sum::<f32>() / 24.0);
    let g = v
        .iter()
        .zip(p)
        .map(|(a, b)| (a - vm) * (b - pm))
        .sum::<f32>()
        / p.iter().map(|b| (b - pm) * (b - pm)).sum::<f32>();
    let dc = vm - g * pm;
    // Burst: 132 symbols, the sync occupies symbols 54–77.
    let first = m - span - 54 * sps;
    let mut bits = Vec::with_capacity(264);
    let mut errs = 0;
    for s in 0..132 {
        let v = (sign * y[first + s * sps] - dc) / g * 3.0;
        let (b0, b1) = if v >= 2.0 {
            (0, 1)
        } else if v >= 0.0 {
            (0, 0)
        } else if v >= -2.0 {
            (1, 0)
        } else {
            (1, 1)
        };
        if (54..78).contains(&s) && ((v > 0.0) != (p[s - 54] > 0.0)) {
            errs += 1;
        }
        bits.push(b0);
        bits.push(b1);
    }
    let data = if kind.is_data() {
        decode_data_burst(&bits)
    } else {
        None
    };
    Found {
        t_s: (first as f64 - delay as f64) / fs,
        sync: kind,
        sync_errors: errs,
        inverted: sign < 0.0,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::dmr::Standard;
    use crate::pdt::burst::{bs_stream, data_burst, lc_pdu, FullLc, IDLE_INFO};
    use crate::pdt::tx::frequency;

    #[test]
    fn decodes_the_transmitter_with_offset_noise_and_inversion() {
        let lc = FullLc {
            pf: false,
            flco: 0,
            fid: 0,
            service_options: 0,
            dst_id: 19535,
            src_id: 2_222_223,
        };
        let bits = bs_stream((0..40u8).map(|i| {
            let slot = i % 2;
            let b = if slot == 0 {
                data_burst(4, 9, &IDLE_INFO, SyncKind::BsData)
            } else {
                data_burst(4, 1, &lc_pdu(&lc, 1, Standard::Pdt), SyncKind::BsData)
            };
            (slot, b)
        }));
        let f = frequency(&bits_to_symbols(&bits), 10, 1.03);
        let mut rng = crate::sim::Rng::new(5);
        for invert in [false, true] {
            // A 300 Hz carrier offset, noise, and an inverted discriminator.
            let x: Vec<f32> = f
                .iter()
                .map(|&v| {
                    let s = (v + 300.0 + 150.0 * rng.gauss() as f32) / 2000.0;
                    if invert {
                        -s
                    } else {
                        s
                    }
                })
                .collect();
            let got = decode_audio(&x, 48_000.0);
            assert_eq!(got.len(), 40, "inverted {invert}");
            for (i, b) in got.iter().enumerate() {
                assert_eq!(b.inverted, invert);
                assert_eq!(b.sync, SyncKind::BsData);
                let d = b.data.as_ref().unwrap();
                assert_eq!(d.color_code, 4);
                if i % 2 == 0 {
                    assert_eq!((d.data_type, d.check), (9, Some(None)));
                } else {
                    assert_eq!(d.check, Some(Some(Standard::Pdt)));
                    assert_eq!(d.lc, Some(lc));
                }
                // Burst period 30 ms.
                let t = b.t_s - got[0].t_s;
                assert!((t - i as f64 * 0.030).abs() < 1e-4, "{t}");
            }
        }
    }
}
