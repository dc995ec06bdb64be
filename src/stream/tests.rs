//! The stream against a synthetic device whose samples carry their own index, so the truth
//! about what was lost and when comes from the samples themselves.

use super::*;
use crate::io::device::{DeviceInfo, Gain};
use crate::io::SampleFormat;

/// A paced source of cf32 samples with I = sample index; optionally loses `gap` samples (never
/// sent, as an overflowing device would) after `gap_at` samples.
struct Counter {
    info: DeviceInfo,
    total: u64,
    next: u64,
    t0: Option<Instant>,
    gap_at: u64,
    gap: u64,
}

impl Counter {
    fn new(rate: f64, total: u64, gap_at: u64, gap: u64) -> Counter {
        Counter {
            info: DeviceInfo {
                name: "counter".into(),
                hw: "test counter".into(),
                format: SampleFormat::Cf32Le,
                rate_hz: rate,
                freq_hz: 355e6,
                gain: Gain::Auto,
            },
            total,
            next: 0,
            t0: None,
            gap_at,
            gap,
        }
    }
}

impl LiveDevice for Counter {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<DevRead, CaptureError> {
        let t0 = *self.t0.get_or_insert_with(Instant::now);
        if self.next >= self.total {
            return Ok(DevRead::End);
        }
        let mut gap = 0;
        if self.gap > 0 && self.next >= self.gap_at {
            gap = self.gap;
            self.next += gap;
            self.gap = 0;
        }
        let n = ((buf.len() / 8) as u64).min(self.total.saturating_sub(self.next));
        for k in 0..n as usize {
            let v = (self.next + k as u64) as f32;
            buf[8 * k..8 * k + 4].copy_from_slice(&v.to_le_bytes());
            buf[8 * k + 4..8 * k + 8].copy_from_slice(&0f32.to_le_bytes());
        }
        self.next += n;
        // Real time: the samples exist only once their time has come.
        let due = t0 + Duration::from_secs_f64(self.next as f64 / self.info.rate_hz);
        if let Some(w) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(w);
        }
        Ok(DevRead::Data {
            bytes: n as usize * 8,
            gap_samples: gap,
        })
    }
}

fn cfg(queue_s: f64) -> StreamConfig {
    StreamConfig {
        block_samples: 2000,
        queue_s,
        warn: false,
    }
}

/// Read everything; check each sample equals its stream index; returns (delivered, gaps).
fn drain(s: &mut LiveStream, slow: impl Fn(u64) -> Option<Duration>) -> (u64, u64) {
    let mut buf = vec![Complex32::default(); 1000];
    let (mut delivered, mut gaps) = (0u64, 0u64);
    loop {
        let n = s.read_complex(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        gaps += s.take_gap();
        let first = s.position() - n as u64;
        for (k, v) in buf[..n].iter().enumerate() {
            assert_eq!(v.re as u64, first + k as u64, "sample value vs its index");
        }
        delivered += n as u64;
        if let Some(d) = slow(delivered) {
            std::thread::sleep(d);
        }
    }
    (delivered, gaps)
}

#[test]
fn a_slow_consumer_loses_counted_samples_and_keeps_time() {
    let total = 100_000u64; // 0.5 s at 200 kS/s
    let dev = Counter::new(200_000.0, total, u64::MAX, 0);
    let mut s = LiveStream::start(Box::new(dev), &cfg(0.04)).unwrap();
    // Stall 150 ms once after 20 000 samples: more than the 40 ms queue holds.
    let (delivered, gaps) = drain(&mut s, |d| {
        (d == 20_000).then(|| Duration::from_millis(150))
    });
    let sum = s.summary();
    assert!(sum.queue_dropped_samples > 0, "{sum:?}");
    assert_eq!(sum.dropped_samples, total - delivered, "{sum:?}");
    assert_eq!(gaps, total - delivered);
    assert_eq!(sum.device_gap_samples, 0);
    assert!(sum.gaps >= 1 && sum.max_lag_s > 0.05, "{sum:?}");
}

#[test]
fn a_device_gap_is_counted_and_skipped_in_time() {
    let dev = Counter::new(400_000.0, 60_000, 30_000, 4_321);
    let mut s = LiveStream::start(Box::new(dev), &cfg(1.0)).unwrap();
    let (delivered, gaps) = drain(&mut s, |_| None);
    let sum = s.summary();
    assert_eq!(gaps, 4_321);
    assert_eq!(delivered, 60_000 - 4_321);
    assert_eq!(sum.device_gap_samples, 4_321);
    assert_eq!(sum.queue_dropped_samples, 0);
}

#[test]
fn the_duration_limit_counts_stream_time() {
    let dev = Counter::new(400_000.0, 1_000_000, u64::MAX, 0);
    let s = LiveStream::start(Box::new(dev), &cfg(1.0)).unwrap();
    let mut input = Input::new(Source::Live(Box::new(s)), Some(0.1));
    let mut buf = vec![Complex32::default(); 777];
    let mut n = 0;
    loop {
        let k = input.read_complex(&mut buf).unwrap();
        if k == 0 {
            break;
        }
        n += k;
    }
    assert_eq!(n, 40_000);
    assert_eq!(input.position(), 40_000);
}
