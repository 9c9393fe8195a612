"""Benchmark: ``convert --files`` on one large values file, at 1, 2 and 4 MB.

    venv/bin/python bench/convert_large.py [--rounds 2]

The rewrite once rebuilt the whole text per edit (time grew with the square of the file
size: 1 MB 4 s, 2 MB 14 s, 4 MB 49 s, issue 14).  This prints, side by side in one run
(best of N rounds), the time to convert each size and the ratio 4 MB / 1 MB: linear is
about 4, quadratic about 16 (target: at most 6).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecr.values.files import convert_file, unified_diff

REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
TARGET = 6.0


def values_text(megabytes: int) -> str:
    block = (
        "app{i}:\n  image:\n    registry: docker.io\n    repository: bitnami/app{i}\n"
        "    tag: '1.{i}'\n  sidecar:\n    image: quay.io/org/x{i}:v1\n"
        "  resources: {{limits: {{cpu: 100m}}}}\n"
    )
    parts: list[str] = []
    size = 0
    i = 0
    while size < megabytes * 1_000_000:
        part = block.format(i=i)
        parts.append(part)
        size += len(part)
        i += 1
    return "".join(parts)


def best(path: Path, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        outcome = convert_file(path, REGISTRY)
        unified_diff(outcome)
        times.append(time.perf_counter() - start)
        assert outcome.changed and outcome.error is None
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as work:
        for megabytes in (1, 2, 4):
            path = Path(work) / f"values-{megabytes}mb.yaml"
            path.write_text(values_text(megabytes))
            results[megabytes] = best(path, args.rounds)
            print(f"{megabytes} MB: {results[megabytes]:.2f} s")
    ratio = results[4] / results[1]
    print(f"4 MB / 1 MB: {ratio:.1f}x (target: at most {TARGET:.0f}x; linear ~4x, quadratic ~16x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
