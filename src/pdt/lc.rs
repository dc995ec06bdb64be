//! Signalling below and beside the burst level: the EMB and the voice-burst layout, the embedded
//! LC, the CACH (TACT + short LC), CSBK and data-header fields, NVOC frame classification and the
//! O.153 PN9 generator (`../shared/spec/dmr-pdt.md` §1.2, §1.8, §1.9, §1.11;
//! `pdt-mpt1327-addendum.md` §2.3–2.5).
//!
//! Bits are `u8` values 0/1, first transmitted bit first. The codes themselves (QR(16,7),
//! Hamming(16,11)/(17,12)/(7,4), CRC-8, the 5-bit checksum) live in [`crate::fec::dmr`].

use serde_json::{json, Map, Value};

use super::burst::SyncKind;
use crate::fec::dmr::{
    bits_to_bytes, bits_to_u64, bytes_to_bits, checksum5, crc8, qr1676_decode, qr1676_encode,
    u64_to_bits, Standard, CACH_TACT_POS, H16_11, H17_12, H7_4,
};

/// The LCSS order of a four-fragment LC (embedded LC in bursts B–E, short LC in four CACHs):
/// first, continuation, continuation, last (dmr-pdt.md §1.8 LCSS codes).
pub const LCSS_SEQUENCE: [u8; 4] = [1, 3, 3, 2];

// ---------------------------------------------------------------- EMB

/// The EMB of voice bursts B–F (dmr-pdt.md §1.9): colour code, privacy indicator, LCSS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Emb {
    /// Colour code (4 bits).
    pub color_code: u8,
    /// Privacy indicator.
    pub pi: bool,
    /// Link-control start/stop (0 single, 1 first, 2 last, 3 continuation).
    pub lcss: u8,
}

/// The 16 EMB bits: QR(16,7) codeword of CC(4) ‖ PI(1) ‖ LCSS(2), MSB first (dmr-pdt.md §1.9).
pub fn emb_bits(emb: &Emb) -> [u8; 16] {
    let d = ((emb.color_code & 0xF) << 3) | ((emb.pi as u8) << 2) | (emb.lcss & 3);
    let mut out = [0u8; 16];
    out.copy_from_slice(&u64_to_bits(qr1676_encode(d) as u64, 16));
    out
}

/// Decode 16 EMB bits: (EMB, bit errors corrected), or None beyond 2 errors.
///
/// QR(16,7) has minimum distance 6 (§1.9), so every 3-error pattern lies at distance ≥ 3 from
/// every codeword and is *rejected* (None), never miscorrected; 4 or more errors can be
/// miscorrected to another codeword (reported with 2 errors).
pub fn emb_decode(bits: &[u8]) -> Option<(Emb, u32)> {
    if bits.len() != 16 {
        return None;
    }
    let (d, e) = qr1676_decode(bits_to_u64(bits) as u16)?;
    Some((
        Emb {
            color_code: d >> 3,
            pi: (d >> 2) & 1 == 1,
            lcss: d & 3,
        },
        e,
    ))
}

// ---------------------------------------------------------------- voice bursts

/// Voice burst A (dmr-pdt.md §1.2): vocoder bits 0–107 ‖ 48-bit sync ‖ vocoder bits 108–215.
pub fn voice_burst_sync(vocoder: &[u8], sync: SyncKind) -> Vec<u8> {
    assert_eq!(vocoder.len(), 216, "216 vocoder bits");
    let s = u64_to_bits(sync.pattern(), 48);
    vocoder[..108]
        .iter()
        .chain(&s)
        .chain(&vocoder[108..])
        .copied()
        .collect()
}

/// Voice bursts B–F (dmr-pdt.md §1.2): vocoder 0–107 ‖ EMB bits 0–7 ‖ 32 embedded-signalling bits
/// ‖ EMB bits 8–15 ‖ vocoder 108–215.
pub fn voice_burst_emb(vocoder: &[u8], emb: &Emb, embedded: &[u8; 32]) -> Vec<u8> {
    assert_eq!(vocoder.len(), 216, "216 vocoder bits");
    let e = emb_bits(emb);
    vocoder[..108]
        .iter()
        .chain(&e[..8])
        .chain(embedded)
        .chain(&e[8..])
        .chain(&vocoder[108..])
        .copied()
        .collect()
}

/// Split a 264-bit voice burst into its 216 vocoder bits and the 48-bit centre (bits 108–155:
/// sync in burst A, EMB + embedded signalling in B–F).
pub fn split_voice(bits: &[u8]) -> (Vec<u8>, Vec<u8>) {
    assert_eq!(bits.len(), 264, "264-bit burst");
    let voc = bits[..108].iter().chain(&bits[156..]).copied().collect();
    (voc, bits[108..156].to_vec())
}

/// The centre of a B–F burst: (16 EMB bits, 32 embedded-signalling bits) (dmr-pdt.md §1.2).
pub fn centre_emb(centre: &[u8]) -> ([u8; 16], [u8; 32]) {
    assert_eq!(centre.len(), 48, "48-bit centre");
    let mut emb = [0u8; 16];
    emb[..8].copy_from_slice(&centre[..8]);
    emb[8..].copy_from_slice(&centre[40..]);
    let mut embedded = [0u8; 32];
    embedded.copy_from_slice(&centre[8..40]);
    (emb, embedded)
}

// ---------------------------------------------------------------- LCSS reassembly

/// Collects four fragments sent with LCSS 1, 3, 3, 2; anything out of order starts over.
#[derive(Debug, Clone, Default)]
struct Lcss4<T: Copy> {
    got: Vec<T>,
}

impl<T: Copy> Lcss4<T> {
    fn push(&mut self, lcss: u8, item: T) -> Option<[T; 4]> {
        match lcss {
            1 => {
                self.got.clear();
                self.got.push(item);
            }
            3 if (1..=2).contains(&self.got.len()) => self.got.push(item),
            2 if self.got.len() == 3 => {
                self.got.push(item);
                let all = [self.got[0], self.got[1], self.got[2], self.got[3]];
                self.got.clear();
                return Some(all);
            }
            _ => self.got.clear(),
        }
        None
    }
}

// ---------------------------------------------------------------- embedded LC

/// Row-major matrix indices of the 72 LC bits (dmr-pdt.md §1.9).
fn emb_lc_data_positions() -> impl Iterator<Item = usize> {
    (0..11)
        .chain(16..27)
        .chain((2..7).flat_map(|r| 16 * r..16 * r + 10))
}

/// Matrix indices of the 5 checksum bits, MSB first.
const EMB_LC_CHECKSUM_POS: [usize; 5] = [42, 58, 74, 90, 106];

/// Transmitted position n → matrix index (column-wise read-out, §1.9).
fn emb_lc_matrix_index(n: usize) -> usize {
    if n == 127 {
        127
    } else {
        (16 * n) % 127
    }
}

