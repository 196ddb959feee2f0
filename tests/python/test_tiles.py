"""Independent checks of Kashimap's vector tiles: decoded by Python's mapbox-vector-tile,
polygons validated by shapely (GEOS), coordinates bounded by tile + buffer."""

import json
import random
from pathlib import Path

from tiles_check import check_tile, tile_range

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["zoning", "roads", "heritage", "pipes", "shelters"]


def city_bbox():
    with open(ROOT / "data" / "source" / "kashima_boundary_41207_s0010.geojson", encoding="utf-8") as f:
        gj = json.load(f)
    xs, ys = [], []
    for feat in gj["features"]:
        geom = feat["geometry"]
        polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
        for poly in polys:
            for x, y in poly[0]:
                xs.append(x)
                ys.append(y)
    return min(xs), min(ys), max(xs), max(ys)


def test_every_sample_tile_z10_to_16_decodes_valid_and_within_buffer(sample_server):
    bbox = city_bbox()
    problems, decoded, features = [], 0, {name: 0 for name in LAYERS}
    path_layers = ",".join(LAYERS)
    for z in range(10, 17):
        for x, y in tile_range(bbox, z):
            status, body, headers = sample_server.get(f"/tiles/{path_layers}/{z}/{x}/{y}.mvt")
            assert status in (200, 204), (z, x, y, status, body[:200])
            if status == 204:
                continue
            counts, p = check_tile(body, f"{z}/{x}/{y}")
            problems += p
            decoded += 1
            for name, n in counts.items():
                features[name] += n
    assert not problems, "\n".join(problems[:50])
    assert decoded > 500, decoded
    for name in LAYERS:
        assert features[name] > 0, f"layer {name} never appeared in any tile"


def test_each_layer_appears_at_every_zoom_from_its_minimum(sample_server):
    centre = (130.0987, 33.1031)
    for name in LAYERS:
        tj = sample_server.json(f"/tiles/{name}.json")
        for z in range(max(tj["minzoom"], 10), 17):
            bbox = (centre[0] - 0.01, centre[1] - 0.01, centre[0] + 0.01, centre[1] + 0.01)
            seen = 0
            for x, y in tile_range(bbox, z):
                status, body, _ = sample_server.get(f"/tiles/{name}/{z}/{x}/{y}.mvt")
                if status == 200:
                    counts, problems = check_tile(body, f"{name} {z}/{x}/{y}")
                    assert not problems, problems
                    seen += counts.get(name, 0)
            assert seen > 0 or name in ("heritage", "shelters"), f"{name} missing at z{z}"


def test_large_layer_sampled_z8_to_16(large_server):
    rng = random.Random(20241121)
    bbox = (130.02, 33.03, 130.18, 33.15)
    problems, checked, sizes = [], 0, []
    for z in range(8, 17):
        tiles = tile_range(bbox, z)
        centre = tile_range((130.0987, 33.1031, 130.0987, 33.1031), z)
        sample = centre + rng.sample(tiles, min(len(tiles), 12))
        for x, y in sample:
            status, body, _ = large_server.get(f"/tiles/parcels/{z}/{x}/{y}.mvt")
            assert status in (200, 204), (z, x, y, status, body[:200])
            if status == 200:
                _, p = check_tile(body, f"parcels {z}/{x}/{y}")
                problems += p
                checked += 1
                sizes.append(len(body))
    assert not problems, "\n".join(problems[:50])
    assert checked > 30, checked
    assert max(sizes) <= 500_000
