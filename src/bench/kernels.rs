//! The anchor kernel set (`../shared/anchors/README.md`), run on linkscope's own blocks with
//! the harness's timing protocol and output checks.

use crate::dsp::channelizer::{Channelizer, Oversampling};
use crate::dsp::fft::{Fft, FftDirection};
use crate::dsp::fir::{lowpass_kaiser, DecimatingFir};
use crate::dsp::fm::FmDiscriminator;
use crate::dsp::psd::Welch;
use crate::dsp::resample::RationalResampler;
use crate::dsp::simd::{KernelPath, Kernels};
use crate::dsp::viterbi::{anchor_frames, ViterbiK7};
use crate::dsp::window::Window;
use crate::dsp::Complex32;
use anyhow::{bail, Context, Result};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

/// The kernels, in the harness's order.
pub const KERNELS: [&str; 9] = [
    "fir64",
    "decim8_fir128",
    "fft1024",
    "fft8192",
    "fmdemod",
    "psd1024",
    "pfbch128",
    "viterbi_k7",
    "resamp",
];

/// Samples in the harness's input buffer.
pub const ANCHOR_SAMPLES: usize = 1 << 22;

/// A complex buffer starting on a 64-byte boundary, as the harness allocates its peers'
/// buffers (`posix_memalign(64)`, `fftwf_malloc`): every kernel sees the same alignment.
pub struct AlignedCf32 {
    buf: Vec<Complex32>,
    off: usize,
    len: usize,
}

impl AlignedCf32 {
    /// `len` zeros.
    pub fn zeros(len: usize) -> AlignedCf32 {
        let buf = vec![Complex32::default(); len + 8];
        let off = buf.as_ptr().align_offset(64);
        AlignedCf32 { buf, off, len }
    }

    /// A copy of `x`.
    pub fn copy_of(x: &[Complex32]) -> AlignedCf32 {
        let mut a = AlignedCf32::zeros(x.len());
        a.copy_from_slice(x);
        a
    }
}

impl std::ops::Deref for AlignedCf32 {
    type Target = [Complex32];
    fn deref(&self) -> &[Complex32] {
        &self.buf[self.off..self.off + self.len]
    }
}

impl std::ops::DerefMut for AlignedCf32 {
    fn deref_mut(&mut self) -> &mut [Complex32] {
        &mut self.buf[self.off..self.off + self.len]
    }
}

/// Inputs of the kernel set: the harness's files, or synthetic stand-ins of the same shape.
pub struct KernelData {
    pub x: AlignedCf32,
    pub h_fir64: Vec<f32>,
    pub h_decim8: Vec<f32>,
    pub h_pfb: Vec<f32>,
    pub h_resamp: Vec<f32>,
    /// Where the data came from (for the notes).
    pub source: String,
}

fn read_f32(path: &Path, want: usize) -> Result<Vec<f32>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if bytes.len() != 4 * want {
        bail!(
            "{}: {} bytes, expected {} ({} float32 values)",
            path.display(),
            bytes.len(),
            4 * want,
            want
        );
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

impl KernelData {
    /// The harness's data folder (`ANCHORS_DATA_DIR`).
    pub fn load(dir: &Path) -> Result<KernelData> {
        let raw = read_f32(&dir.join("x_cf32.bin"), 2 * ANCHOR_SAMPLES)?;
        let mut x = AlignedCf32::zeros(ANCHOR_SAMPLES);
        for (c, p) in x.iter_mut().zip(raw.chunks_exact(2)) {
            *c = Complex32::new(p[0], p[1]);
        }
        Ok(KernelData {
            x,
            h_fir64: read_f32(&dir.join("h_fir64.f32"), 64)?,
            h_decim8: read_f32(&dir.join("h_decim8_128.f32"), 128)?,
            h_pfb: read_f32(&dir.join("h_pfb128x8.f32"), 1024)?,
            h_resamp: read_f32(&dir.join("h_resamp50_1001.f32"), 1001)?,
            source: format!("data from {}", dir.display()),
        })
    }

    /// Stand-ins: uniform [−1, 1) samples and Kaiser designs with the harness's cut-offs (the
    /// checksums are then not comparable with the harness's references).
    pub fn synthetic(n: usize) -> KernelData {
        let mut s = 0x9E37_79B9_7F4A_7C15u64;
        let mut u = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        };
        let mut x = AlignedCf32::zeros(n);
        for c in x.iter_mut() {
            *c = Complex32::new(u(), u());
        }
        let design = |taps: usize, cutoff: f64| lowpass_kaiser(taps, cutoff, 5.0).expect("design");
        KernelData {
            x,
            h_fir64: design(64, 0.125),
            h_decim8: design(128, 0.05),
            h_pfb: design(1024, 0.5 / 128.0),
            h_resamp: design(1001, 0.01),
            source: "synthetic data (no ANCHORS_DATA_DIR)".into(),
        }
    }
}

