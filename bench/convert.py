"""Benchmark: ``convert --files`` over a generated tree vs. only parsing it with PyYAML's C loader,
and converting one reference end to end.

    venv/bin/python bench/convert.py [--files 1000] [--rounds 3] [--runs 21] [--only one]

Generates a tree of Helm values files (Bitnami-style image blocks, ingress-nginx-style
registry+image, sidecar lists, raw manifests, comments, resources...), then times, side
by side in one run and best of N rounds:

  parse    read every file + ``yaml.load(text, Loader=yaml.CLoader)``
  convert  read every file + scan + rewrite + unified diff (what ``--files`` does,
           without printing)
  write    convert with ``--write`` on a fresh copy of the tree (atomic writes, fsync)

and prints convert/parse (target: at most 2x) and write/parse.

One reference: ``scripts/convert-image-url.sh --registry R nginx:1.27`` run for real
(the shell wrappers, the venv stamp check and Python included), interleaved with a bare
``python -c pass`` (the venv's interpreter, the one the wrapper runs) as the baseline;
prints both medians, their ratio, and the wrapper's median against its target of 150 ms.
The venv is ``$VENV``, else this interpreter's.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ecr.images import reference
from ecr.values.files import convert_file, unified_diff
from ecr.values.scan import collect_files

REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
ROOT = Path(__file__).resolve().parent.parent
ONE_TARGET_MS = 150.0

APPS = ["wordpress", "mongodb", "redis", "postgresql", "nginx", "rabbitmq", "kafka", "mariadb"]


def values_file(rng: random.Random, index: int) -> str:
    app = rng.choice(APPS)
    parts = [
        f"# values for {app} release {index}\n",
        "global:\n  imageRegistry: \"\"\n  storageClass: gp3\n\n",
        f"image:\n  registry: docker.io\n  repository: bitnami/{app}\n"
        f"  tag: {rng.randint(1, 17)}.{rng.randint(0, 9)}.{rng.randint(0, 20)}\n"
        "  digest: \"\"\n  pullPolicy: IfNotPresent\n\n",
        "replicaCount: 2\nresources:\n  requests:\n    cpu: 100m\n    memory: 128Mi\n"
        "  limits:\n    memory: 512Mi\n\n",
        "podAnnotations:\n  prometheus.io/scrape: \"true\"\n  prometheus.io/port: \"9113\"\n\n",
        "metrics:\n  enabled: true\n  image:\n    registry: docker.io\n"
        f"    repository: bitnami/{app}-exporter\n    tag: 0.{rng.randint(1, 50)}.0\n\n",
        "controller:\n  image:\n    registry: registry.k8s.io\n"
        "    image: ingress-nginx/controller\n    tag: \"v1.11.2\"\n\n",
        "sidecars:\n  - name: reloader\n    image: \"quay.io/kiwigrid/k8s-sidecar:1.27.5\"\n"
        "    env:\n      - name: FOLDER\n        value: /tmp\n"
        "  - name: shell\n    image: busybox:1.36   # debug helper\n\n",
        "initContainers:\n  - name: wait\n    image: '{{ .Values.waitImage }}'\n\n",
        "ingress:\n  enabled: true\n  hosts:\n"
        + "".join(f"    - host: app{i}.example.com\n      paths: [/]\n" for i in range(5))
        + "\n",
        "affinity: {}\nnodeSelector: {}\ntolerations: []\n",
    ]
    return "".join(parts)


def manifest_file(rng: random.Random, index: int) -> str:
    return (
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
        f"  name: app-{index}\nspec:\n  template:\n    spec:\n      containers:\n"
        f"        - name: app\n          image: ghcr.io/org/app-{index}:v{rng.randint(1, 9)}\n"
        "          ports:\n            - containerPort: 8080\n"
        "---\napiVersion: batch/v1\nkind: CronJob\nspec:\n  jobTemplate:\n    spec:\n"
        "      template:\n        spec:\n          containers:\n"
        "          - name: job\n            image: public.ecr.aws/docker/library/alpine:3.20\n"
    )


def generate(root: Path, count: int) -> None:
    rng = random.Random(42)
    for i in range(count):
        folder = root / f"team{i % 10}" / f"app{i}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 5 == 4:
            (folder / "deploy.yaml").write_text(manifest_file(rng, i))
        else:
            (folder / "values.yaml").write_text(values_file(rng, i))


def time_it(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def one_reference(runs: int) -> bool:
    """Median wall time of the wrapper converting one reference vs ``python -c pass``."""
    env = {**os.environ, "VENV": os.environ.get("VENV", sys.prefix)}
    env.pop("ECR_REGISTRY", None)
    wrapper = [str(ROOT / "scripts" / "convert-image-url.sh"), "--registry", REGISTRY,
               "nginx:1.27"]
    bare = [sys.executable, "-c", "pass"]  # the venv's interpreter, the one the wrapper runs
    first = subprocess.run(wrapper, env=env, capture_output=True, text=True, check=False)
    expected = f"{REGISTRY}/docker-hub/library/nginx:1.27\n"
    if first.returncode != 0 or first.stdout != expected:  # also builds a missing venv
        print(f"the wrapper failed: {first.stderr or first.stdout}", file=sys.stderr)
        return False
    times: dict[str, list[float]] = {"wrapper": [], "bare": []}
    cpu: dict[str, list[float]] = {"wrapper": [], "bare": []}
    load = os.getloadavg()[0]
    for _ in range(runs):  # interleaved, so both see the same machine load
        for name, cmd in (("wrapper", wrapper), ("bare", bare)):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    wrapper_ms = statistics.median(times["wrapper"]) * 1000
    bare_ms = statistics.median(times["bare"]) * 1000
    bytecode = "off (PYTHONDONTWRITEBYTECODE)" if os.environ.get("PYTHONDONTWRITEBYTECODE") \
        else "on"
    print(f"one reference, {runs} runs each, interleaved (bytecode cache {bytecode}; "
          f"load average {load:.1f} on {os.cpu_count()} CPUs):")
    print("                                    median      min   CPU median")
    for label, name in (("convert-image-url.sh nginx:1.27", "wrapper"),
                        ("python -c pass (venv)", "bare")):
        print(f"  {label:32s} {statistics.median(times[name]) * 1000:6.1f} ms "
              f"{min(times[name]) * 1000:6.1f} ms {statistics.median(cpu[name]) * 1000:6.1f} ms")
    verdict = "OK" if wrapper_ms <= ONE_TARGET_MS else "OVER"
    print(f"wrapper = {wrapper_ms:.0f} ms (target <= {ONE_TARGET_MS:.0f} ms): {verdict}; "
          f"wrapper / bare python = {wrapper_ms / bare_ms:.1f}x")
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=21, help="runs of the one-reference figure")
    parser.add_argument("--only", choices=["files", "one"], help="just one of the two figures")
    args = parser.parse_args()
    if args.only != "files" and not one_reference(args.runs):
        return 1
    if args.only == "one":
        return 0
    if not getattr(yaml, "__with_libyaml__", False):
        print("PyYAML has no libyaml: the comparison would be meaningless", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as work:
        tree = Path(work) / "tree"
        generate(tree, args.files)
        files = collect_files([tree])

        def parse_only() -> None:
            for path in files:
                list(yaml.load_all(path.read_text(encoding="utf-8"), Loader=yaml.CLoader))

        def convert() -> None:
            reference._parse.cache_clear()  # no head start from the previous round
            for path in files:
                outcome = convert_file(path, REGISTRY)
                assert outcome.error is None and outcome.changed, outcome.error
                unified_diff(outcome)

        copy = Path(work) / "copy"

        def write() -> None:
            reference._parse.cache_clear()
            for path in collect_files([copy]):
                convert_file(path, REGISTRY, write=True)

        best = {"parse": float("inf"), "convert": float("inf"), "write": float("inf")}
        for _ in range(args.rounds):
            best["parse"] = min(best["parse"], time_it(parse_only))
            best["convert"] = min(best["convert"], time_it(convert))
            shutil.rmtree(copy, ignore_errors=True)
            shutil.copytree(tree, copy)
            best["write"] = min(best["write"], time_it(write))
        size = sum(p.stat().st_size for p in files)
    print(f"{len(files)} files, {size / 1024:.0f} KiB, best of {args.rounds} rounds")
    for name, seconds in best.items():
        print(f"  {name:8s} {seconds * 1000:8.1f} ms")
    ratio = best["convert"] / best["parse"]
    print(f"convert / parse = {ratio:.2f}x (target <= 2x): {'OK' if ratio <= 2 else 'OVER'}")
    print(f"write   / parse = {best['write'] / best['parse']:.2f}x (atomic writes: temp file, "
          "fsync, rename per file)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
