//! `linkscope gen …` — test signals with known truth, written as SigMF.

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use linkscope::dsp::Complex32;
use linkscope::io::atomic::write_atomic;
use linkscope::io::sigmf_writer::{SigmfHeader, SigmfWriter};
use linkscope::io::SampleFormat;
use linkscope::sim::band::Scene;
use linkscope::units;
use serde_json::{json, Map};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum GenCmd {
    /// A 355 MHz band as an RTL-SDR records it: several emitters of known power and duty
    /// cycle, an off-raster spur, a DC offset; writes OUT.sigmf-* and OUT.expected.json
    Band(BandArgs),
    /// An MPT 1327 forward control channel (CCSC + address codeword slots with every message
    /// family) as FFSK on NBFM, with chosen SYS, deviation, carrier error and CNR
    Mpt(MptArgs),
}

#[derive(Args)]
pub struct MptArgs {
    /// Output base name (OUT.sigmf-meta, OUT.sigmf-data)
    #[arg(short, long)]
    out: PathBuf,
    /// System identity (15 bits, hex)
    #[arg(long, default_value = "1234", value_parser = |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).map_err(|e| e.to_string()).and_then(|v| if v < 0x8000 { Ok(v) } else { Err("SYS is 15 bits (≤ 7FFF)".into()) }))]
    sys: u64,
    /// Number of 106.7 ms slots
    #[arg(long, default_value_t = 48)]
    slots: usize,
    /// Sample rate (48k for a channel; e.g. 2.4M for a wideband capture with --offset)
    #[arg(long, default_value = "48k", value_parser = units::parse_hz)]
    rate: f64,
    /// Channel position from the centre of the capture
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    offset: f64,
    /// RF centre frequency recorded in the meta
    #[arg(long, default_value = "350.0125M", value_parser = units::parse_hz)]
    freq: f64,
    /// Peak FM deviation of the FFSK audio
    #[arg(long, default_value = "1.5k", value_parser = units::parse_hz)]
    deviation: f64,
    /// Carrier frequency error
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    cfo: f64,
    /// Carrier-to-noise ratio in 12.5 kHz, dB (omit for no noise)
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    cnr: Option<f64>,
    /// Sample format on disk
    #[arg(long, default_value = "cf32_le", value_parser = |s: &str| SampleFormat::from_name(s).ok_or(format!("unknown format '{s}'")))]
    format: SampleFormat,
    /// Noise seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// UTC time of the first sample (RFC 3339)
    #[arg(long, default_value = "2026-11-01T08:00:00Z")]
    datetime: DateTime<Utc>,
}

#[derive(Args)]
pub struct BandArgs {
    /// Output base name (OUT.sigmf-meta, OUT.sigmf-data, OUT.expected.json)
    #[arg(short, long)]
    out: PathBuf,
    /// Sample format on disk
    #[arg(long, default_value = "cu8", value_parser = |s: &str| SampleFormat::from_name(s).ok_or(format!("unknown format '{s}'")))]
    format: SampleFormat,
    /// Duration
    #[arg(long, default_value = "1.5s", value_parser = units::parse_seconds)]
    duration: f64,
    /// Random seed
    #[arg(long, default_value_t = 355)]
    seed: u64,
    /// UTC time of the first sample (RFC 3339)
    #[arg(long, default_value = "2026-11-01T08:00:00Z")]
    datetime: DateTime<Utc>,
}

pub fn run(cmd: GenCmd) -> anyhow::Result<()> {
    match cmd {
        GenCmd::Band(a) => band(a),
        GenCmd::Mpt(a) => mpt(a),
    }
}

