//! linkscope's COFDM receiver beside GNU Radio's DVB-T receiver (gr-dtv,
//! `tests/peers/gr_dvbt_rx.py`) on the same capture in one run: each one's speed as × real
//! time (capture duration / wall time), the ratio, and the TS packets each decoded.
//!
//! linkscope: `CofdmReceiver::process` + `finish` over the whole capture already in memory.
//! GNU Radio: the flowgraph's `tb.run()` as the script reports it (Python start-up and the
//! flowgraph's construction excluded; reading the file, from the page cache, included). GNU
//! Radio runs one thread per block, so it may use every core; its CPU time is printed too.
//!
//! Default capture: linkscope's transmitter, 8 MHz 2K 64QAM 3/4 GI 1/8, 1.5 s of PRBS packets.
//! Or any ci16_le/cf32_le recording at the elementary rate (8/7 × the bandwidth) with its
//! parameters given, since gr-dtv cannot find them blindly:
//!
//! cargo run --release --example cofdm_vs_gnuradio
//! cargo run --release --example cofdm_vs_gnuradio -- \
//!     ../shared/captures/gnuradio/dvbt_2k_16qam_r23_gi8_8mhz.sigmf-meta \
//!     --mode 2k --guard 1/8 --constellation 16qam --rate 2/3

use clap::Parser;
use linkscope::cofdm::params::elementary_rate_hz;
use linkscope::cofdm::tx::{Transmitter, TsSource};
use linkscope::cofdm::{CodeRate, CofdmReceiver, Constellation, Guard, Mode, RxConfig, TxParams};
use linkscope::dsp::Complex32;
use linkscope::io::{Capture, OpenOptions, SampleFormat};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const PYTHON: &str = "/usr/bin/python3";

#[derive(Parser)]
struct Args {
    /// A recording (SigMF or raw with --format and --rate); default: generated.
    capture: Option<PathBuf>,
    #[arg(long, default_value = "2k")]
    mode: String,
    #[arg(long, default_value = "1/8")]
    guard: String,
    #[arg(long, default_value = "64qam")]
    constellation: String,
    #[arg(long, default_value = "3/4")]
    rate: String,
    /// Sample format of a raw recording.
    #[arg(long)]
    format: Option<String>,
    /// Sample rate of a raw recording, Hz.
    #[arg(long)]
    sample_rate: Option<f64>,
    /// Seconds of signal to generate (default capture only).
    #[arg(long, default_value_t = 1.5)]
    seconds: f64,
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("cofdm_vs_gnuradio: {msg}");
    std::process::exit(1)
}

fn write_cf32(path: &Path, x: &[Complex32]) {
    let bytes: Vec<u8> = x
        .iter()
        .flat_map(|c| [c.re.to_le_bytes(), c.im.to_le_bytes()].concat())
        .collect();
    std::fs::write(path, bytes).unwrap_or_else(|e| fail(format!("{}: {e}", path.display())));
}

/// The whole recording in memory: (samples, rate, its data file, its sample format).
fn read_capture(path: &Path, args: &Args) -> (Vec<Complex32>, f64, PathBuf, SampleFormat) {
    let opts = OpenOptions {
        format: args.format.as_deref().map(|f| {
            SampleFormat::from_name(f).unwrap_or_else(|| fail(format!("unknown format {f}")))
        }),
        rate_hz: args.sample_rate,
        freq_hz: None,
    };
    let mut cap = Capture::open(path, &opts).unwrap_or_else(|e| fail(e));
    let mut x = Vec::with_capacity(cap.info.num_samples as usize);
    let mut buf = vec![Complex32::default(); 1 << 16];
    loop {
        match cap.read_complex(&mut buf) {
            Ok(0) => break,
            Ok(n) => x.extend_from_slice(&buf[..n]),
            Err(e) => fail(e),
        }
    }
    let info = &cap.info;
    (x, info.sample_rate_hz, info.data_path.clone(), info.format)
}

/// Where the packets of `got` lie in `src` when they are one byte-identical run of it.
fn run_in(got: &[u8], src: &[u8]) -> Option<usize> {
    let n = got.len() / 188;
    if n == 0 || got.len() % 188 != 0 {
        return None;
    }
    let first = src.chunks_exact(188).position(|p| p == &got[..188])?;
    (src.len() >= (first + n) * 188 && src[first * 188..(first + n) * 188] == got[..])
        .then_some(first)
}

