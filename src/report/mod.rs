//! Pictures (plotters, PNG) with an embedded font: no system fonts or fontconfig are needed.

pub mod plot;
