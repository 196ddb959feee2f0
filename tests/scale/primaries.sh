# Two primaries as one (sourced by scripts/test-scale, which defines start, wait_ready,
# pass, fail, free_port, $bin and $work): two `kashimap serve` with their own data folders
# share a throwaway PostgreSQL 15 cluster (--database) and a layer store (--store file://),
# behind nginx.
#   - a session made on one works on the other (and through nginx on both)
#   - a publish on one is served by the other (LISTEN/NOTIFY; the time is printed), a rollback
#     too
#   - a layer created on one (POST /api/admin/layers) is served by the other, and one removed
#     there is gone from the other (the shared store's catalog); the
#     same for two more primaries on an S3 store (s3s-fs: the definitions kept in the bucket),
#     and a third started on an empty data folder serves the layer from the bucket
#   - two publishes at the same moment lose no version (one wins, the other is told 409)
#   - the audit log has both primaries' events
#   - PostgreSQL stopped under load: sign-in and staff pages answer 503
#     database_unavailable while public tiles and items keep answering 200; started again,
#     both recover without a restart, and notifications flow again

start_postgres || fail "cannot start PostgreSQL 15 (apt-get install postgresql-15)"
shared="file://$work/shared-store"
q1=$(free_port); one=http://127.0.0.1:$q1
q2=$(free_port); two=http://127.0.0.1:$q2
# One after the other: the first imports the samples into the empty shared store.
start primary-1 --data-dir "$work/p1" --addr "127.0.0.1:$q1" --database "$PG_URL" --store "$shared" serve
wait_ready "$one"
start primary-2 --data-dir "$work/p2" --addr "127.0.0.1:$q2" --database "$PG_URL" --store "$shared" serve
wait_ready "$two"
[ ! -e "$work/p1/kashimap.sqlite3" ] && [ ! -e "$work/p2/kashimap.sqlite3" ] \
  || fail "a primary on --database created a SQLite file"
pass "two primaries on one PostgreSQL database and one shared store"

for who in one two; do
  printf 'primaries-test-pw\n' | "$bin" --database "$PG_URL" --data-dir "$work/p1" \
    user add "admin-$who" --role admin --password-stdin >/dev/null 2>&1 || fail "user add admin-$who"
done
token_of() { "$bin" --database "$PG_URL" --data-dir "$work/p1" token create "$1" 2>/dev/null | grep -o 'kmap_[0-9a-f]*' | head -1; }
token1=$(token_of admin-one); token2=$(token_of admin-two)
[ -n "$token1" ] && [ -n "$token2" ] || fail "cannot create API tokens"

# Sign in on one; the cookie works on two.
jar=$work/cookies.txt
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -H "Origin: $one" -H 'Content-Type: application/json' \
  -d '{"username":"admin-one","password":"primaries-test-pw"}' "$one/auth/login")
[ "$code" = 200 ] || fail "sign-in on primary 1 answered $code"
me_on() { curl -s -b "$jar" "$1/auth/me" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("user") or "")' 2>/dev/null; }
[ "$(me_on "$two")" = admin-one ] || fail "the session made on primary 1 is unknown on primary 2"
pass "signed in on primary 1, the session works on primary 2"

# Uploads and publishes (staging is per primary: stage and publish on the same one).
stage_on() { # BASE TOKEN -> upload id
  curl -s -H "Authorization: Bearer $2" -F "file=@data/shelters.fgb" "$1/api/layers/shelters/uploads" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
publish_on() { # BASE TOKEN ID -> HTTP status, body in $work/publish.json
  curl -s -o "$work/publish-$4.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $2" \
    "$1/api/layers/shelters/uploads/$3/publish"
}
served() { curl -s "$1/readyz" | python3 -c 'import json,sys; print(json.load(sys.stdin)["layers"].get("shelters"))'; }
# followed BASE VERSION [SECONDS]: until BASE serves VERSION; prints the seconds it took.
# Neither primary polls, so without the notification the version never comes; the limit (a
# wall-clock one, not a count of checks) only bounds a failing run: a loaded 2-core CI machine
# can take seconds, and after a database restart the listener reconnects with a back-off of up
# to 10 s (server/src/peers.rs).
followed() {
  local t0=${EPOCHREALTIME/./}
  while (( ${EPOCHREALTIME/./} - t0 < ${3:-15} * 1000000 )); do
    if [ "$(served "$1")" = "$2" ]; then
      printf '%.2f\n' "$(( ${EPOCHREALTIME/./} - t0 ))e-6"
      return 0
    fi
    sleep 0.05
  done
  return 1
}

id=$(stage_on "$one" "$token1")
[ "$(publish_on "$one" "$token1" "$id" a)" = 200 ] || fail "publish on primary 1: $(cat "$work/publish-a.json")"
v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["published"]["version"])' "$work/publish-a.json")
took=$(followed "$two" "$v") || fail "primary 2 did not serve v$v within 15 s (serves $(served "$two"))"
grep -q "serving a version another primary made current" "$work/primary-2.log" \
  || fail "primary 2 did not log the notification it followed"
