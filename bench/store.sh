#!/usr/bin/env bash
# store.sh: publish-to-serve time with the layer store in a folder (the default, the data
# folder's layers/) and in an S3 bucket (--store s3://…, s3s-fs on 127.0.0.1 as in
# scripts/test-scale), on the sample data. For each store: N publishes of `shelters` over the
# API, each timed from the upload request to `/readyz` showing the new version (upload,
# conversion, store put, index build, CURRENT switch), then N rollbacks timed from the
# request to `/readyz` showing the old version. Also the start-up time on an existing store.
# Prints BENCH lines. Knobs: KASHIMAP_BIN (target/release/kashimap), N (default 10).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
N="${N:-10}"
[ -x "$BIN" ] || die "no $BIN: cargo build --release"
cd "$ROOT"
# shellcheck source=../scripts/lib.sh
S3="$(source scripts/lib.sh && install_s3_server)"
W="$(mktemp -d "$BENCH_DIR/store.XXXXXX")"
trap 'bench_cleanup; rm -rf "$W"' EXIT

served() { curl -s "$1/readyz" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["layers"].get("shelters"))'; }
stats() { "$PY" -c "import statistics,sys; a=[int(x) for x in sys.argv[1:]]; print(f'median_ms={statistics.median(a):.0f} max_ms={max(a)}')" "$@"; }

sp=$(free_port); mkdir -p "$W/s3/bench"
"$S3" --host 127.0.0.1 --port "$sp" --access-key bench --secret-key benchsecret "$W/s3" >"$W/s3.log" 2>&1 &
BENCH_PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$sp/" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret

run() { # run NAME [--store URL]
  local name=$1; shift
  local port base t0 t1 v id i first pubs=() rolls=()
  port=$(free_port); base=http://127.0.0.1:$port
  t0=$(now_ms)
  kashimap_start "$name" --data-dir "$W/$name" --addr "127.0.0.1:$port" "$@" serve
  kashimap_ready "$base" "$pid"; t1=$(now_ms)
  local first_start=$((t1 - t0))
  printf 'bench-password-1\n' | "$BIN" --data-dir "$W/$name" user add bench --role admin --password-stdin >/dev/null 2>&1
  local token; token=$("$BIN" --data-dir "$W/$name" token create bench 2>/dev/null </dev/null)
  first=$(served "$base")
  for i in $(seq 1 "$N"); do
    t0=$(now_ms)
    id=$(curl -s -H "Authorization: Bearer $token" -F "file=@data/shelters.fgb" \
      "$base/api/layers/shelters/uploads" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    v=$(curl -s -X POST -H "Authorization: Bearer $token" "$base/api/layers/shelters/uploads/$id/publish" \
      | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["published"]["version"])')
    until [ "$(served "$base")" = "$v" ]; do sleep 0.01; done
    t1=$(now_ms); pubs+=($((t1 - t0)))
    t0=$(now_ms)
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $token" "$base/api/layers/shelters/versions/$first/activate"
    until [ "$(served "$base")" = "$first" ]; do sleep 0.01; done
    t1=$(now_ms); rolls+=($((t1 - t0)))
  done
  echo "BENCH store=$name publish-to-serve n=$N ms=$(IFS=,; echo "${pubs[*]}") $(stats "${pubs[@]}")"
  echo "BENCH store=$name rollback-to-serve n=$N ms=$(IFS=,; echo "${rolls[*]}") $(stats "${rolls[@]}")"
  stop_pid "$pid"
  t0=$(now_ms)
  kashimap_start "$name-restart" --data-dir "$W/$name" --addr "127.0.0.1:$port" "$@" serve
  kashimap_ready "$base" "$pid"; t1=$(now_ms)
  echo "BENCH store=$name start first_ms=$first_start restart_ms=$((t1 - t0))"
  stop_pid "$pid"
}
run folder
run s3 --store "s3://bench/city?endpoint=http://127.0.0.1:$sp"
