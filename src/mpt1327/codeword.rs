//! MPT 1327 codewords: message identification and field layouts, for decoding and encoding.
//!
//! Layouts follow `../shared/spec/pdt-mpt1327-addendum.md` §5.4 (bit 0 = first on air = MSB of
//! the `u64`). One table drives both directions, so every message type round-trips by
//! construction; the spec's test vectors pin the table to the standard.

use crate::fec::mpt1327_bch;
use serde_json::{Map, Value};

/// Bits `first .. first+len` of a codeword (bit 0 = MSB).
pub fn field(cw: u64, first: u32, len: u32) -> u64 {
    (cw >> (64 - first - len)) & ((1u64 << len) - 1)
}

fn put(cw: &mut u64, first: u32, len: u32, v: u64) {
    let shift = 64 - first - len;
    let mask = ((1u64 << len) - 1) << shift;
    *cw = (*cw & !mask) | ((v << shift) & mask);
}

/// SYNC (control channel) and SYNT (traffic channel).
pub const SYNC: u16 = 0xC4D7;
/// Traffic-channel synchronisation word (bitwise NOT of SYNC).
pub const SYNT: u16 = 0x3B28;

/// Names of the special idents (MPT 1343).
pub fn ident_name(ident: u64) -> Option<&'static str> {
    Some(match ident {
        8191 => "ALLI",
        8190 => "TSCI",
        8189 => "IPFIXI",
        8188 => "SDMI",
        8187 => "DIVERTI",
        8186 => "INCI",
        8185 => "REGI",
        8121 => "PSTNSI1",
        8103 => "DNI",
        8102 => "PABXI",
        8101 => "PSTNGI",
        0 => "DUMMYI",
        _ => return None,
    })
}

type Layout = &'static [(&'static str, u32, u32)];

const PI: [(&str, u32, u32); 2] = [("pfix", 1, 7), ("ident1", 8, 13)];
const GTC: Layout = &[
    PI[0],
    PI[1],
    ("d", 22, 1),
    ("chan", 23, 10),
    ("ident2", 33, 13),
    ("n", 46, 2),
];
const ALH: Layout = &[
    PI[0],
    PI[1],
    ("chan4", 30, 4),
    ("wt", 34, 3),
    ("m", 39, 5),
    ("n", 44, 4),
];
const ACK: Layout = &[
    PI[0],
    PI[1],
    ("ident2", 30, 13),
    ("qual", 43, 1),
    ("n", 44, 4),
];
const AHY: Layout = &[
    PI[0],
    PI[1],
    ("ident2", 30, 13),
    ("d", 43, 1),
    ("point", 44, 1),
    ("check", 45, 1),
    ("e", 46, 1),
    ("ad", 47, 1),
];
const AHYX: Layout = &[PI[0], PI[1], ("ident2", 30, 13), ("point", 43, 5)];
const AHYP: Layout = &[PI[0], PI[1], ("ident2", 30, 13)];
const AHYQ: Layout = &[PI[0], PI[1], ("ident2", 30, 13), ("status", 43, 5)];
const AHYC: Layout = &[
    PI[0],
    PI[1],
    ("ident2", 30, 13),
    ("slots", 43, 2),
    ("desc", 45, 3),
];
const MARK: Layout = &[("chan4", 1, 4), ("a", 5, 1), ("sys", 6, 15), ("b", 30, 18)];
const MAINT: Layout = &[PI[0], PI[1], ("chan", 30, 10), ("oper", 40, 3)];
const CLEAR: Layout = &[("chan", 1, 10), ("cont", 11, 10)];
const MOVE: Layout = &[PI[0], PI[1], ("cont", 30, 10), ("m", 40, 5)];
const BCAST_CHAN: Layout = &[("sysdef", 1, 5), ("sys", 6, 15), ("chan", 30, 10)];
const BCAST_MAINT: Layout = &[
    ("sysdef", 1, 5),
    ("sys", 6, 15),
    ("per", 30, 1),
    ("ival", 31, 5),
    ("pon", 36, 1),
    ("id", 37, 1),
];
const BCAST_ADJ: Layout = &[
    ("sysdef", 1, 5),
    ("sys", 6, 15),
    ("chan", 30, 10),
    ("adjsite", 44, 4),
];
const BCAST_OTHER: Layout = &[("sysdef", 1, 5), ("sys", 6, 15)];
const HEAD: Layout = &[
    PI[0],
    PI[1],
    ("len", 26, 2),
    ("prefix2", 28, 7),
    ("ident2", 35, 13),
];
const SAMO: Layout = &[PI[0], PI[1], ("params", 26, 22)];
const AHYD: Layout = &[
    PI[0],
    PI[1],
    ("port", 26, 3),
    ("ident2", 30, 13),
    ("flags", 43, 5),
];
const GTT: Layout = &[
    PI[0],
    PI[1],
    ("chan", 26, 10),
    ("o_r", 36, 1),
    ("rate", 37, 1),
    ("trans", 38, 10),
];
const RAW: Layout = &[
    PI[0],
    PI[1],
    ("cat", 22, 3),
    ("type_", 25, 2),
    ("func", 27, 3),
    ("params", 30, 18),
];
const CCSC: Layout = &[("sys", 1, 15), ("ccs", 16, 16), ("preamble", 32, 16)];
const DATA: Layout = &[("payload", 1, 47)];
const DIGITS: Layout = &[("bcd", 4, 44)];

