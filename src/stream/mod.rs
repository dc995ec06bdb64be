//! The bridge from a live source to processing.
//!
//! [`LiveStream::start`] runs one reader thread per device. It reads blocks of native samples
//! (about 10 ms each) into buffers taken from a recycling pool and hands them over a bounded
//! queue; each [`Block`] is stamped with the index of its first sample and its UTC time. The
//! reader never waits for the consumer: when the queue is full the block is dropped and its
//! samples are counted (`dropped_samples`), so a slow consumer costs data, never the device's
//! own buffers (an RTL-SDR or rtl_tcp server would drop silently). Sample indices keep counting
//! through every loss (queue overruns and device-reported gaps), so times derived from them stay
//! true after a gap; [`Source::take_gap`] tells the consumer where gaps are.
//!
//! [`Source`] is what the processing commands read: a file ([`Capture`]) or a live stream, with
//! an optional duration limit and a clean stop on SIGINT/SIGTERM ([`install_stop_handler`]).

use crate::io::device::{DevRead, DeviceInfo, LiveDevice};
use crate::io::{Capture, CaptureError, CaptureInfo, CaptureSegment, Container};
use chrono::{DateTime, Utc};
use linkscope_dsp::convert::Converter;
use linkscope_dsp::Complex32;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

static STOP: AtomicBool = AtomicBool::new(false);

/// Ask every stream and processing loop to finish (what SIGINT/SIGTERM do).
pub fn request_stop() {
    STOP.store(true, Ordering::SeqCst);
}

/// Whether a stop was requested.
pub fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// Make SIGINT (Ctrl-C) and SIGTERM stop processing cleanly: inputs end, outputs are completed.
/// A second signal exits at once (code 130) for a consumer that does not respond.
pub fn install_stop_handler() {
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
    });
}

/// One block of native samples from a device.
#[derive(Debug)]
pub struct Block {
    /// Index of the first sample in the stream (counting every lost sample before it).
    pub first_sample: u64,
    /// UTC time of the first sample (start time + index / rate).
    pub time_utc: DateTime<Utc>,
    /// When the reader got it (for the processing lag).
    pub received: Instant,
    /// Native sample bytes (`len` of them are valid).
    pub bytes: Vec<u8>,
    /// Valid bytes.
    pub len: usize,
}

impl Block {
    /// The valid bytes.
    pub fn data(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

enum Msg {
    Block(Block),
    End,
    Failed(CaptureError),
}

#[derive(Default)]
struct Shared {
    stop: AtomicBool,
    queue_dropped: AtomicU64,
    device_gaps: AtomicU64,
}

/// How a stream is set up.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    /// Samples per block (0 = about 10 ms at the device's rate).
    pub block_samples: usize,
    /// Queue length in seconds of samples: how long the consumer may stall before data is lost.
    pub queue_s: f64,
    /// Print warnings (gaps, lag) on stderr as they happen.
    pub warn: bool,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            block_samples: 0,
            queue_s: 2.0,
            warn: true,
        }
    }
}

/// Figures of a live session for JSON summaries.
#[derive(Debug, Clone, Serialize, Default)]
pub struct StreamSummary {
    /// Samples lost between the device and processing (queue overruns + device gaps).
    pub dropped_samples: u64,
    /// Of which lost because processing was too slow.
    pub queue_dropped_samples: u64,
    /// Of which lost by the device or network (overflows, reconnections).
    pub device_gap_samples: u64,
    /// Gaps seen.
    pub gaps: u64,
    /// Longest time a block waited in the queue, s (how far processing fell behind).
    pub max_lag_s: f64,
    /// Device events (overflows, time-outs, reconnections).
    pub device_events: Vec<(String, u64)>,
}

