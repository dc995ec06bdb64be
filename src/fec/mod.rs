//! Error-control codes shared by radio systems.

pub mod mpt1327_bch;
