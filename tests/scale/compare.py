"""Asks a primary (anonymously) and a replica the same public requests and checks that the
answers are equal: status, body (tiles byte for byte; items pages but for their timeStamp)
and ETag.

Usage: compare.py PRIMARY_BASE REPLICA_BASE
"""

import json
import math
import sys
import urllib.error
import urllib.request

HOST = "kashimap.test"  # the same Host header for both, so absolute links are equal
CENTER = (130.10, 33.10)  # 鹿島市


def fetch(base, path):
    req = urllib.request.Request(
        base + path, headers={"Host": HOST, "Accept-Encoding": "identity"}
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read(), r.headers.get("ETag")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("ETag")


def comparable(answer):
    """The answer without what may rightly differ: an items page's `timeStamp` is the time it
    was answered (RFC 3339, to the second), so two servers asked a moment apart can differ
    there and nowhere else. Everything else, tiles byte for byte, must be equal."""
    status, body, etag = answer
    if body.startswith(b"{") and b'"timeStamp"' in body:
        try:
            doc = json.loads(body)
        except ValueError:
            return answer
        if isinstance(doc, dict) and isinstance(doc.pop("timeStamp", None), str):
            body = json.dumps(doc, sort_keys=True).encode()
    return status, body, etag


def tile(lon, lat, z):
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def paths(public):
    out = ["/healthz", "/ogc/collections", "/styles/public.json?basemap=none",
           "/styles/staff.json", "/styles/public.json", "/tiles/pipes.json",
           "/ogc/collections/pipes/items", "/api/layers/pipes/export.geojson",
           "/api/search?q=%E5%85%AC%E6%B0%91%E9%A4%A8", "/api/search?q=%E7%B7%9A",
           f"/api/at?lon={CENTER[0]}&lat={CENTER[1]}",
           f"/api/nearest?layer=shelters&lon={CENTER[0]}&lat={CENTER[1]}&k=5"]
    for layer in public:
        out += [f"/tiles/{layer}.json", f"/ogc/collections/{layer}",
                f"/ogc/collections/{layer}/queryables",
                f"/ogc/collections/{layer}/items?limit=40",
                f"/ogc/collections/{layer}/items/1",
                f"/api/layers/{layer}/export.geojson", f"/api/layers/{layer}/export.csv",
                f"/api/layers/{layer}/export.fgb"]
    layers = ",".join(public)
    for z in range(10, 17):
        cx, cy = tile(*CENTER, z)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for name in list(public) + [layers]:
                    out.append(f"/tiles/{name}/{z}/{cx + dx}/{cy + dy}.mvt")
    return out


def main():
    primary, replica = sys.argv[1], sys.argv[2]
    status, body, _ = fetch(primary, "/ogc/collections")
    public = [c["id"] for c in json.loads(body)["collections"]]
    assert status == 200 and public, "the primary lists no public layer"
    bad, tiles = [], 0
    for p in paths(public):
        a, b = fetch(primary, p), fetch(replica, p)
        if comparable(a) != comparable(b):
            bad.append(f"{p}: primary {a[0]} {len(a[1])} B {a[2]}, replica {b[0]} {len(b[1])} B {b[2]}")
        elif p.endswith(".mvt") and a[0] == 200:
            tiles += 1
    for line in bad[:20]:
        print("  differs:", line)
    n = len(paths(public))
    print(f"compare: {n - len(bad)} of {n} public answers equal ({tiles} non-empty tiles byte for byte); layers {public}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
