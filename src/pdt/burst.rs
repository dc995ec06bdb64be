//! Bursts of 264 bits (CACH excluded): building and decoding data/control bursts (slot type +
//! sync + BPTC(196,96)), the full link control (voice LC header / terminator), CSBKs and the
//! idle message, with both mask sets (`../shared/spec/dmr-pdt.md` §1.2–1.11, PDT addendum §2.1).

use crate::fec::dmr::{
    bits_to_bytes, bits_to_u64, bptc196_decode, bptc196_encode, bytes_to_bits, crc16_standard,
    crc_ccitt, golay2087_decode, golay2087_encode, rs129_parity, rs_standard, sync, tact_encode,
    u64_to_bits, Standard, CACH_TACT_POS,
};

/// The sync patterns, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncKind {
    /// BS-sourced voice.
    BsVoice,
    /// BS-sourced data.
    BsData,
    /// MS-sourced voice.
    MsVoice,
    /// MS-sourced data.
    MsData,
    /// MS-sourced reverse channel.
    MsRc,
    /// Direct mode, slot 1 voice.
    DmTs1Voice,
    /// Direct mode, slot 1 data.
    DmTs1Data,
    /// Direct mode, slot 2 voice.
    DmTs2Voice,
    /// Direct mode, slot 2 data.
    DmTs2Data,
}

impl SyncKind {
    /// Every pattern.
    pub const ALL: [SyncKind; 9] = [
        SyncKind::BsVoice,
        SyncKind::BsData,
        SyncKind::MsVoice,
        SyncKind::MsData,
        SyncKind::MsRc,
        SyncKind::DmTs1Voice,
        SyncKind::DmTs1Data,
        SyncKind::DmTs2Voice,
        SyncKind::DmTs2Data,
    ];

    /// The 48-bit pattern.
    pub fn pattern(self) -> u64 {
        match self {
            SyncKind::BsVoice => sync::BS_VOICE,
            SyncKind::BsData => sync::BS_DATA,
            SyncKind::MsVoice => sync::MS_VOICE,
            SyncKind::MsData => sync::MS_DATA,
            SyncKind::MsRc => sync::MS_RC,
            SyncKind::DmTs1Voice => sync::DM_TS1_VOICE,
            SyncKind::DmTs1Data => sync::DM_TS1_DATA,
            SyncKind::DmTs2Voice => sync::DM_TS2_VOICE,
            SyncKind::DmTs2Data => sync::DM_TS2_DATA,
        }
    }

    /// JSON name (`bs_voice`, `ms_data`, `dm_ts1_voice` …).
    pub fn name(self) -> &'static str {
        match self {
            SyncKind::BsVoice => "bs_voice",
            SyncKind::BsData => "bs_data",
            SyncKind::MsVoice => "ms_voice",
            SyncKind::MsData => "ms_data",
            SyncKind::MsRc => "ms_rc",
            SyncKind::DmTs1Voice => "dm_ts1_voice",
            SyncKind::DmTs1Data => "dm_ts1_data",
            SyncKind::DmTs2Voice => "dm_ts2_voice",
            SyncKind::DmTs2Data => "dm_ts2_data",
        }
    }

    /// Whether bursts with this sync carry a slot type and BPTC (data/control).
    pub fn is_data(self) -> bool {
        matches!(
            self,
            SyncKind::BsData | SyncKind::MsData | SyncKind::DmTs1Data | SyncKind::DmTs2Data
        )
    }

    /// The nearest pattern to 48 received bits within `max_errors` bit errors.
    pub fn find(bits: u64, max_errors: u32) -> Option<(SyncKind, u32)> {
        SyncKind::ALL
            .iter()
            .map(|&k| (k, (k.pattern() ^ bits).count_ones()))
            .min_by_key(|&(_, e)| e)
            .filter(|&(_, e)| e <= max_errors)
    }
}

