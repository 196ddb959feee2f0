"""Fixtures: a running kashimap binary over the sample data (and, for the large-layer check,
a generated 1,000,000-polygon layer). Servers bind 127.0.0.1 on a free port and are stopped
at the end of the session."""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The debug binary `cargo test` made (scripts/test-python passes it as KASHIMAP_BIN);
# $CARGO_TARGET_DIR is honoured like cargo does.
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
BIN = Path(os.environ.get("KASHIMAP_BIN", TARGET / "debug" / "kashimap"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, cwd, layers_dir, data_dir):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(data_dir).parent / "server.log", "wb")
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--addr", f"127.0.0.1:{self.port}",
             "--layers-dir", str(layers_dir), "--data-dir", str(data_dir)],
            cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_LOG": "warn"},
        )
        deadline = time.time() + 300
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kashimap exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(self.base + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("kashimap did not become ready")

    def get(self, path):
        """(status, body bytes, headers)."""
        req = urllib.request.Request(self.base + path)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read(), dict(e.headers)

    def json(self, path):
        status, body, _ = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def sample_server(tmp_path_factory):
    """The repository's sample layers, with `pipes` made public so that its geometry is
    checked too (this suite checks tiles, not the access policy)."""
    assert BIN.exists(), f"{BIN} missing: run cargo build first"
    tmp = tmp_path_factory.mktemp("sample")
    layers = tmp / "layers"
    shutil.copytree(ROOT / "layers", layers)
    pipes = layers / "pipes.toml"
    text = pipes.read_text(encoding="utf-8")
    pipes.write_text(
        "\n".join('view = "public"' if l.startswith("view =") else l for l in text.splitlines()) + "\n",
        encoding="utf-8",
    )
    srv = Server(ROOT, layers, tmp / "var")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def large_server(tmp_path_factory):
    """A generated 1,000,000-polygon `parcels` layer (KASHIMAP_LARGE_COUNT overrides)."""
    count = int(os.environ.get("KASHIMAP_LARGE_COUNT", "1000000"))
    tmp = tmp_path_factory.mktemp("large")
    subprocess.run(
        [str(BIN), "generate", "--large", str(count), "--out", str(tmp),
         "--source", str(ROOT / "data" / "source")],
        check=True, cwd=ROOT, env={**os.environ, "RUST_LOG": "warn"},
    )
    srv = Server(tmp, tmp / "layers", tmp / "var")
    yield srv
    srv.stop()
