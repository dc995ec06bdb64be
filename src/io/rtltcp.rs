//! rtl_tcp client (pure Rust, always built).
//!
//! Wire protocol (see `../shared/spec/live-sources.md`): on connection the server sends 12 bytes
//! once — `RTL0`, the tuner type and the number of gain steps, both big-endian u32 — then an
//! endless stream of interleaved unsigned 8-bit I/Q. The client sends 5-byte commands: a code
//! byte and a big-endian u32. The server never replies and never timestamps, so samples it drops
//! are invisible here; a connection that closes or stalls is a gap that this client measures
//! against the wall clock when it reconnects.

use super::device::{device_error, DevRead, DeviceInfo, Gain, LiveDevice, Tuning};
use super::{CaptureError, SampleFormat};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Time allowed to connect and to receive the greeting.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Time without data after which the server counts as gone.
pub const READ_TIMEOUT: Duration = Duration::from_secs(3);
/// Pause between reconnection attempts.
pub const RECONNECT_PAUSE: Duration = Duration::from_millis(1000);

/// rtl_tcp command codes.
pub mod cmd {
    /// Centre frequency, Hz.
    pub const FREQUENCY: u8 = 0x01;
    /// Sample rate, Hz.
    pub const SAMPLE_RATE: u8 = 0x02;
    /// Gain mode: 0 automatic, 1 manual.
    pub const GAIN_MODE: u8 = 0x03;
    /// Tuner gain, tenths of a dB.
    pub const GAIN: u8 = 0x04;
    /// Frequency correction, ppm (signed).
    pub const FREQ_CORRECTION: u8 = 0x05;
    /// RTL2832 digital AGC.
    pub const AGC_MODE: u8 = 0x08;
    /// Direct sampling: 0 off, 1 I ADC, 2 Q ADC.
    pub const DIRECT_SAMPLING: u8 = 0x09;
    /// Offset tuning.
    pub const OFFSET_TUNING: u8 = 0x0a;
    /// Bias tee.
    pub const BIAS_TEE: u8 = 0x0e;
}

/// Tuner names by the greeting's tuner type.
pub fn tuner_name(t: u32) -> &'static str {
    match t {
        1 => "E4000",
        2 => "FC0012",
        3 => "FC0013",
        4 => "FC2580",
        5 => "R820T",
        6 => "R828D",
        _ => "unknown tuner",
    }
}

/// The commands that set a server up for `t`, in the order they are sent.
pub fn setup_commands(t: &Tuning) -> Vec<(u8, u32)> {
    let mut v = vec![
        (cmd::SAMPLE_RATE, t.rate_hz.round() as u32),
        (cmd::FREQUENCY, t.freq_hz.round() as u32),
    ];
    if t.ppm != 0.0 {
        v.push((cmd::FREQ_CORRECTION, (t.ppm.round() as i32) as u32));
    }
    match &t.gain {
        Gain::Auto => v.push((cmd::GAIN_MODE, 0)),
        Gain::Db(g) => {
            v.push((cmd::GAIN_MODE, 1));
            v.push((cmd::GAIN, ((g * 10.0).round() as i32) as u32));
        }
        Gain::Elements(_) => {}
    }
    v.push((cmd::AGC_MODE, t.rtl.agc as u32));
    if let Some(d) = t.rtl.direct_sampling {
        v.push((cmd::DIRECT_SAMPLING, d as u32));
    }
    if t.rtl.offset_tuning {
        v.push((cmd::OFFSET_TUNING, 1));
    }
    if t.rtl.bias_tee {
        v.push((cmd::BIAS_TEE, 1));
    }
    v
}

/// A connected rtl_tcp server streaming cu8.
pub struct RtlTcp {
    addr: String,
    tuning: Tuning,
    sock: Option<TcpStream>,
    info: DeviceInfo,
    started: Option<Instant>,
    delivered: u64,
    odd: Option<u8>,
    reconnects: u64,
    timeouts: u64,
    lost: Option<String>,
}

