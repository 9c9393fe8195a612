"""Benchmark: ``python -m ecr status`` against the SDK floor, where users are: across a network.

    venv/bin/python bench/status.py [--repos 200 2000] [--latency-ms 0 30 100]
                                    [--concurrency 8 16 32] [--runs 3] [--quick]
                                    [--server static|moto] [--loop]

For each ``--repos`` count, an ECR endpoint on a free 127.0.0.1 port holds N cached
repositories of ``--images`` images each: by default (``--server static``) a scripted
ECR JSON endpoint (tests/aws/scripted_ecr.py) answering DescribeRepositories (1,000 a
page) and DescribeImages from answers made up front, a fraction of a millisecond each,
so what is measured is the clients and the network; with ``--server moto`` one
moto_server, filled through its API, whose ~5-10 ms of CPU per request behind one GIL
then bounds every side alike (2,000 calls: 10-20 s whatever the latency, on 2 cores).
Then, for each ``--latency-ms``, a
loopback latency proxy (bench/latency_proxy.py: one round trip per new connection and
one per request, connections kept alive as ECR keeps them) is put in front of it, and,
interleaved, ``--runs`` times each:

* ``python -m ecr status --output json --concurrency C`` for each ``--concurrency`` C
  (default: only status's default), and
* the SDK floor: a bare boto3 client and a pool of ``FLOOR_THREADS`` threads (its
  connection pool as large) making the same calls (DescribeRepositories 1,000 a page,
  one DescribeImages per repository) and nothing else, as its own process like status.

Each figure is the median wall time, start-up included; the table gives the API calls and
connections the proxy saw, and each status run's ratio to the floor of the same latency
(the target: within 1.3x at 30 and 100 ms).  ``--quick``: 200 repositories, 0 and 30 ms,
one run.  ``--loop`` adds the quick-start guide's storage loop (one ``aws`` process per
repository) at 0 ms, for the speed-up figure.  Ratios are printed, never asserted: a
benchmark is no test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.latency_proxy import LatencyProxy  # noqa: E402
from ecr import aws  # noqa: E402
from tests.aws.scripted_ecr import ScriptedEcr, ok  # noqa: E402
from tests.netutil import free_port, moto_server_process  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REGION = "af-south-1"
FLOOR_THREADS = 32
TARGET = 1.3

# The quick-start guide's "Monitoring & Cost" > "Check storage size" loop, unchanged.
QUICKSTART_LOOP = r"""
aws ecr describe-repositories --region af-south-1 \
  --query 'repositories[*].[repositoryName]' --output text | \
  while read repo; do
    echo "Repository: $repo"
    aws ecr describe-images --repository-name "$repo" --region af-south-1 \
      --query 'imageDetails[*].[imageSizeInBytes]' --output text | \
      awk '{sum+=$1} END {print "  Size: " sum/1024/1024 " MB"}'
  done
"""

# The floor: the same calls from a bare boto3 client and thread pool, nothing else (no
# settings but a pool as large as the threads, no summaries), as its own process.
BARE_POOL = f"""
from concurrent.futures import ThreadPoolExecutor
import boto3
from botocore.config import Config
ecr = boto3.client("ecr", config=Config(max_pool_connections={FLOOR_THREADS}))
names = [r["repositoryName"] for page in ecr.get_paginator("describe_repositories").paginate(
         PaginationConfig={{"PageSize": 1000}}) for r in page["repositories"]]
def size(name):
    return sum(i.get("imageSizeInBytes", 0)
               for i in ecr.describe_images(repositoryName=name, maxResults=1000)["imageDetails"])
with ThreadPoolExecutor({FLOOR_THREADS}) as pool:
    print(len(names), sum(pool.map(size, names)))