/// Full link control: FLCO, FID, service options, destination and source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FullLc {
    /// Protect flag.
    pub pf: bool,
    /// Full LC opcode (0 group voice, 3 unit-to-unit voice …).
    pub flco: u8,
    /// Feature set ID.
    pub fid: u8,
    /// Service options.
    pub service_options: u8,
    /// Destination (talkgroup or unit), 24 bits.
    pub dst_id: u32,
    /// Source unit, 24 bits.
    pub src_id: u32,
}

impl FullLc {
    /// The 9 bytes: PF ‖ R ‖ FLCO(6) ‖ FID ‖ options ‖ destination(24) ‖ source(24).
    pub fn to_bytes(&self) -> [u8; 9] {
        let d = self.dst_id.to_be_bytes();
        let s = self.src_id.to_be_bytes();
        [
            ((self.pf as u8) << 7) | (self.flco & 0x3F),
            self.fid,
            self.service_options,
            d[1],
            d[2],
            d[3],
            s[1],
            s[2],
            s[3],
        ]
    }

    /// Parse 9 bytes.
    pub fn from_bytes(b: &[u8; 9]) -> FullLc {
        FullLc {
            pf: b[0] & 0x80 != 0,
            flco: b[0] & 0x3F,
            fid: b[1],
            service_options: b[2],
            dst_id: u32::from_be_bytes([0, b[3], b[4], b[5]]),
            src_id: u32::from_be_bytes([0, b[6], b[7], b[8]]),
        }
    }
}

/// The idle message's 96 information bits.
pub const IDLE_INFO: [u8; 12] = [
    0xFF, 0x83, 0xDF, 0x17, 0x32, 0x09, 0x4E, 0xD1, 0xE7, 0xCD, 0x8A, 0x91,
];

/// The 12-byte PDU of a voice LC header (data type 1) or terminator (2).
pub fn lc_pdu(lc: &FullLc, data_type: u8, std: Standard) -> [u8; 12] {
    let b = lc.to_bytes();
    let p = rs129_parity(&b);
    let m = std.rs_mask(data_type).unwrap_or([0; 3]);
    let mut out = [0u8; 12];
    out[..9].copy_from_slice(&b);
    for k in 0..3 {
        out[9 + k] = p[k] ^ m[k];
    }
    out
}

/// The 12-byte PDU of a CRC-16 data type (CSBK 3 …): 10 bytes + masked CRC.
pub fn crc_pdu(body: &[u8; 10], data_type: u8, std: Standard) -> [u8; 12] {
    let crc = crc_ccitt(body) ^ std.crc16_mask(data_type).unwrap_or(0);
    let mut out = [0u8; 12];
    out[..10].copy_from_slice(body);
    out[10..].copy_from_slice(&crc.to_be_bytes());
    out
}

/// A CACH (24 bits) carrying a TACT (AT, TC = the timeslot of the next burst, LCSS) and a null
/// short-LC payload.
pub fn cach(at: u8, tc: u8, lcss: u8) -> [u8; 24] {
    let mut c = [0u8; 24];
    for (p, b) in CACH_TACT_POS.iter().zip(tact_encode(at, tc, lcss)) {
        c[*p] = b;
    }
    c
}

/// A base-station outbound stream: each burst preceded by its CACH (AT busy, TC = the burst's
/// timeslot 0/1, LCSS 0). Input: (timeslot, 264-bit burst) in air order.
pub fn bs_stream(bursts: impl IntoIterator<Item = (u8, Vec<u8>)>) -> Vec<u8> {
    let mut bits = Vec::new();
    for (slot, b) in bursts {
        bits.extend_from_slice(&cach(1, slot, 0));
        bits.extend(b);
    }
    bits
}

