"""``verify --chart`` / ``--apps``: verify what the chart really runs, against a real registry."""

from __future__ import annotations

import json

import pytest

from tests.charts import gitops
from tests.conftest import require_tool
from tests.registry.oci_images import OCI_MANIFEST, Layout, push


@pytest.mark.registry
def test_verify_checks_every_rendered_image(run_cli, webapp, tmp_path, oci_registry):
    skopeo = require_tool("skopeo", "apt-get install skopeo")
    layout = Layout(tmp_path / "layout")
    layout.tag("wp", layout.image(["wp-base", "wp-app"], layer_size=512), OCI_MANIFEST)
    # Only WordPress is in the "cache"; the subchart, init and CronJob images are not.
    push(layout, "wp", f"{oci_registry}/docker-hub/bitnami/wordpress:6.7.1", skopeo=skopeo)

    result = run_cli(
        "verify", "--chart", str(webapp), "--registry", f"http://{oci_registry}", "-o", "json"
    )
    assert result.code == 1, result.err
    rows = json.loads(result.out)
    rows = rows["images"] if isinstance(rows, dict) else rows
    by_image = {row["image"]: row for row in rows}
    assert sorted(by_image) == [
        "busybox:1.36",
        "docker.io/bitnami/mariadb:11.4",
        "docker.io/bitnami/os-shell:12",
        "docker.io/bitnami/wordpress:6.7.1",
    ]
    assert by_image["docker.io/bitnami/wordpress:6.7.1"]["verdict"] == "ok"
    assert by_image["docker.io/bitnami/mariadb:11.4"]["verdict"] != "ok"
    # verify sees the provenance: which values compose the image
    assert by_image["docker.io/bitnami/mariadb:11.4"]["sources"] == [
        "webapp: StatefulSet/webapp-mariadb mariadb (from mariadb.image.registry + "
        "mariadb.image.repository + mariadb.image.tag + global.imageRegistry (when set; "
        "empty now))"
    ]
    assert by_image["busybox:1.36"]["sources"] == [
        "webapp: CronJob/webapp-backup backup (from backup.image)"
    ]


def test_verify_reports_a_chart_that_does_not_render(run_cli, webapp):
    result = run_cli("verify", "--chart", str(webapp), "--set", "image=x",
                     "--registry", "123456789012.dkr.ecr.af-south-1.amazonaws.com")
    assert result.code == 2
    assert "can't evaluate field" in result.err and "--set image=x" in result.err


def test_verify_apps_collects_from_applications(run_cli, tmp_path, monkeypatch):
    """Without a reachable registry every image fails, but all rendered ones are listed."""
    repo = gitops.write_repo(tmp_path / "argocd")
    monkeypatch.setenv("REGISTRY_USERNAME", "u")
    monkeypatch.setenv("REGISTRY_PASSWORD", "p")
    result = run_cli(
        "verify", "--apps", str(repo / "apps"), "--registry", "http://127.0.0.1:9",
        "--timeout", "1", "--retries", "0", "-o", "json",
    )
    assert result.code == 1
    rows = json.loads(result.out)
    rows = rows["images"] if isinstance(rows, dict) else rows
    assert len(rows) == 5
    assert any(r["image"].startswith("registry.rocket.chat/") for r in rows)
