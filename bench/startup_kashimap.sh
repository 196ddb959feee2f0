#!/usr/bin/env bash
# startup_kashimap.sh [COUNT]: start-up time and memory of kashimap with a COUNT-polygon layer
# (default 1,000,000) made by `kashimap generate --large`. Prints one BENCH line.
#   startup_ms: launch -> /readyz 200 (every layer read, projected and indexed)
#   rss_ready_mb / hwm_mb: VmRSS at that moment and the peak over the start-up
# The data is generated once into $BENCH_DIR/large-COUNT and reused; the store is made fresh on
# each run (first start imports the layer, as a new installation would), then a second start
# measures the steady-state restart that loads from the store.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
COUNT="${1:-1000000}"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release --locked)
WORK="$BENCH_DIR/large-$COUNT"
if [ ! -f "$WORK/parcels.fgb" ]; then
  log "generating $COUNT polygons into $WORK"
  /usr/bin/time -v "$BIN" generate --large "$COUNT" --out "$WORK" --source "$ROOT/data/source" 2> "$LOG_DIR/generate-$COUNT.time"
  grep -E "Elapsed|Maximum resident" "$LOG_DIR/generate-$COUNT.time" >&2
fi
rm -rf "$WORK/var"
for pass in import restart; do
  PORT=$(free_port)
  t0=$(now_ms)
  (cd "$WORK" && exec "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir var --layers-dir layers) \
    > "$LOG_DIR/startup-$COUNT-$pass.log" 2>&1 &
  PID=$!
  BENCH_PIDS+=("$PID")
  until curl -sf -o /dev/null "http://127.0.0.1:$PORT/readyz"; do
    kill -0 "$PID" 2>/dev/null || { tail "$LOG_DIR/startup-$COUNT-$pass.log" >&2; die "server exited"; }
    sleep 0.02
  done
  MS=$(( $(now_ms) - t0 ))
  RSS=$(rss_mb "$PID"); HWM=$(hwm_mb "$PID")
  stop_pid "$PID"
  emit "server=kashimap event=startup pass=$pass features=$COUNT" "startup_ms=$MS rss_ready_mb=$RSS hwm_mb=$HWM"
done
