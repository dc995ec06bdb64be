//! Live SDR devices: what `--device` names, how a device is tuned, and the [`LiveDevice`] trait
//! that the [`crate::stream`] reader thread drives.
//!
//! Two kinds are known:
//! - `rtl_tcp=HOST:PORT` (port 1234 when left out): an rtl_tcp server, always built
//!   ([`super::rtltcp`]);
//! - SoapySDR arguments such as `driver=rtlsdr,serial=00000001` ([`super::soapy`], cargo feature
//!   `soapy`).
//!
//! Devices deliver their native sample format (cu8 for rtl_tcp, CS16 or CU8 or CF32 for
//! SoapySDR) as raw little-endian bytes, so a recording keeps every bit the ADC produced.

use super::{CaptureError, SampleFormat};
use std::path::Path;

/// Which device `--device` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    /// An rtl_tcp server.
    RtlTcp {
        /// `HOST:PORT`.
        addr: String,
    },
    /// A SoapySDR device, by its key=value arguments.
    Soapy {
        /// The arguments as typed (`driver=…,serial=…`).
        args: String,
    },
}

impl DeviceSpec {
    /// Parse `rtl_tcp=HOST[:PORT]`, `rtl_tcp` (localhost:1234) or SoapySDR `key=value,…` args.
    pub fn parse(s: &str) -> Result<DeviceSpec, String> {
        let t = s.trim();
        if t == "rtl_tcp" {
            return Ok(DeviceSpec::RtlTcp {
                addr: "127.0.0.1:1234".into(),
            });
        }
        if let Some(rest) = t.strip_prefix("rtl_tcp=") {
            if rest.is_empty() || rest.contains(',') {
                return Err(format!(
                    "'{s}': expected rtl_tcp=HOST:PORT (e.g. rtl_tcp=192.168.1.20:1234)"
                ));
            }
            let addr = match rest.rsplit_once(':') {
                Some((h, p)) if !h.ends_with(':') => {
                    p.parse::<u16>()
                        .map_err(|_| format!("'{s}': the port '{p}' is not a number 1–65535"))?;
                    rest.to_string()
                }
                _ => format!("{rest}:1234"),
            };
            return Ok(DeviceSpec::RtlTcp { addr });
        }
        if t.split(',')
            .all(|kv| kv.split_once('=').is_some_and(|(k, _)| !k.is_empty()))
        {
            return Ok(DeviceSpec::Soapy { args: t.into() });
        }
        Err(format!(
            "'{s}' is not a device: expected rtl_tcp=HOST:PORT or SoapySDR arguments such as driver=rtlsdr (see `linkscope devices`)"
        ))
    }

    /// The name used in messages and `core:hw`.
    pub fn name(&self) -> String {
        match self {
            DeviceSpec::RtlTcp { addr } => format!("rtl_tcp={addr}"),
            DeviceSpec::Soapy { args } => args.clone(),
        }
    }
}

/// Receiver gain.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Gain {
    /// The device's automatic gain control.
    #[default]
    Auto,
    /// Overall gain, dB (the driver distributes it over its stages).
    Db(f64),
    /// Per stage, dB (`LNA=20,VGA=10`; SoapySDR only).
    Elements(Vec<(String, f64)>),
}

impl Gain {
    /// Parse `auto`, `38.6`, `38.6dB` or `LNA=20,MIX=5,VGA=10`.
    pub fn parse(s: &str) -> Result<Gain, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") || t.eq_ignore_ascii_case("agc") {
            return Ok(Gain::Auto);
        }
        if t.contains('=') {
            let mut v = Vec::new();
            for kv in t.split(',') {
                let (k, d) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("'{kv}': expected STAGE=DB in '{s}'"))?;
                let db = crate::units::parse_db(d)?;
                v.push((k.trim().to_string(), db));
            }
            return Ok(Gain::Elements(v));
        }
        crate::units::parse_db(t).map(Gain::Db).map_err(|_| {
            format!("'{s}' is not a gain: expected auto, a value in dB (38.6) or STAGE=DB,…")
        })
    }

    /// Short text for reports and metadata (`auto`, `38.6 dB`, `LNA=20 dB,VGA=10 dB`).
    pub fn describe(&self) -> String {
        match self {
            Gain::Auto => "auto".into(),
            Gain::Db(g) => format!("{g} dB"),
            Gain::Elements(v) => v
                .iter()
                .map(|(k, g)| format!("{k}={g} dB"))
                .collect::<Vec<_>>()
                .join(","),
        }
    }
}

/// Options only rtl_tcp (an RTL2832 behind it) understands.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RtlOptions {
    /// RTL2832 digital AGC.
    pub agc: bool,
    /// Direct sampling: 1 = I ADC, 2 = Q ADC (HF reception without the tuner).
    pub direct_sampling: Option<u8>,
    /// Offset tuning (E4000 tuners).
    pub offset_tuning: bool,
    /// Bias tee (powers an LNA over the coax).
    pub bias_tee: bool,
}

/// How to set a device up.
#[derive(Debug, Clone, PartialEq)]
pub struct Tuning {
    /// Centre frequency, Hz.
    pub freq_hz: f64,
    /// Sample rate, Hz.
    pub rate_hz: f64,
    /// Gain.
    pub gain: Gain,
    /// Analogue filter bandwidth, Hz (SoapySDR; None = the driver's choice).
    pub bandwidth_hz: Option<f64>,
    /// Antenna port (SoapySDR).
    pub antenna: Option<String>,
    /// Frequency correction, ppm.
    pub ppm: f64,
    /// rtl_tcp extras.
    pub rtl: RtlOptions,
    /// Reconnection attempts after a network source drops (rtl_tcp).
    pub reconnect: u32,
}

