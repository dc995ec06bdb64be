//! Sources and sinks of samples.
//!
//! [`Capture::open`] reads every file form a technician has: a SigMF pair (`NAME.sigmf-meta` +
//! `NAME.sigmf-data`, either path or the bare `NAME`), a SigMF archive (`NAME.sigmf`, a tar), a
//! 2-channel (IQ) or 1-channel (audio) WAV, or a raw file described by [`OpenOptions`]. Samples
//! are streamed in blocks: memory does not grow with the file.

pub mod atomic;
pub mod device;
pub mod gps;
pub mod recorder;
pub mod rtltcp;
mod sigmf;
pub mod sigmf_writer;
#[cfg(feature = "soapy")]
pub mod soapy;

pub use linkscope_dsp::convert::SampleFormat;
pub use sigmf::{parse_meta, Annotation, CaptureSegment, SigmfMeta};

use chrono::{DateTime, Utc};
use linkscope_dsp::convert::Converter;
use linkscope_dsp::Complex32;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// A problem with an input, naming the file and what was expected.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    /// The operating system refused (missing file, permissions, read error).
    #[error("{}: {err}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error (shown in the message, not repeated as a cause).
        err: std::io::Error,
    },
    /// The file's content or metadata is not what it must be.
    #[error("{}: {msg}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong and what was expected.
        msg: String,
    },
}

impl CaptureError {
    pub(crate) fn invalid(path: &Path, msg: impl Into<String>) -> CaptureError {
        CaptureError::Invalid {
            path: path.to_path_buf(),
            msg: msg.into(),
        }
    }
    pub(crate) fn io(path: &Path, err: std::io::Error) -> CaptureError {
        CaptureError::Io {
            path: path.to_path_buf(),
            err,
        }
    }
}

/// How the samples are packaged on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Container {
    /// `.sigmf-meta` + `.sigmf-data`.
    SigmfPair,
    /// `.sigmf` tar archive.
    SigmfArchive,
    /// RIFF WAVE.
    Wav,
    /// Headerless samples.
    Raw,
    /// A live device (rtl_tcp, SoapySDR).
    Live,
}

impl Container {
    /// Short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            Container::SigmfPair => "SigMF",
            Container::SigmfArchive => "SigMF archive",
            Container::Wav => "WAV",
            Container::Raw => "raw",
            Container::Live => "live device",
        }
    }
}

/// Facts for files that do not carry them (raw files), or overrides for those that do.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Sample encoding of a raw file.
    pub format: Option<SampleFormat>,
    /// Sample rate, Hz.
    pub rate_hz: Option<f64>,
    /// Centre frequency, Hz.
    pub freq_hz: Option<f64>,
}

/// What is known about a capture before reading its samples.
#[derive(Debug, Clone)]
pub struct CaptureInfo {
    /// The path the user gave.
    pub path: PathBuf,
    /// The file holding the samples.
    pub data_path: PathBuf,
    /// Packaging.
    pub container: Container,
    /// Sample encoding.
    pub format: SampleFormat,
    /// Samples per second.
    pub sample_rate_hz: f64,
    /// RF centre frequency of the first segment, if known.
    pub center_freq_hz: Option<f64>,
    /// UTC time of sample 0, if known.
    pub datetime: Option<DateTime<Utc>>,
    /// Number of samples (complex samples count once).
    pub num_samples: u64,
    /// SigMF capture segments (one synthesised segment for other containers).
    pub segments: Vec<CaptureSegment>,
    /// SigMF annotations.
    pub annotations: Vec<Annotation>,
    /// `core:hw`, `core:description` and similar free text.
    pub hw: Option<String>,
    /// `core:description`.
    pub description: Option<String>,
    /// Problems that do not stop reading (missing optional fields, overrides).
    pub warnings: Vec<String>,
}

impl CaptureInfo {
    /// Duration in seconds.
    pub fn duration_s(&self) -> f64 {
        self.num_samples as f64 / self.sample_rate_hz
    }

