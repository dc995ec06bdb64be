//! A generator of realistic base-station outbound traffic (for tests and `linkscope gen pdt`):
//! both timeslots interleaved, each burst preceded by its CACH; voice calls as two voice LC
//! headers, superframes A–F (burst A with the BS voice sync, B–E carrying the embedded LC,
//! F a null embedded field) and a terminator with LC; idle bursts (or optional CSBKs) in between;
//! the CACHs carrying short-LC activity updates (`../shared/spec/dmr-pdt.md` §1.2, §1.8–1.11).

use std::collections::VecDeque;

use super::burst::{crc_pdu, data_burst, lc_pdu, FullLc, SyncKind, IDLE_INFO};
use super::lc::{
    address_hash, cach_bits, embedded_lc_fragments, pn9_bits, short_lc_fragments, voice_burst_emb,
    voice_burst_sync, Csbk, Emb, ShortLc, Tact, LCSS_SEQUENCE, PN9_ALL_ONES,
};
use crate::fec::dmr::Standard;

/// One generated 264-bit burst (CACH excluded) and what it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// Timeslot 1 or 2 (the TACT's TC is `slot − 1`).
    pub slot: u8,
    /// The 264 burst bits.
    pub bits: Vec<u8>,
    /// `voice_lc_header`, `voice`, `terminator_with_lc`, `csbk` or `idle`.
    pub kind: &'static str,
    /// The sync in the centre (data bursts and voice burst A), None in voice bursts B–F.
    pub sync: Option<SyncKind>,
    /// Data type of a data/control burst.
    pub data_type: Option<u8>,
    /// Voice burst letter `A`…`F`.
    pub voice_letter: Option<char>,
}

/// A group or unit-to-unit voice call on one timeslot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Call {
    /// Timeslot 1 or 2.
    pub slot: u8,
    /// The full LC sent in the headers, the terminator and the embedded LC.
    pub lc: FullLc,
    /// Voice superframes (6 bursts each).
    pub superframes: usize,
    /// Vocoder frames NVOC-coded (PDT's 2.4 kbit/s vocoder, addendum §2.4) instead of the
    /// plain PN9 test pattern.
    pub nvoc: bool,
}

/// What a slot sends next.
#[derive(Debug, Clone, Copy)]
enum Item {
    Header(usize),
    Voice(usize, usize),
    Terminator(usize),
    Gap,
}

impl Item {
    fn call(self) -> Option<usize> {
        match self {
            Item::Header(c) | Item::Voice(c, _) | Item::Terminator(c) => Some(c),
            Item::Gap => None,
        }
    }
}

/// Idle bursts left between two calls on the same slot.
const GAP_BETWEEN_CALLS: usize = 2;

/// The schedule of one slot: its calls in order, separated by idle gaps.
fn slot_plan(slot: u8, calls: &[Call]) -> VecDeque<Item> {
    let mut q = VecDeque::new();
    for (i, c) in calls.iter().enumerate().filter(|(_, c)| c.slot == slot) {
        if !q.is_empty() {
            q.extend([Item::Gap; GAP_BETWEEN_CALLS]);
        }
        q.extend([Item::Header(i); 2]);
        q.extend((0..6 * c.superframes).map(|k| Item::Voice(i, k % 6)));
        q.push_back(Item::Terminator(i));
    }
    q
}

/// Short-LC activity of one slot (MMDVM codes, dmr-pdt.md §1.8): 0x8 group voice, 0x9
/// individual voice (FLCO 3); and the CRC-8 hash of the destination.
fn activity(call: Option<&Call>) -> (u8, u8) {
    match call {
        Some(c) if c.lc.flco == 3 => (0x9, address_hash(c.lc.dst_id)),
        Some(c) => (0x8, address_hash(c.lc.dst_id)),
        None => (0, 0),
    }
}

