"""``convert --apps`` on Applications whose values are inline, and value files ArgoCD
refuses (issues 19 and 20)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.charts import exact, switch_shapes
from tests.charts.conftest import REGISTRY

SECRET = "sk_live_DO_NOT_PRINT_ME"


def _app(name: str, helm: str, path: str = "charts/exporter") -> str:
    return f"""\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  destination:
    namespace: {name}
  source:
    repoURL: https://github.com/example/gitops.git
    targetRevision: main
    path: {path}
    helm:
{helm}"""


def _repo(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    switch_shapes.rbac_proxy_sidecar(root / "charts" / "exporter")
    (root / "apps").mkdir()
    return root


def test_value_files_outside_the_repository_are_refused_never_read(run_cli, tmp_path):
    repo = _repo(tmp_path / "repo")
    outside = tmp_path / "outside" / "values.yaml"
    outside.parent.mkdir()
    outside_text = f"apiKey: {SECRET}\nimage:\n  registry: docker.io\n"
    outside.write_text(outside_text)
    (repo / "apps" / "escape.yaml").write_text(_app(
        "escape", "      valueFiles:\n        - ../../../outside/values.yaml\n"))
    (repo / "apps" / "absolute.yaml").write_text(_app(
        "absolute", f"      valueFiles:\n        - {outside}\n"))
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(repo / "apps"),
                     "--write")
    said = result.out + result.err
    assert result.code == 2
    assert SECRET not in said and "apiKey" not in said
    assert outside.read_text() == outside_text
    assert f"{repo / 'apps' / 'escape.yaml'}: line 14: Application escape: value file " \
           "../../../outside/values.yaml resolves outside the repository" in said
    # an absolute path is inside the repository, as ArgoCD reads it: not there
    assert f"{repo / 'apps' / 'absolute.yaml'}: Application absolute: value file {outside} " \
           f"not found at {repo}{outside}" in said


VALUES_OBJECT = """\
      valuesObject:
        # our exporter
        image:
          tag: "2.1"
        replicas: 2
      parameters:
        - name: kubeRbacProxy.image.tag
          value: v0.18.0
