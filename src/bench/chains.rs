//! Whole receive chains on synthetic captures, for "× real time" figures: what a technician
//! asks before a field day. Shared by `linkscope bench` and the criterion benches.

use crate::dsp::convert::{Converter, SampleFormat};
use crate::dsp::Complex32;
use anyhow::Result;

/// A prepared chain: `run` processes the whole capture once and returns a count that keeps
/// the work observable (decoded items, clipped samples).
pub struct Chain {
    /// Short name (`nbfm_2m4_cu8`).
    pub name: &'static str,
    /// What it runs.
    pub what: &'static str,
    /// Capture rate (real time = this many samples per second).
    pub fs_hz: f64,
    /// Samples per run.
    pub samples: usize,
    run: Box<dyn FnMut() -> u64>,
}

impl Chain {
    /// Process the capture once.
    pub fn run(&mut self) -> u64 {
        (self.run)()
    }
}

/// Complex samples as an RTL-SDR's cu8 bytes.
pub fn to_cu8(x: &[Complex32]) -> Vec<u8> {
    let q = |a: f32| (a * 127.5 + 127.5).round().clamp(0.0, 255.0) as u8;
    x.iter().flat_map(|v| [q(v.re), q(v.im)]).collect()
}

/// Block size the chains read, as the CLI does.
const BLOCK: usize = 8192;

/// The NBFM receiver on 0.5 s of 2.4 MS/s cu8 (RTL-SDR style, channel at +312.5 kHz, tone,
/// CTCSS, C/N 25 dB): conversion with the clipping count, DDC to 16 kS/s, discriminator,
/// squelch, CTCSS/DCS, audio, DTMF/selcall, measurements.
pub fn nbfm_2m4_cu8() -> Result<Chain> {
    use crate::analog::rx::{FmConfig, FmReceiver};
    use crate::analog::tx::FmTx;
    let fs = 2_400_000.0;
    let mut tx = FmTx::new(fs, 0.5);
    tx.offset_hz = 312_500.0;
    tx.tone = Some((1000.0, 1500.0));
    tx.ctcss = Some((88.5, 300.0));
    tx.cnr_db = Some(25.0);
    let bytes = to_cu8(&tx.iq());
    let conv = Converter::new(SampleFormat::Cu8);
    let mut rx = FmReceiver::new(FmConfig::new(fs, 312_500.0, 12_500.0))?;
    let mut buf = vec![Complex32::default(); BLOCK];
    let mut audio = Vec::new();
    let samples = bytes.len() / 2;
    Ok(Chain {
        name: "nbfm_2m4_cu8",
        what: "NBFM channel from 2.4 MS/s cu8 (DDC, discriminator, CTCSS/DCS, audio, measurements)",
        fs_hz: fs,
        samples,
        run: Box::new(move || {
            let mut clipped = 0;
            for chunk in bytes.chunks(2 * BLOCK) {
                let n = chunk.len() / 2;
                clipped += conv.to_complex(chunk, &mut buf[..n]);
                audio.clear();
                rx.process(&buf[..n], &mut audio);
            }
            clipped
        }),
    })
}

/// The PDT/DMR receiver on 1 s of 2.4 MS/s cu8 (channel at +312.5 kHz, Es/N0 25 dB, idle and
/// call traffic on both slots).
pub fn pdt_2m4_cu8() -> Result<Chain> {
    use crate::pdt::rx::{PdtInput, PdtReceiver};
    use crate::pdt::trial::traffic;
    use crate::pdt::tx::{modulate, TxChannel};
    let fs = 2_400_000.0;
    let (bits, _) = traffic(34);
    let ch = TxChannel {
        fs,
        offset_hz: 312_500.0,
        esn0_db: Some(25.0),
        amplitude: 0.05,
        ..Default::default()
    };
    let bytes = to_cu8(&modulate(&bits, &ch));
    let conv = Converter::new(SampleFormat::Cu8);
    let mut buf = vec![Complex32::default(); BLOCK];
    let samples = bytes.len() / 2;
    Ok(Chain {
        name: "pdt_2m4_cu8",
        what:
            "PDT/DMR channel from 2.4 MS/s cu8 (DDC, AFC, two discriminator paths, burst decoding)",
        fs_hz: fs,
        samples,
        run: Box::new(move || {
            let Ok(mut rx) = PdtReceiver::new(PdtInput::Iq {
                fs,
                offset_hz: 312_500.0,
            }) else {
                return 0;
            };
            let mut out = Vec::new();
            for chunk in bytes.chunks(2 * BLOCK) {
                let n = chunk.len() / 2;
                conv.to_complex(chunk, &mut buf[..n]);
                rx.process_iq(&buf[..n], &mut out);
            }
            rx.finish(&mut out);
            out.len() as u64
        }),
    })
}

