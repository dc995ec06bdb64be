//! SoapySDR devices (cargo feature `soapy`): RTL-SDR, Airspy, HackRF, LimeSDR, USRP … through
//! one API.
//!
//! The stream is opened in the device's native format when linkscope can store it losslessly
//! (CU8 → cu8, CS8 → ci8, CF32 → cf32_le, anything else → CS16 as ci16_le) and converted by the
//! `dsp` kernels. Read results: an overflow (`SOAPY_SDR_OVERFLOW`) is counted and its gap
//! measured against the wall clock (the samples the device delivered so far against the time
//! elapsed); a time-out is counted and retried, and 3 s without samples ends the stream with an
//! error; a corrupted packet is counted and skipped; `SOAPY_SDR_NOT_SUPPORTED` from a read means
//! the source has ended (how a file-replay module reports its end); any other error ends the
//! stream with the driver's message.

use super::device::{device_error, DevRead, DeviceInfo, Gain, LiveDevice, Tuning};
use super::{CaptureError, SampleFormat};
use num_complex::Complex;
use serde::Serialize;
use soapysdr::{Device, Direction, ErrorCode, Format, RxStream};
use std::time::{Duration, Instant};

const READ_TIMEOUT_US: i64 = 200_000;
const STALL_LIMIT: Duration = Duration::from_secs(3);

enum Rx {
    Cu8(RxStream<Complex<u8>>, Vec<Complex<u8>>),
    Ci8(RxStream<Complex<i8>>, Vec<Complex<i8>>),
    Ci16(RxStream<Complex<i16>>, Vec<Complex<i16>>),
    Cf32(RxStream<Complex<f32>>, Vec<Complex<f32>>),
}

/// An open, streaming SoapySDR receiver.
pub struct SoapySource {
    info: DeviceInfo,
    rx: Rx,
    started: Option<Instant>,
    delivered: u64,
    overflows: u64,
    timeouts: u64,
    corrupt: u64,
    carry_gap: u64,
    overflowed: bool,
    held: Vec<u8>,
    failed: Option<CaptureError>,
}

// The device handle moves to the reader thread once and is used only there.
unsafe impl Send for SoapySource {}

fn err(name: &str, what: &str, e: soapysdr::Error) -> CaptureError {
    let msg = if e.message.is_empty() {
        format!("{:?}", e.code)
    } else {
        e.message
    };
    device_error(name, format!("{what}: {msg}"))
}

