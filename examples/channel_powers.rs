//! Read a capture and print the mean power of a few channels — the library API in 40 lines.
//!
//! `cargo run --release --example channel_powers -- captures/band/rtl_355m_mixed.sigmf-meta 354.5M 355.3M`

use linkscope::dsp::Complex32;
use linkscope::io::{Capture, OpenOptions};
use linkscope::spectrum::{Channel, ScanConfig, Scanner};
use linkscope::units::parse_hz;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: channel_powers CAPTURE FREQ…")?;
    let mut cap = Capture::open(path.as_ref(), &OpenOptions::default())?;
    let fc = cap.info.require_center_freq()?;
    let plan = args
        .map(|f| -> Result<Channel, String> {
            Ok(Channel {
                name: f.clone(),
                freq_hz: parse_hz(&f)?,
                bandwidth_hz: 12_500.0,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let fs = cap.info.sample_rate_hz;
    let mut scanner = Scanner::new(
        ScanConfig::default(),
        plan,
        fs,
        fc,
        Some(cap.info.num_samples),
    )?;
    let mut buf = vec![Complex32::default(); 1 << 16];
    loop {
        let n = cap.read_complex(&mut buf)?;
        if n == 0 {
            break;
        }
        scanner.process(&buf[..n]);
    }
    let (report, _) = scanner.finish(&path, None);
    println!(
        "noise floor {:.1} dBFS per 12.5 kHz",
        report.noise_floor_dbfs
    );
    for c in &report.channels {
        println!(
            "{:>12} {:7.1} dBFS mean {:7.1} dBFS peak {:5.1} % occupied",
            c.name, c.mean_power_dbfs, c.peak_power_dbfs, c.occupancy_pct
        );
    }
    Ok(())
}