    /// Centre frequency, or an error naming the file when it is unknown and needed.
    pub fn require_center_freq(&self) -> Result<f64, CaptureError> {
        self.center_freq_hz.ok_or_else(|| {
            CaptureError::invalid(
                &self.path,
                "the centre frequency is unknown (no core:frequency in the capture): give --freq",
            )
        })
    }

    /// Error unless the samples are complex IQ.
    pub fn require_complex(&self, what: &str) -> Result<(), CaptureError> {
        if self.format.is_complex() {
            Ok(())
        } else {
            Err(CaptureError::invalid(
                &self.path,
                format!(
                    "holds real samples ({}, e.g. FM-discriminator audio); {what} needs complex IQ (cu8, ci8, ci16_le or cf32_le)",
                    self.format.sigmf_name()
                ),
            ))
        }
    }
}

enum Data {
    Bytes(Box<dyn Read + Send>),
    Wav(WavData),
}

struct WavData {
    path: PathBuf,
    reader: hound::WavReader<BufReader<File>>,
    channels: usize,
    float: bool,
    scale: f32,
}

/// An open capture: its [`CaptureInfo`] and a stream of its samples.
pub struct Capture {
    /// What is known about it.
    pub info: CaptureInfo,
    data: Data,
    conv: Converter,
    bytes: Vec<u8>,
    position: u64,
    clipped: u64,
}

impl std::fmt::Debug for Capture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capture")
            .field("info", &self.info)
            .field("position", &self.position)
            .finish()
    }
}

impl Capture {
    /// Open a capture of any supported kind (see the module docs).
    pub fn open(path: &Path, opts: &OpenOptions) -> Result<Capture, CaptureError> {
        let name = path.to_string_lossy();
        let lower = name.to_ascii_lowercase();
        let (info, data) = if lower.ends_with(".sigmf-meta") || lower.ends_with(".sigmf-data") {
            let base = PathBuf::from(&name[..name.len() - ".sigmf-meta".len()]);
            open_sigmf_pair(path, &base, opts)?
        } else if lower.ends_with(".sigmf") {
            open_sigmf_archive(path, opts)?
        } else if lower.ends_with(".wav") {
            open_wav(path, opts)?
        } else if !path.exists() && PathBuf::from(format!("{name}.sigmf-meta")).exists() {
            open_sigmf_pair(path, path, opts)?
        } else {
            open_raw(path, opts)?
        };
        Ok(Capture {
            conv: Converter::new(info.format),
            info,
            data,
            bytes: Vec::new(),
            position: 0,
            clipped: 0,
        })
    }

    /// Index of the next sample to be read.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Components (I or Q) read so far by [`Capture::read_complex`] that sat at the integer
    /// encoding's limits (ADC clipping), counted during conversion; 0 for float captures.
    pub fn clipped_components(&self) -> u64 {
        self.clipped
    }

    /// Read up to `out.len()` complex samples; returns 0 at the end. Real formats are refused
    /// (check [`CaptureInfo::require_complex`] first for a clearer message). Float samples that
    /// are NaN or infinite are an error naming the sample index.
    pub fn read_complex(&mut self, out: &mut [Complex32]) -> Result<usize, CaptureError> {
        self.info.require_complex("reading IQ")?;
        let remaining = self.remaining();
        let n = match &mut self.data {
            Data::Bytes(r) => {
                let bps = self.info.format.bytes_per_sample();
                let n = read_samples(
                    r.as_mut(),
                    &mut self.bytes,
                    out.len().min(remaining as usize),
                    &self.info,
                    self.position,
                )?;
                self.clipped += self.conv.to_complex(&self.bytes[..n * bps], &mut out[..n]);
                n
            }
            Data::Wav(w) => {
                let mut n = 0;
                while n < out.len() {
                    let (Some(i), Some(q)) = (w.next()?, w.next()?) else {
                        break;
                    };
                    out[n] = Complex32::new(i, q);
                    n += 1;
                }
                n
            }
        };
        if self.info.format.is_float() {
            if let Some(k) = out[..n]
                .iter()
                .position(|s| !(s.re.is_finite() && s.im.is_finite()))
            {
                return Err(CaptureError::invalid(
                    &self.info.data_path,
                    format!(
                        "sample {} is not a finite number (NaN or Inf in {} data)",
                        self.position + k as u64,
                        self.info.format.sigmf_name()
                    ),
                ));
            }
        }
        self.position += n as u64;
        Ok(n)
    }

