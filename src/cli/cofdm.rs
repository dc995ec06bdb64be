//! `linkscope cofdm INPUT [--bw HZ]` — DVB-T-derived COFDM receiver and link analyser.

use super::common::{print_warnings, progress, run_receiver, stream_warnings, SourceArgs};
use anyhow::Context;
use clap::Args;
use linkscope::cofdm::chain::TsPacket;
use linkscope::cofdm::metrics::Summary;
use linkscope::cofdm::params::{elementary_rate_hz, BANDWIDTHS_HZ};
use linkscope::cofdm::{CofdmReceiver, RxConfig};
use linkscope::io::atomic::AtomicFile;
use linkscope::units;
use std::io::Write;
use std::path::PathBuf;

#[derive(Args)]
pub struct CofdmArgs {
    #[command(flatten)]
    input: SourceArgs,
    /// Channel bandwidth (e.g. 8M, 2M, 1.7M); default: 7/8 of the sample rate when that is a
    /// standard width, else each standard width is tried
    #[arg(long, value_parser = units::parse_hz)]
    bw: Option<f64>,
    /// One JSON object with the summary (mode, guard, constellation, code_rate, mer_db, …)
    #[arg(long)]
    json: bool,
    /// Write the recovered MPEG transport stream (packets RS could not correct carry the
    /// transport error indicator)
    #[arg(long)]
    ts: Option<PathBuf>,
    /// Constellation of the equalised data cells as PNG
    #[arg(long)]
    png: Option<PathBuf>,
    /// Channel impulse response as PNG
    #[arg(long)]
    impulse: Option<PathBuf>,
    /// MER per carrier as PNG
    #[arg(long = "mer-carriers")]
    mer_carriers: Option<PathBuf>,
    /// Largest carrier offset searched (e.g. 50k, 120k): an SDR's tuning error plus the
    /// transmitter's
    #[arg(long = "max-cfo", value_parser = units::parse_hz, default_value = "50k")]
    max_cfo: f64,
    /// Threads: 1 decodes on one core; 2 (default when the machine has two cores or more) runs
    /// the Viterbi/RS chain beside synchronisation and equalisation
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    threads: Option<u8>,
    /// No progress bar or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

/// The bandwidth implied by a sample rate when it is the elementary rate of a standard width.
fn standard_bw(fs: f64) -> Option<f64> {
    BANDWIDTHS_HZ
        .iter()
        .copied()
        .find(|&bw| (elementary_rate_hz(bw) - fs).abs() / fs < 2e-3)
}

pub fn run(a: CofdmArgs) -> anyhow::Result<()> {
    let mut cap = a.input.open(None, a.quiet)?;
    let info = cap.info();
    let fs = info.sample_rate_hz;
    let name = info.path.display().to_string();
    if !info.format.is_complex() {
        anyhow::bail!(
            "{name}: real-valued samples ({}); COFDM needs complex (IQ) baseband",
            info.format.sigmf_name()
        );
    }
    let bw = match a.bw {
        Some(b) => {
            if !(b.is_finite() && b > 0.0) {
                anyhow::bail!("--bw {b}: expected a positive bandwidth");
            }
            Some(b)
        }
        None => match standard_bw(fs) {
            Some(b) => Some(b),
            None if cap.is_live() => None,
            None => choose_bw(&a, fs)?,
        },
    };
    if !(a.max_cfo.is_finite() && a.max_cfo >= 0.0) {
        anyhow::bail!("--max-cfo {}: expected a non-negative frequency", a.max_cfo);
    }
    let mut cfg = RxConfig::new(fs, bw);
    cfg.max_cfo_hz = a.max_cfo;
    if let Some(n) = a.threads {
        cfg.threads = n as usize;
    }
    let mut rx = CofdmReceiver::new(cfg).with_context(|| name.clone())?;
    let pb = progress(info.num_samples, a.quiet);
    let mut packets: Vec<TsPacket> = Vec::new();
    let keep_ts = a.ts.is_some();
    run_receiver(&mut cap, &mut rx, &pb, |p| {
        if keep_ts {
            packets.push(p.clone());
        }
    })?;
    let mut warnings = Vec::new();
    let dropped = stream_warnings(&mut cap, fs, &mut warnings);
    let s = rx.summary();
    if let Some(p) = &a.ts {
        let mut f = AtomicFile::create(p).with_context(|| p.display().to_string())?;
        for pk in &packets {
            f.write_all(&pk.data)?;
        }
        f.commit().with_context(|| p.display().to_string())?;
    }
    let title = format!("{name} — COFDM");
    if let Some(p) = &a.png {
        match rx.chain() {
            Some(c) if !c.points.is_empty() => {
                linkscope::report::plot::constellation_png(p, &c.points, &title)?
            }
            _ => warnings.push(format!(
                "{}: not written — no data cells were demodulated",
                p.display()
            )),
        }
    }
    if let Some(p) = &a.impulse {
        let cir = rx.metrics.impulse_response();
        if cir.is_empty() {
            warnings.push(format!(
                "{}: not written — no channel estimate",
                p.display()
            ));
        } else {
            let tg = s.guard_us.unwrap_or(0.0);
            linkscope::report::plot::impulse_png(p, &cir, tg, &title)?;
        }
    }
    if let Some(p) = &a.mer_carriers {
        match rx.chain() {
            Some(c) => {
                let spacing = s.carrier_spacing_hz.unwrap_or(0.0);
                let centre = c.params.mode.centre() as f64;
                let v: Vec<(f64, f64)> = c
                    .mer_carrier
                    .iter()
                    .enumerate()
                    .filter(|(_, m)| m.1 > 0.0)
                    .map(|(k, m)| {
                        (
                            (k as f64 - centre) * spacing / 1e3,
                            10.0 * (m.0 / m.1).log10(),
                        )
                    })
                    .collect();
                linkscope::report::plot::mer_carriers_png(p, &v, &title)?;
            }
            None => warnings.push(format!(
                "{}: not written — nothing was decoded",
                p.display()
            )),
        }
    }
    if a.json {
        let mut sj = serde_json::to_value(&s)?;
        sj["input"] = serde_json::json!(name);
        sj["sample_rate_hz"] = serde_json::json!(fs);
        sj["dropped_samples"] = serde_json::json!(dropped);
        if !warnings.is_empty() {
            sj["warnings"] = serde_json::json!(warnings);
        }
        println!("{sj}");
    } else {
        print_summary(&name, &s);
        print_warnings(&info.warnings, a.quiet);
        print_warnings(&warnings, a.quiet);
    }
    Ok(())
}

/// Try each standard bandwidth the sample rate allows on the first second of the capture.
fn choose_bw(a: &CofdmArgs, fs: f64) -> anyhow::Result<Option<f64>> {
    let mut best: Option<(f64, (u64, f32))> = None;
    for bw in std::iter::once(fs * 7.0 / 8.0).chain(BANDWIDTHS_HZ.iter().copied()) {
        if elementary_rate_hz(bw) > fs * 1.0001 {
            continue;
        }
        let mut cap = a.input.open(None, true)?;
        let mut cfg = RxConfig::new(fs, Some(bw));
        cfg.max_cfo_hz = a.max_cfo;
        let mut rx = CofdmReceiver::new(cfg)?;
        let mut buf = vec![num_complex::Complex32::default(); 1 << 14];
        let mut out = Vec::new();
        let mut n = 0usize;
        while n < (fs * 0.6) as usize {
            let k = cap.read_complex(&mut buf)?;
            if k == 0 {
                break;
            }
            rx.process(&buf[..k], &mut out);
            n += k;
        }
        rx.finish(&mut out);
        let score = (rx.metrics.tps_ok, rx.metrics.cp_rho);
        if best.is_none_or(|(_, b)| score > b) {
            best = Some((bw, score));
        }
    }
    Ok(best.map(|b| b.0))
}

fn print_summary(name: &str, s: &Summary) {
    let opt = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map(f).unwrap_or_else(|| "—".into());
    println!("{name} — {}", s.status);
    let n = |x: Option<String>| x.unwrap_or_else(|| "—".into());
    println!(
        "  mode {}  guard {}  {}  rate {}  {}  cell id {}",
        n(s.mode.map(|m| m.name().into())),
        n(s.guard.map(|g| g.name().into())),
        n(s.constellation.map(|c| c.name().into())),
        n(s.code_rate.map(|c| c.name().into())),
        n(s.hierarchy.clone()),
        n(s.cell_id.map(|c| format!("0x{c:04X}"))),
    );
    println!(
        "  bandwidth {:.3} MHz  carrier spacing {}  guard {}  symbols {}  TPS words {} ({} failed)",
        s.bandwidth_hz / 1e6,
        opt(s.carrier_spacing_hz, &|v| format!("{v:.2} Hz")),
        opt(s.guard_us, &|v| format!("{v:.1} µs")),
        s.symbols,
        s.tps_words,
        s.tps_errors
    );
    println!(
        "  level {}  MER {}  C/N ≈ {}  BER pre-Viterbi {}  post-Viterbi {}",
        opt(s.rf_level_dbfs, &|v| format!("{v:.1} dBFS")),
        opt(s.mer_db, &|v| format!("{v:.1} dB")),
        opt(s.cn_db, &|v| format!("{v:.1} dB")),
        opt(s.ber_pre_viterbi, &|v| format!("{v:.2e}")),
        opt(s.ber_post_viterbi, &|v| format!("{v:.2e}")),
    );
    println!(
        "  TS packets {}  RS corrected bytes {}  RS uncorrectable {}  continuity errors {}  TS rate {}",
        s.ts_packets,
        s.rs_corrected_bytes,
        s.rs_uncorrectable,
        s.cc_errors,
        opt(s.ts_bitrate_bps, &|v| format!("{:.3} Mb/s", v / 1e6)),
    );
    println!(
        "  frequency offset {}  clock offset {}  channel variation {}",
        opt(s.freq_offset_hz, &|v| format!("{v:+.1} Hz")),
        opt(s.sco_ppm, &|v| format!("{v:+.1} ppm")),
        opt(s.channel_variation_db, &|v| format!("{v:.1} dB")),
    );
    if s.spectrum_inverted {
        println!("  spectrum inverted (I and Q swapped before the receiver): decoded mirrored");
    }
    for e in &s.echoes {
        println!(
            "  echo {:+.2} µs at {:.1} dB{}",
            e.delay_us,
            e.level_db,
            if e.beyond_guard {
                "  BEYOND THE GUARD INTERVAL"
            } else {
                ""
            }
        );
    }
}