/// A COFDM link from our transmitter (C/N 30 dB) at the elementary rate of `bw_hz`, decoded by
/// the receiver from acquisition to TS packets.
pub fn cofdm(
    name: &'static str,
    what: &'static str,
    p: crate::cofdm::TxParams,
    bw_hz: f64,
    symbols: usize,
    threads: usize,
) -> Result<Chain> {
    use crate::cofdm::params::elementary_rate_hz;
    use crate::cofdm::tx::{Channel, Transmitter, TsSource};
    use crate::cofdm::{CofdmReceiver, RxConfig};
    let mut tx = Transmitter::new(p, 0.1);
    let x = tx.symbols(&mut TsSource::prbs(1), symbols);
    let ch = Channel {
        cn_db: Some(30.0),
        seed: 1,
        ..Default::default()
    };
    let occ = p.mode.carriers() as f64 / p.mode.fft_len() as f64;
    let fs = elementary_rate_hz(bw_hz);
    let x = ch.apply(&x, fs, occ);
    let samples = x.len();
    Ok(Chain {
        name,
        what,
        fs_hz: fs,
        samples,
        run: Box::new(move || {
            let mut cfg = RxConfig::new(fs, Some(bw_hz));
            cfg.threads = threads;
            let Ok(mut rx) = CofdmReceiver::new(cfg) else {
                return 0;
            };
            let mut out = Vec::new();
            for c in x.chunks(1 << 14) {
                rx.process(c, &mut out);
            }
            rx.finish(&mut out);
            out.len() as u64
        }),
    })
}

/// The COFDM chains: a 2 MHz body-worn link (2K QPSK 1/2), a 2 MHz 8K 64QAM 3/4 link and a
/// full 8 MHz 2K 64QAM 3/4 link, on one thread, and the 8 MHz link again with the decoding
/// chain on a second thread.
pub fn cofdm_all() -> Result<Vec<Chain>> {
    use crate::cofdm::{CodeRate, Constellation, Guard, Mode, TxParams};
    let p = |mode, guard, constellation, code_rate| TxParams {
        mode,
        guard,
        constellation,
        code_rate,
        cell_id: None,
    };
    Ok(vec![
        cofdm(
            "cofdm_2mhz_2k_qpsk_r12_gi4",
            "COFDM 2 MHz 2K QPSK 1/2 GI 1/4 (sync, FFT, equaliser, Viterbi, RS → TS)",
            p(Mode::K2, Guard::G4, Constellation::Qpsk, CodeRate::R12),
            2e6,
            300,
            1,
        )?,
        cofdm(
            "cofdm_2mhz_8k_64qam_r34_gi32",
            "COFDM 2 MHz 8K 64QAM 3/4 GI 1/32",
            p(Mode::K8, Guard::G32, Constellation::Qam64, CodeRate::R34),
            2e6,
            150,
            1,
        )?,
        cofdm(
            "cofdm_8mhz_2k_64qam_r34_gi8",
            "COFDM 8 MHz 2K 64QAM 3/4 GI 1/8",
            p(Mode::K2, Guard::G8, Constellation::Qam64, CodeRate::R34),
            8e6,
            300,
            1,
        )?,
        cofdm(
            "cofdm_8mhz_2k_64qam_r34_gi8_2t",
            "the same on two threads (Viterbi/RS beside sync/equaliser)",
            p(Mode::K2, Guard::G8, Constellation::Qam64, CodeRate::R34),
            8e6,
            300,
            2,
        )?,
    ])
}

/// Every chain, prepared.
pub fn all() -> Result<Vec<Chain>> {
    let mut v = vec![nbfm_2m4_cu8()?, pdt_2m4_cu8()?];
    v.extend(cofdm_all()?);
    Ok(v)
}
