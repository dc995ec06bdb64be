//! What a technician reads from the bursts: one JSON object or terminal line per burst, calls
//! per slot, counts by sync and data type, and the summary with the link metrics.

use super::burst::{data_type_name, FullLc};
use super::rx::{PdtReceiver, RxBurst};
use crate::fec::dmr::Standard;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Bursts of the same talker to the same destination closer than this belong to one call, s.
const CALL_HANG_S: f64 = 2.0;

/// Nominal outer-symbol deviation, Hz.
const NOMINAL_DEV_HZ: f64 = 1944.0;

fn r(v: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (v * p).round() / p
}

/// The fields of a full LC.
pub fn lc_json(lc: &FullLc) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("flco".into(), json!(lc.flco));
    m.insert(
        "call".into(),
        json!(match lc.flco {
            0 => "group",
            3 => "private",
            _ => "other",
        }),
    );
    m.insert("fid".into(), json!(lc.fid));
    m.insert("service_options".into(), json!(lc.service_options));
    m.insert("emergency".into(), json!(lc.service_options & 0x80 != 0));
    m.insert("encrypted".into(), json!(lc.service_options & 0x40 != 0));
    m.insert("dst_id".into(), json!(lc.dst_id));
    m.insert("src_id".into(), json!(lc.src_id));
    m
}

/// One burst as a JSON object.
pub fn burst_json(b: &RxBurst) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("t_s".into(), json!(r(b.t_s, 5)));
    m.insert("slot".into(), json!(b.slot));
    m.insert("sync".into(), json!(b.sync.map(|s| s.name())));
    m.insert(
        "burst".into(),
        json!(if b.data.is_some() {
            "data"
        } else if b.sync == Some(super::burst::SyncKind::MsRc) {
            "reverse_channel"
        } else {
            "voice"
        }),
    );
    if let Some(v) = b.voice_letter {
        m.insert("voice_burst".into(), json!(v.to_string()));
    }
    m.insert("color_code".into(), json!(b.color_code()));
    let d = b.data.as_ref();
    m.insert("data_type".into(), json!(d.map(|d| d.data_type)));
    if let Some(d) = d {
        m.insert("data_type_name".into(), json!(data_type_name(d.data_type)));
        m.insert("slot_type_errors".into(), json!(d.slot_type_errors));
        m.insert("bptc_corrected".into(), json!(d.bptc_corrected));
    }
    m.insert("fec_ok".into(), json!(b.fec_ok));
    m.insert("standard".into(), json!(b.standard().map(Standard::name)));
    m.insert("ber".into(), json!(b.ber().map(|v| r(v, 5))));
    m.insert("bit_errors".into(), json!(b.bit_errors));
    m.insert("bits_checked".into(), json!(b.bits_checked));
    if b.sync.is_some() {
        m.insert("sync_errors".into(), json!(b.sync_errors));
    }
    if let Some((e, fixed)) = &b.emb {
        m.insert(
            "emb".into(),
            json!({"pi": e.pi, "lcss": e.lcss, "corrected": fixed}),
        );
    }
    if let Some(d) = d.filter(|d| d.check.is_some()) {
        if let Some(lc) = &d.lc {
            m.extend(lc_json(lc));
        }
        match d.data_type {
            3 => m.extend(super::lc::Csbk::from_pdu(&d.pdu).fields()),
            6 => {
                if let Some(std) = d.check.flatten() {
                    m.extend(super::lc::DataHeader::decode(&d.pdu, std).fields());
                }
            }
            0 => {
                m.insert("encrypted".into(), json!(true));
            }
            _ => {}
        }
        if !matches!(d.data_type, 1 | 2 | 9) {
            m.insert("pdu_hex".into(), json!(hex(&d.pdu[..10])));
        }
    }
    if let Some(lc) = &b.embedded_lc {
        m.insert("embedded_lc".into(), Value::Object(lc_json(lc)));
    }
    if let Some((t, fixed)) = &b.tact {
        m.insert(
            "cach".into(),
            json!({"at": t.at, "tc": t.tc, "lcss": t.lcss, "corrected": fixed}),
        );
    }
    if let Some(s) = &b.short_lc {
        m.insert("short_lc".into(), Value::Object(s.fields()));
    }
    if let Some(n) = b.nvoc_frames {
        m.insert("nvoc_frames".into(), json!(n));
    }
    m.insert("inverted".into(), json!(b.inverted));
    let x = &b.metrics;
    m.insert(
        "freq_error_hz".into(),
        json!(x.freq_error_hz.map(|v| r(v, 1))),
    );
    m.insert(
        "deviation_hz".into(),
        json!(x.deviation_hz.map(|v| r(v, 1))),
    );
    m.insert("fsk_error_pct".into(), json!(r(x.fsk_error_pct, 2)));
    m.insert(
        "mag_error_pct".into(),
        json!(x.mag_error_pct.map(|v| r(v, 2))),
    );
    m.insert("rssi_dbfs".into(), json!(x.rssi_dbfs.map(|v| r(v, 1))));
    m
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|v| format!("{v:02X}")).collect()
}

