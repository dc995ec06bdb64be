//! `linkscope mpt INPUT [-f FREQ]` — MPT 1327 control-channel decoder and monitor.

use super::common::{
    print_warnings, progress, resolve_channel, run_receiver, stream_warnings, SourceArgs,
};
use anyhow::Context;
use clap::Args;
use linkscope::mpt1327::monitor::{ChannelPlan, Monitor};
use linkscope::mpt1327::rx::{MptReceiver, Received, RxInput};
use linkscope::units::{self, mhz};

#[derive(Args)]
pub struct MptArgs {
    #[command(flatten)]
    input: SourceArgs,
    /// Control-channel frequency (needed for a wideband capture; default: the capture's centre)
    #[arg(short = 'f', long = "channel", value_parser = units::parse_hz)]
    channel: Option<f64>,
    /// Channel spacing / filter bandwidth (12.5k or 25k)
    #[arg(long, default_value = "12.5k", value_parser = units::parse_hz)]
    bw: f64,
    /// Frequency of channel number 0, to turn granted channel numbers into frequencies
    #[arg(long, value_parser = units::parse_hz)]
    chan_base: Option<f64>,
    /// Channel spacing of the numbering plan
    #[arg(long, default_value = "12.5k", value_parser = units::parse_hz)]
    chan_step: f64,
    /// JSON lines: one per codeword, then a summary line
    #[arg(long)]
    json: bool,
    /// Also list codewords that failed their check (terminal view)
    #[arg(long)]
    all: bool,
    /// No progress bar or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(a: MptArgs) -> anyhow::Result<()> {
    // A device is tuned a quarter of the sample rate below the channel, away from its DC spike.
    let tune = a.channel.map(|f| f - a.input.device_rate() / 4.0);
    let mut cap = a.input.open(tune, a.quiet)?;
    let info = cap.info();
    let fs = info.sample_rate_hz;
    let input = if info.format.is_complex() {
        let (offset, _) = resolve_channel(&info, a.channel, a.bw, 100e3, "the control channel")?;
        RxInput::Iq {
            fs,
            offset_hz: offset,
        }
    } else {
        RxInput::Audio { fs }
    };
    let mut rx = MptReceiver::new(input, a.bw).with_context(|| info.path.display().to_string())?;
    let plan = a.chan_base.map(|b| ChannelPlan {
        base_hz: b,
        step_hz: a.chan_step,
    });
    let mut mon = Monitor::new(plan);
    let pb = progress(info.num_samples, a.quiet);
    let show = |r: &Received, mon: &mut Monitor| {
        mon.add(r);
        if a.json {
            println!("{}", serde_json::Value::Object(r.to_json()));
        } else if r.check_ok() || a.all {
            print_line(r);
        }
    };
    run_receiver(&mut cap, &mut rx, &pb, |r| show(r, &mut mon))?;
    let mut warnings = Vec::new();
    let dropped = stream_warnings(&mut cap, fs, &mut warnings);
    let s = mon.summary(
        cap.position() as f64 / fs,
        &rx.stats,
        rx.inverted(),
        rx.carrier_offset_hz(),
    );
    if a.json {
        let mut sj = serde_json::to_value(&s)?;
        sj["dropped_samples"] = serde_json::json!(dropped);
        if !warnings.is_empty() {
            sj["stream_warnings"] = serde_json::json!(warnings);
        }
        println!("{}", serde_json::json!({ "summary": sj }));
        return Ok(());
    }
    println!();
    println!("{} — {}", info.path.display(), s.status);
    println!(
        "  {:.1} s: {} codewords, {} valid ({} corrected), {} failed = {:.2} % check failures, BER ≈ {:.1e}",
        s.duration_s, s.codewords, s.valid, s.corrected, s.failed, s.check_fail_pct, s.ber_estimate
    );
    println!(
        "  {:.2} valid codewords/s, slot period {}, sync losses {}, FFSK present {:.0} % of the time{}",
        s.codewords_per_s,
        s.slot_period_ms.map(|p| format!("{p:.2} ms")).unwrap_or_else(|| "–".into()),
        s.sync_losses,
        s.ffsk_present_pct,
        if s.inverted == Some(true) { ", bit polarity inverted (corrected)" } else { "" }
    );
    if let Some(f) = s.freq_error_hz {
        println!("  carrier frequency error {f:+.0} Hz");
    }
    if let Some(sys) = &s.sys {
        println!("  system identity SYS {sys}");
    }
    for site in &s.adjacent_sites {
        println!("  adjacent site {} on channel {}", site.adjsite, site.chan);
    }
    if !s.grant_log.is_empty() {
        println!("  channel grants:");
        for g in &s.grant_log {
            println!(
                "    {:8.3} s  {} call {}/{} → {} on channel {}{}",
                g.t_s,
                if g.data { "data" } else { "speech" },
                g.pfix,
                g.ident2,
                g.ident1,
                g.chan,
                g.freq_hz
                    .map(|f| format!(" ({} MHz)", mhz(f)))
                    .unwrap_or_default()
            );
        }
    }
    print_warnings(&info.warnings, a.quiet);
    print_warnings(&warnings, a.quiet);
    Ok(())
}

fn print_line(r: &Received) {
    let j = r.to_json();
    let fields: Vec<String> = j
        .iter()
        .filter(|(k, _)| {
            !matches!(
                k.as_str(),
                "t_s" | "hex" | "check_ok" | "corrected" | "position" | "type" | "raw_hex"
            )
        })
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| v.to_string())
            )
        })
        .collect();
    println!(
        "{:9.4} {} {:<6}{} {}",
        r.t_s,
        j["hex"].as_str().unwrap_or(""),
        j["type"].as_str().unwrap_or(""),
        if matches!(r.check, linkscope::fec::mpt1327_bch::Check::Corrected(_)) {
            "*"
        } else {
            " "
        },
        fields.join(" ")
    );
}
