"""Pure parts: manifests, platforms, challenges, backoff, verdict classification."""

from __future__ import annotations

import datetime
import email.utils
import json

import pytest

from ecr.images.reference import Reference
from ecr.registry.auth import parse_challenge
from ecr.registry.check import CacheTarget, classify
from ecr.registry.client import RegistryError, RegistryUnreachable, RetryPolicy
from ecr.registry.manifest import (
    DOCKER_LIST,
    DOCKER_V2,
    OCI_INDEX,
    OCI_MANIFEST,
    ManifestError,
    Platform,
    UnsupportedManifest,
    parse_manifest,
    sha256_digest,
)

LAYER = {"mediaType": "x", "digest": "sha256:" + "a" * 64, "size": 3}


def test_platform_parse_and_match() -> None:
    assert str(Platform.parse("linux/arm64/v8")) == "linux/arm64/v8"
    assert Platform.parse("linux/arm64").matches(Platform("linux", "arm64", "v8"))
    assert Platform.parse("linux/arm64/v8").matches(Platform("linux", "arm64"))
    assert not Platform.parse("linux/arm/v6").matches(Platform("linux", "arm", "v7"))
    assert not Platform.parse("linux/amd64").matches(Platform("windows", "amd64"))
    for bad in ("amd64", "linux/", "a/b/c/d"):
        with pytest.raises(ValueError, match="OS/ARCH"):
            Platform.parse(bad)


def test_parse_index_and_select() -> None:
    body = json.dumps({
        "schemaVersion": 2,
        "mediaType": DOCKER_LIST,
        "manifests": [
            {"mediaType": DOCKER_V2, "digest": "sha256:" + "1" * 64, "size": 10,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"mediaType": DOCKER_V2, "digest": "sha256:" + "2" * 64, "size": 10,
             "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": "application/vnd.in-toto+json", "digest": "sha256:" + "3" * 64,
             "size": 5, "platform": {"os": "unknown", "architecture": "unknown"}},
        ],
    }).encode()
    manifest = parse_manifest(body, "", None)
    assert manifest.is_index and manifest.digest == sha256_digest(body)
    chosen = manifest.select(Platform.parse("linux/amd64"))
    assert chosen is not None and chosen.digest == "sha256:" + "2" * 64
    assert manifest.select(Platform.parse("linux/s390x")) is None


def test_parse_image_manifest_blobs_and_digest_check() -> None:
    body = json.dumps({"schemaVersion": 2, "config": LAYER, "layers": [LAYER, LAYER]}).encode()
    manifest = parse_manifest(body, "application/vnd.oci.image.manifest.v1+json", None)
    assert not manifest.is_index and len(manifest.blobs()) == 3
    with pytest.raises(ManifestError, match="not the expected"):
        parse_manifest(body, "", "sha256:" + "0" * 64)
    # an index without mediaType (allowed by OCI) is still an index
    bare = json.dumps({"schemaVersion": 2, "manifests": []}).encode()
    assert parse_manifest(bare, "application/json", None).media_type == OCI_INDEX


def test_schema1_and_garbage_are_refused() -> None:
    schema1 = json.dumps({"schemaVersion": 1, "fsLayers": []}).encode()
    with pytest.raises(ManifestError, match="schema 1"):
        parse_manifest(schema1, "application/vnd.docker.distribution.manifest.v1+prettyjws", None)
    with pytest.raises(ManifestError, match="not JSON"):
        parse_manifest(b"<html>", "text/html", None)
    with pytest.raises(ManifestError, match="digest or size"):
        parse_manifest(json.dumps({"config": {}, "layers": []}).encode(), "", None)


def test_parse_challenge() -> None:
    challenge = parse_challenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/nginx:pull,push"'
    )
    assert challenge is not None and challenge.scheme == "bearer"
    assert challenge.params["realm"] == "https://auth.docker.io/token"
    assert challenge.params["scope"] == "repository:library/nginx:pull,push"
    basic = parse_challenge('Basic realm="https://123.dkr.ecr.af-south-1.amazonaws.com/"')
    assert basic is not None and basic.scheme == "basic"
    assert parse_challenge(None) is None
    unquoted = parse_challenge("Bearer realm=https://x/token, service=x")
    assert unquoted is not None and unquoted.params == {"realm": "https://x/token", "service": "x"}


def test_retry_delay() -> None:
    policy = RetryPolicy(backoff=1.0, max_backoff=3.0, max_retry_after=5.0)
    assert policy.delay(1, "2") == 2.0
    assert policy.delay(1, "600") == 5.0  # capped
    assert 0.5 <= policy.delay(1, None) <= 1.0
    assert 1.5 <= policy.delay(5, None) <= 3.0  # capped, with jitter
    # an HTTP date (RFC 9110): in the past means now, in the future means until then
    assert policy.delay(1, "Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    soon = email.utils.format_datetime(
        datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=4),
        usegmt=True,
    )
    assert 2.5 <= policy.delay(1, soon) <= 4.0
    assert 0.5 <= policy.delay(1, "soon") <= 1.0  # unparseable: plain backoff


def _target(path: str, prefix: str | None, upstream: str | None) -> CacheTarget:
    return CacheTarget(Reference("r.example", path, "1"), prefix, upstream)