const ALH_NAMES: [&str; 7] = ["ALH", "ALHS", "ALHD", "ALHE", "ALHR", "ALHX", "ALHF"];
const ACK_NAMES: [&str; 8] = [
    "ACK", "ACKI", "ACKQ", "ACKX", "ACKV", "ACKE", "ACKT", "ACKB",
];
/// Dialled-digit alphabet of BCD11 data codewords (`R` = reserved codes).
const BCD: &[u8; 16] = b"0123456789R*#RRR";

/// What an address codeword is, from its bits 21–29, with its layout and fixed bits.
fn identify(cw: u64) -> (&'static str, Layout) {
    if field(cw, 0, 1) == 0 {
        return ("DATA", DATA);
    }
    if field(cw, 21, 1) == 0 {
        return ("GTC", GTC);
    }
    let (cat, typ, func) = (
        field(cw, 22, 3),
        field(cw, 25, 2),
        field(cw, 27, 3) as usize,
    );
    match (cat, typ) {
        (0, 0) if func < 7 => (ALH_NAMES[func], ALH),
        (0, 1) => (ACK_NAMES[func], ACK),
        (0, 2) => match func {
            0 => ("AHY", AHY),
            2 => ("AHYX", AHYX),
            5 => ("AHYP", AHYP),
            6 => ("AHYQ", AHYQ),
            7 => ("AHYC", AHYC),
            _ => ("AHY_RESERVED", RAW),
        },
        (0, 3) => match func {
            0 => ("MARK", MARK),
            1 => ("MAINT", MAINT),
            2 => ("CLEAR", CLEAR),
            3 => ("MOVE", MOVE),
            4 => match field(cw, 1, 5) {
                0 | 1 => ("BCAST", BCAST_CHAN),
                2 => ("BCAST", BCAST_MAINT),
                4 | 5 => ("BCAST", BCAST_ADJ),
                _ => ("BCAST", BCAST_OTHER),
            },
            _ => ("RESERVED", RAW),
        },
        (1, _) if typ & 2 != 0 => ("HEAD", HEAD),
        (1, _) => ("SAMO", SAMO),
        (2, _) if typ & 2 != 0 => ("AHYD", AHYD),
        (2, _) => ("GTT", GTT),
        (5, _) => ("DACK", RAW),
        _ => ("ADDRESS", RAW),
    }
}

