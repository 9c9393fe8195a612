"""``verify --warm``: every blob once, streamed and verified, into the real proxy's storage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecr.registry.auth import Credentials
from ecr.registry.client import DigestMismatch, RegistryClient
from tests.registry.conftest import PASSWORD, USER, World
from tests.registry.gate import Gate

pytestmark = pytest.mark.registry


def _stored(world: World, digest: str) -> bool:
    """Is the blob in the proxy's own storage (i.e. the cache holds it)?"""
    hexa = digest.split(":", 1)[1]
    path = Path(world.proxy.root, "data", "docker", "registry", "v2", "blobs", "sha256",
                hexa[:2], hexa, "data")
    return path.exists()


def _summary(text: str) -> tuple[int, int, int]:
    match = re.search(r"warm: (\d+) unique blobs.*\((\d+) bytes; unique (\d+) bytes\)", text)
    assert match, text
    return int(match.group(1)), int(match.group(2)), int(match.group(3))


def test_warm_fetches_each_shared_blob_once(world: World, gate, creds: None, run_verify) -> None:
    images = ["quay.io/org/app:v1", "nginx:1.26", "bitnami/redis:7.4"]
    expected: dict[str, int] = {}
    for tag in ("quay", "nginx", "redis"):  # base-os is in all three, base-libc in two
        expected.update(world.blobs(tag))
    assert sum(len(world.blobs(t)) for t in ("quay", "nginx", "redis")) > len(expected)

    result = run_verify("--registry", gate.url, "-o", "json", "--warm", *images)
    assert result.code == 0, result.rows
    blobs, transferred, unique = _summary(result.err)
    assert blobs == len(expected)
    assert transferred == unique == sum(expected.values())
    blob_hits = {p: n for p, n in gate.state.ok.items() if "/blobs/" in p}
    assert sorted(p.rsplit("/", 1)[1] for p in blob_hits) == sorted(expected)
    assert set(blob_hits.values()) == {1}, blob_hits  # each blob downloaded exactly once
    assert all(_stored(world, digest) for digest in expected)


def test_warm_table_reports_bytes_and_time(world: World, creds: None, run_verify) -> None:
    result = run_verify("--registry", world.registry, "--warm", "big:1")
    assert result.code == 0
    blobs, transferred, unique = _summary(result.out)
    assert blobs == 4 and transferred == unique > 900_000  # three 300 kB layers + config
    assert re.search(r"in \d+\.\d\d s", result.out)


def test_warm_retries_a_blob_dropped_mid_stream(world: World, gate, creds: None,
                                                run_verify) -> None:
    layer = next(d for d, size in world.blobs("big").items() if size > 100_000)
    gate.inject(re.escape(layer), "truncate", times=1)
    result = run_verify("--registry", gate.url, "-o", "json", "--warm", "big:1")
    assert result.code == 0, result.rows
    _, transferred, unique = _summary(result.err)
    assert transferred > unique  # half a layer was read, thrown away, and read again
    assert gate.state.hits[f"/v2/docker-hub/library/big/blobs/{layer}"] == 2


def test_warm_corrupt_blob_fails_the_image(world: World, gate, creds: None, run_verify) -> None:
    digests = world.blobs("nginx")
    layer = list(digests)[1]
    gate.inject(re.escape(layer), "corrupt", times=10)
    result = run_verify("--registry", gate.url, "-o", "json", "--warm", "nginx:1.27",
                        "quay.io/org/app:v1")
    rows = result.by_image()
    assert result.code == 1
    # both images have base-os (layer 1); the one it was fetched through must fail...
    failing = [r for r in result.rows if r["verdict"] != "ok"]
    assert failing and all("broken content" in r["reason"] for r in failing)
    # ...and so does every image that contains the blob, not only the one it came from
    quay_has_it = layer in world.blobs("quay")
    assert (rows["quay.io/org/app:v1"]["verdict"] == "error") == quay_has_it


def test_fetch_blob_streams_and_checks_the_digest(world: World, gate) -> None:
    digest = next(iter(world.blobs("nginx")))
    seen: list[int] = []
    with RegistryClient(gate.url, Credentials(USER, PASSWORD)) as client:
        result = client.fetch_blob("docker-hub/library/nginx", digest, on_bytes=seen.append)
        assert result.size == sum(seen) == world.blobs("nginx")[digest]
        gate.inject(re.escape(digest), "corrupt", times=1)
        with pytest.raises(DigestMismatch):
            client.fetch_blob("docker-hub/library/nginx", digest)


def test_blob_redirect_to_object_storage_drops_credentials(
    world: World, gate, creds: None, run_verify
) -> None:
    # ECR answers blob GETs with a 307 to a presigned S3 URL; our token must not go there
    with Gate(world.upstream.host) as storage:
        gate.inject(r"/blobs/", "redirect", times=100, target=storage.host)
        result = run_verify("--registry", gate.url, "-o", "json", "--warm", "quay.io/org/app:v1")
        assert result.code == 0, result.rows
        served = {p.rsplit("/", 1)[1] for p in storage.state.ok if "/blobs/" in p}
        assert served == set(world.blobs("quay"))
        assert storage.state.authorization and not any(storage.state.authorization)
    assert any(gate.state.authorization)  # the registry itself did get credentials
