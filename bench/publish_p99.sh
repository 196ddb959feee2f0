#!/usr/bin/env bash
# publish_p99.sh: tile latency on the 200,000-parcel layer before, during and just after a
# publish of a new version over HTTP, and across a rollback (issue 11). Prints a table of
# windows and BENCH lines.
#
# What it does, all on 127.0.0.1:
#   1. a fresh data dir with one layer, `parcels` (prepare_kashimap.sh's layer file and
#      FlatGeobuf); an admin account and an API token made with the CLI
#      (`kashimap user add --password-stdin`, `kashimap token create`);
#   2. starts the release server (tile cache on, at its default size) and fetches every tile
#      of LIST once, so the steady state is warm;
#   3. one wrk run for the whole test, anonymous, on /tiles/parcels/{z}/{x}/{y}.mvt, CONNS
#      connections each with its own thread, each waiting DELAY_MS after a response before
#      its next request; pathlist.lua logs every request (when sent, latency, status);
#   4. during it: BEFORE_S of steady load; `POST /api/layers/parcels/uploads` of a second,
#      different 200,000-parcel file (gen_data.py --seed 20240402); `POST …/uploads/{id}/publish`;
#      15 s later `POST /api/layers/parcels/versions/{v}/activate` (the rollback); 15 s more.
#      ROLLBACK=previous (default): back to the version served before the publish, whose tiles
#      are still in the tile cache. ROLLBACK=uncached: before the warm pass the second file is
#      published (version 2), the load then publishes the first file again (version 3) and rolls
#      back to version 1, whose tiles were never rendered (but the start-up probe tile);
#   5. windows.py: p50/p99/p99.9/max and the count over SLOW_MS per window, by send time:
#        before               the steady BEFORE_S
#        upload               the upload request (the server stages the file)
#        publish..+5s         from the publish request to 5 s after its response
#        publish+5..15s       5 to 15 s after the publish response
#        rollback..+5s / rollback+5..15s   the same for the rollback
#      and the server's own log lines about overviews and loading.
# The first requests after a publish miss the tile cache (the version is in the key).
#
# Prerequisites: gen_data.py, tiles.py, prepare_kashimap.sh (its parcels layer), a release build.
# Environment: KASHIMAP_BIN (target/release/kashimap), LIST ($LIST_DIR/z12-16.txt), CONNS (32),
# DELAY_MS (10; 0 = as fast as the server answers), BEFORE_S (10), SLOW_MS (50), COMMIT (the
# label of the build measured; default: this checkout's HEAD),
# ROLLBACK (previous), V2_GEOJSON ($BENCH_DIR/data-v2/parcels.geojson, generated when missing),
# plus lib.sh's knobs.
# Run it under `nice -n -20` on a busy machine, as the other measurements are.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
LIST="${LIST:-$LIST_DIR/z12-16.txt}"
CONNS="${CONNS:-32}"
DELAY_MS="${DELAY_MS:-10}"
BEFORE_S="${BEFORE_S:-10}"
SLOW_MS="${SLOW_MS:-50}"
ROLLBACK="${ROLLBACK:-previous}"
V2_GEOJSON="${V2_GEOJSON:-$BENCH_DIR/data-v2/parcels.geojson}"
K="$BENCH_DIR/kashimap"
W="$BENCH_DIR/publish"
LAYER=parcels
[ -x "$BIN" ] || die "no $BIN: cargo build --release"
[ -f "$LIST" ] || die "no list $LIST (run tiles.py --out $LIST_DIR)"
[ -f "$K/layers/$LAYER.toml" ] && [ -f "$K/data/$LAYER.fgb" ] || die "run prepare_kashimap.sh first"
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
case "$ROLLBACK" in previous|uncached) ;; *) die "ROLLBACK must be previous or uncached" ;; esac

