"""The Helm adapter, rendering for real with helm-python-sdk."""

from __future__ import annotations

import shutil
from pathlib import Path

import helm_python
import pytest

from ecr.charts import helm as helm_render
from ecr.charts.helm import HelmFailure, MissingDependencies, ValuesLayer
from ecr.charts.source import ChartSource
from ecr.images.workload import from_manifests
from tests.charts import charts


def images(manifests):
    return sorted(f.image for f in from_manifests(manifests))


def test_renders_parent_aliased_subchart_library_cronjob_and_init(webapp):
    manifests = helm_render.render(webapp, release="blog", namespace="web")
    assert not any(path.endswith("NOTES.txt") for path in manifests)
    assert "webapp/charts/mariadb/templates/statefulset.yaml" in manifests
    assert images(manifests) == [
        "busybox:1.36",
        "docker.io/bitnami/mariadb:11.4",
        "docker.io/bitnami/os-shell:12",
        "docker.io/bitnami/wordpress:6.7.1",
    ]
    assert "namespace: web" in manifests["webapp/templates/deployment.yaml"]


def test_values_layers_merge_like_helm(webapp):
    layers = [
        ValuesLayer("a.yaml", {"backup": {"image": "alpine:3.20"}, "mariadb": {"enabled": True}}),
        ValuesLayer("b.yaml", {"mariadb": {"enabled": False}}),
        helm_render.set_value("volumePermissions.enabled=false"),
    ]
    got = images(helm_render.render(webapp, layers, release="r"))
    assert got == ["alpine:3.20", "docker.io/bitnami/wordpress:6.7.1"]


def test_repository_with_host_and_app_version_tag(chat):
    assert images(helm_render.render(chat, release="chat")) == [
        "registry.rocket.chat/rocketchat/rocket.chat:6.12.0"
    ]


def test_packaged_chart_renders_too(webapp, tmp_path):
    archive = helm_python.package(webapp, destination=tmp_path)
    assert archive.endswith(".tgz")
    assert len(images(helm_render.render(Path(archive), release="r"))) == 4


def test_bitnami_relocation_fails_with_helms_error_and_the_values(webapp, tmp_path):
    values = tmp_path / "after.yaml"
    values.write_text(
        "image:\n  registry: 1.dkr.ecr.af-south-1.amazonaws.com\n"
        "  repository: docker-hub/bitnami/wordpress\n"
    )
    with pytest.raises(HelmFailure) as caught:
        helm_render.render(webapp, [helm_render.values_file(values)], release="r")
    message = str(caught.value)
    assert "Original containers have been substituted" in message
    assert str(values) in message
    assert "allowInsecureImages" in message
    allowed = helm_render.set_value("global.security.allowInsecureImages=true")
    ok = helm_render.render(webapp, [helm_render.values_file(values), allowed], release="r")
    assert "1.dkr.ecr.af-south-1.amazonaws.com/docker-hub/bitnami/wordpress:6.7.1" in images(ok)


def test_render_error_names_the_value_that_broke_it(webapp):
    with pytest.raises(HelmFailure) as caught:
        helm_render.render(webapp, [helm_render.set_value("image=nginx")], release="r")
    message = str(caught.value)
    assert "can't evaluate field" in message  # Helm's own words
    assert 'image = "nginx" (from --set image=nginx)' in message


def test_missing_dependency_says_which_and_how_to_fetch(webapp):
    shutil.rmtree(webapp / "charts" / "db")
    with pytest.raises(MissingDependencies) as caught:
        helm_render.render(webapp, release="r")
    assert caught.value.missing == ["db"]
    assert "db 11.x.x from oci://registry-1.docker.io/bitnamicharts" in str(caught.value)
    assert f"helm dependency build {webapp}" in str(caught.value)


def test_bad_values_files(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("image: [unclosed\n")
    with pytest.raises(HelmFailure, match=r"bad\.yaml: not valid YAML"):
        helm_render.values_file(bad)
    listy = tmp_path / "list.yaml"
    listy.write_text("- a\n")
    with pytest.raises(HelmFailure, match="must be a YAML mapping"):
        helm_render.values_file(listy)
    with pytest.raises(HelmFailure, match="cannot read values file"):
        helm_render.values_file(tmp_path / "absent.yaml")
    assert helm_render.values_text("", "empty").values == {}
    assert helm_render.set_value("a=1", force_string=True).values == {"a": "1"}


def test_local_chart_that_does_not_exist(tmp_path):
    with pytest.raises(HelmFailure, match="no such directory"):
        helm_render.fetch(ChartSource(str(tmp_path / "nope")), tmp_path)


def test_split_stream_groups_documents_by_source():
    stream = (
        "---\n# Source: app/templates/a.yaml\nkind: A\n"
        "---\n# Source: app/templates/b.yaml\nkind: B\n"
        "---\n# Source: app/templates/a.yaml\nkind: A2\n"
    )
    out = helm_render.split_stream(stream)
    assert sorted(out) == ["app/templates/a.yaml", "app/templates/b.yaml"]
    assert "kind: A2" in out["app/templates/a.yaml"]


def test_manifests_are_split_as_helm_splits_them():
    """Helm cuts at every line starting with ``---``; what follows on that line is not
    part of the marker (``---# comment``: a comment of the next document), which strict
    YAML parsers reject.  An indented ``---`` inside a block scalar is content."""
    text = ("kind: ServiceAccount\n---# the role\nkind: Role\n---   \n\n"
            "kind: RoleBinding\ndata: |\n  ---\n  kept\n")
    assert helm_render.split_manifests(text) == [
        "kind: ServiceAccount", "# the role\nkind: Role",
        "kind: RoleBinding\ndata: |\n  ---\n  kept\n"]
    stream = "---\n# Source: a/templates/r.yaml\nkind: A\n---# x\n# Source: a/templates/r.yaml\n"
    assert helm_render.split_stream(stream + "kind: B\n")["a/templates/r.yaml"].count("kind") == 2


@pytest.mark.registry
def test_fetches_an_oci_chart_from_a_real_registry(webapp, tmp_path, oci_registry):
    archive = helm_python.package(webapp, destination=tmp_path)
    helm_python.push(archive, f"oci://{oci_registry}/charts", plain_http=True)
    source = ChartSource(f"oci://{oci_registry}/charts/webapp", version="24.0.0")
    fetched = helm_render.fetch(source, tmp_path, plain_http=True)
    assert fetched.name == "webapp-24.0.0.tgz"
    assert len(images(helm_render.render(fetched, release="r"))) == 4
    with pytest.raises(HelmFailure, match="cannot fetch chart"):
        helm_render.fetch(
            ChartSource(f"oci://{oci_registry}/charts/absent", version="1.0.0"),
            tmp_path,
            plain_http=True,
        )


def test_chart_written_by_the_test_helper_is_a_library_chart(tmp_path):
    lib = charts.library_chart(tmp_path / "common")
    with helm_python.Chart.load(lib) as chart:
        assert chart.metadata["type"] == "library"
