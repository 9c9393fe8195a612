"""Benchmark: the quick-start's storage loop against ``python -m ecr status``.

Starts one moto_server on a free 127.0.0.1 port, fills it with N cached
repositories of M images each (default 200 x 3), then runs, side by side:

* the quick-start's own "Check storage size" loop (as the team's quick-start guide
  gives it: ``aws ecr describe-repositories``, then one ``aws ecr describe-images``
  process per repository, its sizes summed with awk), and
* ``python -m ecr status --output json`` (one process, paginated listing, bounded
  concurrent DescribeImages with adaptive retries),

and prints the wall time of each, the ratio, and the AWS API calls each made
(counted from moto_server's request log).  Run: ``venv/bin/python bench/status.py``.
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
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.netutil import free_port, wait_for_http  # noqa: E402

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


def measure(cmd: list[str], env: dict[str, str], log: Path) -> tuple[float, int, str]:
    before = requests_in(log)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed ({done.returncode}): {done.stderr[-2000:]}")
    time.sleep(0.5)  # let moto flush its request log
    return elapsed, requests_in(log) - before, done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--images", type=int, default=3)
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
        log = Path(tmp) / "moto.log"
        with log.open("w") as sink:
            server = subprocess.Popen(
                [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                stdout=sink, stderr=subprocess.STDOUT,
            )
        try:
            wait_for_http(f"{url}/moto-api/")
            print(f"seeding {args.repos} repositories x {args.images} images on {url} ...",
                  file=sys.stderr)
            stored = seed(args.repos, args.images)

            print("running the quick-start loop (one aws process per repository) ...",
                  file=sys.stderr)
            base_s, base_calls, base_out = measure(["bash", "-c", QUICKSTART_LOOP], env, log)
            listed = base_out.count("Repository: ")

            print("running python -m ecr status ...", file=sys.stderr)
            ours_s, ours_calls, ours_out = measure(
                [sys.executable, "-m", "ecr", "status", "--output", "json"], env, log
            )
            totals = json.loads(ours_out)["totals"]
        finally:
            server.terminate()
            server.wait(timeout=10)

    if listed != args.repos or totals["repositories"] != args.repos:
        raise SystemExit(f"mismatch: loop saw {listed}, status saw {totals['repositories']}")
    if totals["size_bytes"] != stored or totals["images"] != args.repos * args.images:
        raise SystemExit(f"status totals wrong: {totals} (stored {stored} bytes)")

    print(f"\n{args.repos} cached repositories x {args.images} images, one moto_server")
    print(f"{'tool':<34} {'seconds':>8} {'API calls':>10} {'processes':>10}")
    print(f"{'quick-start loop (aws CLI)':<34} {base_s:>8.2f} {base_calls:>10} {listed + 1:>10}")
    print(f"{'python -m ecr status':<34} {ours_s:>8.2f} {ours_calls:>10} {1:>10}")
    print(f"speed-up: {base_s / ours_s:.0f}x (target >= 100x); status made "
          f"{ours_calls - args.repos} listing call(s) + {args.repos} DescribeImages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
