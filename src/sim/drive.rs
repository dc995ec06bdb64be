//! A simulated survey drive with known truth: a vehicle drives a closed route of city blocks at a
//! set speed (with stops at junctions) while a fixed site transmits a carrier. The received level
//! is log-distance path loss + log-normal shadowing (Gudmundson: exponentially correlated along
//! the route, σ and decorrelation distance given) + Rayleigh fading (a sum of plane waves from
//! random directions, so the fading is a function of position: it averages out over distance,
//! not over time, and stays frozen while the vehicle stands). The truth of every local mean is
//! the path loss + shadowing (mean power of the fading is 1), known at every point.

use super::Rng;
use crate::io::gps::nmea::sentence;
use chrono::{DateTime, Duration, Utc};
use linkscope_dsp::Complex32;

/// How the drive is simulated.
#[derive(Debug, Clone)]
pub struct DriveConfig {
    /// Seed.
    pub seed: u64,
    /// IQ sample rate, Hz.
    pub rate_hz: f64,
    /// RF of the carrier (for the wavelength), Hz.
    pub carrier_hz: f64,
    /// Carrier offset from the capture centre, Hz.
    pub offset_hz: f64,
    /// Duration, s.
    pub duration_s: f64,
    /// UTC time of sample 0.
    pub start: DateTime<Utc>,
    /// Route origin (south-west corner of the blocks), degrees.
    pub origin: (f64, f64),
    /// Site position east/north of the origin, m.
    pub site_m: (f64, f64),
    /// Level at 1 km from the site, dBFS.
    pub level_1km_dbfs: f64,
    /// Path-loss exponent.
    pub exponent: f64,
    /// Shadowing standard deviation, dB.
    pub shadow_db: f64,
    /// Shadowing decorrelation distance, m.
    pub shadow_corr_m: f64,
    /// Noise, dBFS over the whole sample rate.
    pub noise_dbfs: f64,
    /// Cruising speed, m/s.
    pub speed_mps: f64,
    /// A stop of this many seconds every `stop_every_s` (0 = none).
    pub stop_s: f64,
    /// Interval between stops, s.
    pub stop_every_s: f64,
    /// GPS outages: (start s, duration s) without any sentence.
    pub gps_gaps: Vec<(f64, f64)>,
    /// FM test tone: 1 kHz at this peak deviation, Hz (0 = an unmodulated carrier).
    pub tone_dev_hz: f64,
}

impl DriveConfig {
    /// The defaults of `linkscope gen survey`.
    pub fn new(duration_s: f64) -> DriveConfig {
        DriveConfig {
            seed: 7,
            rate_hz: 16_000.0,
            carrier_hz: 351.0125e6,
            offset_hz: 1_000.0,
            duration_s,
            start: "2026-11-01T09:00:00Z".parse().expect("constant"),
            origin: (39.900_31, 116.400_47),
            site_m: (-600.0, -450.0),
            level_1km_dbfs: -40.0,
            exponent: 3.5,
            shadow_db: 6.0,
            shadow_corr_m: 50.0,
            noise_dbfs: -85.0,
            speed_mps: 12.0,
            stop_s: 12.0,
            stop_every_s: 120.0,
            gps_gaps: Vec::new(),
            tone_dev_hz: 0.0,
        }
    }
}

/// The route: city blocks, 800 m × 600 m, driven as a loop with one cross street.
fn route() -> Vec<(f64, f64)> {
    vec![
        (0.0, 0.0),
        (800.0, 0.0),
        (800.0, 300.0),
        (0.0, 300.0),
        (0.0, 600.0),
        (800.0, 600.0),
        (800.0, 300.0),
        (400.0, 300.0),
        (400.0, 0.0),
        (0.0, 0.0),
    ]
}

/// A simulated drive.
pub struct Drive {
    cfg: DriveConfig,
    route: Vec<(f64, f64)>,
    cum: Vec<f64>,
    shadow: Vec<f32>,
    waves: Vec<(f64, f64)>,
}

