//! `linkscope pdt INPUT [-f FREQ]` — PDT/DMR burst decoder and link analyser.

use super::common::{
    print_warnings, progress, resolve_channel, run_receiver, stream_warnings, SourceArgs,
};
use anyhow::Context;
use clap::Args;
use linkscope::pdt::monitor::{burst_json, Monitor};
use linkscope::pdt::rx::{PdtInput, PdtReceiver, RxBurst};
use linkscope::units;
use std::path::PathBuf;

#[derive(Args)]
pub struct PdtArgs {
    #[command(flatten)]
    input: SourceArgs,
    /// Channel frequency (needed for a wideband capture; default: the capture's centre)
    #[arg(short = 'f', long = "channel", value_parser = units::parse_hz)]
    channel: Option<f64>,
    /// JSON lines: one per burst, then a summary line with the link metrics
    #[arg(long)]
    json: bool,
    /// Eye diagram, symbol histogram and deviation over time as PNG
    #[arg(long)]
    png: Option<PathBuf>,
    /// Terminal view: also list idle bursts
    #[arg(long)]
    all: bool,
    /// No progress bar or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: PdtArgs) -> anyhow::Result<()> {
    // A device is tuned a quarter of the sample rate below the channel, away from its DC spike.
    let tune = a.channel.map(|f| f - a.input.device_rate() / 4.0);
    let mut cap = a.input.open(tune, a.quiet)?;
    let info = cap.info();
    let fs = info.sample_rate_hz;
    let name = info.path.display().to_string();
    let input = if info.format.is_complex() {
        let (offset, _) = resolve_channel(&info, a.channel, 12_500.0, 100e3, "the channel")?;
        PdtInput::Iq {
            fs,
            offset_hz: offset,
        }
    } else {
        PdtInput::Audio { fs }
    };
    let mut rx = PdtReceiver::new(input).with_context(|| name.clone())?;
    rx.keep_eye(a.png.is_some());
    let mut mon = Monitor::new(a.png.is_some());
    let pb = progress(info.num_samples, a.quiet);
    let show = |b: &RxBurst, mon: &mut Monitor| {
        mon.add(b);
        if a.json {
            println!("{}", serde_json::Value::Object(burst_json(b)));
        } else if a.all || b.data.as_ref().is_none_or(|d| d.data_type != 9) {
            println!("{}", linkscope::pdt::monitor::burst_line(b));
        }
    };
    run_receiver(&mut cap, &mut rx, &pb, |b| show(b, &mut mon))?;
    let mut warnings = Vec::new();
    let dropped = stream_warnings(&mut cap, fs, &mut warnings);
    let s = mon.summary(cap.position() as f64 / fs, &rx);
    if let Some(p) = &a.png {
        if mon.eye.is_empty() {
            warnings.push(format!(
                "{}: not written — no burst was decoded, so there is no eye to draw",
                p.display()
            ));
        } else {
            linkscope::report::plot::pdt_png(p, &mon, &format!("{name} — PDT/DMR 4FSK"))?;
        }
    }
    if a.json {
        let mut sj = serde_json::to_value(&s)?;
        sj["dropped_samples"] = serde_json::json!(dropped);
        if !warnings.is_empty() {
            sj["warnings"] = serde_json::json!(warnings);
        }
        println!("{}", serde_json::json!({ "summary": sj }));
    } else {
        println!();
        println!("{name} — {}", s.status);
        for line in s.text() {
            println!("  {line}");
        }
        print_warnings(&info.warnings, a.quiet);
        print_warnings(&warnings, a.quiet);
    }
    Ok(())
}
