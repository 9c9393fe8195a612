"""Small OCI images written by hand as OCI layouts on disk, then pushed with skopeo.

Used by the verify tests and by ``bench/verify.py``: no Docker engine is needed.
Layers are gzip'd tars built deterministically (mtime 0), so the same seed gives
the same digest and images can share base layers on purpose.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import json
import random
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


@dataclass(frozen=True)
class Blob:
    digest: str
    size: int
    data: bytes


def _blob(data: bytes) -> Blob:
    return Blob("sha256:" + hashlib.sha256(data).hexdigest(), len(data), data)


@functools.lru_cache(maxsize=64)
def layer(seed: str, size: int = 1024) -> tuple[Blob, str]:
    """A gzip'd tar holding one file of ``size`` pseudo-random bytes: (blob, diff_id)."""
    content = random.Random(seed).randbytes(size)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(f"data/{hashlib.sha256(seed.encode()).hexdigest()[:16]}")
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    tar_bytes = raw.getvalue()
    diff_id = "sha256:" + hashlib.sha256(tar_bytes).hexdigest()
    return _blob(gzip.compress(tar_bytes, compresslevel=1, mtime=0)), diff_id


@dataclass
class Layout:
    """An OCI layout directory being filled: blobs plus tagged entries in index.json."""

    root: Path
    refs: dict[str, dict[str, object]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        (self.root / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
        (self.root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')

    def put(self, blob: Blob) -> Blob:
        path = self.root / "blobs" / "sha256" / blob.digest.split(":", 1)[1]
        if not path.exists():
            path.write_bytes(blob.data)
        return blob

    def image(
        self, layer_seeds: list[str], layer_size: int | list[int] = 1024, arch: str = "amd64"
    ) -> Blob:
        """Write an image manifest (config + layers); return the manifest blob.

        ``layer_size`` is one size for every layer, or a size per seed.
        """
        sizes = layer_size if isinstance(layer_size, list) else [layer_size] * len(layer_seeds)
        layers = [layer(seed, size) for seed, size in zip(layer_seeds, sizes, strict=True)]
        for blob, _ in layers:
            self.put(blob)
        config = self.put(
            _blob(
                json.dumps(
                    {
                        "architecture": arch,
                        "os": "linux",
                        "config": {"Labels": {"seeds": ",".join(layer_seeds)}},
                        "rootfs": {"type": "layers", "diff_ids": [d for _, d in layers]},
                    },
                    sort_keys=True,
                ).encode()
            )
        )
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": config.digest, "size": config.size},
            "layers": [
                {"mediaType": OCI_LAYER, "digest": b.digest, "size": b.size} for b, _ in layers
            ],
        }
        return self.put(_blob(json.dumps(manifest, sort_keys=True).encode()))

    def index(self, platforms: dict[str, Blob]) -> Blob:
        """An image index over per-platform manifests; keys like ``linux/arm64``."""
        entries = []
        for platform, manifest in platforms.items():
            os_name, arch, *variant = platform.split("/")
            plat: dict[str, str] = {"os": os_name, "architecture": arch}
            if variant:
                plat["variant"] = variant[0]
            entries.append(
                {
                    "mediaType": OCI_MANIFEST,
                    "digest": manifest.digest,
                    "size": manifest.size,
                    "platform": plat,
                }
            )
        body = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        return self.put(_blob(json.dumps(body, sort_keys=True).encode()))

    def tag(self, ref: str, top: Blob, media_type: str) -> None:
        self.refs[ref] = {
            "mediaType": media_type,
            "digest": top.digest,
            "size": top.size,
            "annotations": {"org.opencontainers.image.ref.name": ref},
        }
        index = {"schemaVersion": 2, "manifests": list(self.refs.values())}
        (self.root / "index.json").write_text(json.dumps(index))


def push(
    layout: Layout, ref: str, destination: str, skopeo: str = "skopeo", fmt: str | None = None
) -> None:
    """``skopeo copy --all oci:DIR:REF docker://DEST`` to a plain-HTTP registry.

    ``fmt="v2s2"`` converts to Docker's formats (manifest v2 / manifest list).
    """
    command = [skopeo, "copy", "--all", "--quiet", "--dest-tls-verify=false"]
    if fmt:
        command += ["--format", fmt]
    command += [f"oci:{layout.root}:{ref}", f"docker://{destination}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
