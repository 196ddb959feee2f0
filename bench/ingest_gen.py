#!/usr/bin/env python3
"""Deterministic points inside Kashima for the ingest benchmark (not real data).

ingest_gen.py COUNT OUT.csv: a CSV with 経度,緯度 and four attributes (名称 in Japanese, a code
with a leading zero, an integer, a decimal), CRLF line ends, UTF-8. Standard library only.
"""
import random
import sys


def main():
    count, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20240401)
    kinds = ["公民館", "小学校", "神社", "集会所", "公園", "体育館"]
    with open(out, "w", encoding="utf-8", newline="") as f:
        f.write("経度,緯度,名称,コード,収容人数,面積\r\n")
        for i in range(count):
            lon = 130.02 + rng.random() * 0.16
            lat = 33.00 + rng.random() * 0.15
            name = f"鹿島{kinds[i % len(kinds)]}{i}"
            f.write(f"{lon:.7f},{lat:.7f},{name},0{i % 1000:03d},{rng.randint(10, 900)},{rng.random() * 1000:.2f}\r\n")


if __name__ == "__main__":
    main()
