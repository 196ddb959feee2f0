#!/usr/bin/env bash
# failover.sh: two public replicas behind nginx, wrk on tiles and items through nginx, one
# replica killed with `kill -9` a third of the way in (issue 12, docs/deployment.md).
# Goal: fewer than 0.1% failed requests, and none once nginx has noticed.
# Prints one BENCH line: requests, failed (non-2xx + socket errors + timeouts), the share, and
# the failures after the kill's first second (wrk's per-request log).
# Knobs: KASHIMAP_BIN (target/release/kashimap), DURATION (30), THREADS (2; one connection
# each, as the per-request log needs), NGINX_BIN (nginx).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
DURATION="${DURATION:-30}"
CONNS=$THREADS   # the per-request log needs one connection per thread
NGINX_BIN="${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}"
[ -x "$BIN" ] || die "no $BIN: cargo build --release"
[ -x "$NGINX_BIN" ] || die "nginx is needed (apt-get install nginx)"
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
cd "$ROOT"
W="$(mktemp -d "$BENCH_DIR/failover.XXXXXX")"
trap 'bench_cleanup; rm -rf "$W"' EXIT
"$BIN" keygen --out "$W/push" >/dev/null 2>&1


pp=$(free_port)
kashimap_start primary --data-dir "$W/primary" --addr "127.0.0.1:$pp" serve \
  --public-push "file://$W/push" --push-key "$W/push.key"
kashimap_ready "http://127.0.0.1:$pp" "$pid"
for _ in $(seq 1 300); do [ -f "$W/push/manifest.json" ] && break; sleep 0.1; done
ports=()
for r in a b; do
  p=$(free_port); ports+=("$p")
  kashimap_start "replica-$r" --data-dir "$W/replica-$r" --addr "127.0.0.1:$p" serve \
    --replica-of "file://$W/push" --replica-key "$W/push.pub"
  kashimap_ready "http://127.0.0.1:$p" "$pid"
  victim=$pid
done

# Tiles (roads and shelters, z12-16 over the town) and item pages, interleaved.
"$PY" - "$W/list.txt" <<'PY'
import math, sys
out = []
for z in range(12, 17):
    n = 2 ** z
    x0, x1 = (int((lon + 180) / 360 * n) for lon in (130.0, 130.2))
    y0, y1 = (int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n) for lat in (33.2, 33.02))
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            out.append(f"/tiles/roads/{z}/{x}/{y}.mvt")
            out.append(f"/ogc/collections/shelters/items?limit=10&offset={(x + y) % 50}")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
PY

np=$(free_port); mkdir -p "$W/nginx"
cat >"$W/nginx/nginx.conf" <<NGINX
worker_processes 1;
pid $W/nginx/nginx.pid;
error_log $W/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W/nginx/body;
  proxy_temp_path $W/nginx/proxy;
  fastcgi_temp_path $W/nginx/fastcgi;
  uwsgi_temp_path $W/nginx/uwsgi;
  scgi_temp_path $W/nginx/scgi;
  upstream replicas {
    server 127.0.0.1:${ports[0]} max_fails=1 fail_timeout=10s;
    server 127.0.0.1:${ports[1]} max_fails=1 fail_timeout=10s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$np;
    location / {
      proxy_pass http://replicas;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_502 http_503;
      proxy_connect_timeout 1s;
    }
  }
}
NGINX
"$NGINX_BIN" -p "$W/nginx" -c "$W/nginx/nginx.conf" -e "$W/nginx/error.log" -g "daemon off;" >"$W/nginx.log" 2>&1 &
BENCH_PIDS+=($!)
wait_tile "http://127.0.0.1:$np/healthz" "$!" 30 >/dev/null || die "nginx did not come up"

kill_at=$((DURATION / 3))
( sleep "$kill_at"; date +%s%6N >"$W/killed_us"; kill -9 "$victim" ) &
killer=$!
wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s -s "$BENCH_HOME/pathlist.lua" \
  "http://127.0.0.1:$np" -- paths="$W/list.txt" prefix= suffix= log="$W/req" >"$W/wrk.log" 2>&1 \
  || { cat "$W/wrk.log" >&2; die "wrk failed"; }
wait "$killer"
r=$(grep '^RESULT' "$W/wrk.log") || { cat "$W/wrk.log" >&2; die "wrk printed no RESULT line"; }
"$PY" - "$W" "${r#RESULT }" <<'PY'
import glob, sys
w, result = sys.argv[1], dict(kv.split("=", 1) for kv in sys.argv[2].split())
killed = int(open(f"{w}/killed_us").read())
rows = [l.split() for f in glob.glob(f"{w}/req.*") for l in open(f)]
bad = [int(t) for t, lat, st in rows if st not in ("200", "204")]
late = [t for t in bad if t > killed + 1_000_000]
n = len(rows)
print(f"BENCH failover requests={n} failed={len(bad)} failed_pct={100 * len(bad) / max(n, 1):.3f} "
      f"failed_after_1s={len(late)} rps={result.get('rps')} p99_ms={result.get('p99_ms')} "
      f"wrk_non2xx={result.get('non2xx')} wrk_sock_errors={result.get('sock_errors')}")
PY
