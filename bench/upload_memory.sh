#!/usr/bin/env bash
# upload_memory.sh [SIZES]: peak RSS of `kashimap import roads` (stage only) per upload:
# - one GeoJSON LineString of N vertices on one line (SIZES, default "1000000 2000000
#   4000000"), with every attribute the roads layer has, so that it is accepted and written;
# - a 50 MB one-line CSV (one row with a 50 MB value: refused at the cell);
# - 100,000 road lines of 20 vertices as GeoJSON, zipped Shapefile and GeoPackage (ogr2ogr);
# - a GeoPackage of one road whose extra attribute is an 80 MB blob (refused at the value).
# Prints one BENCH line per file: file size, peak RSS (/usr/bin/time -v), RSS / size, the peak
# over that of a two-vertex road (the layers loaded; measured first) and its ratio, exit
# code (0 staged, 2 refused by the report, 1 refused by a limit).
#   KASHIMAP_BIN: the binary to measure (default target/release/kashimap), so that a
#   build from before a change and one from after can be compared on the same files.
# Data is generated once into $BENCH_DIR/upload-memory (deterministic) and reused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZES="${1:-1000000 2000000 4000000}"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --locked)
WORK="$BENCH_DIR/upload-memory"
mkdir -p "$WORK"

# The attributes of the roads layer (layers/roads.toml), as one GeoJSON properties object.
ROAD_PROPS='{"路線番号":"1-001","路線名":"長い線","種別":"市道","幅員":5.5,"延長":1200.0,"認定年月日":"2001-04-01","起点":"A","終点":"B","舗装":"アスファルト","管理者":"鹿島市","台帳番号":"R-1","備考":""}'

gen_line() {  # gen_line N: one LineString feature of N vertices inside Kashima, one line
  local n="$1" out="$WORK/road-$1.geojson"
  [ -f "$out" ] || "$PY" - "$n" "$out" "$ROAD_PROPS" <<'PY'
import sys
n, out, props = int(sys.argv[1]), sys.argv[2], sys.argv[3]
with open(out, "w") as f:
    f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":%s,"geometry":{"type":"LineString","coordinates":[' % props)
    for i in range(n):
        f.write("%s[%.6f,%.6f]" % ("," if i else "", 130.05 + (i % 100000) * 1e-6, 33.05 + (i // 100000) * 1e-4))
    f.write("]}}]}")
PY
  echo "$out"
}

gen_many() {  # 100,000 road lines of 20 vertices: GeoJSON, then zipped Shapefile and GeoPackage
  local out="$WORK/roads-100k.geojson"
  [ -f "$out" ] || "$PY" - "$out" "$ROAD_PROPS" <<'PY'
import json, sys
out, props = sys.argv[1], json.loads(sys.argv[2])
with open(out, "w") as f:
    f.write('{"type":"FeatureCollection","features":[\n')
    for k in range(100000):
        p = dict(props, 路線番号="%d" % k, 路線名="路線%d" % k)
        x, y = 130.0 + (k % 300) * 1e-3, 33.0 + (k // 300) * 1e-3
        line = [[round(x + i * 4e-5, 6), round(y + (i % 2) * 4e-5, 6)] for i in range(20)]
        f.write("%s%s\n" % ("," if k else "", json.dumps({"type": "Feature", "properties": p, "geometry": {"type": "LineString", "coordinates": line}}, ensure_ascii=False)))
    f.write("]}\n")
PY
  [ -f "$WORK/roads-100k.gpkg" ] || ogr2ogr -q -f GPKG "$WORK/roads-100k.gpkg" "$out" -nln roads
  if [ ! -f "$WORK/roads-100k_shp.zip" ]; then
    rm -rf "$WORK/shp" && mkdir -p "$WORK/shp"
    ogr2ogr -q -f "ESRI Shapefile" -lco ENCODING=UTF-8 "$WORK/shp/roads.shp" "$out"
    (cd "$WORK/shp" && zip -q "$WORK/roads-100k_shp.zip" roads.*)
  fi
  echo "$out" "$WORK/roads-100k_shp.zip" "$WORK/roads-100k.gpkg"
}

gen_one() {  # one road of two vertices: the process's own peak, to subtract
  local out="$WORK/one.geojson"
  echo "{\"type\":\"Feature\",\"properties\":$ROAD_PROPS,\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[130.1,33.1],[130.2,33.2]]}}" > "$out"
  echo "$out"
}

gen_blob() {  # one road whose extra attribute is an 80 MB blob, as a GeoPackage
  local out="$WORK/blob-80mb.gpkg"
  if [ ! -f "$out" ]; then
    ogr2ogr -q -f GPKG "$out" "$(gen_one)" -nln roads -lco SPATIAL_INDEX=NO
    "$PY" - "$out" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("ALTER TABLE roads ADD COLUMN data BLOB")
c.execute("UPDATE roads SET data = zeroblob(80 * 1024 * 1024)")
c.commit()
PY
  fi
  echo "$out"
}

gen_csv() {  # one row whose 路線名 is 50 MB of text, on one line
  local out="$WORK/wide-50mb.csv"
  [ -f "$out" ] || "$PY" - "$out" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("lon,lat,路線名\n130.1,33.1," + "あ" * (50 * 1024 * 1024 // 3) + "\n")
PY
  echo "$out"
}

BASE_KB=0
measure() {  # measure FILE: import into a fresh store of the repository's layers
  local file="$1" var="$WORK/var" out="$WORK/time.txt" code=0
  rm -rf "$var"
  (cd "$ROOT" && /usr/bin/time -v "$BIN" --data-dir "$var" import roads "$file") \
    >/dev/null 2>"$out" || code=$?
  local kb size
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  size=$(stat -c %s "$file")
  [ "$BASE_KB" -gt 0 ] || BASE_KB=$kb
  echo "BENCH upload_memory file=$(basename "$file") bytes=$size peak_rss_mib=$((kb / 1024)) ratio=$(awk -v r="$kb" -v s="$size" 'BEGIN { printf "%.1f", r * 1024 / s }') over_base_mib=$(((kb - BASE_KB) / 1024)) over_base_ratio=$(awk -v r="$((kb - BASE_KB))" -v s="$size" 'BEGIN { printf "%.1f", r * 1024 / s }') exit=$code"
  grep -m1 -E "refused|too_large|上限" "$out" || true
}

measure "$(gen_one)"   # first: the baseline (the layers loaded, nothing to read)
for n in $SIZES; do measure "$(gen_line "$n")"; done
measure "$(gen_csv)"
for f in $(gen_many); do measure "$f"; done
measure "$(gen_blob)"