impl SoapySource {
    /// Open the device named by `args`, tune it and start its stream.
    pub fn open(args: &str, t: &Tuning) -> Result<SoapySource, CaptureError> {
        let dev = Device::new(args).map_err(|e| err(args, "cannot open the device", e))?;
        let rxd = Direction::Rx;
        dev.set_sample_rate(rxd, 0, t.rate_hz)
            .map_err(|e| err(args, &format!("sample rate {} Hz", t.rate_hz), e))?;
        dev.set_frequency(rxd, 0, t.freq_hz, ())
            .map_err(|e| err(args, &format!("frequency {} Hz", t.freq_hz), e))?;
        if t.ppm != 0.0 {
            let comps = dev.list_frequencies(rxd, 0).unwrap_or_default();
            if comps.iter().any(|c| c == "CORR") {
                dev.set_component_frequency(rxd, 0, "CORR", t.ppm, ())
                    .map_err(|e| err(args, "frequency correction (ppm)", e))?;
            } else {
                return Err(device_error(
                    args,
                    "this driver has no frequency correction (CORR): give the corrected frequency instead of --ppm",
                ));
            }
        }
        match &t.gain {
            Gain::Auto => {
                if dev.has_gain_mode(rxd, 0).unwrap_or(false) {
                    dev.set_gain_mode(rxd, 0, true)
                        .map_err(|e| err(args, "automatic gain", e))?;
                }
            }
            Gain::Db(g) => {
                if dev.has_gain_mode(rxd, 0).unwrap_or(false) {
                    let _ = dev.set_gain_mode(rxd, 0, false);
                }
                dev.set_gain(rxd, 0, *g)
                    .map_err(|e| err(args, &format!("gain {g} dB"), e))?;
            }
            Gain::Elements(v) => {
                if dev.has_gain_mode(rxd, 0).unwrap_or(false) {
                    let _ = dev.set_gain_mode(rxd, 0, false);
                }
                let names = dev.list_gains(rxd, 0).unwrap_or_default();
                for (k, g) in v {
                    if !names.iter().any(|n| n == k) {
                        return Err(device_error(
                            args,
                            format!(
                                "no gain stage '{k}': this device has {}",
                                if names.is_empty() {
                                    "none".into()
                                } else {
                                    names.join(", ")
                                }
                            ),
                        ));
                    }
                    dev.set_gain_element(rxd, 0, k.as_str(), *g)
                        .map_err(|e| err(args, &format!("gain {k}={g} dB"), e))?;
                }
            }
        }
        if let Some(bw) = t.bandwidth_hz {
            dev.set_bandwidth(rxd, 0, bw)
                .map_err(|e| err(args, &format!("bandwidth {bw} Hz"), e))?;
        }
        if let Some(a) = &t.antenna {
            dev.set_antenna(rxd, 0, a.as_str())
                .map_err(|e| err(args, &format!("antenna {a}"), e))?;
        }
        let native = dev
            .native_stream_format(rxd, 0)
            .map(|(f, _)| f)
            .unwrap_or(Format::CS16);
        let rate = dev.sample_rate(rxd, 0).unwrap_or(t.rate_hz);
        let freq = dev.frequency(rxd, 0).unwrap_or(t.freq_hz);
        let (rx, format) = match native {
            Format::CU8 => (
                Rx::Cu8(open_stream(&dev, args)?, Vec::new()),
                SampleFormat::Cu8,
            ),
            Format::CS8 => (
                Rx::Ci8(open_stream(&dev, args)?, Vec::new()),
                SampleFormat::Ci8,
            ),
            Format::CF32 | Format::CF64 => (
                Rx::Cf32(open_stream(&dev, args)?, Vec::new()),
                SampleFormat::Cf32Le,
            ),
            _ => (
                Rx::Ci16(open_stream(&dev, args)?, Vec::new()),
                SampleFormat::Ci16Le,
            ),
        };
        let mut hw = dev.driver_key().unwrap_or_else(|_| "SoapySDR".into());
        if let Ok(h) = dev.hardware_key() {
            if !h.is_empty() && h != hw {
                hw = format!("{hw} {h}");
            }
        }
        if let Ok(info) = dev.hardware_info() {
            for (k, v) in info.iter() {
                if k.contains("serial") || k == "label" {
                    hw = format!("{hw}, {k} {v}");
                }
            }
        }
        let mut s = SoapySource {
            info: DeviceInfo {
                name: args.into(),
                hw: format!("{hw} (SoapySDR)"),
                format,
                rate_hz: rate,
                freq_hz: freq,
                gain: t.gain.clone(),
            },
            rx,
            started: None,
            delivered: 0,
            overflows: 0,
            timeouts: 0,
            corrupt: 0,
            carry_gap: 0,
            overflowed: false,
            held: Vec::new(),
            failed: None,
        };
        s.activate()?;
        Ok(s)
    }

    fn activate(&mut self) -> Result<(), CaptureError> {
        let r = match &mut self.rx {
            Rx::Cu8(s, _) => s.activate(None),
            Rx::Ci8(s, _) => s.activate(None),
            Rx::Ci16(s, _) => s.activate(None),
            Rx::Cf32(s, _) => s.activate(None),
        };
        r.map_err(|e| err(&self.info.name, "starting the stream", e))
    }
}

fn open_stream<E: soapysdr::StreamSample>(
    dev: &Device,
    args: &str,
) -> Result<RxStream<E>, CaptureError> {
    dev.rx_stream::<E>(&[0])
        .map_err(|e| err(args, "opening the receive stream", e))
}

