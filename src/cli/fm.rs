//! `linkscope fm INPUT [-f FREQ]` — NBFM receiver and service-monitor measurements.

use super::common::{print_warnings, progress, resolve_channel, stream_warnings, SourceArgs};
use anyhow::{bail, Context};
use clap::Args;
use linkscope::analog::rx::{FmConfig, FmReceiver, FmResults, DEFAULT_SQUELCH_DB};
use linkscope::dsp::Complex32;
use linkscope::io::atomic::AtomicFile;
use linkscope::units::{self, mhz};
use serde_json::{json, Value};
use std::path::PathBuf;

#[derive(Args)]
pub struct FmArgs {
    #[command(flatten)]
    input: SourceArgs,
    /// Channel frequency (needed for a wideband capture; default: the capture's centre)
    #[arg(short = 'f', long = "channel", value_parser = units::parse_hz)]
    channel: Option<f64>,
    /// Channel spacing: 12.5k or 25k
    #[arg(long, default_value = "12.5k", value_parser = units::parse_hz)]
    bw: f64,
    /// No 750 µs de-emphasis (flat FM; also for the SINAD measurement)
    #[arg(long)]
    no_deemph: bool,
    /// Squelch threshold: estimated CNR in the channel spacing, dB (default 8)
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    squelch: Option<f64>,
    /// Write the squelched, band-passed (300–3000 Hz) audio as 16-bit WAV
    #[arg(long)]
    audio: Option<PathBuf>,
    /// Audio rate: 8k or 16k
    #[arg(long, default_value = "8k", value_parser = units::parse_hz)]
    audio_rate: f64,
    /// Also report the measurements over time, one line per interval (e.g. 1s)
    #[arg(long, value_parser = units::parse_seconds)]
    every: Option<f64>,
    /// Calibration added to dBFS to give dBm at the antenna connector
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    cal_db: Option<f64>,
    /// One JSON object on stdout
    #[arg(long)]
    json: bool,
    /// Plot the audio spectrum and the deviation over time
    #[arg(long)]
    png: Option<PathBuf>,
    /// No progress bar or warnings on stderr
    #[arg(long, short)]
    quiet: bool,
}

fn r1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}
fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

