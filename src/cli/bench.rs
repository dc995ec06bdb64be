//! `linkscope bench`: kernel and chain throughput, × real time.

use anyhow::{bail, Context, Result};
use clap::Args;
use linkscope::bench::chains;
use linkscope::bench::kernels::{run_kernel, KernelData, ANCHOR_SAMPLES, KERNELS};
use linkscope::bench::SDR_RATES;
use linkscope::dsp::simd::KernelPath;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// One JSON line per kernel in the anchor harness's format (`../shared/anchors/README.md`).
    /// Honours ANCHORS_DATA_DIR (input data and taps), ANCHORS_REPS and ANCHORS_KERNELS.
    #[arg(long)]
    json: bool,
    /// Comma list of kernels (default: all, or ANCHORS_KERNELS).
    #[arg(long, value_delimiter = ',')]
    kernels: Option<Vec<String>>,
    /// Timed repetitions per kernel (default: ANCHORS_REPS, else 3).
    #[arg(long)]
    reps: Option<usize>,
    /// Data folder of the anchor harness (default: ANCHORS_DATA_DIR, else synthetic data).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Kernel path to measure: best (default), scalar, avx2, neon.
    #[arg(long, default_value = "best")]
    path: String,
    /// Skip the whole-chain measurements (human output only).
    #[arg(long)]
    no_chains: bool,
    /// Name used in the JSON lines' "impl".
    #[arg(long, default_value = "linkscope")]
    impl_name: String,
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn run(a: BenchArgs) -> Result<()> {
    let path = match a.path.as_str() {
        "best" => KernelPath::detect(),
        "scalar" => KernelPath::Scalar,
        "avx2" => KernelPath::Avx2,
        "neon" => KernelPath::Neon,
        other => bail!("--path {other}: expected best, scalar, avx2 or neon"),
    };
    if !path.supported() {
        bail!("--path {}: this CPU cannot run it", path.name());
    }
    let reps = match (a.reps, env_nonempty("ANCHORS_REPS")) {
        (Some(r), _) => r,
        (None, Some(v)) => v
            .trim()
            .parse()
            .with_context(|| format!("ANCHORS_REPS={v:?}: expected a whole number"))?,
        (None, None) => 3,
    }
    .max(1);
    let wanted: Vec<String> = match (a.kernels, env_nonempty("ANCHORS_KERNELS")) {
        (Some(k), _) => k,
        (None, Some(v)) => v.split(',').map(|s| s.trim().to_string()).collect(),
        (None, None) => KERNELS.iter().map(|s| s.to_string()).collect(),
    };
    for k in &wanted {
        if !KERNELS.contains(&k.as_str()) {
            bail!(
                "unknown kernel {k:?}; expected one of {}",
                KERNELS.join(", ")
            );
        }
    }
    let data = match a
        .data
        .or_else(|| env_nonempty("ANCHORS_DATA_DIR").map(PathBuf::from))
    {
        Some(dir) => KernelData::load(&dir)?,
        None => KernelData::synthetic(ANCHOR_SAMPLES),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !a.json {
        writeln!(
            out,
            "linkscope bench — kernel path {}, {} timed repetitions each (median), one thread; {}",
            path.name(),
            reps,
            data.source
        )?;
        writeln!(
            out,
            "\n{:<15} {:>10}  {:<16} {}",
            "kernel",
            "figure",
            "unit",
            SDR_RATES
                .iter()
                .map(|(_, l)| format!("{l:>17}"))
                .collect::<String>()
        )?;
    }
    for name in &wanted {
        let r = run_kernel(name, &data, reps, path)?;
        if a.json {
            writeln!(out, "{}", r.json(&a.impl_name))?;
        } else {
            let figure = r.msps();
            let rt: String = SDR_RATES
                .iter()
                .map(|(fs, _)| {
                    if r.kernel == "viterbi_k7" {
                        format!("{:>17}", "")
                    } else {
                        format!("{:>16.1}×", figure * 1e6 / fs)
                    }
                })
                .collect();
            writeln!(out, "{:<15} {:>10.1}  {:<16}{rt}", r.kernel, figure, r.unit)?;
        }
        out.flush()?;
    }
    if a.json || a.no_chains {
        return Ok(());
    }
    writeln!(
        out,
        "\nwhole chains (× real time at the capture's own rate; one thread unless marked _2t):"
    )?;
    let chains = chains::all()?;
    let width = chains.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for mut c in chains {
        c.run();
        let mut times = Vec::new();
        for _ in 0..reps {
            let t0 = Instant::now();
            std::hint::black_box(c.run());
            times.push(t0.elapsed().as_secs_f64());
        }
        times.sort_by(|a, b| a.total_cmp(b));
        let t = times[times.len() / 2];
        let msps = c.samples as f64 / t / 1e6;
        writeln!(
            out,
            "{:<width$} {:>7.1} Msamples/s in {:>7.1}× real time  {}",
            c.name,
            msps,
            msps * 1e6 / c.fs_hz,
            c.what
        )?;
    }
    writeln!(
        out,
        "\nViterbi figures are decoded Mbit/s (a 8 MHz 64QAM 7/8 DVB-T link carries 31.7 Mbit/s)."
    )?;
    Ok(())
}
