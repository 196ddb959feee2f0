#!/usr/bin/env python3
"""Independent check of kashimap tiles: decode every {z}/{x}/{y}.mvt under a directory with
mapbox-vector-tile, check every polygon with shapely's is_valid, and every coordinate against
the tile plus its buffer.

    python3 -m venv .venv && .venv/bin/pip install shapely mapbox-vector-tile
    KASHIMAP_TILE_DUMP=/tmp/tiles cargo test --lib tile::tests::dump_sample_tiles -- --ignored
    .venv/bin/python bench/check_tiles.py /tmp/tiles
"""
import pathlib
import sys

import mapbox_vector_tile
from shapely.geometry import shape
from shapely.validation import explain_validity

BUFFER = 64
EXTENT = 4096


def coords(geom):
    if geom["type"] == "Point":
        yield geom["coordinates"]
    elif geom["type"] in ("MultiPoint", "LineString"):
        yield from geom["coordinates"]
    elif geom["type"] in ("MultiLineString", "Polygon"):
        for part in geom["coordinates"]:
            yield from part
    elif geom["type"] == "MultiPolygon":
        for poly in geom["coordinates"]:
            for ring in poly:
                yield from ring


def main(root):
    tiles = sorted(pathlib.Path(root).glob("*/*/*.mvt"))
    feats = polys = invalid = outside = 0
    for path in tiles:
        data = mapbox_vector_tile.decode(path.read_bytes(), default_options={"y_coord_down": True})
        for layer in data.values():
            assert layer["extent"] == EXTENT, path
            for f in layer["features"]:
                feats += 1
                g = f["geometry"]
                for x, y in coords(g):
                    if not (-BUFFER <= x <= EXTENT + BUFFER and -BUFFER <= y <= EXTENT + BUFFER):
                        outside += 1
                if g["type"] in ("Polygon", "MultiPolygon"):
                    polys += 1
                    s = shape(g)
                    if not s.is_valid:
                        invalid += 1
                        if invalid <= 10:
                            print(f"invalid {path} id={f.get('id')}: {explain_validity(s)}")
    print(f"tiles={len(tiles)} features={feats} polygons={polys} invalid={invalid} outside={outside}")
    return 1 if invalid or outside else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/tiles"))