pub fn run(a: FmArgs) -> anyhow::Result<()> {
    // A device is tuned a quarter of the sample rate below the channel, away from its DC spike.
    let tune = a.channel.map(|f| f - a.input.device_rate() / 4.0);
    let mut cap = a.input.open(tune, a.quiet)?;
    let info = cap.info();
    let name = info.path.display().to_string();
    if !info.format.is_complex() {
        bail!(
            "{name}: the FM receiver needs complex IQ samples; this capture is real ({})",
            info.format.sigmf_name()
        );
    }
    if !(a.audio_rate == 8_000.0 || a.audio_rate == 16_000.0) {
        bail!("--audio-rate: {} Hz; expected 8k or 16k", a.audio_rate);
    }
    if !(a.bw == 12_500.0 || a.bw == 25_000.0) {
        bail!("--bw: {} Hz; expected 12.5k or 25k", a.bw);
    }
    let fs = info.sample_rate_hz;
    let (offset, chan_freq) = resolve_channel(&info, a.channel, a.bw, 4.0 * a.bw, "the channel")?;
    let mut cfg = FmConfig::new(fs, offset, a.bw);
    cfg.deemphasis = !a.no_deemph;
    cfg.squelch_cnr_db = a.squelch.unwrap_or(DEFAULT_SQUELCH_DB);
    cfg.audio_rate_hz = a.audio_rate;
    cfg.audio_out = a.audio.is_some();
    cfg.every_s = a.every;
    cfg.keep_trace = a.png.is_some();
    let mut rx = FmReceiver::new(cfg).with_context(|| name.clone())?;
    let mut samples = 0u64;
    let pb = progress(info.num_samples, a.quiet);
    let mut buf = vec![Complex32::default(); 1 << 13];
    let mut audio: Vec<f32> = Vec::new();
    // The WAV is streamed to a temporary file and moved into place only when complete.
    let mut wav = match &a.audio {
        Some(p) => {
            let out = AtomicFile::reserve(p);
            let spec = hound::WavSpec {
                channels: 1,
                sample_rate: a.audio_rate as u32,
                bits_per_sample: 16,
                sample_format: hound::SampleFormat::Int,
            };
            let w = hound::WavWriter::create(out.temp_path(), spec)
                .with_context(|| p.display().to_string())?;
            Some((out, w))
        }
        None => None,
    };
    // WAV full scale = 1.5 × the maximum permissible deviation (headroom for over-deviation).
    let wav_fs = 1.5 * linkscope::analog::max_deviation_hz(a.bw);
    loop {
        let n = cap.read_complex(&mut buf)?;
        if n == 0 {
            break;
        }
        samples += n as u64;
        let gap = cap.take_gap();
        if gap > 0 {
            rx.gap(gap as f64 / fs);
        }
        rx.process(&buf[..n], &mut audio);
        if let Some((_, w)) = wav.as_mut() {
            for &v in &audio {
                let s = (v as f64 / wav_fs * 32767.0)
                    .round()
                    .clamp(-32768.0, 32767.0) as i16;
                w.write_sample(s).with_context(|| {
                    a.audio
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                })?;
            }
        }
        audio.clear();
        pb.inc(n as u64);
    }
    pb.finish_and_clear();
    if let Some((out, w)) = wav.take() {
        let p = a
            .audio
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        w.finalize().with_context(|| p.clone())?;
        out.commit().with_context(|| p.clone())?;
    }
    let duration = cap.position() as f64 / fs;
    let res = rx.finish(duration);
    let clipped_pct = 100.0 * cap.clipped_components() as f64 / (2 * samples.max(1)) as f64;
    let mut warnings = info.warnings.clone();
    let dropped = stream_warnings(&mut cap, fs, &mut warnings);
    if res.silent {
        warnings.push(format!(
            "{name}: the input is silent (all samples zero): nothing to measure"
        ));
    } else if res.squelch_open_pct == 0.0 {
        warnings.push(format!(
            "{name}: no carrier found on {} (the squelch never opened at {:.0} dB CNR): the deviation, frequency and audio figures are empty",
            chan_freq.map(|f| format!("{} MHz", mhz(f))).unwrap_or_else(|| "the channel".into()),
            a.squelch.unwrap_or(DEFAULT_SQUELCH_DB)
        ));
    }
    // Counted on the integer codes as they are converted (float captures have no ADC limit).
    if clipped_pct > 0.01 {
        warnings.push(format!(
            "{name}: {clipped_pct:.2} % of the samples are at full scale (ADC clipping): the RF level is too high and every figure may be distorted; reduce the gain"
        ));
    }
    let j = to_json(
        &res,
        chan_freq,
        a.cal_db,
        clipped_pct,
        !a.no_deemph,
        &warnings,
    );
    let mut j = j;
    j["dropped_samples"] = json!(dropped);
    if let Some(p) = &a.png {
        linkscope::report::plot::fm_png(
            p,
            &res.audio_psd_db,
            &res.deviation_trace,
            res.max_deviation_hz,
            &format!(
                "{name} — NBFM {}",
                chan_freq
                    .map(|f| format!("{} MHz", mhz(f)))
                    .unwrap_or_default()
            ),
        )?;
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&j)?);
    } else {
        print_summary(&name, &j, &res);
        print_warnings(&warnings, a.quiet);
    }
    Ok(())
}