/// Read into `buf` viewed as elements of `E`; a scratch vector takes over when `buf` is not
/// aligned for `E`.
fn read_into<E: soapysdr::StreamSample + Copy + Default>(
    s: &mut RxStream<E>,
    scratch: &mut Vec<E>,
    buf: &mut [u8],
) -> Result<usize, soapysdr::Error> {
    let size = std::mem::size_of::<E>();
    // SAFETY: E is a plain complex of integers or floats (no padding, any bit pattern valid).
    let (pre, mid, _) = unsafe { buf.align_to_mut::<E>() };
    if pre.is_empty() {
        return s.read(&mut [mid], READ_TIMEOUT_US);
    }
    let want = buf.len() / size;
    scratch.resize(want, E::default());
    let n = s.read(&mut [&mut scratch[..]], READ_TIMEOUT_US)?;
    // SAFETY: as above; the source is `n` initialised elements.
    let bytes = unsafe { std::slice::from_raw_parts(scratch.as_ptr() as *const u8, n * size) };
    buf[..n * size].copy_from_slice(bytes);
    Ok(n)
}

impl LiveDevice for SoapySource {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<DevRead, CaptureError> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let bps = self.info.format.bytes_per_sample();
        let want = buf.len() / bps * bps;
        let mut got = 0;
        let mut gap = std::mem::take(&mut self.carry_gap);
        if !self.held.is_empty() {
            // Samples read after an overflow, held back from the previous read: they go first.
            let h = std::mem::take(&mut self.held);
            let k = h.len().min(want);
            buf[..k].copy_from_slice(&h[..k]);
            got = k;
        }
        let mut last_data = Instant::now();
        while got < want {
            let dst = &mut buf[got..want];
            let r = match &mut self.rx {
                Rx::Cu8(s, v) => read_into(s, v, dst),
                Rx::Ci8(s, v) => read_into(s, v, dst),
                Rx::Ci16(s, v) => read_into(s, v, dst),
                Rx::Cf32(s, v) => read_into(s, v, dst),
            };
            match r {
                Ok(n) => {
                    if n > 0 {
                        let now = Instant::now();
                        // The first sample was taken n/fs before its block arrived.
                        let back = Duration::from_secs_f64(n as f64 / self.info.rate_hz);
                        let t0 = *self
                            .started
                            .get_or_insert(now.checked_sub(back).unwrap_or(now));
                        last_data = now;
                        if std::mem::take(&mut self.overflowed) {
                            // Samples lost in the overflow: those due by the first sample of this
                            // read that were not delivered.
                            let have = self.delivered + gap + (got / bps) as u64;
                            let first_due = (((now - t0).as_secs_f64() * self.info.rate_hz) as u64)
                                .saturating_sub(n as u64);
                            let lost = first_due.saturating_sub(have);
                            if got > 0 {
                                // Keep the samples on each side of the gap in separate reads.
                                self.carry_gap += lost;
                                self.held = buf[got..got + n * bps].to_vec();
                                break;
                            }
                            gap += lost;
                        }
                    }
                    got += n * bps;
                }
                Err(e) => match e.code {
                    ErrorCode::Timeout => {
                        self.timeouts += 1;
                        if last_data.elapsed() > STALL_LIMIT {
                            return Err(device_error(
                                &self.info.name,
                                format!(
                                    "no samples for {STALL_LIMIT:?} after {} samples: the device stopped streaming",
                                    self.delivered
                                ),
                            ));
                        }
                    }
                    ErrorCode::Overflow => {
                        // The loss is measured when samples flow again (see above).
                        self.overflows += 1;
                        self.overflowed = true;
                    }
                    ErrorCode::Corruption => self.corrupt += 1,
                    ErrorCode::NotSupported if got == 0 => return Ok(DevRead::End),
                    ErrorCode::NotSupported => break,
                    _ => {
                        let e = err(
                            &self.info.name,
                            &format!(
                                "stream error after {} samples",
                                self.delivered + gap + (got / bps) as u64
                            ),
                            e,
                        );
                        if got == 0 {
                            return Err(e);
                        }
                        // Deliver what arrived before the error; the error ends the next read.
                        self.failed = Some(e);
                        break;
                    }
                },
            }
        }
        self.delivered += (got / bps) as u64 + gap;
        Ok(DevRead::Data {
            bytes: got,
            gap_samples: gap,
        })
    }

    fn events(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("overflows", self.overflows),
            ("timeouts", self.timeouts),
            ("corrupt_packets", self.corrupt),
        ]
    }
}

