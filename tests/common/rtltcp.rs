//! A fake rtl_tcp server on loopback: sends the 12-byte greeting, then the bytes of a file
//! (optionally paced in real time, optionally cut short), and records the 5-byte commands it
//! receives. Written from the protocol description in `../shared/spec/live-sources.md`, apart
//! from linkscope's client.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct FakeRtlTcp {
    pub port: u16,
    pub commands: Arc<Mutex<Vec<(u8, u32)>>>,
    /// When the first sample byte was sent.
    pub started: Arc<OnceLock<Instant>>,
    handle: Option<JoinHandle<u64>>,
}

pub struct Serve {
    /// cu8 bytes to stream.
    pub data: Vec<u8>,
    /// Pace at this many samples/s (None: as fast as the socket takes them).
    pub rate: Option<f64>,
    /// Close the connection after this many bytes (the server "vanishes").
    pub cut_at: Option<usize>,
    /// Repeat the data until the client goes away.
    pub looped: bool,
}

impl FakeRtlTcp {
    pub fn start(s: Serve) -> FakeRtlTcp {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let cmds = commands.clone();
        let started = Arc::new(OnceLock::new());
        let st = started.clone();
        let handle = std::thread::spawn(move || {
            // One client; the listener closes with this thread, so reconnecting is refused.
            let (mut sock, _) = listener.accept().unwrap();
            drop(listener);
            let mut greeting = b"RTL0".to_vec();
            greeting.extend_from_slice(&5u32.to_be_bytes()); // R820T
            greeting.extend_from_slice(&29u32.to_be_bytes());
            sock.write_all(&greeting).unwrap();
            let mut rd = sock.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut c = [0u8; 5];
                while rd.read_exact(&mut c).is_ok() {
                    cmds.lock()
                        .unwrap()
                        .push((c[0], u32::from_be_bytes([c[1], c[2], c[3], c[4]])));
                }
            });
            // Let the set-up commands arrive before streaming, as a dongle needs time to tune.
            std::thread::sleep(Duration::from_millis(50));
            let end = s.cut_at.unwrap_or(s.data.len()).min(s.data.len());
            let t0 = Instant::now();
            let _ = st.set(t0);
            let mut sent = 0u64;
            'outer: loop {
                for chunk in s.data[..end].chunks(16384) {
                    if sock.write_all(chunk).is_err() {
                        break 'outer;
                    }
                    sent += chunk.len() as u64;
                    if let Some(r) = s.rate {
                        let due = t0 + Duration::from_secs_f64(sent as f64 / 2.0 / r);
                        if let Some(w) = due.checked_duration_since(Instant::now()) {
                            std::thread::sleep(w);
                        }
                    }
                }
                if !s.looped || s.cut_at.is_some() {
                    break;
                }
            }
            let _ = sock.shutdown(Shutdown::Both);
            sent
        });
        FakeRtlTcp {
            port,
            commands,
            started,
            handle: Some(handle),
        }
    }

    /// Bytes the server sent, once it has finished.
    pub fn join(mut self) -> u64 {
        self.handle.take().unwrap().join().unwrap()
    }
}