pass "a publish on primary 1 (shelters v$v) was served by primary 2 after $took s (NOTIFY, no polling)"

old=$((v - 1))
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $token2" \
  "$two/api/layers/shelters/versions/$old/activate")
[ "$code" = 200 ] || fail "rollback on primary 2 answered $code"
took=$(followed "$one" "$old") || fail "primary 1 did not serve the rollback to v$old within 15 s"
pass "a rollback on primary 2 (to v$old) was served by primary 1 after $took s"

# A layer created on primary 1 is served by primary 2, removed on 2 it is gone from 1.
layer_code() { curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $3" "$1/ogc/collections/$2"; }
# until_code BASE LAYER TOKEN CODE: until the collection answers CODE (by the clock, at most
# 15 s: nothing polls, so without the notification it never comes); prints the seconds.
until_code() {
  local t0=${EPOCHREALTIME/./}
  while (( ${EPOCHREALTIME/./} - t0 < 15 * 1000000 )); do
    if [ "$(layer_code "$1" "$2" "$3")" = "$4" ]; then
      printf '%.2f\n' "$(( ${EPOCHREALTIME/./} - t0 ))e-6"
      return 0
    fi
    sleep 0.01
  done
  return 1
}
definition='{"id":"patrol","title":{"ja":"巡回記録","en":"Patrols"},"department":"農業委員会","geometry":"Point","attribution":"test","fields":{"状況":{"en":"State","choices":["異常なし","要確認"]}},"access":{"view":"public","edit":["admin"]}}'
[ "$(layer_code "$two" patrol "$token2")" = 404 ] || fail "primary 2 serves patrol before it was created"
code=$(curl -s -o "$work/define.json" -w '%{http_code}' -H "Authorization: Bearer $token1" -H 'Content-Type: application/json' \
  -d "$definition" "$one/api/admin/layers")
[ "$code" = 201 ] || fail "creating a layer on primary 1 answered $code: $(cat "$work/define.json")"
took=$(until_code "$two" patrol "$token2" 200) || fail "primary 2 did not serve the layer created on primary 1"
grep -q "serving a layer another primary created" "$work/primary-2.log" \
  || fail "primary 2 did not log the definition it followed"
code=$(curl -s -o "$work/edit.json" -w '%{http_code}' -H "Authorization: Bearer $token2" -H 'Content-Type: application/geo+json' \
  -d '{"type":"Feature","geometry":{"type":"Point","coordinates":[130.1085,33.0744]},"properties":{"状況":"要確認"}}' \
  "$two/ogc/collections/patrol/items")
[ "$code" = 201 ] || fail "an edit on primary 2 of the layer created on primary 1 answered $code: $(cat "$work/edit.json")"
pass "a layer created on primary 1 was served by primary 2 after $took s, and took an edit there at once"
code=$(curl -s -o "$work/remove.json" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $token2" "$two/api/admin/layers/patrol")
[ "$code" = 200 ] || fail "removing the layer on primary 2 answered $code: $(cat "$work/remove.json")"
took=$(until_code "$one" patrol "$token1" 404) || fail "primary 1 still serves the layer removed on primary 2"
pass "the layer removed on primary 2 was gone from primary 1 after $took s"

# The same with the store in a bucket (s3s-fs): the definitions are kept in it.
sp=$(free_port)
mkdir -p "$work/s3-primaries/kashimap-store"
"$s3_server" --host 127.0.0.1 --port "$sp" --access-key scaletest --secret-key scaletestsecret "$work/s3-primaries" \
  >"$work/s3-primaries.log" 2>&1 &
pids+=($!)
for ((i = 0; i < 100; i++)); do curl -s -o /dev/null "http://127.0.0.1:$sp/" && break; sleep 0.1; done
export AWS_ACCESS_KEY_ID=scaletest AWS_SECRET_ACCESS_KEY=scaletestsecret AWS_REGION=us-east-1
bucket="s3://kashimap-store/city?endpoint=http://127.0.0.1:$sp"
q3=$(free_port); three=http://127.0.0.1:$q3
q4=$(free_port); four=http://127.0.0.1:$q4
start primary-3 --data-dir "$work/p3" --addr "127.0.0.1:$q3" --database "$PG_URL" --store "$bucket" serve
bucket_pids=("$started")
wait_ready "$three"
start primary-4 --data-dir "$work/p4" --addr "127.0.0.1:$q4" --database "$PG_URL" --store "$bucket" serve
bucket_pids+=("$started")
wait_ready "$four"
code=$(curl -s -o "$work/define-s3.json" -w '%{http_code}' -H "Authorization: Bearer $token1" -H 'Content-Type: application/json' \
  -d "${definition/patrol/kiroku}" "$three/api/admin/layers")
[ "$code" = 201 ] || fail "creating a layer on S3 primary 3 answered $code: $(cat "$work/define-s3.json")"
took=$(until_code "$four" kiroku "$token2" 200) || fail "primary 4 did not serve the layer created on primary 3 (S3 store)"
q5=$(free_port); five=http://127.0.0.1:$q5
start primary-5 --data-dir "$work/p5" --addr "127.0.0.1:$q5" --database "$PG_URL" --store "$bucket" serve
bucket_pids+=("$started")
wait_ready "$five"
[ "$(layer_code "$five" kiroku "$token1")" = 200 ] || fail "a primary started on an empty data folder does not serve the layer defined in the bucket"
pass "S3 store: a layer created on primary 3 was served by primary 4 after $took s, and by a new primary 5 (empty data folder) at start"
code=$(curl -s -o "$work/remove.json" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $token2" "$four/api/admin/layers/kiroku")
[ "$code" = 200 ] || fail "removing the layer on S3 primary 4 answered $code: $(cat "$work/remove.json")"
took=$(until_code "$three" kiroku "$token1" 404) || fail "primary 3 still serves the layer removed on primary 4 (S3 store)"
until_code "$five" kiroku "$token1" 404 >/dev/null || fail "primary 5 still serves the layer removed on primary 4 (S3 store)"
pass "S3 store: the layer removed on primary 4 was gone from primaries 3 and 5 after $took s"
kill "${bucket_pids[@]}" 2>/dev/null || true

# Two publishes at the same moment, one on each primary.
ida=$(stage_on "$one" "$token1"); idb=$(stage_on "$two" "$token2")
publish_on "$one" "$token1" "$ida" x >"$work/race-x.code" &
race_x=$!
publish_on "$two" "$token2" "$idb" y >"$work/race-y.code" &
race_y=$!
wait "$race_x" "$race_y"
codes="$(cat "$work/race-x.code") $(cat "$work/race-y.code")"
case "$codes" in
  "200 200" | "200 409" | "409 200") ;;
  *) fail "concurrent publishes answered $codes: $(cat "$work/publish-x.json" "$work/publish-y.json")" ;;
esac
# The loser of the race follows the winner by its notification: wait until both agree.
for ((i = 0; i < 150; i++)); do
  current=$(served "$one")
  [ "$(served "$two")" = "$current" ] && break
  sleep 0.2
done
[ "$(served "$two")" = "$current" ] || fail "after the race the primaries serve v$current and v$(served "$two")"
versions=$(curl -s -H "Authorization: Bearer $token1" "$one/api/layers/shelters/versions" \
  | python3 -c 'import json,sys; print(" ".join(str(r["version"]) for r in json.load(sys.stdin)["versions"]))')
for f in x y; do
  won=$(python3 -c 'import json,sys
try: print(json.load(open(sys.argv[1]))["published"]["version"])
except Exception: print("")' "$work/publish-$f.json")
  if [ -n "$won" ]; then
    [[ " $versions " == *" $won "* ]] || fail "published v$won is missing from the store ($versions)"
  fi
done
pass "two publishes at the same moment ($codes): no version lost, both primaries serve v$current; the store has $versions"

# The audit log holds both primaries' events.
curl -s -H "Authorization: Bearer $token1" "$one/api/audit?limit=500" >"$work/audit.json"
python3 - "$v" "$old" "$work/audit.json" <<'PY' || fail "the audit log lacks an event of one primary"
import json, sys
entries = json.load(open(sys.argv[3]))["entries"]
def has(user, action, version):
    return any(e.get("user") == user and e["detail"].get("action") == action
               and e["detail"].get("version") == int(version) for e in entries)
assert has("admin-one", "upload.published", sys.argv[1]), "publish by admin-one on primary 1"
assert has("admin-two", "version.activated", sys.argv[2]), "rollback by admin-two on primary 2"
assert any(e.get("user") == "admin-one" and e["kind"] == "login" for e in entries), "sign-in on primary 1"
PY
pass "the audit log (read on primary 1) has primary 1's sign-in and publish and primary 2's rollback"

# nginx in front of both primaries: sign-ins and sessions through it, whichever answers.
ng=$(free_port)
mkdir -p "$work/nginx-primaries"
cat >"$work/nginx-primaries/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
pid $work/nginx-primaries/nginx.pid;
error_log $work/nginx-primaries/error.log;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path $work/nginx-primaries/body;
  proxy_temp_path $work/nginx-primaries/proxy;
  fastcgi_temp_path $work/nginx-primaries/fastcgi;
  uwsgi_temp_path $work/nginx-primaries/uwsgi;
  scgi_temp_path $work/nginx-primaries/scgi;
  upstream primaries {
    server 127.0.0.1:$q1;
    server 127.0.0.1:$q2;
  }
  server {
    listen 127.0.0.1:$ng;
    location / {
      proxy_pass http://primaries;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:$ng;
    }
  }
}
NGINX
nginx -c "$work/nginx-primaries/nginx.conf" -e "$work/nginx-primaries/error.log" >"$work/nginx-primaries.log" 2>&1 &
pids+=($!)
lb=http://127.0.0.1:$ng
for ((i = 0; i < 50; i++)); do curl -s -o /dev/null "$lb/healthz" && break; sleep 0.1; done
jar=$work/cookies-lb.txt
code=$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -H "Origin: $lb" -H 'Content-Type: application/json' \
  -d '{"username":"admin-two","password":"primaries-test-pw"}' "$lb/auth/login")
