//! Tile pipeline benchmarks on deterministic synthetic data (not real data): 200 000 small
//! parcels (5–12 vertices, 10–40 m, non-overlapping grid slots, denser around lon 130.10,
//! lat 33.10) and 40 000 road-like lines, from a seeded PRNG.
//!
//! `cargo bench --bench tiles -- --quick`

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use common::{centre_tile, parcels, roads};
use criterion::{Criterion, criterion_group, criterion_main};
use kashimap::access::{Principal, decide};
use kashimap::layer::LayerVersion;
use kashimap::tile::{Overviews, RenderOptions, TileLayerInput, render, stages};

fn bench_layer(c: &mut Criterion, name: &str, layer: &Arc<LayerVersion>, zooms: &[u8]) {
    let t = Instant::now();
    let ov = Overviews::build(layer);
    eprintln!(
        "{name}: {} features, overviews rebuilt in {:.2?}, entries per zoom {:?}",
        layer.features.len(),
        t.elapsed(),
        ov.level_sizes()
    );
    let view = decide(&Principal::anonymous(), layer).expect("public layer");
    let input = [TileLayerInput { name, view: &view }];
    let opts = RenderOptions::default();
    for &z in zooms {
        let coord = centre_tile(z);
        let hits = stages::query(layer, coord);
        let shaped = if z >= 12 {
            stages::shape(layer, coord, &hits)
        } else {
            stages::shape(layer, coord, &[])
        };
        let bytes = render(&input, coord, &opts)
            .expect("render")
            .unwrap_or_default();
        eprintln!(
            "{name} {coord}: {} candidates, {} shaped, tile {} bytes",
            hits.len(),
            shaped.len(),
            bytes.len()
        );
        let mut g = c.benchmark_group(format!("{name}/z{z}"));
        g.sample_size(20);
        g.bench_function("query", |b| {
            b.iter(|| stages::query(layer, black_box(coord)));
        });
        g.bench_function("clip", |b| {
            b.iter(|| stages::clip(layer, black_box(coord), &hits));
        });
        g.bench_function("shape", |b| {
            b.iter(|| stages::shape(layer, black_box(coord), &hits));
        });
        g.bench_function("encode", |b| {
            b.iter(|| stages::encode(layer, &ov, black_box(&shaped)));
        });
        g.bench_function("render", |b| {
            b.iter(|| render(&input, black_box(coord), &opts));
        });
        g.finish();
    }
}

fn tiles(c: &mut Criterion) {
    let parcels = parcels(200_000);
    bench_layer(c, "parcels", &parcels, &[8, 10, 12, 13, 14, 15, 16]);
    let roads = roads(40_000);
    bench_layer(c, "roads", &roads, &[12, 14, 16]);
}

criterion_group!(benches, tiles);
criterion_main!(benches);
