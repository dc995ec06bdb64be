//! Pilot geometry and values (EN 300 744 §4.5, digest §6.2): the reference PRBS w_k, continual
//! and scattered pilot positions, TPS carriers and the data-cell layout of each symbol.

use super::params::Mode;

/// Continual pilot carriers common to 2K and 8K (the 2K set).
const CONTINUAL_2K: [u16; 45] = [
    0, 48, 54, 87, 141, 156, 192, 201, 255, 279, 282, 333, 432, 450, 483, 525, 531, 618, 636, 714,
    759, 765, 780, 804, 873, 888, 918, 939, 942, 969, 984, 1050, 1101, 1107, 1110, 1137, 1140,
    1146, 1206, 1269, 1323, 1377, 1491, 1683, 1704,
];

/// The further continual pilots of the 8K mode (177 in all with the 2K set).
const CONTINUAL_8K_MORE: [u16; 132] = [
    1752, 1758, 1791, 1845, 1860, 1896, 1905, 1959, 1983, 1986, 2037, 2136, 2154, 2187, 2229, 2235,
    2322, 2340, 2418, 2463, 2469, 2484, 2508, 2577, 2592, 2622, 2643, 2646, 2673, 2688, 2754, 2805,
    2811, 2814, 2841, 2844, 2850, 2910, 2973, 3027, 3081, 3195, 3387, 3408, 3456, 3462, 3495, 3549,
    3564, 3600, 3609, 3663, 3687, 3690, 3741, 3840, 3858, 3891, 3933, 3939, 4026, 4044, 4122, 4167,
    4173, 4188, 4212, 4281, 4296, 4326, 4347, 4350, 4377, 4392, 4458, 4509, 4515, 4518, 4545, 4548,
    4554, 4614, 4677, 4731, 4785, 4899, 5091, 5112, 5160, 5166, 5199, 5253, 5268, 5304, 5313, 5367,
    5391, 5394, 5445, 5544, 5562, 5595, 5637, 5643, 5730, 5748, 5826, 5871, 5877, 5892, 5916, 5985,
    6000, 6030, 6051, 6054, 6081, 6096, 6162, 6213, 6219, 6222, 6249, 6252, 6258, 6318, 6381, 6435,
    6489, 6603, 6795, 6816,
];

/// TPS carriers of the 2K mode (also the first 17 of the 8K mode).
const TPS_2K: [u16; 17] = [
    34, 50, 209, 346, 413, 569, 595, 688, 790, 901, 1073, 1219, 1262, 1286, 1469, 1594, 1687,
];

/// The further TPS carriers of the 8K mode (68 in all).
const TPS_8K_MORE: [u16; 51] = [
    1738, 1754, 1913, 2050, 2117, 2273, 2299, 2392, 2494, 2605, 2777, 2923, 2966, 2990, 3173, 3298,
    3391, 3442, 3458, 3617, 3754, 3821, 3977, 4003, 4096, 4198, 4309, 4481, 4627, 4670, 4694, 4877,
    5002, 5095, 5146, 5162, 5321, 5458, 5525, 5681, 5707, 5800, 5902, 6013, 6185, 6331, 6374, 6398,
    6581, 6706, 6799,
];

/// Pilot amplitude (boosted): 4/3.
pub const PILOT_BOOST: f32 = 4.0 / 3.0;

/// The reference PRBS w_k (x¹¹ + x² + 1, all-ones start), one value per carrier.
pub fn prbs_wk(n: usize) -> Vec<u8> {
    let mut reg: u32 = 0x7FF;
    (0..n)
        .map(|_| {
            let out = (reg & 1) as u8;
            let fb = (reg ^ (reg >> 2)) & 1;
            reg = (reg >> 1) | (fb << 10);
            out
        })
        .collect()
}

/// Continual pilot carriers of `mode`, ascending.
pub fn continual(mode: Mode) -> Vec<usize> {
    let mut v: Vec<usize> = CONTINUAL_2K.iter().map(|&k| k as usize).collect();
    if mode == Mode::K8 {
        v.extend(CONTINUAL_8K_MORE.iter().map(|&k| k as usize));
    }
    v
}