/// One terminal line per burst.
pub fn burst_line(b: &RxBurst) -> String {
    let slot = b
        .slot
        .map(|s| format!("TS{s}"))
        .unwrap_or_else(|| "TS?".into());
    let cc = b
        .color_code()
        .map(|c| format!("CC{c:<2}"))
        .unwrap_or_else(|| "    ".into());
    let what = match (&b.data, b.voice_letter) {
        (Some(d), _) => {
            let mut s = data_type_name(d.data_type).to_string();
            if let Some(lc) = &d.lc {
                s += &format!(
                    " {} {} → {}",
                    if lc.flco == 3 { "private" } else { "group" },
                    lc.src_id,
                    lc.dst_id
                );
            }
            if d.data_type == 3 && d.check.is_some() {
                let c = super::lc::Csbk::from_pdu(&d.pdu);
                s += &format!(" {}", c.name());
            }
            if d.check.is_none() {
                s += " (check failed)";
            }
            s
        }
        (None, Some(v)) => {
            let mut s = format!("voice {v}");
            if let Some(lc) = &b.embedded_lc {
                s += &format!(" embedded LC {} → {}", lc.src_id, lc.dst_id);
            }
            s
        }
        _ => "reverse channel".into(),
    };
    let std = b
        .standard()
        .map(|s| format!(" [{}]", s.name()))
        .unwrap_or_default();
    let metrics = match (b.metrics.freq_error_hz, b.metrics.deviation_hz) {
        (Some(f), Some(d)) => format!(
            "  {f:+6.0} Hz  dev {d:5.0} Hz  FSK err {:4.1} %",
            b.metrics.fsk_error_pct
        ),
        _ => format!("  FSK err {:4.1} %", b.metrics.fsk_error_pct),
    };
    let ber = b
        .ber()
        .map(|v| format!("  BER {:.1e}", v))
        .unwrap_or_default();
    format!(
        "{:10.4} {slot} {cc} {:<9} {what}{std}{metrics}{ber}",
        b.t_s,
        b.sync.map(|s| s.name()).unwrap_or("–")
    )
}

/// A call seen on a slot.
#[derive(Debug, Clone, Serialize)]
pub struct Call {
    /// Timeslot.
    pub slot: Option<u8>,
    /// Group or private.
    pub call: &'static str,
    /// Source ID.
    pub src_id: u32,
    /// Destination ID (talkgroup or radio).
    pub dst_id: u32,
    /// Service options byte.
    pub service_options: u8,
    /// Standard its header/terminator validated with (None when only the embedded LC, which
    /// cannot tell, was seen).
    pub standard: Option<&'static str>,
    /// First and last burst, s.
    pub start_s: f64,
    /// Last burst of the call, s.
    pub end_s: f64,
    /// Voice bursts.
    pub voice_bursts: u64,
    /// Where the addresses were read: voice LC header, embedded LC, terminator.
    pub seen_in: Vec<&'static str>,
    /// The vocoder: "nvoc" when most frames pass the NVOC FEC, else "ambe+2 (assumed)".
    pub vocoder: Option<&'static str>,
    #[serde(skip)]
    nvoc: (u64, u64),
}

/// Per-slot counts.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SlotSummary {
    /// Timeslot.
    pub slot: u8,
    /// Bursts.
    pub bursts: u64,
    /// By kind: voice, idle, csbk, …
    pub by_type: BTreeMap<String, u64>,
}