impl RtlTcp {
    /// Connect, check the greeting and send the set-up commands.
    pub fn connect(addr: &str, tuning: &Tuning) -> Result<RtlTcp, CaptureError> {
        let name = format!("rtl_tcp={addr}");
        if let Gain::Elements(_) = tuning.gain {
            return Err(device_error(
                &name,
                "rtl_tcp sets one overall tuner gain: give --gain DB or --gain auto",
            ));
        }
        if !(tuning.freq_hz > 0.0 && tuning.freq_hz < u32::MAX as f64) {
            return Err(device_error(
                &name,
                format!(
                    "centre frequency {} Hz is outside what rtl_tcp can carry (1 Hz … 4.29 GHz)",
                    tuning.freq_hz
                ),
            ));
        }
        let (sock, tuner, gains) = open_socket(addr, &name)?;
        let mut s = RtlTcp {
            addr: addr.into(),
            tuning: tuning.clone(),
            sock: Some(sock),
            info: DeviceInfo {
                hw: format!(
                    "rtl_tcp server {addr}, {} tuner ({gains} gain steps)",
                    tuner_name(tuner)
                ),
                name,
                format: SampleFormat::Cu8,
                rate_hz: tuning.rate_hz,
                freq_hz: tuning.freq_hz,
                gain: tuning.gain.clone(),
            },
            started: None,
            delivered: 0,
            odd: None,
            reconnects: 0,
            timeouts: 0,
            lost: None,
        };
        s.send_setup()?;
        Ok(s)
    }