/// TPS carriers of `mode`, ascending.
pub fn tps_carriers(mode: Mode) -> Vec<usize> {
    let mut v: Vec<usize> = TPS_2K.iter().map(|&k| k as usize).collect();
    if mode == Mode::K8 {
        v.extend(TPS_8K_MORE.iter().map(|&k| k as usize));
    }
    v
}

/// Scattered pilot carriers of symbol `l` (any l; the pattern repeats every 4 symbols).
pub fn scattered(mode: Mode, l: usize) -> impl Iterator<Item = usize> {
    (3 * (l % 4)..mode.carriers()).step_by(12)
}

/// What a carrier carries in one symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Data,
    Pilot,
    Tps,
}

/// The pilot and data geometry of one mode, computed once.
#[derive(Debug, Clone)]
pub struct Layout {
    pub mode: Mode,
    /// 2·(½ − w_k) = ±1 per carrier.
    pub ref_sign: Vec<f32>,
    pub continual: Vec<usize>,
    pub tps: Vec<usize>,
    /// Data carriers for each of the four scattered-pilot phases (l mod 4), ascending.
    pub data: [Vec<usize>; 4],
    /// Scattered pilot carriers for each phase.
    pub scattered: [Vec<usize>; 4],
    /// Carriers with a known pilot value (continual ∪ scattered) for each phase.
    pub pilots: [Vec<usize>; 4],
}

impl Layout {
    pub fn new(mode: Mode) -> Layout {
        let k = mode.carriers();
        let ref_sign: Vec<f32> = prbs_wk(k)
            .iter()
            .map(|&w| if w == 0 { 1.0 } else { -1.0 })
            .collect();
        let continual = continual(mode);
        let tps = tps_carriers(mode);
        let mut data: [Vec<usize>; 4] = Default::default();
        let mut sc: [Vec<usize>; 4] = Default::default();
        let mut pilots: [Vec<usize>; 4] = Default::default();
        for p in 0..4 {
            let mut kind = vec![Cell::Data; k];
            for c in scattered(mode, p) {
                kind[c] = Cell::Pilot;
            }
            for &c in &continual {
                kind[c] = Cell::Pilot;
            }
            for &c in &tps {
                kind[c] = Cell::Tps;
            }
            data[p] = (0..k).filter(|&c| kind[c] == Cell::Data).collect();
            sc[p] = scattered(mode, p).collect();
            pilots[p] = (0..k).filter(|&c| kind[c] == Cell::Pilot).collect();
        }
        Layout {
            mode,
            ref_sign,
            continual,
            tps,
            data,
            scattered: sc,
            pilots,
        }
    }

    /// FFT bin of carrier k (DC = centre carrier).
    pub fn bin(&self, k: usize) -> usize {
        let n = self.mode.fft_len();
        (k + n - self.mode.centre()) % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prbs_starts_as_the_digest_says() {
        let s: String = prbs_wk(40).iter().map(|b| char::from(b'0' + b)).collect();
        assert_eq!(s, "1111111111100000000011000000011110000011");
    }

    #[test]
    fn every_symbol_has_the_nominal_number_of_data_cells() {
        for mode in Mode::ALL {
            let l = Layout::new(mode);
            assert_eq!(l.continual.len(), if mode == Mode::K2 { 45 } else { 177 });
            assert_eq!(l.tps.len(), if mode == Mode::K2 { 17 } else { 68 });
            for p in 0..4 {
                assert_eq!(l.data[p].len(), mode.data_cells(), "{mode:?} phase {p}");
            }
            // TPS never collides with a scattered pilot.
            for p in 0..4 {
                assert!(l.tps.iter().all(|t| !l.scattered[p].contains(t)));
            }
        }
        assert_eq!(Layout::new(Mode::K2).scattered[0].len(), 143);
        assert_eq!(Layout::new(Mode::K2).scattered[1].len(), 142);
    }
}
