//! SigMF metadata parsing with messages that name the field at fault.

use super::{CaptureError, SampleFormat};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::path::Path;

/// One `captures` segment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaptureSegment {
    /// `core:sample_start`.
    pub sample_start: u64,
    /// `core:frequency`, Hz.
    pub frequency_hz: Option<f64>,
    /// `core:datetime`, UTC.
    pub datetime: Option<DateTime<Utc>>,
}

/// One `annotations` entry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotation {
    /// `core:sample_start`.
    pub sample_start: u64,
    /// `core:sample_count` (absent: to the end).
    pub sample_count: Option<u64>,
    /// `core:freq_lower_edge`, Hz.
    pub freq_lower_edge_hz: Option<f64>,
    /// `core:freq_upper_edge`, Hz.
    pub freq_upper_edge_hz: Option<f64>,
    /// `core:label`.
    pub label: Option<String>,
    /// `core:comment`.
    pub comment: Option<String>,
}

/// The parts of a `.sigmf-meta` linkscope uses.
#[derive(Debug, Clone)]
pub struct SigmfMeta {
    /// `core:datatype`.
    pub format: SampleFormat,
    /// `core:sample_rate`.
    pub sample_rate_hz: f64,
    /// `core:version`.
    pub version: Option<String>,
    /// `core:hw`.
    pub hw: Option<String>,
    /// `core:description`.
    pub description: Option<String>,
    /// `core:dataset` (non-conforming dataset file name).
    pub dataset: Option<String>,
    /// `core:header_bytes` of the first capture (NCD only).
    pub header_bytes: u64,
    /// Segments, sorted.
    pub segments: Vec<CaptureSegment>,
    /// Annotations.
    pub annotations: Vec<Annotation>,
    /// The whole `global` object (for extensions such as `reference:truth`).
    pub global: Value,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
}

impl SigmfMeta {
    /// The highest sample index the metadata refers to, and where (to check the data length).
    pub fn samples_referenced(&self) -> Option<(u64, String)> {
        let mut best: Option<(u64, String)> = None;
        let mut consider = |v: u64, what: String| {
            if best.as_ref().is_none_or(|(b, _)| v > *b) {
                best = Some((v, what));
            }
        };
        for (i, s) in self.segments.iter().enumerate() {
            // A segment must start before the end: starting at sample k needs k + 1 samples.
            if s.sample_start > 0 {
                consider(
                    s.sample_start + 1,
                    format!("captures[{i}].core:sample_start = {}", s.sample_start),
                );
            }
        }
        for (i, a) in self.annotations.iter().enumerate() {
            let end = a.sample_start + a.sample_count.unwrap_or(0);
            consider(
                end,
                format!("annotations[{i}] spans samples {}..{end}", a.sample_start),
            );
        }
        best
    }
}

