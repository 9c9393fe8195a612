"""Benchmark: the quick-start's storage loop against ``python -m ecr status``.

    venv/bin/python bench/status.py [--repos 200] [--images 3] [--runs 3] [--load]

Starts one moto_server on a free 127.0.0.1 port, fills it with N cached
repositories of M images each (default 200 x 3), then runs, side by side:

* the quick-start's own "Check storage size" loop (as the team's quick-start guide
  gives it: ``aws ecr describe-repositories``, then one ``aws ecr describe-images``
  process per repository, its sizes summed with awk), and
* ``python -m ecr status --output json`` with the keys, region and endpoint in the
  environment (a static environment: ``ecr.aws.ecr_json`` makes the calls, botocore's
  session machinery is never imported) - the figure the target is for;
* the same ``status`` with ``--profile`` (a profile in an AWS config file: botocore's
  credential chain and client make the calls), and
* a bare botocore client and 8 threads making the same calls, nothing else,

each the median of ``--runs``, interleaved (the project's modules compiled to bytecode
first, as any first run leaves them where ``PYTHONDONTWRITEBYTECODE`` is not set, and as
pip left the aws CLI's), and prints the wall time of each, the
ratios (the static one next to its target, >= 100x), the AWS API calls each made
(counted from moto_server's request log) and the CPU seconds each side and
moto_server spent.  With ``--load`` it measures again with a CPU hog (``python -c
'while True: pass'``, started and stopped here) busy on one of the cores, and prints
the idle and the loaded ratio.

Where the time goes: ``status`` cannot do fewer than one DescribeImages per
repository.  moto_server answers each on a new connection and thread: werkzeug 3
sends ``Connection: close`` on every response (its serving.py: keep-alive is "not
handled well" by http.server), so no client can reuse a connection here, unlike
against ECR.  Its ~2.7 ms of CPU per request, behind one GIL, is a fixed part of every
side; what a client adds is its start-up and its CPU per call, which competes with
moto_server for the cores (the more so under load).  botocore costs ~0.15 s of
imports and ~1 ms of CPU a call; the static path ~0.05 s and ~0.4 ms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.netutil import free_port, moto_server_process  # noqa: E402

VENV_BIN = Path(sys.executable).parent
REGION = "af-south-1"

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


# The floor: the same calls from a bare botocore client and thread pool, nothing else
# (no settings, no summaries), as its own process like the other two.
BARE_POOL = """
import sys
from concurrent.futures import ThreadPoolExecutor
import botocore.session
ecr = botocore.session.Session().create_client("ecr")
names = [r["repositoryName"] for page in ecr.get_paginator("describe_repositories").paginate()
         for r in page["repositories"]]
def size(name):
    return sum(i.get("imageSizeInBytes", 0)
               for i in ecr.describe_images(repositoryName=name)["imageDetails"])
with ThreadPoolExecutor(8) as pool:
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


def seed(repos: int, images: int) -> int:
    """Cached repositories spread over the default prefixes; returns the bytes stored."""
    ecr = boto3.client("ecr", region_name=REGION)
    prefixes = ["docker-hub", "quay", "github", "k8s", "ecr-public"]
    total = 0
    for i in range(repos):
        name = f"{prefixes[i % len(prefixes)]}/team{i % 7}/app-{i:03d}"
        ecr.create_repository(repositoryName=name)
        for j in range(images):
            size = 1_000_000 * (1 + (i + j) % 50)
            total += size
            ecr.put_image(repositoryName=name, imageManifest=manifest(f"{name}:{j}", size),
                          imageTag=f"v{j}")
    return total


def requests_in(log: Path) -> int:
    """AWS API requests moto_server logged so far (its own /moto-api calls excluded)."""
    text = log.read_text(encoding="utf-8", errors="replace")
    lines = text.splitlines()
    return sum(1 for line in lines if ' HTTP/1.1" ' in line and "/moto-api" not in line)


@dataclass(frozen=True)
class Run:
    seconds: float
    calls: int
    cpu: float  # user + sys of the command and its children
    server_cpu: float  # moto_server's
    stdout: str


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float:
    """User + system seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(cmd: list[str], env: dict[str, str], log: Path, server: int) -> Run:
    before, cpu, server_cpu = requests_in(log), children_cpu(), process_cpu(server)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    cpu, server_cpu = children_cpu() - cpu, process_cpu(server) - server_cpu
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({done.returncode}): {done.stderr[-2000:]}")
    time.sleep(0.5)  # let moto flush its request log
    return Run(elapsed, requests_in(log) - before, cpu, server_cpu, done.stdout)


@contextmanager
def cpu_hog(on: bool) -> Iterator[None]:
    """One process spinning on a core for the duration (nothing when ``on`` is false)."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        yield
    finally:
        hog.kill()
        hog.wait()


@dataclass(frozen=True)
class Pair:
    label: str
    loop: Run
    status: Run  # the median run by wall time, static environment
    profile: Run  # status with --profile: botocore
    floor: Run  # the bare pool's median run
    repos_seen: int


