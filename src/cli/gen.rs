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
    /// A PDT/DMR base-station channel: idle bursts, CSBKs and a group call (voice LC header,
    /// voice superframes with embedded LC, terminator) on chosen slot, with chosen colour code,
    /// IDs, mask set (dmr|pdt), deviation error, carrier and symbol-clock error, Es/N0
    Pdt(Box<PdtGenArgs>),
    /// An NBFM channel: test tone or WAV voice, CTCSS (with reverse burst) or DCS, DTMF,
    /// selcall, pre-emphasis, deviation, carrier error and CNR
    Fm(Box<FmGenArgs>),
    /// A survey drive: a carrier received along a route (path loss + shadowing + Rayleigh
    /// fading) as SigMF, its NMEA log (OUT.nmea) and the true local-mean level every 10 ms
    /// (OUT.truth.csv)
    Survey(SurveyGenArgs),
    /// A DVB-T-derived COFDM image link: TS file (or null packets with a PRBS payload) through
    /// the EN 300 744 chain at any mode, guard, constellation, code rate and bandwidth, with
    /// echoes, carrier and clock offsets and AWGN; writes OUT.sigmf-* and OUT.ts (the packets
    /// sent)
    Cofdm(Box<CofdmGenArgs>),
}

fn parse_echo(s: &str) -> Result<linkscope::cofdm::tx::EchoPath, String> {
    let v: Vec<&str> = s.split(':').collect();
    let num = |x: &str| {
        x.trim()
            .parse::<f64>()
            .map_err(|_| format!("'{s}': expected DELAY_US:LEVEL_DB[:PHASE_DEG]"))
    };
    if !(2..=3).contains(&v.len()) {
        return Err(format!("'{s}': expected DELAY_US:LEVEL_DB[:PHASE_DEG]"));
    }
    Ok(linkscope::cofdm::tx::EchoPath {
        delay_us: num(v[0])?,
        level_db: num(v[1])?,
        phase_deg: if v.len() == 3 { num(v[2])? } else { 0.0 },
    })
}

#[derive(Args)]
pub struct CofdmGenArgs {
    /// Output base name (OUT.sigmf-meta, OUT.sigmf-data, OUT.ts)
    #[arg(short, long)]
    out: PathBuf,
    /// FFT mode: 2k or 8k
    #[arg(long, default_value = "2k", value_parser = |s: &str| linkscope::cofdm::Mode::parse(s).ok_or(format!("'{s}': 2k or 8k")))]
    mode: linkscope::cofdm::Mode,
    /// Guard interval: 1/4, 1/8, 1/16, 1/32
    #[arg(long, default_value = "1/4", value_parser = |s: &str| linkscope::cofdm::Guard::parse(s).ok_or(format!("'{s}': 1/4, 1/8, 1/16 or 1/32")))]
    guard: linkscope::cofdm::Guard,
    /// Constellation: qpsk, 16qam, 64qam
    #[arg(long, default_value = "qpsk", value_parser = |s: &str| linkscope::cofdm::Constellation::parse(s).ok_or(format!("'{s}': qpsk, 16qam or 64qam")))]
    constellation: linkscope::cofdm::Constellation,
    /// Inner code rate: 1/2, 2/3, 3/4, 5/6, 7/8
    #[arg(long = "code-rate", default_value = "1/2", value_parser = |s: &str| linkscope::cofdm::CodeRate::parse(s).ok_or(format!("'{s}': 1/2, 2/3, 3/4, 5/6 or 7/8")))]
    code_rate: linkscope::cofdm::CodeRate,
    /// Channel bandwidth (the sample rate is 8/7 of it)
    #[arg(long, default_value = "2M", value_parser = units::parse_hz)]
    bw: f64,
    /// Cell identifier signalled in TPS (e.g. 0x1A2B)
    #[arg(long, value_parser = |s: &str| u16::from_str_radix(s.trim_start_matches("0x"), if s.starts_with("0x") { 16 } else { 10 }).map_err(|e| e.to_string()))]
    cell_id: Option<u16>,
    /// OFDM symbols to send (68 per frame)
    #[arg(long, default_value_t = 272)]
    symbols: usize,
    /// Transport stream to send (repeated as needed); default: null packets with a PRBS payload
    #[arg(long)]
    ts: Option<PathBuf>,
    /// Carrier-to-noise ratio in the occupied band, dB (omit for no noise)
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    cn: Option<f64>,
    /// Carrier frequency offset
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    cfo: f64,
    /// Sampling clock offset of the receiver, ppm
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    sco: f64,
    /// Echo DELAY_US:LEVEL_DB[:PHASE_DEG] (repeatable)
    #[arg(long, value_parser = parse_echo, allow_hyphen_values = true)]
    echo: Vec<linkscope::cofdm::tx::EchoPath>,
    /// Signal level (RMS), dBFS
    #[arg(long, default_value = "-20", value_parser = units::parse_db, allow_hyphen_values = true)]
    level: f64,
    /// RF centre frequency recorded in the meta
    #[arg(long, default_value = "340M", value_parser = units::parse_hz)]
    freq: f64,
    /// Sample format on disk
    #[arg(long, default_value = "ci16_le", value_parser = |s: &str| SampleFormat::from_name(s).ok_or(format!("unknown format '{s}'")))]
    format: SampleFormat,
    /// Seed of the noise and of the PRBS payload
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// UTC time of the first sample (RFC 3339)
    #[arg(long, default_value = "2026-11-01T08:00:00Z")]
    datetime: DateTime<Utc>,
}