impl Drive {
    /// Build the route, shadowing and fading field.
    pub fn new(cfg: DriveConfig) -> Drive {
        let route = route();
        let mut cum = vec![0.0];
        for w in route.windows(2) {
            let d = ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt();
            cum.push(cum.last().copied().unwrap_or(0.0) + d);
        }
        let mut rng = Rng::new(cfg.seed);
        // Shadowing per metre of route (one lap; the loop repeats it), AR(1).
        let lap = *cum.last().expect("route");
        let rho = (-1.0 / cfg.shadow_corr_m).exp();
        let mut s = rng.gauss() * cfg.shadow_db;
        let shadow = (0..=lap.ceil() as usize + 1)
            .map(|_| {
                s = rho * s + (1.0 - rho * rho).sqrt() * cfg.shadow_db * rng.gauss();
                s as f32
            })
            .collect();
        let waves = (0..24)
            .map(|_| {
                (
                    rng.uniform() * std::f64::consts::TAU,
                    rng.uniform() * std::f64::consts::TAU,
                )
            })
            .collect();
        Drive {
            cfg,
            route,
            cum,
            shadow,
            waves,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &DriveConfig {
        &self.cfg
    }

    /// Distance driven by time `t`, m (stops included).
    pub fn distance_at(&self, t: f64) -> f64 {
        let c = &self.cfg;
        if c.stop_s <= 0.0 || c.stop_every_s <= 0.0 {
            return c.speed_mps * t;
        }
        let period = c.stop_every_s + c.stop_s;
        let k = (t / period).floor();
        let r = t - k * period;
        c.speed_mps * (k * c.stop_every_s + r.min(c.stop_every_s))
    }

    /// East/north metres at route distance `s`, and the heading (degrees from north).
    pub fn xy_at(&self, s: f64) -> (f64, f64, f64) {
        let lap = *self.cum.last().expect("route");
        let s = s.rem_euclid(lap);
        let i = self
            .cum
            .partition_point(|&c| c <= s)
            .clamp(1, self.cum.len() - 1);
        let (a, b) = (self.route[i - 1], self.route[i]);
        let seg = self.cum[i] - self.cum[i - 1];
        let u = (s - self.cum[i - 1]) / seg;
        let head = (b.0 - a.0).atan2(b.1 - a.1).to_degrees().rem_euclid(360.0);
        (a.0 + u * (b.0 - a.0), a.1 + u * (b.1 - a.1), head)
    }

    /// Latitude, longitude of east/north metres.
    pub fn latlon(&self, x: f64, y: f64) -> (f64, f64) {
        let r = crate::io::gps::EARTH_RADIUS_M;
        let (la0, lo0) = self.cfg.origin;
        (
            la0 + (y / r).to_degrees(),
            lo0 + (x / (r * la0.to_radians().cos())).to_degrees(),
        )
    }

    /// True local-mean level (path loss + shadowing) at route distance `s`, dBFS.
    pub fn mean_level_dbfs(&self, s: f64) -> f64 {
        let c = &self.cfg;
        let (x, y, _) = self.xy_at(s);
        let d = ((x - c.site_m.0).powi(2) + (y - c.site_m.1).powi(2))
            .sqrt()
            .max(10.0);
        let lap = *self.cum.last().expect("route");
        let sm = s.rem_euclid(lap);
        let i = sm.floor() as usize;
        let f = sm - sm.floor();
        let sh = self.shadow[i] as f64 * (1.0 - f) + self.shadow[i + 1] as f64 * f;
        c.level_1km_dbfs - 10.0 * c.exponent * (d / 1000.0).log10() + sh
    }

    /// The fading factor at route distance `s` (mean power 1).
    fn fading(&self, s: f64) -> (f64, f64) {
        let lam = crate::survey::C_MPS / self.cfg.carrier_hz;
        let k = std::f64::consts::TAU / lam;
        let (mut re, mut im) = (0.0, 0.0);
        for &(alpha, phi) in &self.waves {
            let p = k * s * alpha.cos() + phi;
            re += p.cos();
            im += p.sin();
        }
        let g = 1.0 / (self.waves.len() as f64).sqrt();
        (re * g, im * g)
    }

    /// Samples `first .. first + out.len()` of the capture.
    pub fn fill(&self, first: u64, out: &mut [Complex32], rng: &mut Rng) {
        let c = &self.cfg;
        let noise = 10f64.powf(c.noise_dbfs / 10.0);
        // Fading and level change slowly: evaluate them every λ/200 of travel at most (8 samples
        // at the lowest rates), interpolate between.
        let lam = crate::survey::C_MPS / c.carrier_hz;
        let step_f = (c.rate_hz * lam / 200.0 / c.speed_mps.max(0.1)).floor();
        let step = (step_f as usize).clamp(8, 4096);
        let at = |i: u64| {
            let t = i as f64 / c.rate_hz;
            let s = self.distance_at(t);
            let a = 10f64.powf(self.mean_level_dbfs(s) / 20.0);
            let (hr, hi) = self.fading(s);
            (a * hr, a * hi)
        };
        let mut k = 0;
        while k < out.len() {
            let i0 = first + k as u64;
            let (a0, b0) = at(i0);
            let (a1, b1) = at(i0 + step as u64);
            for j in 0..step.min(out.len() - k) {
                let u = j as f64 / step as f64;
                let (gr, gi) = (a0 + u * (a1 - a0), b0 + u * (b1 - b0));
                let t = (i0 + j as u64) as f64 / c.rate_hz;
                let ph = std::f64::consts::TAU * c.offset_hz * t
                    + c.tone_dev_hz / 1000.0 * (std::f64::consts::TAU * 1000.0 * t).sin();
                let (cr, ci) = (ph.cos(), ph.sin());
                let n = rng.cgauss(noise);
                out[k + j] = Complex32::new(
                    (gr * cr - gi * ci) as f32 + n.re,
                    (gr * ci + gi * cr) as f32 + n.im,
                );
            }
            k += step;
        }
    }

    /// NMEA log: GGA + RMC once a second, silent during the configured outages.
    pub fn nmea(&self) -> String {
        let mut s = String::new();
        let n = self.cfg.duration_s.floor() as usize;
        for k in 0..=n {
            let t = k as f64;
            if self.cfg.gps_gaps.iter().any(|&(a, d)| t >= a && t < a + d) {
                continue;
            }
            let when = self.cfg.start + Duration::seconds(k as i64);
            let dist = self.distance_at(t);
            let (x, y, head) = self.xy_at(dist);
            let (lat, lon) = self.latlon(x, y);
            let speed = (self.distance_at(t + 0.5) - self.distance_at(t - 0.5).max(0.0)).max(0.0);
            let hms = format!("{}.00", when.format("%H%M%S"));
            let dmy = when.format("%d%m%y");
            let ll = nmea_latlon(lat, lon);
            s.push_str(&sentence(&format!(
                "GPGGA,{hms},{ll},1,09,0.9,44.0,M,-8.0,M,,"
            )));
            s.push_str("\r\n");
            s.push_str(&sentence(&format!(
                "GPRMC,{hms},A,{ll},{:.2},{:.1},{dmy},,,A",
                speed / (1852.0 / 3600.0),
                head
            )));
            s.push_str("\r\n");
        }
        s
    }

    /// Truth every `step_s`: (t_s, lat, lon, route distance m, true mean level dBFS).
    pub fn truth(&self, step_s: f64) -> Vec<(f64, f64, f64, f64, f64)> {
        let n = (self.cfg.duration_s / step_s).floor() as usize;
        (0..=n)
            .map(|k| {
                let t = k as f64 * step_s;
                let s = self.distance_at(t);
                let (x, y, _) = self.xy_at(s);
                let (la, lo) = self.latlon(x, y);
                (t, la, lo, s, self.mean_level_dbfs(s))
            })
            .collect()
    }
}

/// `ddmm.mmmmm,N,dddmm.mmmmm,E`.
pub fn nmea_latlon(lat: f64, lon: f64) -> String {
    let f = |v: f64, w: usize| {
        let a = v.abs();
        let d = a.floor();
        format!("{:0w$}{:08.5}", d as u32, (a - d) * 60.0, w = w)
    };
    format!(
        "{},{},{},{}",
        f(lat, 2),
        if lat >= 0.0 { 'N' } else { 'S' },
        f(lon, 3),
        if lon >= 0.0 { 'E' } else { 'W' }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmea_round_trips_through_the_parser() {
        let mut cfg = DriveConfig::new(20.0);
        cfg.gps_gaps = vec![(5.0, 3.0)];
        let d = Drive::new(cfg);
        let log = crate::io::gps::nmea::parse(&d.nmea());
        assert_eq!(log.bad, 0);
        assert_eq!(log.fixes.len(), 21 - 3);
        let f = &log.fixes[10];
        let (x, y, _) = d.xy_at(d.distance_at(13.0));
        let (la, lo) = d.latlon(x, y);
        assert!(crate::io::gps::distance_m(f.lat, f.lon, la, lo) < 0.05);
        assert!((f.speed_mps.unwrap() - 12.0).abs() < 0.01);
    }

    #[test]
    fn fading_has_unit_mean_power() {
        let d = Drive::new(DriveConfig::new(10.0));
        let n = 20_000;
        let p: f64 = (0..n)
            .map(|i| {
                let (a, b) = d.fading(i as f64 * 0.37);
                a * a + b * b
            })
            .sum::<f64>()
            / n as f64;
        assert!((p - 1.0).abs() < 0.1, "{p}");
    }
}