/// The summary line.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// One-line verdict.
    pub status: String,
    /// Input duration, s.
    pub duration_s: f64,
    /// Bursts reported.
    pub bursts: u64,
    /// Data/control bursts whose checks passed.
    pub data_valid: u64,
    /// Data/control bursts whose checks failed.
    pub data_failed: u64,
    /// Voice bursts.
    pub voice_bursts: u64,
    /// Voice bursts B–F expected but not recognised (EMB failed).
    pub emb_failed: u64,
    /// Lock losses.
    pub sync_losses: u64,
    /// Bursts cut by the end of the input.
    pub truncated_bursts: u64,
    /// By sync pattern.
    pub by_sync: BTreeMap<String, u64>,
    /// By data type (validated).
    pub by_data_type: BTreeMap<String, u64>,
    /// Colour codes of validated bursts.
    pub color_codes: Vec<u8>,
    /// Bursts validated with each mask set.
    pub standard_counts: BTreeMap<String, u64>,
    /// "dmr", "pdt", "mixed" or null.
    pub standard: Option<String>,
    /// Per slot.
    pub slots: Vec<SlotSummary>,
    /// Calls.
    pub calls: Vec<Call>,
    /// "normal" / "inverted".
    pub polarity: Option<&'static str>,
    /// Mean carrier frequency error over validated bursts, Hz (complex input).
    pub freq_error_hz: Option<f64>,
    /// Mean outer-symbol deviation, Hz (complex input).
    pub deviation_hz: Option<f64>,
    /// Deviation error against the nominal 1944 Hz, %.
    pub deviation_error_pct: Option<f64>,
    /// RMS FSK error, %.
    pub fsk_error_pct: Option<f64>,
    /// RMS magnitude error, % (complex input).
    pub mag_error_pct: Option<f64>,
    /// Symbol-clock error, ppm (positive: fast).
    pub clock_error_ppm: Option<f64>,
    /// Bit error ratio over every bit checked (re-encoded bursts, sync, EMB, TACT).
    pub ber: Option<f64>,
    /// Bits checked for the BER.
    pub bits_checked: u64,
    /// Mean burst power, dBFS (complex input).
    pub rssi_dbfs: Option<f64>,
    /// The last short LC of each SLCO.
    pub short_lc: Vec<Value>,
}

impl Summary {
    /// Lines of the terminal summary.
    pub fn text(&self) -> Vec<String> {
        let mut v = vec![format!(
            "{:.1} s: {} bursts ({} data/control valid, {} failed, {} voice), {} sync losses{}",
            self.duration_s,
            self.bursts,
            self.data_valid,
            self.data_failed,
            self.voice_bursts,
            self.sync_losses,
            if self.truncated_bursts > 0 {
                format!(
                    ", {} burst cut by the end of the input",
                    self.truncated_bursts
                )
            } else {
                String::new()
            }
        )];
        if !self.color_codes.is_empty() {
            v.push(format!(
                "colour code {:?}, standard {}, polarity {}",
                self.color_codes,
                self.standard.as_deref().unwrap_or("–"),
                self.polarity.unwrap_or("–")
            ));
        }
        for s in &self.slots {
            let kinds: Vec<String> = s.by_type.iter().map(|(k, n)| format!("{k} {n}")).collect();
            v.push(format!(
                "slot {}: {} bursts — {}",
                s.slot,
                s.bursts,
                kinds.join(", ")
            ));
        }
        for c in &self.calls {
            v.push(format!(
                "  call TS{} {} {} → {} ({:.2}–{:.2} s, {} voice bursts{}{})",
                c.slot.map(|s| s.to_string()).unwrap_or("?".into()),
                c.call,
                c.src_id,
                c.dst_id,
                c.start_s,
                c.end_s,
                c.voice_bursts,
                c.standard.map(|s| format!(", {s}")).unwrap_or_default(),
                c.vocoder.map(|s| format!(", {s}")).unwrap_or_default()
            ));
        }
        let f = |x: Option<f64>, unit: &str, d: usize| {
            x.map(|x| format!("{x:.d$} {unit}"))
                .unwrap_or_else(|| "–".into())
        };
        v.push(format!(
            "carrier error {}, deviation {} ({}), FSK error {}, magnitude error {}",
            f(self.freq_error_hz, "Hz", 0),
            f(self.deviation_hz, "Hz", 0),
            f(self.deviation_error_pct, "%", 1),
            f(self.fsk_error_pct, "%", 2),
            f(self.mag_error_pct, "%", 2)
        ));
        v.push(format!(
            "symbol clock {}, BER {} over {} bits, RSSI {}",
            f(self.clock_error_ppm, "ppm", 1),
            self.ber
                .map(|b| format!("{b:.2e}"))
                .unwrap_or_else(|| "–".into()),
            self.bits_checked,
            f(self.rssi_dbfs, "dBFS", 1)
        ));
        v
    }
}

