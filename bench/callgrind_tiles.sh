#!/usr/bin/env bash
# callgrind_tiles.sh: instructions per tile request, counted by valgrind (repeatable on a busy
# machine, unlike wall-clock load tests). Starts kashimap under callgrind with instrumentation
# off, lets it load, then counts N requests of a tile list (one at a time, one curl on one
# keep-alive connection), and
# prints the instruction total per request and the top inclusive functions.
#   bench/callgrind_tiles.sh CONFIG LAYER LIST [N] [hot]
# CONFIG: a kashimap.toml (e.g. $BENCH_DIR/kashimap/cold.toml from prepare_kashimap.sh, whose
# addr placeholder {port} is filled in here). With `hot`, the list is fetched once before
# counting, so the counted pass is served from the tile cache.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
CONFIG="$1"; LAYER="$2"; LIST="$3"; N="${4:-200}"; MODE="${5:-cold}"
command -v valgrind >/dev/null || die "valgrind is not installed"
OUT="$(mktemp -d)"
port=$(free_port)
sed -e "s/{port}/$port/" -e "s#^data_dir = .*#data_dir = \"$OUT/var\"#" "$CONFIG" >"$OUT/config.toml"
RUST_LOG=warn valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$OUT/cg.out" \
  "$BIN" --config "$OUT/config.toml" >"$OUT/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$OUT"' EXIT
for _ in $(seq 1 900); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 1; done
# One curl for all requests, so they share a keep-alive connection as a load generator's do.
head -n "$N" "$LIST" | while read -r t; do
  printf 'url = "http://127.0.0.1:%s/tiles/%s/%s.mvt"\noutput = "/dev/null"\n' "$port" "$LAYER" "$t"
done >"$OUT/curl.cfg"
fetch() { curl -s -K "$OUT/curl.cfg"; }
[ "$MODE" = hot ] && fetch
callgrind_control -i on "$pid" >/dev/null
fetch
callgrind_control -d "$pid" >/dev/null
sleep 2
file=$(ls "$OUT"/cg.out.* | head -1)
total=$(callgrind_annotate "$file" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
[ -n "${KEEP:-}" ] && echo "kept $file"
echo "RESULT layer=$LAYER list=$(basename "$LIST") mode=$MODE requests=$N instructions_per_request=$((total / N))"
callgrind_annotate --inclusive=yes "$file" | grep -v '/rustc/' | grep 'kashimap::\|miniz\|sha2\|xxh' | head -25 | cut -c1-160