fn to_json(
    r: &FmResults,
    chan_freq: Option<f64>,
    cal_db: Option<f64>,
    clipped_pct: f64,
    deemph: bool,
    warnings: &[String],
) -> Value {
    let ct = r
        .ctcss
        .iter()
        .max_by(|a, b| (a.end_s - a.start_s).total_cmp(&(b.end_s - b.start_s)));
    // Time to detect: from the squelch opening (or the input start) before the detection.
    let detect_ms = ct.map(|c| {
        let open = r
            .keyed
            .iter()
            .filter(|k| k.0 <= c.detected_s)
            .map(|k| k.0)
            .fold(0.0f64, f64::max);
        r1((c.detected_s - open) * 1e3)
    });
    let dc = r.dcs.iter().max_by_key(|d| d.words);
    let au = r.audio;
    let ppm = |f: f64| chan_freq.map(|c| r2(f / c * 1e6 * 100.0) / 100.0);
    json!({
        "channel_freq_hz": chan_freq,
        "duration_s": r2(r.duration_s),
        "channel_rate_hz": r.channel_rate_hz,
        "deemphasis": deemph,
        "squelch_open_pct": r1(r.squelch_open_pct),
        "keyed": r.keyed.iter().map(|k| json!({"start_s": r2(k.0), "end_s": r2(k.1)})).collect::<Vec<_>>(),
        "power_dbfs": r.power_dbfs.map(r2),
        "power_dbm": r.power_dbfs.zip(cal_db).map(|(p, c)| r2(p + c)),
        "cnr_db": r.cnr_db.map(r1),
        "clipped_pct": (clipped_pct * 1e4).round() / 1e4,
        "freq_error_hz": r.freq_error_hz.map(r1),
        "freq_error_ppm": r.freq_error_hz.and_then(ppm),
        "deviation_peak_hz": r.deviation_peak_hz.map(|v| v.round()),
        "deviation_peak_definition": "99th percentile of |deviation| (flat, 3 kHz low-pass, carrier error removed) while the squelch is open",
        "deviation_max_pos_hz": r.deviation_max_pos_hz.map(|v| v.round()),
        "deviation_max_neg_hz": r.deviation_max_neg_hz.map(|v| v.round()),
        "deviation_rms_hz": r.deviation_rms_hz.map(|v| v.round()),
        "max_permissible_deviation_hz": r.max_deviation_hz,
        "over_deviation_events": r.over_deviation.len(),
        "over_deviation": r.over_deviation,
        "tone_hz": au.and_then(|a| a.tone_hz).map(r2),
        "tone_deviation_hz": au.and_then(|a| a.tone_amplitude).map(|v| v.round()),
        "sinad_db": au.and_then(|a| a.sinad_db).map(r2),
        "sinad_psoph_db": au.and_then(|a| a.sinad_psoph_db).map(r2),
        "snr_db": au.and_then(|a| a.snr_db).map(r2),
        "snr_psoph_db": au.and_then(|a| a.snr_psoph_db).map(r2),
        "audio_rms_hz": au.map(|a| a.band_rms.round()),
        "hum_noise_db": au.map(|a| r2(20.0 * (a.residual_rms.max(1e-9) / (0.6 * r.max_deviation_hz / 2f64.sqrt())).log10())),
        "ctcss_hz": ct.map(|c| c.tone_hz),
        "ctcss_number": ct.map(|c| c.tone_number),
        "ctcss_measured_hz": ct.map(|c| (c.measured_hz * 1000.0).round() / 1000.0),
        "ctcss_deviation_hz": ct.map(|c| c.deviation_hz.round()),
        "ctcss_detect_ms": detect_ms,
        "ctcss_reverse_burst": ct.and_then(|c| c.reverse_burst).map(|(t, deg)| json!({"t_s": r2(t), "phase_step_deg": deg.round()})),
        "ctcss_segments": r.ctcss,
        "dcs_code": dc.map(|d| d.code.clone()),
        "dcs_polarity": dc.map(|_| "N"),
        "dcs_inverted_equivalent": dc.and_then(|d| d.inverted_equivalent.clone()),
        "dcs_standard_code": dc.map(|d| d.standard),
        "dcs_segments": r.dcs,
        "dtmf": r.dtmf,
        "dtmf_digits": r.dtmf.iter().map(|d| d.digit).collect::<String>(),
        "selcall": r.selcall,
        "intervals": r.intervals,
        "dropped_samples": 0,
        "warnings": warnings,
    })
}

