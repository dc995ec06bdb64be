//! A local metric grid: an equirectangular projection about a fixed origin (the first fix
//! rounded to 0.01°, so a re-drive of the same area gets the same tiles) and square tiles.

use crate::io::gps::EARTH_RADIUS_M;

/// Local east/north metres about an origin.
#[derive(Debug, Clone, Copy)]
pub struct Grid {
    /// Origin latitude, degrees.
    pub lat0: f64,
    /// Origin longitude, degrees.
    pub lon0: f64,
    /// Tile edge, m.
    pub tile_m: f64,
    k: f64,
}

impl Grid {
    /// A grid anchored near (lat, lon) with square tiles of `tile_m`.
    pub fn new(lat: f64, lon: f64, tile_m: f64) -> Grid {
        let lat0 = (lat * 100.0).round() / 100.0;
        let lon0 = (lon * 100.0).round() / 100.0;
        Grid {
            lat0,
            lon0,
            tile_m,
            k: lat0.to_radians().cos(),
        }
    }

    /// East, north metres.
    pub fn xy(&self, lat: f64, lon: f64) -> (f64, f64) {
        (
            EARTH_RADIUS_M * self.k * (lon - self.lon0).to_radians(),
            EARTH_RADIUS_M * (lat - self.lat0).to_radians(),
        )
    }

    /// Latitude, longitude of east/north metres.
    pub fn latlon(&self, x: f64, y: f64) -> (f64, f64) {
        (
            self.lat0 + (y / EARTH_RADIUS_M).to_degrees(),
            self.lon0 + (x / (EARTH_RADIUS_M * self.k)).to_degrees(),
        )
    }

    /// Tile index of a position.
    pub fn tile(&self, lat: f64, lon: f64) -> (i64, i64) {
        let (x, y) = self.xy(lat, lon);
        (
            (x / self.tile_m).floor() as i64,
            (y / self.tile_m).floor() as i64,
        )
    }

    /// Corners of a tile as (lat, lon), counter-clockwise from south-west, closed.
    pub fn tile_ring(&self, t: (i64, i64)) -> [(f64, f64); 5] {
        let (x0, y0) = (t.0 as f64 * self.tile_m, t.1 as f64 * self.tile_m);
        let (x1, y1) = (x0 + self.tile_m, y0 + self.tile_m);
        let c = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)];
        c.map(|(x, y)| self.latlon(x, y))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_tiles() {
        let g = super::Grid::new(39.9042, 116.4074, 100.0);
        let (x, y) = g.xy(39.9042, 116.4074);
        let (la, lo) = g.latlon(x, y);
        assert!((la - 39.9042).abs() < 1e-9 && (lo - 116.4074).abs() < 1e-9);
        // 0.001° of latitude ≈ 111.2 m.
        let (_, y1) = g.xy(39.9052, 116.4074);
        assert!((y1 - y - 111.19).abs() < 0.05);
        let t = g.tile(39.9042, 116.4074);
        let ring = g.tile_ring(t);
        assert!(ring[0].0 <= 39.9042 && ring[2].0 > 39.9042);
        // Distance along the ring edge equals the tile size.
        let d = crate::io::gps::distance_m(ring[0].0, ring[0].1, ring[1].0, ring[1].1);
        assert!((d - 100.0).abs() < 0.05, "{d}");
    }
}