/// Collects bursts for the summary and the plots.
pub struct Monitor {
    by_sync: BTreeMap<String, u64>,
    by_dt: BTreeMap<String, u64>,
    ccs: Vec<u8>,
    std: BTreeMap<String, u64>,
    slots: BTreeMap<u8, SlotSummary>,
    calls: Vec<Call>,
    open: [Option<usize>; 3],
    short_lc: BTreeMap<u8, Value>,
    keep_plots: bool,
    /// Eye traces (8 points per symbol, symbol units), up to 400 bursts.
    pub eye: Vec<Vec<f32>>,
    /// (t_s, deviation Hz or relative) per validated burst.
    pub deviation: Vec<(f64, f64)>,
    /// Symbol-instant values in symbol units (±1, ±3 ideal).
    pub symbols: Vec<f32>,
    /// Whether deviations are in Hz (complex input).
    pub deviation_in_hz: bool,
}

impl Monitor {
    /// A monitor; `keep_plots` keeps eye traces and deviations for [`crate::report::plot`].
    pub fn new(keep_plots: bool) -> Monitor {
        Monitor {
            by_sync: BTreeMap::new(),
            by_dt: BTreeMap::new(),
            ccs: Vec::new(),
            std: BTreeMap::new(),
            slots: BTreeMap::new(),
            calls: Vec::new(),
            open: [None; 3],
            short_lc: BTreeMap::new(),
            keep_plots,
            eye: Vec::new(),
            deviation: Vec::new(),
            symbols: Vec::new(),
            deviation_in_hz: false,
        }
    }

    /// Account for one burst.
    pub fn add(&mut self, b: &RxBurst) {
        if let Some(s) = b.sync {
            *self.by_sync.entry(s.name().into()).or_default() += 1;
        }
        let valid = b.data.as_ref().filter(|d| d.check.is_some());
        let kind = match (&b.data, b.voice_letter) {
            (Some(d), _) if d.check.is_some() => data_type_name(d.data_type).to_string(),
            (Some(_), _) => "failed".into(),
            (None, Some(_)) => "voice".into(),
            _ => "reverse_channel".into(),
        };
        if let Some(d) = valid {
            *self
                .by_dt
                .entry(data_type_name(d.data_type).into())
                .or_default() += 1;
            if !self.ccs.contains(&d.color_code) {
                self.ccs.push(d.color_code);
                self.ccs.sort_unstable();
            }
            if let Some(s) = d.check.flatten() {
                *self.std.entry(s.name().into()).or_default() += 1;
            }
        }
        let slot_key = b.slot.unwrap_or(0);
        let ss = self.slots.entry(slot_key).or_insert_with(|| SlotSummary {
            slot: slot_key,
            ..Default::default()
        });
        ss.bursts += 1;
        *ss.by_type.entry(kind).or_default() += 1;
        if let Some(s) = &b.short_lc {
            self.short_lc.insert(s.slco, Value::Object(s.fields()));
        }
        // Calls.
        let si = (slot_key as usize).min(2);
        let lc = valid.and_then(|d| d.lc.map(|lc| (lc, d.data_type, d.check.flatten())));
        let lc = lc.or(b.embedded_lc.map(|lc| (lc, 0xFF, None)));
        if let Some((lc, dt, std)) = lc {
            let same = self.open[si]
                .map(|i| &self.calls[i])
                .is_some_and(|c| c.src_id == lc.src_id && c.dst_id == lc.dst_id);
            // The same talker and destination again within the hang time (a repeater's idle
            // burst or a lost terminator between two overs) continue the same call.
            let resumed = self.calls.iter().rposition(|c| {
                c.slot == b.slot
                    && c.src_id == lc.src_id
                    && c.dst_id == lc.dst_id
                    && b.t_s - c.end_s < CALL_HANG_S
            });
            if !same && resumed.is_some() && self.open[si].is_none() {
                self.open[si] = resumed;
            } else if !same {
                self.calls.push(Call {
                    slot: b.slot,
                    call: if lc.flco == 3 { "private" } else { "group" },
                    src_id: lc.src_id,
                    dst_id: lc.dst_id,
                    service_options: lc.service_options,
                    standard: None,
                    start_s: b.t_s,
                    end_s: b.t_s,
                    voice_bursts: 0,
                    seen_in: Vec::new(),
                    vocoder: None,
                    nvoc: (0, 0),
                });
                self.open[si] = Some(self.calls.len() - 1);
            }
            let c = &mut self.calls[self.open[si].unwrap_or(0)];
            let how = match dt {
                1 => "voice_lc_header",
                2 => "terminator",
                _ => "embedded_lc",
            };
            if !c.seen_in.contains(&how) {
                c.seen_in.push(how);
            }
            if let Some(s) = std {
                c.standard = Some(s.name());
            }
            c.end_s = b.t_s;
            if dt == 2 {
                self.open[si] = None;
            }
        }
        if b.voice_letter.is_some() {
            if let Some(i) = self.open[si] {
                let c = &mut self.calls[i];
                c.voice_bursts += 1;
                c.end_s = b.t_s;
                if let Some(n) = b.nvoc_frames {
                    c.nvoc.0 += n as u64;
                    c.nvoc.1 += 3;
                    c.vocoder = Some(if c.nvoc.0 * 10 >= c.nvoc.1 * 8 {
                        "nvoc"
                    } else {
                        "ambe+2 (assumed)"
                    });
                }
            }
        } else if valid.is_some_and(|d| d.data_type == 9) {
            self.open[si] = None;
        }
        if self.keep_plots && b.fec_ok {
            if let Some(e) = &b.eye {
                if self.eye.len() < 400 {
                    self.eye.push(e.clone());
                }
                if self.symbols.len() < 200_000 {
                    self.symbols.extend(e.iter().step_by(8).copied());
                }
            }
            let dev = match b.metrics.deviation_hz {
                Some(d) => {
                    self.deviation_in_hz = true;
                    d
                }
                None => 100.0,
            };
            self.deviation.push((b.t_s, dev));
        }
    }