fn main() {
    let args = Args::parse();
    let p = TxParams {
        mode: Mode::parse(&args.mode).unwrap_or_else(|| fail("--mode: 2k or 8k")),
        guard: Guard::parse(&args.guard).unwrap_or_else(|| fail("--guard: 1/4 … 1/32")),
        constellation: Constellation::parse(&args.constellation)
            .unwrap_or_else(|| fail("--constellation: qpsk, 16qam or 64qam")),
        code_rate: CodeRate::parse(&args.rate).unwrap_or_else(|| fail("--rate: 1/2 … 7/8")),
        cell_id: None,
    };
    match Command::new(PYTHON)
        .args(["-c", "from gnuradio import dtv"])
        .output()
    {
        Ok(o) if o.status.success() => {}
        _ => fail(format!(
            "GNU Radio's gr-dtv is not available to {PYTHON} (Debian: apt-get install \
             gnuradio); nothing to compare with"
        )),
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail(e));

    // The capture, in memory and as a file GNU Radio can read.
    let (x, fs, data, format, sent) = match &args.capture {
        Some(path) => {
            let (x, fs, data, format) = read_capture(path, &args);
            if !matches!(format, SampleFormat::Ci16Le | SampleFormat::Cf32Le) {
                fail(format!(
                    "{}: the GNU Radio script reads ci16_le or cf32_le, not {}",
                    path.display(),
                    format.sigmf_name()
                ));
            }
            (x, fs, data, format, None)
        }
        None => {
            let fs = elementary_rate_hz(8e6);
            let mut src = TsSource::prbs(1);
            let mut tx = Transmitter::new(p, 0.1);
            let symbols = (args.seconds * fs / p.symbol_samples() as f64).ceil() as usize;
            let x = tx.symbols(&mut src, symbols);
            let data = dir.path().join("capture.cf32");
            write_cf32(&data, &x);
            let sent = src.replay(tx.packets_sent() as usize);
            (x, fs, data, SampleFormat::Cf32Le, Some(sent))
        }
    };
    let duration = x.len() as f64 / fs;
    println!(
        "capture: {} — {} {} {} GI {}, {:.4} MS/s, {} samples, {duration:.3} s",
        args.capture
            .as_deref()
            .map_or("linkscope transmitter, PRBS TS".into(), |p| p
                .display()
                .to_string()),
        p.mode.name(),
        p.constellation.name(),
        p.code_rate.name(),
        p.guard.name(),
        fs / 1e6,
        x.len()
    );

    // linkscope, at the rate as given (a rate of 8/7 × BW means no resampling).
    // Once on one thread, once with the decoding chain on a second thread.
    let run = |threads: usize| {
        let mut cfg = RxConfig::new(fs, None);
        cfg.threads = threads;
        let mut rx = CofdmReceiver::new(cfg).unwrap_or_else(|e| fail(e));
        let mut ours = Vec::new();
        let t0 = Instant::now();
        rx.process(&x, &mut ours);
        rx.finish(&mut ours);
        (t0.elapsed().as_secs_f64(), ours)
    };
    let (one_wall, _) = run(1);
    let (our_wall, ours) = run(2);
    let our_ts: Vec<u8> = ours.iter().flat_map(|q| q.data.iter().copied()).collect();
    let rs_failed = ours.iter().filter(|q| !q.rs_ok).count();

    // GNU Radio on the same file.
    let gr_ts_path = dir.path().join("gr.ts");
    let out = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/gr_dvbt_rx.py"))
        .arg(&data)
        .args([
            "--format",
            format.sigmf_name(),
            "--mode",
            &p.mode.name().to_lowercase(),
            "--guard",
            p.guard.name(),
            "--constellation",
            &p.constellation.name().to_lowercase(),
            "--rate",
            p.code_rate.name(),
            "-o",
        ])
        .arg(&gr_ts_path)
        .output()
        .unwrap_or_else(|e| fail(format!("run {PYTHON}: {e}")));
    if !out.status.success() {
        fail(format!(
            "the GNU Radio script failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let j: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| fail(format!("the GNU Radio script's output: {e}")));
    let gr_wall = j["wall_s"].as_f64().unwrap_or(f64::NAN);
    let gr_cpu = j["cpu_s"].as_f64().unwrap_or(f64::NAN);
    let gr_ts = std::fs::read(&gr_ts_path).unwrap_or_default();
    if j["samples"].as_u64() != Some(x.len() as u64) {
        fail(format!(
            "GNU Radio read {} samples, linkscope {}",
            j["samples"],
            x.len()
        ));
    }

    let check = |ts: &[u8]| match &sent {
        Some(src) => match run_in(ts, src) {
            Some(i) => format!(
                ", identical to sent packets {i}..={}",
                i + ts.len() / 188 - 1
            ),
            None if ts.is_empty() => String::new(),
            None => ", NOT a run of the sent TS".into(),
        },
        None => String::new(),
    };
    println!(
        "linkscope:  wall {our_wall:7.3} s  {:6.2} × real time  {:6} packets ({rs_failed} RS failures){}",
        duration / our_wall,
        ours.len(),
        check(&our_ts)
    );
    println!(
        "  (one thread: wall {one_wall:7.3} s  {:6.2} × real time)",
        duration / one_wall
    );
    println!(
        "GNU Radio:  wall {gr_wall:7.3} s  {:6.2} × real time  {:6} packets (CPU {gr_cpu:.3} s, {:.2} × real time per core){}",
        duration / gr_wall,
        gr_ts.len() / 188,
        duration / gr_cpu,
        check(&gr_ts)
    );
    println!(
        "ratio: linkscope is {:.2}× GNU Radio's speed (wall, both on two cores); \
         {:.2}× per CPU second (linkscope on one thread against GNU Radio's CPU time)",
        gr_wall / our_wall,
        gr_cpu / one_wall
    );
}
