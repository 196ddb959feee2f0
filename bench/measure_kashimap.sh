#!/usr/bin/env bash
# measure_kashimap.sh: kashimap cold (cache off) and hot (cache on, after a warm pass) on the
# harness's data and tile lists, plus nginx serving kashimap's own tiles as static files (the
# ceiling), REPS times each. Prints BENCH lines and a median table (summarize.py).
# Prerequisites: gen_data.py, tiles.py, prepare_kashimap.sh, a release build.
# Environment: LAYERS ("parcels roads"), LISTS ("z12-16 z14-16"), REPS (1), CONFIGS
# ("cold hot static"), KASHIMAP_BIN (target/release/kashimap), plus lib.sh's knobs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
K="$BENCH_DIR/kashimap"
LAYERS="${LAYERS:-parcels roads}"
LISTS="${LISTS:-z12-16 z14-16}"
REPS="${REPS:-1}"
CONFIGS="${CONFIGS:-cold hot static}"
RUN_ID="${RUN_ID:-k$(date +%Y%m%d-%H%M%S)}"
export STATIC_DIR="${STATIC_DIR:-$BENCH_DIR/static-kashimap}"
[ -x "$BIN" ] || die "no $BIN: cargo build --release"
[ -f "$K/cold.toml" ] || die "run prepare_kashimap.sh first"

# The static tree holds the bytes kashimap serves (cache off), saved once per layer.
fill_static() {
  local layer="$1" list="$2" port pid
  port=$(free_port)
  sed "s/{port}/$port/" "$K/cold.toml" >"$LOG_DIR/fill-$port.toml"
  RUST_LOG=warn "$BIN" --config "$LOG_DIR/fill-$port.toml" >"$LOG_DIR/fill-$port.log" 2>&1 &
  pid=$!; BENCH_PIDS+=("$pid")
  wait_tile "http://127.0.0.1:$port/readyz" "$pid" 300 >/dev/null
  mkdir -p "$STATIC_DIR/root"
  "$PY" "$BENCH_HOME/fetch_tiles.py" --base "http://127.0.0.1:$port" --prefix "/tiles/$layer/" \
      --suffix .mvt --list "$list" --workers 2 --out "$STATIC_DIR/root" --out-prefix "$layer/" \
      --out-suffix .mvt --skip-existing --empty-list "$STATIC_DIR/empty-$layer.txt" | sed 's/^/  /' >&2
  stop_pid "$pid"
}

for rep in $(seq 1 "$REPS"); do
  for layer in $LAYERS; do
    for list in $LISTS; do
      L="$LIST_DIR/$list.txt"
      for cfg in $CONFIGS; do
        case "$cfg" in
          cold) RUN_ID=$RUN_ID MODE_LABEL=cold "$BENCH_HOME/run_kashimap.sh" "$BIN" "$K/cold.toml" "$layer" "$L" ;;
          hot) RUN_ID=$RUN_ID MODE_LABEL=hot WARM_PASS=1 "$BENCH_HOME/run_kashimap.sh" "$BIN" "$K/hot.toml" "$layer" "$L" ;;
          static) fill_static "$layer" "$L"; RUN_ID=$RUN_ID "$BENCH_HOME/run_static.sh" "$layer" "$L" ;;
        esac
      done
    done
  done
done
"$PY" "$BENCH_HOME/summarize.py" "$RESULTS" || true
