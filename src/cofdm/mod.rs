//! COFDM (DVB-T, EN 300 744, and its narrow-band derivatives) for the 340 MHz image links:
//! receiver with analyser metrics, and a transmitter model.
//!
//! Transmit order: TS → [`outer`] energy dispersal → RS(204,188) ([`crate::fec::rs`]) → outer
//! interleaver → [`inner`] convolutional code + puncturing → [`interleave`] bit and symbol
//! interleavers → [`mapping`] → OFDM framing with [`pilots`] and [`tps`] → IFFT + guard.
//! The receiver ([`rx`]) undoes it with [`sync`] acquisition and tracking and the [`chain`].

pub mod chain;
pub mod inner;
pub mod interleave;
pub mod mapping;
pub mod metrics;
pub mod outer;
pub mod params;
pub mod pilots;
pub mod pipeline;
pub mod rx;
pub mod sync;
pub mod tps;
pub mod trial;
pub mod tx;

pub use params::{CodeRate, Constellation, Guard, Mode, TxParams};
pub use rx::{CofdmReceiver, RxConfig};
