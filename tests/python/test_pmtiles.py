"""`kashimap export-tiles` writes PMTiles v3 that the reference Python reader accepts."""

import gzip
import subprocess

import mapbox_vector_tile
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import zxy_to_tileid

from conftest import BIN, ROOT
from tiles_check import check_tile


def test_export_is_readable_and_public_only(tmp_path):
    out = tmp_path / "public.pmtiles"
    subprocess.run(
        [str(BIN), "--data-dir", str(tmp_path / "var"), "export-tiles",
         "--layers", "shelters,zoning,roads", "--zoom", "10-15", "--out", str(out)],
        check=True, cwd=ROOT,
    )
    with open(out, "rb") as f:
        reader = Reader(MmapSource(f))
        header = reader.header()
        assert header["min_zoom"] == 10 and header["max_zoom"] == 15
        assert 1299000000 < header["min_lon_e7"] < header["max_lon_e7"] < 1303000000
        meta = reader.metadata()
        assert [l["id"] for l in meta["vector_layers"]] == ["shelters", "zoning", "roads"]
        road_fields = meta["vector_layers"][2]["fields"]
        assert "台帳番号" not in road_fields and "路線名" in road_fields
        n = 0
        for (z, x, y), data in all_tiles(reader.get_bytes):
            body = gzip.decompress(data)
            _, problems = check_tile(body, f"{z}/{x}/{y}")
            assert not problems, problems
            for layer in mapbox_vector_tile.decode(body).values():
                for feat in layer["features"]:
                    assert "台帳番号" not in feat["properties"]
            assert reader.get(z, x, y) == data
            n += 1
        assert n > 50
    assert zxy_to_tileid(12, 3423, 1763) == 19078479
