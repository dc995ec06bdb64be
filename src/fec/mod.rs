//! Error-control codes shared by radio systems.

pub mod dmr;
pub mod mpt1327_bch;