/// A live device streaming into a bounded queue.
pub struct LiveStream {
    /// Capture-like description: the device name as path, format, rate, frequency, start time.
    pub info: CaptureInfo,
    /// What the device reported.
    pub device: DeviceInfo,
    rx: Receiver<Msg>,
    recycle: SyncSender<Vec<u8>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<Vec<(&'static str, u64)>>>,
    cur: Option<Block>,
    off: usize,
    noted: bool,
    expected: u64,
    pending_gap: u64,
    gaps: u64,
    conv: Converter,
    clipped: u64,
    ended: bool,
    error: Option<CaptureError>,
    max_lag_s: f64,
    lag_warned_s: f64,
    queue_s: f64,
    warn: bool,
    events: Vec<(&'static str, u64)>,
}

impl LiveStream {
    /// Start the reader thread and wait for the first block (so the start time is known).
    pub fn start(dev: Box<dyn LiveDevice>, cfg: &StreamConfig) -> Result<LiveStream, CaptureError> {
        let device = dev.info().clone();
        let fs = device.rate_hz;
        let bps = device.format.bytes_per_sample();
        let block_samples = if cfg.block_samples > 0 {
            cfg.block_samples
        } else {
            ((fs / 100.0) as usize)
                .next_power_of_two()
                .clamp(4096, 1 << 18)
        };
        let depth = ((cfg.queue_s * fs / block_samples as f64).ceil() as usize).max(4);
        let (tx, rx) = sync_channel(depth);
        let (recycle, pool) = sync_channel(depth + 4);
        let shared = Arc::new(Shared::default());
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("linkscope-reader".into())
            .spawn(move || reader(dev, tx, pool, sh, block_samples * bps, bps, fs))
            .map_err(|e| crate::io::device::device_error(&device.name, e.to_string()))?;
        let name = PathBuf::from(&device.name);
        let fs_format = device.format;
        let mut s = LiveStream {
            info: CaptureInfo {
                path: name.clone(),
                data_path: name,
                container: Container::Live,
                format: device.format,
                sample_rate_hz: fs,
                center_freq_hz: Some(device.freq_hz),
                datetime: None,
                num_samples: u64::MAX,
                segments: vec![CaptureSegment {
                    sample_start: 0,
                    frequency_hz: Some(device.freq_hz),
                    datetime: None,
                }],
                annotations: Vec::new(),
                hw: Some(device.hw.clone()),
                description: None,
                warnings: Vec::new(),
            },
            device,
            rx,
            recycle,
            shared,
            thread: Some(thread),
            cur: None,
            off: 0,
            noted: false,
            expected: 0,
            pending_gap: 0,
            gaps: 0,
            conv: Converter::new(fs_format),
            clipped: 0,
            ended: false,
            error: None,
            max_lag_s: 0.0,
            lag_warned_s: 0.0,
            queue_s: depth as f64 * block_samples as f64 / fs,
            warn: cfg.warn,
            events: Vec::new(),
        };
        // The first block fixes the start time.
        match s.rx.recv() {
            Ok(Msg::Block(b)) => {
                s.info.datetime = Some(b.time_utc);
                s.info.segments[0].datetime = Some(b.time_utc);
                s.cur = Some(b);
            }
            Ok(Msg::Failed(e)) => return Err(e),
            Ok(Msg::End) | Err(_) => s.ended = true,
        }
        Ok(s)
    }

    /// The next block of native bytes (whole samples), or None at the end. The previous block's
    /// buffer goes back to the pool. A gap before it is reported by [`LiveStream::take_gap`].
    pub fn next_block(&mut self) -> Result<Option<&Block>, CaptureError> {
        if let Some(b) = self.cur.take() {
            if !self.noted {
                // A block nobody consumed yet (the first one): hand it out now.
                self.cur = Some(b);
                self.note_cur();
                self.off = self.cur.as_ref().map_or(0, |b| b.len);
                return Ok(self.cur.as_ref());
            }
            let _ = self.recycle.try_send(b.bytes);
        }
        self.off = 0;
        self.noted = false;
        if !self.fetch()? {
            return Ok(None);
        }
        self.note_cur();
        self.off = self.cur.as_ref().map_or(0, |b| b.len);
        Ok(self.cur.as_ref())
    }

    /// The block last returned by [`LiveStream::next_block`].
    pub fn current(&self) -> Option<&Block> {
        self.cur.as_ref()
    }

    /// Receive the next block into `cur`; false at the end.
    fn fetch(&mut self) -> Result<bool, CaptureError> {
        if self.ended {
            return self.end_result();
        }
        if stop_requested() {
            self.finish_stream();
            return Ok(false);
        }
        loop {
            match self.rx.recv_timeout(Duration::from_millis(200)) {
                Ok(Msg::Block(b)) => {
                    self.cur = Some(b);
                    return Ok(true);
                }
                Ok(Msg::End) | Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    self.finish_stream();
                    return Ok(false);
                }
                Ok(Msg::Failed(e)) => {
                    self.error = Some(e);
                    self.finish_stream();
                    return self.end_result();
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                    if stop_requested() {
                        self.finish_stream();
                        return Ok(false);
                    }
                }
            }
        }
    }

    fn end_result(&mut self) -> Result<bool, CaptureError> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(false),
        }
    }

    /// Account for the current block: gap before it, lag, expected next index.
    fn note_cur(&mut self) {
        let Some(b) = &self.cur else { return };
        let (first, len, received) = (b.first_sample, b.len, b.received);
        self.noted = true;
        if first > self.expected {
            let gap = first - self.expected;
            self.pending_gap += gap;
            self.gaps += 1;
            if self.warn {
                eprintln!(
                    "warning: {}: {gap} samples ({:.3} s) lost before t = {:.3} s ({})",
                    self.device.name,
                    gap as f64 / self.info.sample_rate_hz,
                    first as f64 / self.info.sample_rate_hz,
                    if self.shared.queue_dropped.load(Ordering::Relaxed) > 0 {
                        "processing is slower than real time"
                    } else {
                        "the device or network lost them"
                    }
                );
            }
        }
        self.expected = first + (len / self.device.format.bytes_per_sample()) as u64;
        let lag = received.elapsed().as_secs_f64();
        self.max_lag_s = self.max_lag_s.max(lag);
        if self.warn && lag > 1.0 && lag > 2.0 * self.lag_warned_s {
            self.lag_warned_s = lag;
            eprintln!(
                "warning: {}: processing is {lag:.1} s behind real time; samples will be dropped when the {:.1} s queue is full",
                self.device.name,
                self.queue_s
            );
        }
    }

    fn finish_stream(&mut self) {
        self.ended = true;
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // The reader leaves within one device read (≤ its time-out); do not wait for it
            // unless it is already done.
            if t.is_finished() {
                if let Ok(ev) = t.join() {
                    self.events = ev;
                }
            } else {
                self.thread = Some(t);
            }
        }
    }

    /// Read up to `out.len()` complex samples from one block; 0 at the end.
    pub fn read_complex(&mut self, out: &mut [Complex32]) -> Result<usize, CaptureError> {
        let bps = self.device.format.bytes_per_sample();
        loop {
            if self.cur.is_some() {
                if !self.noted {
                    self.note_cur();
                }
                let b = self.cur.as_ref().expect("present");
                if self.off < b.len {
                    let n = ((b.len - self.off) / bps).min(out.len());
                    let bytes = &b.bytes[self.off..self.off + n * bps];
                    self.clipped += self.conv.to_complex(bytes, &mut out[..n]);
                    self.off += n * bps;
                    return Ok(n);
                }
                let b = self.cur.take().expect("present");
                let _ = self.recycle.try_send(b.bytes);
            }
            self.off = 0;
            self.noted = false;
            if !self.fetch()? {
                return Ok(0);
            }
        }
    }

    /// Samples lost just before the samples of the last read (0 normally); resets.
    pub fn take_gap(&mut self) -> u64 {
        std::mem::take(&mut self.pending_gap)
    }

    /// Index of the next sample (counting lost ones).
    pub fn position(&self) -> u64 {
        match &self.cur {
            Some(b) if self.noted => {
                b.first_sample + (self.off / self.device.format.bytes_per_sample()) as u64
            }
            _ => self.expected,
        }
    }

    /// Components at the integer limits so far (ADC clipping).
    pub fn clipped_components(&self) -> u64 {
        self.clipped
    }

    /// Samples lost so far (queue overruns and device gaps).
    pub fn dropped_samples(&self) -> u64 {
        self.shared.queue_dropped.load(Ordering::Relaxed)
            + self.shared.device_gaps.load(Ordering::Relaxed)
    }

    /// Stop the reader and gather the session's figures.
    pub fn summary(&mut self) -> StreamSummary {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            // Give the reader one device time-out to report its events.
            let deadline = Instant::now() + Duration::from_secs(4);
            while !t.is_finished() && Instant::now() < deadline {
                // Keep the queue moving so a blocked send can complete.
                while self.rx.try_recv().is_ok() {}
                std::thread::sleep(Duration::from_millis(5));
            }
            if t.is_finished() {
                if let Ok(ev) = t.join() {
                    self.events = ev;
                }
            }
        }
        StreamSummary {
            dropped_samples: self.dropped_samples(),
            queue_dropped_samples: self.shared.queue_dropped.load(Ordering::Relaxed),
            device_gap_samples: self.shared.device_gaps.load(Ordering::Relaxed),
            gaps: self.gaps,
            max_lag_s: (self.max_lag_s * 1e3).round() / 1e3,
            device_events: self
                .events
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect(),
        }
    }
}