/// The embedded LC of a full LC (dmr-pdt.md §1.9): 72 LC bits + the 5-bit checksum in an 8 × 16
/// matrix (rows 0–6 Hamming(16,11,4), row 7 column even parity), read out column-wise
/// (raw[n] = matrix[(16·n) mod 127], raw[127] = matrix[127]) and cut into the four 32-bit
/// fragments of voice bursts B, C, D, E (sent with LCSS 1, 3, 3, 2).
pub fn embedded_lc_fragments(lc: &[u8; 9]) -> [[u8; 32]; 4] {
    let mut m = [0u8; 128];
    for (p, b) in emb_lc_data_positions().zip(bytes_to_bits(lc)) {
        m[p] = b;
    }
    let cs = checksum5(lc);
    for (k, &p) in EMB_LC_CHECKSUM_POS.iter().enumerate() {
        m[p] = (cs >> (4 - k)) & 1;
    }
    for r in 0..7 {
        let base = 16 * r;
        let par = H16_11.parity(&m[base..base + 11]);
        m[base + 11..base + 16].copy_from_slice(&par);
    }
    for c in 0..16 {
        m[112 + c] = (0..7).fold(0, |a, r| a ^ m[16 * r + c]);
    }
    let mut out = [[0u8; 32]; 4];
    for n in 0..128 {
        out[n / 32][n % 32] = m[emb_lc_matrix_index(n)];
    }
    out
}

/// Decode the four embedded-LC fragments (B, C, D, E order): (the 9 LC bytes, bits corrected).
/// Each Hamming(16,11,4) row may have one error corrected; None when a row is uncorrectable, a
/// column parity fails or the 5-bit checksum does not match (dmr-pdt.md §1.9).
pub fn embedded_lc_decode(frags: &[[u8; 32]; 4]) -> Option<([u8; 9], u32)> {
    let mut m = [0u8; 128];
    for n in 0..128 {
        m[emb_lc_matrix_index(n)] = frags[n / 32][n % 32];
    }
    let mut corrected = 0;
    for r in 0..7 {
        if H16_11.correct(&mut m[16 * r..16 * r + 16]).ok()? {
            corrected += 1;
        }
    }
    if (0..16).any(|c| (0..8).fold(0, |a, r| a ^ m[16 * r + c]) != 0) {
        return None;
    }
    let bits: Vec<u8> = emb_lc_data_positions().map(|p| m[p]).collect();
    let lc: [u8; 9] = bits_to_bytes(&bits).try_into().ok()?;
    let cs = EMB_LC_CHECKSUM_POS
        .iter()
        .fold(0u8, |a, &p| (a << 1) | m[p]);
    (cs == checksum5(&lc)).then_some((lc, corrected))
}

/// Reassembles an embedded LC from the (LCSS, fragment) of successive voice bursts of one slot:
/// LCSS 1 starts, 3 continues (twice), 2 ends; anything else, or out of order, starts over.
#[derive(Debug, Clone, Default)]
pub struct EmbeddedLcAssembler {
    frags: Lcss4<[u8; 32]>,
}

impl EmbeddedLcAssembler {
    /// A fresh assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one burst's EMB LCSS and embedded field. On the last fragment of a complete
    /// 1, 3, 3, 2 run: `Some(embedded_lc_decode(..))` (itself None when the LC fails its checks);
    /// otherwise None.
    pub fn push(&mut self, lcss: u8, frag: &[u8; 32]) -> Option<Option<([u8; 9], u32)>> {
        self.frags.push(lcss, *frag).map(|f| embedded_lc_decode(&f))
    }
}

// ---------------------------------------------------------------- CACH / TACT

/// The TACT of a CACH (dmr-pdt.md §1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tact {
    /// Access type: 1 = inbound channel busy.
    pub at: u8,
    /// TDMA channel: 0 = the following burst is timeslot 1, 1 = timeslot 2.
    pub tc: u8,
    /// LCSS of the short-LC fragment in this CACH.
    pub lcss: u8,
}

/// CACH positions of the 17 payload bits, in order (every position that is not a TACT bit).
fn cach_payload_positions() -> impl Iterator<Item = usize> {
    (0..24).filter(|p| !CACH_TACT_POS.contains(p))
}

/// Build a 24-bit CACH: the Hamming(7,4) TACT at positions 0, 4, 8, 12, 14, 18, 22 and the 17
/// payload bits in the remaining positions in order (dmr-pdt.md §1.8).
pub fn cach_bits(tact: &Tact, payload: &[u8; 17]) -> [u8; 24] {
    let d = [
        tact.at & 1,
        tact.tc & 1,
        (tact.lcss >> 1) & 1,
        tact.lcss & 1,
    ];
    let p = H7_4.parity(&d);
    let t = [d[0], d[1], d[2], d[3], p[0], p[1], p[2]];
    let mut c = [0u8; 24];
    for (&pos, b) in CACH_TACT_POS.iter().zip(t) {
        c[pos] = b;
    }
    for (pos, &b) in cach_payload_positions().zip(payload) {
        c[pos] = b;
    }
    c
}

/// Decode a 24-bit CACH: (TACT, TACT bits corrected, 17 payload bits), or None when the
/// Hamming(7,4) TACT is uncorrectable (dmr-pdt.md §1.8). Hamming(7,4) is perfect, so every
/// word decodes; two or more TACT errors are silently miscorrected.
pub fn cach_decode(cach: &[u8]) -> Option<(Tact, u32, [u8; 17])> {
    if cach.len() != 24 {
        return None;
    }
    let mut t: Vec<u8> = CACH_TACT_POS.iter().map(|&p| cach[p]).collect();
    let corrected = H7_4.correct(&mut t).ok()? as u32;
    let mut payload = [0u8; 17];
    for (o, p) in payload.iter_mut().zip(cach_payload_positions()) {
        *o = cach[p];
    }
    Some((
        Tact {
            at: t[0],
            tc: t[1],
            lcss: (t[2] << 1) | t[3],
        },
        corrected,
        payload,
    ))
}

// ---------------------------------------------------------------- short LC

/// A short LC (dmr-pdt.md §1.8): SLCO and 24 data bits (CRC-8 checked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortLc {
    /// Short LC opcode (0 null, 1 activity update, …).
    pub slco: u8,
    /// The 24 data bits.
    pub data: u32,
}

impl ShortLc {
    /// An activity update (SLCO 1): TS1/TS2 activity nibbles and the TS1/TS2 address hashes.
    pub fn activity(ts1: u8, ts2: u8, ts1_hash: u8, ts2_hash: u8) -> ShortLc {
        ShortLc {
            slco: 1,
            data: ((((ts1 & 0xF) << 4) | (ts2 & 0xF)) as u32) << 16
                | ((ts1_hash as u32) << 8)
                | ts2_hash as u32,
        }
    }

    /// JSON-ready fields: always `slco` and `slco_name`; SLCO 0 (`null`) has nothing else;
    /// SLCO 1 (`activity_update`) adds `ts1_activity`, `ts2_activity` (MMDVM codes: 0x8 group
    /// voice, 0x9 individual voice …), `ts1_hash`, `ts2_hash`; any other SLCO (Tier III system
    /// parameters etc., not decoded) adds the 24 data bits as `data_hex`.
    pub fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("slco".into(), json!(self.slco));
        let name = match self.slco {
            0 => "null",
            1 => "activity_update",
            _ => "unknown",
        };
        m.insert("slco_name".into(), json!(name));
        match self.slco {
            0 => {}
            1 => {
                let b = self.data.to_be_bytes();
                m.insert("ts1_activity".into(), json!(b[1] >> 4));
                m.insert("ts2_activity".into(), json!(b[1] & 0xF));
                m.insert("ts1_hash".into(), json!(b[2]));
                m.insert("ts2_hash".into(), json!(b[3]));
            }
            _ => {
                m.insert("data_hex".into(), json!(format!("{:06X}", self.data)));
            }
        }
        m
    }
}

