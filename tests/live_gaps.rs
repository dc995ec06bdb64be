//! Measurements stay on the true time axis when a live stream loses samples: a paced source
//! keys a carrier on at a known time; the consumer stalls (a test hook: it sleeps) long enough
//! for the queue to overflow before that time; the scanner's time-stamped rows must still put
//! the carrier's start at the true time, and the counted loss must equal the real one.

use linkscope::dsp::Complex32;
use linkscope::io::device::{DevRead, DeviceInfo, Gain, LiveDevice};
use linkscope::io::{CaptureError, SampleFormat};
use linkscope::spectrum::plan::raster_plan;
use linkscope::spectrum::scan::{DcRemoval, ScanConfig, Scanner};
use linkscope::stream::{Input, LiveStream, Source, StreamConfig};
use std::time::{Duration, Instant};

const FS: f64 = 400_000.0;
const KEY_ON: u64 = 240_000; // 0.6 s
const TOTAL: u64 = 400_000; // 1.0 s
const TONE_HZ: f64 = 100_000.0;

/// Paced cf32: a weak deterministic dither everywhere, a carrier at +100 kHz from KEY_ON on.
struct Keyed {
    info: DeviceInfo,
    next: u64,
    t0: Option<Instant>,
}

impl LiveDevice for Keyed {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }
    fn read(&mut self, buf: &mut [u8]) -> Result<DevRead, CaptureError> {
        let t0 = *self.t0.get_or_insert_with(Instant::now);
        let n = ((buf.len() / 8) as u64).min(TOTAL - self.next);
        if n == 0 {
            return Ok(DevRead::End);
        }
        for k in 0..n as usize {
            let i = self.next + k as u64;
            let ph = 2.0 * std::f64::consts::PI * TONE_HZ * i as f64 / FS;
            let a = if i >= KEY_ON { 0.5 } else { 0.0 };
            let d = 1e-3 * (((i * 7919) % 1000) as f64 / 1000.0 - 0.5);
            let v = Complex32::new((a * ph.cos() + d) as f32, (a * ph.sin() - d) as f32);
            buf[8 * k..8 * k + 4].copy_from_slice(&v.re.to_le_bytes());
            buf[8 * k + 4..8 * k + 8].copy_from_slice(&v.im.to_le_bytes());
        }
        self.next += n;
        let due = t0 + Duration::from_secs_f64(self.next as f64 / FS);
        if let Some(w) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(w);
        }
        Ok(DevRead::Data {
            bytes: n as usize * 8,
            gap_samples: 0,
        })
    }
}

#[test]
fn a_stalled_consumer_keeps_the_time_axis() {
    let dev = Keyed {
        info: DeviceInfo {
            name: "keyed".into(),
            hw: "test".into(),
            format: SampleFormat::Cf32Le,
            rate_hz: FS,
            freq_hz: 355e6,
            gain: Gain::Auto,
        },
        next: 0,
        t0: None,
    };
    let cfg = StreamConfig {
        block_samples: 4000,
        queue_s: 0.05,
        warn: false,
    };
    let s = LiveStream::start(Box::new(dev), &cfg).unwrap();
    let mut input = Input::new(Source::Live(Box::new(s)), None);
    let fc = 355e6;
    let plan = raster_plan(fc - 150e3, fc + 150e3, 12.5e3, 12.5e3);
    let mut sc = Scanner::new(
        ScanConfig {
            frame_s: 0.01,
            threshold_db: 10.0,
            fft_size: Some(256),
            usable_fraction: 0.8,
            dc_removal: DcRemoval::Off,
            cal_db: None,
            interval_s: Some(0.05),
            waterfall_rows: None,
        },
        plan,
        FS,
        fc,
        None,
    )
    .unwrap();
    let freqs = sc.usable_freqs_hz();
    let col = freqs
        .iter()
        .enumerate()
        .min_by(|a, b| {
            (a.1 - fc - TONE_HZ)
                .abs()
                .total_cmp(&(b.1 - fc - TONE_HZ).abs())
        })
        .unwrap()
        .0;
    let mut buf = vec![Complex32::default(); 2000];
    let mut delivered = 0u64;
    let mut stalled = false;
    let mut rows = Vec::new();
    loop {
        let n = input.read_complex(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        sc.gap(input.take_gap());
        sc.process(&buf[..n]);
        rows.extend(sc.drain_intervals().map(|r| (r.t_s, r.dbfs[col])));
        delivered += n as u64;
        // The hook: stall 250 ms once, 0.2 s into the stream (the queue holds 50 ms).
        if !stalled && delivered >= 80_000 {
            stalled = true;
            std::thread::sleep(Duration::from_millis(250));
        }
    }
    sc.end_of_input();
    rows.extend(sc.drain_intervals().map(|r| (r.t_s, r.dbfs[col])));
    let sum = input.summary().unwrap();
    assert!(sum.queue_dropped_samples > 40_000, "{sum:?}");
    assert_eq!(sum.dropped_samples, TOTAL - delivered, "{sum:?}");
    // The loss ended before the carrier was keyed.
    let first_on = rows.iter().find(|r| r.1 > -20.0).expect("carrier seen");
    assert!(
        (first_on.0 - 0.6).abs() < 0.011,
        "carrier starts at t = {} s in the rows, truth 0.6 s; rows {rows:?}",
        first_on.0
    );
    // No row claims to start inside the lost stretch.
    let lost_from = 80_000.0 / FS;
    let lost_to = lost_from + sum.dropped_samples as f64 / FS;
    assert!(rows
        .iter()
        .all(|r| r.0 < lost_from + 0.05 || r.0 >= lost_to - 0.05 - 1e-9));
}
