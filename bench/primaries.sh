#!/usr/bin/env bash
# primaries.sh: sign-ins and session checks per second with the identity database in the
# default SQLite file (one primary) against PostgreSQL 15 (a throwaway cluster from
# scripts/lib.sh's start_postgres): one primary, and two primaries sharing it (wrk on both at
# once, rates summed). Sign-in: `POST /auth/login` (argon2id verification, session insert,
# audit row). Session check: `GET /auth/me` with a session cookie (session lookup, roles,
# grants). Prints BENCH lines.
# Only 2xx answers count. Knobs: KASHIMAP_BIN (target/release/kashimap), DURATION (10 s),
# PRIMARY_CONNS (8 per primary: below the 16 sign-ins a primary queues before it answers 429).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT="$(cd "$BENCH_HOME/.." && pwd)"
BIN="${KASHIMAP_BIN:-$ROOT/target/release/kashimap}"
DURATION="${DURATION:-10}"
CONNS="${PRIMARY_CONNS:-8}"
[ -x "$BIN" ] || die "no $BIN: cargo build --release"
command -v wrk >/dev/null || die "wrk is needed (apt-get install wrk)"
cd "$ROOT"
# shellcheck source=../scripts/lib.sh
source scripts/lib.sh
W="$(mktemp -d "$BENCH_DIR/primaries.XXXXXX")"
trap 'bench_cleanup; stop_postgres; rm -rf "$W"' EXIT
start_postgres >/dev/null

PASSWORD=bench-primaries-pw
cat >"$W/login.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"username":"bench","password":"$PASSWORD"}'
wrk.headers["Content-Type"] = "application/json"
LUA

# ok_rate FILE: 2xx answers per second of a wrk run.
ok_rate() {
  awk -v d="$DURATION" '/requests in/ { n = $1 } /Non-2xx/ { bad = $5 } END { printf "%.0f", (n - bad) / d }' "$1"
}
non2xx() { awk '/Non-2xx/ { print $5 }' "$1" | head -1; }
session_cookie() { # BASE: a fresh session cookie (retried: a sign-in may be busy for a moment)
  local i c
  for i in 1 2 3 4 5 6 7 8 9 10; do
    c=$(curl -s -D - -o /dev/null -H "Origin: $1" -H 'Content-Type: application/json' \
      -d "{\"username\":\"bench\",\"password\":\"$PASSWORD\"}" "$1/auth/login" \
      | awk -F'[:;] *' 'tolower($1) == "set-cookie" { print $2; exit }')
    [ -n "$c" ] && { echo "$c"; return 0; }
    sleep 1
  done
  return 1
}

# measure NAME BASE...: sign-ins, then session checks, wrk on every BASE at once.
measure() {
  local name=$1; shift
  local base i cookie logins=0 checks=0 bad=0 pids=()
  for base in "$@"; do
    wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$W/login.lua" -H "Origin: $base" "$base/auth/login" \
      >"$W/$name-login-${base##*:}.txt" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"; pids=()
  for base in "$@"; do
    cookie=$(session_cookie "$base") || die "no session cookie from $base"
    wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "Cookie: $cookie" "$base/auth/me" \
      >"$W/$name-me-${base##*:}.txt" 2>&1 &
    pids+=($!)
  done
  wait "${pids[@]}"
  for base in "$@"; do
    logins=$((logins + $(ok_rate "$W/$name-login-${base##*:}.txt")))
    checks=$((checks + $(ok_rate "$W/$name-me-${base##*:}.txt")))
    for f in "$W/$name-login-${base##*:}.txt" "$W/$name-me-${base##*:}.txt"; do
      i=$(non2xx "$f"); bad=$((bad + ${i:-0}))
    done
  done
  echo "BENCH primaries $name sign_ins_per_s=$logins session_checks_per_s=$checks non_2xx=$bad duration_s=$DURATION conns_per_primary=$CONNS"
}

add_user() { # add_user DATA_DIR [--database URL]
  printf '%s\n' "$PASSWORD" | "$BIN" --data-dir "$1" "${@:2}" user add bench --role admin --password-stdin >/dev/null 2>&1
}

# 1. SQLite, one primary.
p=$(free_port); one=http://127.0.0.1:$p
add_user "$W/sqlite"
kashimap_start sqlite --data-dir "$W/sqlite" --addr "127.0.0.1:$p" serve; kashimap_ready "$one" "$pid"
measure sqlite-one-primary "$one"
stop_pid "$pid"

# 2. PostgreSQL, one primary, then two sharing it (and a shared store).
add_user "$W/pg1" --database "$PG_URL"
p1=$(free_port); p2=$(free_port)
kashimap_start pg1 --data-dir "$W/pg1" --addr "127.0.0.1:$p1" --database "$PG_URL" --store "file://$W/store" serve
kashimap_ready "http://127.0.0.1:$p1" "$pid"
measure postgres-one-primary "http://127.0.0.1:$p1"
kashimap_start pg2 --data-dir "$W/pg2" --addr "127.0.0.1:$p2" --database "$PG_URL" --store "file://$W/store" serve
kashimap_ready "http://127.0.0.1:$p2" "$pid"
measure postgres-two-primaries "http://127.0.0.1:$p1" "http://127.0.0.1:$p2"