impl Drop for LiveStream {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
    }
}

fn reader(
    mut dev: Box<dyn LiveDevice>,
    tx: SyncSender<Msg>,
    pool: Receiver<Vec<u8>>,
    shared: Arc<Shared>,
    block_bytes: usize,
    bps: usize,
    fs: f64,
) -> Vec<(&'static str, u64)> {
    let mut spare: Option<Vec<u8>> = None;
    let mut next = 0u64;
    let mut t0: Option<DateTime<Utc>> = None;
    loop {
        if shared.stop.load(Ordering::Relaxed) || stop_requested() {
            let _ = tx.try_send(Msg::End);
            return dev.events();
        }
        let mut buf = spare
            .take()
            .or_else(|| pool.try_recv().ok())
            .unwrap_or_else(|| vec![0u8; block_bytes]);
        match dev.read(&mut buf) {
            Ok(DevRead::Data { bytes, gap_samples }) => {
                next += gap_samples;
                shared.device_gaps.fetch_add(gap_samples, Ordering::Relaxed);
                let n = (bytes / bps) as u64;
                if n == 0 {
                    spare = Some(buf);
                    continue;
                }
                let start = *t0.get_or_insert_with(|| {
                    Utc::now() - chrono::Duration::nanoseconds((n as f64 / fs * 1e9) as i64)
                });
                let blk = Block {
                    first_sample: next,
                    time_utc: start
                        + chrono::Duration::nanoseconds((next as f64 / fs * 1e9).round() as i64),
                    received: Instant::now(),
                    bytes: buf,
                    len: n as usize * bps,
                };
                next += n;
                match tx.try_send(Msg::Block(blk)) {
                    Ok(()) => {}
                    Err(TrySendError::Full(Msg::Block(b))) => {
                        shared.queue_dropped.fetch_add(n, Ordering::Relaxed);
                        spare = Some(b.bytes);
                    }
                    Err(_) => return dev.events(),
                }
            }
            Ok(DevRead::End) => {
                let _ = tx.send(Msg::End);
                return dev.events();
            }
            Err(e) => {
                let _ = tx.send(Msg::Failed(e));
                return dev.events();
            }
        }
    }
}