/// The 8-bit address hash of the activity update: CRC-8 of the 3 address bytes (dmr-pdt.md §1.8).
pub fn address_hash(id24: u32) -> u8 {
    let b = id24.to_be_bytes();
    crc8(&b[1..])
}

/// The short LC's 36 information bits: SLCO(4) ‖ data(24) ‖ CRC-8 over the bytes
/// [SLCO, data₂, data₁, data₀] (the SLCO byte's top nibble is zero, so the CRC covers exactly
/// the 28 bits, as MMDVM's 5-byte short LC does).
fn short_lc_info(slco: u8, data24: u32) -> Vec<u8> {
    let d = data24.to_be_bytes();
    let bytes = [slco & 0xF, d[1], d[2], d[3]];
    let crc = crc8(&bytes);
    let mut bits = u64_to_bits((slco & 0xF) as u64, 4);
    bits.extend(u64_to_bits((data24 & 0xFF_FFFF) as u64, 24));
    bits.extend(u64_to_bits(crc as u64, 8));
    bits
}

/// Short LC in four CACH payloads (dmr-pdt.md §1.8): the 36 information bits in a 4 × 17
/// product code (rows 0–2 Hamming(17,12,3) with the data at columns 0–11, row 3 column even
/// parity), interleaved as rx[(4·a) mod 67] = matrix[a] for a = 0…66 and rx[67] = matrix[67],
/// then cut into four 17-bit payloads (sent with LCSS 1, 3, 3, 2).
pub fn short_lc_fragments(slco: u8, data24: u32) -> [[u8; 17]; 4] {
    let info = short_lc_info(slco, data24);
    let mut m = [0u8; 68];
    for r in 0..3 {
        let base = 17 * r;
        m[base..base + 12].copy_from_slice(&info[12 * r..12 * r + 12]);
        let par = H17_12.parity(&m[base..base + 12]);
        m[base + 12..base + 17].copy_from_slice(&par);
    }
    for c in 0..17 {
        m[51 + c] = m[c] ^ m[17 + c] ^ m[34 + c];
    }
    let mut raw = [0u8; 68];
    for (a, &b) in m.iter().enumerate() {
        raw[if a == 67 { 67 } else { (4 * a) % 67 }] = b;
    }
    let mut out = [[0u8; 17]; 4];
    for (n, &b) in raw.iter().enumerate() {
        out[n / 17][n % 17] = b;
    }
    out
}

/// Decode four CACH payloads (in LCSS 1, 3, 3, 2 order) into a short LC: each Hamming(17,12)
/// row may have one error corrected; None when a row is uncorrectable, a column parity fails or
/// the CRC-8 does not match (dmr-pdt.md §1.8).
pub fn short_lc_decode(frags: &[[u8; 17]; 4]) -> Option<ShortLc> {
    let raw: Vec<u8> = frags.iter().flatten().copied().collect();
    let mut m = [0u8; 68];
    for (a, v) in m.iter_mut().enumerate() {
        *v = raw[if a == 67 { 67 } else { (4 * a) % 67 }];
    }
    for r in 0..3 {
        H17_12.correct(&mut m[17 * r..17 * r + 17]).ok()?;
    }
    if (0..17).any(|c| m[c] ^ m[17 + c] ^ m[34 + c] ^ m[51 + c] != 0) {
        return None;
    }
    let info: Vec<u8> = (0..3)
        .flat_map(|r| m[17 * r..17 * r + 12].to_vec())
        .collect();
    let slco = bits_to_u64(&info[..4]) as u8;
    let data = bits_to_u64(&info[4..28]) as u32;
    let crc = bits_to_u64(&info[28..]) as u8;
    let d = data.to_be_bytes();
    (crc8(&[slco, d[1], d[2], d[3]]) == crc).then_some(ShortLc { slco, data })
}

/// Reassembles short LCs from successive CACHs: LCSS 1 starts, 3 continues (twice), 2 ends;
/// anything else, or out of order, starts over.
#[derive(Debug, Clone, Default)]
pub struct ShortLcAssembler {
    frags: Lcss4<[u8; 17]>,
}

impl ShortLcAssembler {
    /// A fresh assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feed one CACH's LCSS and payload. On the last fragment of a complete 1, 3, 3, 2 run:
    /// `Some(short_lc_decode(..))`; otherwise None.
    pub fn push(&mut self, lcss: u8, payload: &[u8; 17]) -> Option<Option<ShortLc>> {
        self.frags.push(lcss, *payload).map(|f| short_lc_decode(&f))
    }
}

// ---------------------------------------------------------------- CSBK

/// A CSBK's fields (data type 3; 10 bytes before the CRC): LB ‖ PF ‖ CSBKO(6), FID, 8 data bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Csbk {
    /// Last block.
    pub last_block: bool,
    /// Protect flag.
    pub protect: bool,
    /// CSBK opcode (6 bits).
    pub opcode: u8,
    /// Feature set ID.
    pub fid: u8,
    /// Bytes 2–9 of the PDU.
    pub data: [u8; 8],
}

/// PDT supplementary-service FID (Hytera, addendum §2.5).
pub const FID_PDT_HYTERA: u8 = 0x68;

impl Csbk {
    /// Parse the 12-byte PDU (the CRC bytes 10–11 are not looked at).
    pub fn from_pdu(pdu: &[u8; 12]) -> Csbk {
        let mut data = [0u8; 8];
        data.copy_from_slice(&pdu[2..10]);
        Csbk {
            last_block: pdu[0] & 0x80 != 0,
            protect: pdu[0] & 0x40 != 0,
            opcode: pdu[0] & 0x3F,
            fid: pdu[1],
            data,
        }
    }

    /// The 10 bytes before the CRC.
    pub fn to_body(&self) -> [u8; 10] {
        let mut b = [0u8; 10];
        b[0] = ((self.last_block as u8) << 7) | ((self.protect as u8) << 6) | (self.opcode & 0x3F);
        b[1] = self.fid;
        b[2..].copy_from_slice(&self.data);
        b
    }

    /// A preamble CSBK (0x3D, LB set): data (true) or CSBK (false) follows, group or individual,
    /// blocks to follow, destination and source.
    pub fn preamble(data: bool, group: bool, blocks: u8, dst: u32, src: u32) -> Csbk {
        let d = dst.to_be_bytes();
        let s = src.to_be_bytes();
        Csbk {
            last_block: true,
            protect: false,
            opcode: 0x3D,
            fid: 0,
            data: [
                ((data as u8) << 7) | ((group as u8) << 6),
                blocks,
                d[1],
                d[2],
                d[3],
                s[1],
                s[2],
                s[3],
            ],
        }
    }

