//! Error-control codes shared by radio systems.

pub mod dmr;
pub mod gf256;
pub mod mpt1327_bch;
pub mod rs;
