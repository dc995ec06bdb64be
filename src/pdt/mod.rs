//! PDT / DMR digital trunking (ETSI TS 102 361-1 air interface; PDT differs mainly in its CRC and
//! RS masks, `../shared/spec/pdt-mpt1327-addendum.md`).
//!
//! - [`burst`]: 264-bit bursts — sync patterns, slot type, BPTC(196,96) payloads, full LC,
//!   data-burst decoding with both mask sets (over the codes of [`crate::fec::dmr`]).
//! - [`lc`]: signalling around the bursts — EMB and embedded LC, CACH/TACT and short LC, CSBK
//!   and data-header fields, the NVOC frame check, the PN9 pattern.
//! - [`rx`]: the receiver (IQ or discriminator audio → bursts and link metrics).
//! - [`monitor`]: per-burst JSON/terminal lines, calls per slot, the summary.
//! - [`tx`], [`traffic`]: the 4FSK transmitter model and base-station traffic for `gen pdt`.
//! - [`trial`]: sensitivity trials scored against the sent traffic.

pub mod burst;
pub mod lc;
pub mod monitor;
pub mod rx;
pub mod traffic;
pub mod trial;
pub mod tx;
