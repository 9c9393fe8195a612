"""Every verdict, against a real pull-through cache (docker-registry proxy + upstream)."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.registry.conftest import World

pytestmark = pytest.mark.registry


def test_ok_single_manifest_and_index(world: World, creds: None, run_verify) -> None:
    result = run_verify("--registry", world.registry, "-o", "json", "nginx:1.27",
                        "docker.io/bitnami/redis:7.4")
    assert result.code == 0, result.rows
    rows = result.by_image()
    nginx = rows["nginx:1.27"]
    assert nginx["verdict"] == "ok"
    assert nginx["cache_reference"] == f"{world.proxy.host}/docker-hub/library/nginx:1.27"
    assert nginx["digest"] == world.manifests["nginx"].digest
    redis = rows["docker.io/bitnami/redis:7.4"]
    assert redis["verdict"] == "ok"
    assert redis["digest"] == world.manifests["redis"].digest  # the index
    amd64 = world.manifest_json(world.manifests["redis"].digest)["manifests"][0]["digest"]
    assert amd64[:19] in redis["reason"]
    assert set(result.rows[0]) >= {"image", "cache_reference", "verdict", "reason"}


def test_every_catalogue_prefix_and_docker_formats(world: World, creds: None, run_verify) -> None:
    # github/org/tool is a Docker v2 manifest, k8s/pause a Docker manifest list
    result = run_verify("--registry", world.registry, "-o", "json",
                        "quay.io/org/app:v1", "ghcr.io/org/tool:2", "registry.k8s.io/pause:3.10")
    assert result.code == 0, result.rows
    assert {r["verdict"] for r in result.rows} == {"ok"}


def test_platform_selection(world: World, creds: None, run_verify) -> None:
    arm = run_verify("--registry", world.registry, "-o", "json", "--platform", "linux/arm64",
                     "bitnami/redis:7.4")
    assert arm.code == 0
    index = world.manifest_json(world.manifests["redis"].digest)
    arm_digest = index["manifests"][1]["digest"]
    assert arm_digest[:19] in arm.rows[0]["reason"]

    missing = run_verify("--registry", world.registry, "-o", "json", "--platform", "linux/s390x",
                         "bitnami/redis:7.4")
    assert missing.code == 1
    row = missing.rows[0]
    assert row["verdict"] == "not_found"
    assert "linux/s390x" in row["reason"] and "linux/arm64/v8" in row["reason"]

    # an arm64-only image fails on the default amd64 nodes, and on a mixed cluster
    for platform in ("linux/amd64", "linux/arm64,linux/amd64"):
        mixed = run_verify("--registry", world.registry, "-o", "json", "--platform", platform,
                           "armonly:1")
        assert mixed.rows[0]["verdict"] == "not_found", platform


def test_single_platform_image_of_another_platform(world: World, creds: None,
                                                   run_verify) -> None:
    amd = run_verify("--registry", world.registry, "-o", "json", "armsingle:1", "nginx:1.27")
    rows = amd.by_image()
    assert rows["armsingle:1"]["verdict"] == "not_found"
    assert "single-platform linux/arm64" in rows["armsingle:1"]["reason"]
    assert rows["nginx:1.27"]["verdict"] == "ok"
    arm = run_verify("--registry", world.registry, "-o", "json", "--platform", "linux/arm64/v8",
                     "armsingle:1")
    assert arm.code == 0, arm.rows
    mixed = run_verify("--registry", world.registry, "-o", "json", "--platform",
                       "linux/amd64,linux/arm64", "nginx:1.27", "bitnami/redis:7.4")
    assert mixed.by_image()["nginx:1.27"]["verdict"] == "not_found"  # amd64 only
    assert mixed.by_image()["bitnami/redis:7.4"]["verdict"] == "ok"  # both in the index


def test_not_found_tag_and_repository(world: World, creds: None, run_verify) -> None:
    result = run_verify("--registry", world.registry, "-o", "json",
                        "nginx:0.0.0-gone", "bitnami/postgresql:11.1", "quay.io/nobody/nothing:1")
    assert result.code == 1
    rows = result.by_image()
    assert {r["verdict"] for r in result.rows} == {"not_found"}
    assert "bitnamilegacy" in rows["bitnami/postgresql:11.1"]["fix"]
    assert "0.0.0-gone" in rows["nginx:0.0.0-gone"]["reason"]


def test_unauthorized_wrong_password_and_no_credentials(
    world: World, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", "alice")
    monkeypatch.setenv("REGISTRY_PASSWORD", "wrong")
    wrong = run_verify("--registry", world.registry, "-o", "json", "nginx:1.27")
    assert wrong.code == 1
    assert wrong.rows[0]["verdict"] == "unauthorized"
    assert "REGISTRY_USERNAME" in wrong.rows[0]["fix"]
    assert "wrong" not in wrong.out + wrong.err  # secrets never printed

    monkeypatch.delenv("REGISTRY_USERNAME")
    monkeypatch.delenv("REGISTRY_PASSWORD")
    anonymous = run_verify("--registry", world.registry, "-o", "json", "nginx:1.27")
    assert anonymous.rows[0]["verdict"] == "unauthorized"


def test_upstream_auth_failed_ecr_error(world: World, gate, creds: None, run_verify) -> None:
    # ECR's answer when the rule's secret is wrong, or library/ is missing for Docker Hub
    gate.inject(r"/v2/docker-hub/library/nginx/manifests/", "denied-upstream", times=10)
    result = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27", "quay.io/org/app:v1")
    assert result.code == 1
    rows = result.by_image()
    row = rows["nginx:1.27"]
    assert row["verdict"] == "upstream_auth_failed"
    assert "ecr-pullthroughcache/docker-hub" in row["fix"]
    assert "library/" in row["fix"]
    assert rows["quay.io/org/app:v1"]["verdict"] == "ok"


def test_denied_is_unauthorized_with_permissions_fix(
    world: World, gate, creds: None, run_verify
) -> None:
    gate.inject(r"/manifests/", "denied", times=10)
    result = run_verify("--registry", gate.url, "-o", "json", "quay.io/org/app:v1")
    row = result.rows[0]
    assert row["verdict"] == "unauthorized"
    assert "ecr:CreateRepository" in row["fix"] and "repository/quay/*" in row["fix"]


def test_unsupported_and_invalid(world: World, creds: None, run_verify) -> None:
    result = run_verify("--registry", world.registry, "-o", "json",
                        "gcr.io/distroless/static:nonroot", "Not An Image", "nginx:1.27")
    assert result.code == 1
    rows = result.by_image()
    assert rows["gcr.io/distroless/static:nonroot"]["verdict"] == "unsupported"
    assert rows["gcr.io/distroless/static:nonroot"]["cache_reference"] is None
    assert rows["Not An Image"]["verdict"] == "invalid"
    assert rows["nginx:1.27"]["verdict"] == "ok"


def test_files_and_directories(world: World, creds: None, run_verify, tmp_path: Path) -> None:
    values = tmp_path / "apps" / "values.yaml"
    values.parent.mkdir()
    values.write_text(textwrap.dedent("""\
        image:
          registry: docker.io
          repository: bitnami/redis
          tag: "7.4"
        sidecar:
          image: quay.io/org/app:v1
        """))
    (tmp_path / "apps" / "deploy.yaml").write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          template:
            spec:
              containers:
                - name: web
                  image: nginx:1.27
                - name: again
                  image: quay.io/org/app:v1
        """))
    result = run_verify("--registry", world.registry, "-o", "json", str(tmp_path / "apps"))
    assert result.code == 0, result.rows
    rows = result.by_image()
    assert set(rows) == {
        "docker.io/bitnami/redis:7.4", "quay.io/org/app:v1", "docker.io/library/nginx:1.27"
    }
    assert len(rows["quay.io/org/app:v1"]["sources"]) == 2  # checked once, both places listed
    templated = tmp_path / "templated.yaml"
    templated.write_text('init:\n  image: "{{ .Values.initImage }}"\n')
    bad = run_verify("--registry", world.registry, "-o", "json", str(templated))
    assert bad.code == 1
    assert bad.rows[0]["verdict"] == "invalid" and "templated" in bad.rows[0]["reason"]
    assert bad.rows[0]["sources"] == [f"{templated}:2"]

    deploy = tmp_path / "apps" / "deploy.yaml"
    assert rows["docker.io/library/nginx:1.27"]["sources"] == [f"{deploy}:9"]

    # the same image named on the command line is checked once, with both sources
    both = run_verify("--registry", world.registry, "-o", "json", str(deploy), "nginx:1.27")
    assert [len(r["sources"]) for r in both.rows] == [2, 1]


