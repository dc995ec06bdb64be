//! PDT / DMR digital trunking (ETSI TS 102 361-1 air interface; PDT differs mainly in its CRC and
//! RS masks). Built so far: the burst layer ([`burst`]) over the codes of [`crate::fec::dmr`] and the 4FSK
//! modulator ([`tx`]), and a first receiver for discriminator audio ([`rx`]).
//! The 4FSK physical layer, receiver and `linkscope pdt` are the next steps of issue 6.

pub mod burst;
pub mod lc;
pub mod monitor;
pub mod rx;
pub mod traffic;
pub mod trial;
pub mod tx;