/// What a processing command reads: a capture file or a live stream.
pub enum Source {
    /// A recording.
    File(Box<Capture>),
    /// A live device.
    Live(Box<LiveStream>),
}

/// A [`Source`] with an optional limit on the samples to process.
pub struct Input {
    /// The source.
    pub source: Source,
    limit: Option<u64>,
    interrupted: bool,
}

impl Input {
    /// Wrap a source; `duration_s` limits the processed stream time.
    pub fn new(source: Source, duration_s: Option<f64>) -> Input {
        let fs = match &source {
            Source::File(c) => c.info.sample_rate_hz,
            Source::Live(l) => l.info.sample_rate_hz,
        };
        Input {
            source,
            limit: duration_s.map(|d| (d * fs).round() as u64),
            interrupted: false,
        }
    }

    /// What is known about the input. For a live source `num_samples` is the duration limit (or
    /// `u64::MAX`).
    pub fn info(&self) -> CaptureInfo {
        let mut i = match &self.source {
            Source::File(c) => c.info.clone(),
            Source::Live(l) => l.info.clone(),
        };
        if let Some(l) = self.limit {
            i.num_samples = i.num_samples.min(l);
        }
        i
    }

    /// Whether the input is a live device.
    pub fn is_live(&self) -> bool {
        matches!(self.source, Source::Live(_))
    }

