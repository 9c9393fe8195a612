"""``convert --chart`` with a Bitnami-style chart whose values set only image.repository.

The chart puts ``image.registry`` (default docker.io) in front of the repository, so
the full reference ``--files`` would write renders as ``docker.io/<registry>/...``.
It used to be converted a second time and "proven" as cached (QA finding)."""

from __future__ import annotations

import json

import yaml

from tests.charts.conftest import REGISTRY

REPOSITORY_ONLY = """\
image:
  repository: bitnami/wordpress
  tag: 6.7.1
"""


def test_repository_only_values_get_registry_and_repository(run_cli, webapp, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(REPOSITORY_ONLY)
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(webapp),
                     "--values", str(values), "--write")
    assert result.code == 0, result.out + result.err
    data = yaml.safe_load(values.read_text())
    assert data["image"] == {"repository": "bitnami/wordpress", "tag": "6.7.1"}  # untouched
    assert data["global"]["imageRegistry"] == f"{REGISTRY}/docker-hub"  # the chart keeps paths
    check = run_cli("images", "--registry", REGISTRY, "--check", "-o", "json",
                    "--chart", str(webapp), "-f", str(values))
    assert check.code == 0, check.out + check.err
    rendered = {i["image"] for i in json.loads(check.out)["images"]}
    assert f"{REGISTRY}/docker-hub/bitnami/wordpress:6.7.1" in rendered


def test_images_calls_a_chart_prefixed_reference_broken(run_cli, webapp, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(f"image:\n  repository: {REGISTRY}/docker-hub/bitnami/wordpress\n"
                      "global:\n  security:\n    allowInsecureImages: true\n")
    check = run_cli("images", "--registry", REGISTRY, "-o", "json",
                    "--chart", str(webapp), "-f", str(values))
    rows = json.loads(check.out)["images"]
    wordpress = next(r for r in rows if r["container"] == "wordpress")
    assert wordpress["image"].startswith(f"docker.io/{REGISTRY}/")
    assert wordpress["status"] == "broken" and "registry host" in wordpress["note"]


def test_a_cache_reference_behind_the_charts_registry_is_repaired(run_cli, webapp, tmp_path):
    """``repository`` holding our full reference renders as ``docker.io/<registry>/...``
    (broken); convert makes it exactly the cache reference it meant."""
    values = tmp_path / "values.yaml"
    values.write_text(f"image:\n  repository: {REGISTRY}/docker-hub/bitnami/wordpress\n")
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(webapp),
                     "--values", str(values), "--write", "-o", "json")
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and plan["written"], plan
    check = run_cli("images", "--registry", REGISTRY, "--check", "-o", "json",
                    "--chart", str(webapp), "-f", str(values))
    assert check.code == 0, check.out
    rendered = {i["container"]: i["image"] for i in json.loads(check.out)["images"]}
    assert rendered["wordpress"] == f"{REGISTRY}/docker-hub/bitnami/wordpress:6.7.1"
