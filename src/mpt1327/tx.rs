//! MPT 1327 transmitter model: a forward control channel (CCSC + address codeword slots) with a
//! chosen system identity and message mix, as FFSK audio or NBFM IQ with CFO and noise. Also
//! FMS telegrams (German BOS status, same 1200 bit/s FFSK) to check the modem against
//! multimon-ng.

use super::codeword::{ccsc, encode, encode_digits, EncodeError};
use crate::sim::{add_noise_cnr, fm_modulate, Rng};
use linkscope_dsp::ffsk::FfskModulator;
use linkscope_dsp::Complex32;

/// The bits of a codeword, first on air first.
pub fn codeword_bits(cw: u64) -> impl Iterator<Item = u8> {
    (0..64).map(move |i| ((cw >> (63 - i)) & 1) as u8)
}

/// A representative message mix for system `sys`: every address-codeword family the monitor
/// decodes, including a HEAD with its data codeword and an ACKT followed by dialled digits.
pub fn demo_mix(sys: u64) -> Result<Vec<u64>, EncodeError> {
    Ok(vec![
        encode(
            "ALH",
            &[
                ("pfix", 0),
                ("ident1", 8191),
                ("chan4", 1),
                ("wt", 5),
                ("m", 0),
                ("n", 4),
            ],
        )?,
        encode("BCAST", &[("sysdef", 0), ("sys", sys), ("chan", 1)])?,
        encode(
            "GTC",
            &[
                ("pfix", 10),
                ("ident1", 123),
                ("d", 0),
                ("chan", 17),
                ("ident2", 456),
                ("n", 1),
            ],
        )?,
        encode(
            "BCAST",
            &[("sysdef", 4), ("sys", sys), ("chan", 233), ("adjsite", 3)],
        )?,
        encode("AHY", &[("pfix", 10), ("ident1", 200), ("ident2", 201)])?,
        encode(
            "ACK",
            &[
                ("pfix", 10),
                ("ident1", 200),
                ("ident2", 8190),
                ("qual", 0),
                ("n", 2),
            ],
        )?,
        encode(
            "MAINT",
            &[("pfix", 10), ("ident1", 123), ("chan", 17), ("oper", 2)],
        )?,
        encode(
            "ACKT",
            &[("pfix", 10), ("ident1", 300), ("ident2", 8101), ("qual", 0)],
        )?,
        encode_digits("01085551234")?,
        encode("CLEAR", &[("chan", 17), ("cont", 1)])?,
        encode(
            "MOVE",
            &[("pfix", 10), ("ident1", 301), ("cont", 2), ("m", 3)],
        )?,
        encode(
            "HEAD",
            &[
                ("pfix", 10),
                ("ident1", 302),
                ("len", 0),
                ("prefix2", 10),
                ("ident2", 303),
            ],
        )?,
        encode("DATA", &[("payload", 0x1234_5678_9ABC)])?,
        encode(
            "AHYQ",
            &[
                ("pfix", 10),
                ("ident1", 304),
                ("ident2", 305),
                ("status", 9),
            ],
        )?,
        encode(
            "BCAST",
            &[
                ("sysdef", 2),
                ("sys", sys),
                ("per", 1),
                ("ival", 10),
                ("pon", 1),
                ("id", 1),
            ],
        )?,
        encode(
            "ALHS",
            &[
                ("pfix", 0),
                ("ident1", 8191),
                ("chan4", 1),
                ("wt", 3),
                ("m", 2),
                ("n", 6),
            ],
        )?,
    ])
}

/// Bits of `slots` control-channel slots: CCSC(`sys`) then the next codeword of `mix` (cycled).
pub fn control_channel_bits(sys: u64, mix: &[u64], slots: usize) -> Vec<u8> {
    let c = ccsc(sys);
    let mut bits = Vec::with_capacity(slots * 128);
    for s in 0..slots {
        bits.extend(codeword_bits(c));
        bits.extend(codeword_bits(mix[s % mix.len()]));
    }
    bits
}

/// Channel parameters of a generated signal.
#[derive(Debug, Clone)]
pub struct ChannelModel {
    /// Sample rate of the output.
    pub fs: f64,
    /// Carrier position from the stream centre, Hz.
    pub offset_hz: f64,
    /// Carrier frequency error, Hz.
    pub cfo_hz: f64,
    /// Peak FM deviation of the FFSK audio, Hz.
    pub deviation_hz: f64,
    /// Carrier-to-noise ratio in `noise_bw_hz` (None: no noise).
    pub cnr_db: Option<f64>,
    /// Bandwidth the CNR is quoted in (the channel spacing).
    pub noise_bw_hz: f64,
    /// Carrier amplitude (1 = full scale).
    pub amplitude: f32,
    /// Noise seed.
    pub seed: u64,
}

impl Default for ChannelModel {
    fn default() -> Self {
        ChannelModel {
            fs: 48_000.0,
            offset_hz: 0.0,
            cfo_hz: 0.0,
            deviation_hz: 1500.0,
            cnr_db: None,
            noise_bw_hz: 12_500.0,
            amplitude: 0.5,
            seed: 1,
        }
    }
}

/// FFSK audio (amplitude 1) of `bits` at `fs`.
pub fn ffsk_audio(bits: &[u8], fs: f64) -> Vec<f32> {
    let mut audio = Vec::new();
    // 1200 bit/s with tones ≤ 1.8 kHz is valid at any rate above 3.6 kHz.
    if let Ok(mut m) = FfskModulator::mpt1327(fs) {
        m.modulate(bits, &mut audio);
    }
    audio
}