impl Tuning {
    /// Defaults around a frequency and rate.
    pub fn new(freq_hz: f64, rate_hz: f64) -> Tuning {
        Tuning {
            freq_hz,
            rate_hz,
            gain: Gain::Auto,
            bandwidth_hz: None,
            antenna: None,
            ppm: 0.0,
            rtl: RtlOptions::default(),
            reconnect: 3,
        }
    }
}

/// What an open device reports about itself.
#[derive(Debug, Clone)]
pub struct DeviceInfo {
    /// `--device` as typed, for messages.
    pub name: String,
    /// Hardware description for `core:hw` (driver, tuner, serial).
    pub hw: String,
    /// Sample encoding of the bytes [`LiveDevice::read`] delivers.
    pub format: SampleFormat,
    /// Sample rate in effect, Hz.
    pub rate_hz: f64,
    /// Centre frequency in effect, Hz.
    pub freq_hz: f64,
    /// Gain in effect.
    pub gain: Gain,
}

/// One read from a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DevRead {
    /// `bytes` bytes of whole samples were written at the start of the buffer; `gap_samples`
    /// samples were lost just before them (overflow, reconnection), 0 normally.
    Data {
        /// Bytes delivered.
        bytes: usize,
        /// Samples lost before these.
        gap_samples: u64,
    },
    /// The source has no more samples (a replay at its end).
    End,
}

/// A source of live samples, driven by one reader thread.
pub trait LiveDevice: Send {
    /// What the device is and how it is set.
    fn info(&self) -> &DeviceInfo;
    /// Fill `buf` with whole samples (blocking, with the device's time-outs). An error means the
    /// device is gone (after its reconnect policy, if any); the message names it.
    fn read(&mut self, buf: &mut [u8]) -> Result<DevRead, CaptureError>;
    /// Count of device-side events worth a line in the summary (overflows, time-outs,
    /// reconnections), as (name, count).
    fn events(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }
}

/// An error naming the device.
pub fn device_error(device: &str, msg: impl Into<String>) -> CaptureError {
    CaptureError::invalid(Path::new(device), msg)
}

/// Open and tune a device.
pub fn open(spec: &DeviceSpec, tuning: &Tuning) -> Result<Box<dyn LiveDevice>, CaptureError> {
    match spec {
        DeviceSpec::RtlTcp { addr } => Ok(Box::new(super::rtltcp::RtlTcp::connect(addr, tuning)?)),
        DeviceSpec::Soapy { args } => open_soapy(args, tuning),
    }
}

#[cfg(feature = "soapy")]
fn open_soapy(args: &str, tuning: &Tuning) -> Result<Box<dyn LiveDevice>, CaptureError> {
    Ok(Box::new(super::soapy::SoapySource::open(args, tuning)?))
}

#[cfg(not(feature = "soapy"))]
fn open_soapy(args: &str, _tuning: &Tuning) -> Result<Box<dyn LiveDevice>, CaptureError> {
    Err(device_error(
        args,
        "SoapySDR devices need linkscope built with the `soapy` feature: install libsoapysdr-dev and pkg-config, then `cargo build --release --features soapy` (rtl_tcp=HOST:PORT works without it)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_specs() {
        assert_eq!(
            DeviceSpec::parse("rtl_tcp=10.0.0.2:1235").unwrap(),
            DeviceSpec::RtlTcp {
                addr: "10.0.0.2:1235".into()
            }
        );
        assert_eq!(
            DeviceSpec::parse("rtl_tcp=roofbox").unwrap(),
            DeviceSpec::RtlTcp {
                addr: "roofbox:1234".into()
            }
        );
        assert_eq!(
            DeviceSpec::parse("rtl_tcp").unwrap(),
            DeviceSpec::RtlTcp {
                addr: "127.0.0.1:1234".into()
            }
        );
        assert!(DeviceSpec::parse("rtl_tcp=host:99999").is_err());
        assert_eq!(
            DeviceSpec::parse("driver=rtlsdr,serial=0001").unwrap(),
            DeviceSpec::Soapy {
                args: "driver=rtlsdr,serial=0001".into()
            }
        );
        assert!(DeviceSpec::parse("captures/x.cu8").is_err());
    }

    #[test]
    fn gains() {
        assert_eq!(Gain::parse("auto").unwrap(), Gain::Auto);
        assert_eq!(Gain::parse("49.6").unwrap(), Gain::Db(49.6));
        assert_eq!(Gain::parse("20dB").unwrap(), Gain::Db(20.0));
        assert_eq!(
            Gain::parse("LNA=20,VGA=10.5").unwrap(),
            Gain::Elements(vec![("LNA".into(), 20.0), ("VGA".into(), 10.5)])
        );
        assert!(Gain::parse("loud").is_err());
    }

    #[cfg(not(feature = "soapy"))]
    #[test]
    fn soapy_without_the_feature_says_how_to_build() {
        let e = open(
            &DeviceSpec::parse("driver=rtlsdr").unwrap(),
            &Tuning::new(355e6, 2.4e6),
        )
        .err()
        .unwrap()
        .to_string();
        assert!(e.contains("--features soapy"), "{e}");
    }
}
