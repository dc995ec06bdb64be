//! Options and helpers shared by subcommands.

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use linkscope::io::{Capture, CaptureInfo, OpenOptions, SampleFormat};
use linkscope::units;
use std::io::IsTerminal;
use std::path::PathBuf;

/// Where samples come from.
#[derive(Args, Debug, Clone)]
pub struct InputArgs {
    /// Capture: NAME.sigmf-meta / NAME.sigmf-data / NAME (SigMF), NAME.sigmf (archive), .wav, or a raw file
    pub input: PathBuf,
    /// Sample format of a raw file (cu8, ci8, ci16_le, cf32_le, ri16_le, rf32_le)
    #[arg(long, value_parser = parse_format)]
    pub format: Option<SampleFormat>,
    /// Sample rate of a raw file (e.g. 2.4M); overrides the capture's
    #[arg(long, value_parser = units::parse_hz)]
    pub rate: Option<f64>,
    /// Centre frequency (e.g. 355M); needed for raw and WAV files, overrides the capture's
    #[arg(long, value_parser = units::parse_hz)]
    pub freq: Option<f64>,
}

fn parse_format(s: &str) -> Result<SampleFormat, String> {
    SampleFormat::from_name(s).ok_or_else(|| {
        format!("'{s}' is not a sample format (cu8, ci8, ci16_le, cf32_le, ri16_le, rf32_le)")
    })
}

impl InputArgs {
    pub fn open(&self) -> anyhow::Result<Capture> {
        let opts = OpenOptions {
            format: self.format,
            rate_hz: self.rate,
            freq_hz: self.freq,
        };
        Ok(Capture::open(&self.input, &opts)?)
    }
}

/// A progress bar on stderr for `total` samples, shown only on a terminal and unless quiet.
pub fn progress(total: u64, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    pb.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] {percent:>3}% {msg} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb
}

pub fn print_warnings(w: &[String], quiet: bool) {
    if !quiet {
        for m in w {
            eprintln!("warning: {m}");
        }
    }
}

/// The channel to receive from a complex capture: its offset from the capture's centre and its
/// RF frequency (when known). Without `-f` the capture itself must be the channel (at most
/// `narrow_max_hz` wide). `what` names the channel in messages ("the channel", "the control
/// channel").
pub fn resolve_channel(
    info: &CaptureInfo,
    channel: Option<f64>,
    bw: f64,
    narrow_max_hz: f64,
    what: &str,
) -> anyhow::Result<(f64, Option<f64>)> {
    let fs = info.sample_rate_hz;
    let name = info.path.display();
    let (offset, freq) = match (channel, info.center_freq_hz) {
        (Some(f), Some(fc)) => (f - fc, Some(f)),
        (Some(_), None) => anyhow::bail!(
            "{name}: -f needs the capture's centre frequency (core:frequency or --freq)"
        ),
        (None, fc) if fs <= narrow_max_hz => (0.0, fc),
        (None, _) => anyhow::bail!(
            "{name}: a wideband capture ({:.3} MS/s): give {what} with -f FREQ",
            fs / 1e6
        ),
    };
    if offset.abs() + bw / 2.0 > fs / 2.0 {
        anyhow::bail!(
            "{name}: {what}{} ({offset:+.0} Hz from the centre, ±{:.2} kHz wide) is outside the capture's ±{:.0} Hz",
            freq.map(|f| format!(" at {} MHz", units::mhz(f))).unwrap_or_default(),
            bw / 2e3,
            fs / 2.0
        );
    }
    Ok((offset, freq))
}