#[derive(Args)]
pub struct SurveyGenArgs {
    /// Output base name
    #[arg(short, long)]
    out: PathBuf,
    /// Duration
    #[arg(long, default_value = "90s", value_parser = units::parse_seconds)]
    duration: f64,
    /// Sample rate
    #[arg(long, default_value = "16k", value_parser = units::parse_hz)]
    rate: f64,
    /// Carrier frequency (the capture is centred 1 kHz below it)
    #[arg(long, default_value = "351.0125M", value_parser = units::parse_hz)]
    freq: f64,
    /// Level 1 km from the site, dBFS
    #[arg(long, default_value = "-40", value_parser = units::parse_db, allow_hyphen_values = true)]
    level_1km: f64,
    /// Shadowing standard deviation, dB
    #[arg(long, default_value = "6", value_parser = units::parse_db)]
    shadow: f64,
    /// Cruising speed, m/s
    #[arg(long, default_value_t = 12.0)]
    speed: f64,
    /// FM-modulate the carrier with a 1 kHz test tone at this deviation (e.g. 1.5k)
    #[arg(long, default_value = "0", value_parser = units::parse_hz)]
    tone_dev: f64,
    /// Noise over the whole sample rate, dBFS
    #[arg(long, default_value = "-85", value_parser = units::parse_db, allow_hyphen_values = true)]
    noise: f64,
    /// GPS outage START:DURATION in seconds (repeatable)
    #[arg(long)]
    gps_gap: Vec<String>,
    /// Sample format (ci16_le, cf32_le, cu8)
    #[arg(long, default_value = "ci16_le")]
    format: String,
    /// Random seed
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(Args)]
pub struct FmGenArgs {
    /// Output base name (OUT.sigmf-meta, OUT.sigmf-data)
    #[arg(short, long)]
    out: PathBuf,
    /// Duration
    #[arg(long, default_value = "5s", value_parser = units::parse_seconds)]
    duration: f64,
    /// Sample rate (48k for a channel; e.g. 2.4M for a wideband capture with --offset)
    #[arg(long, default_value = "48k", value_parser = units::parse_hz)]
    rate: f64,
    /// Channel position from the centre of the capture
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    offset: f64,
    /// RF centre frequency recorded in the meta
    #[arg(long, default_value = "355.0125M", value_parser = units::parse_hz)]
    freq: f64,
    /// Test tone frequency (e.g. 1k)
    #[arg(long, value_parser = units::parse_hz)]
    tone: Option<f64>,
    /// Peak deviation of the test tone
    #[arg(long, default_value = "1.5k", value_parser = units::parse_hz)]
    tone_dev: f64,
    /// Voice: a mono WAV file
    #[arg(long)]
    voice: Option<PathBuf>,
    /// Peak deviation of the voice
    #[arg(long, default_value = "2.2k", value_parser = units::parse_hz)]
    voice_dev: f64,
    /// Voice start time
    #[arg(long, default_value = "0.5s", value_parser = units::parse_seconds)]
    voice_start: f64,
    /// 750 µs pre-emphasis on tone, voice, DTMF and selcall
    #[arg(long)]
    pre_emphasis: bool,
    /// CTCSS tone, Hz
    #[arg(long)]
    ctcss: Option<f64>,
    /// CTCSS peak deviation
    #[arg(long, default_value = "300", value_parser = units::parse_hz)]
    ctcss_dev: f64,
    /// Reverse burst phase step (degrees, 120 or 180) 150 ms before the carrier drops
    #[arg(long)]
    reverse_burst: Option<f64>,
    /// DCS code (octal, e.g. 023)
    #[arg(long)]
    dcs: Option<String>,
    /// Send the DCS code inverted
    #[arg(long)]
    dcs_inverted: bool,
    /// DCS peak deviation
    #[arg(long, default_value = "300", value_parser = units::parse_hz)]
    dcs_dev: f64,
    /// DTMF digits (sent from 0.5 s)
    #[arg(long)]
    dtmf: Option<String>,
    /// DTMF tone length
    #[arg(long, default_value = "80ms", value_parser = units::parse_seconds)]
    dtmf_tone: f64,
    /// DTMF gap between tones
    #[arg(long, default_value = "80ms", value_parser = units::parse_seconds)]
    dtmf_gap: f64,
    /// Selcall sequence STANDARD:DIGITS (ZVEI1, ZVEI2, DZVEI, CCIR, CCIR2, EEA, EIA), sent from 0.5 s
    #[arg(long)]
    selcall: Option<String>,
    /// Peak deviation of DTMF and selcall tones
    #[arg(long, default_value = "1.5k", value_parser = units::parse_hz)]
    signalling_dev: f64,
    /// Carrier on from this time
    #[arg(long, default_value = "0", value_parser = units::parse_seconds)]
    key_on: f64,
    /// Carrier off at this time (default: the end)
    #[arg(long, value_parser = units::parse_seconds)]
    key_off: Option<f64>,
    /// Carrier frequency error
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    cfo: f64,
    /// Carrier-to-noise ratio in 12.5 kHz, dB (omit for no noise)
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    cnr: Option<f64>,
    /// Carrier level, dBFS
    #[arg(long, default_value = "-6", value_parser = units::parse_db, allow_hyphen_values = true)]
    level: f64,
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
pub struct PdtGenArgs {
    /// Output base name (OUT.sigmf-meta, OUT.sigmf-data)
    #[arg(short, long)]
    out: PathBuf,
    /// Mask set of the CRC/RS-protected PDUs: dmr or pdt
    #[arg(long, default_value = "pdt", value_parser = ["dmr", "pdt"])]
    standard: String,
    /// Colour code 0–15
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..16))]
    cc: u8,
    /// Calling radio ID (24 bits)
    #[arg(long, default_value_t = 3_520_001)]
    src: u32,
    /// Called talkgroup (or radio with --private)
    #[arg(long, default_value_t = 35_001)]
    dst: u32,
    /// A private (unit-to-unit) call instead of a group call
    #[arg(long)]
    private: bool,
    /// NVOC-coded vocoder frames (PDT's 2.4 kbit/s vocoder) instead of a plain PN9 pattern
    #[arg(long)]
    nvoc: bool,
    /// Timeslot of the call (1 or 2)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..3))]
    slot: u8,
    /// Voice superframes (360 ms each) in the call; 0 for no call
    #[arg(long, default_value_t = 4)]
    superframes: usize,
    /// Total bursts (30 ms each, both slots)
    #[arg(long, default_value_t = 100)]
    bursts: usize,
    /// A preamble CSBK every N bursts on the idle slot (0: none)
    #[arg(long, default_value_t = 10)]
    csbk_every: usize,
    /// Sample rate (48k for a channel; e.g. 2.4M for a wideband capture with --offset)
    #[arg(long, default_value = "48k", value_parser = units::parse_hz)]
    rate: f64,
    /// Channel position from the centre of the capture
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    offset: f64,
    /// RF centre frequency recorded in the meta
    #[arg(long, default_value = "351.0125M", value_parser = units::parse_hz)]
    freq: f64,
    /// Deviation error, % (0 = outer symbols at ±1944 Hz)
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    deviation_error: f64,
    /// Carrier frequency error
    #[arg(long, default_value = "0", value_parser = units::parse_hz, allow_hyphen_values = true)]
    cfo: f64,
    /// Symbol-clock error, ppm
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    clock_ppm: f64,
    /// Random error of each symbol's frequency, RMS % of the outer deviation
    #[arg(long, default_value_t = 0.0)]
    fsk_error: f64,
    /// Es/N0 in the channel, dB (omit for no noise)
    #[arg(long, value_parser = units::parse_db, allow_hyphen_values = true)]
    esn0: Option<f64>,
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
        GenCmd::Cofdm(a) => cofdm(*a),
        GenCmd::Band(a) => band(a),
        GenCmd::Mpt(a) => mpt(a),
        GenCmd::Pdt(a) => pdt(*a),
        GenCmd::Fm(a) => fm(*a),
        GenCmd::Survey(a) => survey(a),
    }
}

