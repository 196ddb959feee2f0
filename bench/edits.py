#!/usr/bin/env python3
"""Edit benchmark (docs/benchmarks.md, "Single-feature edits").

Starts kashimap on the `leaks` record layer in a temporary folder, then:
  1. wrk reads one leaks tile (as a signed-in suido user) for DURATION s: tile p99 before;
  2. the same while this script creates and patches records as fast as one client can:
     edits per second, and tile p99 during;
  3. for SAMPLES records, the time from the 201 to the record in a tile, a search and an
     export.

Usage: KASHIMAP_BIN=target/release/kashimap python3 bench/edits.py [DURATION] [SAMPLES]
Only processes this script starts are stopped, by their PIDs.
"""
import json, os, re, shutil, socket, subprocess, sys, tempfile, threading, time, urllib.request, urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("KASHIMAP_BIN", os.path.join(ROOT, "target/release/kashimap"))
DURATION = int(sys.argv[1]) if len(sys.argv) > 1 else 15
SAMPLES = int(sys.argv[2]) if len(sys.argv) > 2 else 20
HERE = (130.108483, 33.074408)


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p


def tile_of(lon, lat, z):
    import math
    n = 2 ** z
    x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    return f"{z}/{x}/{y}"


def setup(root):
    for d in ("layers", "data/source"):
        os.makedirs(os.path.join(root, d))
    for f in ("layers/leaks.toml", "data/leaks.fgb", "data/source/kashima_boundary_41207_s0010.geojson"):
        shutil.copy(os.path.join(ROOT, f), os.path.join(root, f))
    cmd = [BIN, "--data-dir", "var", "--layers-dir", "layers"]
    subprocess.run(cmd + ["user", "add", "bench", "--role", "suido", "--password-stdin"], cwd=root, input=b"bench-password-123\n", check=True, capture_output=True)
    token = subprocess.run(cmd + ["token", "create", "bench", "--expires", "1"], cwd=root, check=True, capture_output=True).stdout.decode().strip()
    return cmd, token


def call(base, token, method, path, body=None, headers=None):
    h = {"Authorization": f"Bearer {token}", "Content-Type": "application/geo+json", **(headers or {})}
    req = urllib.request.Request(base + path, method=method, data=body and json.dumps(body).encode(), headers=h)
    with urllib.request.urlopen(req) as r:
        return r.status, r.headers.get("ETag"), r.read()


def wrk(base, token, path, seconds):
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {token}", base + path], capture_output=True, text=True).stdout
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    rps = re.search(r"Requests/sec:\s+(\S+)", out).group(1)
    return p99, rps


def record(note, i):
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [HERE[0] + (i % 50) * 1e-4, HERE[1] + (i // 50 % 50) * 1e-4]},
            "properties": {"漏水有無": "無", "備考": note}}


def main():
    root = tempfile.mkdtemp(prefix="kashimap-edits-")
    cmd, token = setup(root)
    port = free_port()
    server = subprocess.Popen(cmd + ["--addr", f"127.0.0.1:{port}", "serve"], cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/readyz"); break
            except Exception:
                time.sleep(0.1)
        tile = f"/tiles/leaks/{tile_of(*HERE, 16)}.mvt"
        p99_before, rps_before = wrk(base, token, tile, DURATION)
        counts = {"create": 0, "patch": 0}
        stop = time.time() + DURATION + 1

        def edit_loop():
            i = 0
            while time.time() < stop:
                _, etag, body = call(base, token, "POST", "/ogc/collections/leaks/items", record(f"bench {i}", i))
                counts["create"] += 1
                fid = json.loads(body)["id"]
                call(base, token, "PATCH", f"/ogc/collections/leaks/items/{fid}", {"properties": {"修繕状況": "未着手"}},
                     {"If-Match": etag, "Content-Type": "application/merge-patch+json"})
                counts["patch"] += 1
                i += 1

        t = threading.Thread(target=edit_loop); t.start()
        p99_during, rps_during = wrk(base, token, tile, DURATION)
        t.join()
        edits = (counts["create"] + counts["patch"]) / (DURATION + 1)
        print(f"tile p99 before: {p99_before} ({rps_before} req/s); during edits: {p99_during} ({rps_during} req/s)")
        print(f"edits: {counts['create']} creates + {counts['patch']} patches in {DURATION + 1} s = {edits:.1f}/s (one client, each fsynced)")
        lags = {"tile": [], "search": [], "export": []}
        for k in range(SAMPLES):
            note = f"visible{k}x{int(time.time())}"
            rec = record(note, 2500 + k)
            _, _, body = call(base, token, "POST", "/ogc/collections/leaks/items", rec)
            t0 = time.perf_counter()
            todo = {"tile", "search", "export"}
            while todo:
                now = time.perf_counter() - t0
                if "tile" in todo:
                    # at the layer's top zoom nothing is thinned: the tile holds the record
                    lon, lat = rec["geometry"]["coordinates"]
                    if note.encode() in call(base, token, "GET", f"/tiles/leaks/{tile_of(lon, lat, 20)}.mvt")[2]:
                        lags["tile"].append(now); todo.discard("tile")
                found = json.loads(call(base, token, "GET", "/api/search?" + urllib.parse.urlencode({"q": note}))[2])
                if "search" in todo and any(f.get("layer") == "leaks" for f in found.get("features", [])):
                    lags["search"].append(now); todo.discard("search")
                if "export" in todo and note.encode() in call(base, token, "GET", "/api/layers/leaks/export.csv")[2]:
                    lags["export"].append(now); todo.discard("export")
                time.sleep(0.005)
        for k, v in lags.items():
            v.sort()
            print(f"201 → visible in {k}: median {v[len(v)//2]*1000:.0f} ms, max {v[-1]*1000:.0f} ms ({len(v)} records)")
    finally:
        server.terminate(); server.wait()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