def test_table_output(world: World, creds: None, run_verify) -> None:
    result = run_verify("--registry", world.registry, "nginx:1.27", "nginx:0.0.0-gone")
    assert result.code == 1
    assert "VERDICT" in result.out and "How to fix:" in result.out
    assert "2 images: 1 not_found, 1 ok" in result.out


def test_usage_errors(world: World, creds: None, run_verify) -> None:
    assert run_verify("--registry", world.registry).code == 2
    assert run_verify("--registry", world.registry, "--platform", "amd64", "nginx:1").code == 2
    assert run_verify("--registry", world.registry, "--alias", "nope", "nginx:1").code == 2
    assert run_verify("--registry", world.registry, "--concurrency", "0", "nginx:1").code == 2
    result = run_verify("--registry", world.registry, "--role-arn",
                        "arn:aws:iam::123456789012:role/x", "nginx:1")
    assert result.code == 2 and "ECR registries only" in result.err


def test_scripts_ecr_verify_end_to_end(world: World, creds: None) -> None:
    """The shell entry point, as users run it: a real process, JSON on stdout, exit 1."""
    done = subprocess.run(
        [str(ROOT / "scripts" / "ecr"), "verify", "--registry", world.registry, "-o", "json",
         "nginx:1.27", "nginx:0.0.0-gone"],
        capture_output=True, text=True, timeout=120, check=False, env=dict(os.environ),
    )
    assert done.returncode == 1, done.stderr
    verdicts = {row["image"]: row["verdict"] for row in json.loads(done.stdout)}
    assert verdicts == {"nginx:1.27": "ok", "nginx:0.0.0-gone": "not_found"}
