//! The generated road network: trunk routes, street grids in the town centres, short
//! private lanes off the grids, and winding rural roads. [`ledger`](super::ledger) turns
//! it into the `roads` layer and [`pipes`](super::pipes) lays water mains along it.
//!
//! Every line is kept wholly inside the city: long routes are densified to 30 m and cut
//! where a vertex comes within 20 m of the boundary, and each finished segment is checked
//! with [`Boundary::holds_polyline`].

use geo::{Coord, coord};

use super::boundary::{Boundary, dist};
use super::geom::{cut, densify, length};
use super::places::{CENTRES, Centre, Oaza};
use super::rng::Rng;

const STREAM_GRID: u64 = 10;
const STREAM_RURAL: u64 = 11;
const STREAM_TRUNK: u64 = 12;

/// Road categories of the 道路台帳.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    National,
    Prefectural,
    Municipal,
    /// 位置指定道路: a private road designated under 建築基準法 42条1項5号.
    Designated,
    /// 2項道路: a narrow road deemed a road under 建築基準法 42条2項.
    Article42,
}

impl Kind {
    pub(crate) fn ja(self) -> &'static str {
        match self {
            Kind::National => "国道",
            Kind::Prefectural => "県道",
            Kind::Municipal => "市道",
            Kind::Designated => "位置指定道路",
            Kind::Article42 => "2項道路",
        }
    }
}

/// A route: what all its ledger segments share.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    pub number: String,
    pub name: String,
    pub kind: Kind,
    pub recognised: String,
    pub manager: &'static str,
    /// Width range of its segments, in metres.
    pub width: (f64, f64),
    /// True for the winding roads outside the towns.
    pub rural: bool,
}

/// One ledger segment.
#[derive(Debug, Clone)]
pub(crate) struct Segment {
    pub pts: Vec<Coord>,
    pub route: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Network {
    pub routes: Vec<Route>,
    pub segments: Vec<Segment>,
    pub seed: u64,
}

impl Network {
    fn add_route(&mut self, route: Route) -> usize {
        self.routes.push(route);
        self.routes.len() - 1
    }

    /// Adds the segment if it lies inside the city.
    fn add(&mut self, b: &Boundary, route: usize, pts: Vec<Coord>) {
        if b.holds_polyline(&pts, 1.0) {
            self.segments.push(Segment { pts, route });
        }
    }

