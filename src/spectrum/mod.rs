//! Spectrum health: channel plans, the band scan (channel power, occupancy, noise floor,
//! interferers), and its results.

pub mod plan;
pub mod power;
pub mod scan;

pub use plan::Channel;
pub use scan::{ScanConfig, ScanReport, Scanner};