HUB = "registry-1.docker.io"


@pytest.mark.parametrize(
    ("exc", "verdict"),
    [
        (RegistryError(404, "MANIFEST_UNKNOWN", "manifest unknown"), "not_found"),
        (RegistryError(404, "NAME_UNKNOWN", "repository name not known"), "not_found"),
        (RegistryError(401, "UNAUTHORIZED", "authentication required"), "unauthorized"),
        (RegistryError(403, "DENIED", "not authorized to perform: ecr:BatchGetImage"),
         "unauthorized"),
        (RegistryError(403, "DENIED", "The authentication to the upstream registry failed."),
         "upstream_auth_failed"),
        (RegistryError(429, "TOOMANYREQUESTS", "slow down"), "error"),
        (RegistryError(503, "UNAVAILABLE", "down"), "error"),
        (RegistryError(400, "NAME_INVALID", "invalid repository name"), "invalid"),
        (RegistryUnreachable("x: connection refused (4 attempts)"), "error"),
        (ManifestError("bad"), "error"),
    ],
)
def test_classify(exc: BaseException, verdict: str) -> None:
    outcome = classify(exc, _target("docker-hub/library/nginx", "docker-hub", HUB))
    assert outcome.verdict == verdict
    assert outcome.reason and outcome.fix


def test_library_hints() -> None:
    denied = RegistryError(403, "DENIED", "The authentication to the upstream registry failed")
    missing = classify(denied, _target("docker-hub/nginx", "docker-hub", HUB))
    assert "docker-hub/library/nginx" in missing.fix
    spurious = classify(denied, _target("docker-hub/library/percona/xtradb", "docker-hub", HUB))
    assert "spurious library/" in spurious.fix
    quay = classify(denied, _target("quay/org/app", "quay", "quay.io"))
    assert "library/" not in quay.fix and "ecr-pullthroughcache/quay" in quay.fix


def test_attestation_manifests_are_not_platforms() -> None:
    """buildx indexes carry in-toto attestations as unknown/unknown children: never a
    node's pick, and not listed as a platform the image offers."""
    attestation = {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "3" * 64, "size": 5,
                   "platform": {"os": "unknown", "architecture": "unknown"},
                   "annotations": {"vnd.docker.reference.type": "attestation-manifest"}}
    arm = {"mediaType": OCI_MANIFEST, "digest": "sha256:" + "1" * 64, "size": 10,
           "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
    body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX,
                       "manifests": [attestation, arm]}).encode()
    index = parse_manifest(body, OCI_INDEX, None)
    assert index.platforms() == [Platform("linux", "arm64", "v8")]
    assert index.select(Platform.parse("linux/amd64")) is None
    chosen = index.select(Platform.parse("linux/arm64"))
    assert chosen is not None and chosen.digest == arm["digest"]


def test_signed_schema1_is_unsupported_before_the_digest_check() -> None:
    from tests.registry.gate import schema1_manifest

    body, digest = schema1_manifest()
    assert digest != sha256_digest(body)
    for content_type in ("application/vnd.docker.distribution.manifest.v1+prettyjws",
                         "application/json"):
        with pytest.raises(UnsupportedManifest, match="schema 1"):
            parse_manifest(body, content_type, digest)


def _index(*platforms: tuple[str, ...]) -> bytes:
    children = [
        {"mediaType": OCI_MANIFEST, "digest": "sha256:" + str(i) * 64, "size": 1,
         "platform": dict(zip(("os", "architecture", "variant"), p, strict=False))}
        for i, p in enumerate(platforms, start=1)
    ]
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}).encode()


@pytest.mark.parametrize(
    ("children", "node", "pick"),
    [
        # containerd's platforms.Only: linux/amd64 is amd64 v1; v3 images need v3 nodes
        ([("linux", "amd64", "v3"), ("linux", "amd64")], "linux/amd64", 2),
        ([("linux", "amd64", "v3")], "linux/amd64", None),
        ([("linux", "amd64", "v3"), ("linux", "amd64")], "linux/amd64/v3", 1),
        ([("linux", "amd64"), ("linux", "amd64", "v2")], "linux/amd64/v3", 2),
        ([("linux", "386")], "linux/amd64", 1),
        # an arm/v7 node runs v6 and v5 images; a v6 node does not run v7
        ([("linux", "arm", "v6")], "linux/arm/v7", 1),
        ([("linux", "arm", "v7")], "linux/arm/v6", None),
        # arm64 means v8, spelled or not; aarch64 is arm64
        ([("linux", "arm", "v7"), ("linux", "arm64", "v8")], "linux/arm64", 2),
        ([("linux", "aarch64")], "linux/arm64/v8", 1),
        ([("linux", "s390x")], "linux/s390x", 1),
        ([("windows", "amd64")], "linux/amd64", None),
    ],
)
def test_select_like_containerd(
    children: list[tuple[str, ...]], node: str, pick: int | None
) -> None:
    chosen = parse_manifest(_index(*children), OCI_INDEX, None).select(Platform.parse(node))
    assert (chosen.digest if chosen else None) == ("sha256:" + str(pick) * 64 if pick else None)
