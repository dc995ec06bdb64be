//! # linkscope-dsp — the numeric kernels of linkscope
//!
//! Pure signal processing: no files, no devices, no protocol knowledge.
//! Every block follows one life cycle, after liquid-dsp: a constructor that validates its
//! parameters, designs filters, plans FFTs and allocates (returning [`DspError`] on bad
//! parameters), then a `process` method that never fails and never allocates.
//!
//! Conventions:
//! - complex samples are [`Complex32`]; 0 dBFS is a full-scale complex sinusoid (|x| = 1);
//! - frequencies passed to kernels are *normalised* (cycles per sample) unless a name says `_hz`;
//! - the few hot inner loops live in [`simd`], chosen once at construction, each beside a scalar
//!   reference (set `LINKSCOPE_KERNEL=scalar` to force the reference everywhere).

pub mod channelizer;
pub mod convert;
pub mod ddc;
pub mod ffsk;
pub mod fft;
pub mod fir;
pub mod fm;
pub mod iir;
pub mod nco;
pub mod psd;
pub mod resample;
pub mod simd;
pub mod stats;
pub mod viterbi;
pub mod window;

pub use num_complex::Complex32;

/// A parameter given to a block constructor was out of range.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum DspError {
    /// `name` is the parameter, `reason` says what was expected.
    #[error("invalid {name}: {reason}")]
    InvalidParameter {
        /// Parameter name as in the constructor.
        name: &'static str,
        /// What was expected.
        reason: String,
    },
}

pub(crate) fn invalid(name: &'static str, reason: impl Into<String>) -> DspError {
    DspError::InvalidParameter {
        name,
        reason: reason.into(),
    }
}
