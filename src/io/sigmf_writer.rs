//! Writing SigMF recordings: data streamed to `NAME.sigmf-data`, metadata written atomically.
//!
//! While a recording is being written its data goes to a hidden `.NAME.sigmf-data.partial-PID`
//! file; [`SigmfWriter::finish`] syncs it, moves it into place and then writes the meta
//! atomically. A writer dropped before `finish` (an error, Ctrl-C) removes the partial file, so
//! a recording on disk is always complete.

use super::atomic::{write_atomic, AtomicFile};
use super::SampleFormat;
use chrono::{DateTime, SecondsFormat, Utc};
use linkscope_dsp::convert::from_complex;
use linkscope_dsp::Complex32;
use serde_json::{json, Map, Value};
use std::io::Write;
use std::path::{Path, PathBuf};

/// What goes into the `global` object and the first capture segment.
#[derive(Debug, Clone)]
pub struct SigmfHeader {
    /// Sample encoding on disk.
    pub format: SampleFormat,
    /// Samples per second.
    pub sample_rate_hz: f64,
    /// Centre frequency (captures[0].core:frequency).
    pub center_freq_hz: Option<f64>,
    /// Time of sample 0.
    pub datetime: Option<DateTime<Utc>>,
    /// `core:description`.
    pub description: Option<String>,
    /// `core:hw`.
    pub hw: Option<String>,
    /// More `global` fields (extension namespaces, e.g. `linkscope:scene`).
    pub extra_global: Map<String, Value>,
}

/// A SigMF recording being written.
#[derive(Debug)]
pub struct SigmfWriter {
    base: PathBuf,
    header: SigmfHeader,
    data: AtomicFile,
    buf: Vec<u8>,
    samples: u64,
    annotations: Vec<Value>,
}

impl SigmfWriter {
    /// Start `BASE.sigmf-data` / `BASE.sigmf-meta` (`base` without extension).
    pub fn create(base: &Path, header: SigmfHeader) -> std::io::Result<SigmfWriter> {
        let data = AtomicFile::create(&data_path(base))?;
        Ok(SigmfWriter {
            base: base.to_path_buf(),
            header,
            data,
            buf: Vec::new(),
            samples: 0,
            annotations: Vec::new(),
        })
    }

    /// Append complex samples (quantised to the header's format).
    pub fn write(&mut self, x: &[Complex32]) -> std::io::Result<()> {
        self.buf.clear();
        from_complex(self.header.format, x, &mut self.buf);
        self.data.write_all(&self.buf)?;
        self.samples += x.len() as u64;
        Ok(())
    }

    /// Samples written so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }

    /// Add an annotation (`core:sample_start`, `core:sample_count`, label, comment).
    pub fn annotate(&mut self, start: u64, count: u64, label: &str, comment: Option<&str>) {
        let mut a = json!({
            "core:sample_start": start,
            "core:sample_count": count,
            "core:label": label,
        });
        if let Some(c) = comment {
            a["core:comment"] = json!(c);
        }
        self.annotations.push(a);
    }

    /// Complete the recording; returns the meta path.
    pub fn finish(self) -> std::io::Result<PathBuf> {
        self.data.commit()?;
        let meta = meta_json(&self.header, &self.annotations);
        let path = meta_path(&self.base);
        write_atomic(&path, serde_json::to_string_pretty(&meta)?.as_bytes())?;
        Ok(path)
    }
}

/// `BASE.sigmf-data`.
pub fn data_path(base: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sigmf-data", base.display()))
}

/// `BASE.sigmf-meta`.
pub fn meta_path(base: &Path) -> PathBuf {
    PathBuf::from(format!("{}.sigmf-meta", base.display()))
}

fn meta_json(h: &SigmfHeader, annotations: &[Value]) -> Value {
    meta_json_segments(h, &[(0, h.datetime)], annotations)
}

/// The meta document with one capture segment per `(sample_start, datetime)` (a recording with
/// gaps starts a new segment after each), all at the header's centre frequency.
pub(crate) fn meta_json_segments(
    h: &SigmfHeader,
    segments: &[(u64, Option<DateTime<Utc>>)],
    annotations: &[Value],
) -> Value {
    let mut global = Map::new();
    global.insert("core:datatype".into(), json!(h.format.sigmf_name()));
    global.insert("core:sample_rate".into(), json!(h.sample_rate_hz));
    global.insert("core:version".into(), json!("1.2.0"));
    global.insert(
        "core:recorder".into(),
        json!(concat!("linkscope ", env!("CARGO_PKG_VERSION"))),
    );
    if let Some(d) = &h.description {
        global.insert("core:description".into(), json!(d));
    }
    if let Some(hw) = &h.hw {
        global.insert("core:hw".into(), json!(hw));
    }
    for (k, v) in &h.extra_global {
        global.insert(k.clone(), v.clone());
    }
    let captures: Vec<Value> = segments
        .iter()
        .map(|&(start, time)| {
            let mut cap = Map::new();
            cap.insert("core:sample_start".into(), json!(start));
            if let Some(f) = h.center_freq_hz {
                cap.insert("core:frequency".into(), json!(f));
            }
            if let Some(t) = time {
                cap.insert(
                    "core:datetime".into(),
                    json!(t.to_rfc3339_opts(SecondsFormat::Micros, true)),
                );
            }
            Value::Object(cap)
        })
        .collect();
    json!({
        "global": global,
        "captures": captures,
        "annotations": annotations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Capture, OpenOptions};

    #[test]
    fn written_recording_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("rec");
        let mut w = SigmfWriter::create(
            &base,
            SigmfHeader {
                format: SampleFormat::Ci16Le,
                sample_rate_hz: 48_000.0,
                center_freq_hz: Some(355e6),
                datetime: Some("2026-01-02T03:04:05.5Z".parse().unwrap()),
                description: None,
                hw: None,
                extra_global: Map::new(),
            },
        )
        .unwrap();
        let x: Vec<Complex32> = (0..1000)
            .map(|i| Complex32::new(0.5, i as f32 / 2000.0))
            .collect();
        w.write(&x).unwrap();
        w.annotate(10, 20, "burst", None);
        // Nothing visible before finish.
        assert!(!data_path(&base).exists() && !meta_path(&base).exists());
        w.finish().unwrap();
        let mut c = Capture::open(&meta_path(&base), &OpenOptions::default()).unwrap();
        assert_eq!(c.info.num_samples, 1000);
        assert_eq!(c.info.center_freq_hz, Some(355e6));
        assert_eq!(c.info.annotations.len(), 1);
        assert_eq!(
            c.info
                .datetime
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-01-02T03:04:05.500Z"
        );
        let mut y = vec![Complex32::default(); 2000];
        assert_eq!(c.read_complex(&mut y).unwrap(), 1000);
        assert!((y[999] - x[999]).norm() < 1e-4);
    }
}
