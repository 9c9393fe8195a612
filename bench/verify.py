"""Benchmark: ``ecr verify --warm`` against pulling images one by one with skopeo.

    venv/bin/python bench/verify.py [--images 30] [--base-mib 32] [--runtime-mib 16]
                                    [--app-kib 2048] [--concurrency 8]

Builds N images that share base layers (one OS layer in all, one of three runtime
layers in each third, one small app layer each; the default sizes are still smaller
than real images: debian ~29 MiB, python:3.12-slim ~45 MiB compressed), pushes them to a real
docker-registry upstream, and puts two *cold* pull-through caches (docker-registry
in proxy mode with htpasswd auth, like ECR) in front of it.  Then, side by side:

- ``python -m ecr verify --warm`` over all N images through cache A (one process,
  pooled connections, shared blobs fetched once, bounded concurrency);
- ``skopeo copy docker://cacheB/IMAGE dir:...`` for each image, one after another
  (what a person does by hand today).

Prints both times, the ratio, and bytes transferred against the unique bytes.
Target: at least 5x faster, and transferred == unique.  Needs docker-registry and
skopeo (apt-get install docker-registry skopeo); about 40 s and 700 MB of /tmp.

The speed-up grows with the bytes images share.  With tiny images (--base-mib 4
--runtime-mib 2 --app-kib 512) it is about 3x: then the cold cache's per-request
cost (docker-registry's proxy fetching each blob from upstream) dominates both sides;
``verify`` itself moves ~180 MiB/s from a registry on loopback.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ecr.cli.output import human_bytes as human  # noqa: E402
from tests.registry.oci_images import OCI_MANIFEST, Layout, push  # noqa: E402
from tests.registry.registries import start_registry  # noqa: E402

USER, PASSWORD = "bench", "bench-pw"
RUNTIMES = ("python", "node", "java")


def tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else "")
    if not path:
        sys.exit(f"{name} is not installed: apt-get install docker-registry skopeo")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=30)
    parser.add_argument("--base-mib", type=float, default=32.0, help="OS layer size")
    parser.add_argument("--runtime-mib", type=float, default=16.0, help="runtime layer size")
    parser.add_argument("--app-kib", type=float, default=2048.0, help="app layer size")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    registry_exe, skopeo = tool("docker-registry"), tool("skopeo")

    work = Path(tempfile.mkdtemp(prefix="bench-verify-"))
    registries = []
    try:
        upstream = start_registry(registry_exe, work / "upstream", "upstream")
        registries.append(upstream)
        layout = Layout(work / "layout")
        images = []
        expected: dict[str, int] = {}  # digest -> size of every config and layer
        started = time.monotonic()
        mib, kib = 1024 * 1024, 1024
        for i in range(args.images):
            runtime = RUNTIMES[i % len(RUNTIMES)]
            manifest = layout.image(
                ["os", f"runtime-{runtime}", f"app-{i}"],
                layer_size=[int(args.base_mib * mib), int(args.runtime_mib * mib),
                            int(args.app_kib * kib)],
            )
            data = json.loads(manifest.data)
            for blob in [data["config"], *data["layers"]]:
                expected[blob["digest"]] = blob["size"]
            tag = f"app{i}"
            layout.tag(tag, manifest, OCI_MANIFEST)
            name = f"bench/app-{i:02d}:1.0"
            push(layout, tag, f"{upstream.host}/docker-hub/{name}", skopeo=skopeo)
            images.append(f"docker.io/{name}")
        unique = sum(expected.values())
        print(f"built and pushed {len(images)} images in {time.monotonic() - started:.1f} s",
              file=sys.stderr)

        cache_a = start_registry(registry_exe, work / "cache-a", "cache-a",
                                 users={USER: PASSWORD}, remote_url=upstream.url)
        registries.append(cache_a)
        cache_b = start_registry(registry_exe, work / "cache-b", "cache-b",
                                 users={USER: PASSWORD}, remote_url=upstream.url)
        registries.append(cache_b)

        # 1. ecr verify --warm, one process
        env = dict(os.environ, REGISTRY_USERNAME=USER, REGISTRY_PASSWORD=PASSWORD,
                   PYTHONPATH=str(ROOT))
        env.pop("ECR_REGISTRY", None)
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "ecr", "verify", "--registry", cache_a.url, "--warm",
             "--concurrency", str(args.concurrency), "-o", "json", *images],
            env=env, capture_output=True, text=True, check=False,
        )
        verify_seconds = time.monotonic() - started
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
            return 1
        match = re.search(r"warm: (\d+) unique blobs.*\((\d+) bytes; unique (\d+) bytes\)",
                          done.stderr)
        assert match, done.stderr
        blobs, transferred, unique_blob_bytes = (int(g) for g in match.groups())

        # 2. skopeo copy, one image after another
        started = time.monotonic()
        skopeo_bytes = 0
        for i, image in enumerate(images):
            dest = work / "pulled" / str(i)
            cache_ref = image.replace("docker.io/", f"{cache_b.host}/docker-hub/")
            dest.mkdir(parents=True)
            pulled = subprocess.run(
                [skopeo, "copy", "--quiet", "--src-tls-verify=false",
                 "--src-creds", f"{USER}:{PASSWORD}", f"docker://{cache_ref}", f"dir:{dest}"],
                check=False, capture_output=True, text=True, timeout=300,
            )
            if pulled.returncode != 0:
                print(f"skopeo copy {cache_ref} failed: {pulled.stderr}", file=sys.stderr)
                return 1
            skopeo_bytes += sum(p.stat().st_size for p in dest.iterdir()
                                if p.name not in ("manifest.json", "version"))
            shutil.rmtree(dest)
        skopeo_seconds = time.monotonic() - started

        ratio = skopeo_seconds / verify_seconds
        print(f"images: {len(images)} sharing base layers; unique blobs: {blobs} "
              f"({human(unique_blob_bytes)}; built: {len(expected)} blobs, {human(unique)})")
        print(f"ecr verify --warm:        {verify_seconds:7.2f} s  transferred "
              f"{human(transferred)} ({transferred} bytes)")
        print(f"skopeo copy one by one:   {skopeo_seconds:7.2f} s  transferred "
              f"{human(skopeo_bytes)} ({skopeo_bytes} bytes)")
        print(f"speed-up: {ratio:.1f}x (target >= 5x)   "
              f"verify transferred == unique: {transferred == unique_blob_bytes} "
              f"({transferred} vs {unique_blob_bytes}); skopeo moved "
              f"{skopeo_bytes / unique_blob_bytes:.1f}x the unique bytes")
        return 0 if ratio >= 5 and transferred == unique_blob_bytes == unique else 1
    finally:
        for registry in registries:
            registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