    pub(crate) fn kind(&self, s: &Segment) -> Kind {
        self.routes[s.route].kind
    }
}

struct Trunk {
    number: &'static str,
    name: &'static str,
    kind: Kind,
    width: (f64, f64),
    recognised: &'static str,
    manager: &'static str,
    way: &'static [(f64, f64)],
}

/// The trunk routes, as lon/lat waypoints. They run to (and past) the city edge.
const TRUNKS: &[Trunk] = &[
    Trunk {
        number: "207",
        name: "国道207号",
        kind: Kind::National,
        width: (11.0, 14.0),
        recognised: "1953-05-18",
        manager: "国土交通省",
        way: &[
            (130.1160, 33.1350),
            (130.1080, 33.1180),
            (130.1005, 33.1045),
            (130.1060, 33.0960),
            (130.1175, 33.0890),
            (130.1270, 33.0790),
            (130.1350, 33.0660),
            (130.1430, 33.0530),
            (130.1520, 33.0450),
            (130.1750, 33.0450),
        ],
    },
    Trunk {
        number: "444",
        name: "国道444号",
        kind: Kind::National,
        width: (7.5, 10.0),
        recognised: "1982-04-01",
        manager: "佐賀県",
        way: &[
            (130.1175, 33.0890),
            (130.1120, 33.0800),
            (130.1000, 33.0680),
            (130.0900, 33.0540),
            (130.0800, 33.0400),
            (130.0720, 33.0220),
            (130.0680, 33.0000),
            (130.0660, 32.9800),
        ],
    },
    Trunk {
        number: "498",
        name: "国道498号",
        kind: Kind::National,
        width: (7.5, 10.0),
        recognised: "1993-04-01",
        manager: "佐賀県",
        way: &[
            (130.0995, 33.1040),
            (130.0930, 33.1110),
            (130.0870, 33.1200),
            (130.0830, 33.1290),
            (130.0810, 33.1380),
        ],
    },
    Trunk {
        number: "041",
        name: "県道鹿島嬉野線",
        kind: Kind::Prefectural,
        width: (6.5, 9.0),
        recognised: "1959-04-01",
        manager: "佐賀県",
        way: &[
            (130.0985, 33.1030),
            (130.0880, 33.0990),
            (130.0780, 33.0930),
            (130.0700, 33.0900),
            (130.0600, 33.0880),
            (130.0480, 33.0800),
            (130.0350, 33.0780),
        ],
    },
    Trunk {
        number: "204",
        name: "県道多良岳公園線",
        kind: Kind::Prefectural,
        width: (5.5, 7.5),
        recognised: "1972-04-01",
        manager: "佐賀県",
        way: &[
            (130.1085, 33.0744),
            (130.0950, 33.0620),
            (130.0800, 33.0580),
            (130.0650, 33.0500),
            (130.0500, 33.0400),
            (130.0400, 33.0300),
        ],
    },
    Trunk {
        number: "245",
        name: "県道浜鹿島線",
        kind: Kind::Prefectural,
        width: (6.0, 8.0),
        recognised: "1963-04-01",
        manager: "佐賀県",
        way: &[
            (130.1005, 33.1045),
            (130.1120, 33.0990),
            (130.1200, 33.0950),
            (130.1250, 33.0900),
            (130.1300, 33.0850),
        ],
    },
    Trunk {
        number: "302",
        name: "県道能古見山浦線",
        kind: Kind::Prefectural,
        width: (5.5, 7.0),
        recognised: "1975-04-01",
        manager: "佐賀県",
        way: &[
            (130.0700, 33.0900),
            (130.0750, 33.0750),
            (130.0850, 33.0600),
            (130.1000, 33.0450),
            (130.1150, 33.0350),
            (130.1350, 33.0400),
        ],
    },
    Trunk {
        number: "303",
        name: "県道北鹿島線",
        kind: Kind::Prefectural,
        width: (6.0, 8.0),
        recognised: "1968-04-01",
        manager: "佐賀県",
        way: &[
            (130.1005, 33.1045),
            (130.1120, 33.1120),
            (130.1220, 33.1180),
            (130.1300, 33.1250),
        ],
    },
];

/// Chaikin corner cutting: rounds the waypoint polygon into a road-like curve.
fn chaikin(pts: &[Coord], rounds: usize) -> Vec<Coord> {
    let mut cur = pts.to_vec();
    for _ in 0..rounds {
        let mut next = vec![cur[0]];
        for w in cur.windows(2) {
            next.push(w[0] * 0.75 + w[1] * 0.25);
            next.push(w[0] * 0.25 + w[1] * 0.75);
        }
        next.extend(cur.last());
        cur = next;
    }
    cur
}

/// The trunk routes as smooth local polylines, not yet clipped (zoning uses them too).
pub(crate) fn trunk_lines(b: &Boundary) -> Vec<Vec<Coord>> {
    TRUNKS
        .iter()
        .map(|t| {
            let way: Vec<Coord> = t.way.iter().map(|&(lon, lat)| b.at(lon, lat)).collect();
            densify(&chaikin(&way, 3), 30.0)
        })
        .collect()
}

/// Splits a densified polyline into the runs whose vertices keep `margin` from the edge.
fn runs_inside(b: &Boundary, pts: &[Coord], margin: f64) -> Vec<Vec<Coord>> {
    let mut out = Vec::new();
    let mut run: Vec<Coord> = Vec::new();
    for &p in pts {
        if b.inside_by(p, margin) {
            run.push(p);
        } else if run.len() >= 2 {
            out.push(std::mem::take(&mut run));
        } else {
            run.clear();
        }
    }
    if run.len() >= 2 {
        out.push(run);
    }
    out
}

/// Builds the whole network, deterministically from `seed`.
pub(crate) fn network(b: &Boundary, seed: u64) -> Network {
    let mut net = Network {
        seed,
        ..Network::default()
    };
    let oaza = Oaza::new(b);
    trunks(b, &mut net);
    for (i, c) in CENTRES.iter().enumerate() {
        grid(b, &oaza, c, i, &mut net);
    }
    rural(b, &oaza, &mut net);
    net
}

fn trunks(b: &Boundary, net: &mut Network) {
    let mut rng = Rng::derive(net.seed, STREAM_TRUNK, 0);
    for (t, line) in TRUNKS.iter().zip(trunk_lines(b)) {
        let route = net.add_route(Route {
            number: t.number.to_owned(),
            name: t.name.to_owned(),
            kind: t.kind,
            recognised: t.recognised.to_owned(),
            manager: t.manager,
            width: t.width,
            rural: false,
        });
        for run in runs_inside(b, &line, 20.0) {
            for piece in cut(&mut rng, &run, 150.0, 450.0) {
                net.add(b, route, piece);
            }
        }
    }
}

/// The intersections of a jittered, rotated street grid around a centre, row by row
/// (`side` × `side`); `None` where the town's wobbly outline leaves none.
fn grid_nodes(rng: &mut Rng, origin: Coord, c: &Centre, side: usize) -> Vec<Option<Coord>> {
    let (sin, cos) = c.grid_angle.to_radians().sin_cos();
    let spacing = c.grid_spacing;
    let half = (side / 2) as f64;
    let wobble = rng.range(0.0, std::f64::consts::TAU);
    (0..side * side)
        .map(|k| {
            let col = (k / side) as f64 - half;
            let row = (k % side) as f64 - half;
            let along = (col + rng.range(-0.15, 0.15)) * spacing;
            let across = (row + rng.range(-0.15, 0.15)) * spacing;
            let node =
                origin + coord! { x: along * cos - across * sin, y: along * sin + across * cos };
            let bearing = (node.y - origin.y).atan2(node.x - origin.x);
            let reach = c.grid_m * (1.0 + 0.18 * (3.0 * bearing + wobble).sin());
            (dist(node, origin) <= reach).then_some(node)
        })
        .collect()
}

/// A street grid around a centre: each grid line is one 市道 route, each block edge one
/// segment, with dead-end lanes off some blocks.
fn grid(b: &Boundary, oaza: &Oaza, c: &Centre, index: usize, net: &mut Network) {
    let mut rng = Rng::derive(net.seed, STREAM_GRID, index as u64);
    let origin = b.at(c.lon, c.lat);
    let side = 2 * (c.grid_m / c.grid_spacing).ceil() as usize + 3;
    let nodes = grid_nodes(&mut rng, origin, c, side);
    let (_, town) = oaza.nearest(origin);
    let mut streets: Vec<Option<usize>> = vec![None; 2 * side];
    for k in 0..side * side {
        let (col, row) = (k / side, k % side);
        let neighbours = [
            (row, (col + 1 < side).then(|| k + side)),
            (side + col, (row + 1 < side).then(|| k + 1)),
        ];
        for (street, next) in neighbours {
            let (Some(from), Some(Some(to))) = (nodes[k], next.map(|o| nodes[o])) else {
                continue;
            };
            if !rng.chance(0.88) {
                continue;
            }
            let route = *streets[street].get_or_insert_with(|| {
                let no = net.routes.len();
                let name = format!("市道{town}{}号線", street + 1);
                net.add_route(municipal(&mut rng, name, no, (4.0, 8.0), false))
            });
            net.add(b, route, vec![from, to]);
            if rng.chance(0.22) {
                lane(b, oaza, &mut rng, (from, to), c.grid_spacing, net);
            }
        }
    }
}

/// A 市道 route with a number and recognition date.
fn municipal(rng: &mut Rng, name: String, no: usize, width: (f64, f64), rural: bool) -> Route {
    Route {
        number: format!("{}{no:04}", if rural { 3 } else { 1 }),
        name,
        kind: Kind::Municipal,
        recognised: rng.date(1955, 2005),
        manager: "鹿島市",
        width,
        rural,
    }
}

/// A short dead-end lane off the street `from`–`to`: a 位置指定道路 or a 2項道路.
fn lane(
    b: &Boundary,
    oaza: &Oaza,
    rng: &mut Rng,
    (from, to): (Coord, Coord),
    spacing: f64,
    net: &mut Network,
) {
    let start = from + (to - from) * rng.range(0.3, 0.7);
    let len = dist(from, to).max(1e-9);
    let sign = if rng.chance(0.5) { 1.0 } else { -1.0 };
    let normal = coord! { x: -(to.y - from.y) / len, y: (to.x - from.x) / len } * sign;
    let end = start + normal * rng.range(0.25, 0.45) * spacing;
    let (_, name) = oaza.nearest(start);
    let no = net.routes.len() + 1;
    let route = if rng.chance(0.45) {
        Route {
            number: format!("位指-{no:04}"),
            name: format!("位置指定道路（{name}）第{no}号"),
            kind: Kind::Designated,
            recognised: rng.date(1970, 2023),
            manager: "所有者",
            width: (4.0, 6.0),
            rural: false,
        }
    } else {
        Route {
            number: format!("2項-{no:04}"),
            name: format!("{name}2項道路第{no}号"),
            kind: Kind::Article42,
            recognised: "1950-11-23".to_owned(),
            manager: "所有者",
            width: (1.8, 3.9),
            rural: false,
        }
    };
    let route = net.add_route(route);
    net.add(b, route, vec![start, end]);
}

/// Winding rural roads: smooth random walks from points on the network or in the
/// countryside, stopped at the city edge and cut into ledger segments.
fn rural(b: &Boundary, oaza: &Oaza, net: &mut Network) {
    let (lo, hi) = b.bounds();
    // Trunk segments come first in the network; branch off those, not the town grids.
    let trunk_segments = net
        .segments
        .iter()
        .take_while(|s| s.route < TRUNKS.len())
        .count();
    for k in 0..620u64 {
        let mut rng = Rng::derive(net.seed, STREAM_RURAL, k);
        let start = if rng.chance(0.35) && trunk_segments > 0 {
            let s = &net.segments[rng.below(trunk_segments)];
            s.pts[rng.below(s.pts.len())]
        } else {
            coord! { x: rng.range(lo.x, hi.x), y: rng.range(lo.y, hi.y) }
        };
        if !b.inside_by(start, 40.0) {
            continue;
        }
        let walk = random_walk(b, &mut rng, start);
        if walk.len() < 4 || length(&walk) < 150.0 {
            continue;
        }
        let (_, from) = oaza.nearest(walk[0]);
        let (_, to) = oaza.nearest(walk[walk.len() - 1]);
        let name = if from == to {
            format!("市道{from}{}号線", k + 1)
        } else {
            format!("市道{from}{to}線")
        };
        let route = net.add_route(municipal(&mut rng, name, k as usize, (3.0, 5.5), true));
        for piece in cut(&mut rng, &walk, 100.0, 350.0) {
            net.add(b, route, piece);
        }
    }
}

fn random_walk(b: &Boundary, rng: &mut Rng, start: Coord) -> Vec<Coord> {
    let mut heading = rng.range(0.0, std::f64::consts::TAU);
    let mut turn = 0.0;
    let target = rng.range(400.0, 2500.0);
    let mut pts = vec![start];
    let mut p = start;
    while length(&pts) < target {
        turn = 0.8 * turn + 0.04 * rng.normal();
        heading += turn;
        let next = p + coord! { x: 30.0 * heading.cos(), y: 30.0 * heading.sin() };
        if !b.inside_by(next, 20.0) {
            break;
        }
        pts.push(next);
        p = next;
    }
    pts
}
