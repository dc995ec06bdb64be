//! # linkscope — a radio technician's test set on an SDR or a recorded IQ capture
//!
//! Layout (see `docs/ARCHITECTURE.md`): [`io`] reads and writes captures, [`spectrum`] measures
//! band health, [`sim`] generates signals with known truth, [`report`] draws pictures, and
//! [`units`] parses the values technicians type. Numeric kernels live in the `linkscope-dsp`
//! crate, re-exported as [`dsp`].

pub use linkscope_dsp as dsp;

pub mod analog;
pub mod bench;
pub mod cofdm;
pub mod fec;
pub mod io;
pub mod mpt1327;
pub mod pdt;
pub mod report;
pub mod sim;
pub mod spectrum;
pub mod stream;
pub mod survey;
pub mod units;