# ---- the layer, the second version's file, a fresh store ---------------------------------------
mkdir -p "$W/layers" "$W/data" "$W/upload"
cp "$K/layers/$LAYER.toml" "$W/layers/"
ln -sf "$K/data/$LAYER.fgb" "$W/data/$LAYER.fgb"
if [ ! -f "$V2_GEOJSON" ]; then
  log "generating the second version (gen_data.py --seed 20240402, parcels only)"
  "$PY" "$BENCH_HOME/gen_data.py" --out "$(dirname "$V2_GEOJSON")" --seed 20240402 \
      --roads 0 --pipes 0 --shelters 0 >&2
fi
V2="$W/upload/$LAYER-v2.fgb"
if [ ! -f "$V2" ] || [ "$V2_GEOJSON" -nt "$V2" ]; then
  log "ogr2ogr second version -> FlatGeobuf"
  ogr2ogr -f FlatGeobuf -lco SPATIAL_INDEX=NO "$V2" "$V2_GEOJSON"
fi
rm -rf "$W/var"
RUN="$LOG_DIR/publish-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
CFG="$RUN/kashimap.toml"
cat >"$CFG" <<T
addr = "127.0.0.1:$PORT"
data_dir = "$W/var"
layers_dir = "$W/layers"
root = "$W"
T

# ---- an admin and a token (the CLI, before the server starts) ----------------------------------
head -c 24 /dev/urandom | base64 | "$BIN" --config "$CFG" user add bench-admin --role admin \
    --password-stdin >"$RUN/user.log" 2>&1 || { cat "$RUN/user.log" >&2; die "user add failed"; }
TOKEN=$("$BIN" --config "$CFG" token create bench-admin --expires 1 --label "publish_p99.sh" 2>>"$RUN/user.log")
[ -n "$TOKEN" ] || die "token create printed nothing"
AUTH="Authorization: Bearer $TOKEN"

# ---- the server --------------------------------------------------------------------------------
t0=$(now_ms)
RUST_LOG="${SERVER_LOG:-warn,kashimap::tile=info,kashimap::app=info,kashimap::ingest=info}" \
  "$BIN" --config "$CFG" >"$RUN/server.log" 2>&1 &
PID=$!
BENCH_PIDS+=("$PID")
PREFIX="/tiles/$LAYER/"
wait_tile "$BASE$PREFIX$(tile_at 16).mvt" "$PID" 300 >/dev/null || { tail -30 "$RUN/server.log" >&2; die "no tile"; }
log "kashimap pid $PID on $BASE: first tile after $(( $(now_ms) - t0 )) ms, VmRSS $(rss_mb "$PID") MB"

