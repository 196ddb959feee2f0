#!/usr/bin/env bash
# replica.sh: a public replica against its primary (docs/deployment.md), on the sample data.
#   1. tiles: wrk on the same tile list (roads, z12-16 over Kashima, tile cache off so every
#      request renders) against the primary (anonymous) and a replica of its folder push; the
#      rate and the RSS of each after the run
#   2. publish to replica: a publish of shelters over the API, then the time until a replica
#      (default 5 s poll) serves the new version; N times, with the folder target and with an
#      S3 target (s3s-fs, as in scripts/test-scale)
# Prints BENCH lines. Knobs: KASHIMAP_BIN (target/release/kashimap), DURATION, THREADS, CONNS,
# N (publishes per target, default 5), POLL (replica poll seconds, default 5).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
N="${N:-5}"
POLL="${POLL:-5}"
[ -x "$BIN" ] || die "no $BIN: cargo build --release"
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
cd "$ROOT"
# shellcheck source=../scripts/lib.sh
S3="$(source scripts/lib.sh && install_s3_server)"
W="$(mktemp -d "$BENCH_DIR/replica.XXXXXX")"
trap 'bench_cleanup; rm -rf "$W"' EXIT
printf 'tile_cache_mb = 0\n' >"$W/cold.toml"
"$BIN" keygen --out "$W/push" >/dev/null 2>&1


# The tile list: roads at z12-16 over the town.
"$PY" - "$W/list.txt" <<'PY'
import math, sys
out = []
for z in range(12, 17):
    n = 2 ** z
    x0, x1 = (int((lon + 180) / 360 * n) for lon in (130.0, 130.2))
    y0, y1 = (int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n) for lat in (33.2, 33.02))
    out += [f"{z}/{x}/{y}" for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

pp=$(free_port); primary=http://127.0.0.1:$pp
kashimap_start primary --config "$W/cold.toml" --data-dir "$W/primary" --addr "127.0.0.1:$pp" serve \
  --public-push "file://$W/push" --push-key "$W/push.key"
primary_pid=$pid; kashimap_ready "$primary" "$pid"
for _ in $(seq 1 300); do [ -f "$W/push/manifest.json" ] && break; sleep 0.1; done
rp=$(free_port); replica=http://127.0.0.1:$rp
kashimap_start replica --config "$W/cold.toml" --data-dir "$W/replica" --addr "127.0.0.1:$rp" serve \
  --replica-of "file://$W/push" --replica-key "$W/push.pub" --replica-poll-secs "$POLL"
replica_pid=$pid; kashimap_ready "$replica" "$pid"

for who in primary replica; do
  base=$primary; p=$primary_pid
  [ $who = replica ] && { base=$replica; p=$replica_pid; }
  wrk -t"$THREADS" -c"$CONNS" -d"${WARMUP}s" -s "$BENCH_HOME/pathlist.lua" "$base" -- \
    paths="$W/list.txt" prefix=/tiles/roads/ suffix=.mvt >/dev/null 2>&1 || true
  r=$(wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout "$TIMEOUT" -s "$BENCH_HOME/pathlist.lua" \
    "$base" -- paths="$W/list.txt" prefix=/tiles/roads/ suffix=.mvt 2>/dev/null | grep '^RESULT')
  echo "BENCH replica-tiles who=$who tiles=$(wc -l <"$W/list.txt") rss_mb=$(rss_mb "$p") ${r#RESULT }"
done

printf 'bench-password-1\n' | "$BIN" --data-dir "$W/primary" user add bench --role admin --password-stdin >/dev/null 2>&1
token=$("$BIN" --data-dir "$W/primary" token create bench 2>/dev/null </dev/null)
publish() {
  local id
  id=$(curl -s -H "Authorization: Bearer $token" -F "file=@data/shelters.fgb" \
    "$primary/api/layers/shelters/uploads" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  curl -s -X POST -H "Authorization: Bearer $token" "$primary/api/layers/shelters/uploads/$id/publish" \
    | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["published"]["version"])'
}
served() { curl -s "$1/readyz" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["layers"].get("shelters"))'; }
latencies() { # latencies TARGET_NAME REPLICA_BASE
  local i v t0 t1 all=()
  for i in $(seq 1 "$N"); do
    t0=$(now_ms); v=$(publish)
    until [ "$(served "$2")" = "$v" ]; do sleep 0.02; done
    t1=$(now_ms); all+=($((t1 - t0)))
    sleep "0.$((RANDOM % 10))"
  done
  echo "BENCH publish-to-replica target=$1 poll_s=$POLL n=$N ms=$(IFS=,; echo "${all[*]}") $("$PY" -c "import statistics,sys; a=[int(x) for x in sys.argv[1:]]; print(f'median_ms={statistics.median(a):.0f} max_ms={max(a)}')" "${all[@]}")"
}
latencies folder "$replica"

sp=$(free_port); mkdir -p "$W/s3/bench"
"$S3" --host 127.0.0.1 --port "$sp" --access-key bench --secret-key benchsecret "$W/s3" >"$W/s3.log" 2>&1 &
BENCH_PIDS+=($!)
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$sp/" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=benchsecret
s3="s3://bench/city?endpoint=http://127.0.0.1:$sp"
stop_pid "$primary_pid"
kashimap_start primary-s3 --config "$W/cold.toml" --data-dir "$W/primary" --addr "127.0.0.1:$pp" serve \
  --public-push "$s3" --push-key "$W/push.key"
kashimap_ready "$primary" "$pid"
sleep 2
rs=$(free_port)
kashimap_start replica-s3 --config "$W/cold.toml" --data-dir "$W/replica-s3" --addr "127.0.0.1:$rs" serve \
  --replica-of "$s3" --replica-key "$W/push.pub" --replica-poll-secs "$POLL"
kashimap_ready "http://127.0.0.1:$rs" "$pid"
latencies s3 "http://127.0.0.1:$rs"
