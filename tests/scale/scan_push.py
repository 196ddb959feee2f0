"""Searches every byte of a push target for what the public may not see.

The oracle is independent of the server: the layer files' access rules (layers/*.toml) and
the sample data (data/*.fgb, read with GDAL). Hidden layers' ids, attribute names and string
values, and the hidden attributes' names and string values of public layers, must appear in
no file of the target. A word that the primary also shows anonymous callers (for example an
attribute name mentioned in a layer's public description) is allowed only there: it is cut
from the public texts before the search. The manifest's structure is checked too: every
pushed layer, attribute column and field is public.

Usage: scan_push.py PUSH_DIR PRIMARY_BASE
"""

import json
import os
import subprocess
import sys
import tomllib
import urllib.request

HOST = "kashimap.test"


def get(base, path):
    req = urllib.request.Request(base + path, headers={"Host": HOST})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def features(source):
    out = subprocess.run(["ogr2ogr", "-f", "GeoJSON", "/vsistdout/", source],
                         check=True, capture_output=True).stdout
    return [f["properties"] for f in json.loads(out)["features"]]


def hidden_words():
    """(layer id, words) for everything the public may not see, and the public columns."""
    words, public_columns, public_layers = {}, {}, set()
    for name in sorted(os.listdir("layers")):
        if not name.endswith(".toml"):
            continue
        with open(os.path.join("layers", name), "rb") as f:
            d = tomllib.load(f)
        rows = features(d["source"])
        columns = sorted({k for r in rows for k in r})
        access = d["access"]
        rule = access.get("attributes", {}).get("public") if access.get("attributes") else "*"
        if access["view"] != "public":
            hidden, w = columns, {d["id"]}
        else:
            public_layers.add(d["id"])
            shown = columns if rule in (None, "*") else [c for c in columns if c in rule]
            if rule is None:
                shown = []
            # None: every column is public (an all-null column may not show in `rows`).
            public_columns[d["id"]] = None if rule in ("*",) else set(shown)
            hidden, w = [c for c in columns if c not in shown], set()
        w.update(hidden)
        for r in rows:
            for c in hidden:
                v = r.get(c)
                if isinstance(v, str) and len(v) >= 2:
                    w.add(v)
        words[d["id"]] = w
    return words, public_columns, public_layers


def main():
    target, primary = sys.argv[1], sys.argv[2]
    words, public_columns, public_layers = hidden_words()
    public_text = get(primary, "/ogc/collections").decode()
    for layer in public_layers:
        public_text += get(primary, f"/api/layers/{layer}/export.geojson").decode()
    texts = set()
    for c in json.loads(get(primary, "/ogc/collections"))["collections"]:
        texts.update(t for t in (c.get("title"), c.get("description")) if t)
    files = []
    for root, _, names in os.walk(target):
        for n in names:
            with open(os.path.join(root, n), "rb") as f:
                data = f.read()
            for t in sorted(texts, key=len, reverse=True):
                data = data.replace(t.encode(), b"")
            files.append((os.path.join(root, n), data))
    assert files, f"nothing was pushed to {target}"
    leaks, searched, public_anyway = [], 0, 0
    for layer, ws in words.items():
        for w in sorted(ws):
            if w in public_text:
                public_anyway += 1
                continue
            searched += 1
            for path, data in files:
                if w.encode() in data:
                    leaks.append(f"{layer}: `{w}` in {path}")
    # Structure: the manifest names only public layers, columns and fields.
    env = json.load(open(os.path.join(target, "manifest.json")))
    manifest = json.loads(env["payload"])
    for entry in manifest["layers"]:
        d, lid = entry["def"], entry["def"]["id"]
        if lid not in public_layers:
            leaks.append(f"manifest names non-public layer {lid}")
            continue
        if public_columns[lid] is None:
            continue
        named = set(d["fields"]) | set(d["searchable"]) | set(d.get("visible") or []) | (
            {d["label"]} if d.get("label") else set())
        extra = named - public_columns[lid]
        if extra:
            leaks.append(f"{lid}: manifest names hidden attributes {sorted(extra)}")
        info = subprocess.run(["ogrinfo", "-so", "-al", os.path.join(target, entry["data"]["path"])],
                              check=True, capture_output=True, text=True).stdout
        cols = {l.split(":")[0].strip() for l in info.splitlines()
                if ": " in l and "(" in l and l.strip().split(":")[0].strip() and
                l.split(":")[1].strip().split(" ")[0] in ("String", "Integer", "Integer64", "Real", "Date", "DateTime", "Integer(Boolean)")}
        if cols - public_columns[lid]:
            leaks.append(f"{lid}: pushed FlatGeobuf has hidden columns {sorted(cols - public_columns[lid])}")
    for l in leaks[:30]:
        print("  LEAK:", l)
    print(f"scan: {searched} hidden words searched in {len(files)} files "
          f"({public_anyway} skipped: the primary shows them publicly too); "
          f"{len(manifest['layers'])} layers checked; {len(leaks)} leaks")
    sys.exit(1 if leaks else 0)


if __name__ == "__main__":
    main()
