//! Transmitter model (the EN 300 744 chain, digest §6): TS packets in, complex baseband at the
//! elementary rate out; and a channel model (echoes, carrier and clock offsets, AWGN at a given
//! C/N) for tests, `captures/` and `linkscope gen cofdm`.

use super::inner::Encoder;
use super::interleave::{symbol_interleave, symbol_permutation, BitInterleaver, BLOCK_WORDS};
use super::mapping::map;
use super::outer::{dispersal_sequence, disperse, ConvInterleaver, GROUP, TS_LEN};
use super::params::TxParams;
use super::pilots::{Layout, PILOT_BOOST};
use super::tps;
use crate::fec::rs;
use crate::sim::{add_noise_cnr, Rng};
use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};
use std::collections::VecDeque;
use std::sync::Arc;

/// Where transport-stream packets come from.
pub enum TsSource {
    /// Packets of a file, repeated when it ends.
    Packets {
        packets: Vec<[u8; TS_LEN]>,
        next: usize,
    },
    /// Null packets (PID 0x1FFF) with a PRBS payload (seeded), continuity counter running.
    Prbs { seed: u64, rng: Rng, cc: u8 },
}

impl TsSource {
    /// Packets from the bytes of a TS file (must be a whole number of 188-byte packets, each
    /// starting with 0x47).
    pub fn from_ts(bytes: &[u8]) -> Result<TsSource, String> {
        if bytes.is_empty() || bytes.len() % TS_LEN != 0 {
            return Err(format!(
                "{} bytes is not a whole number of 188-byte TS packets",
                bytes.len()
            ));
        }
        let packets: Vec<[u8; TS_LEN]> = bytes
            .chunks_exact(TS_LEN)
            .map(|c| {
                let mut p = [0u8; TS_LEN];
                p.copy_from_slice(c);
                p
            })
            .collect();
        if let Some(i) = packets.iter().position(|p| p[0] != 0x47) {
            return Err(format!("packet {i} does not start with the sync byte 0x47"));
        }
        Ok(TsSource::Packets { packets, next: 0 })
    }

    pub fn prbs(seed: u64) -> TsSource {
        TsSource::Prbs {
            seed,
            rng: Rng::new(seed),
            cc: 0,
        }
    }

    /// The first `count` packets this source produces (from its start), as bytes.
    pub fn replay(&self, count: usize) -> Vec<u8> {
        let mut fresh = match self {
            TsSource::Packets { packets, .. } => TsSource::Packets {
                packets: packets.clone(),
                next: 0,
            },
            TsSource::Prbs { seed, .. } => TsSource::prbs(*seed),
        };
        (0..count).flat_map(|_| fresh.next()).collect()
    }

    fn next(&mut self) -> [u8; TS_LEN] {
        match self {
            TsSource::Packets { packets, next } => {
                let p = packets[*next % packets.len()];
                *next += 1;
                p
            }
            TsSource::Prbs { rng, cc, .. } => {
                let mut p = [0u8; TS_LEN];
                p[0] = 0x47;
                p[1] = 0x1F;
                p[2] = 0xFF;
                p[3] = 0x10 | *cc;
                *cc = (*cc + 1) & 15;
                for b in p[4..].iter_mut() {
                    *b = rng.next_u64() as u8;
                }
                p
            }
        }
    }
}

/// The DVB-T transmitter.
pub struct Transmitter {
    pub params: TxParams,
    layout: Layout,
    h: Vec<u32>,
    bi: BitInterleaver,
    enc: Encoder,
    inter: ConvInterleaver,
    seq: Vec<u8>,
    packets_sent: u64,
    coded: VecDeque<u8>,
    bytes_bits: Vec<u8>,
    /// Symbols sent (symbol 0 = frame 1, symbol 0 of a superframe).
    pub symbols: u64,
    tps_words: [[u8; 68]; 4],
    tps_state: f32,
    ifft: Arc<dyn Fft<f32>>,
    scratch: Vec<Complex32>,
    freq: Vec<Complex32>,
    words: Vec<u8>,
    yp: Vec<Complex32>,
    cells: Vec<Complex32>,
    /// Output amplitude scale (RMS of the output ≈ `rms`).
    gain: f32,
}