    fn send_setup(&mut self) -> Result<(), CaptureError> {
        let mut bytes = Vec::new();
        for (c, v) in setup_commands(&self.tuning) {
            bytes.push(c);
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        let sock = self.sock.as_mut().expect("connected");
        sock.write_all(&bytes)
            .map_err(|e| device_error(&self.info.name, format!("sending the set-up commands: {e}")))
    }

    /// Try to get the connection back; Ok(gap in samples) or the final error.
    fn reconnect(&mut self, why: &str) -> Result<u64, CaptureError> {
        self.sock = None;
        self.odd = None;
        let mut last = String::new();
        for _ in 0..self.tuning.reconnect {
            if crate::stream::stop_requested() {
                break;
            }
            std::thread::sleep(RECONNECT_PAUSE);
            match open_socket(&self.addr, &self.info.name) {
                Ok((sock, _, _)) => {
                    self.sock = Some(sock);
                    self.send_setup()?;
                    self.reconnects += 1;
                    // The server streamed nothing to us meanwhile: the gap is the wall-clock time
                    // since the start less what was delivered.
                    let expected = self
                        .started
                        .map(|t| (t.elapsed().as_secs_f64() * self.tuning.rate_hz) as u64)
                        .unwrap_or(0);
                    return Ok(expected.saturating_sub(self.delivered));
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(device_error(
            &self.info.name,
            format!(
                "{why} after {} samples ({:.1} s){}",
                self.delivered,
                self.delivered as f64 / self.tuning.rate_hz,
                if self.tuning.reconnect > 0 {
                    format!(
                        "; {} reconnection attempts failed (last: {last})",
                        self.tuning.reconnect
                    )
                } else {
                    String::new()
                }
            ),
        ))
    }
}

fn open_socket(addr: &str, name: &str) -> Result<(TcpStream, u32, u32), CaptureError> {
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .map_err(|e| device_error(name, format!("cannot resolve the address: {e}")))?
        .collect();
    let mut last = None;
    let mut sock = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, CONNECT_TIMEOUT) {
            Ok(s) => {
                sock = Some(s);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let mut sock = sock.ok_or_else(|| {
        device_error(
            name,
            format!(
                "cannot connect: {} (is rtl_tcp running there?)",
                last.map(|e| e.to_string())
                    .unwrap_or_else(|| "no address".into())
            ),
        )
    })?;
    let _ = sock.set_nodelay(true);
    sock.set_read_timeout(Some(CONNECT_TIMEOUT))
        .map_err(|e| device_error(name, e.to_string()))?;
    let mut g = [0u8; 12];
    sock.read_exact(&mut g).map_err(|e| {
        device_error(
            name,
            format!("no rtl_tcp greeting (12 bytes starting RTL0) within {CONNECT_TIMEOUT:?}: {e}"),
        )
    })?;
    if &g[..4] != b"RTL0" {
        return Err(device_error(
            name,
            format!(
                "not an rtl_tcp server: the greeting starts {:02x?}, expected \"RTL0\"",
                &g[..4]
            ),
        ));
    }
    let tuner = u32::from_be_bytes([g[4], g[5], g[6], g[7]]);
    let gains = u32::from_be_bytes([g[8], g[9], g[10], g[11]]);
    sock.set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| device_error(name, e.to_string()))?;
    Ok((sock, tuner, gains))
}

impl LiveDevice for RtlTcp {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<DevRead, CaptureError> {
        let want = buf.len() & !1;
        let mut got = 0;
        let mut gap = 0;
        if let Some(b) = self.odd.take() {
            buf[0] = b;
            got = 1;
        }
        while got < want {
            if self.sock.is_none() {
                // (A previous read ended at the break; its samples went out before this gap.)
                let why = self
                    .lost
                    .take()
                    .unwrap_or_else(|| "the server went away".into());
                gap += self.reconnect(&why)?;
                got = 0;
                continue;
            }
            let r = self
                .sock
                .as_mut()
                .expect("connected")
                .read(&mut buf[got..want]);
            match r {
                Ok(0) => {
                    self.sock = None;
                    got &= !1;
                    if got > 0 {
                        self.lost = Some("the server closed the connection".into());
                        break;
                    }
                    gap += self.reconnect("the server closed the connection")?;
                }
                Ok(n) => {
                    if self.started.is_none() {
                        self.started = Some(Instant::now());
                    }
                    got += n;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    self.timeouts += 1;
                    self.sock = None;
                    got &= !1;
                    if got > 0 {
                        self.lost = Some(format!("no data for {READ_TIMEOUT:?}"));
                        break;
                    }
                    gap += self.reconnect(&format!("no data for {READ_TIMEOUT:?}"))?;
                }
                Err(e) => {
                    self.sock = None;
                    got &= !1;
                    if got > 0 {
                        self.lost = Some(format!("connection error ({e})"));
                        break;
                    }
                    gap += self.reconnect(&format!("connection error ({e})"))?;
                }
            }
        }
        if got % 2 == 1 {
            got -= 1;
            self.odd = Some(buf[got]);
        }
        self.delivered += (got / 2) as u64 + gap;
        Ok(DevRead::Data {
            bytes: got,
            gap_samples: gap,
        })
    }

    fn events(&self) -> Vec<(&'static str, u64)> {
        vec![("reconnects", self.reconnects), ("timeouts", self.timeouts)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::device::RtlOptions;

    #[test]
    fn commands_encode_as_the_protocol_says() {
        let mut t = Tuning::new(355.0125e6, 2.4e6);
        t.gain = Gain::Db(49.6);
        t.ppm = -3.0;
        t.rtl = RtlOptions {
            agc: false,
            direct_sampling: None,
            offset_tuning: false,
            bias_tee: true,
        };
        let c = setup_commands(&t);
        assert_eq!(
            c,
            vec![
                (0x02, 2_400_000),
                (0x01, 355_012_500),
                (0x05, (-3i32) as u32),
                (0x03, 1),
                (0x04, 496), // tenths of a dB, rounded (gr-osmosdr truncates to 495)
                (0x08, 0),
                (0x0e, 1),
            ]
        );
    }
}