    /// Read up to `out.len()` real samples (real formats; a complex format yields I).
    pub fn read_real(&mut self, out: &mut [f32]) -> Result<usize, CaptureError> {
        let remaining = self.remaining();
        let n = match &mut self.data {
            Data::Bytes(r) => {
                let bps = self.info.format.bytes_per_sample();
                let n = read_samples(
                    r.as_mut(),
                    &mut self.bytes,
                    out.len().min(remaining as usize),
                    &self.info,
                    self.position,
                )?;
                self.conv.to_real(&self.bytes[..n * bps], &mut out[..n]);
                n
            }
            Data::Wav(w) => {
                let mut n = 0;
                while n < out.len() {
                    let Some(v) = w.next()? else { break };
                    for _ in 1..w.channels {
                        w.next()?;
                    }
                    out[n] = v;
                    n += 1;
                }
                n
            }
        };
        if let Some(k) = out[..n].iter().position(|s| !s.is_finite()) {
            return Err(CaptureError::invalid(
                &self.info.data_path,
                format!(
                    "sample {} is not a finite number (NaN or Inf)",
                    self.position + k as u64
                ),
            ));
        }
        self.position += n as u64;
        Ok(n)
    }

    fn remaining(&self) -> u64 {
        self.info.num_samples - self.position
    }
}

impl WavData {
    fn next(&mut self) -> Result<Option<f32>, CaptureError> {
        let v = if self.float {
            self.reader.samples::<f32>().next()
        } else {
            self.reader
                .samples::<i32>()
                .next()
                .map(|r| r.map(|v| v as f32 * self.scale))
        };
        match v {
            None => Ok(None),
            Some(Ok(v)) => Ok(Some(v)),
            Some(Err(e)) => Err(CaptureError::invalid(
                &self.path,
                format!("WAV data unreadable: {e}"),
            )),
        }
    }
}

/// Read the bytes of `want` whole samples into `buf`; a stream that ends early (a file truncated
/// after it was opened) is an error naming the sample where the data stopped.
fn read_samples(
    r: &mut dyn Read,
    buf: &mut Vec<u8>,
    want: usize,
    info: &CaptureInfo,
    position: u64,
) -> Result<usize, CaptureError> {
    let bps = info.format.bytes_per_sample();
    let got = read_full(r, buf, want * bps).map_err(|e| CaptureError::io(&info.data_path, e))?;
    let n = got / bps;
    if n < want {
        return Err(CaptureError::invalid(
            &info.data_path,
            format!(
                "data ends at sample {} but {} samples were expected (file truncated while reading?)",
                position + n as u64,
                info.num_samples
            ),
        ));
    }
    Ok(n)
}

