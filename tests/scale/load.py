"""Sends COUNT public requests (tiles and items, 4 at a time) through a load balancer and
kills one replica (PID) with SIGKILL a third of the way in. Prints the failures.

Usage: load.py BASE COUNT PID
"""

import concurrent.futures
import math
import os
import signal
import sys
import time
import urllib.error
import urllib.request


def tile_paths():
    out = []
    for z in range(12, 16):
        n = 2**z
        x0 = int((130.10 + 180) / 360 * n)
        y0 = int((1 - math.asinh(math.tan(math.radians(33.10))) / math.pi) / 2 * n)
        for dx in range(-2, 3):
            for dy in range(-2, 3):
                out.append(f"/tiles/roads,shelters,zoning/{z}/{x0 + dx}/{y0 + dy}.mvt")
    out += [f"/ogc/collections/shelters/items?limit=10&offset={i}" for i in range(0, 50, 10)]
    return out


def one(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            r.read()
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # noqa: BLE001 - a failed request is what we count
        return repr(e)


def main():
    base, count, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    paths = tile_paths()
    urls = [base + paths[i % len(paths)] for i in range(count)]
    failures, killed_at = [], None
    t = time.time()
    batch = 50
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for start in range(0, count, batch):
            if killed_at is None and start >= count // 3:
                os.kill(pid, signal.SIGKILL)
                killed_at = start
            chunk = urls[start:start + batch]
            for u, s in zip(chunk, pool.map(one, chunk)):
                if s not in (200, 204):
                    failures.append((u, s))
    dt = time.time() - t
    print(f"load: {count} requests in {dt:.1f} s, replica killed at request {killed_at}, "
          f"{len(failures)} failed ({100 * len(failures) / count:.2f}%)")
    for u, s in failures[:10]:
        print("  failed:", u, s)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