/// One kernel's measurement, in the harness's terms.
#[derive(Debug, Clone)]
pub struct KernelRun {
    pub kernel: &'static str,
    pub unit: &'static str,
    pub units_per_rep: f64,
    pub rep_s: Vec<f64>,
    pub cpu_s: Vec<f64>,
    /// Transforms per repetition (FFT kernels), for `ns_per_call`.
    pub calls_per_rep: usize,
    pub checksum: f64,
    pub probe: Option<f64>,
    pub nout: u64,
    pub note: String,
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    match s.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => s[n / 2],
        n => 0.5 * (s[n / 2 - 1] + s[n / 2]),
    }
}

impl KernelRun {
    /// Units (samples in, bits out for the Viterbi) per second of the median repetition, in millions.
    pub fn msps(&self) -> f64 {
        self.units_per_rep / median(&self.rep_s) / 1e6
    }

    /// The harness's JSON line.
    pub fn json(&self, implementation: &str) -> serde_json::Value {
        let mut v = json!({
            "kernel": self.kernel,
            "impl": implementation,
            "msps": self.msps(),
            "reps": self.rep_s.len(),
            "note": self.note,
            "unit": self.unit,
            "units_per_rep": self.units_per_rep,
            "rep_s": self.rep_s,
            "checksum": self.checksum,
            "probe": self.probe,
            "nout": self.nout,
        });
        if !self.cpu_s.is_empty() {
            v["cpu_s"] = json!(self.cpu_s);
        }
        if self.calls_per_rep > 0 {
            v["ns_per_call"] = json!(median(&self.rep_s) / self.calls_per_rep as f64 * 1e9);
        }
        v
    }
}

/// CPU time of the calling thread (Linux), for the harness's `cpu_s`.
fn thread_cpu_s() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: f64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns * 1e-9)
}

/// One untimed warm-up, then `reps` timed calls.
fn time_reps(reps: usize, mut f: impl FnMut()) -> (Vec<f64>, Vec<f64>) {
    f();
    let mut wall = Vec::with_capacity(reps);
    let mut cpu = Vec::with_capacity(reps);
    for _ in 0..reps {
        let c0 = thread_cpu_s();
        let t0 = Instant::now();
        f();
        wall.push(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu_s()) {
            cpu.push(b - a);
        }
    }
    if cpu.len() != wall.len() {
        cpu.clear();
    }
    (wall, cpu)
}

fn l1_mean(y: &[Complex32]) -> f64 {
    y.iter()
        .map(|v| v.re.abs() as f64 + v.im.abs() as f64)
        .sum::<f64>()
        / y.len().max(1) as f64
}

