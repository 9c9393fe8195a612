"""Benchmark: a last-pull prune of 10,000 cached images on moto_server, in API calls.

Starts one moto_server on a free 127.0.0.1 port and fills it with R cached repositories
of about I images each (default 50 x 200 = 10,000): per repository a third of the images
are multi-arch units (an OCI index and two platform manifests), the rest single images;
one repository in five was pulled recently throughout, the others hold a mix of quiet
and recently pulled units.  moto records no pulls, so the pruner's client is given ECR's
pull and push times (``tests/aws/prune_seed.record_times``); every call still goes to
moto over HTTP.  Then it runs, side by side in this process:

* a dry run (``ecr.pruner.prune.prune(dry_run=True)``: list, describe, read indexes), and
* the prune itself (the same, plus ``BatchDeleteImage``),

and prints the API calls each made (counted by the pruner and, independently, from
moto_server's request log) against the calls the job needs at the least: the pages of
``DescribeRepositories`` (1,000 per page), of ``DescribeImages`` per repository (1,000
per page), ``BatchGetImage`` for the index manifests (100 per call) of the repositories
holding any image itself not used for N days (only there can something go, and only the
indexes tell whether it may), and ``BatchDeleteImage`` (100 per call) per repository;
plus the wall time.  It checks that exactly the quiet units were deleted.
With ``--latency-ms MS`` the two runs go through a loopback latency proxy
(bench/latency_proxy.py: a round trip per connection and per request, connections kept
alive as ECR keeps them), as users far from the region see them.
Run: ``venv/bin/python bench/prune.py [--repos 50] [--images 200] [--latency-ms 30]``.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency_proxy import LatencyProxy  # noqa: E402
from ecr.pruner import ecr_api, prune  # noqa: E402
from tests.aws import prune_seed as seed  # noqa: E402
from tests.netutil import free_port, moto_server_process  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REGION = "af-south-1"
DAYS = 90
NOW = datetime.now(UTC)
PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]


class Registry:
    """What was seeded: times to report, and what the prune must delete."""

    def __init__(self) -> None:
        self.pushed: dict[str, datetime] = {}
        self.pulls: dict[str, datetime] = {}
        self.quiet: dict[str, set[str]] = {}  # repository -> digests that must go
        self.images: dict[str, int] = {}
        self.indexes: dict[str, int] = {}
        self.members: dict[str, list[str]] = {}

    def anything_quiet(self, name: str) -> bool:
        """Whether any image of ``name`` was itself last used (pulled, else pushed) more
        than DAYS ago: only then must its indexes be read to decide."""
        cutoff = NOW - timedelta(days=DAYS)
        return any(self.pulls.get(d, self.pushed[d]) < cutoff for d in self.members[name])


def seed_repo(ecr: Any, name: str, images: int, fresh_repo: bool, registry: Registry) -> None:
    ecr.create_repository(repositoryName=name)
    quiet: set[str] = set()
    pushed: dict[str, datetime] = {}
    pulls: dict[str, datetime] = {}
    made = indexes = unit = 0
    every: list[str] = []
    while made < images:
        old = NOW - timedelta(days=200)
        is_quiet = not fresh_repo and unit % 2 == 0
        last = NOW - timedelta(days=150 if is_quiet else 5)
        if unit % 3 == 0 and images - made >= 3:
            index, children = seed.put_multiarch(ecr, name, f"u{unit}", f"v{unit}", 2,
                                                 size=1_000_000 + unit)
            members = [index, *children]
            indexes += 1
            pulls[index] = last
            if not is_quiet and unit % 4 == 1:  # only one platform pulled: keeps the unit
                pulls[children[0]] = last
                pulls[index] = old
        else:
            members = [seed.put_single(ecr, name, f"{name}:s{unit}", 2_000_000 + unit,
                                       tag=f"s{unit}")]
            if not (is_quiet and unit % 5 == 0):  # some never pulled: judged by push time
                pulls[members[0]] = last
        for digest in members:
            pushed[digest] = old
        if is_quiet:
            quiet.update(members)
        every.extend(members)
        made += len(members)
        unit += 1
    registry.pushed.update(pushed)
    registry.pulls.update(pulls)
    registry.quiet[name] = quiet
    registry.images[name] = made
    registry.indexes[name] = indexes
    registry.members[name] = every


def requests_in(log: Path) -> int:
    """AWS API requests moto_server logged so far (its own /moto-api calls excluded)."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    return sum(1 for line in lines if ' HTTP/1.1" ' in line and "/moto-api" not in line)


