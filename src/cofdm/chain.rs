//! The decoding chain after equalisation: soft demapping, symbol and bit deinterleaving,
//! depuncturing, Viterbi, outer deinterleaving, RS(204,188) and energy-dispersal removal →
//! transport-stream packets; pre-/post-Viterbi BER and MER on the way.

use super::inner::{depuncture_slots, G1, G2};
use super::interleave::{symbol_deinterleave, symbol_permutation, BitInterleaver, BLOCK_WORDS};
use super::mapping::{demap, slice};
use super::outer::{
    dispersal_sequence, disperse, ConvInterleaver, RS_LEN, SYNC, SYNC_INVERTED, TS_LEN,
};
use super::params::{CodeRate, Constellation, TxParams};
use crate::fec::rs;
use linkscope_dsp::viterbi::{ConvEncoderK7, ViterbiStream};
use num_complex::Complex32;
use serde::Serialize;

/// Viterbi traceback depth, bits.
const TRACEBACK: usize = 128;

/// One transport-stream packet out of the receiver.
#[derive(Debug, Clone, Serialize)]
pub struct TsPacket {
    /// 188 bytes, sync byte 0x47; the transport error indicator is set when RS failed.
    #[serde(skip)]
    pub data: Vec<u8>,
    /// RS decoding succeeded (bytes corrected ≤ 8).
    pub rs_ok: bool,
    /// Bytes the RS decoder corrected.
    pub rs_corrected_bytes: usize,
    /// Index of this RS codeword in its superframe (its sync byte's position / 204 bytes).
    pub index_in_superframe: usize,
    /// Input sample (at the elementary rate) where that superframe begins (may be negative when
    /// it began before the input).
    pub superframe_start_sample: i64,
}

/// One equalised OFDM symbol's data cells, carrier order.
#[derive(Debug, Clone)]
pub struct EqSymbol {
    /// Symbol number in the superframe (0…271).
    pub l_sf: usize,
    /// Input sample (elementary rate) of the superframe's first symbol.
    pub superframe_start_sample: i64,
    pub cells: Vec<Complex32>,
    /// Channel state (|H|², mean 1) per cell.
    pub csi: Vec<f32>,
    /// Data carrier index k of each cell.
    pub carriers: std::sync::Arc<Vec<usize>>,
}

/// Counters the chain keeps.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ChainStats {
    pub mer_signal: f64,
    pub mer_error: f64,
    pub pre_bits: u64,
    pub pre_errors: u64,
    pub post_bits: u64,
    pub post_errors: u64,
    pub packets: u64,
    pub rs_uncorrectable: u64,
    pub rs_corrected_bytes: u64,
    pub sync_losses: u64,
}

/// Where a decoded bit came from: the superframe-relative data-bit offset of the first bit of
/// each symbol fed to the Viterbi decoder.
#[derive(Debug, Clone, Copy)]
struct SymMark {
    first_bit: u64,
    l_sf: usize,
    sf_start: i64,
}

/// A corrected codeword waiting for its energy-dispersal phase.
struct Pending {
    data: Vec<u8>,
    group_pos: Option<usize>,
    ok: bool,
    corrected: usize,
    idx: usize,
    sf: i64,
}

pub struct Chain {
    pub params: TxParams,
    c: Constellation,
    v: usize,
    h: Vec<u32>,
    scale: f32,
    yp: Vec<Complex32>,
    yp_csi: Vec<f32>,
    words: Vec<f32>,
    /// For coded bit i of a symbol (transmission order): its soft value in `words` (bit
    /// deinterleaving) and its slot in `pairs` (depuncturing; a symbol holds whole puncturing
    /// periods, and the slots of punctured bits stay 0 = erasure).
    gather: Vec<u32>,
    dep_slot: Vec<u32>,
    pairs: Vec<i8>,
    vit: ViterbiStream,
    bits: Vec<u8>,
    /// Depunctured pairs fed to the decoder and not yet matched with its decisions (for the
    /// pre-Viterbi BER); `hist_pos` is the pair of the next decision.
    hist: Vec<i8>,
    hist_pos: usize,
    reenc: ConvEncoderK7,
    reenc_buf: Vec<u8>,
    decoded_total: u64,
    fed_bits: u64,
    marks: std::collections::VecDeque<SymMark>,
    data_bits_per_symbol: u64,
    // Packet layer.
    sync_bit: Option<u64>,
    bitbuf: Vec<u8>,
    bitbuf_start: u64,
    deint: ConvInterleaver,
    cw: Vec<u8>,
    out_skip: usize,
    misses: usize,
    /// RS codewords out of the deinterleaver awaiting the energy-dispersal group phase.
    pending: Vec<Pending>,
    group_pos: Option<usize>,
    seq: Vec<u8>,
    /// Superframe position of the sync bytes entering the deinterleaver, aligned with `cw`.
    cw_marks: std::collections::VecDeque<(usize, i64)>,
    pub stats: ChainStats,
    /// Per data-carrier MER accumulators (signal, error) indexed by k.
    pub mer_carrier: Vec<(f64, f64)>,
    /// A sample of equalised cells for the constellation picture.
    pub points: Vec<Complex32>,
    points_stride: usize,
    points_skip: usize,
}

