//! Transmission parameters: mode, guard interval, constellation, code rate, channel bandwidth
//! (EN 300 744 §4.4, digest §6.1).

use serde::Serialize;

/// FFT mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Mode {
    /// 2048-point FFT, 1705 carriers.
    #[serde(rename = "2K")]
    K2,
    /// 8192-point FFT, 6817 carriers.
    #[serde(rename = "8K")]
    K8,
}

impl Mode {
    pub const ALL: [Mode; 2] = [Mode::K2, Mode::K8];
    /// FFT size.
    pub fn fft_len(self) -> usize {
        match self {
            Mode::K2 => 2048,
            Mode::K8 => 8192,
        }
    }
    /// Active carriers K (k = 0 … K−1).
    pub fn carriers(self) -> usize {
        match self {
            Mode::K2 => 1705,
            Mode::K8 => 6817,
        }
    }
    /// Data cells per OFDM symbol.
    pub fn data_cells(self) -> usize {
        match self {
            Mode::K2 => 1512,
            Mode::K8 => 6048,
        }
    }
    /// The carrier at DC.
    pub fn centre(self) -> usize {
        self.carriers() / 2
    }
    /// TPS code (s38–s39).
    pub fn tps_code(self) -> u8 {
        match self {
            Mode::K2 => 0,
            Mode::K8 => 1,
        }
    }
    pub fn from_tps(c: u8) -> Option<Mode> {
        match c {
            0 => Some(Mode::K2),
            1 => Some(Mode::K8),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Mode::K2 => "2K",
            Mode::K8 => "8K",
        }
    }
    pub fn parse(s: &str) -> Option<Mode> {
        match s.to_ascii_lowercase().as_str() {
            "2k" | "2048" => Some(Mode::K2),
            "8k" | "8192" => Some(Mode::K8),
            _ => None,
        }
    }
}

/// Guard interval as a fraction of the useful symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Guard {
    #[serde(rename = "1/32")]
    G32,
    #[serde(rename = "1/16")]
    G16,
    #[serde(rename = "1/8")]
    G8,
    #[serde(rename = "1/4")]
    G4,
}

impl Guard {
    pub const ALL: [Guard; 4] = [Guard::G32, Guard::G16, Guard::G8, Guard::G4];
    /// Denominator of the fraction (32, 16, 8, 4).
    pub fn denominator(self) -> usize {
        match self {
            Guard::G32 => 32,
            Guard::G16 => 16,
            Guard::G8 => 8,
            Guard::G4 => 4,
        }
    }
    /// Cyclic-prefix samples for `mode`.
    pub fn samples(self, mode: Mode) -> usize {
        mode.fft_len() / self.denominator()
    }
    /// TPS code (s36–s37).
    pub fn tps_code(self) -> u8 {
        match self {
            Guard::G32 => 0,
            Guard::G16 => 1,
            Guard::G8 => 2,
            Guard::G4 => 3,
        }
    }
    pub fn from_tps(c: u8) -> Guard {
        Guard::ALL[(c & 3) as usize]
    }
    pub fn name(self) -> &'static str {
        match self {
            Guard::G32 => "1/32",
            Guard::G16 => "1/16",
            Guard::G8 => "1/8",
            Guard::G4 => "1/4",
        }
    }
    pub fn parse(s: &str) -> Option<Guard> {
        Guard::ALL
            .into_iter()
            .find(|g| g.name() == s || s == format!("{}", g.denominator()))
    }
}

/// Constellation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Constellation {
    #[serde(rename = "QPSK")]
    Qpsk,
    #[serde(rename = "16QAM")]
    Qam16,
    #[serde(rename = "64QAM")]
    Qam64,
}

impl Constellation {
    pub const ALL: [Constellation; 3] = [
        Constellation::Qpsk,
        Constellation::Qam16,
        Constellation::Qam64,
    ];
    /// Bits per cell v.
    pub fn bits(self) -> usize {
        match self {
            Constellation::Qpsk => 2,
            Constellation::Qam16 => 4,
            Constellation::Qam64 => 6,
        }
    }
    /// Scale that makes the mean cell energy 1 (non-hierarchical).
    pub fn norm(self) -> f32 {
        match self {
            Constellation::Qpsk => 1.0 / 2f32.sqrt(),
            Constellation::Qam16 => 1.0 / 10f32.sqrt(),
            Constellation::Qam64 => 1.0 / 42f32.sqrt(),
        }
    }
    pub fn tps_code(self) -> u8 {
        self as u8
    }
    pub fn from_tps(c: u8) -> Option<Constellation> {
        Constellation::ALL.get(c as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            Constellation::Qpsk => "QPSK",
            Constellation::Qam16 => "16QAM",
            Constellation::Qam64 => "64QAM",
        }
    }
    pub fn parse(s: &str) -> Option<Constellation> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "qpsk" | "4qam" => Some(Constellation::Qpsk),
            "16qam" | "qam16" => Some(Constellation::Qam16),
            "64qam" | "qam64" => Some(Constellation::Qam64),
            _ => None,
        }
    }
}