/// Lay out a data/control burst: 196 payload bits split around the 20 slot-type bits and the
/// 48-bit sync (bits 0–97 payload, 98–107 slot type, 108–155 sync, 156–165 slot type, 166–263
/// payload).
pub fn assemble(payload: &[u8], slot_type: u32, sync: SyncKind) -> Vec<u8> {
    let st = u64_to_bits(slot_type as u64, 20);
    let sy = u64_to_bits(sync.pattern(), 48);
    payload[..98]
        .iter()
        .chain(&st[..10])
        .chain(&sy)
        .chain(&st[10..])
        .chain(&payload[98..])
        .copied()
        .collect()
}

/// A data/control burst: BPTC payload, slot type (colour code, data type) around the sync.
pub fn data_burst(cc: u8, data_type: u8, pdu: &[u8; 12], sync: SyncKind) -> Vec<u8> {
    let tx = bptc196_encode(&bytes_to_bits(pdu));
    assemble(&tx, golay2087_encode((cc << 4) | (data_type & 0xF)), sync)
}

/// What a data burst decoded to.
#[derive(Debug, Clone, PartialEq)]
pub struct DataBurst {
    /// Colour code.
    pub color_code: u8,
    /// Data type.
    pub data_type: u8,
    /// Slot-type bit errors corrected.
    pub slot_type_errors: u32,
    /// The 12 PDU bytes after BPTC.
    pub pdu: [u8; 12],
    /// BPTC bits corrected.
    pub bptc_corrected: u32,
    /// The PDU's own check passed (CRC, RS, or the idle pattern), with the standard whose masks
    /// matched (None for types without masks).
    pub check: Option<Option<Standard>>,
    /// The full LC of a voice LC header / terminator.
    pub lc: Option<FullLc>,
}

/// Data type names.
pub fn data_type_name(dt: u8) -> &'static str {
    match dt {
        0 => "pi_header",
        1 => "voice_lc_header",
        2 => "terminator_with_lc",
        3 => "csbk",
        4 => "mbc_header",
        5 => "mbc_continuation",
        6 => "data_header",
        7 => "rate_half_data",
        8 => "rate_three_quarter_data",
        9 => "idle",
        10 => "rate_one_data",
        11 => "usbd",
        _ => "reserved",
    }
}