fn survey(a: SurveyGenArgs) -> anyhow::Result<()> {
    use linkscope::sim::drive::{Drive, DriveConfig};
    let format = SampleFormat::from_name(&a.format)
        .filter(|f| f.is_complex())
        .ok_or_else(|| {
            anyhow::anyhow!("--format {}: expected ci16_le, cf32_le or cu8", a.format)
        })?;
    let mut cfg = DriveConfig::new(a.duration);
    cfg.seed = a.seed;
    cfg.rate_hz = a.rate;
    cfg.carrier_hz = a.freq;
    cfg.level_1km_dbfs = a.level_1km;
    cfg.shadow_db = a.shadow;
    cfg.speed_mps = a.speed;
    cfg.tone_dev_hz = a.tone_dev;
    cfg.noise_dbfs = a.noise;
    for g in &a.gps_gap {
        let (s, d) = g
            .split_once(':')
            .and_then(|(s, d)| Some((s.parse::<f64>().ok()?, d.parse::<f64>().ok()?)))
            .ok_or_else(|| anyhow::anyhow!("--gps-gap {g}: expected START:DURATION in seconds"))?;
        cfg.gps_gaps.push((s, d));
    }
    let center = a.freq - cfg.offset_hz;
    let truth = json!({
        "kind": "survey drive",
        "carrier_hz": a.freq,
        "level_1km_dbfs": cfg.level_1km_dbfs,
        "path_loss_exponent": cfg.exponent,
        "shadow_sigma_db": cfg.shadow_db,
        "shadow_decorrelation_m": cfg.shadow_corr_m,
        "noise_dbfs": cfg.noise_dbfs,
        "tone_1khz_deviation_hz": cfg.tone_dev_hz,
        "site_east_north_m": [cfg.site_m.0, cfg.site_m.1],
        "route_origin": [cfg.origin.0, cfg.origin.1],
        "speed_mps": cfg.speed_mps,
        "stops": {"every_s": cfg.stop_every_s, "duration_s": cfg.stop_s},
        "gps_gaps": cfg.gps_gaps,
        "seed": cfg.seed,
        "truth_file": "NAME.truth.csv: t_s, lat, lon, route distance m, true local-mean level dBFS (path loss + shadowing)",
    });
    let start = cfg.start;
    let drive = Drive::new(cfg);
    let header = simulated_header(
        format,
        a.rate,
        center,
        start,
        format!(
            "Simulated survey drive (linkscope gen survey): carrier at {} MHz over path loss, shadowing and Rayleigh fading along a city route; NMEA log in NAME.nmea",
            a.freq / 1e6
        ),
        truth,
    );
    let ctx = || a.out.display().to_string();
    let mut w = SigmfWriter::create(&a.out, header).with_context(ctx)?;
    let total = (a.duration * a.rate).round() as u64;
    let mut rng = linkscope::sim::Rng::new(a.seed ^ 0x5eed);
    let mut buf = vec![Complex32::default(); 1 << 14];
    let mut done = 0u64;
    while done < total {
        let n = ((total - done) as usize).min(buf.len());
        drive.fill(done, &mut buf[..n], &mut rng);
        w.write(&buf[..n]).with_context(ctx)?;
        done += n as u64;
    }
    let nmea = PathBuf::from(format!("{}.nmea", a.out.display()));
    write_atomic(&nmea, drive.nmea().as_bytes()).with_context(|| nmea.display().to_string())?;
    let mut t = String::from("t_s,lat,lon,route_m,true_level_dbfs\n");
    for (ts, la, lo, s, l) in drive.truth(0.01) {
        t.push_str(&format!("{ts:.2},{la:.7},{lo:.7},{s:.2},{l:.3}\n"));
    }
    let tp = PathBuf::from(format!("{}.truth.csv", a.out.display()));
    write_atomic(&tp, t.as_bytes()).with_context(|| tp.display().to_string())?;
    w.finish().with_context(ctx)?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data, {}, {}: {:.1} s",
        a.out.display(),
        nmea.display(),
        tp.display(),
        a.duration
    );
    Ok(())
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

