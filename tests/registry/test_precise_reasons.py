"""Reasons that say what happened (issue 20): a missing part of an image is not a missing
tag, and a challenge we cannot answer is not "no credentials given".

The missing parts are real docker-registry answers for everything but the one request the
gate turns into a 404; the malformed challenges come from a scripted registry."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.registry.conftest import World
from tests.registry.scripted import Reply, Seen, scripted_registry

pytestmark = pytest.mark.registry


def test_a_missing_platform_manifest_is_named_not_the_tag(
    world: World, gate, creds: None, run_verify
) -> None:
    index = world.manifest_json(world.manifests["redis"].digest)
    amd64 = next(m["digest"] for m in index["manifests"]
                 if m["platform"]["architecture"] == "amd64")
    gate.inject(re.escape(amd64) + "$", "missing", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "bitnami/redis:7.4").rows[0]
    assert row["verdict"] == "not_found"
    assert f"manifest {amd64} (listed by the tag's index) of bitnami/redis is missing" \
        in row["reason"], row["reason"]
    assert "tag '7.4'" not in row["reason"]
    assert "tag resolved" in row["reason"]
    assert "check that the image and tag exist upstream" not in row["fix"]


def test_a_missing_config_blob_is_named_not_the_tag(
    world: World, gate, creds: None, run_verify
) -> None:
    config = next(iter(world.blobs("nginx")))
    gate.inject(re.escape(config) + "$", "blob-unknown", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27").rows[0]
    assert row["verdict"] == "not_found"
    assert f"HTTP 404 BLOB_UNKNOWN: blob {config} of library/nginx is missing" in row["reason"]
    assert "tag '1.27'" not in row["reason"]


def test_a_layer_missing_while_warming_is_named(
    world: World, gate, creds: None, run_verify
) -> None:
    layer = list(world.blobs("nginx"))[-1]
    gate.inject(re.escape(layer) + "$", "blob-unknown", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "--warm", "nginx:1.27").rows[0]
    assert row["verdict"] == "not_found"
    assert f"blob {layer} of library/nginx is missing" in row["reason"], row["reason"]
    assert "tag '1.27'" not in row["reason"]


@pytest.mark.parametrize("challenge, says", [
    ("Negotiate \x1b[31mtoken", "malformed (not Basic or Bearer): 'Negotiate \\x1b[31mtoken'"),
    ('Bearer service="registry"', "malformed (no http(s) realm): 'Bearer service=\"registry\"'"),
    ('Bearer realm="file:///etc/passwd"', "malformed (no http(s) realm)"),
    ("", "the registry's 401 has no WWW-Authenticate challenge"),
])
def test_a_challenge_we_cannot_answer_is_not_missing_credentials(
    challenge: str, says: str, tmp_path: Path, creds: None, run_verify
) -> None:
    def route(seen: Seen) -> Reply:
        headers = {"WWW-Authenticate": challenge} if challenge else {}
        return 401, headers, b'{"errors": [{"code": "UNAUTHORIZED", "message": "auth"}]}'

    with scripted_registry(tmp_path, route) as server:
        row = run_verify("--registry", server.url("http"), "-o", "json",
                         "--retries", "1", "nginx:1.27").rows[0]
    assert row["verdict"] == "unauthorized"
    assert "credentials were given but not sent" in row["reason"], row["reason"]
    assert says in row["reason"], row["reason"]
    assert "none were given" not in row["reason"]
    assert "\x1b" not in row["reason"] + row["fix"]


def test_a_long_challenge_is_cut_when_quoted(tmp_path: Path, creds: None, run_verify) -> None:
    def route(seen: Seen) -> Reply:
        return 401, {"WWW-Authenticate": "Weird " + "x" * 5000}, b""

    with scripted_registry(tmp_path, route) as server:
        row = run_verify("--registry", server.url("http"), "-o", "json", "nginx:1.27").rows[0]
    assert "'Weird " + "x" * 114 + "...'" in row["reason"]
    assert len(row["reason"]) < 400