fn print_summary(name: &str, j: &Value, r: &FmResults) {
    let f = |k: &str, unit: &str, prec: usize| match j[k].as_f64() {
        Some(v) => format!("{v:.prec$} {unit}"),
        None => "–".to_string(),
    };
    println!(
        "{name} — NBFM channel{}",
        j["channel_freq_hz"]
            .as_f64()
            .map(|c| format!(" {} MHz", mhz(c)))
            .unwrap_or_default()
    );
    println!(
        "  carrier       squelch open {:.1} % of {:.2} s, RF level {}{}, CNR ≈ {}",
        r.squelch_open_pct,
        r.duration_s,
        f("power_dbfs", "dBFS", 1),
        j["power_dbm"]
            .as_f64()
            .map(|v| format!(" ({v:.1} dBm)"))
            .unwrap_or_default(),
        f("cnr_db", "dB", 1)
    );
    println!(
        "  frequency     error {} ({})",
        f("freq_error_hz", "Hz", 1),
        f("freq_error_ppm", "ppm", 2)
    );
    println!("  deviation     peak {} (99th pct; max +{} / {}), RMS {}, limit {:.0} Hz, {} over-deviation events",
        f("deviation_peak_hz", "Hz", 0), f("deviation_max_pos_hz", "", 0).trim(), f("deviation_max_neg_hz", "Hz", 0),
        f("deviation_rms_hz", "Hz", 0), r.max_deviation_hz, r.over_deviation.len());
    if j["tone_hz"].is_number() {
        println!(
            "  test tone     {} at {} deviation: SINAD {} ({} psophometric), S/N {} ({} psoph.)",
            f("tone_hz", "Hz", 2),
            f("tone_deviation_hz", "Hz", 0),
            f("sinad_db", "dB", 2),
            f("sinad_psoph_db", "dB", 2),
            f("snr_db", "dB", 2),
            f("snr_psoph_db", "dB", 2)
        );
    } else {
        println!(
            "  audio         no test tone; RMS {} in 300–3000 Hz",
            f("audio_rms_hz", "Hz", 0)
        );
    }
    println!(
        "  hum & noise   {} re standard test modulation ({}de-emphasised)",
        f("hum_noise_db", "dB", 1),
        if j["deemphasis"].as_bool() == Some(true) {
            ""
        } else {
            "not "
        }
    );
    if j["ctcss_hz"].is_number() {
        println!(
            "  CTCSS         {} (no. {}) measured {} at {} deviation, detected after {}{}",
            f("ctcss_hz", "Hz", 1),
            j["ctcss_number"],
            f("ctcss_measured_hz", "Hz", 3),
            f("ctcss_deviation_hz", "Hz", 0),
            f("ctcss_detect_ms", "ms", 0),
            j["ctcss_reverse_burst"]
                .get("t_s")
                .map(|t| format!(
                    ", reverse burst at {t} s ({}°)",
                    j["ctcss_reverse_burst"]["phase_step_deg"]
                ))
                .unwrap_or_default()
        );
    } else {
        println!("  CTCSS         none");
    }
    match j["dcs_code"].as_str() {
        Some(c) => println!(
            "  DCS           {c}N{}",
            j["dcs_inverted_equivalent"]
                .as_str()
                .map(|e| format!(" (same waveform as {e}I)"))
                .unwrap_or_default()
        ),
        None => println!("  DCS           none"),
    }
    if !r.dtmf.is_empty() {
        println!(
            "  DTMF          {} (first at {:.2} s)",
            j["dtmf_digits"].as_str().unwrap_or(""),
            r.dtmf[0].t_s
        );
    }
    for s in &r.selcall {
        println!(
            "  selcall       {} {} at {:.2} s ({:.0} ms tones)",
            s.standard,
            s.digits,
            s.t_s,
            s.tone_s * 1e3
        );
    }
    for iv in &r.intervals {
        let o =
            |v: Option<f64>, p: usize| v.map(|v| format!("{v:.p$}")).unwrap_or_else(|| "–".into());
        println!("  {:8.2} s  open {:5.1} %  {} dBFS  err {} Hz  dev {} / {} Hz  SINAD {} dB  CNR {} dB  CTCSS {}",
            iv.t_s, iv.squelch_open_pct, o(iv.power_dbfs, 1), o(iv.freq_error_hz, 1), o(iv.deviation_peak_hz, 0),
            o(iv.deviation_rms_hz, 0), o(iv.sinad_db, 1), o(iv.cnr_db, 1), o(iv.ctcss_hz, 1));
    }
}