fn band(a: BandArgs) -> anyhow::Result<()> {
    let mut scene = Scene::demo_355m();
    scene.seed = a.seed;
    let total = (a.duration * scene.sample_rate_hz).round() as u64;
    let mut extra = Map::new();
    extra.insert("linkscope:scene".into(), serde_json::to_value(&scene)?);
    let mut w = SigmfWriter::create(
        &a.out,
        SigmfHeader {
            format: a.format,
            sample_rate_hz: scene.sample_rate_hz,
            center_freq_hz: Some(scene.center_freq_hz),
            datetime: Some(a.datetime),
            description: Some(
                "Simulated 355 MHz band (linkscope gen band): emitters of known power and duty cycle over white noise, RTL-SDR-like DC offset".into(),
            ),
            hw: Some("simulation".into()),
            extra_global: extra,
        },
    )
    .with_context(|| a.out.display().to_string())?;
    let mut g = scene.generator();
    let mut buf = vec![Complex32::default(); 1 << 16];
    let mut left = total;
    while left > 0 {
        let n = (left as usize).min(buf.len());
        g.fill(&mut buf[..n]);
        w.write(&buf[..n])
            .with_context(|| a.out.display().to_string())?;
        left -= n as u64;
    }
    w.finish().with_context(|| a.out.display().to_string())?;

    // Truth for the default scan (12.5 kHz raster, 10 dB threshold), from the scene alone.
    let duration = total as f64 / scene.sample_rate_hz;
    let raster = 12_500.0;
    let channels: Vec<_> = scene
        .emitters
        .iter()
        .map(|e| (e.freq_hz / raster).round() * raster)
        .map(|f| scene.channel_truth(f, raster, duration, a.format, 10.0))
        .collect();
    let interferers: Vec<_> = scene
        .emitters
        .iter()
        .filter(|e| (e.freq_hz - (e.freq_hz / raster).round() * raster).abs() > 0.2 * raster)
        .map(|e| {
            json!({
                "freq_hz": e.freq_hz,
                "freq_tol_hz": 300.0,
                "power_dbfs": e.power_dbfs + 10.0 * e.on_fraction(duration).log10(),
                "power_tol_db": 1.0,
            })
        })
        .collect();
    let floor = 10.0 * scene.total_noise_in(raster, a.format).log10();
    let expected = json!({
        "generator": format!("linkscope gen band --format {} --duration {}s --seed {}", a.format.sigmf_name(), a.duration, a.seed),
        "truth_source": "scene parameters (emitter powers, duty cycles, noise density, quantisation), not a receiver",
        "scan": {
            "args": [],
            "noise_floor_dbfs": floor,
            "noise_floor_tol_db": 1.0,
            "channels": channels,
            "mean_power_tol_db": 0.5,
            "occupancy_tol_pct": 3.0,
            "other_channels_signal": false,
            "interferers": interferers,
        }
    });
    let path = PathBuf::from(format!("{}.expected.json", a.out.display()));
    write_atomic(&path, serde_json::to_string_pretty(&expected)?.as_bytes())
        .with_context(|| path.display().to_string())?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data ({} samples, {:.2} s) and {}",
        a.out.display(),
        total,
        duration,
        path.display()
    );
    Ok(())
}

fn mpt(a: MptArgs) -> anyhow::Result<()> {
    use linkscope::mpt1327::tx::{control_channel_bits, demo_mix, ffsk_iq, ChannelModel};
    let mix = demo_mix(a.sys)?;
    let bits = control_channel_bits(a.sys, &mix, a.slots);
    let ch = ChannelModel {
        fs: a.rate,
        offset_hz: a.offset,
        cfo_hz: a.cfo,
        deviation_hz: a.deviation,
        cnr_db: a.cnr,
        seed: a.seed,
        ..Default::default()
    };
    let x = ffsk_iq(&bits, &ch);
    let mut extra = Map::new();
    extra.insert(
        "linkscope:truth".into(),
        json!({
            "system": "MPT 1327 forward control channel",
            "sys": format!("{:04X}", a.sys),
            "slots": a.slots,
            "codewords_hex": mix.iter().map(|c| format!("{c:016X}")).collect::<Vec<_>>(),
            "deviation_hz": a.deviation,
            "cfo_hz": a.cfo,
            "cnr_db_in_12k5": a.cnr,
            "channel_offset_hz": a.offset,
        }),
    );
    let mut w = SigmfWriter::create(
        &a.out,
        SigmfHeader {
            format: a.format,
            sample_rate_hz: a.rate,
            center_freq_hz: Some(a.freq),
            datetime: Some(a.datetime),
            description: Some(format!(
                "MPT 1327 control channel SYS {:04X} (linkscope gen mpt)",
                a.sys
            )),
            hw: Some("simulation".into()),
            extra_global: extra,
        },
    )
    .with_context(|| a.out.display().to_string())?;
    w.write(&x).with_context(|| a.out.display().to_string())?;
    w.finish().with_context(|| a.out.display().to_string())?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data: {} slots, {:.2} s",
        a.out.display(),
        a.slots,
        x.len() as f64 / a.rate
    );
    Ok(())
}
