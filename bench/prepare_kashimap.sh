#!/usr/bin/env bash
# prepare_kashimap.sh: turns gen_data.py's GeoJSON ($DATA_DIR/{parcels,roads}.geojson) into a
# kashimap setup under $BENCH_DIR/kashimap: FlatGeobuf sources (ogr2ogr), layer files, and two
# configurations, cold.toml (tile cache off) and hot.toml (1 GiB cache), for run_kashimap.sh.
# The same data the martin and PostGIS runs use; both layers public.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
K="$BENCH_DIR/kashimap"
mkdir -p "$K/data" "$K/layers"
for layer in parcels roads; do
  src="$DATA_DIR/$layer.geojson"
  [ -f "$src" ] || die "missing $src (run gen_data.py --out $DATA_DIR)"
  if [ ! -f "$K/data/$layer.fgb" ] || [ "$src" -nt "$K/data/$layer.fgb" ]; then
    log "ogr2ogr $layer -> FlatGeobuf"
    ogr2ogr -f FlatGeobuf -lco SPATIAL_INDEX=NO "$K/data/$layer.fgb" "$src"
  fi
done
cat > "$K/layers/parcels.toml" <<'T'
id = "parcels"
title = { ja = "筆界（ベンチマーク）", en = "Parcels (benchmark)" }
department = "bench"
source = "data/parcels.fgb"
geometry = "Polygon"
zoom = { min = 0, max = 18 }
attribution = "synthetic benchmark data"
sample = true
[access]
view = "public"
T
cat > "$K/layers/roads.toml" <<'T'
id = "roads"
title = { ja = "道路（ベンチマーク）", en = "Roads (benchmark)" }
department = "bench"
source = "data/roads.fgb"
geometry = "LineString"
zoom = { min = 0, max = 18 }
attribution = "synthetic benchmark data"
sample = true
[access]
view = "public"
T
for mode in cold hot; do
  mb=0; [ "$mode" = hot ] && mb=1024
  cat > "$K/$mode.toml" <<T
addr = "127.0.0.1:{port}"
data_dir = "$K/var-$mode"
layers_dir = "$K/layers"
root = "$K"
tile_cache_mb = $mb
T
done
log "ready: KASHIMAP_ENV=RUST_LOG=warn MODE_LABEL=cold ./run_kashimap.sh target/release/kashimap $K/cold.toml parcels"