api() {  # api METHOD PATH OUT [curl args...]: echoes the status
  local method="$1" path="$2" out="$3"; shift 3
  curl -sS -m 600 -X "$method" -H "$AUTH" -o "$out" -w '%{http_code}' "$@" "$BASE$path"
}
json() { "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }
upload() {  # upload FILE TAG: sets ID and NEW
  local code
  code=$(api POST "/api/layers/$LAYER/uploads" "$RUN/upload-$2.json" -F "file=@$1")
  [ "$code" = 201 ] || { head -c 2000 "$RUN/upload-$2.json" >&2; die "upload: HTTP $code"; }
  ID=$(json "$RUN/upload-$2.json" "d['id']")
  NEW=$(json "$RUN/upload-$2.json" "d['version']")
}
publish() {  # publish ID TAG
  local code
  code=$(api POST "/api/layers/$LAYER/uploads/$1/publish" "$RUN/publish-$2.json")
  [ "$code" = 200 ] || { cat "$RUN/publish-$2.json" >&2; die "publish: HTTP $code"; }
}

code=$(api GET "/api/layers/$LAYER/versions" "$RUN/versions-start.json")
[ "$code" = 200 ] || { cat "$RUN/versions-start.json" >&2; die "versions: HTTP $code"; }
OLD=$(json "$RUN/versions-start.json" "next(v['version'] for v in d['versions'] if v['current'])")
LOAD_FILE="$V2"
if [ "$ROLLBACK" = uncached ]; then
  log "setup: publishing $(basename "$V2") before the warm pass, so version $OLD has no cached tiles"
  upload "$V2" setup
  publish "$ID" setup
  LOAD_FILE="$K/data/$LAYER.fgb"
fi
log "warm pass: every tile of $(basename "$LIST") once"
"$PY" "$BENCH_HOME/fetch_tiles.py" --base "$BASE" --prefix "$PREFIX" --suffix .mvt --list "$LIST" \
    --workers 2 >"$RUN/warm.log" 2>&1 || { cat "$RUN/warm.log" >&2; die "warm pass failed"; }

# ---- the load, and what happens during it -----------------------------------------------------
now_us() { date +%s%6N; }
WIN="$RUN/windows.txt"
: >"$WIN"
log "load: wrk, $CONNS connections (one per thread), ${DELAY_MS} ms between a response and the next request"
BENCH_DELAY_MS="$DELAY_MS" wrk -t"$CONNS" -c"$CONNS" -d900s --timeout 30s -s "$BENCH_HOME/pathlist.lua" \
    "$BASE" -- "paths=$LIST" "prefix=$PREFIX" suffix=.mvt "log=$RUN/lat" >"$RUN/wrk.log" 2>&1 &
WRK=$!
BENCH_PIDS+=("$WRK")
sleep 2
a=$(now_us); sleep "$BEFORE_S"; b=$(now_us)
echo "before $a $b" >>"$WIN"

log "upload: $(basename "$LOAD_FILE") ($(du -mL "$LOAD_FILE" | cut -f1) MB)"
a=$(now_us); upload "$LOAD_FILE" load; b=$(now_us)
echo "upload $a $b" >>"$WIN"
UPLOAD_MS=$(( (b - a) / 1000 ))
sleep 2

log "publish: upload $ID as version $NEW"
a=$(now_us); publish "$ID" load; b=$(now_us)
PUBLISH_MS=$(( (b - a) / 1000 ))
echo "publish..+5s $a $(( b + 5000000 ))" >>"$WIN"
echo "publish+5..15s $(( b + 5000000 )) $(( b + 15000000 ))" >>"$WIN"
sleep 15

log "rollback: activate version $OLD"
a=$(now_us)
code=$(api POST "/api/layers/$LAYER/versions/$OLD/activate" "$RUN/activate.json")
b=$(now_us)
[ "$code" = 200 ] || { cat "$RUN/activate.json" >&2; die "activate: HTTP $code"; }
ROLLBACK_MS=$(( (b - a) / 1000 ))
echo "rollback..+5s $a $(( b + 5000000 ))" >>"$WIN"
echo "rollback+5..15s $(( b + 5000000 )) $(( b + 15000000 ))" >>"$WIN"
sleep 15.2

stop_pid "$WRK" INT
grep -q '^RESULT ' "$RUN/wrk.log" || { cat "$RUN/wrk.log" >&2; die "wrk printed no RESULT line"; }
RSS=$(rss_mb "$PID"); HWM=$(hwm_mb "$PID")
stop_pid "$PID"
log "kashimap pid $PID stopped"

echo "upload ${UPLOAD_MS} ms, publish request ${PUBLISH_MS} ms (-> version $NEW), rollback request ${ROLLBACK_MS} ms (-> version $OLD, $ROLLBACK);" \
     "server RSS after ${RSS} MB, peak ${HWM} MB; run files in $RUN"
echo "server log (overviews, loads):"
grep -E "overviews built|layer loaded|version (loaded|activated)|published" "$RUN/server.log" \
  | sed -E 's/\x1b\[[0-9;]*m//g; s/^/  /' || true
echo
"$PY" "$BENCH_HOME/windows.py" --log "$RUN/lat" --windows "$WIN" --slow-ms "$SLOW_MS" \
  --bench "server=kashimap event=publish_latency layer=$LAYER list=$(basename "$LIST" .txt) conns=$CONNS delay_ms=$DELAY_MS rollback=$ROLLBACK commit=${COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo NA)} upload_ms=$UPLOAD_MS publish_ms=$PUBLISH_MS rollback_ms=$ROLLBACK_MS" \
  | tee "$RUN/windows.out"
grep '^BENCH ' "$RUN/windows.out" | sed "s/^BENCH /BENCH ts=$(date -u +%Y-%m-%dT%H:%M:%SZ) /" >>"$RESULTS"
