//! Options and helpers shared by subcommands.

use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use linkscope::io::device::{self, DeviceSpec, Gain, RtlOptions, Tuning};
use linkscope::io::{Capture, CaptureInfo, OpenOptions, SampleFormat};
use linkscope::stream::{install_stop_handler, Input, LiveStream, Source, StreamConfig};
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

/// Where samples come from: a capture, or a live device with `--device`.
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// Capture: NAME.sigmf-meta / NAME.sigmf-data / NAME (SigMF), NAME.sigmf (archive), .wav, or a raw file
    #[arg(required_unless_present = "device", conflicts_with = "device")]
    pub input: Option<PathBuf>,
    /// Sample format of a raw file (cu8, ci8, ci16_le, cf32_le, ri16_le, rf32_le)
    #[arg(long, value_parser = parse_format)]
    pub format: Option<SampleFormat>,
    /// Sample rate of a raw file (overrides the capture's) or of the device (default 2.4M)
    #[arg(long, short = 's', value_parser = units::parse_hz)]
    pub rate: Option<f64>,
    /// Centre frequency: of a raw/WAV file (overrides the capture's) or to tune the device to
    #[arg(long, value_parser = units::parse_hz)]
    pub freq: Option<f64>,
    /// Process only this much of the input (e.g. 30s, 5min); a device runs until Ctrl-C without it
    #[arg(long, value_parser = units::parse_seconds)]
    pub duration: Option<f64>,
    #[command(flatten)]
    pub dev: DeviceArgs,
}

/// A live device and how to set it up.
#[derive(Args, Debug, Clone)]
pub struct DeviceArgs {
    /// Live source instead of a file: rtl_tcp=HOST:PORT, or SoapySDR arguments (driver=rtlsdr,serial=…; see `linkscope devices`)
    #[arg(long)]
    pub device: Option<String>,
    /// Device gain: auto, dB (38.6), or per stage (LNA=20,VGA=10; SoapySDR)
    #[arg(long, default_value = "auto", value_parser = Gain::parse)]
    pub gain: Gain,
    /// Frequency correction of the device, ppm
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    pub ppm: f64,
    /// Analogue filter bandwidth of the device (SoapySDR)
    #[arg(long, value_parser = units::parse_hz)]
    pub device_bw: Option<f64>,
    /// Antenna port (SoapySDR, e.g. RX2)
    #[arg(long)]
    pub antenna: Option<String>,
    /// RTL2832 digital AGC on (rtl_tcp)
    #[arg(long)]
    pub rtl_agc: bool,
    /// Direct sampling: 1 = I ADC, 2 = Q ADC (rtl_tcp)
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
    pub direct_sampling: Option<u8>,
    /// Offset tuning (rtl_tcp, E4000 tuners)
    #[arg(long)]
    pub offset_tuning: bool,
    /// Bias tee on: powers an LNA through the antenna cable (rtl_tcp)
    #[arg(long)]
    pub bias_tee: bool,
    /// Reconnection attempts when a network source drops (1 s apart)
    #[arg(long, default_value_t = 3)]
    pub reconnect: u32,
    /// Queue between the device and processing, in seconds of samples
    #[arg(long, default_value = "2s", value_parser = units::parse_seconds)]
    pub buffer: f64,
}

impl DeviceArgs {
    /// The tuning for `freq_hz` / `rate_hz`.
    pub fn tuning(&self, freq_hz: f64, rate_hz: f64) -> Tuning {
        let mut t = Tuning::new(freq_hz, rate_hz);
        t.gain = self.gain.clone();
        t.ppm = self.ppm;
        t.bandwidth_hz = self.device_bw;
        t.antenna = self.antenna.clone();
        t.rtl = RtlOptions {
            agc: self.rtl_agc,
            direct_sampling: self.direct_sampling,
            offset_tuning: self.offset_tuning,
            bias_tee: self.bias_tee,
        };
        t.reconnect = self.reconnect;
        t
    }

    /// Open the device and start streaming.
    pub fn start(&self, freq_hz: f64, rate_hz: f64, quiet: bool) -> anyhow::Result<LiveStream> {
        let name = self.device.as_deref().unwrap_or_default();
        let spec = DeviceSpec::parse(name).map_err(|e| anyhow::anyhow!("--device {e}"))?;
        if !(rate_hz.is_finite() && rate_hz > 0.0) {
            anyhow::bail!("--rate {rate_hz} Hz: expected a positive sample rate");
        }
        install_stop_handler();
        let dev = device::open(&spec, &self.tuning(freq_hz, rate_hz))?;
        let cfg = StreamConfig {
            block_samples: 0,
            queue_s: self.buffer.max(0.05),
            warn: !quiet,
        };
        Ok(LiveStream::start(dev, &cfg)?)
    }
}

/// Sample rate a device runs at when --rate is not given.
pub const DEFAULT_DEVICE_RATE_HZ: f64 = 2.4e6;