impl Chain {
    pub fn new(params: TxParams) -> Chain {
        let c = params.constellation;
        let (n, d) = params.code_rate.ratio();
        let coded = params.coded_bits_per_symbol() as u64;
        let v = c.bits();
        let bi = BitInterleaver::new(c);
        let bl = BLOCK_WORDS * v;
        let gather: Vec<u32> = (0..coded as usize)
            .map(|i| ((i / bl) * bl) as u32 + bi.slot[i % bl])
            .collect();
        let (dep_slot, pairs) = depuncture_slots(params.code_rate, coded as usize);
        Chain {
            params,
            c,
            v,
            h: symbol_permutation(params.mode),
            scale: match c {
                Constellation::Qpsk => 40.0,
                Constellation::Qam16 => 24.0,
                Constellation::Qam64 => 14.0,
            },
            yp: vec![Complex32::default(); params.mode.data_cells()],
            yp_csi: vec![0.0; params.mode.data_cells()],
            words: vec![0.0; params.coded_bits_per_symbol()],
            gather,
            dep_slot,
            pairs: vec![0; 2 * pairs],
            vit: ViterbiStream::new(G1, G2, TRACEBACK).expect("valid DVB-T code"),
            reenc: ConvEncoderK7::new(G1, G2).expect("valid DVB-T code"),
            reenc_buf: Vec::new(),
            bits: Vec::with_capacity(2 * params.coded_bits_per_symbol()),
            hist: Vec::new(),
            hist_pos: 0,
            decoded_total: 0,
            fed_bits: 0,
            marks: Default::default(),
            data_bits_per_symbol: coded * n as u64 / d as u64,
            sync_bit: None,
            bitbuf: Vec::new(),
            bitbuf_start: 0,
            deint: ConvInterleaver::deinterleaver(),
            cw: Vec::with_capacity(RS_LEN),
            out_skip: 11,
            misses: 0,
            pending: Vec::new(),
            group_pos: None,
            seq: dispersal_sequence(),
            cw_marks: Default::default(),
            stats: ChainStats::default(),
            mer_carrier: vec![(0.0, 0.0); params.mode.carriers()],
            points: Vec::new(),
            points_stride: 1,
            points_skip: 0,
        }
    }

    /// Code rate in use.
    pub fn code_rate(&self) -> CodeRate {
        self.params.code_rate
    }

    /// Decode one equalised symbol; finished TS packets are appended to `out`.
    pub fn push_symbol(&mut self, s: &EqSymbol, out: &mut Vec<TsPacket>) {
        // MER and constellation sample.
        for (i, (&z, &k)) in s.cells.iter().zip(s.carriers.iter()).enumerate() {
            let r = slice(self.c, z);
            let sig = r.norm_sqr() as f64;
            let err = (z - r).norm_sqr() as f64;
            self.stats.mer_signal += sig;
            self.stats.mer_error += err;
            let m = &mut self.mer_carrier[k];
            m.0 += sig;
            m.1 += err;
            if i % 7 != 0 {
                continue;
            }
            if self.points_skip > 0 {
                self.points_skip -= 1;
            } else {
                self.points_skip = self.points_stride - 1;
                if self.points.len() >= 6000 {
                    self.points.retain({
                        let mut t = false;
                        move |_| {
                            t = !t;
                            t
                        }
                    });
                    self.points_stride *= 2;
                }
                self.points.push(z);
            }
        }
        // Symbol deinterleaving (parity of the symbol number in the frame = parity of l_sf).
        symbol_deinterleave(&self.h, s.l_sf % 68, &s.cells, &mut self.yp);
        symbol_deinterleave(&self.h, s.l_sf % 68, &s.csi, &mut self.yp_csi);
        // Soft demapping into symbol words, then bit deinterleaving block by block.
        let v = self.v;
        for (w, (&z, &csi)) in self.yp.iter().zip(self.yp_csi.iter()).enumerate() {
            demap(self.c, z, csi, &mut self.words[w * v..(w + 1) * v]);
        }
        // Bit deinterleaving, quantisation and depuncturing in one pass.
        let scale = self.scale;
        for (&g, &d) in self.gather.iter().zip(self.dep_slot.iter()) {
            let x = (self.words[g as usize] * scale).clamp(-127.0, 127.0);
            // Round half away from zero (0 stays an erasure).
            self.pairs[d as usize] = (x + 0.5f32.copysign(x)) as i8;
        }
        self.marks.push_back(SymMark {
            first_bit: self.fed_bits,
            l_sf: s.l_sf,
            sf_start: s.superframe_start_sample,
        });
        self.fed_bits += (self.pairs.len() / 2) as u64;
        self.hist.extend_from_slice(&self.pairs);
        self.bits.clear();
        self.vit.push(&self.pairs, &mut self.bits);
        let bits = std::mem::take(&mut self.bits);
        self.after_viterbi(&bits, out);
        self.bits = bits;
    }

