//! Signal simulation shared by the transmitter models, tests and `linkscope gen`: a seeded
//! random source, AWGN, and band "scenes" of emitters with known (analytic) powers and duty
//! cycles. The truth of every generated capture comes from these parameters, never from a
//! receiver.

pub mod band;
pub mod drive;

use linkscope_dsp::Complex32;

/// xoshiro256** — small, fast, seeded; reproducible across platforms.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
    spare: Option<f64>,
}

impl Rng {
    /// A generator from a seed (SplitMix64 expands it).
    pub fn new(seed: u64) -> Rng {
        let mut z = seed;
        let mut next = || {
            z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut x = z;
            x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            x ^ (x >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
            spare: None,
        }
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal (Box–Muller).
    pub fn gauss(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let r = (-2.0 * u1.ln()).sqrt();
        let (s, c) = (2.0 * std::f64::consts::PI * u2).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// Circular complex Gaussian with E|z|² = `power`.
    pub fn cgauss(&mut self, power: f64) -> Complex32 {
        let s = (power / 2.0).sqrt();
        Complex32::new((self.gauss() * s) as f32, (self.gauss() * s) as f32)
    }
}

/// Add white complex Gaussian noise of total power `power` (linear, full scale = 1).
pub fn add_awgn(x: &mut [Complex32], power: f64, rng: &mut Rng) {
    for v in x.iter_mut() {
        *v += rng.cgauss(power);
    }
}

/// dB → linear power.
pub fn db_to_power(db: f64) -> f64 {
    10f64.powf(db / 10.0)
}

/// Frequency-modulate `audio` (±1 full scale ↦ ±`deviation_hz`) onto a carrier at `carrier_hz`
/// from the centre of a stream at `fs`, amplitude `amplitude`; the phase starts at `phase0`
/// (cycles).
pub fn fm_modulate(
    audio: &[f32],
    fs: f64,
    deviation_hz: f64,
    carrier_hz: f64,
    amplitude: f32,
    phase0: f64,
) -> Vec<Complex32> {
    let mut ph = phase0;
    audio
        .iter()
        .map(|&a| {
            let v = Complex32::from_polar(amplitude, (2.0 * std::f64::consts::PI * ph) as f32);
            ph = (ph + (carrier_hz + deviation_hz * a as f64) / fs).rem_euclid(1.0);
            v
        })
        .collect()
}

/// Add white noise so that the carrier-to-noise ratio in `bandwidth_hz` is `cnr_db` for a
/// carrier of power `carrier_power` (noise spread over the whole rate `fs`).
pub fn add_noise_cnr(
    x: &mut [Complex32],
    carrier_power: f64,
    cnr_db: f64,
    bandwidth_hz: f64,
    fs: f64,
    rng: &mut Rng,
) {
    let n_in_band = carrier_power / db_to_power(cnr_db);
    add_awgn(x, n_in_band * fs / bandwidth_hz, rng);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaussian_moments() {
        let mut r = Rng::new(1);
        let n = 200_000;
        let v: Vec<f64> = (0..n).map(|_| r.gauss()).collect();
        let mean = v.iter().sum::<f64>() / n as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean.abs() < 0.01 && (var - 1.0).abs() < 0.01,
            "{mean} {var}"
        );
        let p: f64 = (0..n).map(|_| r.cgauss(0.5).norm_sqr() as f64).sum::<f64>() / n as f64;
        assert!((p - 0.5).abs() < 0.005);
    }
}