fn pdt(a: PdtGenArgs) -> anyhow::Result<()> {
    use linkscope::fec::dmr::Standard;
    use linkscope::pdt::burst::FullLc;
    use linkscope::pdt::traffic::{bs_outbound, Call};
    use linkscope::pdt::tx::{modulate, TxChannel};
    let std = if a.standard == "dmr" {
        Standard::Dmr
    } else {
        Standard::Pdt
    };
    anyhow::ensure!(
        a.src < 1 << 24 && a.dst < 1 << 24,
        "--src/--dst are 24-bit IDs (< 16777216)"
    );
    let lc = FullLc {
        pf: false,
        flco: if a.private { 3 } else { 0 },
        fid: 0,
        service_options: 0,
        dst_id: a.dst,
        src_id: a.src,
    };
    let calls: Vec<Call> = (a.superframes > 0)
        .then_some(Call {
            slot: a.slot,
            lc,
            superframes: a.superframes,
            nvoc: a.nvoc,
        })
        .into_iter()
        .collect();
    let (bits, bursts) = bs_outbound(
        a.cc,
        std,
        &calls,
        a.bursts,
        (a.csbk_every > 0).then_some(a.csbk_every),
    );
    let ch = TxChannel {
        fs: a.rate,
        offset_hz: a.offset,
        cfo_hz: a.cfo,
        deviation_scale: 1.0 + a.deviation_error / 100.0,
        fsk_error_pct: a.fsk_error,
        clock_ppm: a.clock_ppm,
        esn0_db: a.esn0,
        seed: a.seed,
        // Carrier plus noise at 0.35 rms: integer formats neither clip nor lose the carrier
        // in their quantisation when the noise spans a wide capture.
        amplitude: (0.35
            / (1.0
                + a.esn0
                    .map_or(0.0, |e| a.rate / 4800.0 / 10f64.powf(e / 10.0)))
            .sqrt()) as f32,
    };
    let x = modulate(&bits, &ch);
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for b in &bursts {
        *counts
            .entry(format!("slot{}_{}", b.slot, b.kind))
            .or_default() += 1;
    }
    let truth = json!({
        "system": "PDT/DMR base-station outbound channel",
        "standard": std.name(),
        "color_code": a.cc,
        "call": calls.first().map(|c| json!({
            "slot": c.slot,
            "call": if a.private { "private" } else { "group" },
            "src_id": a.src,
            "dst_id": a.dst,
            "superframes": c.superframes,
            "vocoder": if a.nvoc { "nvoc" } else { "pn9 pattern (not NVOC)" },
        })),
        "bursts": bursts.len(),
        "burst_counts": counts,
        "first_symbol_s": 8.0 / (4800.0 * (1.0 + a.clock_ppm * 1e-6)),
        "deviation_hz": 1944.0 * (1.0 + a.deviation_error / 100.0),
        "cfo_hz": a.cfo,
        "clock_ppm": a.clock_ppm,
        "fsk_error_pct": a.fsk_error,
        "esn0_db": a.esn0,
        "channel_offset_hz": a.offset,
    });
    let header = simulated_header(
        a.format,
        a.rate,
        a.freq,
        a.datetime,
        format!(
            "{} BS outbound, CC {}, call {} → {} on TS{} (linkscope gen pdt)",
            std.name().to_uppercase(),
            a.cc,
            a.src,
            a.dst,
            a.slot
        ),
        truth,
    );
    write_capture(&a.out, header, &x)?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data: {} bursts, {:.2} s",
        a.out.display(),
        bursts.len(),
        x.len() as f64 / a.rate
    );
    Ok(())
}