"""


def _rendered(run_cli, chart: Path, values: object, *extra: str) -> dict[exact.Key, str]:
    path = chart.parent / "rendered-values.yaml"
    path.write_text(yaml.safe_dump(values))
    return exact.rendered(run_cli, chart, "-f", str(path), *extra)


def test_an_inline_values_object_gets_the_proven_overrides(run_cli, tmp_path):
    repo = _repo(tmp_path / "repo")
    chart = repo / "charts" / "exporter"
    app = repo / "apps" / "exporter.yaml"
    app.write_text(_app("exporter", VALUES_OBJECT))
    before_doc = yaml.safe_load(app.read_text())
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--write")
    assert result.code == 0, result.out + result.err
    text = app.read_text()
    assert "# our exporter" in text and "replicas: 2" in text  # merged, the rest kept
    after_doc = yaml.safe_load(text)
    helm = after_doc["spec"]["source"]["helm"]
    assert helm["parameters"] == before_doc["spec"]["source"]["helm"]["parameters"]
    old = before_doc["spec"]["source"]["helm"]["valuesObject"]
    new = helm["valuesObject"]
    assert new["image"]["tag"] == "2.1" and new["replicas"] == 2
    for switched in ([], ["--set", "kubeRbacProxy.enabled=true"]):
        exact.assert_exact(_rendered(run_cli, chart, old, *switched),
                           _rendered(run_cli, chart, new, *switched))
    again = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--check")
    assert again.code == 0, again.out + again.err


def test_an_inline_values_string_gets_the_proven_overrides(run_cli, tmp_path):
    repo = _repo(tmp_path / "repo")
    chart = repo / "charts" / "exporter"
    app = repo / "apps" / "exporter.yaml"
    app.write_text(_app("exporter", "      values: |\n        # tuned\n        replicas: 3\n"))
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--write")
    assert result.code == 0, result.out + result.err
    values = yaml.safe_load(app.read_text())["spec"]["source"]["helm"]["values"]
    assert values.startswith("# tuned\nreplicas: 3\n")
    new = yaml.safe_load(values)
    exact.assert_exact(_rendered(run_cli, chart, {"replicas": 3}),
                       _rendered(run_cli, chart, new))


def test_a_broken_value_file_is_named_by_line_never_quoted(run_cli, tmp_path):
    repo = _repo(tmp_path / "repo")
    values = repo / "charts" / "exporter" / "values-prod.yaml"
    values.write_text(f"replicas: 1\napiKey: {SECRET}\n  broken: [\n")
    (repo / "apps" / "prod.yaml").write_text(_app(
        "prod", "      valueFiles:\n        - values-prod.yaml\n"))
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(repo / "apps"))
    said = result.out + result.err
    assert result.code == 2
    assert f"{values}: not valid YAML: line 3, column" in said
    assert SECRET not in said and "apiKey" not in said


@pytest.mark.registry
def test_an_inline_application_of_a_remote_oci_chart(run_cli, tmp_path, oci_registry):
    """A chart from a registry (here a real one on loopback) with valuesObject only."""
    import helm_python

    chart = switch_shapes.rbac_proxy_sidecar(tmp_path / "exporter")
    helm_python.push(helm_python.package(chart, destination=tmp_path),
                     f"oci://{oci_registry}/charts", plain_http=True)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    app = repo / "exporter.yaml"
    app.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: exporter\n"
        f"spec:\n  source:\n    repoURL: oci://{oci_registry}/charts\n    chart: exporter\n"
        "    targetRevision: 1.0.0\n    helm:\n      valuesObject:\n        replicas: 2\n")
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--plain-http",
                     "--write")
    assert result.code == 0, result.out + result.err
    new = yaml.safe_load(app.read_text())["spec"]["source"]["helm"]["valuesObject"]
    for switched in ([], ["--set", "kubeRbacProxy.enabled=true"]):
        exact.assert_exact(_rendered(run_cli, chart, {"replicas": 2}, *switched),
                           _rendered(run_cli, chart, new, *switched))


def test_the_right_source_of_the_right_application_is_written(run_cli, tmp_path):
    """Two Applications in one file; a multi-source one whose chart source carries
    valuesObject: each gets its own overrides, in its own place."""
    repo = _repo(tmp_path / "repo")
    chart = repo / "charts" / "exporter"
    app = repo / "apps" / "both.yaml"
    multi = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: multi\n"
        "spec:\n  sources:\n    - repoURL: https://github.com/example/gitops.git\n"
        "      ref: values\n    - repoURL: https://github.com/example/gitops.git\n"
        "      path: charts/exporter\n      helm:\n        valuesObject:\n"
        "          kubeRbacProxy:\n            enabled: true\n")
    app.write_text(_app("single", "      valuesObject:\n        replicas: 1\n") + "---\n"
                   + multi)
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--write")
    assert result.code == 0, result.out + result.err
    single, written = yaml.safe_load_all(app.read_text())
    new = written["spec"]["sources"][1]["helm"]["valuesObject"]
    assert new["kubeRbacProxy"]["enabled"] is True
    exact.assert_exact(_rendered(run_cli, chart, {"kubeRbacProxy": {"enabled": True}}),
                       _rendered(run_cli, chart, new))
    own = single["spec"]["source"]["helm"]["valuesObject"]
    assert own["replicas"] == 1 and f"{REGISTRY}/docker-hub" in json.dumps(own)
    exact.assert_exact(_rendered(run_cli, chart, {"replicas": 1}), _rendered(run_cli, chart, own))


def test_an_inline_image_no_render_reads_is_listed_in_the_manifest(run_cli, tmp_path):
    repo = _repo(tmp_path / "repo")
    app = repo / "apps" / "exporter.yaml"
    app.write_text(_app("exporter", "      valuesObject:\n        legacy:\n"
                                    "          image: docker.io/acme/old:0.1\n"))
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--write")
    assert result.code == 3, result.out + result.err
    assert (f"left for you: docker.io/acme/old:0.1 ({app} spec.source.helm.valuesObject:2 "
            "legacy.image): no render of the chart reads it") in result.out
    assert "ecr-convert-" not in result.out + result.err  # no temporary path


def test_an_application_of_chart_defaults_gets_a_values_object(run_cli, tmp_path):
    """No value file, no inline values, only parameters: a valuesObject is created
    (before the parameters, as ArgoCD orders them), the rest of the manifest kept."""
    repo = _repo(tmp_path / "repo")
    chart = repo / "charts" / "exporter"
    app = repo / "apps" / "exporter.yaml"
    app.write_text(_app("exporter", "      parameters:\n        - name: image.tag\n"
                                    "          value: \"2.1\"\n"))
    before = app.read_text()
    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(app), "--write")
    assert result.code == 0, result.out + result.err
    after = yaml.safe_load(app.read_text())
    helm = after["spec"]["source"]["helm"]
    assert helm["parameters"] == [{"name": "image.tag", "value": "2.1"}]
    assert app.read_text().startswith(before.split("    helm:")[0])
    for switched in ([], ["--set", "kubeRbacProxy.enabled=true"]):
        exact.assert_exact(_rendered(run_cli, chart, {}, *switched),
                           _rendered(run_cli, chart, helm["valuesObject"], *switched))