    /// End of input: flush the decoder.
    pub fn finish(&mut self, out: &mut Vec<TsPacket>) {
        self.bits.clear();
        self.vit.flush(&mut self.bits);
        let bits = std::mem::take(&mut self.bits);
        self.after_viterbi(&bits, out);
        self.flush_pending(out, true);
    }

    fn after_viterbi(&mut self, bits: &[u8], out: &mut Vec<TsPacket>) {
        // Pre-Viterbi BER: re-encode the decisions and compare with the hard channel bits.
        self.reenc_buf.resize(2 * bits.len(), 0);
        self.reenc.encode(bits, &mut self.reenc_buf);
        // Decision d re-encodes to the pair the decoder was fed as pair d; the first 7 are
        // skipped (the encoder's state is not yet known there). Erasures (0) do not count.
        let skip = 7u64
            .saturating_sub(self.decoded_total)
            .min(bits.len() as u64) as usize;
        let from = (2 * (self.hist_pos + skip)).min(self.hist.len());
        let to = (2 * (self.hist_pos + bits.len())).min(self.hist.len());
        let (mut nb, mut ne) = (0u64, 0u64);
        for (&soft, &want) in self.hist[from..to].iter().zip(&self.reenc_buf[2 * skip..]) {
            let live = (soft != 0) as u64;
            nb += live;
            ne += live & ((soft > 0) as u8 ^ want) as u64;
        }
        self.stats.pre_bits += nb;
        self.stats.pre_errors += ne;
        self.hist_pos += bits.len();
        self.decoded_total += bits.len() as u64;
        self.bitbuf.extend_from_slice(bits);
        if 2 * self.hist_pos >= self.hist.len() / 2 {
            let done = (2 * self.hist_pos).min(self.hist.len());
            self.hist.drain(..done);
            self.hist_pos -= done / 2;
        }
        self.packet_layer(out);
    }

    /// Data-bit index (decoder output count) → (index in superframe of a packet starting there,
    /// superframe start sample).
    fn locate(&mut self, bit: u64) -> (usize, i64) {
        while self.marks.len() > 1 && self.marks[1].first_bit <= bit {
            self.marks.pop_front();
        }
        match self.marks.front() {
            Some(m) => {
                let off = m.l_sf as u64 * self.data_bits_per_symbol + (bit - m.first_bit);
                ((off / (RS_LEN as u64 * 8)) as usize, m.sf_start)
            }
            None => (0, 0),
        }
    }

    fn byte_at(&self, bit: u64) -> Option<u8> {
        let i = bit.checked_sub(self.bitbuf_start)? as usize;
        if i + 8 > self.bitbuf.len() {
            return None;
        }
        Some(self.bitbuf[i..i + 8].iter().fold(0u8, |a, &b| (a << 1) | b))
    }

