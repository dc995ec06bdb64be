//! MPT 1327 analogue trunking: the 1200 bit/s FFSK control channel — codewords ([`codeword`]),
//! the receiver and channel monitor ([`rx`]) and a transmitter model ([`tx`]).

pub mod codeword;
pub mod monitor;
pub mod rx;
pub mod tx;
