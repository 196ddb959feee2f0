"""Decoding and validity checks shared by the tile tests."""

import math

import mapbox_vector_tile
from shapely.geometry import shape
from shapely.validation import explain_validity

EXTENT = 4096
BUFFER = 64
MAX_TILE_BYTES = 500_000


def tile_range(bbox, z):
    """Every (x, y) at zoom z touching bbox = (west, south, east, north)."""
    def xy(lon, lat):
        n = 2 ** z
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        return min(max(x, 0), n - 1), min(max(y, 0), n - 1)
    x0, y0 = xy(bbox[0], bbox[3])
    x1, y1 = xy(bbox[2], bbox[1])
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def coords_of(geom):
    t = geom["type"]
    c = geom["coordinates"]
    if t == "Point":
        yield c
    elif t in ("MultiPoint", "LineString"):
        yield from c
    elif t in ("MultiLineString", "Polygon"):
        for part in c:
            yield from part
    elif t == "MultiPolygon":
        for poly in c:
            for ring in poly:
                yield from ring


def check_tile(body, where):
    """Decodes a tile with mapbox-vector-tile and checks it. Returns {layer: features}."""
    problems = []
    assert len(body) <= MAX_TILE_BYTES, f"{where}: {len(body)} bytes"
    tile = mapbox_vector_tile.decode(body, default_options={"y_coord_down": True})
    counts = {}
    for name, layer in tile.items():
        assert layer["extent"] == EXTENT, f"{where}/{name}: extent {layer['extent']}"
        counts[name] = len(layer["features"])
        for f in layer["features"]:
            g = f["geometry"]
            for x, y in coords_of(g):
                if not (-BUFFER <= x <= EXTENT + BUFFER and -BUFFER <= y <= EXTENT + BUFFER):
                    problems.append(f"{where}/{name} id {f.get('id')}: coordinate {x},{y} outside tile + buffer")
                    break
            if g["type"] in ("Polygon", "MultiPolygon"):
                s = shape(g)
                if not s.is_valid:
                    problems.append(f"{where}/{name} id {f.get('id')}: invalid polygon: {explain_validity(s)}")
    return counts, problems