"""


def manifest(seed: str, size: int) -> str:
    digest = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "size": size, "digest": digest},
        "layers": [{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": size, "digest": digest}],
    })


PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]
ACCOUNT = "123456789012"


def repo_name(i: int) -> str:
    return f"{PREFIXES[i % len(PREFIXES)]}/team{i % 7}/app-{i:04d}"


def image_size(i: int, j: int) -> int:
    return 1_000_000 * (1 + (i + j) % 50)


def static_ecr(repos: int, images: int) -> tuple[ScriptedEcr, int]:
    """A scripted ECR endpoint holding the same repositories and images as :func:`seed`
    would put in moto, its answers made up front; and the bytes stored."""
    pushed = time.time() - 86400  # yesterday: nothing is quiet, no index is read
    listing = [{"repositoryName": repo_name(i), "registryId": ACCOUNT,
                "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repo_name(i)}"}
               for i in range(repos)]
    details = {repo_name(i): json.dumps({"imageDetails": [
        {"registryId": ACCOUNT, "repositoryName": repo_name(i), "imageTags": [f"v{j}"],
         "imageDigest": "sha256:" + hashlib.sha256(f"{i}:{j}".encode()).hexdigest(),
         "imageSizeInBytes": image_size(i, j), "imagePushedAt": pushed,
         "imageManifestMediaType": "application/vnd.docker.distribution.manifest.v2+json"}
        for j in range(images)]}).encode() for i in range(repos)}

    def describe_repositories(body: dict[str, object]) -> tuple[int, bytes]:
        start = int(str(body.get("nextToken") or 0))
        size = int(str(body.get("maxResults") or 100))
        page: dict[str, object] = {"repositories": listing[start:start + size]}
        if start + size < len(listing):
            page["nextToken"] = str(start + size)
        return ok(page)

    server = ScriptedEcr({
        "DescribeRepositories": describe_repositories,
        "DescribeImages": lambda body: (200, details[str(body["repositoryName"])]),
    })
    stored = sum(image_size(i, j) for i in range(repos) for j in range(images))
    return server, stored


def seed(url: str, repos: int, images: int) -> int:
    """Cached repositories spread over the default prefixes; returns the bytes stored."""
    ecr = boto3.client("ecr", region_name=REGION, endpoint_url=url,
                       config=Config(max_pool_connections=8))

    def one(i: int) -> int:
        name = repo_name(i)
        ecr.create_repository(repositoryName=name)
        stored = 0
        for j in range(images):
            size = image_size(i, j)
            stored += size
            ecr.put_image(repositoryName=name, imageManifest=manifest(f"{name}:{j}", size),
                          imageTag=f"v{j}")
        return stored

    with ThreadPoolExecutor(8) as pool:
        return sum(pool.map(one, range(repos)))


@dataclass(frozen=True)
class Run:
    seconds: float
    calls: int
    connections: int
    stdout: str


def measure(cmd: list[str], env: dict[str, str], proxy: LatencyProxy) -> Run:
    calls, connections = proxy.requests, proxy.connections
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:4]} failed ({done.returncode}): {done.stderr[-2000:]}")
    return Run(elapsed, proxy.requests - calls, proxy.connections - connections, done.stdout)


def median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


@dataclass(frozen=True)
class Row:
    repos: int
    rtt_ms: float
    tool: str
    run: Run
    floor: Run | None  # the floor at the same latency; None for the floor itself

    @property
    def ratio(self) -> float | None:
        return self.run.seconds / self.floor.seconds if self.floor else None


def status_cmd(concurrency: int) -> list[str]:
    return [sys.executable, "-m", "ecr", "status", "--output", "json",
            "--concurrency", str(concurrency)]


def check(run: Run, repos: int, images: int, stored: int, tool: str) -> None:
    if tool.startswith("status"):
        totals = json.loads(run.stdout)["totals"]
        if (totals["repositories"], totals["images"], totals["size_bytes"]) != (
                repos, repos * images, stored):
            raise SystemExit(f"{tool} totals wrong: {totals} (stored {stored} bytes)")
    elif run.stdout.split() != [str(repos), str(stored)]:
        raise SystemExit(f"the floor saw {run.stdout!r}")


def at_latency(repos: int, images: int, stored: int, rtt_ms: float, concurrencies: list[int],
               runs: int, env: dict[str, str], moto_port: int) -> list[Row]:
    tools = [(f"status -c {c}", status_cmd(c)) for c in concurrencies]
    tools.append((f"boto3 floor ({FLOOR_THREADS} threads)", [sys.executable, "-c", BARE_POOL]))
    found: dict[str, list[Run]] = {name: [] for name, _ in tools}
    with LatencyProxy("127.0.0.1", moto_port, rtt_ms / 1000) as proxy:
        proxied = {**env, "AWS_ENDPOINT_URL": proxy.url}
        print(f"[{repos} repos, {rtt_ms:g} ms] {', '.join(found)} x{runs} ...", file=sys.stderr)
        for _ in range(runs):  # interleaved, so all see the same machine
            for name, cmd in tools:
                run = measure(cmd, proxied, proxy)
                check(run, repos, images, stored, name)
                found[name].append(run)
    floor_name = tools[-1][0]
    floor = median(found[floor_name])
    rows = [Row(repos, rtt_ms, name, median(found[name]), floor) for name, _ in tools[:-1]]
    return [*rows, Row(repos, rtt_ms, floor_name, floor, None)]


def quickstart_loop(repos: int, env: dict[str, str], moto_port: int) -> float:
    with LatencyProxy("127.0.0.1", moto_port, 0) as proxy:
        run = measure(["bash", "-c", QUICKSTART_LOOP], {**env, "AWS_ENDPOINT_URL": proxy.url},
                      proxy)
    if run.stdout.count("Repository: ") != repos:
        raise SystemExit("the quick-start loop did not see every repository")
    return run.seconds


@contextmanager
def endpoint(server: str, repos: int, images: int, tmp: Path,
             env: dict[str, str]) -> Iterator[tuple[int, int]]:
    """(port, bytes stored) of an ECR endpoint holding ``repos`` x ``images``."""
    print(f"{server}: {repos} repositories x {images} images ...", file=sys.stderr)
    if server == "static":
        scripted, stored = static_ecr(repos, images)
        with scripted:
            yield scripted.server.server_address[1], stored
        return
    port = free_port()
    with moto_server_process(VENV_BIN / "moto_server", port, tmp / f"moto-{repos}.log",
                             env=env):
        yield port, seed(f"http://127.0.0.1:{port}", repos, images)


def report(rows: list[Row], images: int, loops: dict[int, float], server: str) -> None:
    print(f"\nstatus against the SDK floor behind a latency proxy ({images} images a "
          f"repository, {server} endpoint, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f}, medians, start-up included)")
    print(f"{'repos':>6} {'RTT ms':>6}  {'tool':<26} {'seconds':>8} {'calls':>6} "
          f"{'conns':>6} {'x floor':>8}")
    for row in rows:
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "1.00"
        print(f"{row.repos:>6} {row.rtt_ms:>6g}  {row.tool:<26} {row.run.seconds:>8.2f} "
              f"{row.run.calls:>6} {row.run.connections:>6} {ratio:>8}")
    default = f"status -c {aws.DEFAULT_CONCURRENCY}"
    for row in rows:
        if row.tool == default and row.rtt_ms > 0 and row.ratio is not None:
            verdict = "met" if row.ratio <= TARGET else "NOT met"
            print(f"{row.repos} repos at {row.rtt_ms:g} ms: status {row.ratio:.2f}x the floor "
                  f"(target <= {TARGET}x: {verdict})")
    for repos, seconds in loops.items():
        status = next(r for r in rows if r.repos == repos and r.rtt_ms == 0
                      and r.tool.startswith("status"))
        print(f"{repos} repos at 0 ms: the quick-start loop {seconds:.1f} s, "
              f"{seconds / status.run.seconds:.0f}x status")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, nargs="+", default=[200, 2000])
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0, 30, 100])
    parser.add_argument("--concurrency", type=int, nargs="+",
                        default=[aws.DEFAULT_CONCURRENCY],
                        help="status --concurrency values to measure (e.g. 8 16 32)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument("--quick", action="store_true",
                        help="200 repositories, 0 and 30 ms, one run")
    parser.add_argument("--server", choices=["static", "moto"], default="static",
                        help="the ECR endpoint: scripted answers (default) or moto_server")
    parser.add_argument("--loop", action="store_true",
                        help="also time the quick-start loop (aws CLI) at 0 ms")
    args = parser.parse_args()
    if args.quick:
        args.repos, args.latency_ms, args.runs = [200], [0, 30], 1
    if args.loop and not (VENV_BIN / "aws").exists():
        raise SystemExit(f"the aws CLI is missing from {VENV_BIN}: pip install awscli")

    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})  # the seeding
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "ecr")],
                   check=True, stdout=subprocess.DEVNULL)
    rows: list[Row] = []
    loops: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for repos in args.repos:
            with endpoint(args.server, repos, args.images, Path(tmp), env) as (port, stored):
                if args.loop:
                    loops[repos] = quickstart_loop(repos, env, port)
                for rtt in args.latency_ms:
                    rows += at_latency(repos, args.images, stored, rtt, args.concurrency,
                                       args.runs, env, port)
    report(rows, args.images, loops, args.server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