/// Inner code rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CodeRate {
    #[serde(rename = "1/2")]
    R12,
    #[serde(rename = "2/3")]
    R23,
    #[serde(rename = "3/4")]
    R34,
    #[serde(rename = "5/6")]
    R56,
    #[serde(rename = "7/8")]
    R78,
}

impl CodeRate {
    pub const ALL: [CodeRate; 5] = [
        CodeRate::R12,
        CodeRate::R23,
        CodeRate::R34,
        CodeRate::R56,
        CodeRate::R78,
    ];
    /// (numerator, denominator).
    pub fn ratio(self) -> (usize, usize) {
        match self {
            CodeRate::R12 => (1, 2),
            CodeRate::R23 => (2, 3),
            CodeRate::R34 => (3, 4),
            CodeRate::R56 => (5, 6),
            CodeRate::R78 => (7, 8),
        }
    }
    pub fn value(self) -> f64 {
        let (n, d) = self.ratio();
        n as f64 / d as f64
    }
    pub fn tps_code(self) -> u8 {
        self as u8
    }
    pub fn from_tps(c: u8) -> Option<CodeRate> {
        CodeRate::ALL.get(c as usize).copied()
    }
    pub fn name(self) -> &'static str {
        match self {
            CodeRate::R12 => "1/2",
            CodeRate::R23 => "2/3",
            CodeRate::R34 => "3/4",
            CodeRate::R56 => "5/6",
            CodeRate::R78 => "7/8",
        }
    }
    pub fn parse(s: &str) -> Option<CodeRate> {
        CodeRate::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// Elementary sample rate of a channel `bw_hz` wide: 8·BW/7 (T = 7/(8·BW)).
pub fn elementary_rate_hz(bw_hz: f64) -> f64 {
    bw_hz * 8.0 / 7.0
}

/// Channel widths tried when none is given (Hz).
pub const BANDWIDTHS_HZ: [f64; 9] = [8e6, 7e6, 6e6, 5e6, 4e6, 3e6, 2.5e6, 2e6, 1.7e6];

/// Everything the receiver needs to demodulate and decode, as signalled in TPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TxParams {
    pub mode: Mode,
    pub guard: Guard,
    pub constellation: Constellation,
    pub code_rate: CodeRate,
    /// Cell identifier (None: length indicator 23, no cell id).
    pub cell_id: Option<u16>,
}

impl TxParams {
    /// Samples per OFDM symbol including the guard interval.
    pub fn symbol_samples(&self) -> usize {
        self.mode.fft_len() + self.guard.samples(self.mode)
    }
    /// Coded bits per OFDM symbol.
    pub fn coded_bits_per_symbol(&self) -> usize {
        self.mode.data_cells() * self.constellation.bits()
    }
    /// RS packets per superframe (integer for every combination).
    pub fn packets_per_superframe(&self) -> usize {
        let (n, d) = self.code_rate.ratio();
        self.coded_bits_per_symbol() * 68 * 4 * n / d / (204 * 8)
    }
    /// Net TS bit rate at elementary rate `fs` (188-byte packets).
    pub fn ts_bitrate_bps(&self, fs: f64) -> f64 {
        let sym_s = self.symbol_samples() as f64 / fs;
        self.packets_per_superframe() as f64 * 188.0 * 8.0 / (sym_s * 272.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_rates_match_the_8mhz_table() {
        // Digest §6.11: QPSK 1/2 GI 1/4 4.976, 16QAM 2/3 GI 1/8 14.745, 64QAM 7/8 GI 1/32 31.668 Mb/s.
        let fs = elementary_rate_hz(8e6);
        let p = |c, r, g| TxParams {
            mode: Mode::K2,
            guard: g,
            constellation: c,
            code_rate: r,
            cell_id: None,
        };
        let cases = [
            (p(Constellation::Qpsk, CodeRate::R12, Guard::G4), 4.976),
            (p(Constellation::Qam16, CodeRate::R23, Guard::G8), 14.745),
            (p(Constellation::Qam64, CodeRate::R78, Guard::G32), 31.668),
            (p(Constellation::Qam64, CodeRate::R34, Guard::G16), 26.346),
        ];
        for (pp, want) in cases {
            let got = pp.ts_bitrate_bps(fs) / 1e6;
            assert!((got - want).abs() < 0.0015, "{pp:?}: {got} vs {want}");
        }
        assert_eq!(
            p(Constellation::Qpsk, CodeRate::R12, Guard::G4).packets_per_superframe(),
            252
        );
        assert_eq!(
            p(Constellation::Qam16, CodeRate::R23, Guard::G8).packets_per_superframe(),
            672
        );
    }
}