/// A decoded codeword: its type name (`CCSC`, `GTC`, `ALH`, `BCAST`, …, `DATA`) and fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Type name as in MPT 1327 (upper case).
    pub kind: &'static str,
    /// Fields in lower case, in layout order.
    pub fields: Vec<(&'static str, u64)>,
    /// Dialled digits, when a data codeword carries them (after ACKT).
    pub digits: Option<String>,
}

impl Message {
    /// A field's value.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, v)| v)
    }

    /// Fields as a JSON object (idents also by name where special).
    pub fn to_json(&self) -> Map<String, Value> {
        let mut m = Map::new();
        for &(k, v) in &self.fields {
            let key = if k == "type_" { "type_code" } else { k };
            if k == "sys"
                || k == "payload"
                || k == "params"
                || k == "b"
                || k == "ccs"
                || k == "preamble"
            {
                m.insert(key.into(), Value::String(format!("{v:X}")));
            } else {
                m.insert(key.into(), Value::from(v));
            }
            if k.starts_with("ident") {
                if let Some(n) = ident_name(v) {
                    m.insert(format!("{key}_name"), Value::from(n));
                }
            }
        }
        if let Some(d) = &self.digits {
            m.insert("digits".into(), Value::from(d.clone()));
        }
        m
    }
}

/// How to read a codeword: in the CCSC position of a control-channel slot, or as a data codeword
/// following an address codeword that announced digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Address position (or a burst).
    Address,
    /// First codeword of a control-channel slot.
    Ccsc,
    /// Data codeword after ACKT: BCD dialled digits.
    Digits,
}

/// Decode a (checked) codeword.
pub fn decode(cw: u64, ctx: Context) -> Message {
    let (kind, layout) = match ctx {
        Context::Ccsc if field(cw, 0, 1) == 0 => ("CCSC", CCSC),
        Context::Digits if field(cw, 0, 1) == 0 => ("DATA", DIGITS),
        _ => identify(cw),
    };
    let fields = layout
        .iter()
        .map(|&(n, f, l)| (n, field(cw, f, l)))
        .collect();
    let digits = (layout == DIGITS).then(|| {
        let v = field(cw, 4, 44);
        (0..11)
            .map(|i| BCD[((v >> (40 - 4 * i)) & 0xf) as usize] as char)
            .collect::<String>()
    });
    Message {
        kind,
        fields,
        digits,
    }
}

/// Error building a codeword.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EncodeError {
    /// Unknown message type.
    #[error("unknown MPT 1327 message type '{0}'")]
    UnknownKind(String),
    /// A field the type does not have.
    #[error("{kind} has no field '{field}'")]
    UnknownField {
        /// Message type.
        kind: String,
        /// Field name.
        field: String,
    },
    /// A value wider than its field.
    #[error("{kind}.{field} = {value} does not fit in {bits} bits")]
    TooWide {
        /// Message type.
        kind: String,
        /// Field name.
        field: String,
        /// Value given.
        value: u64,
        /// Field width.
        bits: u32,
    },
}