    /// Opcode name. FID 0x68 selects the PDT (Hytera) supplementary services of addendum §2.5
    /// (0x29 service request, 0x2C answer, 0x37 alarm); otherwise ETSI Tier II names (TS 102 361-2,
    /// as MMDVMHost uses them) and the Tier III names of addendum §3 (sdrtrunk `Opcode.java`).
    /// 0x38 is BS_Dwn_Act in Tier II and TD_Grant_MI in Tier III; the Tier II name is given.
    /// "unknown" otherwise.
    pub fn name(&self) -> &'static str {
        if self.fid == FID_PDT_HYTERA {
            return match self.opcode {
                0x29 => "PDT_Service_Req",
                0x2C => "PDT_Service_Ans",
                0x37 => "PDT_Alarm",
                0x3D => "Preamble",
                _ => "unknown",
            };
        }
        match self.opcode {
            0x04 => "UU_V_Req",
            0x05 => "UU_Ans_Rsp",
            0x07 => "CT_CSBK",
            0x19 => "Aloha",
            0x1A => "UDT_DHdr",
            0x1B => "UDT_UHdr",
            0x1C => "Ahoy",
            0x1E => "Ackvitation",
            0x1F => "Rand",
            0x20 => "Ack_O_TSCC",
            0x21 => "Ack_I_TSCC",
            0x22 => "Ack_O_Payload",
            0x23 => "Ack_I_Payload",
            0x26 => "NACK_Rsp",
            0x28 => "C_Bcast",
            0x2A => "Maint",
            0x2E => "P_Clear",
            0x2F => "P_Protect",
            0x30 => "PV_Grant",
            0x31 => "TV_Grant",
            0x32 => "BTV_Grant",
            0x33 => "PD_Grant",
            0x34 => "TD_Grant",
            0x35 => "PV_Grant_DX",
            0x36 => "PD_Grant_DX",
            0x37 => "PD_Grant_MI",
            0x38 => "BS_Dwn_Act",
            0x39 => "Move",
            0x3D => "Preamble",
            _ => "unknown",
        }
    }

    fn id(&self, first: usize) -> u32 {
        // `first` is a body byte index (4 or 7); data[] starts at body byte 2.
        let k = first - 2;
        u32::from_be_bytes([0, self.data[k], self.data[k + 1], self.data[k + 2]])
    }

    /// JSON-ready fields: `csbk_opcode`, `fid`, `name`, `last_block`, `protect`, `data_hex` (the 8
    /// data bytes, always, so unknown opcodes can be logged), plus per layout (body byte indices
    /// 0–9):
    /// - Preamble 0x3D: `data_follows` (byte 2 b7: data, else CSBKs), `group` (byte 2 b6),
    ///   `blocks_to_follow` (byte 3), `dst_id` 4–6, `src_id` 7–9 (TS 102 361-2; MMDVMHost
    ///   `DMRCSBK.cpp` reads the same addresses).
    /// - UU_V_Req 0x04, UU_Ans_Rsp 0x05: `service_options` (byte 2), `dst_id` 4–6, `src_id` 7–9
    ///   (MMDVMHost `DMRCSBK.cpp`).
    /// - BS_Dwn_Act 0x38: `dst_id` 4–6 (the BS address to activate; MMDVMHost calls it the BS ID),
    ///   `src_id` 7–9.
    /// - NACK_Rsp 0x26: **source first** — `src_id` 4–6, `dst_id` 7–9 (MMDVMHost `DMRCSBK.cpp`).
    /// - Tier III grants 0x30–0x36 (FID 0): `channel` (12-bit logical physical channel number,
    ///   bits 16–27), `slot` (1 + bit 28), `dst_id` 4–6, `src_id` 7–9 (sdrtrunk layout, [V1];
    ///   whether PDT uses it is unconfirmed, addendum §3).
    /// - PDT FID 0x68 opcodes: layouts unknown, `data_hex` only.
    pub fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("csbk_opcode".into(), json!(self.opcode));
        m.insert("fid".into(), json!(self.fid));
        m.insert("name".into(), json!(self.name()));
        m.insert("last_block".into(), json!(self.last_block));
        m.insert("protect".into(), json!(self.protect));
        let hex: String = self.data.iter().map(|b| format!("{b:02X}")).collect();
        m.insert("data_hex".into(), json!(hex));
        let ids = |m: &mut Map<String, Value>, dst: usize, src: usize| {
            m.insert("dst_id".into(), json!(self.id(dst)));
            m.insert("src_id".into(), json!(self.id(src)));
        };
        if self.fid == FID_PDT_HYTERA && self.opcode != 0x3D {
            return m;
        }
        match self.opcode {
            0x3D => {
                m.insert("data_follows".into(), json!(self.data[0] & 0x80 != 0));
                m.insert("group".into(), json!(self.data[0] & 0x40 != 0));
                m.insert("blocks_to_follow".into(), json!(self.data[1]));
                ids(&mut m, 4, 7);
            }
            0x04 | 0x05 => {
                m.insert("service_options".into(), json!(self.data[0]));
                ids(&mut m, 4, 7);
            }
            0x38 => ids(&mut m, 4, 7),
            0x26 => ids(&mut m, 7, 4),
            0x30..=0x36 if self.fid == 0 => {
                let ch = ((self.data[0] as u16) << 4) | (self.data[1] >> 4) as u16;
                m.insert("channel".into(), json!(ch));
                m.insert("slot".into(), json!(1 + ((self.data[1] >> 3) & 1)));
                ids(&mut m, 4, 7);
            }
            _ => {}
        }
        m
    }
}

// ---------------------------------------------------------------- data header

/// A packet-data header (data type 6), read per addendum §2.3 for either standard:
/// byte 0 = G/I (b7), A (b6), HC (b5), b4 (DMR: POC MSB; PDT: reserved), DPF (b3–0); byte 1 =
/// SAP (b7–4), b3–0 (DMR: POC low bits; PDT: reserved b3–2 and DEI b1–0); bytes 2–4 destination,
/// 5–7 source; byte 8 = F (b7) and blocks to follow (b6–0); byte 9 per DPF (confirmed: S, N(S),
/// FSN; unconfirmed: FSN; response: class, type, status).
/// For DPF 1 (response) b7 of byte 0 is reserved and `group` is reported false. The DPF 0 / 13 /
/// 14 / 15 specific layouts (UDT, short data, proprietary) are not decoded beyond these fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataHeader {
    /// The mask set the header was read with (decides POC vs DEI).
    pub standard: Standard,
    /// Data packet format.
    pub dpf: u8,
    /// Service access point.
    pub sap: u8,
    /// Group (true) or individual destination.
    pub group: bool,
    /// Response requested (A).
    pub response_requested: bool,
    /// Header compression flag (HC).
    pub header_compression: bool,
    /// DMR: pad octet count (5 bits).
    pub pad_octets: Option<u8>,
    /// PDT: data end indicator (2 bits).
    pub dei: Option<u8>,
    /// Destination (24 bits).
    pub dst_id: u32,
    /// Source (24 bits).
    pub src_id: u32,
    /// Full message flag (F).
    pub full_message: bool,
    /// Blocks to follow (7 bits).
    pub blocks_to_follow: u8,
    /// Byte 9, DPF-dependent.
    pub byte9: u8,
}

impl DataHeader {
    /// Read a 12-byte data-header PDU (CRC not checked here).
    pub fn decode(pdu: &[u8; 12], standard: Standard) -> DataHeader {
        let dpf = pdu[0] & 0xF;
        let (pad_octets, dei) = match standard {
            Standard::Dmr => (Some((((pdu[0] >> 4) & 1) << 4) | (pdu[1] & 0xF)), None),
            Standard::Pdt => (None, Some(pdu[1] & 3)),
        };
        DataHeader {
            standard,
            dpf,
            sap: pdu[1] >> 4,
            group: dpf != 1 && pdu[0] & 0x80 != 0,
            response_requested: pdu[0] & 0x40 != 0,
            header_compression: dpf != 1 && pdu[0] & 0x20 != 0,
            pad_octets,
            dei,
            dst_id: u32::from_be_bytes([0, pdu[2], pdu[3], pdu[4]]),
            src_id: u32::from_be_bytes([0, pdu[5], pdu[6], pdu[7]]),
            full_message: pdu[8] & 0x80 != 0,
            blocks_to_follow: pdu[8] & 0x7F,
            byte9: pdu[9],
        }
    }