    /// Whether SIGINT/SIGTERM ended the input early.
    pub fn interrupted(&self) -> bool {
        self.interrupted
    }

    /// Index of the next sample (counting samples a live source lost).
    pub fn position(&self) -> u64 {
        match &self.source {
            Source::File(c) => c.position(),
            Source::Live(l) => l.position(),
        }
    }

    fn room(&mut self, want: usize) -> usize {
        if stop_requested() {
            self.interrupted = true;
            return 0;
        }
        match self.limit {
            Some(l) => (l.saturating_sub(self.position()) as usize).min(want),
            None => want,
        }
    }

    /// Read complex samples; 0 at the end (of the file, the duration, or on a stop request).
    /// Samples of one call are contiguous; call [`Input::take_gap`] after each read.
    pub fn read_complex(&mut self, out: &mut [Complex32]) -> Result<usize, CaptureError> {
        let n = self.room(out.len());
        if n == 0 {
            return Ok(0);
        }
        match &mut self.source {
            Source::File(c) => c.read_complex(&mut out[..n]),
            Source::Live(l) => {
                let got = l.read_complex(&mut out[..n])?;
                // A gap may have carried the stream past the limit.
                if let Some(lim) = self.limit {
                    let end = l.position();
                    if end > lim {
                        let over = ((end - lim) as usize).min(got);
                        return Ok(got - over);
                    }
                }
                Ok(got)
            }
        }
    }

    /// Read real samples (files only; a live device delivers IQ).
    pub fn read_real(&mut self, out: &mut [f32]) -> Result<usize, CaptureError> {
        let n = self.room(out.len());
        if n == 0 {
            return Ok(0);
        }
        match &mut self.source {
            Source::File(c) => c.read_real(&mut out[..n]),
            Source::Live(l) => Err(CaptureError::invalid(
                &l.info.path,
                "a live device delivers IQ, not real samples",
            )),
        }
    }

    /// Samples lost just before the last read's samples (always 0 for files).
    pub fn take_gap(&mut self) -> u64 {
        match &mut self.source {
            Source::File(_) => 0,
            Source::Live(l) => l.take_gap(),
        }
    }

    /// ADC-clipped components so far.
    pub fn clipped_components(&self) -> u64 {
        match &self.source {
            Source::File(c) => c.clipped_components(),
            Source::Live(l) => l.clipped_components(),
        }
    }

    /// Samples lost so far (0 for files).
    pub fn dropped_samples(&self) -> u64 {
        match &self.source {
            Source::File(_) => 0,
            Source::Live(l) => l.dropped_samples(),
        }
    }

    /// The live session's figures (None for files).
    pub fn summary(&mut self) -> Option<StreamSummary> {
        match &mut self.source {
            Source::File(_) => None,
            Source::Live(l) => Some(l.summary()),
        }
    }
}

#[cfg(test)]
mod tests;
