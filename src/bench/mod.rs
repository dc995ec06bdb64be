//! Throughput of linkscope's kernels and chains (`linkscope bench`).
//!
//! [`kernels`] runs the anchor kernel set (`../shared/anchors/README.md`) on linkscope's own
//! blocks and reports it in the harness's JSON format, so `anchors/run.sh --project-cmd
//! 'linkscope bench --json'` measures it in the same rounds as the peer libraries and checks its
//! outputs. [`chains`] runs whole receivers on synthetic captures for × real time figures.

pub mod chains;
pub mod kernels;

/// Common SDR sample rates a technician compares against (Hz, label).
pub const SDR_RATES: [(f64, &str); 4] = [
    (2.4e6, "RTL-SDR 2.4 MS/s"),
    (10e6, "10 MS/s"),
    (20e6, "HackRF 20 MS/s"),
    (61.44e6, "B210 61.44 MS/s"),
];