impl Transmitter {
    /// A transmitter whose output has RMS amplitude `rms` (0.1 = −20 dBFS).
    pub fn new(params: TxParams, rms: f32) -> Transmitter {
        let layout = Layout::new(params.mode);
        let n = params.mode.fft_len();
        let ifft = FftPlanner::new().plan_fft_inverse(n);
        let k = params.mode.carriers() as f32;
        // Mean cell power: data and TPS 1, pilots (16/9).
        let pil = (0..4).map(|p| layout.pilots[p].len()).sum::<usize>() as f32 / 4.0;
        let cell_power = (k - pil + pil * PILOT_BOOST * PILOT_BOOST) / n as f32;
        Transmitter {
            h: symbol_permutation(params.mode),
            bi: BitInterleaver::new(params.constellation),
            enc: Encoder::new(params.code_rate),
            inter: ConvInterleaver::interleaver_filled(0x5EED),
            seq: dispersal_sequence(),
            packets_sent: 0,
            coded: VecDeque::new(),
            bytes_bits: Vec::new(),
            symbols: 0,
            tps_words: [0, 1, 2, 3].map(|f| tps::encode(&params, f)),
            tps_state: 1.0,
            scratch: vec![Complex32::default(); ifft.get_inplace_scratch_len()],
            ifft,
            freq: vec![Complex32::default(); n],
            words: vec![0; params.coded_bits_per_symbol()],
            yp: vec![Complex32::default(); params.mode.data_cells()],
            cells: vec![Complex32::default(); params.mode.data_cells()],
            gain: rms / (cell_power * n as f32).sqrt(),
            layout,
            params,
        }
    }

    /// Signal hierarchy code `code` (1/2/3 = α 1/2/4) in TPS while the cells stay
    /// non-hierarchical: a mis-signalled link, or the signalling of a hierarchical one, for
    /// testing how a receiver reports it.
    pub fn signal_hierarchy(&mut self, code: u8) {
        let p = self.params;
        self.tps_words = [0, 1, 2, 3].map(|f| tps::encode_signalling(&p, f, code));
    }

    /// TS packets consumed so far.
    pub fn packets_sent(&self) -> u64 {
        self.packets_sent
    }

    /// Samples per symbol (with guard).
    pub fn symbol_samples(&self) -> usize {
        self.params.symbol_samples()
    }

    fn feed_packet(&mut self, src: &mut TsSource) {
        let mut pkt = src.next();
        let g = (self.packets_sent % GROUP as u64) as usize;
        disperse(&self.seq, g, &mut pkt, true);
        self.packets_sent += 1;
        let parity = rs::encode(&pkt);
        self.bytes_bits.clear();
        for &b in pkt.iter().chain(parity.iter()) {
            let o = self.inter.push(b);
            for i in (0..8).rev() {
                self.bytes_bits.push(o >> i & 1);
            }
        }
        let mut coded = Vec::with_capacity(self.bytes_bits.len() * 2);
        self.enc.push(&self.bytes_bits, &mut coded);
        self.coded.extend(coded);
    }

    /// Produce the next OFDM symbol (guard interval first) into `out`.
    pub fn next_symbol(&mut self, src: &mut TsSource, out: &mut Vec<Complex32>) {
        let p = self.params;
        let nbits = p.coded_bits_per_symbol();
        while self.coded.len() < nbits {
            self.feed_packet(src);
        }
        let v = p.constellation.bits();
        let bl = BLOCK_WORDS * v;
        let mut block = vec![0u8; bl];
        for (i, x) in self.coded.drain(..nbits).enumerate() {
            block[i % bl] = x;
            if i % bl == bl - 1 {
                let b = i / bl;
                self.bi
                    .interleave(&block, &mut self.words[b * bl..(b + 1) * bl]);
            }
        }
        for (w, z) in self.yp.iter_mut().enumerate() {
            *z = map(p.constellation, &self.words[w * v..(w + 1) * v]);
        }
        let l_sf = (self.symbols % 272) as usize;
        let frame = l_sf / 68;
        let l = l_sf % 68;
        symbol_interleave(&self.h, l, &self.yp, &mut self.cells);
        // Cells onto carriers.
        let lay = &self.layout;
        let mut car = vec![Complex32::default(); p.mode.carriers()];
        for (&k, &c) in lay.data[l % 4].iter().zip(self.cells.iter()) {
            car[k] = c;
        }
        for &k in lay.pilots[l % 4].iter() {
            car[k] = Complex32::new(PILOT_BOOST * lay.ref_sign[k], 0.0);
        }
        if l == 0 {
            self.tps_state = 1.0;
        } else if self.tps_words[frame][l] == 1 {
            self.tps_state = -self.tps_state;
        }
        for &k in lay.tps.iter() {
            car[k] = Complex32::new(self.tps_state * lay.ref_sign[k], 0.0);
        }
        self.freq.fill(Complex32::default());
        for (k, &c) in car.iter().enumerate() {
            self.freq[lay.bin(k)] = c;
        }
        self.ifft
            .process_with_scratch(&mut self.freq, &mut self.scratch);
        let n = p.mode.fft_len();
        let g = p.guard.samples(p.mode);
        let gain = self.gain;
        out.extend(self.freq[n - g..].iter().map(|&z| z * gain));
        out.extend(self.freq.iter().map(|&z| z * gain));
        self.symbols += 1;
    }

