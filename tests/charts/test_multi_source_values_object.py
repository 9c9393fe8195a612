"""``convert --apps`` on a multi-source Application (the chart from a path in the
repository, values from a ``ref: values`` source) whose ``helm.valuesObject`` sets the
chart-wide registry and a tag: the overrides go to the ``$values`` file, and every
container (and the ACME solver image the controller launches) runs exactly its cache
reference, rendered with the value file *and* the ``valuesObject`` on top, as ArgoCD
renders it."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.charts import exact, gitops, more_shapes
from tests.charts.conftest import REGISTRY

APP = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: cm
  namespace: argocd
spec:
  project: default
  destination:
    namespace: cert-manager
  sources:
    - repoURL: https://github.com/example/gitops.git
      targetRevision: main
      path: charts/cert-manager
      helm:
        releaseName: cert-manager
        valueFiles:
          - $values/env/prod/cert-manager.yaml
        valuesObject:
          imageRegistry: quay.io
          webhook:
            image:
              tag: v1.18.1
    - repoURL: https://github.com/example/gitops.git
      targetRevision: main
      ref: values
"""


def _values_object(app: Path, tmp_path: Path) -> Path:
    out = tmp_path / "values-object.yaml"
    spec = yaml.safe_load(app.read_text())["spec"]
    out.write_text(yaml.safe_dump(spec["sources"][0]["helm"]["valuesObject"]))
    return out


def test_values_object_beside_a_values_file(run_cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    chart = more_shapes.cert_manager_namespace_and_name(repo / "charts" / "cert-manager")
    values = repo / "env" / "prod" / "cert-manager.yaml"
    values.parent.mkdir(parents=True)
    values.write_text("imageNamespace: jetstack  # ours\n")
    (repo / "apps").mkdir()
    app = repo / "apps" / "cm.yaml"
    app.write_text(APP.lstrip())
    argv = ("-f", str(values), "-f", str(_values_object(app, tmp_path)))
    before = exact.rendered(run_cli, chart, *argv)
    embedded = exact.embedded(chart, values)

    result = run_cli("convert", "--registry", REGISTRY, "--apps", str(repo / "apps"), "--write")
    assert result.code == 0, result.out + result.err
    assert app.read_text() == APP.lstrip()  # the Application is not touched
    assert values.read_text().startswith("imageNamespace: jetstack  # ours\n")
    after = exact.rendered(run_cli, chart, *argv)
    exact.assert_exact(before, after)
    assert {image.split(":")[-1] for image in after.values()} == {"v1.18.1", "v1.18.2"}
    solver = [k for k, v in embedded.items() if "acme-http01-solver-image=" in v]
    changed = exact.embedded(chart, values)
    assert solver and all(changed[k] == "--acme-http01-solver-image="
                          f"{REGISTRY}/quay/jetstack/cert-manager-acmesolver:v1.18.2"
                          for k in solver), changed

    again = run_cli("convert", "--registry", REGISTRY, "--apps", str(repo / "apps"), "--check")
    assert again.code == 0, again.out + again.err


def test_the_advice_of_convert_apps_works(run_cli, tmp_path):
    """``helm.values: |`` wins over the value files: ``--apps`` says to convert it in
    the Application manifest, and ``convert --files`` on it does."""
    repo = gitops.write_repo(tmp_path / "argocd")
    (repo / "apps" / "rocketchat.yaml").unlink()
    app = repo / "apps" / "spruch.yaml"
    app.write_text(app.read_text().replace(
        "      valuesObject:\n        backup:\n          image: alpine:3.20\n",
        "      values: |\n        # our backup job\n"
        "        backup:\n          image: alpine:3.20\n"))
    argv = ("convert", "--registry", REGISTRY, "--apps", str(repo / "apps"), "--write")
    first = run_cli(*argv)
    assert first.code == 3 and "set by Application spruch: values" in first.out, first.out
    files = run_cli("convert", "--registry", REGISTRY, "--files", str(app), "--write")
    assert files.code == 0, files.out + files.err
    assert f"image: {REGISTRY}/docker-hub/library/alpine:3.20\n" in app.read_text()
    again = run_cli(*argv)
    assert again.code == 0, again.out + again.err
    check = run_cli("images", str(repo), "--registry", REGISTRY, "--check")
    assert check.code == 0, check.out + check.err