/// NBFM IQ of `bits` through the channel model.
pub fn ffsk_iq(bits: &[u8], ch: &ChannelModel) -> Vec<Complex32> {
    let audio = ffsk_audio(bits, ch.fs);
    let mut rng = Rng::new(ch.seed);
    let mut x = fm_modulate(
        &audio,
        ch.fs,
        ch.deviation_hz,
        ch.offset_hz + ch.cfo_hz,
        ch.amplitude,
        rng.uniform(),
    );
    if let Some(cnr) = ch.cnr_db {
        let p = (ch.amplitude as f64).powi(2);
        add_noise_cnr(&mut x, p, cnr, ch.noise_bw_hz, ch.fs, &mut rng);
    }
    x
}

/// Fields of an FMS telegram (BOS status signalling).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fms {
    /// Service (BOS), 0–15.
    pub bos: u8,
    /// State (Land), 0–15.
    pub land: u8,
    /// Place (Ort), two decimal digits 0–99 (each digit sent as a nibble).
    pub ort: u8,
    /// Vehicle (Kfz), four decimal digits.
    pub kfz: u16,
    /// Status, 0–15.
    pub status: u8,
    /// Direction: 0 vehicle → control room, 1 control room → vehicle.
    pub richtung: u8,
    /// Tactical short information, 0–3.
    pub tki: u8,
}

/// The 48 on-air bits of an FMS telegram: every field least significant bit first (BOS, Land,
/// Ort tens/units, Kfz thousands…units, Status, Baustufe 0, Richtung, TKI), then a 7-bit CRC
/// (x⁷+x⁶+x²+1, register from 0, sent most significant first) chosen so that the register run
/// over all 48 bits ends at 0, the last bit being a stop bit of 1.
pub fn fms_bits(t: &Fms) -> Vec<u8> {
    let mut bits = Vec::with_capacity(48);
    let mut nib = |v: u32, n: u32| {
        for i in 0..n {
            bits.push(((v >> i) & 1) as u8);
        }
    };
    nib(t.bos as u32, 4);
    nib(t.land as u32, 4);
    nib((t.ort / 10 % 10) as u32, 4);
    nib((t.ort % 10) as u32, 4);
    for d in [1000, 100, 10, 1] {
        nib((t.kfz / d % 10) as u32, 4);
    }
    nib(t.status as u32, 4);
    nib(0, 1);
    nib(t.richtung as u32, 1);
    nib(t.tki as u32, 2);
    let crc = |bits: &[u8]| -> u8 {
        let mut r = 0u8;
        for &b in bits {
            let fb = b ^ ((r >> 6) & 1);
            r = (r << 1) & 0x7f;
            if fb == 1 {
                r ^= 0x45;
            }
        }
        r
    };
    // Appending 7 CRC bits c and a stop bit 1 zeroes the register when c = r ⊕ 0x62 (0x62 is
    // x⁻¹ mod g: the stop bit's contribution, moved in front of it).
    let c = crc(&bits) ^ 0x62;
    for i in (0..7).rev() {
        bits.push((c >> i) & 1);
    }
    bits.push(1);
    debug_assert_eq!(crc(&bits), 0);
    bits
}

/// A complete FMS transmission: preamble of ones, sync 00011010, telegram, one trailing bit.
pub fn fms_frame(t: &Fms) -> Vec<u8> {
    let mut v = vec![1u8; 30];
    v.extend_from_slice(&[0, 0, 0, 1, 1, 0, 1, 0]);
    v.extend(fms_bits(t));
    v.push(1);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The three telegrams of the GNU Radio reference capture, as their bits after the sync
    /// (from the capture's truth) — our encoder must produce exactly these CRC fields.
    #[test]
    fn fms_crc_matches_the_reference_telegrams() {
        let truth = "111111111111111111111111111111111111000110100001011000111101001100110010011101001100000001111111111111111111111111111111111111110001101000111111001001101011100011111100110000110111111111111111111111111111111111111111111100011010011010011000011010011011011010101001100010001001111111111111111111111111111111111111111111111111";
        let bits: Vec<u8> = truth.bytes().map(|c| c - b'0').collect();
        let mut found = 0;
        let sync = [0u8, 0, 0, 1, 1, 0, 1, 0];
        let mut i = 12;
        while i + 8 + 48 <= bits.len() {
            if bits[i - 12..i].iter().all(|&b| b == 1) && bits[i..i + 8] == sync {
                let tg = &bits[i + 8..i + 56];
                // Rebuild the telegram from its 40 data bits and compare all 48.
                let val = |a: usize, n: usize| (0..n).map(|k| (tg[a + k] as u32) << k).sum::<u32>();
                let t = Fms {
                    bos: val(0, 4) as u8,
                    land: val(4, 4) as u8,
                    ort: 0,
                    kfz: 0,
                    status: val(32, 4) as u8,
                    richtung: tg[37],
                    tki: val(38, 2) as u8,
                };
                let mut mine = fms_bits(&t);
                // Ort/Kfz in the reference hold non-decimal nibbles: copy the data bits verbatim
                // and recompute only the CRC and stop bit.
                mine[..40].copy_from_slice(&tg[..40]);
                let recomputed = {
                    let mut r = 0u8;
                    for &b in &mine[..40] {
                        let fb = b ^ ((r >> 6) & 1);
                        r = (r << 1) & 0x7f;
                        if fb == 1 {
                            r ^= 0x45;
                        }
                    }
                    r ^ 0x62
                };
                let crc_bits: Vec<u8> = (0..7).rev().map(|k| (recomputed >> k) & 1).collect();
                assert_eq!(&tg[40..47], &crc_bits[..], "telegram {found}");
                assert_eq!(tg[47], 1);
                found += 1;
                i += 56;
            } else {
                i += 1;
            }
        }
        assert_eq!(found, 3);
    }
}
