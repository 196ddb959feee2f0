#!/usr/bin/env python3
"""Latency per time window from pathlist.lua's per-request logs (log=PREFIX).

    python3 windows.py --log PREFIX --windows windows.txt [--slow-ms 50] [--bench "k=v ..."]

PREFIX.* hold one line per request: "sent_unix_us latency_us status" (latency -1: no
response). windows.txt holds one window per line: "NAME START_US END_US" (the same clock,
CLOCK_REALTIME). A request belongs to the window in which it was sent. For each window it
prints requests, req/s, p50/p99/p99.9/max (nearest rank over real responses; no
coordinated-omission correction), the count slower than --slow-ms, non-2xx and requests
without a response; then one BENCH line per window (with --bench words in front).
Standard library only.
"""
import argparse
import glob
import math


def nearest_rank(sorted_values, p):
    """The p-th percentile by nearest rank (the smallest value with at least p% at or under it)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--log", required=True, help="the log= prefix given to pathlist.lua")
    ap.add_argument("--windows", required=True)
    ap.add_argument("--slow-ms", type=float, default=50.0)
    ap.add_argument("--bench", default="", help="words put in front of each BENCH line")
    args = ap.parse_args()

    windows = []
    with open(args.windows) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:
                windows.append((parts[0], int(parts[1]), int(parts[2])))
    if not windows:
        raise SystemExit(f"no windows in {args.windows}")
    acc = {name: {"lat": [], "bad": 0, "lost": 0} for name, _, _ in windows}

    files = sorted(glob.glob(glob.escape(args.log) + ".*"))
    if not files:
        raise SystemExit(f"no log files {args.log}.*")
    for path in files:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) != 3:
                    continue  # a line cut by the end of the run
                sent, lat, status = int(parts[0]), int(parts[1]), int(parts[2])
                for name, start, end in windows:
                    if start <= sent < end:
                        a = acc[name]
                        if lat < 0:
                            a["lost"] += 1
                        else:
                            a["lat"].append(lat / 1000)
                            if status not in (200, 204):
                                a["bad"] += 1
                        break

    slow = args.slow_ms
    head = f"{'window':<22} {'secs':>6} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'p99.9 ms':>9} {'max ms':>9} {f'>{slow:g} ms':>8} {'non-2xx':>8} {'lost':>5}"
    print(head)
    print("-" * len(head))
    lines = []
    for name, start, end in windows:
        a = acc[name]
        lat = sorted(a["lat"])
        secs = (end - start) / 1e6
        over = sum(1 for v in lat if v > slow)
        p50, p99, p999 = (nearest_rank(lat, p) for p in (50, 99, 99.9))
        mx = lat[-1] if lat else float("nan")
        rps = len(lat) / secs if secs > 0 else float("nan")
        print(f"{name:<22} {secs:>6.1f} {len(lat):>9} {rps:>8.0f} {p50:>8.2f} {p99:>8.2f} {p999:>9.2f} {mx:>9.1f} {over:>8} {a['bad']:>8} {a['lost']:>5}")
        lines.append(
            f"BENCH {args.bench} window={name} secs={secs:.2f} requests={len(lat)} rps={rps:.0f} "
            f"p50_ms={p50:.2f} p99_ms={p99:.2f} p999_ms={p999:.2f} max_ms={mx:.1f} "
            f"slow_ms={slow:g} slow={over} non2xx={a['bad']} lost={a['lost']}".replace("BENCH  ", "BENCH ")
        )
    print()
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
