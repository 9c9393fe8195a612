"""ArgoCD Applications with ``kustomize.images`` on a local kustomization (issue 19):
the strings are converted so that, after ArgoCD's ``kustomize edit set image``, every
container runs the cache reference of what it ran before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from ecr.cli.main import main
from ecr.kustomize.argocd import SetImage, _edited, parse_set_image, set_images
from tests.kustomize.trees import OVERLAYS, REG, SHA, cache_form, running, same_image, write_tree

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-prod
spec:
  project: default
  source:
    repoURL: https://git.example.org/acme/deploy.git
    path: overlays/prod
    kustomize:
      images:
      - nginx:1.28       # the app pins its own tag
      - "quay.io/acme/agent=quay.io/acme/agent-fips:v5"
      - gcr.io/distroless/static:debug
  destination: {server: https://kubernetes.default.svc, namespace: web}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: web-staging
spec:
  sources:
  - repoURL: https://git.example.org/acme/values.git
    ref: values
  - repoURL: https://git.example.org/acme/deploy.git
    path: overlays/staging
    kustomize:
      images: ['busybox@SHA']
""".replace("SHA", SHA)


def argocd_render(repo: Path, app: dict[str, object], source: dict[str, object],
                  scratch: Path) -> dict[tuple[str, ...], str]:
    """What ArgoCD deploys: a copy of the repository, the source's kustomization edited
    as ``kustomize edit set image`` does, rendered by kubectl kustomize."""
    copy = scratch / str(len(list(scratch.iterdir())) if scratch.exists() else 0)
    shutil.copytree(repo, copy)
    kustomization = copy / str(source["path"]) / "kustomization.yaml"
    images = source["kustomize"]["images"]  # type: ignore[index]
    kustomization.write_text(_edited(kustomization.read_text(), images))
    return running(kustomization.parent)


def sources(path: Path) -> list[tuple[dict[str, object], dict[str, object]]]:
    found = []
    for app in yaml.safe_load_all(path.read_text()):
        spec = app["spec"]
        for source in [spec.get("source"), *spec.get("sources", [])]:
            if source and source.get("kustomize"):
                found.append((app, source))
    return found


@pytest.mark.parametrize("with_tree", [False, True], ids=["apps-only", "apps-and-tree"])
def test_every_container_argocd_deploys_moves_only_its_registry(
        tmp_path: Path, with_tree: bool) -> None:
    repo = write_tree(tmp_path / "repo", {**OVERLAYS, "apps/web.yaml": APP})
    (repo / ".git").mkdir()
    manifest = repo / "apps/web.yaml"
    before = [argocd_render(repo, app, source, tmp_path / "before")
              for app, source in sources(manifest)]
    main(["convert", "--registry", REG, "--files",
          str(repo if with_tree else repo / "apps"), "--write"])
    after = [argocd_render(repo, app, source, tmp_path / "after")
             for app, source in sources(manifest)]
    named = {("web-prod", "nginx"), ("web-prod", "agent"), ("web-staging", "setup")}
    for (app, _), old, new in zip(sources(manifest), before, after, strict=True):
        assert old.keys() == new.keys()
        for key, image in old.items():
            expected = cache_form(image)
            if expected is None:
                assert new[key] == image
            elif with_tree or (app["metadata"]["name"], key[-1]) in named:  # type: ignore[index]
                assert same_image(new[key], expected), (key, image, new[key])
            else:  # only the tree's conversion moves what the strings do not name
                assert new[key] == image
    prod = before[0][("Deployment", "", "web", "containers", "agent")]
    assert prod == "quay.io/acme/agent-fips:v5"  # the Application's own override ran


def test_strings_written_in_place(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", {**OVERLAYS, "apps/web.yaml": APP})
    (repo / ".git").mkdir()
    assert main(["convert", "--registry", REG, "--files", str(repo / "apps"), "--write"]) == 3
    text = (repo / "apps/web.yaml").read_text()
    assert text == APP.replace(
        "- nginx:1.28       #", f'- "nginx={REG}/docker-hub/library/nginx:1.28"       #'
    ).replace('"quay.io/acme/agent=quay.io/acme/agent-fips:v5"',
              f'"quay.io/acme/agent={REG}/quay/acme/agent-fips:v5"'
    ).replace(f"images: ['busybox@{SHA}']",
              f"images: ['busybox={REG}/docker-hub/library/busybox@{SHA}']")


def test_a_path_that_is_no_local_kustomization_is_noted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = write_tree(tmp_path / "repo", {"apps/x.yaml": APP.split("---")[0]})
    (repo / ".git").mkdir()
    assert main(["convert", "--registry", REG, "--files", str(repo), "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "its path 'overlays/prod' is no kustomization" in " ".join(report["files"][0]["notes"])
    assert report["summary"]["files_changed"] == 0


def test_kustomize_set_image_arguments() -> None:
    """kustomize's documented forms (edit set image --help)."""
    assert parse_set_image("postgres=eu.gcr.io/my-project/postgres:latest") == \
        SetImage("postgres", "eu.gcr.io/my-project/postgres", "latest")
    assert parse_set_image(f"my-app=my-registry/my-app@{SHA}") == \
        SetImage("my-app", "my-registry/my-app", "", SHA)
    assert parse_set_image("node:8.15.0") == SetImage("node", "", "8.15.0")
    assert parse_set_image(f"alpine@{SHA}") == SetImage("alpine", "", "", SHA)
    assert parse_set_image("localhost:5000/app:1") == SetImage("localhost:5000/app", "", "1")
    assert parse_set_image("mysql=mariadb") == SetImage("mysql", "mariadb")
    with pytest.raises(ValueError, match="no kustomize image argument"):
        parse_set_image("nginx")


def test_set_image_replaces_the_entry_of_its_name_and_sorts() -> None:
    images = [{"name": "nginx", "newName": "cache/nginx", "newTag": "1.27"},
              {"name": "alpine", "newTag": "3"}]
    assert set_images(images, [parse_set_image("nginx:1.28")]) == [
        {"name": "alpine", "newTag": "3"}, {"name": "nginx", "newTag": "1.28"}]
    assert set_images(images, [parse_set_image("nginx=*:1.28")]) == [
        {"name": "alpine", "newTag": "3"},
        {"name": "nginx", "newName": "cache/nginx", "newTag": "1.28"}]


def test_an_application_set_template_is_noted(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    appset = ("apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: s}\n"
              "spec:\n  generators: [{list: {elements: [{env: prod}]}}]\n  template:\n"
              "    spec:\n      source:\n        path: 'overlays/{{env}}'\n"
              "        kustomize: {images: ['nginx:1.28']}\n")
    repo = write_tree(tmp_path / "repo", {**OVERLAYS, "apps/set.yaml": appset})
    (repo / ".git").mkdir()
    assert main(["convert", "--registry", REG, "--files", str(repo / "apps")]) == 0
    assert "ApplicationSet s: the kustomize.images of its template are left alone" in \
        capsys.readouterr().err