    /// `count` symbols.
    pub fn symbols(&mut self, src: &mut TsSource, count: usize) -> Vec<Complex32> {
        let mut out = Vec::with_capacity(count * self.symbol_samples());
        for _ in 0..count {
            self.next_symbol(src, &mut out);
        }
        out
    }
}

/// One echo of the channel model.
#[derive(Debug, Clone, Copy)]
pub struct EchoPath {
    pub delay_us: f64,
    pub level_db: f64,
    /// Phase of the echo, degrees.
    pub phase_deg: f64,
}

/// Channel impairments applied to a transmitter's output.
#[derive(Debug, Clone, Default)]
pub struct Channel {
    pub echoes: Vec<EchoPath>,
    pub cfo_hz: f64,
    /// Receiver clock relative to the transmitter's, ppm (positive: more samples per second).
    pub sco_ppm: f64,
    /// Carrier-to-noise ratio in the occupied band (1705/2048 or 6817/8192 of the rate).
    pub cn_db: Option<f64>,
    pub seed: u64,
}

impl Channel {
    /// Apply to `x` at rate `fs` (the elementary rate); `occupied` is the fraction of the rate
    /// the signal occupies.
    pub fn apply(&self, x: &[Complex32], fs: f64, occupied: f64) -> Vec<Complex32> {
        let mut y: Vec<Complex32> = x.to_vec();
        for e in &self.echoes {
            let d = e.delay_us * 1e-6 * fs;
            let g = Complex32::from_polar(
                10f32.powf(e.level_db as f32 / 20.0),
                e.phase_deg.to_radians() as f32,
            );
            let delayed = fractional_delay(x, d);
            for (o, v) in y.iter_mut().zip(delayed.iter()) {
                *o += v * g;
            }
        }
        if self.sco_ppm != 0.0 {
            y = resample_ppm(&y, self.sco_ppm);
        }
        if self.cfo_hz != 0.0 {
            let w = 2.0 * std::f64::consts::PI * self.cfo_hz / fs;
            for (i, v) in y.iter_mut().enumerate() {
                let ph = w * i as f64;
                *v *= Complex32::new(ph.cos() as f32, ph.sin() as f32);
            }
        }
        if let Some(cn) = self.cn_db {
            let p = x.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / x.len().max(1) as f64;
            let mut rng = Rng::new(self.seed);
            add_noise_cnr(&mut y, p, cn, occupied * fs, fs, &mut rng);
        }
        y
    }
}

/// Windowed-sinc interpolation of x at time t (samples).
fn interp(x: &[Complex32], t: f64) -> Complex32 {
    const HALF: i64 = 12;
    let i0 = t.floor() as i64;
    let mut acc = Complex32::default();
    for j in i0 - HALF + 1..=i0 + HALF {
        if j < 0 || j as usize >= x.len() {
            continue;
        }
        let u = t - j as f64;
        let sinc = if u.abs() < 1e-12 {
            1.0
        } else {
            (std::f64::consts::PI * u).sin() / (std::f64::consts::PI * u)
        };
        let w = 0.42
            + 0.5 * (std::f64::consts::PI * u / HALF as f64).cos()
            + 0.08 * (2.0 * std::f64::consts::PI * u / HALF as f64).cos();
        acc += x[j as usize] * (sinc * w) as f32;
    }
    acc
}

fn fractional_delay(x: &[Complex32], d: f64) -> Vec<Complex32> {
    (0..x.len()).map(|i| interp(x, i as f64 - d)).collect()
}

/// Resample as a receiver whose clock is `ppm` fast sees it.
fn resample_ppm(x: &[Complex32], ppm: f64) -> Vec<Complex32> {
    let step = 1.0 / (1.0 + ppm * 1e-6);
    let n = ((x.len() as f64 - 1.0) / step).floor() as usize;
    (0..n).map(|i| interp(x, i as f64 * step)).collect()
}