    /// DPF name (addendum §2.3; DPF 4 and 6/7 in PDT mode only).
    pub fn dpf_name(&self) -> &'static str {
        match (self.dpf, self.standard) {
            (0, _) => "udt",
            (1, _) => "response",
            (2, _) => "unconfirmed",
            (3, _) => "confirmed",
            (4, Standard::Pdt) => "pdt_e2e_encryption",
            (6, Standard::Pdt) => "nvoc_e2e_unconfirmed",
            (7, Standard::Pdt) => "nvoc_e2e_confirmed",
            (13, _) => "defined_short_data",
            (14, _) => "raw_short_data",
            (15, _) => "proprietary",
            _ => "reserved",
        }
    }

    /// JSON-ready fields: `standard`, `dpf`, `dpf_name`, `sap`, `group`, `response_requested`,
    /// `dst_id`, `src_id`, `full_message`, `blocks_to_follow`, `pad_octets` (DMR) or `dei` (PDT),
    /// and per DPF: confirmed `s`, `ns`, `fsn`; unconfirmed `fsn`; response `class`, `type`,
    /// `status`.
    pub fn fields(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("standard".into(), json!(self.standard.name()));
        m.insert("dpf".into(), json!(self.dpf));
        m.insert("dpf_name".into(), json!(self.dpf_name()));
        m.insert("sap".into(), json!(self.sap));
        m.insert("group".into(), json!(self.group));
        m.insert("response_requested".into(), json!(self.response_requested));
        m.insert("dst_id".into(), json!(self.dst_id));
        m.insert("src_id".into(), json!(self.src_id));
        m.insert("full_message".into(), json!(self.full_message));
        m.insert("blocks_to_follow".into(), json!(self.blocks_to_follow));
        if let Some(p) = self.pad_octets {
            m.insert("pad_octets".into(), json!(p));
        }
        if let Some(d) = self.dei {
            m.insert("dei".into(), json!(d));
        }
        let b = self.byte9;
        match self.dpf {
            3 => {
                m.insert("s".into(), json!(b >> 7));
                m.insert("ns".into(), json!((b >> 4) & 7));
                m.insert("fsn".into(), json!(b & 0xF));
            }
            2 => {
                m.insert("fsn".into(), json!(b & 0xF));
            }
            1 => {
                m.insert("class".into(), json!(b >> 6));
                m.insert("type".into(), json!((b >> 3) & 7));
                m.insert("status".into(), json!(b & 7));
            }
            _ => {}
        }
        m
    }
}

// ---------------------------------------------------------------- NVOC

/// Golay(24,12) parity masks of the NVOC frame (addendum §2.4): parity bit k (first appended
/// first) is the XOR of the data bits under mask k, the mask's MSB being the first data bit
/// (as in HYT `NVOC_FEC.c`, which packs the first bit into the MSB).
const NVOC_GOLAY_MASKS: [u16; 12] = [
    0x7FF, 0xEE2, 0xDC5, 0xB8B, 0xF16, 0xE2D, 0xC5B, 0x8B7, 0x96E, 0xADC, 0xDB8, 0xB71,
];

/// Order in which each transmitted octet takes the bits of the interleaved octet (§2.4):
/// transmitted bit k of an octet = interleaved bit `NVOC_OCTET_ORDER[k]` of the same octet (the
/// direction the digest leaves open; HYT `NVOC_FEC.c` `NVOC_vInterleave` reads it this way).
const NVOC_OCTET_ORDER: [usize; 8] = [4, 0, 5, 1, 6, 2, 7, 3];

/// Source bits of the second Golay word, in order (§2.4).
const NVOC_CW2: [usize; 12] = [37, 24, 25, 26, 40, 30, 31, 32, 33, 34, 35, 36];

/// Source bits sent unprotected, in order (§2.4).
const NVOC_PLAIN: [usize; 24] = [
    13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 41, 42, 43, 44, 45, 46, 47, 27, 28, 29, 38, 39,
];

fn nvoc_golay_parity(d12: u16) -> u16 {
    NVOC_GOLAY_MASKS
        .iter()
        .fold(0, |p, &m| (p << 1) | ((d12 & m).count_ones() & 1) as u16)
}

/// Encode 48 NVOC source bits into the 72-bit frame (addendum §2.4): Golay(24,12) of bits 1–12 ‖
/// Golay(24,12) of bits 37, 24, 25, 26, 40, 30–36 ‖ 24 plain bits; written as 8 rows × 9
/// columns and read column-wise; then each octet re-ordered 4, 0, 5, 1, 6, 2, 7, 3. For tests.
pub fn nvoc_frame(source: &[u8]) -> [u8; 72] {
    assert_eq!(source.len(), 48, "48 NVOC source bits");
    let pack = |idx: &[usize]| idx.iter().fold(0u16, |a, &i| (a << 1) | source[i] as u16);
    let cw1: Vec<usize> = (1..13).collect();
    let d1 = pack(&cw1);
    let d2 = pack(&NVOC_CW2);
    let mut v = Vec::with_capacity(72);
    for d in [d1, d2] {
        v.extend(u64_to_bits(
            ((d as u64) << 12) | nvoc_golay_parity(d) as u64,
            24,
        ));
    }
    v.extend(NVOC_PLAIN.iter().map(|&i| source[i]));
    let mut t = [0u8; 72];
    for r in 0..8 {
        for c in 0..9 {
            t[8 * c + r] = v[9 * r + c];
        }
    }
    let mut out = [0u8; 72];
    for o in 0..9 {
        for (k, &src) in NVOC_OCTET_ORDER.iter().enumerate() {
            out[8 * o + k] = t[8 * o + src];
        }
    }
    out
}

/// Whether a 72-bit vocoder frame is a clean NVOC frame: undo the octet re-ordering and the 8 × 9
/// interleave, then both Golay(24,12) words must have a zero syndrome (addendum §2.4; a
/// classification feature — random bits pass with probability 2⁻²⁴).
pub fn nvoc_frame_ok(frame: &[u8]) -> bool {
    if frame.len() != 72 {
        return false;
    }
    let mut t = [0u8; 72];
    for o in 0..9 {
        for (k, &src) in NVOC_OCTET_ORDER.iter().enumerate() {
            t[8 * o + src] = frame[8 * o + k];
        }
    }
    let mut v = [0u8; 72];
    for r in 0..8 {
        for c in 0..9 {
            v[9 * r + c] = t[8 * c + r];
        }
    }
    (0..2).all(|w| {
        let cw = bits_to_u64(&v[24 * w..24 * w + 24]);
        nvoc_golay_parity((cw >> 12) as u16) == (cw & 0xFFF) as u16
    })
}

/// How many of the three 72-bit frames of a burst's 216 vocoder bits pass as NVOC (0–3).
pub fn classify_voice(vocoder: &[u8]) -> u8 {
    vocoder
        .chunks_exact(72)
        .take(3)
        .filter(|f| nvoc_frame_ok(f))
        .count() as u8
}

// ---------------------------------------------------------------- PN9

/// The all-ones PN9 state.
pub const PN9_ALL_ONES: u16 = 0x1FF;

