//! Recording a live stream as SigMF, readable at every moment.
//!
//! Unlike [`super::sigmf_writer`] (which publishes a finished file atomically), a recording of a
//! live session must survive the process being killed or the power failing. So the meta file is
//! written first (atomically) and only rewritten — atomically — when something it describes
//! changes: a gap starts a new capture segment with its own `core:datetime`, and the end of the
//! session marks it complete. The data file is appended in whole samples in the device's native
//! format. Every write is a whole number of samples and sample sizes (2, 4, 8 bytes) divide the
//! page size, so even a write cut short by SIGKILL ends on a sample boundary: the pair on disk is
//! always a valid SigMF recording of what arrived, at most the last block short.
//! `linkscope info --repair` trims a partial trailing sample left by a power loss.
//!
//! `linkscope:state` in the meta's `global` says `recording` until the session ends cleanly,
//! then `complete` (or `ended by error: …`).

use super::atomic::write_atomic;
use super::sigmf_writer::{data_path, meta_json_segments, meta_path, SigmfHeader};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A SigMF recording being streamed to disk.
#[derive(Debug)]
pub struct Recorder {
    base: PathBuf,
    header: SigmfHeader,
    file: File,
    bps: u64,
    written: u64,
    segments: Vec<(u64, Option<DateTime<Utc>>)>,
    annotations: Vec<Value>,
    dropped: u64,
}

impl Recorder {
    /// Start `BASE.sigmf-meta` + `BASE.sigmf-data`. An existing recording is never replaced
    /// unless `overwrite`.
    pub fn create(base: &Path, mut header: SigmfHeader, overwrite: bool) -> io::Result<Recorder> {
        let (d, m) = (data_path(base), meta_path(base));
        if !overwrite {
            for p in [&d, &m] {
                if p.exists() {
                    return Err(io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        format!(
                            "{} already exists: choose another name or give --force to replace it",
                            p.display()
                        ),
                    ));
                }
            }
        }
        if let Some(dir) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !dir.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{}: no such directory", dir.display()),
                ));
            }
        }
        header.extra_global.insert(
            "core:extensions".into(),
            json!([{"name": "linkscope", "version": env!("CARGO_PKG_VERSION"), "optional": true}]),
        );
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&d)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", d.display())))?;
        let r = Recorder {
            base: base.to_path_buf(),
            bps: header.format.bytes_per_sample() as u64,
            segments: vec![(0, header.datetime)],
            header,
            file,
            written: 0,
            annotations: Vec::new(),
            dropped: 0,
        };
        r.write_meta("recording")
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", m.display())))?;
        Ok(r)
    }

    /// Samples on disk.
    pub fn samples(&self) -> u64 {
        self.written / self.bps
    }

    /// Append a block of native bytes (whole samples). `gap` samples were lost before it
    /// (`time` is the UTC time of its first sample): a new capture segment starts here.
    pub fn write_block(&mut self, bytes: &[u8], gap: u64, time: DateTime<Utc>) -> io::Result<()> {
        debug_assert_eq!(bytes.len() as u64 % self.bps, 0);
        if gap > 0 && self.written > 0 {
            let start = self.samples();
            self.dropped += gap;
            self.segments.push((start, Some(time)));
            self.annotations.push(json!({
                "core:sample_start": start,
                "core:sample_count": 1,
                "core:label": "gap",
                "core:comment": format!(
                    "{gap} samples ({:.6} s) lost before this sample; time continues from this segment's core:datetime",
                    gap as f64 / self.header.sample_rate_hz
                ),
            }));
            self.write_meta("recording")?;
        }
        if let Err(e) = self.file.write_all(bytes) {
            // Keep the file a whole number of samples (a full disk may have taken part of it).
            let _ = self.file.set_len(self.written);
            return Err(io::Error::new(
                e.kind(),
                format!(
                    "{}: {e} after {} samples; the recording up to there is kept",
                    data_path(&self.base).display(),
                    self.samples()
                ),
            ));
        }
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Samples lost during the recording (sum of the gaps).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn write_meta(&self, state: &str) -> io::Result<()> {
        let mut h = self.header.clone();
        h.extra_global
            .insert("linkscope:state".into(), json!(state));
        if self.dropped > 0 {
            h.extra_global
                .insert("linkscope:dropped_samples".into(), json!(self.dropped));
        }
        let meta = meta_json_segments(&h, &self.segments, &self.annotations);
        write_atomic(
            &meta_path(&self.base),
            serde_json::to_string_pretty(&meta)?.as_bytes(),
        )
    }

    /// End the recording: data synced, the meta marked `complete` (or with the error that ended
    /// it). Returns the meta path.
    pub fn finish(self, error: Option<&str>) -> io::Result<PathBuf> {
        self.file.sync_all()?;
        let state = match error {
            None => "complete".to_string(),
            Some(e) => format!("ended by error: {e}"),
        };
        self.write_meta(&state)?;
        Ok(meta_path(&self.base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Capture, OpenOptions as Open, SampleFormat};
    use serde_json::Map;

    fn header() -> SigmfHeader {
        SigmfHeader {
            format: SampleFormat::Cu8,
            sample_rate_hz: 1000.0,
            center_freq_hz: Some(355e6),
            datetime: Some("2026-11-29T05:00:00Z".parse().unwrap()),
            description: None,
            hw: Some("test".into()),
            extra_global: Map::new(),
        }
    }

    #[test]
    fn readable_while_recording_and_gaps_start_segments() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("rec");
        let mut r = Recorder::create(&base, header(), false).unwrap();
        let t0: DateTime<Utc> = "2026-11-29T05:00:00Z".parse().unwrap();
        r.write_block(&[1u8; 200], 0, t0).unwrap();
        // Readable now, before finish (as after a SIGKILL).
        let c = Capture::open(&base, &Open::default()).unwrap();
        assert_eq!(c.info.num_samples, 100);
        let t1 = t0 + chrono::Duration::milliseconds(150);
        r.write_block(&[2u8; 100], 50, t1).unwrap();
        let meta = std::fs::read_to_string(meta_path(&base)).unwrap();
        assert!(meta.contains("\"recording\""), "{meta}");
        r.finish(None).unwrap();
        let c = Capture::open(&base, &Open::default()).unwrap();
        assert_eq!(c.info.num_samples, 150);
        assert_eq!(c.info.segments.len(), 2);
        assert_eq!(c.info.segments[1].sample_start, 100);
        assert_eq!(c.info.segments[1].datetime, Some(t1));
        assert_eq!(c.info.annotations[0].label.as_deref(), Some("gap"));
        // Never replaces an existing recording by default.
        let e = Recorder::create(&base, header(), false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
    }
}