def minimum_calls(registry: Registry, deleting: bool) -> dict[str, int]:
    repos = list(registry.images)
    judged = [r for r in repos if registry.anything_quiet(r)]
    least = {
        "DescribeRepositories": max(1, math.ceil(len(repos) / ecr_api.PAGE_SIZE)),
        "DescribeImages": sum(max(1, math.ceil(registry.images[r] / ecr_api.PAGE_SIZE))
                              for r in repos),
        "BatchGetImage": sum(math.ceil(registry.indexes[r] / ecr_api.BATCH) for r in judged),
    }
    if deleting:
        least["BatchDeleteImage"] = sum(math.ceil(len(registry.quiet[r]) / ecr_api.BATCH)
                                        for r in repos)
        # each delete batch is re-read first (DescribeImages by digest): a stale plan
        least["DescribeImages"] += least["BatchDeleteImage"]
    return least


def run(client: Any, log: Path, dry_run: bool) -> tuple[float, prune.Outcome, int]:
    before = requests_in(log)
    start = time.perf_counter()
    outcome = prune.prune(client, PREFIXES, DAYS, dry_run=dry_run, now=NOW, concurrency=4)
    elapsed = time.perf_counter() - start
    time.sleep(0.5)  # let moto flush its request log
    return elapsed, outcome, requests_in(log) - before


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=50)
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="round trip the latency proxy adds (default 0)")
    args = parser.parse_args()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": url, "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    })
    os.environ.pop("AWS_PROFILE", None)
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "moto.log"
        with moto_server_process(VENV_BIN / "moto_server", port, log):
            total = args.repos * args.images
            print(f"seeding {args.repos} repositories x {args.images} images on {url} ...",
                  file=sys.stderr)
            ecr = boto3.client("ecr", region_name=REGION)
            registry = Registry()
            names = [f"{PREFIXES[i % len(PREFIXES)]}/team{i % 7}/app-{i:03d}"
                     for i in range(args.repos)]
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda i: seed_repo(ecr, names[i], args.images, i % 5 == 0,
                                                  registry), range(args.repos)))
            ecr.create_repository(repositoryName="custom-apps")  # never touched
            seed.put_single(ecr, "custom-apps", "mine", tag="1")
            with LatencyProxy("127.0.0.1", port, args.latency_ms / 1000) as proxy:
                os.environ["AWS_ENDPOINT_URL"] = proxy.url
                client = ecr_api.client(REGION)
                seed.record_times(client, registry.pushed, registry.pulls)

                print(f"dry run ({args.latency_ms:g} ms) ...", file=sys.stderr)
                dry_s, dry, dry_logged = run(client, log, dry_run=True)
                print(f"prune ({args.latency_ms:g} ms) ...", file=sys.stderr)
                real_s, real, real_logged = run(client, log, dry_run=False)
            left = {name: seed.digests(ecr, name) for name in names}
            custom_left = seed.digests(ecr, "custom-apps")

    seeded = sum(registry.images.values())
    wanted = {d for digests in registry.quiet.values() for d in digests}
    deleted = {i.digest for r in real.results for i in r.deleted}
    if deleted != wanted or any(left[n] & registry.quiet[n] for n in names) or \
            len(custom_left) != 1 or real.failures:
        raise SystemExit(f"wrong prune: deleted {len(deleted)}, wanted {len(wanted)}, "
                         f"failures {real.failures[:3]}")
    if sum(len(v) for v in left.values()) != seeded - len(wanted):
        raise SystemExit("images left do not add up")

    print(f"\n{args.repos} cached repositories, {seeded} images (target {total}), "
          f"{len(wanted)} in quiet units to delete; unpulled days {DAYS}; one moto_server, "
          f"{args.latency_ms:g} ms a round trip")
    print(f"{'run':<10} {'seconds':>8} {'API calls':>10} {'logged':>7} {'minimum':>8} "
          f"{'ratio':>6}  by operation (ours/minimum)")
    for label, seconds, outcome, logged in (("dry run", dry_s, dry, dry_logged),
                                            ("prune", real_s, real, real_logged)):
        counts = outcome.plan.calls.counts
        least = minimum_calls(registry, deleting=not outcome.dry_run)
        ours, floor = sum(counts.values()), sum(least.values())
        detail = ", ".join(f"{op} {counts.get(op, 0)}/{n}" for op, n in least.items())
        print(f"{label:<10} {seconds:>8.2f} {ours:>10} {logged:>7} {floor:>8} "
              f"{ours / floor:>6.2f}  {detail}")
    print(f"deleted {len(deleted)} images ({sum(r.freed_bytes for r in real.results):,} bytes) "
          "exactly the quiet units; custom-apps untouched")
    return 0


if __name__ == "__main__":
    sys.exit(main())
