# Shared by scripts/test, scripts/test-python, scripts/test-web and .ci/run. Sourced, not run.

# The Debian packages behind each prerequisite of the tests, and how each is detected.
# What the tests use them for:
#   gdal      ogrinfo/ogr2ogr: GDAL reads the OGC API end to end; upload tests make Shapefiles,
#             GeoPackages and CSVs with ogr2ogr
#   proj      cs2cs: the plane-rectangular transforms are checked against PROJ
#   venv      python3 -m venv: the independent tile and PMTiles checks (tests/python)
#   chromium  the browser tests (Playwright drives Debian's Chromium)
#   node      npm and Node.js >= 20.19 (Vite): builds the viewer, runs the browser tests
#   font      Japanese glyphs in the browser tests' screenshots and PDFs
#   scale     nginx (load balancer), curl and iproute2 (network namespaces) for
#             scripts/test-scale; its S3 server is built by install_s3_server below;
#             PostgreSQL 15 (postgresql-15) for the identity database on PostgreSQL
#             (start_postgres below: the access tests and two primaries)
ALL_PREREQUISITES=(gdal proj venv chromium node font scale)

# Prints the Debian packages missing for the given prerequisites (default: all), one a line.
missing_packages() {
  local need
  for need in "${@:-${ALL_PREREQUISITES[@]}}"; do
    case "$need" in
      gdal) command -v ogrinfo >/dev/null && command -v ogr2ogr >/dev/null || echo gdal-bin ;;
      proj) command -v cs2cs >/dev/null || echo proj-bin ;;
      venv) python3 -c 'import venv, ensurepip' 2>/dev/null || echo python3-venv ;;
      chromium) command -v chromium >/dev/null || echo chromium ;;
      node)
        command -v node >/dev/null || echo nodejs
        command -v npm >/dev/null || echo npm
        ;;
      font)
        command -v fc-list >/dev/null || echo fontconfig
        fc-list 2>/dev/null | grep -qi 'IPAGothic\|Noto Sans CJK' || echo fonts-ipafont-gothic
        ;;
      scale)
        command -v nginx >/dev/null || echo nginx
        command -v curl >/dev/null || echo curl
        command -v ip >/dev/null || echo iproute2
        [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || echo postgresql-15
        ;;
      *) echo "scripts/lib.sh: unknown prerequisite '$need'" >&2; return 2 ;;
    esac
  done
}

# Node.js is new enough for the viewer's build tools (web/package.json: engines.node).
node_is_recent() {
  node -e 'const [a, b] = process.versions.node.split(".").map(Number);
           process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null
}

# Stops with what to install when a prerequisite is missing: before any time goes into
# building. Arguments: the prerequisites to check (default: all).
require_prerequisites() {
  if ! command -v cargo >/dev/null; then
    echo "error: cargo is not installed. Install Rust >= 1.85 with rustup (https://rustup.rs)." >&2
    exit 1
  fi
  local missing
  missing=$(missing_packages "$@" | sort -u | tr '\n' ' ')
  if [ -n "$missing" ]; then
    {
      echo "error: the tests need programs that are not installed. On Debian:"
      echo
      echo "    sudo apt-get install ${missing% }"
      echo
      echo "(.ci/run installs them and then runs the tests.)"
    } >&2
    exit 1
  fi
  if [[ " ${*:-${ALL_PREREQUISITES[*]}} " == *" node "* ]] && ! node_is_recent; then
    {
      echo "error: Node.js $(node --version) is too old: the viewer needs >= 20.19."
      echo "Debian 13 (trixie) has it (apt-get install nodejs npm); on Debian 12 use a newer"
      echo "Node.js (e.g. from nodesource.com) and put it first on PATH."
    } >&2
    exit 1
  fi
}

# Makes sure the debug `kashimap` is built and up to date, exactly as `cargo test` builds it,
# and prints its path.
#
# `cargo build --bin kashimap` would rebuild it from scratch after `cargo test`: a test build
# unifies the dev-dependencies' features (criterion, rstest, ...) into the shared dependencies,
# a plain build does not, so the two builds disagree on the features of dozens of crates and
# each recompiles them (and overwrites the other's binary). Building the smallest integration
# test instead makes cargo produce the binary with the test build's features: after
# `cargo test` this is a no-op.
debug_binary() {
  cargo test --locked --no-run --test e2e_gdal >&2
  local target=${CARGO_TARGET_DIR:-target}
  echo "$(cd "$target" && pwd)/debug/kashimap"
}

# The S3-compatible server of scripts/test-scale: s3s-fs (crates.io, the s3s project), built
# once with cargo into $KASHIMAP_TOOLS (default ~/.cache/kashimap/tools) and reused by every
# later run; prints its path. docs/deployment.md says why this one.
S3S_FS_VERSION=0.14.1
install_s3_server() {
  local root=${KASHIMAP_TOOLS:-$HOME/.cache/kashimap/tools}
  local bin=$root/bin/s3s-fs
  if [ ! -x "$bin" ] || ! "$bin" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
    echo "building the S3 test server s3s-fs $S3S_FS_VERSION once into $root" >&2
    cargo install --locked --quiet --root "$root" s3s-fs --version "$S3S_FS_VERSION" \
      --features binary >&2
  fi
  echo "$bin"
}

# A throwaway PostgreSQL 15 cluster (Debian's binaries, no service): `start_postgres` makes one
# in a new temporary folder, listening on a free port of 127.0.0.1 and on a unix socket in that
# folder, and sets PG_DIR, PG_PORT and PG_URL (postgres://kashimap@127.0.0.1:PORT/kashimap);
# `stop_postgres` stops it and removes the folder (call it from the EXIT trap);
# `pg_stop_cluster` and `pg_start_cluster` stop it and start it again on the same port (the
# fault tests). initdb refuses to run as root, so as root the cluster runs as `nobody`.
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
pg_as() {
  if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi
}
start_postgres() {
  PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kashimap-pg.XXXXXX")
  [ "$(id -u)" = 0 ] && chown nobody "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$PG_BIN/initdb" -D "$PG_DIR/data" -U kashimap --auth=trust --no-locale -E UTF8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  pg_start_cluster || return 1
  pg_as "$PG_BIN/createdb" -h "$PG_DIR" -p "$PG_PORT" -U kashimap kashimap
  PG_URL="postgres://kashimap@127.0.0.1:$PG_PORT/kashimap"
  export PG_DIR PG_PORT PG_URL
}
pg_start_cluster() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
    start >/dev/null || { tail -20 "$PG_DIR/server.log" >&2; return 1; }
}
stop_postgres() {
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR" ] || return 0
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
pg_stop_cluster() {
  pg_as "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null
}
