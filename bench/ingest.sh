#!/usr/bin/env bash
# ingest.sh [COUNT]: time and peak memory of importing a COUNT-feature (default 1,000,000)
# Shapefile (zipped, Shift_JIS, EPSG:6670) and a COUNT-row CSV (CP932, 緯度/経度), and the
# latency of a running server while an import runs. Prints BENCH lines.
#   import:   `kashimap import` (stage only): the streaming path, /usr/bin/time -v
#   publish:  `kashimap import --publish`: also loads and indexes the new version in memory
#   latency:  p50/p99/max of GET $PROBE_PATH (default /readyz; e.g. a /tiles/... URL once the tile
#             pipeline is merged) on a server over the same data dir, sampled sequentially
#             while a CLI import of the Shapefile runs next to it. Set AUTH_HEADER (e.g.
#             "Authorization: Bearer …") to upload over HTTP instead, once sign-in exists.
# Data is generated once into $BENCH_DIR/ingest-COUNT (deterministic) and reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${1:-1000000}"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
PROBE_PATH="${PROBE_PATH:-/readyz}"
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --locked)
command -v ogr2ogr >/dev/null || die "ogr2ogr is needed (apt-get install gdal-bin)"
WORK="$BENCH_DIR/ingest-$COUNT"
mkdir -p "$WORK/layers" "$WORK/data"

gen() {
  [ -f "$WORK/points.csv" ] || { log "generating $COUNT rows"; "$PY" "$BENCH_HOME/ingest_gen.py" "$COUNT" "$WORK/points.csv"; }
  if [ ! -f "$WORK/points-cp932.csv" ]; then
    iconv -f UTF-8 -t CP932 "$WORK/points.csv" > "$WORK/points-cp932.csv"
  fi
  if [ ! -f "$WORK/points.zip" ]; then
    log "making the Shapefile (EPSG:6670, CP932)"
    rm -rf "$WORK/shp" && mkdir -p "$WORK/shp"
    ogr2ogr -f "ESRI Shapefile" -s_srs EPSG:6668 -t_srs EPSG:6670 -lco ENCODING=CP932 \
      -oo X_POSSIBLE_NAMES=経度 -oo Y_POSSIBLE_NAMES=緯度 -oo AUTODETECT_TYPE=YES -oo KEEP_SOURCE_COLUMNS=NO \
      "$WORK/shp/points.shp" "$WORK/points.csv"
    (cd "$WORK/shp" && "$PY" -c 'import zipfile,glob; z=zipfile.ZipFile("../points.zip","w",zipfile.ZIP_DEFLATED); [z.write(f) for f in sorted(glob.glob("points.*"))]; z.close()')
  fi
  if [ ! -f "$WORK/data/points.fgb" ]; then
    head -n 11 "$WORK/points.csv" > "$WORK/seed.csv"
    ogr2ogr -f FlatGeobuf -a_srs EPSG:4326 -oo X_POSSIBLE_NAMES=経度 -oo Y_POSSIBLE_NAMES=緯度 \
      -oo AUTODETECT_TYPE=YES -oo KEEP_SOURCE_COLUMNS=NO "$WORK/data/points.fgb" "$WORK/seed.csv"
  fi
  cat > "$WORK/layers/points.toml" <<'TOML'
id = "points"
title = { ja = "ベンチマーク点", en = "Benchmark points" }
department = "情報政策課"
source = "data/points.fgb"
geometry = "Point"
attribution = "合成データ (bench/ingest_gen.py)"
sample = true
[access]
view = "public"
upload = ["bench"]
TOML
}

# timed NAME FILE [ARGS...]: one `kashimap import`, fresh store, /usr/bin/time -v
timed() {
  local name="$1" file="$2"; shift 2
  rm -rf "$WORK/var"
  log "import $name: $(basename "$file") $*"
  (cd "$WORK" && /usr/bin/time -v "$BIN" --data-dir var --layers-dir layers import points "$file" "$@") \
    > "$LOG_DIR/ingest-$name.json" 2> "$LOG_DIR/ingest-$name.time" || { tail "$LOG_DIR/ingest-$name.time" >&2; die "import failed"; }
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$LOG_DIR/ingest-$name.time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.1f", $2/1024}' "$LOG_DIR/ingest-$name.time")
  emit "server=kashimap event=ingest case=$name features=$COUNT bytes=$(stat -c %s "$file")" "seconds=$secs peak_rss_mb=$rss"
}

latency() {
  rm -rf "$WORK/var"
  (cd "$WORK" && "$BIN" --data-dir var --layers-dir layers check >/dev/null 2>&1) || true
  local port pid
  port=$(free_port)
  (cd "$WORK" && exec "$BIN" serve --addr "127.0.0.1:$port" --data-dir var --layers-dir layers) > "$LOG_DIR/ingest-serve.log" 2>&1 &
  pid=$!; BENCH_PIDS+=("$pid")
  until curl -sf -o /dev/null "http://127.0.0.1:$port/readyz"; do kill -0 "$pid" 2>/dev/null || die "server exited"; sleep 0.05; done
  "$PY" - "http://127.0.0.1:$port$PROBE_PATH" "$WORK/probe.stop" > "$LOG_DIR/ingest-probe.txt" <<'PY' &
import sys, time, urllib.request, os
url, stop = sys.argv[1], sys.argv[2]
lat = []
while not os.path.exists(stop):
    t = time.perf_counter()
    try:
        urllib.request.urlopen(url, timeout=30).read()
    except Exception:
        pass
    lat.append((time.perf_counter() - t) * 1000)
lat.sort()
q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
print(f"n={len(lat)} p50_ms={q(0.5):.2f} p99_ms={q(0.99):.2f} max_ms={lat[-1]:.2f}")
PY
  local probe=$!
  rm -f "$WORK/probe.stop"
  sleep 1
  if [ -n "${AUTH_HEADER:-}" ]; then
    curl -sf -H "$AUTH_HEADER" -F "file=@$WORK/points.zip" "http://127.0.0.1:$port/api/layers/points/uploads" > "$LOG_DIR/ingest-http.json"
  else
    (cd "$WORK" && "$BIN" --data-dir var --layers-dir layers import points "$WORK/points.zip" > /dev/null 2>&1)
  fi
  touch "$WORK/probe.stop"; wait "$probe"
  stop_pid "$pid"
  emit "server=kashimap event=ingest_latency features=$COUNT probe=$PROBE_PATH via=$([ -n "${AUTH_HEADER:-}" ] && echo http || echo cli)" "$(cat "$LOG_DIR/ingest-probe.txt")"
}

gen
timed shapefile "$WORK/points.zip"
timed shapefile_publish "$WORK/points.zip" --publish
timed csv "$WORK/points-cp932.csv"
timed csv_publish "$WORK/points-cp932.csv" --publish
latency