    fn packet_layer(&mut self, out: &mut Vec<TsPacket>) {
        const PKT_BITS: u64 = RS_LEN as u64 * 8;
        loop {
            let Some(start) = self.sync_bit else {
                // Search: five sync bytes in a row, 204 bytes apart.
                let have = self.bitbuf.len() as u64;
                if have < 5 * PKT_BITS + 8 {
                    return;
                }
                let is_sync = |x: Option<u8>| matches!(x, Some(SYNC) | Some(SYNC_INVERTED));
                let found = (0..PKT_BITS).find(|&o| {
                    let b0 = self.bitbuf_start + o;
                    (0..5).all(|m| is_sync(self.byte_at(b0 + m * PKT_BITS)))
                });
                match found {
                    Some(o) => {
                        self.sync_bit = Some(self.bitbuf_start + o);
                        self.deint = ConvInterleaver::deinterleaver();
                        self.out_skip = 11;
                        self.cw.clear();
                        self.cw_marks.clear();
                        self.misses = 0;
                    }
                    None => {
                        let drop = (have - 5 * PKT_BITS) as usize;
                        self.bitbuf.drain(..drop);
                        self.bitbuf_start += drop as u64;
                        return;
                    }
                }
                continue;
            };
            // Consume whole packets from `start`.
            if self.bitbuf_start + (self.bitbuf.len() as u64) < start + PKT_BITS {
                let drop = (start - self.bitbuf_start) as usize;
                self.bitbuf.drain(..drop);
                self.bitbuf_start = start;
                return;
            }
            let first = self.byte_at(start).unwrap_or(0);
            if first == SYNC || first == SYNC_INVERTED {
                self.misses = 0;
            } else {
                self.misses += 1;
                if self.misses > 8 {
                    self.stats.sync_losses += 1;
                    self.sync_bit = None;
                    self.flush_pending(out, false);
                    continue;
                }
            }
            let loc = self.locate(start);
            self.cw_marks.push_back(loc);
            for j in 0..RS_LEN as u64 {
                let b = self.byte_at(start + 8 * j).unwrap_or(0);
                let o = self.deint.push(b);
                self.cw.push(o);
            }
            let cw = std::mem::replace(&mut self.cw, Vec::with_capacity(RS_LEN));
            // The codeword out now began entering 11 packets ago.
            if self.cw_marks.len() > 11 {
                let (idx, sf) = self.cw_marks.pop_front().unwrap_or((0, 0));
                if self.out_skip == 0 {
                    self.rs_packet(cw, idx, sf, out);
                }
            }
            self.out_skip = self.out_skip.saturating_sub(1);
            self.sync_bit = Some(start + PKT_BITS);
        }
    }

    fn rs_packet(&mut self, cw: Vec<u8>, idx: usize, sf: i64, out: &mut Vec<TsPacket>) {
        let mut arr = [0u8; RS_LEN];
        arr.copy_from_slice(&cw);
        let before = arr;
        let res = rs::decode(&mut arr);
        self.stats.packets += 1;
        let corrected = res.unwrap_or(0);
        match res {
            Some(n) => {
                self.stats.rs_corrected_bytes += n as u64;
                let flipped: u32 = arr[..TS_LEN]
                    .iter()
                    .zip(before.iter())
                    .map(|(a, b)| (a ^ b).count_ones())
                    .sum();
                self.stats.post_errors += flipped as u64;
                self.stats.post_bits += (TS_LEN * 8) as u64;
            }
            None => {
                self.stats.rs_uncorrectable += 1;
                if std::env::var_os("LINKSCOPE_COFDM_DEBUG").is_some() {
                    eprintln!(
                        "RS uncorrectable: packet {} of the stream, index {idx} in superframe",
                        self.stats.packets
                    );
                }
            }
        }
        if arr[0] == SYNC_INVERTED && res.is_some() {
            self.group_pos = Some(0);
            // Packets waiting for the group phase: they precede this one.
            let n = self.pending.len();
            for (i, p) in self.pending.iter_mut().enumerate() {
                p.group_pos = Some((8 - (n - i) % 8) % 8);
            }
            self.flush_pending(out, false);
        }
        let pos = self.group_pos;
        self.pending.push(Pending {
            data: arr[..TS_LEN].to_vec(),
            group_pos: pos,
            ok: res.is_some(),
            corrected,
            idx,
            sf,
        });
        if let Some(g) = self.group_pos {
            self.group_pos = Some((g + 1) % 8);
        }
        if pos.is_some() {
            self.flush_pending(out, false);
        }
    }

    /// Emit packets whose group phase is known (all of them at the end, phase-less ones marked
    /// as errored).
    fn flush_pending(&mut self, out: &mut Vec<TsPacket>, all: bool) {
        let mut keep = Vec::new();
        for mut p in self.pending.drain(..) {
            match p.group_pos {
                Some(g) => disperse(&self.seq, g, &mut p.data, false),
                None if all => {}
                None => {
                    keep.push(p);
                    continue;
                }
            }
            let ok = p.ok && p.group_pos.is_some();
            if !ok {
                p.data[1] |= 0x80;
            }
            out.push(TsPacket {
                data: p.data,
                rs_ok: ok,
                rs_corrected_bytes: p.corrected,
                index_in_superframe: p.idx,
                superframe_start_sample: p.sf,
            });
        }
        self.pending = keep;
    }
}