/// Encode a message of type `kind` with `fields` (missing fields are 0) into a full codeword.
/// `CCSC` computes its completion sequence so the check field is SYNC.
pub fn encode(kind: &str, fields: &[(&str, u64)]) -> Result<u64, EncodeError> {
    let mut cw: u64 = 0;
    let get = |n: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == n)
            .map(|&(_, v)| v)
            .unwrap_or(0)
    };
    let layout: Layout = match kind {
        "CCSC" => return Ok(ccsc(get("sys"))),
        "DATA" => DATA,
        "DIGITS" => DIGITS,
        "GTC" => {
            put(&mut cw, 0, 1, 1);
            GTC
        }
        _ => {
            put(&mut cw, 0, 1, 1);
            put(&mut cw, 21, 1, 1);
            let (cat, typ, func, layout): (u64, u64, u64, Layout) =
                if let Some(f) = ALH_NAMES.iter().position(|&n| n == kind) {
                    (0, 0, f as u64, ALH)
                } else if let Some(f) = ACK_NAMES.iter().position(|&n| n == kind) {
                    (0, 1, f as u64, ACK)
                } else {
                    match kind {
                        "AHY" => (0, 2, 0, AHY),
                        "AHYX" => (0, 2, 2, AHYX),
                        "AHYP" => (0, 2, 5, AHYP),
                        "AHYQ" => (0, 2, 6, AHYQ),
                        "AHYC" => (0, 2, 7, AHYC),
                        "MARK" => (0, 3, 0, MARK),
                        "MAINT" => (0, 3, 1, MAINT),
                        "CLEAR" => (0, 3, 2, CLEAR),
                        "MOVE" => (0, 3, 3, MOVE),
                        "BCAST" => (
                            0,
                            3,
                            4,
                            match get("sysdef") {
                                0 | 1 => BCAST_CHAN,
                                2 => BCAST_MAINT,
                                4 | 5 => BCAST_ADJ,
                                _ => BCAST_OTHER,
                            },
                        ),
                        "HEAD" => (1, 2, 0, HEAD),
                        _ => return Err(EncodeError::UnknownKind(kind.into())),
                    }
                };
            put(&mut cw, 22, 3, cat);
            put(&mut cw, 25, 2, typ);
            if kind != "HEAD" {
                put(&mut cw, 27, 3, func);
            }
            if kind == "CLEAR" {
                put(&mut cw, 36, 12, 0b1010_1010_1010);
            }
            layout
        }
    };
    for &(name, value) in fields {
        let Some(&(_, first, len)) = layout.iter().find(|(n, _, _)| *n == name) else {
            return Err(EncodeError::UnknownField {
                kind: kind.into(),
                field: name.into(),
            });
        };
        if value >> len != 0 {
            return Err(EncodeError::TooWide {
                kind: kind.into(),
                field: name.into(),
                value,
                bits: len,
            });
        }
        put(&mut cw, first, len, value);
    }
    Ok(mpt1327_bch::encode(cw >> 16))
}

/// Digits → a DIGITS data codeword (up to 11; padded with '0'; `R` for reserved codes).
pub fn encode_digits(digits: &str) -> Result<u64, EncodeError> {
    let mut v = 0u64;
    for i in 0..11 {
        let c = digits.as_bytes().get(i).copied().unwrap_or(b'0');
        let code = BCD
            .iter()
            .position(|&b| b == c)
            .ok_or_else(|| EncodeError::TooWide {
                kind: "DIGITS".into(),
                field: format!("digit '{}'", c as char),
                value: c as u64,
                bits: 4,
            })?;
        v = (v << 4) | code as u64;
    }
    encode("DIGITS", &[("bcd", v)])
}

/// The control-channel system codeword for `sys`: the completion sequence (bits 16–31) is solved
/// so that the check field (bits 48–63) equals SYNC, and bits 32–47 are the 1010… preamble.
pub fn ccsc(sys: u64) -> u64 {
    system_codeword(sys, SYNC)
}

/// The data-channel system codeword (traffic channel in data mode): as the CCSC with SYNT as
/// its check field.
pub fn dcsc(sys: u64) -> u64 {
    system_codeword(sys, SYNT)
}