[ "$code" = 200 ] || fail "sign-in through nginx answered $code"
for ((i = 0; i < 10; i++)); do
  [ "$(me_on "$lb")" = admin-two ] || fail "request $i through nginx lost the session"
done
pass "behind nginx (round robin over both primaries): one sign-in, ten staff requests, all signed in"

# PostgreSQL stopped under load, then started again.
tile=/tiles/shelters/14/14552/6451.mvt
: >"$work/public-codes.txt"
(
  while [ ! -e "$work/stop-load" ]; do
    for base in "$one" "$two"; do
      curl -s -o /dev/null -w '%{http_code}\n' "$base$tile" >>"$work/public-codes.txt"
      curl -s -o /dev/null -w '%{http_code}\n' "$base/ogc/collections/shelters/items?limit=5" >>"$work/public-codes.txt"
    done
  done
) &
load=$!
pg_stop_cluster
sleep 1
body=$(curl -s -b "$jar" -w '\n%{http_code}' "$two/auth/me")
[ "${body##*$'\n'}" = 503 ] || fail "staff page with PostgreSQL down answered ${body##*$'\n'}, not 503"
python3 -c 'import json,sys; b=json.loads(sys.argv[1]); assert b["error"]=="database_unavailable" and b["message_ja"], b' \
  "${body%$'\n'*}" || fail "the 503 is not a database_unavailable JSON error: ${body%$'\n'*}"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Origin: $one" -H 'Content-Type: application/json' \
  -d '{"username":"admin-one","password":"primaries-test-pw"}' "$one/auth/login")