/// Run one kernel of the set on `data` with the kernel path `path`.
pub fn run_kernel(
    name: &str,
    data: &KernelData,
    reps: usize,
    path: KernelPath,
) -> Result<KernelRun> {
    let k = Kernels::for_path(path);
    let x = &data.x[..];
    let n = x.len();
    let tag = path.name();
    let mut run = KernelRun {
        kernel: KERNELS
            .iter()
            .find(|&&s| s == name)
            .copied()
            .with_context(|| {
                format!(
                    "unknown kernel {name:?}; expected one of {}",
                    KERNELS.join(", ")
                )
            })?,
        unit: "Msamples/s in",
        units_per_rep: n as f64,
        rep_s: Vec::new(),
        cpu_s: Vec::new(),
        calls_per_rep: 0,
        checksum: 0.0,
        probe: None,
        nout: 0,
        note: String::new(),
    };
    match name {
        "fir64" | "decim8_fir128" | "resamp" => {
            let (taps, decim) = match name {
                "fir64" => (&data.h_fir64, 1),
                "decim8_fir128" => (&data.h_decim8, 8),
                _ => (&data.h_resamp, 50),
            };
            let mut y = vec![Complex32::default(); n];
            let mut produced = 0;
            let (wall, cpu) = if name == "resamp" {
                let mut r = RationalResampler::with_kernels(1, decim, taps, k)?;
                time_reps(reps, || {
                    r.reset();
                    produced = r.process(x, &mut y);
                })
            } else {
                let mut f = DecimatingFir::with_kernels(taps, decim, k)?;
                time_reps(reps, || {
                    f.reset();
                    produced = f.process(x, &mut y);
                })
            };
            (run.rep_s, run.cpu_s) = (wall, cpu);
            run.checksum = l1_mean(&y[..produced]);
            run.nout = produced as u64;
            if name == "fir64" && produced > 1000 {
                run.probe = Some(y[1000].re as f64);
            }
            run.note = match name {
                "fir64" => format!("DecimatingFir ÷1: {tag} contiguous FIR, 32 outputs per pass"),
                "decim8_fir128" => {
                    format!("DecimatingFir ÷8: {tag}, four kept outputs per pass of the taps")
                }
                _ => format!(
                    "RationalResampler 1/50 on the shared 1001-tap design ({tag}, polyphase = decimating FIR for P = 1)"
                ),
            };
        }
        "fft1024" | "fft8192" => {
            let size = if name == "fft1024" { 1024 } else { 8192 };
            let mut fft = Fft::with_path(size, FftDirection::Forward, path)?;
            let input = AlignedCf32::copy_of(&x[..size]);
            let mut out = AlignedCf32::zeros(size);
            let calls = n / size;
            let (wall, cpu) = time_reps(reps, || {
                for _ in 0..calls {
                    fft.process(&input, &mut out);
                }
            });
            (run.rep_s, run.cpu_s) = (wall, cpu);
            run.unit = "Msamples/s";
            run.units_per_rep = (calls * size) as f64;
            run.calls_per_rep = calls;
            run.checksum = l1_mean(&out);
            run.probe = Some(out[5].re as f64);
            run.nout = size as u64;
            run.note = if fft.is_native() {
                format!(
                    "dsp::fft {size}-point forward: {tag} radix-4 Stockham, split re/im, planned once, out-of-place with the input preserved"
                )
            } else {
                format!(
                    "dsp::fft {size}-point forward ({tag}: rustfft fallback, process_immutable_with_scratch), planned once, out-of-place with the input preserved"
                )
            };
        }
        "fmdemod" => {
            let mut d = vec![0.0f32; n];
            let (wall, cpu) = time_reps(reps, || {
                let mut disc = FmDiscriminator::with_kernels(1.0, k);
                disc.process(x, &mut d);
            });
            (run.rep_s, run.cpu_s) = (wall, cpu);
            run.checksum = d.iter().map(|v| v.abs() as f64).sum::<f64>() / n as f64;
            run.probe = d.get(1000).map(|&v| v as f64);
            run.nout = n as u64;
            run.note = format!(
                "FmDiscriminator: {tag} conj-multiply + polynomial atan2 (|error| ≤ 2.5e-6 rad), one pass"
            );
        }
        "psd1024" => {
            let mut w = Welch::with_kernels(1024, 512, Window::Hann, k)?;
            let mut avg = vec![0.0f32; 1024];
            let mut segments = 0;
            let (wall, cpu) = time_reps(reps, || {
                w.reset();
                w.process(x);
                segments = w.take_average(&mut avg);
            });
            (run.rep_s, run.cpu_s) = (wall, cpu);
            // Welch normalises to |X|²/(N·Σw²); the harness's density is |X|²/Σw².
            run.checksum = avg.iter().map(|&v| v as f64 * 1024.0).sum::<f64>() / 1024.0;
            run.nout = segments as u64;
            run.note = if w.is_native() {
                format!("Welch: dsp::fft {tag}, window fused into the first pass and centred |X|² accumulation into the last")
            } else {
                format!("Welch: {tag} window multiply + rustfft + |X|² accumulate")
            };
        }
        "pfbch128" => {
            let mut c = Channelizer::with_kernels(128, &data.h_pfb, Oversampling::Critical, k)?;
            let mut y = vec![Complex32::default(); n + 128];
            let mut frames = 0;
            let (wall, cpu) = time_reps(reps, || {
                c.reset();
                frames = c.process(x, &mut y);
            });
            (run.rep_s, run.cpu_s) = (wall, cpu);
            run.checksum = l1_mean(&y[..frames * 128]);
            run.nout = (frames * 128) as u64;
            run.note = format!(
                "Channelizer 128 ch critically sampled: {tag} branch sums over the window in place + rustfft 128 (inverse DFT: channel order reversed vs the reference)"
            );
        }
        "viterbi_k7" => {
            const FRAMES: usize = 256;
            const BITS: usize = 4096;
            let (info, soft) = anchor_frames(FRAMES, BITS);
            let mut v = ViterbiK7::with_kernels(0o133, 0o171, BITS, k)?;
            let mut out = vec![0u8; FRAMES * BITS];
            let frame_syms = soft.len() / FRAMES;
            let (wall, cpu) = time_reps(reps, || {
                for (f, o) in soft
                    .chunks_exact(frame_syms)
                    .zip(out.chunks_exact_mut(BITS))
                {
                    v.decode_terminated(f, o);
                }
            });
            (run.rep_s, run.cpu_s) = (wall, cpu);
            run.unit = "Mbit/s decoded";
            run.units_per_rep = (FRAMES * BITS) as f64;
            run.checksum = out.iter().zip(&info).filter(|(a, b)| a != b).count() as f64;
            run.nout = out.len() as u64;
            run.note = format!(
                "ViterbiK7 terminated frames: {tag} ACS, 64 i16 metrics in 4 registers, scalar trace-back; harness frames regenerated with its LCG, 8-bit soft symbols re-centred to i8"
            );
        }
        _ => unreachable!("checked above"),
    }
    if !data.source.starts_with("data from") {
        run.note.push_str("; ");
        run.note.push_str(&data.source);
    }
    Ok(run)
}