/// Parse the text of a `.sigmf-meta` file at `path`.
pub fn parse_meta(path: &Path, text: &[u8]) -> Result<SigmfMeta, CaptureError> {
    let bad = |msg: String| CaptureError::invalid(path, msg);
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(bad(
            "the metadata file is empty (expected a SigMF JSON object)".into(),
        ));
    }
    let root: Value = serde_json::from_slice(text).map_err(|e| {
        bad(format!(
            "invalid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let obj = root.as_object().ok_or_else(|| {
        bad("top level is not a JSON object (expected global/captures/annotations)".into())
    })?;
    let global = obj
        .get("global")
        .and_then(Value::as_object)
        .ok_or_else(|| bad("the object 'global' is missing (required by SigMF)".into()))?;
    let mut warnings = Vec::new();

    let dt = global.get("core:datatype").ok_or_else(|| {
        bad(
            "global.core:datatype is missing (required: e.g. \"cu8\", \"ci16_le\", \"cf32_le\")"
                .into(),
        )
    })?;
    let dt = dt
        .as_str()
        .ok_or_else(|| bad(format!("global.core:datatype must be a string, found {dt}")))?;
    let format = SampleFormat::from_name(dt)
        .filter(|f| f.sigmf_name() == dt || dt == "ci16" || dt == "cf32")
        .ok_or_else(|| {
            let names: Vec<&str> = SampleFormat::ALL.iter().map(|f| f.sigmf_name()).collect();
            bad(format!(
                "global.core:datatype \"{dt}\" is not supported (supported: {})",
                names.join(", ")
            ))
        })?;

    let rate = global.get("core:sample_rate").ok_or_else(|| {
        bad("global.core:sample_rate is missing: the sample rate is needed to know time and frequency".into())
    })?;
    let sample_rate_hz = rate
        .as_f64()
        .filter(|r| r.is_finite() && *r > 0.0)
        .ok_or_else(|| {
            bad(format!(
                "global.core:sample_rate must be a positive number, found {rate}"
            ))
        })?;

    let string = |k: &str| global.get(k).and_then(Value::as_str).map(str::to_owned);
    let version = string("core:version");
    if version.is_none() {
        warnings.push("global.core:version is missing (required by SigMF)".into());
    }
    if let Some(nc) = global.get("core:num_channels").and_then(Value::as_u64) {
        if nc != 1 {
            return Err(bad(format!(
                "global.core:num_channels = {nc}: multi-channel recordings are not supported (one channel expected)"
            )));
        }
    }
    if global.get("core:metadata_only").and_then(Value::as_bool) == Some(true) {
        return Err(bad(
            "global.core:metadata_only is true: this recording has no samples".into(),
        ));
    }

    let mut segments = Vec::new();
    let mut header_bytes = 0;
    match obj.get("captures") {
        None => {
            warnings.push("'captures' is missing (required by SigMF); assuming one segment".into())
        }
        Some(Value::Array(items)) => {
            for (i, c) in items.iter().enumerate() {
                let c = c
                    .as_object()
                    .ok_or_else(|| bad(format!("captures[{i}] is not an object")))?;
                let start = c
                    .get("core:sample_start")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad(format!("captures[{i}].core:sample_start is missing or not a non-negative integer")))?;
                let frequency_hz = match c.get("core:frequency") {
                    None => None,
                    Some(v) => Some(v.as_f64().filter(|f| f.is_finite()).ok_or_else(|| {
                        bad(format!(
                            "captures[{i}].core:frequency must be a number, found {v}"
                        ))
                    })?),
                };
                let datetime = match c.get("core:datetime").and_then(Value::as_str) {
                    None => None,
                    Some(s) => match DateTime::parse_from_rfc3339(s) {
                        Ok(t) => Some(t.with_timezone(&Utc)),
                        Err(_) => {
                            warnings.push(format!(
                                "captures[{i}].core:datetime \"{s}\" is not RFC 3339 (e.g. 2025-03-01T08:15:30.123Z); ignored"
                            ));
                            None
                        }
                    },
                };
                if i == 0 {
                    header_bytes = c
                        .get("core:header_bytes")
                        .and_then(Value::as_u64)
                        .unwrap_or(0);
                }
                segments.push(CaptureSegment {
                    sample_start: start,
                    frequency_hz,
                    datetime,
                });
            }
        }
        Some(v) => return Err(bad(format!("'captures' must be an array, found {v}"))),
    }
    if segments
        .windows(2)
        .any(|w| w[1].sample_start < w[0].sample_start)
    {
        warnings.push("captures are not sorted by core:sample_start; sorted on reading".into());
        segments.sort_by_key(|s| s.sample_start);
    }
    if segments.is_empty() {
        segments.push(CaptureSegment::default());
    }
    if segments[0].frequency_hz.is_none() {
        warnings.push(
            "captures[0].core:frequency is missing: RF frequencies unknown (give --freq)".into(),
        );
    }
    if segments[0].datetime.is_none() {
        warnings.push("captures[0].core:datetime is missing: absolute times unknown".into());
    }

    let mut annotations = Vec::new();
    match obj.get("annotations") {
        None => warnings.push("'annotations' is missing (required by SigMF, may be empty)".into()),
        Some(Value::Array(items)) => {
            for (i, a) in items.iter().enumerate() {
                let a = a
                    .as_object()
                    .ok_or_else(|| bad(format!("annotations[{i}] is not an object")))?;
                let start = a
                    .get("core:sample_start")
                    .and_then(Value::as_u64)
                    .ok_or_else(|| bad(format!("annotations[{i}].core:sample_start is missing or not a non-negative integer")))?;
                let s = |k: &str| a.get(k).and_then(Value::as_str).map(str::to_owned);
                annotations.push(Annotation {
                    sample_start: start,
                    sample_count: a.get("core:sample_count").and_then(Value::as_u64),
                    freq_lower_edge_hz: a.get("core:freq_lower_edge").and_then(Value::as_f64),
                    freq_upper_edge_hz: a.get("core:freq_upper_edge").and_then(Value::as_f64),
                    label: s("core:label"),
                    comment: s("core:comment"),
                });
            }
        }
        Some(v) => return Err(bad(format!("'annotations' must be an array, found {v}"))),
    }

    Ok(SigmfMeta {
        format,
        sample_rate_hz,
        version,
        hw: string("core:hw"),
        description: string("core:description"),
        dataset: string("core:dataset"),
        header_bytes,
        segments,
        annotations,
        global: Value::Object(global.clone()),
        warnings,
    })
}
