"""What Amazon ECR's pull-through cache answers, injected by the gate with ECR's own
bodies (tests/registry/gate.py cites where each was seen), and the verdict and fix
each must give.  Also the client behaviour a real ECR needs: one shared backoff
when throttled, and a dead registry failing fast after the first image."""

from __future__ import annotations

import re

import pytest

from ecr.registry.auth import Credentials
from ecr.registry.client import RegistryClient, RegistryUnreachable, RetryPolicy
from tests.registry.conftest import PASSWORD, USER, World
from tests.registry.gate import TOKEN_EXPIRED

pytestmark = pytest.mark.registry


def test_expired_token_says_renew_it_not_permissions(
    world: World, gate, creds: None, run_verify
) -> None:
    gate.inject(r"/manifests/", "expired", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "quay.io/org/app:v1").rows[0]
    assert row["verdict"] == "unauthorized"
    assert TOKEN_EXPIRED in row["reason"]
    assert "12 hours" in row["fix"] and "get-login-password" in row["fix"]
    assert "CreateRepository" not in row["fix"]  # not a node-role problem


def test_denied_names_the_refused_action(world: World, gate, creds: None, run_verify) -> None:
    gate.inject(r"/manifests/", "denied", times=10)  # "... not authorized to perform:
    row = run_verify("--registry", gate.url, "-o", "json", "quay.io/org/app:v1").rows[0]
    assert row["verdict"] == "unauthorized"  # ecr:CreateRepository on resource: ..."
    assert "(node role) lacks ecr:CreateRepository" in row["fix"]


def test_upstream_auth_failure_with_ecr_text(world: World, gate, creds: None, run_verify) -> None:
    gate.inject(r"/manifests/", "denied-upstream", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "ghcr.io/org/tool:2").rows[0]
    assert row["verdict"] == "upstream_auth_failed"
    assert "ecr-pullthroughcache/github" in row["fix"]


def test_prefix_without_a_rule_names_the_rule_and_create_repository(
    world: World, gate, creds: None, run_verify
) -> None:
    gate.inject(r"/manifests/", "name-unknown", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "registry.k8s.io/pause:3.10").rows[0]
    assert row["verdict"] == "not_found"
    assert "NAME_UNKNOWN" in row["reason"]
    assert "pull-through cache rule for prefix 'k8s'" in row["fix"]
    assert "ecr:CreateRepository on repository/k8s/*" in row["fix"]


def test_ecr_basic_challenge_is_answered_and_refusal_reported(
    world: World, gate, creds: None, run_verify
) -> None:
    # ECR without (or with bad) credentials: 401, Basic realm="https://<host>/",
    # service="ecr.amazonaws.com", body "Not Authorized" in plain text
    gate.inject(r"/manifests/", "ecr-401", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "quay.io/org/app:v1").rows[0]
    assert row["verdict"] == "unauthorized"
    assert "Not Authorized" in row["reason"]
    sent = [a for a in gate.state.authorization if a]
    assert sent and all(a.startswith("Basic ") for a in sent)  # the challenge was answered


def test_schema1_is_unsupported_not_corrupt(world: World, gate, creds: None, run_verify) -> None:
    # a signed schema 1 body never hashes to its Docker-Content-Digest
    gate.inject(r"/manifests/1\.27$", "schema1", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27").rows[0]
    assert row["verdict"] == "unsupported", row
    assert "schema 1" in row["reason"] and "not the expected" not in row["reason"]


def test_tag_and_digest_fill_the_cache_through_the_tag(
    world: World, gate, creds: None, run_verify
) -> None:
    # ECR answers a first pull by digest with 404 (aws/containers-roadmap#2837)
    gate.state.fill_by_tag_only = True
    digest = world.manifests["redis"].digest
    image = f"bitnami/redis:7.4@{digest}"
    result = run_verify("--registry", gate.url, "-o", "json", image)
    row = result.rows[0]
    assert row["verdict"] == "ok", row
    assert row["digest"] == digest and "#2837" in row["reason"]
    assert gate.state.ok["/v2/docker-hub/bitnami/redis/manifests/7.4"] == 1

    # a pinned digest the tag no longer points at cannot be cached: say so
    stale = "sha256:" + "0" * 64
    gate.inject(re.escape(stale), "missing", times=10)  # (distribution's proxy says 500)
    gone = run_verify("--registry", gate.url, "-o", "json", f"nginx:1.27@{stale}").rows[0]
    assert gone["verdict"] == "not_found"
    assert "now resolves to" in gone["reason"]
    assert world.manifests["nginx"].digest in gone["fix"]

    # digest only: nothing to fill from; the fix says to name the tag
    bare = run_verify("--registry", gate.url, "-o", "json",
                      f"docker.io/library/busybox@{stale}").rows[0]
    assert bare["verdict"] == "not_found" and "#2837" in bare["fix"]


def test_throttling_holds_back_every_request_not_only_the_refused_one(
    world: World, gate
) -> None:
    """A 429 with Retry-After makes the next request (another image, as a concurrent
    worker would send) wait too, instead of adding to the storm."""
    waits: list[float] = []
    client = RegistryClient(gate.url, Credentials(USER, PASSWORD), sleep=waits.append,
                            retry=RetryPolicy(attempts=3))
    gate.inject(r"/manifests/1\.27$", "429", times=1, delay=5)
    with client:
        client.get_manifest("docker-hub/library/nginx", "1.27")
        assert waits and 4.0 < waits[0] <= 5.0  # Retry-After honoured
        before = len(waits)
        client.get_manifest("docker-hub/library/nginx", "1.26")  # not throttled itself
        assert len(waits) > before and 4.0 < waits[-1] <= 5.0


def test_dead_registry_fails_fast_after_the_first_request(black_hole: int) -> None:
    client = RegistryClient(f"http://127.0.0.1:{black_hole}", timeout=0.1,
                            retry=RetryPolicy(attempts=2), sleep=lambda _s: None)
    with client:
        for name in ("a/x", "b/y", "c/z"):
            with pytest.raises(RegistryUnreachable, match="timed out"):
                client.get_manifest(name, "1")
    assert client.requests == 2  # the first image's two attempts; the others not sent


def test_redirected_blob_is_fetched_without_credentials_and_verified(
    world: World, gate
) -> None:
    """ECR: GET /v2/<name>/blobs/<digest> -> 307 to a presigned S3 URL."""
    from tests.registry.gate import Gate

    digest = next(iter(world.blobs("nginx")))
    with Gate(world.upstream.host) as storage, RegistryClient(
        gate.url, Credentials(USER, PASSWORD)
    ) as client:
        gate.inject(re.escape(digest), "redirect", times=2, target=storage.host)
        assert client.fetch_blob("docker-hub/library/nginx", digest).size > 0
        assert storage.state.authorization == [None]
        storage.inject(re.escape(digest), "corrupt", times=1)
        with pytest.raises(Exception, match="hashed to"):
            client.fetch_blob("docker-hub/library/nginx", digest)