STATUS = [sys.executable, "-m", "ecr", "status", "--output", "json"]


def compare(label: str, runs: int, load: bool, env: dict[str, str], log: Path,
            server: int) -> Pair:
    with cpu_hog(load):
        print(f"[{label}] the quick-start loop (one aws process per repository) ...",
              file=sys.stderr)
        loop = measure(["bash", "-c", QUICKSTART_LOOP], env, log, server)
        print(f"[{label}] python -m ecr status (static, --profile) and the bare pool, "
              f"x{runs} each ...", file=sys.stderr)
        ours, profile, bare = [], [], []
        for _ in range(runs):  # interleaved, so all see the same machine
            ours.append(measure(STATUS, env, log, server))
            profile.append(measure([*STATUS, "--profile", "bench"], env, log, server))
            bare.append(measure([sys.executable, "-c", BARE_POOL], env, log, server))
    return Pair(label, loop, median(ours), median(profile), median(bare),
                loop.stdout.count("Repository: "))


def median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.seconds)[len(runs) // 2]


def check_totals(pair: Pair, repos: int, images: int, stored: int) -> None:
    if pair.repos_seen != repos:
        raise SystemExit(f"mismatch: the loop saw {pair.repos_seen} of {repos} repositories")
    static, profile = json.loads(pair.status.stdout), json.loads(pair.profile.stdout)
    totals = static["totals"]
    if totals["repositories"] != repos:
        raise SystemExit(f"mismatch: status saw {totals['repositories']} of {repos}")
    if totals["size_bytes"] != stored or totals["images"] != repos * images:
        raise SystemExit(f"status totals wrong: {totals} (stored {stored} bytes)")
    if static != profile:
        raise SystemExit("status reported differently with --profile (botocore)")
    if pair.floor.stdout.split() != [str(repos), str(stored)]:
        raise SystemExit(f"bare pool saw {pair.floor.stdout!r}")


TARGET = 100


def report(pairs: list[Pair], repos: int, images: int) -> None:
    print(f"\n{repos} cached repositories x {images} images, one moto_server, "
          f"{os.cpu_count()} CPUs")
    print(f"{'machine':<8} {'tool':<28} {'seconds':>8} {'API calls':>10} {'processes':>10} "
          f"{'CPU s':>6} {'moto CPU s':>11}")
    for pair in pairs:
        for name, run, processes in (("quick-start loop (aws CLI)", pair.loop,
                                      pair.repos_seen + 1),
                                     ("ecr status (static env)", pair.status, 1),
                                     ("ecr status --profile", pair.profile, 1),
                                     ("bare botocore pool", pair.floor, 1)):
            print(f"{pair.label:<8} {name:<28} {run.seconds:>8.2f} {run.calls:>10} "
                  f"{processes:>10} {run.cpu:>6.2f} {run.server_cpu:>11.2f}")
    for pair in pairs:
        ratio = pair.loop.seconds / pair.status.seconds
        verdict = "met" if ratio >= TARGET else "NOT met"
        floor = pair.loop.seconds / pair.floor.seconds
        profile = pair.loop.seconds / pair.profile.seconds
        print(f"speed-up {pair.label}: {ratio:.0f}x (target >= {TARGET}x: {verdict}); "
              f"with --profile (botocore): {profile:.0f}x; the bare botocore pool's: "
              f"{floor:.0f}x")
    last = pairs[-1].status
    print(f"status made {last.calls - repos} listing call(s) + {repos} DescribeImages")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3,
                        help="status runs per machine state; the median is reported")
    parser.add_argument("--load", action="store_true",
                        help="also measure with a CPU hog busy on one core")
    args = parser.parse_args()
    if not (VENV_BIN / "aws").exists():
        raise SystemExit(f"the aws CLI is missing from {VENV_BIN}: pip install awscli")

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": url,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("AWS_PROFILE", None)
    os.environ.update({k: env[k] for k in env if k.startswith("AWS_")})
    with tempfile.TemporaryDirectory() as tmp:
        # --profile bench: the same keys and region, from a config file (botocore's chain)
        config = Path(tmp) / "config"
        config.write_text(f"[profile bench]\nregion = {REGION}\n"
                          "aws_access_key_id = bench\naws_secret_access_key = bench\n")
        env["AWS_CONFIG_FILE"] = str(config)
        log = Path(tmp) / "moto.log"
        with moto_server_process(VENV_BIN / "moto_server", port, log) as server:
            print(f"seeding {args.repos} repositories x {args.images} images on {url} ...",
                  file=sys.stderr)
            stored = seed(args.repos, args.images)
            subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "ecr")],
                           check=True, stdout=subprocess.DEVNULL)
            states = [("idle", False)] + ([("loaded", True)] if args.load else [])
            pairs = [compare(label, args.runs, load, env, log, server.pid)
                     for label, load in states]

    for pair in pairs:
        check_totals(pair, args.repos, args.images, stored)
    report(pairs, args.repos, args.images)
    return 0


if __name__ == "__main__":
    sys.exit(main())
