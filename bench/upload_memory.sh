#!/usr/bin/env bash
# upload_memory.sh [SIZES]: peak RSS of `kashimap import` (stage only) for hostile single
# features: one GeoJSON LineString of N vertices on one line (SIZES, default
# "1000000 2000000 4000000") and a 50 MB one-line CSV (one row with a 50 MB value). Prints one
# BENCH line per file: file size, peak RSS (/usr/bin/time -v), RSS / size, exit code.
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

gen_line() {  # gen_line N: one LineString feature of N vertices inside Kashima, one line
  local n="$1" out="$WORK/line-$1.geojson"
  [ -f "$out" ] || "$PY" - "$n" "$out" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w") as f:
    f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"路線名":"長い線"},"geometry":{"type":"LineString","coordinates":[')
    for i in range(n):
        f.write("%s[%.6f,%.6f]" % ("," if i else "", 130.05 + (i % 100000) * 1e-6, 33.05 + (i // 100000) * 1e-4))
    f.write("]}}]}")
PY
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

measure() {  # measure FILE: import into a fresh store of the repository's layers
  local file="$1" var="$WORK/var" out="$WORK/time.txt" code=0
  rm -rf "$var"
  (cd "$ROOT" && /usr/bin/time -v "$BIN" --data-dir "$var" import roads "$file") \
    >/dev/null 2>"$out" || code=$?
  local kb size
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out")
  size=$(stat -c %s "$file")
  echo "BENCH upload_memory file=$(basename "$file") bytes=$size peak_rss_mib=$((kb / 1024)) ratio=$(awk -v r="$kb" -v s="$size" 'BEGIN { printf "%.1f", r * 1024 / s }') exit=$code"
  grep -m1 -E "refused|too_large|上限" "$out" || true
}

for n in $SIZES; do measure "$(gen_line "$n")"; done
measure "$(gen_csv)"
