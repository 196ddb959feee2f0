//! Places in Kashima the generator arranges things around: town centres and 大字.
//!
//! The centres are real locations. The 大字 positions are approximate anchors chosen so
//! generated addresses read plausibly; they are not official district boundaries.

use geo::Coord;

use super::boundary::{Boundary, dist};

/// A town centre: where zoning, street grids and parcels concentrate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Centre {
    pub lon: f64,
    pub lat: f64,
    /// Radius of its zoned area, in metres.
    pub zoned_m: f64,
    /// Radius of its street grid, in metres.
    pub grid_m: f64,
    /// Street grid spacing and rotation (degrees).
    pub grid_spacing: f64,
    pub grid_angle: f64,
    /// Extra parcel density at the centre (15 = sixteen times the rural density).
    pub weight: f64,
    /// Spread of that density, in metres.
    pub sigma: f64,
}

/// 鹿島駅 and 市役所 are 70 m apart, so they share one centre at the station.
pub(crate) const CENTRES: &[Centre] = &[
    // 鹿島駅
    Centre {
        lon: 130.0987,
        lat: 33.1031,
        zoned_m: 1600.0,
        grid_m: 800.0,
        grid_spacing: 85.0,
        grid_angle: 18.0,
        weight: 15.0,
        sigma: 1100.0,
    },
    // 肥前浜
    Centre {
        lon: 130.1177,
        lat: 33.0876,
        zoned_m: 900.0,
        grid_m: 500.0,
        grid_spacing: 75.0,
        grid_angle: -32.0,
        weight: 8.0,
        sigma: 700.0,
    },
    // 祐徳稲荷神社
    Centre {
        lon: 130.1085,
        lat: 33.0744,
        zoned_m: 650.0,
        grid_m: 380.0,
        grid_spacing: 70.0,
        grid_angle: 8.0,
        weight: 5.0,
        sigma: 500.0,
    },
    // 能古見
    Centre {
        lon: 130.07,
        lat: 33.09,
        zoned_m: 500.0,
        grid_m: 330.0,
        grid_spacing: 90.0,
        grid_angle: -12.0,
        weight: 4.0,
        sigma: 500.0,
    },
];

/// The coastal industrial area north-east of 肥前浜 (zoned, no grid).
pub(crate) const COAST_INDUSTRY: (f64, f64, f64) = (130.1255, 33.0965, 520.0);

/// 大字 with an approximate anchor point each; an address takes the nearest one.
pub(crate) const OAZA: &[(&str, f64, f64)] = &[
    ("納富分", 130.1010, 33.1060),
    ("高津原", 130.0930, 33.1000),
    ("重ノ木", 130.0880, 33.1120),
    ("中村", 130.1040, 33.0960),
    ("井手", 130.0830, 33.1010),
    ("常広", 130.1110, 33.1120),
    ("森", 130.1020, 33.1200),
    ("北鹿島", 130.1200, 33.1200),
    ("新籠", 130.1250, 33.1060),
    ("浜町", 130.1180, 33.0870),
    ("古枝", 130.1080, 33.0770),
    ("中川", 130.0600, 33.0850),
    ("大村方", 130.0720, 33.0920),
    ("三河内", 130.0700, 33.0740),
    ("山浦", 130.0850, 33.0600),
    ("母ケ浦", 130.1300, 33.0740),
    ("音成", 130.1380, 33.0600),
    ("飯田", 130.1500, 33.0500),
    ("嘉瀬浦", 130.1150, 33.0450),
    ("南舟津", 130.0950, 33.0300),
    ("東塩屋", 130.0700, 33.0100),
    ("矢答", 130.0600, 33.0400),
];

/// Local positions of the 大字 anchors, for nearest-name look-ups.
pub(crate) struct Oaza {
    anchors: Vec<(&'static str, Coord)>,
}

impl Oaza {
    pub(crate) fn new(b: &Boundary) -> Self {
        Self {
            anchors: OAZA
                .iter()
                .map(|&(n, lon, lat)| (n, b.at(lon, lat)))
                .collect(),
        }
    }

    /// Index and name of the 大字 nearest to `p`.
    pub(crate) fn nearest(&self, p: Coord) -> (usize, &'static str) {
        let mut best = (0, self.anchors[0].0, f64::INFINITY);
        for (i, &(name, a)) in self.anchors.iter().enumerate() {
            let d = dist(p, a);
            if d < best.2 {
                best = (i, name, d);
            }
        }
        (best.0, best.1)
    }

    pub(crate) fn len(&self) -> usize {
        self.anchors.len()
    }
}

/// Density of settlement at `p` relative to the countryside (1 there, more in towns).
pub(crate) fn density(centres: &[(Coord, &Centre)], p: Coord) -> f64 {
    1.0 + centres
        .iter()
        .map(|(c, def)| {
            let d = dist(p, *c);
            def.weight * (-(d * d) / (2.0 * def.sigma * def.sigma)).exp()
        })
        .sum::<f64>()
}

/// The centres with their local positions.
pub(crate) fn centres(b: &Boundary) -> Vec<(Coord, &'static Centre)> {
    CENTRES.iter().map(|c| (b.at(c.lon, c.lat), c)).collect()
}