[ "$code" = 503 ] || fail "sign-in with PostgreSQL down answered $code, not 503"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token1" -F "file=@data/shelters.fgb" \
  "$one/api/layers/shelters/uploads")
[ "$code" = 503 ] || fail "an upload with PostgreSQL down answered $code, not 503"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token1" "$one/api/audit")
[ "$code" = 503 ] || fail "the audit log with PostgreSQL down answered $code, not 503"
sleep 1
pg_start_cluster || fail "PostgreSQL did not start again"
for ((i = 0; i < 100; i++)); do
  [ "$(me_on "$two")" = admin-two ] && [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token1" "$one/api/audit")" = 200 ] && break
  sleep 0.2
done
[ "$(me_on "$two")" = admin-two ] || fail "primary 2 did not recover after PostgreSQL came back"
touch "$work/stop-load"; wait "$load"
total=$(wc -l <"$work/public-codes.txt"); bad=$(grep -vc '^20[04]$' "$work/public-codes.txt" || true)
[ "$total" -gt 10 ] && [ "$bad" = 0 ] || fail "public requests during the outage: $bad of $total failed"
pass "PostgreSQL stopped: sign-in, staff pages, uploads and audit answered 503 database_unavailable; $total public tile and item requests all answered (200/204); started again, both recovered without a restart"

id=$(stage_on "$two" "$token2")
[ "$(publish_on "$two" "$token2" "$id" z)" = 200 ] || fail "publish after the restart: $(cat "$work/publish-z.json")"
v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["published"]["version"])' "$work/publish-z.json")
took=$(followed "$one" "$v" 40) || fail "after PostgreSQL restarted, primary 1 did not serve v$v within 40 s"
pass "after the restart the primaries hear each other again: v$v from primary 2 on primary 1 after $took s"