/// Base-station outbound traffic: `total_bursts` bursts alternating timeslots 1, 2, 1, … each
/// preceded by a 24-bit CACH (AT = 1, TC = the burst's own timeslot 0/1 as
/// [`super::burst::bs_stream`] does). Returns (the stream bits including the CACHs, the bursts).
///
/// - Each call sends 2 voice LC headers (DT 1), `superframes` × bursts A–F (A: BS voice sync;
///   B–E: the embedded-LC fragments with LCSS 1, 3, 3, 2; F: a null embedded field, LCSS 0; all
///   colour code `cc`, PI 0) and a terminator with LC (DT 2). Calls on one slot follow each other
///   in the order given, two idle bursts apart. A call that does not fit is cut off.
/// - Otherwise the slot is idle (DT 9); with `csbk_every = Some(k)`, an idle burst at stream
///   index i with i mod k = 0 becomes a preamble CSBK (0x3D) to the slot's next (or last) call.
/// - The headers, terminators and CSBKs carry the masks of `std`.
/// - Vocoder bits: one continuous O.153 PN9 stream from the all-ones state.
/// - CACH payloads: short-LC activity updates (SLCO 1) over groups of four CACHs (LCSS 1, 3, 3,
///   2, starting with the first burst), each taken from what the two slots send at the start of
///   the group.
pub fn bs_outbound(
    cc: u8,
    std: Standard,
    calls: &[Call],
    total_bursts: usize,
    csbk_every: Option<usize>,
) -> (Vec<u8>, Vec<Burst>) {
    let mut plans = [slot_plan(1, calls), slot_plan(2, calls)];
    let frags: Vec<[[u8; 32]; 4]> = calls
        .iter()
        .map(|c| embedded_lc_fragments(&c.lc.to_bytes()))
        .collect();
    let mut last_call: [Option<usize>; 2] = [None, None];
    let mut pn9 = PN9_ALL_ONES;
    let mut slc_frags = [[0u8; 17]; 4];
    let mut stream = Vec::with_capacity(total_bursts * 288);
    let mut bursts = Vec::with_capacity(total_bursts);

    for i in 0..total_bursts {
        let slot = 1 + (i % 2) as u8;
        let si = (slot - 1) as usize;
        if i % 4 == 0 {
            let now = |s: usize| plans[s].front().and_then(|it| it.call()).map(|c| &calls[c]);
            let (a1, h1) = activity(now(0));
            let (a2, h2) = activity(now(1));
            let slc = ShortLc::activity(a1, a2, h1, h2);
            slc_frags = short_lc_fragments(slc.slco, slc.data);
        }
        let tact = Tact {
            at: 1,
            tc: slot - 1,
            lcss: LCSS_SEQUENCE[i % 4],
        };
        stream.extend_from_slice(&cach_bits(&tact, &slc_frags[i % 4]));

        let item = plans[si].pop_front().unwrap_or(Item::Gap);
        if let Some(c) = item.call() {
            last_call[si] = Some(c);
        }
        let data = |dt: u8, pdu: &[u8; 12], kind: &'static str| Burst {
            slot,
            bits: data_burst(cc, dt, pdu, SyncKind::BsData),
            kind,
            sync: Some(SyncKind::BsData),
            data_type: Some(dt),
            voice_letter: None,
        };
        let burst = match item {
            Item::Header(c) => data(1, &lc_pdu(&calls[c].lc, 1, std), "voice_lc_header"),
            Item::Terminator(c) => data(2, &lc_pdu(&calls[c].lc, 2, std), "terminator_with_lc"),
            Item::Voice(c, k) => {
                let voc = if calls[c].nvoc {
                    (0..3)
                        .flat_map(|_| super::lc::nvoc_frame(&pn9_bits(48, &mut pn9)))
                        .collect()
                } else {
                    pn9_bits(216, &mut pn9)
                };
                let (bits, sync) = if k == 0 {
                    (
                        voice_burst_sync(&voc, SyncKind::BsVoice),
                        Some(SyncKind::BsVoice),
                    )
                } else {
                    let (lcss, embedded) = if k <= 4 {
                        (LCSS_SEQUENCE[k - 1], frags[c][k - 1])
                    } else {
                        (0, [0u8; 32])
                    };
                    let emb = Emb {
                        color_code: cc,
                        pi: false,
                        lcss,
                    };
                    (voice_burst_emb(&voc, &emb, &embedded), None)
                };
                Burst {
                    slot,
                    bits,
                    kind: "voice",
                    sync,
                    data_type: None,
                    voice_letter: Some((b'A' + k as u8) as char),
                }
            }
            Item::Gap => match csbk_every {
                Some(k) if k > 0 && i % k == 0 => {
                    let target = plans[si]
                        .iter()
                        .find_map(|it| it.call())
                        .or(last_call[si])
                        .map(|c| calls[c].lc);
                    let (group, dst, src) =
                        target.map_or((true, 0, 0), |lc| (lc.flco != 3, lc.dst_id, lc.src_id));
                    let body = Csbk::preamble(false, group, 0, dst, src).to_body();
                    data(3, &crc_pdu(&body, 3, std), "csbk")
                }
                _ => data(9, &IDLE_INFO, "idle"),
            },
        };
        stream.extend_from_slice(&burst.bits);
        bursts.push(burst);
    }
    (stream, bursts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::dmr::{bits_to_u64, sync};
    use crate::pdt::burst::decode_data_burst;
    use crate::pdt::lc::{
        cach_decode, centre_emb, classify_voice, emb_decode, split_voice, Csbk,
        EmbeddedLcAssembler, ShortLcAssembler,
    };

    fn calls() -> Vec<Call> {
        let lc = |flco, dst, src| FullLc {
            pf: false,
            flco,
            fid: 0,
            service_options: 0,
            dst_id: dst,
            src_id: src,
        };
        vec![
            Call {
                slot: 1,
                lc: lc(0, 9, 1_234_567),
                superframes: 2,
                nvoc: false,
            },
            Call {
                slot: 2,
                lc: lc(3, 4_600_123, 4_600_456),
                superframes: 1,
                nvoc: false,
            },
            Call {
                slot: 1,
                lc: lc(0, 46_001, 4_600_789),
                superframes: 3,
                nvoc: false,
            },
        ]
    }

    #[test]
    fn bs_outbound_decodes_completely_with_either_mask_set() {
        let calls = calls();
        let total = 100;
        for std in [Standard::Dmr, Standard::Pdt] {
            let (stream, bursts) = bs_outbound(4, std, &calls, total, Some(5));
            assert_eq!(stream.len(), total * 288);
            assert_eq!(bursts.len(), total);

            let mut emb_asm = [EmbeddedLcAssembler::new(), EmbeddedLcAssembler::new()];
            let mut slc_asm = ShortLcAssembler::new();
            let mut embedded_lcs = [vec![], vec![]];
            let mut short_lcs = vec![];
            let mut headers = [vec![], vec![]];
            let mut kinds = std::collections::BTreeMap::new();

            for (i, b) in bursts.iter().enumerate() {
                let s = (b.slot - 1) as usize;
                assert_eq!(b.slot, 1 + (i % 2) as u8);
                *kinds.entry(b.kind).or_insert(0) += 1;
                let cach = &stream[288 * i..288 * i + 24];
                let bits = &stream[288 * i + 24..288 * (i + 1)];
                assert_eq!(bits, &b.bits[..]);

                // CACH: TACT AT 1, TC = own slot, LCSS 1,3,3,2; short LCs reassemble.
                let (t, err, payload) = cach_decode(cach).unwrap();
                assert_eq!(
                    (t.at, t.tc, t.lcss, err),
                    (1, b.slot - 1, LCSS_SEQUENCE[i % 4], 0)
                );
                if let Some(r) = slc_asm.push(t.lcss, &payload) {
                    short_lcs.push(r.expect("short LC checks"));
                }

                if let Some(dt) = b.data_type {
                    let d = decode_data_burst(bits).unwrap();
                    assert_eq!((d.color_code, d.data_type), (4, dt));
                    assert_eq!((d.slot_type_errors, d.bptc_corrected), (0, 0));
                    assert_eq!(bits_to_u64(&bits[108..156]), sync::BS_DATA);
                    match dt {
                        1 | 2 => {
                            assert_eq!(d.check, Some(Some(std)));
                            headers[s].push((dt, d.lc.unwrap()));
                        }
                        3 => {
                            assert_eq!(d.check, Some(Some(std)));
                            let c = Csbk::from_pdu(&d.pdu);
                            assert_eq!(c.name(), "Preamble");
                        }
                        9 => assert_eq!(d.check, Some(None)),
                        _ => panic!("unexpected data type {dt}"),
                    }
                    continue;
                }
                let (voc, centre) = split_voice(bits);
                assert_eq!(classify_voice(&voc), 0, "PN9 filler is not NVOC");
                match b.voice_letter.unwrap() {
                    'A' => {
                        assert_eq!(bits_to_u64(&centre), sync::BS_VOICE);
                        assert_eq!(b.sync, Some(SyncKind::BsVoice));
                    }
                    letter => {
                        let (e, embedded) = centre_emb(&centre);
                        let (emb, err) = emb_decode(&e).unwrap();
                        assert_eq!((emb.color_code, emb.pi, err), (4, false, 0));
                        let want = match letter {
                            'B' => 1,
                            'C' | 'D' => 3,
                            'E' => 2,
                            _ => 0,
                        };
                        assert_eq!(emb.lcss, want, "burst {letter}");
                        if letter == 'F' {
                            assert_eq!(embedded, [0; 32]);
                        }
                        if let Some(r) = emb_asm[s].push(emb.lcss, &embedded) {
                            let (lc, corrected) = r.expect("embedded LC checks");
                            assert_eq!(corrected, 0);
                            embedded_lcs[s].push(FullLc::from_bytes(&lc));
                        }
                    }
                }
            }

            // Slot 1: call 0 (2 superframes) then call 2 (3); slot 2: call 1 (1).
            let sf_done = |slot: u8| {
                bursts
                    .iter()
                    .filter(|b| b.slot == slot && b.voice_letter == Some('E'))
                    .count()
            };
            assert_eq!(embedded_lcs[0].len(), sf_done(1));
            assert_eq!(embedded_lcs[1].len(), sf_done(2));
            assert_eq!(embedded_lcs[0][..2], [calls[0].lc; 2]);
            assert!(embedded_lcs[0][2..].iter().all(|lc| *lc == calls[2].lc));
            assert!(
                embedded_lcs[0].len() > 2,
                "the second slot-1 call is under way"
            );
            assert_eq!(embedded_lcs[1], [calls[1].lc]);
            assert_eq!(
                headers[0][..3],
                [(1, calls[0].lc), (1, calls[0].lc), (2, calls[0].lc)]
            );
            assert_eq!(
                headers[1],
                [(1, calls[1].lc), (1, calls[1].lc), (2, calls[1].lc)]
            );
            // Everything fits in 50 bursts per slot: 5 + 1 superframes of voice.
            assert_eq!(kinds["voice"], 36);
            assert_eq!(embedded_lcs[0].len(), 5);
            assert!(kinds["csbk"] > 0 && kinds["idle"] > 0);

            // Short LCs: one per four CACHs, activity updates that follow the calls.
            assert_eq!(short_lcs.len(), total / 4);
            let first = short_lcs[0].fields();
            assert_eq!(first["slco"], 1);
            assert_eq!(first["ts1_activity"], 8);
            assert_eq!(first["ts1_hash"], address_hash(9));
            assert_eq!(first["ts2_activity"], 9);
            assert_eq!(first["ts2_hash"], address_hash(4_600_123));
            assert!(short_lcs.iter().any(|s| s.fields()["ts2_activity"] == 0
                && s.fields()["ts1_hash"] == address_hash(46_001)));
        }
    }

    #[test]
    fn bs_outbound_without_calls_is_idle_and_short_lc_null_activity() {
        let (stream, bursts) = bs_outbound(1, Standard::Dmr, &[], 8, None);
        assert!(bursts
            .iter()
            .all(|b| b.kind == "idle" && b.data_type == Some(9)));
        let mut a = ShortLcAssembler::new();
        let mut got = vec![];
        for i in 0..8 {
            let (t, _, p) = cach_decode(&stream[288 * i..288 * i + 24]).unwrap();
            if let Some(r) = a.push(t.lcss, &p) {
                got.push(r.unwrap());
            }
        }
        assert_eq!(got, [ShortLc::activity(0, 0, 0, 0); 2]);
    }
}