/// `n` bits of the ITU-T O.153 2⁹−1 sequence a(k) = a(k−9) ⊕ a(k−5) (dmr-pdt.md §1.11),
/// continuing from `state` and updating it. The state holds the next nine output bits, the next
/// one in bit 8; [`PN9_ALL_ONES`] gives the sequence whose first 96 bits are the idle message.
pub fn pn9_bits(n: usize, state: &mut u16) -> Vec<u8> {
    (0..n)
        .map(|_| {
            let s = *state & 0x1FF;
            let out = (s >> 8) as u8 & 1;
            let new = ((s >> 8) ^ (s >> 4)) & 1;
            *state = ((s << 1) | new) & 0x1FF;
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::dmr::{crc_ccitt, hex_to_bits};
    use crate::pdt::burst::{cach, crc_pdu, IDLE_INFO};

    /// dmr-pdt.md §1.9 QR(16,7) table, index = CC << 3 | PI << 2 | LCSS.
    const QR_TABLE: [u16; 128] = [
        0x0000, 0x0273, 0x04E5, 0x0696, 0x09C9, 0x0BBA, 0x0D2C, 0x0F5F, 0x11E2, 0x1391, 0x1507,
        0x1774, 0x182B, 0x1A58, 0x1CCE, 0x1EBD, 0x21B7, 0x23C4, 0x2552, 0x2721, 0x287E, 0x2A0D,
        0x2C9B, 0x2EE8, 0x3055, 0x3226, 0x34B0, 0x36C3, 0x399C, 0x3BEF, 0x3D79, 0x3F0A, 0x411E,
        0x436D, 0x45FB, 0x4788, 0x48D7, 0x4AA4, 0x4C32, 0x4E41, 0x50FC, 0x528F, 0x5419, 0x566A,
        0x5935, 0x5B46, 0x5DD0, 0x5FA3, 0x60A9, 0x62DA, 0x644C, 0x663F, 0x6960, 0x6B13, 0x6D85,
        0x6FF6, 0x714B, 0x7338, 0x75AE, 0x77DD, 0x7882, 0x7AF1, 0x7C67, 0x7E14, 0x804F, 0x823C,
        0x84AA, 0x86D9, 0x8986, 0x8BF5, 0x8D63, 0x8F10, 0x91AD, 0x93DE, 0x9548, 0x973B, 0x9864,
        0x9A17, 0x9C81, 0x9EF2, 0xA1F8, 0xA38B, 0xA51D, 0xA76E, 0xA831, 0xAA42, 0xACD4, 0xAEA7,
        0xB01A, 0xB269, 0xB4FF, 0xB68C, 0xB9D3, 0xBBA0, 0xBD36, 0xBF45, 0xC151, 0xC322, 0xC5B4,
        0xC7C7, 0xC898, 0xCAEB, 0xCC7D, 0xCE0E, 0xD0B3, 0xD2C0, 0xD456, 0xD625, 0xD97A, 0xDB09,
        0xDD9F, 0xDFEC, 0xE0E6, 0xE295, 0xE403, 0xE670, 0xE92F, 0xEB5C, 0xEDCA, 0xEFB9, 0xF104,
        0xF377, 0xF5E1, 0xF792, 0xF8CD, 0xFABE, 0xFC28, 0xFE5B,
    ];

    fn all_embs() -> impl Iterator<Item = (usize, Emb)> {
        (0..128).map(|d| {
            (
                d,
                Emb {
                    color_code: (d >> 3) as u8,
                    pi: (d >> 2) & 1 == 1,
                    lcss: (d & 3) as u8,
                },
            )
        })
    }

    fn lc_bytes() -> [u8; 9] {
        // dmr-pdt.md §1.10: group call TG 9 from 1234567.
        [0, 0, 0, 0, 0, 0x09, 0x12, 0xD6, 0x87]
    }

    #[test]
    fn emb_matches_the_spec_table_and_examples() {
        for (d, emb) in all_embs() {
            let bits = emb_bits(&emb);
            assert_eq!(bits_to_u64(&bits) as u16, QR_TABLE[d], "index {d}");
            assert_eq!(emb_decode(&bits), Some((emb, 0)));
        }
        // §1.9 examples: CC 1, PI 0, LCSS 0/1/3/2.
        for (lcss, want) in [(0, 0x11E2), (1, 0x1391), (3, 0x1774), (2, 0x1507)] {
            let e = Emb {
                color_code: 1,
                pi: false,
                lcss,
            };
            assert_eq!(bits_to_u64(&emb_bits(&e)), want);
        }
    }

    #[test]
    fn emb_corrects_two_errors_and_rejects_three() {
        for (_, emb) in all_embs().step_by(5) {
            let cw = emb_bits(&emb);
            for i in 0..16 {
                for j in i + 1..16 {
                    let mut b = cw;
                    b[i] ^= 1;
                    b[j] ^= 1;
                    assert_eq!(emb_decode(&b), Some((emb, 2)));
                    // Distance 6: every 3-error pattern is rejected, never miscorrected.
                    for k in j + 1..16 {
                        let mut c = b;
                        c[k] ^= 1;
                        assert_eq!(emb_decode(&c), None, "{i} {j} {k}");
                    }
                }
            }
        }
    }

    #[test]
    fn voice_bursts_lay_out_and_split() {
        let mut st = PN9_ALL_ONES;
        let voc = pn9_bits(216, &mut st);
        let a = voice_burst_sync(&voc, SyncKind::BsVoice);
        assert_eq!(a.len(), 264);
        let (v, centre) = split_voice(&a);
        assert_eq!(v, voc);
        assert_eq!(bits_to_u64(&centre), crate::fec::dmr::sync::BS_VOICE);
        let emb = Emb {
            color_code: 5,
            pi: true,
            lcss: 3,
        };
        let embedded: [u8; 32] = std::array::from_fn(|i| (i % 3 == 0) as u8);
        let b = voice_burst_emb(&voc, &emb, &embedded);
        let (v, centre) = split_voice(&b);
        assert_eq!(v, voc);
        let (e, x) = centre_emb(&centre);
        assert_eq!(emb_decode(&e), Some((emb, 0)));
        assert_eq!(x, embedded);
        // §1.2: EMB bits at 108–115 and 148–155, embedded field at 116–147.
        assert_eq!(b[108..116], emb_bits(&emb)[..8]);
        assert_eq!(b[148..156], emb_bits(&emb)[8..]);
        assert_eq!(b[116..148], embedded);
    }

    #[test]
    fn embedded_lc_round_trip_with_one_error_per_row() {
        let lc = lc_bytes();
        let f = embedded_lc_fragments(&lc);
        assert_eq!(embedded_lc_decode(&f), Some((lc, 0)));
        // One error in each of the seven Hamming rows: matrix bit 16·r + (3r mod 16) sits at the
        // transmitted position n with 16·n ≡ that (mod 127), i.e. n = 8·m mod 127.
        let mut bad = f;
        for r in 0..7 {
            let mi = 16 * r + (3 * r) % 16;
            let n = (8 * mi) % 127;
            assert_eq!(emb_lc_matrix_index(n), mi);
            bad[n / 32][n % 32] ^= 1;
        }
        assert_eq!(embedded_lc_decode(&bad), Some((lc, 7)));
        // Two errors in one row: rejected (distance 4 detects them).
        let mut two = f;
        for mi in [16 * 2 + 1, 16 * 2 + 9] {
            let n = (8 * mi) % 127;
            two[n / 32][n % 32] ^= 1;
        }
        assert_eq!(embedded_lc_decode(&two), None);
        // Column-parity row error (row 7 is not Hamming-protected on its own).
        let mut col = f;
        col[3][31] ^= 1; // raw[127] = matrix[127], row 7
        assert_eq!(embedded_lc_decode(&col), None);
    }

    #[test]
    fn embedded_lc_with_a_wrong_checksum_is_rejected() {
        // Re-encode the matrix by hand with the checksum off by one: Hamming and column parity
        // are then consistent, only the checksum fails.
        let lc = lc_bytes();
        let good = embedded_lc_fragments(&lc);
        let mut m = [0u8; 128];
        for n in 0..128 {
            m[emb_lc_matrix_index(n)] = good[n / 32][n % 32];
        }
        m[106] ^= 1; // checksum LSB
        for r in 0..7 {
            let par = H16_11.parity(&m[16 * r..16 * r + 11]);
            m[16 * r + 11..16 * r + 16].copy_from_slice(&par);
        }
        for c in 0..16 {
            m[112 + c] = (0..7).fold(0, |a, r| a ^ m[16 * r + c]);
        }
        let mut f = [[0u8; 32]; 4];
        for n in 0..128 {
            f[n / 32][n % 32] = m[emb_lc_matrix_index(n)];
        }
        assert_eq!(embedded_lc_decode(&f), None);
        // The checksum is (sum of bytes) mod 31 (§1.9): 0x09 + 0x12 + 0xD6 + 0x87 = 376 → 4.
        assert_eq!(checksum5(&lc), 4);
    }

    #[test]
    fn embedded_lc_assembler_needs_1_3_3_2() {
        let lc = lc_bytes();
        let f = embedded_lc_fragments(&lc);
        let mut a = EmbeddedLcAssembler::new();
        for (k, lcss) in LCSS_SEQUENCE.iter().enumerate() {
            let r = a.push(*lcss, &f[k]);
            assert_eq!(r, (k == 3).then_some(Some((lc, 0))));
        }
        // Wrong order: 1, 3, 2 (a continuation missing) resets; the next 2 gives nothing.
        assert_eq!(a.push(1, &f[0]), None);
        assert_eq!(a.push(3, &f[1]), None);
        assert_eq!(a.push(2, &f[3]), None);
        assert_eq!(a.push(2, &f[3]), None);
        // A stray LCSS 0 (burst F) in the middle resets too.
        assert_eq!(a.push(1, &f[0]), None);
        assert_eq!(a.push(3, &f[1]), None);
        assert_eq!(a.push(0, &[0; 32]), None);
        assert_eq!(a.push(3, &f[2]), None);
        assert_eq!(a.push(2, &f[3]), None);
        // A restart with LCSS 1 recovers.
        for (k, lcss) in LCSS_SEQUENCE.iter().enumerate() {
            assert_eq!(a.push(*lcss, &f[k]).is_some(), k == 3);
        }
        // Fragments in the wrong slots complete the run but fail the checks.
        let mut a = EmbeddedLcAssembler::new();
        for (k, lcss) in LCSS_SEQUENCE.iter().enumerate() {
            let r = a.push(*lcss, &f[3 - k]);
            assert_eq!(r, (k == 3).then_some(None));
        }
    }

    #[test]
    fn cach_tact_vectors_and_burst_rs_cach() {
        // §1.8 TACT vectors, read back from the CACH positions.
        for (at, tc, want) in [
            (0, 0, "0000000"),
            (0, 1, "0100111"),
            (1, 0, "1000101"),
            (1, 1, "1100010"),
        ] {
            let t = Tact { at, tc, lcss: 0 };
            let c = cach_bits(&t, &[0; 17]);
            let got: String = CACH_TACT_POS.iter().map(|&p| c[p].to_string()).collect();
            assert_eq!(got, want);
            assert_eq!(cach_decode(&c), Some((t, 0, [0; 17])));
        }
        // Agrees with burst::cach for a null payload.
        for at in 0..2 {
            for tc in 0..2 {
                for lcss in 0..4 {
                    assert_eq!(
                        cach_bits(&Tact { at, tc, lcss }, &[0; 17]),
                        cach(at, tc, lcss)
                    );
                }
            }
        }
        // Payload in order at the non-TACT positions; one TACT error anywhere is corrected.
        let payload: [u8; 17] = std::array::from_fn(|i| ((i * 5 + 1) % 3 == 0) as u8);
        let t = Tact {
            at: 1,
            tc: 1,
            lcss: 3,
        };
        let c = cach_bits(&t, &payload);
        assert_eq!(c[1..4], payload[..3]);
        assert_eq!(c[23], payload[16]);
        for &p in &CACH_TACT_POS {
            let mut bad = c;
            bad[p] ^= 1;
            assert_eq!(cach_decode(&bad), Some((t, 1, payload)));
        }
    }

    #[test]
    fn crc8_check_value_and_address_hash() {
        // §1.8: CRC-8 check value of "123456789" is F4.
        assert_eq!(crc8(b"123456789"), 0xF4);
        assert_eq!(address_hash(0x31_3233), crc8(b"123"));
        assert_eq!(address_hash(9), crc8(&[0, 0, 9]));
    }

    #[test]
    fn short_lc_round_trip_errors_and_fields() {
        let slc = ShortLc::activity(0x8, 0x0, address_hash(9), 0);
        let f = short_lc_fragments(slc.slco, slc.data);
        assert_eq!(short_lc_decode(&f), Some(slc));
        let fields = slc.fields();
        assert_eq!(fields["slco_name"], "activity_update");
        assert_eq!(fields["ts1_activity"], 8);
        assert_eq!(fields["ts2_activity"], 0);
        assert_eq!(fields["ts1_hash"], address_hash(9));
        // One error in each Hamming(17,12) row: matrix index a is sent at (4a) mod 67.
        let mut bad = f;
        for a in [2usize, 17 + 14, 34 + 7] {
            let n = (4 * a) % 67;
            bad[n / 17][n % 17] ^= 1;
        }
        assert_eq!(short_lc_decode(&bad), Some(slc));
        // A CRC-8 mismatch with consistent Hamming rows and column parity is rejected: flip a
        // data bit and re-encode the product code around it.
        let info = {
            let mut i = short_lc_info(slc.slco, slc.data);
            i[10] ^= 1;
            i
        };
        let mut m = [0u8; 68];
        for r in 0..3 {
            m[17 * r..17 * r + 12].copy_from_slice(&info[12 * r..12 * r + 12]);
            let par = H17_12.parity(&m[17 * r..17 * r + 12]);
            m[17 * r + 12..17 * r + 17].copy_from_slice(&par);
        }
        for c in 0..17 {
            m[51 + c] = m[c] ^ m[17 + c] ^ m[34 + c];
        }
        let mut raw = [0u8; 68];
        for (a, &b) in m.iter().enumerate() {
            raw[if a == 67 { 67 } else { (4 * a) % 67 }] = b;
        }
        let mut g = [[0u8; 17]; 4];
        for (n, &b) in raw.iter().enumerate() {
            g[n / 17][n % 17] = b;
        }
        assert_eq!(short_lc_decode(&g), None);
        // Null and unknown SLCOs.
        let null = ShortLc { slco: 0, data: 0 };
        assert_eq!(short_lc_decode(&short_lc_fragments(0, 0)), Some(null));
        assert_eq!(null.fields().len(), 2);
        let other = ShortLc {
            slco: 2,
            data: 0xABCDEF,
        };
        assert_eq!(other.fields()["data_hex"], "ABCDEF");
    }

    #[test]
    fn short_lc_assembler_resets_on_wrong_order() {
        let slc = ShortLc::activity(0x9, 0x8, 0x12, 0x34);
        let f = short_lc_fragments(slc.slco, slc.data);
        let mut a = ShortLcAssembler::new();
        // Starting mid-way (3, 3, 2) gives nothing; then a full run decodes.
        assert_eq!(a.push(3, &f[1]), None);
        assert_eq!(a.push(3, &f[2]), None);
        assert_eq!(a.push(2, &f[3]), None);
        for (k, lcss) in LCSS_SEQUENCE.iter().enumerate() {
            assert_eq!(a.push(*lcss, &f[k]), (k == 3).then_some(Some(slc)));
        }
        // 1, 3, 3, 3 is out of order: reset, and the following 2 yields nothing.
        for lcss in [1, 3, 3, 3, 2] {
            assert_eq!(a.push(lcss, &f[0]), None);
        }
    }

    #[test]
    fn csbk_fields_and_names() {
        // The digest's CSBK example (§1.6): BD 00 80 00 … 01 — LB, opcode 0x3D preamble,
        // data follows, individual, 0 blocks, to 0 from 1.
        let body = [0xBD, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01];
        let pdu = crc_pdu(&body, 3, Standard::Dmr);
        assert_eq!(crc_ccitt(&body) ^ 0xA5A5, 0x766E);
        let c = Csbk::from_pdu(&pdu);
        assert!(c.last_block && !c.protect);
        assert_eq!((c.opcode, c.fid, c.name()), (0x3D, 0, "Preamble"));
        let f = c.fields();
        assert_eq!(f["data_follows"], true);
        assert_eq!(f["group"], false);
        assert_eq!(f["dst_id"], 0);
        assert_eq!(f["src_id"], 1);
        assert_eq!(c.to_body(), body);
        let p = Csbk::preamble(false, true, 2, 9, 1_234_567);
        let f = p.fields();
        assert_eq!(f["data_follows"], false);
        assert_eq!(f["group"], true);
        assert_eq!(f["blocks_to_follow"], 2);
        assert_eq!(
            (f["dst_id"].as_u64(), f["src_id"].as_u64()),
            (Some(9), Some(1_234_567))
        );
        // NACK_Rsp: source first.
        let mut n = p;
        n.opcode = 0x26;
        assert_eq!(n.name(), "NACK_Rsp");
        assert_eq!(n.fields()["src_id"], 9);
        // A Tier III grant: channel 0x123, slot 2.
        let mut g = p;
        g.opcode = 0x31;
        g.data[0] = 0x12;
        g.data[1] = 0x38;
        let f = g.fields();
        assert_eq!(
            (
                f["name"].as_str(),
                f["channel"].as_u64(),
                f["slot"].as_u64()
            ),
            (Some("TV_Grant"), Some(0x123), Some(2))
        );
        // PDT FID 0x68 alarm vs Tier III 0x37.
        let mut a = p;
        a.opcode = 0x37;
        assert_eq!(a.name(), "PD_Grant_MI");
        a.fid = FID_PDT_HYTERA;
        assert_eq!(a.name(), "PDT_Alarm");
        assert!(a.fields().get("dst_id").is_none());
        assert_eq!(a.fields()["data_hex"], "400200000912D687");
    }

    #[test]
    fn data_header_dmr_poc_vs_pdt_dei() {
        // G/I 1, A 1, HC 0, b4 1, DPF 2 | SAP 4, low nibble 0b1011 | dst 9 | src 1234567 |
        // F 1, BTF 3 | FSN 5.
        let pdu = [0xD2, 0x4B, 0, 0, 9, 0x12, 0xD6, 0x87, 0x83, 0x05, 0, 0];
        let d = DataHeader::decode(&pdu, Standard::Dmr);
        assert_eq!(
            (d.dpf, d.sap, d.group, d.response_requested),
            (2, 4, true, true)
        );
        assert_eq!((d.dst_id, d.src_id), (9, 1_234_567));
        assert_eq!((d.full_message, d.blocks_to_follow), (true, 3));
        assert_eq!((d.pad_octets, d.dei), (Some(0x1B), None));
        let p = DataHeader::decode(&pdu, Standard::Pdt);
        assert_eq!((p.pad_octets, p.dei), (None, Some(3)));
        let f = p.fields();
        assert_eq!(
            (f["dpf_name"].as_str(), f["fsn"].as_u64()),
            (Some("unconfirmed"), Some(5))
        );
        assert_eq!(f["standard"], "pdt");
        // Confirmed: S / N(S) / FSN; DPF 4 is the PDT E header.
        let mut c = pdu;
        c[0] = 0x83;
        c[9] = 0b1011_0110;
        let f = DataHeader::decode(&c, Standard::Dmr).fields();
        assert_eq!(
            (f["s"].as_u64(), f["ns"].as_u64(), f["fsn"].as_u64()),
            (Some(1), Some(3), Some(6))
        );
        c[0] = 0x04;
        assert_eq!(
            DataHeader::decode(&c, Standard::Pdt).dpf_name(),
            "pdt_e2e_encryption"
        );
        assert_eq!(DataHeader::decode(&c, Standard::Dmr).dpf_name(), "reserved");
    }

    #[test]
    fn nvoc_golay_is_the_extended_golay_code_and_frames_classify() {
        // Every nonzero codeword of the 24-bit code has weight ≥ 8 (extended Golay).
        for d in 1u16..4096 {
            let w = d.count_ones() + nvoc_golay_parity(d).count_ones();
            assert!(w >= 8, "data {d:03X} weight {w}");
        }
        let mut st = 0x0A5;
        for _ in 0..20 {
            let src = pn9_bits(48, &mut st);
            let f = nvoc_frame(&src);
            assert!(nvoc_frame_ok(&f));
            // A single error in any of the 48 Golay-protected bits breaks the zero syndrome; the
            // 24 unprotected bits do not.
            let still_ok = (0..72)
                .filter(|&i| {
                    let mut b = f;
                    b[i] ^= 1;
                    nvoc_frame_ok(&b)
                })
                .count();
            assert_eq!(still_ok, 24);
        }
        // Three NVOC frames → 3; PN9 filler → 0; one frame replaced → 2.
        let mut st = PN9_ALL_ONES;
        let frames: Vec<u8> = (0..3)
            .flat_map(|_| nvoc_frame(&pn9_bits(48, &mut st)))
            .collect();
        assert_eq!(classify_voice(&frames), 3);
        let mut st = PN9_ALL_ONES;
        assert_eq!(classify_voice(&pn9_bits(216, &mut st)), 0);
        let mut mixed = frames.clone();
        mixed[72..144].copy_from_slice(&pn9_bits(72, &mut st));
        assert_eq!(classify_voice(&mixed), 2);
    }

    #[test]
    fn pn9_from_all_ones_is_the_idle_message() {
        // §1.11: the idle message = the first 96 bits of O.153 PN9 from the all-ones state.
        let mut st = PN9_ALL_ONES;
        let bits = pn9_bits(96, &mut st);
        assert_eq!(bits_to_bytes(&bits), IDLE_INFO);
        assert_eq!(Some(bits), hex_to_bits("FF83DF1732094ED1E7CD8A91"));
        // Period 511, continuing across calls.
        let mut st = PN9_ALL_ONES;
        let a = pn9_bits(511, &mut st);
        assert_eq!(st, PN9_ALL_ONES);
        assert_eq!(a.iter().filter(|&&b| b == 1).count(), 256);
    }
}