/// Decode the slot type and payload of a 264-bit data burst (sync already found).
pub fn decode_data_burst(bits: &[u8]) -> Option<DataBurst> {
    if bits.len() != 264 {
        return None;
    }
    let st: Vec<u8> = bits[98..108]
        .iter()
        .chain(&bits[156..166])
        .copied()
        .collect();
    let (d, st_err) = golay2087_decode(bits_to_u64(&st) as u32)?;
    let (cc, dt) = (d >> 4, d & 0xF);
    let payload: Vec<u8> = bits[..98].iter().chain(&bits[166..]).copied().collect();
    let (info, fixed, _) = bptc196_decode(&payload);
    let pdu: [u8; 12] = bits_to_bytes(&info).try_into().ok()?;
    let (check, lc) = match dt {
        1 | 2 => match rs_standard(&pdu, dt) {
            Some((s, lc, _)) => (Some(Some(s)), Some(FullLc::from_bytes(&lc))),
            None => (None, None),
        },
        0 | 3 | 4 | 6 => (crc16_standard(&pdu, dt).map(Some), None),
        11 => (
            (crc_ccitt(&pdu[..10]) ^ u16::from_be_bytes([pdu[10], pdu[11]]) == 0x3333)
                .then_some(Some(Standard::Dmr)),
            None,
        ),
        9 => ((pdu == IDLE_INFO).then_some(None), None),
        _ => (None, None),
    };
    Some(DataBurst {
        color_code: cc,
        data_type: dt,
        slot_type_errors: st_err,
        pdu,
        bptc_corrected: fixed,
        check,
        lc,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex_bits(h: &str) -> Vec<u8> {
        crate::fec::dmr::hex_to_bits(h).unwrap()
    }

    fn lc() -> FullLc {
        FullLc {
            pf: false,
            flco: 0,
            fid: 0,
            service_options: 0,
            dst_id: 9,
            src_id: 1_234_567,
        }
    }

    #[test]
    fn the_digests_voice_lc_header_burst_builds_and_decodes() {
        // dmr-pdt.md §1.10: LC group call TG 9 from 1234567, CC 1, BS data sync.
        let want = hex_bits("028F083403680F981A203F20C46DFF57D75DF5DE33D8174813A004405401BB00AE");
        assert_eq!(lc().to_bytes(), [0, 0, 0, 0, 0, 9, 0x12, 0xD6, 0x87]);
        let b = data_burst(1, 1, &lc_pdu(&lc(), 1, Standard::Dmr), SyncKind::BsData);
        assert_eq!(b, want);
        let sync = bits_to_u64(&b[108..156]);
        assert_eq!(SyncKind::find(sync, 4), Some((SyncKind::BsData, 0)));
        let d = decode_data_burst(&b).unwrap();
        assert_eq!((d.color_code, d.data_type), (1, 1));
        assert_eq!(d.check, Some(Some(Standard::Dmr)));
        assert_eq!(d.lc, Some(lc()));
    }

    #[test]
    fn pdt_bursts_validate_only_as_pdt() {
        for dt in [1u8, 2] {
            let b = data_burst(4, dt, &lc_pdu(&lc(), dt, Standard::Pdt), SyncKind::BsData);
            let d = decode_data_burst(&b).unwrap();
            assert_eq!(d.check, Some(Some(Standard::Pdt)), "DT {dt}");
            assert_eq!(d.lc, Some(lc()));
        }
        let csbk = [0xBD, 0x00, 0x80, 0, 0, 0, 0, 0, 0, 0x01];
        for std in [Standard::Dmr, Standard::Pdt] {
            let b = data_burst(2, 3, &crc_pdu(&csbk, 3, std), SyncKind::MsData);
            let d = decode_data_burst(&b).unwrap();
            assert_eq!(d.check, Some(Some(std)));
        }
    }

    #[test]
    fn idle_and_errors() {
        // MMDVMHost's DMR_IDLE_DATA payload (dmr_vectors.py; its slot type is left 0 there and
        // filled in at run time): here with CC 1, DT 9 around the BS data sync.
        let mmdvm = hex_bits("53C25EABA8671DC7383BD936000DFF57D75DF5D003F6E465171B48CA6D4FC610B4");
        let payload: Vec<u8> = mmdvm[..98].iter().chain(&mmdvm[166..]).copied().collect();
        let b = assemble(&payload, golay2087_encode(0x19), SyncKind::BsData);
        assert_eq!(b, data_burst(1, 9, &IDLE_INFO, SyncKind::BsData));
        let d = decode_data_burst(&b).unwrap();
        assert_eq!((d.color_code, d.data_type, d.check), (1, 9, Some(None)));
        // Three slot-type errors and scattered payload errors are corrected.
        let mut bad = b.clone();
        for i in [99, 104, 160, 5, 70, 200, 250] {
            bad[i] ^= 1;
        }
        let d = decode_data_burst(&bad).unwrap();
        assert_eq!((d.color_code, d.data_type, d.check), (1, 9, Some(None)));
        assert_eq!(d.slot_type_errors, 3);
        assert_eq!(d.bptc_corrected, 4);
        // Every sync pattern is found; a voice sync is the symbol-wise negation of its data sync
        // (±3 symbols are dibits 01/11, so only the first bit of each dibit differs).
        for k in SyncKind::ALL {
            assert_eq!(SyncKind::find(k.pattern() ^ 0b101, 3), Some((k, 2)));
        }
        for (v, d) in [
            (sync::BS_VOICE, sync::BS_DATA),
            (sync::MS_VOICE, sync::MS_DATA),
            (sync::DM_TS1_VOICE, sync::DM_TS1_DATA),
            (sync::DM_TS2_VOICE, sync::DM_TS2_DATA),
        ] {
            assert_eq!(v ^ d, 0xAAAA_AAAA_AAAA);
        }
    }
}