    /// The summary after `duration_s` of input.
    pub fn summary(&self, duration_s: f64, rx: &PdtReceiver) -> Summary {
        let st = &rx.stats;
        let n = st.metric_bursts as f64;
        let iq_metrics = n > 0.0 && st.sum_dev_hz != 0.0;
        let standard = match (self.std.get("dmr"), self.std.get("pdt")) {
            (Some(_), Some(_)) => Some("mixed".to_string()),
            (Some(_), None) => Some("dmr".into()),
            (None, Some(_)) => Some("pdt".into()),
            _ => None,
        };
        let status = if st.bursts == 0 {
            "no DMR/PDT burst found (no signal, analogue FM, another digital mode, or the wrong channel/rate)".to_string()
        } else {
            format!(
                "DMR/PDT {} carrier{}, {} bursts",
                standard.as_deref().unwrap_or("(standard not determined)"),
                if self.ccs.is_empty() {
                    String::new()
                } else {
                    format!(
                        ", colour code {}",
                        self.ccs
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join("/")
                    )
                },
                st.bursts
            )
        };
        let dev = iq_metrics.then(|| st.sum_dev_hz / n);
        Summary {
            status,
            duration_s: r(duration_s, 3),
            bursts: st.bursts,
            data_valid: st.data_valid,
            data_failed: st.data_failed,
            voice_bursts: st.voice,
            emb_failed: st.emb_failed,
            sync_losses: st.sync_losses,
            truncated_bursts: st.truncated,
            by_sync: self.by_sync.clone(),
            by_data_type: self.by_dt.clone(),
            color_codes: self.ccs.clone(),
            standard_counts: self.std.clone(),
            standard,
            slots: self.slots.values().cloned().collect(),
            calls: self.calls.clone(),
            polarity: rx.inverted().map(|i| if i { "inverted" } else { "normal" }),
            freq_error_hz: iq_metrics.then(|| r(st.sum_freq_hz / n, 1)),
            deviation_hz: dev.map(|d| r(d, 1)),
            deviation_error_pct: dev.map(|d| r(100.0 * (d / NOMINAL_DEV_HZ - 1.0), 2)),
            fsk_error_pct: (n > 0.0).then(|| r((st.sum_fsk2 / n).sqrt(), 2)),
            mag_error_pct: (iq_metrics && st.sum_power > 0.0)
                .then(|| r((st.sum_mag2 / n).sqrt(), 2)),
            clock_error_ppm: rx.clock_error_ppm().map(|v| r(v, 2)),
            ber: (st.bits_checked > 0).then(|| st.bit_errors as f64 / st.bits_checked as f64),
            bits_checked: st.bits_checked,
            rssi_dbfs: (iq_metrics && st.sum_power > 0.0)
                .then(|| r(10.0 * (st.sum_power / n).log10(), 1)),
            short_lc: self.short_lc.values().cloned().collect(),
        }
    }
}