fn cofdm(a: CofdmGenArgs) -> anyhow::Result<()> {
    use linkscope::cofdm::params::elementary_rate_hz;
    use linkscope::cofdm::tx::{Channel, Transmitter, TsSource};
    use linkscope::cofdm::TxParams;
    anyhow::ensure!(
        a.bw.is_finite() && a.bw > 0.0,
        "--bw {}: expected a positive bandwidth",
        a.bw
    );
    anyhow::ensure!(
        a.symbols > 0 && a.symbols <= 272 * 200,
        "--symbols {}: 1 … 54400",
        a.symbols
    );
    let params = TxParams {
        mode: a.mode,
        guard: a.guard,
        constellation: a.constellation,
        code_rate: a.code_rate,
        cell_id: a.cell_id,
    };
    let mut src = match &a.ts {
        Some(p) => {
            let bytes = std::fs::read(p).with_context(|| p.display().to_string())?;
            TsSource::from_ts(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => TsSource::prbs(a.seed),
    };
    let fs = elementary_rate_hz(a.bw);
    let rms = 10f64.powf(a.level / 20.0) as f32;
    let mut tx = Transmitter::new(params, rms);
    let clean = tx.symbols(&mut src, a.symbols);
    let ch = Channel {
        echoes: a.echo.clone(),
        cfo_hz: a.cfo,
        sco_ppm: a.sco,
        cn_db: a.cn,
        seed: a.seed,
    };
    let occupied = a.mode.carriers() as f64 / a.mode.fft_len() as f64;
    let x = ch.apply(&clean, fs, occupied);
    let sent = tx.packets_sent();
    let ts_bytes = src.replay(sent as usize);
    let ts_path = a.out.with_extension("ts");
    write_atomic(&ts_path, &ts_bytes).with_context(|| ts_path.display().to_string())?;
    let truth = json!({
        "system": "DVB-T (EN 300 744) COFDM, linkscope transmitter model",
        "transmission_mode": a.mode.name(),
        "guard_interval": a.guard.name(),
        "constellation": a.constellation.name(),
        "code_rate_hp": a.code_rate.name(),
        "hierarchy": "non-hierarchical",
        "cell_id": a.cell_id,
        "channel_bandwidth_hz": a.bw,
        "elementary_rate_hz": fs,
        "symbols": a.symbols,
        "ofdm_symbol_samples": params.symbol_samples(),
        "first_symbol": {"sample": 0, "superframe": 0, "frame_number": 1, "symbol_in_frame": 0},
        "packets_per_superframe": params.packets_per_superframe(),
        "ts_file": ts_path.file_name().map(|f| f.to_string_lossy().to_string()),
        "ts_packets_fed": sent,
        "ts_note": "packet n of ts_file is RS codeword n; the transmitter starts at superframe 0, frame 1, symbol 0 at sample 0",
        "ts_bitrate_bps": params.ts_bitrate_bps(fs),
        "level_dbfs": a.level,
        "c_over_n_db": a.cn,
        "c_over_n_definition": "C = mean signal power, N = noise power in the occupied band (carriers/FFT size of the rate)",
        "cfo_hz": a.cfo,
        "sco_ppm": a.sco,
        "echoes": a.echo.iter().map(|e| json!({"delay_us": e.delay_us, "level_db": e.level_db, "phase_deg": e.phase_deg})).collect::<Vec<_>>(),
    });
    let header = simulated_header(
        a.format,
        fs,
        a.freq,
        a.datetime,
        format!(
            "COFDM {} {} {} GI {} in {:.3} MHz (linkscope gen cofdm)",
            a.mode.name(),
            a.constellation.name(),
            a.code_rate.name(),
            a.guard.name(),
            a.bw / 1e6
        ),
        truth,
    );
    write_capture(&a.out, header, &x)?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data and {}: {} symbols, {} TS packets, {:.3} s",
        a.out.display(),
        ts_path.display(),
        a.symbols,
        sent,
        x.len() as f64 / fs
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
    let truth = json!({
        "system": "MPT 1327 forward control channel",
        "sys": format!("{:04X}", a.sys),
        "slots": a.slots,
        "codewords_hex": mix.iter().map(|c| format!("{c:016X}")).collect::<Vec<_>>(),
        "deviation_hz": a.deviation,
        "cfo_hz": a.cfo,
        "cnr_db_in_12k5": a.cnr,
        "channel_offset_hz": a.offset,
    });
    let header = simulated_header(
        a.format,
        a.rate,
        a.freq,
        a.datetime,
        format!(
            "MPT 1327 control channel SYS {:04X} (linkscope gen mpt)",
            a.sys
        ),
        truth,
    );
    write_capture(&a.out, header, &x)?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data: {} slots, {:.2} s",
        a.out.display(),
        a.slots,
        x.len() as f64 / a.rate
    );
    Ok(())
}

fn fm(a: FmGenArgs) -> anyhow::Result<()> {
    use linkscope::analog::tones::selcall_standard;
    use linkscope::analog::tx::{DtmfBurst, FmTx, SelcallBurst};
    let mut tx = FmTx::new(a.rate, a.duration);
    tx.offset_hz = a.offset;
    tx.cfo_hz = a.cfo;
    tx.amplitude = 10f64.powf(a.level / 20.0) as f32;
    tx.keyed_s = (a.key_on, a.key_off.unwrap_or(a.duration));
    tx.tone = a.tone.map(|f| (f, a.tone_dev));
    tx.pre_emphasis = a.pre_emphasis;
    tx.ctcss = a.ctcss.map(|f| (f, a.ctcss_dev));
    tx.reverse_burst = a.reverse_burst.map(|deg| (deg, 0.15));
    tx.cnr_db = a.cnr;
    tx.seed = a.seed;
    if let Some(path) = &a.voice {
        let mut r = hound::WavReader::open(path).with_context(|| path.display().to_string())?;
        let spec = r.spec();
        if spec.channels != 1 {
            anyhow::bail!(
                "{}: the voice WAV must be mono ({} channels)",
                path.display(),
                spec.channels
            );
        }
        let v: Vec<f32> = match spec.sample_format {
            hound::SampleFormat::Float => r.samples::<f32>().collect::<Result<_, _>>()?,
            hound::SampleFormat::Int => {
                let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
                r.samples::<i32>()
                    .map(|s| s.map(|v| v as f32 * scale))
                    .collect::<Result<_, _>>()?
            }
        };
        tx.voice = Some((v, spec.sample_rate as f64, a.voice_start, a.voice_dev));
    }
    if let Some(code) = &a.dcs {
        let c = u16::from_str_radix(code, 8)
            .ok()
            .filter(|c| linkscope::analog::dcs::CODES.iter().any(|k| k.0 == *c))
            .with_context(|| format!("--dcs {code}: not a DCS code (three octal digits from the 104-code list, e.g. 023)"))?;
        tx.dcs = Some((c, a.dcs_inverted, a.dcs_dev));
    }
    if let Some(d) = &a.dtmf {
        if let Some(bad) = d.chars().find(|c| !"0123456789ABCDabcd*#".contains(*c)) {
            anyhow::bail!("--dtmf: '{bad}' is not a DTMF key (0–9, A–D, *, #)");
        }
        tx.dtmf = Some(DtmfBurst {
            digits: d.clone(),
            tone_s: a.dtmf_tone,
            gap_s: a.dtmf_gap,
            start_s: 0.5,
            deviation_hz: a.signalling_dev,
        });
    }
    if let Some(sc) = &a.selcall {
        let (std, digits) = sc.split_once(':').with_context(|| {
            format!("--selcall {sc}: expected STANDARD:DIGITS, e.g. ZVEI1:12345")
        })?;
        let standard = selcall_standard(std).with_context(|| {
            format!(
                "--selcall: unknown standard '{std}' (ZVEI1, ZVEI2, DZVEI, CCIR, CCIR2, EEA, EIA)"
            )
        })?;
        if let Some(bad) = digits
            .chars()
            .find(|c| !c.is_ascii_hexdigit() || c.eq_ignore_ascii_case(&'e'))
        {
            anyhow::bail!("--selcall: '{bad}' is not a selcall digit (0–9, A–D, F)");
        }
        tx.selcall = Some(SelcallBurst {
            standard,
            digits: digits.to_ascii_uppercase(),
            start_s: 0.5,
            deviation_hz: a.signalling_dev,
        });
    }
    let x = tx.iq();
    let truth = json!({
        "system": "NBFM (linkscope gen fm)",
        "carrier_offset_hz": a.offset,
        "cfo_hz": a.cfo,
        "keyed_interval_s": [tx.keyed_s.0, tx.keyed_s.1],
        "level_dbfs": a.level,
        "tone_hz": a.tone,
        "tone_peak_deviation_hz": a.tone.map(|_| a.tone_dev),
        "pre_emphasis_us": if a.pre_emphasis { Some(750) } else { None },
        "ctcss_hz": a.ctcss,
        "ctcss_peak_deviation_hz": a.ctcss.map(|_| a.ctcss_dev),
        "reverse_burst_deg": a.reverse_burst,
        "dcs_code": a.dcs,
        "dcs_inverted": a.dcs.as_ref().map(|_| a.dcs_inverted),
        "dtmf": a.dtmf,
        "selcall": a.selcall,
        "cnr_db_in_12k5": a.cnr,
        "seed": a.seed,
    });
    let header = simulated_header(
        a.format,
        a.rate,
        a.freq,
        a.datetime,
        "NBFM channel (linkscope gen fm)".into(),
        truth,
    );
    write_capture(&a.out, header, &x)?;
    eprintln!(
        "wrote {}.sigmf-meta/.sigmf-data: {:.2} s",
        a.out.display(),
        a.duration
    );
    Ok(())
}

/// The header of a simulated capture, its truth under `linkscope:truth`.
fn simulated_header(
    format: SampleFormat,
    rate: f64,
    freq: f64,
    datetime: DateTime<Utc>,
    description: String,
    truth: serde_json::Value,
) -> SigmfHeader {
    let mut extra = Map::new();
    extra.insert("linkscope:truth".into(), truth);
    SigmfHeader {
        format,
        sample_rate_hz: rate,
        center_freq_hz: Some(freq),
        datetime: Some(datetime),
        description: Some(description),
        hw: Some("simulation".into()),
        extra_global: extra,
    }
}

/// Write `x` as the SigMF pair `out.sigmf-*`.
fn write_capture(
    out: &std::path::Path,
    header: SigmfHeader,
    x: &[Complex32],
) -> anyhow::Result<()> {
    let ctx = || out.display().to_string();
    let mut w = SigmfWriter::create(out, header).with_context(ctx)?;
    w.write(x).with_context(ctx)?;
    w.finish().with_context(ctx)?;
    Ok(())
}