/// Read exactly `len` bytes unless the stream ends first; returns the count read.
fn read_full(r: &mut dyn Read, buf: &mut Vec<u8>, len: usize) -> std::io::Result<usize> {
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let mut got = 0;
    while got < len {
        match r.read(&mut buf[got..len]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn file_len(path: &Path) -> Result<u64, CaptureError> {
    std::fs::metadata(path)
        .map(|m| m.len())
        .map_err(|e| CaptureError::io(path, e))
}

/// Samples in `len` bytes of `format`; a partial trailing sample is an error.
fn sample_count(path: &Path, len: u64, format: SampleFormat) -> Result<u64, CaptureError> {
    let bps = format.bytes_per_sample() as u64;
    if len == 0 {
        return Err(CaptureError::invalid(
            path,
            "the file is empty (no samples)",
        ));
    }
    if len % bps != 0 {
        return Err(CaptureError::invalid(
            path,
            format!(
                "{len} bytes is not a whole number of {} samples ({bps} bytes each): the file is truncated or the datatype is wrong (a recording cut by a power loss: `linkscope info --repair NAME` trims the partial sample)",
                format.sigmf_name()
            ),
        ));
    }
    Ok(len / bps)
}

fn apply_overrides(info: &mut CaptureInfo, opts: &OpenOptions) -> Result<(), CaptureError> {
    if let Some(r) = opts.rate_hz {
        if !(r.is_finite() && r > 0.0) {
            return Err(CaptureError::invalid(
                &info.path,
                format!("--rate {r} Hz must be positive"),
            ));
        }
    }
    if let Some(f) = opts.freq_hz {
        if !(f.is_finite() && f >= 0.0) {
            return Err(CaptureError::invalid(
                &info.path,
                format!("--freq {f} Hz must not be negative"),
            ));
        }
    }
    if let Some(f) = opts.freq_hz {
        if let Some(old) = info.center_freq_hz {
            if (old - f).abs() > 0.5 {
                info.warnings.push(format!(
                    "--freq {f} Hz overrides the capture's core:frequency {old} Hz"
                ));
            }
        }
        info.center_freq_hz = Some(f);
    }
    if let Some(r) = opts.rate_hz {
        if (r - info.sample_rate_hz).abs() > 0.5 {
            info.warnings.push(format!(
                "--rate {r} Hz overrides the capture's sample rate {} Hz",
                info.sample_rate_hz
            ));
        }
        info.sample_rate_hz = r;
    }
    Ok(())
}

fn info_from_meta(
    path: &Path,
    data_path: PathBuf,
    container: Container,
    meta: SigmfMeta,
    num_samples: u64,
) -> Result<CaptureInfo, CaptureError> {
    let need = meta.samples_referenced();
    if let Some((idx, what)) = need {
        if idx > num_samples {
            return Err(CaptureError::invalid(
                &data_path,
                format!(
                    "holds {num_samples} samples but the metadata refers to sample {idx} ({what}): the data file is shorter than the meta claims"
                ),
            ));
        }
    }
    Ok(CaptureInfo {
        path: path.to_path_buf(),
        data_path,
        container,
        format: meta.format,
        sample_rate_hz: meta.sample_rate_hz,
        center_freq_hz: meta.segments.first().and_then(|s| s.frequency_hz),
        datetime: meta.segments.first().and_then(|s| s.datetime),
        num_samples,
        segments: meta.segments,
        annotations: meta.annotations,
        hw: meta.hw,
        description: meta.description,
        warnings: meta.warnings,
    })
}

/// Trim a partial trailing sample from a SigMF pair's data file (what a power loss during
/// `linkscope record` can leave). `path` is NAME, NAME.sigmf-meta or NAME.sigmf-data. Returns the
/// bytes removed (0 when the file was whole); the metadata is only read.
pub fn repair_sigmf(path: &Path) -> Result<u64, CaptureError> {
    let name = path.to_string_lossy();
    let base = name
        .strip_suffix(".sigmf-meta")
        .or_else(|| name.strip_suffix(".sigmf-data"))
        .unwrap_or(&name)
        .to_string();
    let meta_path = PathBuf::from(format!("{base}.sigmf-meta"));
    let text = std::fs::read(&meta_path).map_err(|e| CaptureError::io(&meta_path, e))?;
    let meta = parse_meta(&meta_path, &text)?;
    if meta.dataset.is_some() || meta.header_bytes > 0 {
        return Err(CaptureError::invalid(
            &meta_path,
            "--repair handles linkscope's own recordings (NAME.sigmf-data without a header) only",
        ));
    }
    let data_path = PathBuf::from(format!("{base}.sigmf-data"));
    let len = file_len(&data_path)?;
    let bps = meta.format.bytes_per_sample() as u64;
    let extra = len % bps;
    if extra > 0 {
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&data_path)
            .map_err(|e| CaptureError::io(&data_path, e))?;
        f.set_len(len - extra)
            .and_then(|_| f.sync_all())
            .map_err(|e| CaptureError::io(&data_path, e))?;
    }
    Ok(extra)
}

fn open_sigmf_pair(
    given: &Path,
    base: &Path,
    opts: &OpenOptions,
) -> Result<(CaptureInfo, Data), CaptureError> {
    let meta_path = PathBuf::from(format!("{}.sigmf-meta", base.display()));
    let text = std::fs::read(&meta_path).map_err(|e| CaptureError::io(&meta_path, e))?;
    let meta = parse_meta(&meta_path, &text)?;
    let data_path = match &meta.dataset {
        Some(name) => {
            // A non-conforming dataset must sit beside its meta: a bare file name only.
            let p = Path::new(name);
            if p.components().count() != 1 || p.file_name().is_none() {
                return Err(CaptureError::invalid(
                    &meta_path,
                    format!("global.core:dataset \"{name}\" must be a file name beside the meta, not a path"),
                ));
            }
            meta_path.with_file_name(name)
        }
        None => PathBuf::from(format!("{}.sigmf-data", base.display())),
    };
    let len = file_len(&data_path)?;
    let header = meta.header_bytes.min(len);
    let n = sample_count(&data_path, len - header, meta.format)?;
    let mut info = info_from_meta(given, data_path.clone(), Container::SigmfPair, meta, n)?;
    apply_overrides(&mut info, opts)?;
    let mut f = File::open(&data_path).map_err(|e| CaptureError::io(&data_path, e))?;
    if header > 0 {
        f.seek(SeekFrom::Start(header))
            .map_err(|e| CaptureError::io(&data_path, e))?;
    }
    Ok((info, Data::Bytes(Box::new(f))))
}

fn open_sigmf_archive(
    path: &Path,
    opts: &OpenOptions,
) -> Result<(CaptureInfo, Data), CaptureError> {
    let f = File::open(path).map_err(|e| CaptureError::io(path, e))?;
    if f.metadata().map(|m| m.len()).unwrap_or(0) == 0 {
        return Err(CaptureError::invalid(path, "the archive is empty"));
    }
    let mut ar = tar::Archive::new(f);
    let mut metas: Vec<(String, Vec<u8>)> = Vec::new();
    let mut datas: Vec<(String, u64, u64)> = Vec::new();
    let bad =
        |e: std::io::Error| CaptureError::invalid(path, format!("not a valid tar archive: {e}"));
    for entry in ar.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let p = entry.path().map_err(bad)?.into_owned();
        let shown = p.display().to_string();
        if p.is_absolute()
            || p.components().any(|c| {
                matches!(
                    c,
                    std::path::Component::ParentDir | std::path::Component::Prefix(_)
                )
            })
        {
            return Err(CaptureError::invalid(
                path,
                format!("archive member '{shown}' points outside the archive (absolute or '..' path): refusing to read it"),
            ));
        }
        if shown.ends_with(".sigmf-meta") {
            if entry.size() > 64 << 20 {
                return Err(CaptureError::invalid(
                    path,
                    format!("{shown}: metadata larger than 64 MiB"),
                ));
            }
            let mut text = Vec::new();
            entry.read_to_end(&mut text).map_err(bad)?;
            metas.push((shown, text));
        } else if shown.ends_with(".sigmf-data") {
            datas.push((shown, entry.raw_file_position(), entry.size()));
        }
    }
    let Some((meta_name, text)) = metas.into_iter().next() else {
        return Err(CaptureError::invalid(
            path,
            "the archive holds no .sigmf-meta file",
        ));
    };
    let inner = path.join(&meta_name);
    let meta = parse_meta(&inner, &text)?;
    let base = meta_name.trim_end_matches(".sigmf-meta");
    let want = match &meta.dataset {
        Some(d) => d.clone(),
        None => format!("{base}.sigmf-data"),
    };
    let Some(&(_, pos, size)) = datas
        .iter()
        .find(|(n, _, _)| n == &want || n.ends_with(&format!("/{want}")))
    else {
        return Err(CaptureError::invalid(
            path,
            format!("the archive holds {meta_name} but not its data file {want}"),
        ));
    };
    let data_path = path.join(&want);
    let n = sample_count(&data_path, size, meta.format)?;
    let mut info = info_from_meta(path, data_path.clone(), Container::SigmfArchive, meta, n)?;
    apply_overrides(&mut info, opts)?;
    let mut f = File::open(path).map_err(|e| CaptureError::io(path, e))?;
    f.seek(SeekFrom::Start(pos))
        .map_err(|e| CaptureError::io(path, e))?;
    let r = f.take(size);
    Ok((info, Data::Bytes(Box::new(r))))
}

fn open_wav(path: &Path, opts: &OpenOptions) -> Result<(CaptureInfo, Data), CaptureError> {
    let reader = hound::WavReader::open(path)
        .map_err(|e| CaptureError::invalid(path, format!("not a readable WAV file: {e}")))?;
    let spec = reader.spec();
    let channels = spec.channels as usize;
    if !(1..=2).contains(&channels) {
        return Err(CaptureError::invalid(
            path,
            format!("{channels} channels: expected 2 (I/Q) or 1 (real audio)"),
        ));
    }
    let float = spec.sample_format == hound::SampleFormat::Float;
    if float && spec.bits_per_sample != 32 {
        return Err(CaptureError::invalid(path, "float WAV must be 32-bit"));
    }
    let frames = reader.duration() as u64;
    if frames == 0 {
        return Err(CaptureError::invalid(path, "the WAV file holds no samples"));
    }
    let format = match (channels, float) {
        (2, false) => SampleFormat::Ci16Le,
        (2, true) => SampleFormat::Cf32Le,
        (_, false) => SampleFormat::Ri16Le,
        (_, true) => SampleFormat::Rf32Le,
    };
    let mut info = CaptureInfo {
        path: path.to_path_buf(),
        data_path: path.to_path_buf(),
        container: Container::Wav,
        format,
        sample_rate_hz: spec.sample_rate as f64,
        center_freq_hz: None,
        datetime: None,
        num_samples: frames,
        segments: vec![CaptureSegment::default()],
        annotations: Vec::new(),
        hw: None,
        description: None,
        warnings: Vec::new(),
    };
    if !float && spec.bits_per_sample != 16 {
        info.warnings.push(format!(
            "{}-bit integer WAV: levels scaled to full scale of that width",
            spec.bits_per_sample
        ));
    }
    apply_overrides(&mut info, opts)?;
    let scale = 1.0 / (1u64 << (spec.bits_per_sample.clamp(1, 32) - 1)) as f32;
    Ok((
        info,
        Data::Wav(WavData {
            path: path.to_path_buf(),
            reader,
            channels,
            float,
            scale,
        }),
    ))
}

fn open_raw(path: &Path, opts: &OpenOptions) -> Result<(CaptureInfo, Data), CaptureError> {
    let ext_format = path
        .extension()
        .and_then(|e| SampleFormat::from_name(&e.to_string_lossy()));
    let format = opts.format.or(ext_format).ok_or_else(|| {
        CaptureError::invalid(
            path,
            "not a SigMF or WAV file, and the raw sample format is unknown: give --format (cu8, ci8, ci16_le, cf32_le, ri16_le, rf32_le)",
        )
    })?;
    let rate = opts.rate_hz.ok_or_else(|| {
        CaptureError::invalid(
            path,
            "a raw file carries no sample rate: give --rate (e.g. --rate 2.4M)",
        )
    })?;
    if !(rate.is_finite() && rate > 0.0) {
        return Err(CaptureError::invalid(
            path,
            format!("sample rate {rate} Hz must be positive"),
        ));
    }
    let n = sample_count(path, file_len(path)?, format)?;
    let f = File::open(path).map_err(|e| CaptureError::io(path, e))?;
    let info = CaptureInfo {
        path: path.to_path_buf(),
        data_path: path.to_path_buf(),
        container: Container::Raw,
        format,
        sample_rate_hz: rate,
        center_freq_hz: opts.freq_hz,
        datetime: None,
        num_samples: n,
        segments: vec![CaptureSegment {
            sample_start: 0,
            frequency_hz: opts.freq_hz,
            datetime: None,
        }],
        annotations: Vec::new(),
        hw: None,
        description: None,
        warnings: Vec::new(),
    };
    Ok((info, Data::Bytes(Box::new(f))))
}