/// One device as `linkscope devices` lists it.
#[derive(Debug, Serialize)]
pub struct Listing {
    /// Arguments to open it with `--device`.
    pub args: String,
    /// Driver.
    pub driver: String,
    /// Native stream format and its full-scale value.
    pub native_format: String,
    /// Sample-rate ranges, Hz.
    pub sample_rates_hz: Vec<[f64; 2]>,
    /// Tuning ranges, Hz.
    pub frequency_ranges_hz: Vec<[f64; 2]>,
    /// Overall gain range, dB.
    pub gain_range_db: [f64; 2],
    /// Gain stages with their ranges, dB.
    pub gain_stages: Vec<(String, [f64; 2])>,
    /// Whether automatic gain is available.
    pub agc: bool,
    /// Antennas.
    pub antennas: Vec<String>,
    /// Analogue bandwidth ranges, Hz.
    pub bandwidths_hz: Vec<[f64; 2]>,
    /// A problem opening it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Enumerate devices (restricted by `filter` args, "" = all) and describe each.
pub fn list_devices(filter: &str) -> Result<Vec<Listing>, CaptureError> {
    let found =
        soapysdr::enumerate(filter).map_err(|e| err("SoapySDR", "enumerating devices", e))?;
    let rxd = Direction::Rx;
    let mut out = Vec::new();
    for a in found {
        let args: String = (&a).into();
        let driver = a.get("driver").unwrap_or("?").to_string();
        let mut l = Listing {
            args: args.clone(),
            driver,
            native_format: String::new(),
            sample_rates_hz: Vec::new(),
            frequency_ranges_hz: Vec::new(),
            gain_range_db: [0.0, 0.0],
            gain_stages: Vec::new(),
            agc: false,
            antennas: Vec::new(),
            bandwidths_hz: Vec::new(),
            error: None,
        };
        match Device::new(a) {
            Err(e) => l.error = Some(err(&args, "cannot open", e).to_string()),
            Ok(d) => {
                let r2 = |v: Vec<soapysdr::Range>| {
                    v.iter().map(|r| [r.minimum, r.maximum]).collect::<Vec<_>>()
                };
                if let Ok((f, fs)) = d.native_stream_format(rxd, 0) {
                    l.native_format = format!("{f} (full scale {fs})");
                }
                l.sample_rates_hz = d.get_sample_rate_range(rxd, 0).map(r2).unwrap_or_default();
                l.frequency_ranges_hz = d.frequency_range(rxd, 0).map(r2).unwrap_or_default();
                if let Ok(g) = d.gain_range(rxd, 0) {
                    l.gain_range_db = [g.minimum, g.maximum];
                }
                for g in d.list_gains(rxd, 0).unwrap_or_default() {
                    if let Ok(r) = d.gain_element_range(rxd, 0, g.as_str()) {
                        l.gain_stages.push((g, [r.minimum, r.maximum]));
                    }
                }
                l.agc = d.has_gain_mode(rxd, 0).unwrap_or(false);
                l.antennas = d.antennas(rxd, 0).unwrap_or_default();
                l.bandwidths_hz = d.bandwidth_range(rxd, 0).map(r2).unwrap_or_default();
            }
        }
        out.push(l);
    }
    Ok(out)
}