/// A data codeword `0 · SYS · CCS · 1010…` whose completion sequence makes the check field
/// equal `target`.
fn system_codeword(sys: u64, target_check: u16) -> u64 {
    // The check field is affine in the information bits over GF(2): f(a ⊕ b) = f(a) ⊕ f(b) ⊕ f(0).
    // Solve M·c = target ⊕ f(base) ⊕ … for the 16 CCS bits by Gaussian elimination.
    let base = ((sys & 0x7fff) << 32) | 0xAAAA; // 48 info bits: 0 · SYS · CCS=0 · 1010…
    let f0 = mpt1327_bch::check_field(0);
    let cols: Vec<u16> = (0..16)
        .map(|i| mpt1327_bch::check_field(1u64 << (16 + i)) ^ f0)
        .collect();
    let target = target_check ^ mpt1327_bch::check_field(base);
    // Rows: each of 16 check bits; unknowns: 16 CCS bits. Build augmented matrix.
    let mut rows: Vec<(u16, u8)> = (0..16)
        .map(|r| {
            let mut m = 0u16;
            for (c, col) in cols.iter().enumerate() {
                if (col >> r) & 1 == 1 {
                    m |= 1 << c;
                }
            }
            (m, ((target >> r) & 1) as u8)
        })
        .collect();
    let mut x = 0u64;
    let mut pivots = Vec::new();
    let mut row = 0;
    for c in 0..16 {
        let Some(p) = (row..16).find(|&r| (rows[r].0 >> c) & 1 == 1) else {
            continue;
        };
        rows.swap(row, p);
        for r in 0..16 {
            if r != row && (rows[r].0 >> c) & 1 == 1 {
                rows[r].0 ^= rows[row].0;
                rows[r].1 ^= rows[row].1;
            }
        }
        pivots.push((row, c));
        row += 1;
    }
    for (r, c) in pivots {
        if rows[r].1 == 1 {
            x |= 1 << c;
        }
    }
    let info = base | (x << 16);
    mpt1327_bch::encode(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors of `../shared/spec/pdt-mpt1327-addendum.md` §5.2–5.3, encoded and decoded.
    #[test]
    fn spec_vectors_encode_and_decode_exactly() {
        let gtc = encode(
            "GTC",
            &[
                ("pfix", 1),
                ("ident1", 100),
                ("d", 0),
                ("chan", 5),
                ("ident2", 200),
                ("n", 0),
            ],
        )
        .unwrap();
        assert_eq!(gtc, 0x8103_2002_8320_1029);
        let m = decode(gtc, Context::Address);
        assert_eq!(m.kind, "GTC");
        assert_eq!(
            (
                m.get("pfix"),
                m.get("ident1"),
                m.get("chan"),
                m.get("ident2")
            ),
            (Some(1), Some(100), Some(5), Some(200))
        );

        let alh = encode(
            "ALH",
            &[
                ("pfix", 0),
                ("ident1", 8191),
                ("chan4", 3),
                ("wt", 5),
                ("m", 0),
                ("n", 4),
            ],
        )
        .unwrap();
        assert_eq!(alh, 0x80FF_FC00_E804_BA13);
        let m = decode(alh, Context::Address);
        assert_eq!(m.kind, "ALH");
        assert_eq!(m.to_json()["ident1_name"], "ALLI");
        assert_eq!(
            (m.get("chan4"), m.get("wt"), m.get("n")),
            (Some(3), Some(5), Some(4))
        );

        let b = encode("BCAST", &[("sysdef", 0), ("sys", 0x1234), ("chan", 10)]).unwrap();
        assert_eq!(b, 0x8091_A470_0A00_EFC8);
        let m = decode(b, Context::Address);
        assert_eq!(
            (m.kind, m.get("sys"), m.get("chan")),
            ("BCAST", Some(0x1234), Some(10))
        );

        assert_eq!(ccsc(0x0000), 0x0000_1151_AAAA_C4D7);
        assert_eq!(ccsc(0x1234), 0x1234_4221_AAAA_C4D7);
        let m = decode(ccsc(0x1234), Context::Ccsc);
        assert_eq!((m.kind, m.get("sys")), ("CCSC", Some(0x1234)));
    }

    #[test]
    fn dcsc_ends_in_synt_and_its_inverse_is_not_a_ccsc() {
        let d = dcsc(0x1234);
        assert_eq!((d & 0xffff) as u16, SYNT);
        assert!(mpt1327_bch::is_valid(d));
        // The bit-inverse checks too and ends in SYNC — but starts with a 1 (not a data
        // codeword), which is how the receiver tells it from a real CCSC.
        assert!(mpt1327_bch::is_valid(!d));
        assert_eq!((!d & 0xffff) as u16, SYNC);
        assert_eq!(!d >> 63, 1);
    }

    #[test]
    fn every_ccsc_ends_in_sync() {
        for sys in (0..0x8000u64).step_by(37) {
            let cw = ccsc(sys);
            assert_eq!((cw & 0xffff) as u16, SYNC, "sys {sys:X}");
            assert!(mpt1327_bch::is_valid(cw));
        }
    }

    #[test]
    fn every_message_type_round_trips() {
        let cases: Vec<(&str, Vec<(&str, u64)>)> = vec![
            (
                "GTC",
                vec![
                    ("pfix", 12),
                    ("ident1", 345),
                    ("d", 1),
                    ("chan", 1000),
                    ("ident2", 8190),
                    ("n", 3),
                ],
            ),
            (
                "ALHF",
                vec![
                    ("pfix", 127),
                    ("ident1", 8191),
                    ("chan4", 15),
                    ("wt", 7),
                    ("m", 31),
                    ("n", 15),
                ],
            ),
            (
                "ACKT",
                vec![
                    ("pfix", 5),
                    ("ident1", 77),
                    ("ident2", 1234),
                    ("qual", 0),
                    ("n", 2),
                ],
            ),
            (
                "AHY",
                vec![
                    ("pfix", 5),
                    ("ident1", 77),
                    ("ident2", 8),
                    ("d", 1),
                    ("point", 0),
                    ("check", 1),
                    ("e", 0),
                    ("ad", 1),
                ],
            ),
            ("AHYX", vec![("ident1", 1), ("ident2", 2), ("point", 17)]),
            ("AHYP", vec![("ident1", 1), ("ident2", 2)]),
            ("AHYQ", vec![("ident1", 1), ("ident2", 2), ("status", 31)]),
            (
                "AHYC",
                vec![("ident1", 1), ("ident2", 2), ("slots", 3), ("desc", 5)],
            ),
            (
                "MARK",
                vec![("chan4", 9), ("a", 1), ("sys", 0x7abc), ("b", 0x2_0001)],
            ),
            (
                "MAINT",
                vec![("pfix", 3), ("ident1", 300), ("chan", 512), ("oper", 6)],
            ),
            ("CLEAR", vec![("chan", 600), ("cont", 1)]),
            (
                "MOVE",
                vec![("pfix", 3), ("ident1", 300), ("cont", 700), ("m", 9)],
            ),
            (
                "BCAST",
                vec![
                    ("sysdef", 2),
                    ("sys", 0x4321),
                    ("per", 1),
                    ("ival", 17),
                    ("pon", 1),
                    ("id", 0),
                ],
            ),
            (
                "BCAST",
                vec![
                    ("sysdef", 4),
                    ("sys", 0x4321),
                    ("chan", 999),
                    ("adjsite", 11),
                ],
            ),
            ("BCAST", vec![("sysdef", 3), ("sys", 0x4321)]),
            (
                "HEAD",
                vec![
                    ("pfix", 3),
                    ("ident1", 300),
                    ("len", 2),
                    ("prefix2", 9),
                    ("ident2", 4000),
                ],
            ),
        ];
        for k in ALH_NAMES.iter().chain(ACK_NAMES.iter()) {
            let cw = encode(k, &[("pfix", 1)]).unwrap();
            assert_eq!(decode(cw, Context::Address).kind, *k);
        }
        for (kind, fields) in cases {
            let cw = encode(kind, &fields).unwrap();
            assert!(mpt1327_bch::is_valid(cw));
            let m = decode(cw, Context::Address);
            assert_eq!(m.kind, kind, "{cw:016X}");
            for (n, v) in fields {
                assert_eq!(m.get(n), Some(v), "{kind}.{n}");
            }
        }
        let d = encode_digits("0123456789*").unwrap();
        assert_eq!(
            decode(d, Context::Digits).digits.as_deref(),
            Some("0123456789*")
        );
        assert_eq!(
            encode("GTC", &[("chan", 1024)]).unwrap_err().to_string(),
            "GTC.chan = 1024 does not fit in 10 bits"
        );
        assert!(encode("XYZ", &[]).is_err());
    }
}
