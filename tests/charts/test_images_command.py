"""``ecr images``: rendered for real, every image marked, table and JSON."""

from __future__ import annotations

import json
import shutil

import helm_python
import pytest
import yaml

from tests.charts import charts, gitops
from tests.charts.conftest import REGISTRY


def test_lists_every_image_with_workload_and_verdict(run_cli, webapp):
    result = run_cli("images", "--chart", str(webapp), "--registry", REGISTRY)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].split() == ["STATUS", "IMAGE", "RELEASE", "WORKLOAD", "CONTAINER",
                                "CACHE", "IMAGE", "/", "NOTE", "FROM", "VALUES"]
    init = next(line for line in lines if "os-shell" in line)
    assert "Deployment/webapp-wordpress" in init and "volume-permissions (init)" in init
    assert f"{REGISTRY}/docker-hub/bitnami/os-shell:12" in init
    assert "volumePermissions.image.registry + volumePermissions.image.repository" in init
    assert "4 container image(s): 4 bypass" in result.out


def test_json_and_check(run_cli, webapp, chat, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(
        "global:\n  security:\n    allowInsecureImages: true\n"
        f"image:\n  registry: {REGISTRY}\n  repository: docker-hub/bitnami/wordpress\n"
        "backup:\n  image: gcr.io/distroless/static:nonroot\n"
    )
    result = run_cli(
        "images", "--chart", str(webapp), "-f", str(values), "--set", "mariadb.enabled=false",
        "--registry", REGISTRY, "--output", "json", "--check",
    )
    assert result.code == 1  # os-shell bypasses, distroless cannot be cached
    data = json.loads(result.out)
    status = {item["container"]: item["status"] for item in data["images"]}
    assert status == {
        "wordpress": "cached", "volume-permissions": "bypass", "backup": "uncacheable"
    }
    backup = next(i for i in data["images"] if i["container"] == "backup")
    assert (backup["kind"], backup["name"]) == ("CronJob", "webapp-backup")
    assert data["summary"] == {"cached": 1, "bypass": 1, "uncacheable": 1}
    assert data["releases"][0]["values"] == [str(values), "--set mariadb.enabled=false"]

    chat_result = run_cli(
        "images", "--chart", str(chat), "--registry", REGISTRY, "-o", "json",
        "--alias", "registry.rocket.chat=docker.io",
    )
    (item,) = json.loads(chat_result.out)["images"]
    assert item["status"] == "bypass"
    assert item["cache_image"] == f"{REGISTRY}/docker-hub/rocketchat/rocket.chat:6.12.0"


def test_all_through_the_cache_passes_check(run_cli, chat, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(f"image:\n  repository: {REGISTRY}/docker-hub/rocketchat/rocket.chat\n")
    result = run_cli("images", "--chart", str(chat), "-f", str(values),
                     "--registry", REGISTRY, "--check")
    assert result.code == 0, result.out + result.err
    assert "1 container image(s): 1 cached" in result.out
    official = tmp_path / "official.yaml"
    official.write_text(f"image:\n  repository: {REGISTRY}/docker-hub/rocket.chat\n")
    broken = run_cli("images", "--chart", str(chat), "-f", str(official),
                     "--registry", REGISTRY, "--check", "-o", "json")
    assert broken.code == 1
    assert "library/" in json.loads(broken.out)["images"][0]["note"]


def test_whole_gitops_repository(run_cli, tmp_path, monkeypatch):
    repo = gitops.write_repo(tmp_path / "argocd")
    monkeypatch.setenv("ECR_REGISTRY", REGISTRY)
    result = run_cli("images", str(repo), "-o", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    got = sorted((i["release"], i["container"], i["image"]) for i in data["images"])
    assert got == [
        ("rocketchat", "rocketchat", "registry.rocket.chat/rocketchat/rocket.chat:6.13.1"),
        ("spruch", "backup", "alpine:3.20"),
        ("spruch", "mariadb", "docker.io/bitnami/mariadb:11.4"),
        ("spruch", "volume-permissions", "docker.io/bitnami/os-shell:12-debian"),
        ("spruch", "wordpress", "docker.io/bitnami/wordpress:6.7.1"),
    ]
    blog = next(i for i in data["images"] if i["container"] == "wordpress")
    assert (blog["name"], blog["namespace"]) == ("blog-wordpress", "spruch")


def test_one_broken_application_does_not_hide_the_others(run_cli, tmp_path):
    repo = gitops.write_repo(tmp_path / "argocd")
    shutil.rmtree(repo / "charts" / "webapp" / "charts" / "db")
    result = run_cli("images", str(repo / "apps"), "--registry", REGISTRY)
    assert result.code == 2
    assert "rocket.chat" in result.out
    assert "error: spruch:" in result.err and "helm dependency build" in result.err


@pytest.mark.registry
def test_multi_source_application_with_an_oci_chart(run_cli, tmp_path, webapp, oci_registry):
    helm_python.push(
        helm_python.package(webapp, destination=tmp_path),
        f"oci://{oci_registry}/charts",
        plain_http=True,
    )
    repo = tmp_path / "argocd"
    (repo / ".git").mkdir(parents=True)
    (repo / "env").mkdir()
    (repo / "env" / "wp.yaml").write_text("mariadb:\n  enabled: false\n")
    (repo / "wp-app.yaml").write_text(
        gitops.oci_app("wp", f"{oci_registry}/charts", "webapp", "24.0.0", "env/wp.yaml")
    )
    result = run_cli("images", str(repo), "--plain-http", "--registry", REGISTRY, "-o", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert len(data["images"]) == 3  # mariadb disabled by the $values file
    assert data["releases"][0]["chart"] == f"oci://{oci_registry}/charts/webapp version 24.0.0"


@pytest.mark.parametrize(
    ("argv", "why"),
    [
        (["images", "--registry", REGISTRY], "nothing to render"),
        (["images", "--chart", "x", "apps/", "--registry", REGISTRY], "not both"),
        (["images", "apps/", "--set", "a=b", "--registry", REGISTRY], "go with --chart"),
        (["images", "--chart", "x"], "no registry"),
        (["images", "--chart", "x", "--registry", "https://x/y"], "not a host name"),
    ],
)
def test_usage_errors(run_cli, argv, why, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi to ask
    result = run_cli(*argv)
    assert result.code == 2
    assert why in result.err


@pytest.mark.registry
def test_charts_pulled_through_the_cache(run_cli, tmp_path, webapp, oci_registry):
    """oci://registry-1.docker.io/bitnamicharts/x is pulled from <registry>/docker-hub/..."""
    helm_python.push(
        helm_python.package(webapp, destination=tmp_path),
        f"oci://{oci_registry}/docker-hub/bitnamicharts",
        plain_http=True,
    )
    argv = ["images", "--chart", "oci://registry-1.docker.io/bitnamicharts/webapp",
            "--version", "24.0.0", "--registry", oci_registry, "--plain-http", "-o", "json"]
    result = run_cli(*argv, "--charts-via-cache")
    assert result.code == 0, result.err
    assert len(json.loads(result.out)["images"]) == 4
    # the same chart is not in the cache under another upstream's prefix
    other = run_cli("images", "--chart", "oci://ghcr.io/org/webapp", "--version", "24.0.0",
                    "--registry", oci_registry, "--plain-http", "--charts-via-cache")
    assert other.code == 2
    assert f"oci://{oci_registry}/github/org/webapp" in other.err


def test_dependency_build_fetches_missing_subcharts_into_a_copy(run_cli, tmp_path):
    """A chart kept in git without charts/: --dependency-build does what ArgoCD does."""
    charts.db_chart(tmp_path / "db")
    parent = charts.write(tmp_path / "site", {
        "Chart.yaml": """
            apiVersion: v2
            name: site
            version: 1.0.0
            dependencies:
              - name: db
                version: 11.x.x
                repository: file://../db
                alias: database
        """,
        "values.yaml": "database:\n  image:\n    tag: '11.5'\n",
    })
    argv = ["images", "--chart", str(parent), "--registry", REGISTRY, "-o", "json"]
    missing = run_cli(*argv)
    assert missing.code == 2 and "helm dependency build" in missing.err
    result = run_cli(*argv, "--dependency-build")
    assert result.code == 0, result.err
    (item,) = json.loads(result.out)["images"]
    assert item["image"] == "docker.io/bitnami/mariadb:11.5"  # parent's value under the alias
    assert not (parent / "charts").exists()  # the checkout is left alone

    values = tmp_path / "site-values.yaml"
    values.touch()  # convert writes only into a values file that exists
    converted = run_cli("convert", "--chart", str(parent), "-f", str(values), "--write",
                        "--registry", REGISTRY, "--dependency-build")
    assert converted.code == 0, converted.out + converted.err
    # one chart-wide override (the subchart's global, as the parent sets it) for its image
    assert yaml.safe_load(values.read_text())["database"] == {
        "global": {"imageRegistry": f"{REGISTRY}/docker-hub"}}
    check = run_cli("images", "--chart", str(parent), "-f", str(values), "--registry", REGISTRY,
                    "--dependency-build", "-o", "json")
    (item,) = json.loads(check.out)["images"]
    assert item["image"] == f"{REGISTRY}/docker-hub/bitnami/mariadb:11.5"


def test_a_chart_that_refuses_its_images_is_reported_not_traced_around(run_cli, webapp,
                                                                       tmp_path):
    """Tracing renders with Bitnami's flag set; the listing must still show what Helm
    really does: refuse relocated images without it."""
    values = tmp_path / "values.yaml"
    values.write_text(f"image:\n  registry: {REGISTRY}\n"
                      "  repository: docker-hub/bitnami/wordpress\n")
    result = run_cli("images", "--chart", str(webapp), "-f", str(values), "--registry", REGISTRY)
    assert result.code == 2
    assert "allowInsecureImages" in result.err


def test_images_operators_launch_are_listed_apart_with_their_values(run_cli, tmp_path):
    """An operator's env/args images, a custom resource's and a ConfigMap's are listed
    after the containers, marked launched, with the values composing them; the JSON
    keeps them out of ``images`` (containers only) in ``launched``."""
    from tests.charts import operator_shapes

    chart = operator_shapes.operator_env_images(tmp_path / "env")
    result = run_cli("images", "--chart", str(chart), "--registry", REGISTRY, "-o", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert {i["container_type"] for i in data["images"]} <= {"containers", "initContainers"}
    launched = {(i["container"], i["image"]): i for i in data["launched"]}
    vault = launched[("sidecar-injector env.AGENT_INJECT_VAULT_IMAGE#0",
                      "hashicorp/vault:1.18.1")]
    assert vault["container_type"] == "env" and vault["status"] == "bypass"
    assert vault["cache_image"] == f"{REGISTRY}/docker-hub/hashicorp/vault:1.18.1"
    assert vault["values"] == "injector.agentImage.repository + injector.agentImage.tag"
    (pg,) = [i for i in data["launched"] if i["image"].startswith("ghcr.io/cloudnative-pg/")]
    assert pg["values"] == "written in operands/templates/operator.yaml"
    assert data["summary"] == {"bypass": len(data["images"])}  # containers only

    for make, kind in ((operator_shapes.custom_resource_images, "resource"),
                       (operator_shapes.config_map_agent_images, "config")):
        chart = make(tmp_path / make.__name__)
        result = run_cli("images", "--chart", str(chart), "--registry", REGISTRY, "-o", "json")
        found = json.loads(result.out)["launched"]
        assert found and kind in {i["container_type"] for i in found}, found


def test_launched_images_in_the_table_and_not_in_check(run_cli, tmp_path):
    from tests.charts import operator_shapes

    chart = operator_shapes.operator_env_images(tmp_path / "env")
    values = tmp_path / "values.yaml"
    values.write_text("")
    converted = run_cli("convert", "--registry", REGISTRY, "--chart", str(chart),
                        "--values", str(values), "--write")
    assert converted.code == 3, converted.out + converted.err  # cnpg's left, noted
    result = run_cli("images", "--chart", str(chart), "-f", str(values),
                     "--registry", REGISTRY, "--check")
    # every container is cached; the cnpg image written in the template still bypasses
    assert result.code == 0, result.out
    row = next(line for line in result.out.splitlines() if "cloudnative-pg" in line)
    assert row.startswith("bypass") and "env.POSTGRES_IMAGE_NAME#0 (launched)" in row
    vault = next(line for line in result.out.splitlines() if "AGENT_INJECT" in line)
    assert vault.startswith("cached") and "(launched)" in vault
    assert "image(s) an operator launches (launched; not counted by --check): " \
        "1 bypass, 4 cached" in result.out, result.out