impl SourceArgs {
    /// Open the file or start the device. `tune_hz` is the centre frequency to tune a device to
    /// when `--freq` is not given (None: --freq is required).
    pub fn open(&self, tune_hz: Option<f64>, quiet: bool) -> anyhow::Result<Input> {
        if self.dev.device.is_some() {
            let rate = self.rate.unwrap_or(DEFAULT_DEVICE_RATE_HZ);
            let freq = self.freq.or(tune_hz).ok_or_else(|| {
                anyhow::anyhow!(
                    "--device needs the frequency to tune to: give --freq (e.g. --freq 355M)"
                )
            })?;
            let s = self.dev.start(freq, rate, quiet)?;
            return Ok(Input::new(Source::Live(Box::new(s)), self.duration));
        }
        let path = self
            .input
            .as_ref()
            .expect("clap requires INPUT without --device");
        let opts = OpenOptions {
            format: self.format,
            rate_hz: self.rate,
            freq_hz: self.freq,
        };
        install_stop_handler();
        let cap = Capture::open(path, &opts)?;
        Ok(Input::new(Source::File(Box::new(cap)), self.duration))
    }

    /// The sample rate the input will have (device default when not given), for choosing a
    /// tuning frequency before opening.
    pub fn device_rate(&self) -> f64 {
        self.rate.unwrap_or(DEFAULT_DEVICE_RATE_HZ)
    }
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

/// A progress bar on stderr for `total` samples, shown only on a terminal and unless quiet (and
/// not for an endless live input).
pub fn progress(total: u64, quiet: bool) -> ProgressBar {
    if quiet || total == u64::MAX || !std::io::stderr().is_terminal() {
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

/// After a run: the samples a live input lost and whether it was interrupted, as warnings;
/// returns the dropped-sample count for the JSON summary.
pub fn stream_warnings(input: &mut Input, fs: f64, warnings: &mut Vec<String>) -> u64 {
    let mut dropped = input.dropped_samples();
    if let Some(sum) = input.summary() {
        dropped = sum.dropped_samples;
        if dropped > 0 {
            warnings.push(format!(
                "{dropped} samples ({:.3} s) were lost in {} gaps ({} because processing fell behind, up to {:.1} s); the figures cover the samples received",
                dropped as f64 / fs,
                sum.gaps,
                sum.queue_dropped_samples,
                sum.max_lag_s
            ));
        }
    }
    if input.interrupted() {
        warnings.push(format!(
            "interrupted after {:.1} s: the results cover what was received until then",
            input.position() as f64 / fs
        ));
    }
    dropped
}

/// A channel receiver fed complex baseband or discriminator audio, emitting items (codewords,
/// bursts) as it decodes them.
pub trait ChannelReceiver {
    /// What it emits.
    type Item;
    /// Complex baseband.
    fn process_iq(&mut self, x: &[linkscope::dsp::Complex32], out: &mut Vec<Self::Item>);
    /// Discriminator audio.
    fn process_audio(&mut self, a: &[f32], out: &mut Vec<Self::Item>);
    /// Samples lost by a live input.
    fn gap(&mut self, seconds: f64);
    /// End of input.
    fn finish(&mut self, out: &mut Vec<Self::Item>);
}

macro_rules! channel_receiver {
    ($rx:ty, $item:ty) => {
        impl ChannelReceiver for $rx {
            type Item = $item;
            fn process_iq(&mut self, x: &[linkscope::dsp::Complex32], out: &mut Vec<$item>) {
                <$rx>::process_iq(self, x, out)
            }
            fn process_audio(&mut self, a: &[f32], out: &mut Vec<$item>) {
                <$rx>::process_audio(self, a, out)
            }
            fn gap(&mut self, seconds: f64) {
                <$rx>::gap(self, seconds)
            }
            fn finish(&mut self, out: &mut Vec<$item>) {
                <$rx>::finish(self, out)
            }
        }
    };
}
channel_receiver!(
    linkscope::mpt1327::rx::MptReceiver,
    linkscope::mpt1327::rx::Received
);
channel_receiver!(linkscope::pdt::rx::PdtReceiver, linkscope::pdt::rx::RxBurst);
channel_receiver!(
    linkscope::cofdm::CofdmReceiver,
    linkscope::cofdm::chain::TsPacket
);

/// Feed the whole input (complex or audio, by its format) through `rx`, handing every item to
/// `show` as soon as it is decoded; a live input's gaps are passed on.
pub fn run_receiver<R: ChannelReceiver>(
    cap: &mut Input,
    rx: &mut R,
    pb: &ProgressBar,
    mut show: impl FnMut(&R::Item),
) -> anyhow::Result<()> {
    let info = cap.info();
    let fs = info.sample_rate_hz;
    let mut out = Vec::new();
    if info.format.is_complex() {
        let mut buf = vec![linkscope::dsp::Complex32::default(); 1 << 14];
        loop {
            let n = cap.read_complex(&mut buf)?;
            if n == 0 {
                break;
            }
            let gap = cap.take_gap();
            if gap > 0 {
                rx.gap(gap as f64 / fs);
            }
            rx.process_iq(&buf[..n], &mut out);
            out.drain(..).for_each(|r| show(&r));
            pb.inc(n as u64);
        }
    } else {
        let mut buf = vec![0.0f32; 1 << 16];
        loop {
            let n = cap.read_real(&mut buf)?;
            if n == 0 {
                break;
            }
            rx.process_audio(&buf[..n], &mut out);
            out.drain(..).for_each(|r| show(&r));
            pb.inc(n as u64);
        }
    }
    rx.finish(&mut out);
    out.drain(..).for_each(|r| show(&r));
    pb.finish_and_clear();
    Ok(())
}
