"""The OGC API keeps the contract of its own OpenAPI document, checked by an outside client:
schemathesis reads /ogc/api, generates requests for every operation (valid ones, and ones
the document rules out), and runs all of its checks on the answers: no 5xx, statuses,
media types and headers as declared, bodies valid against the response schemas, valid input
accepted and invalid input refused, undeclared methods answered 405 with Allow.

Bounded: a fixed number of cases per operation and a fixed seed, so a run is repeatable
and takes about a minute on a debug build. KASHIMAP_ST_EXAMPLES and KASHIMAP_ST_SEED
change them for a longer or different hunt."""

import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = os.environ.get("KASHIMAP_ST_EXAMPLES", "40")
SEED = os.environ.get("KASHIMAP_ST_SEED", "20250401")


def test_the_ogc_api_keeps_its_openapi_contract(sample_server, tmp_path):
    st = Path(sys.executable).parent / "st"
    cmd = [
        str(st), "run", f"{sample_server.base}/ogc/api",
        "--checks", "all",
        "--max-examples", EXAMPLES,
        "--seed", SEED,
        "--workers", "2",
        "--generation-database", "none",
        "--request-timeout", "30",
        "--no-color",
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py")}
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    summary = run.stdout[run.stdout.rfind("SUMMARY"):]
    print(" ".join(cmd))
    print(summary)
    assert run.returncode == 0, run.stdout[-30000:] + run.stderr[-5000:]
    # Every operation of the document was exercised, and every case passed.
    selected = re.search(r"Selected: (\d+)/(\d+)", summary)
    tested = re.search(r"Tested: (\d+)", summary)
    assert selected and tested, summary
    assert selected[1] == selected[2] == tested[1], summary
    # landing, conformance, collections, and 4 per layer (schemathesis leaves out /api itself)
    assert int(tested[1]) >= 3 + 4 * 5, summary
    cases = re.search(r"(\d+) generated, (\d+) passed", summary)
    assert cases and cases[1] == cases[2] and int(cases[1]) > 500, summary
