"""A real pull-through cache for the verify tests, started once per session.

    verify --registry http://<proxy>  ->  proxy (docker-registry, proxy mode, htpasswd auth,
                                           like ECR)  ->  upstream (docker-registry, open,
                                           like anonymous Docker Hub)

Images are built as OCI layouts by hand and pushed to the upstream with skopeo.
Distribution's proxy keeps the repository path (ECR strips the cache prefix), so
the upstream holds them under their *cache* paths, e.g. docker-hub/library/nginx.

Gates (tests/registry/gate.py) sit in front for faults, ECR's error bodies and
Bearer token auth.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ecr.cli import main
from tests.conftest import require_tool
from tests.registry.gate import Gate
from tests.registry.oci_images import OCI_INDEX, OCI_MANIFEST, Blob, Layout, push
from tests.registry.registries import Registry, start_registry

INSTALL_HINT = "apt-get install docker-registry skopeo (scripts/test.sh does this as root)"
USER, PASSWORD = "alice", "s3cret-pw"
BEARER_USER, BEARER_PASSWORD = "hub-user", "hub-token"


@dataclass
class World:
    upstream: Registry
    proxy: Registry
    gate: Gate  # faults in front of the proxy
    bearer: Gate  # Bearer token auth in front of the upstream
    layout: Layout
    manifests: dict[str, Blob]  # layout tag -> manifest/index blob as pushed

    @property
    def registry(self) -> str:
        return self.proxy.url

    def manifest_json(self, digest: str) -> dict[str, Any]:
        path = self.layout.root / "blobs" / "sha256" / digest.split(":", 1)[1]
        data: dict[str, Any] = json.loads(path.read_bytes())
        return data

    def blobs(self, tag: str) -> dict[str, int]:
        """digest -> size of the config and layers of a layout tag (amd64 for an index)."""
        data = self.manifest_json(self.manifests[tag].digest)
        if "manifests" in data:
            child = next(
                m for m in data["manifests"] if m["platform"]["architecture"] == "amd64"
            )
            data = self.manifest_json(child["digest"])
        out = {data["config"]["digest"]: data["config"]["size"]}
        out.update({layer["digest"]: layer["size"] for layer in data["layers"]})
        return out


def _build(layout_dir: Path, upstream: Registry, skopeo: str) -> tuple[Layout, dict[str, Blob]]:
    layout = Layout(layout_dir)
    manifests: dict[str, Blob] = {}
    nginx = layout.image(["base-os", "base-libc", "nginx-app"], layer_size=4096)
    redis_amd = layout.image(["base-os", "redis-amd64"], layer_size=4096)
    redis_arm = layout.image(["base-os-arm", "redis-arm64"], layer_size=4096, arch="arm64")
    redis = layout.index({"linux/amd64": redis_amd, "linux/arm64/v8": redis_arm})
    arm_only = layout.index({"linux/arm64": redis_arm})
    quay_app = layout.image(["base-os", "base-libc", "quay-app"], layer_size=4096)
    docker_app = layout.image(["base-os", "docker-fmt-app"], layer_size=4096)
    big = layout.image(["big-1", "big-2", "big-3"], layer_size=300_000)
    for tag, blob, media_type in (
        ("nginx", nginx, OCI_MANIFEST),
        ("redis", redis, OCI_INDEX),
        ("armonly", arm_only, OCI_INDEX),
        ("quay", quay_app, OCI_MANIFEST),
        ("dockerfmt", docker_app, OCI_MANIFEST),
        ("big", big, OCI_MANIFEST),
        ("armsingle", redis_arm, OCI_MANIFEST),
    ):
        layout.tag(tag, blob, media_type)
        manifests[tag] = blob
    pushes = [
        ("nginx", "docker-hub/library/nginx:1.27", None),
        ("nginx", "docker-hub/library/nginx:1.26", None),
        ("redis", "docker-hub/bitnami/redis:7.4", None),
        ("armonly", "docker-hub/library/armonly:1", None),
        ("quay", "quay/org/app:v1", None),
        ("dockerfmt", "github/org/tool:2", "v2s2"),
        ("redis", "k8s/pause:3.10", "v2s2"),  # a Docker manifest list
        ("big", "docker-hub/library/big:1", None),
        ("armsingle", "docker-hub/library/armsingle:1", None),
    ]
    for ref, destination, fmt in pushes:
        push(layout, ref, f"{upstream.host}/{destination}", skopeo=skopeo, fmt=fmt)
    return layout, manifests


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    registry_exe = require_tool("docker-registry", INSTALL_HINT)
    skopeo = require_tool("skopeo", INSTALL_HINT)
    root = tmp_path_factory.mktemp("verify-registries")
    upstream = start_registry(registry_exe, root / "upstream", "upstream")
    proxy = None
    try:
        layout, manifests = _build(root / "layout", upstream, skopeo)
        proxy = start_registry(
            registry_exe, root / "proxy", "proxy", users={USER: PASSWORD},
            remote_url=upstream.url,
        )
        with Gate(proxy.host) as gate, Gate(
            upstream.host, bearer_users={BEARER_USER: BEARER_PASSWORD}
        ) as bearer:
            yield World(upstream, proxy, gate, bearer, layout, manifests)
    finally:
        if proxy is not None:
            proxy.stop()
        upstream.stop()
        if os.environ.get("KEEP_REGISTRIES") != "1":
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", USER)
    monkeypatch.setenv("REGISTRY_PASSWORD", PASSWORD)
    monkeypatch.delenv("ECR_REGISTRY", raising=False)


@pytest.fixture
def gate(world: World) -> Iterator[Gate]:
    world.gate.reset()
    yield world.gate
    world.gate.reset()


@pytest.fixture
def bearer(world: World) -> Iterator[Gate]:
    world.bearer.reset()
    yield world.bearer
    world.bearer.reset()


@dataclass
class Result:
    code: int
    rows: list[dict[str, Any]]
    out: str
    err: str

    def by_image(self) -> dict[str, dict[str, Any]]:
        return {row["image"]: row for row in self.rows}

    def verdict(self, image: str) -> str:
        return str(self.by_image()[image]["verdict"])


@pytest.fixture
def run_verify(
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Result]:
    """Run ``python -m ecr verify ARGS`` in-process; JSON output is parsed."""

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main.main(["verify", *args])
        captured = capsys.readouterr()
        rows: list[dict[str, Any]] = []
        if "json" in args and captured.out.strip():
            rows = json.loads(captured.out)
        return Result(code, rows, captured.out, captured.err)

    return run


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts TCP connections and never answers (a hung registry)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield int(sock.getsockname()[1])
