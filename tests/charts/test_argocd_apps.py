"""ArgoCD Application manifests -> chart + values, single and multi-source."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr.charts import argocd as argocd_apps
from ecr.charts.argocd import ApplicationError
from tests.charts import gitops
from tests.charts.conftest import REGISTRY


def app(text: str):
    import yaml

    return yaml.safe_load(text)


def test_discovers_single_and_multi_source_applications(tmp_path):
    repo = gitops.write_repo(tmp_path / "argocd")
    found, problems = argocd_apps.discover([repo / "apps"])
    assert problems == []
    by_name = {a.app: a for a in found}
    assert sorted(by_name) == ["rocketchat", "spruch"]

    spruch = by_name["spruch"]
    assert spruch.chart.ref == str((repo / "charts" / "webapp").resolve())
    assert not spruch.chart.is_remote
    assert (spruch.release, spruch.namespace) == ("blog", "spruch")
    # ArgoCD's precedence: valueFiles < valuesObject < parameters
    assert [v.origin for v in spruch.values] == [
        "values-prod.yaml",
        "Application spruch: valuesObject",
        "--set volumePermissions.image.tag=12-debian",
    ]
    assert spruch.value_files == [(repo / "charts" / "webapp" / "values-prod.yaml").resolve()]

    chat = by_name["rocketchat"]
    assert (chat.release, chat.namespace) == ("rocketchat", "rocketchat")
    assert chat.value_files == [
        (repo / "environments" / "prod" / "rocketchat" / "values.yaml").resolve()
    ]


def test_remote_chart_sources(tmp_path):
    http = app(
        """
        kind: Application
        apiVersion: argoproj.io/v1alpha1
        metadata: {name: wp}
        spec:
          source: {repoURL: "https://charts.bitnami.com/bitnami", chart: wordpress,
                   targetRevision: 24.1.0, helm: {values: "image:\\n  tag: x\\n"}}
        """
    )
    (only,) = argocd_apps.from_application(http, Path("wp.yaml"), tmp_path)
    assert (only.chart.ref, only.chart.repo_url, only.chart.version) == (
        "wordpress", "https://charts.bitnami.com/bitnami", "24.1.0",
    )
    assert only.values[0].text == "image:\n  tag: x\n"

    oci = app(
        """
        kind: Application
        apiVersion: argoproj.io/v1alpha1
        metadata: {name: wp}
        spec:
          source: {repoURL: registry-1.docker.io/bitnamicharts, chart: wordpress,
                   targetRevision: 24.1.0}
        """
    )
    (only,) = argocd_apps.from_application(oci, Path("wp.yaml"), tmp_path)
    assert only.chart.ref == "oci://registry-1.docker.io/bitnamicharts/wordpress"
    assert only.chart.is_oci


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        ("{}", "no spec.source"),
        (
            "{sources: [{repoURL: x, chart: c, helm: {valueFiles: [$vals/a.yaml]}}]}",
            r"names \$vals, but no source has ref: vals",
        ),
        (
            "{source: {repoURL: https://c.example.com, chart: c, helm: {valueFiles: [v.yaml]}}}",
            "lives inside a remote chart",
        ),
        (
            "{source: {repoURL: g, path: charts/absent, helm: {valueFiles: [v.yaml]}}}",
            "not a chart in the local checkout",
        ),
        (
            "{sources: [{repoURL: x, chart: c, helm: {valueFiles: [$v/missing.yaml]}}, "
            "{repoURL: g, ref: v}]}",
            "value file \\$v/missing.yaml not found",
        ),
        ("{source: {repoURL: g, path: plain}}", "no Helm chart among its sources"),
    ],
)
def test_unresolvable_applications_say_why(tmp_path, spec, why):
    (tmp_path / "plain").mkdir()
    document = app(f"kind: Application\napiVersion: argoproj.io/v1alpha1\nmetadata: {{name: a}}\n"
                   f"spec: {spec}\n")
    with pytest.raises(ApplicationError, match=why):
        argocd_apps.from_application(document, tmp_path / "a.yaml", tmp_path)


def test_missing_optional_value_files_are_skipped(tmp_path):
    document = app(
        """
        kind: Application
        apiVersion: argoproj.io/v1alpha1
        metadata: {name: a}
        spec:
          sources:
            - {repoURL: x, chart: c, helm: {ignoreMissingValueFiles: true,
               valueFiles: [$v/missing.yaml]}}
            - {repoURL: g, ref: v}
        """
    )
    (only,) = argocd_apps.from_application(document, tmp_path / "a.yaml", tmp_path)
    assert only.value_files == []


def test_problems_are_collected_per_application(tmp_path):
    repo = gitops.write_repo(tmp_path / "argocd")
    (repo / "apps" / "broken.yaml").write_text(
        "kind: Application\napiVersion: argoproj.io/v1alpha1\nmetadata: {name: b}\nspec: {}\n"
    )
    found, problems = argocd_apps.discover([repo])
    assert len(found) == 2
    assert len(problems) == 1 and "broken.yaml" in problems[0]
    with pytest.raises(ApplicationError, match="no such file"):
        list(argocd_apps.find_manifests([repo / "absent"]))


APPSET = """
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: chats
spec:
  generators:
    - list:
        elements:
          - env: prod
          - env: staging
  template:
    metadata:
      name: "chat-{{env}}"
    spec:
      destination:
        namespace: "chat-{{env}}"
      sources:
        - repoURL: https://github.com/example/builder-space-argocd.git
          path: charts/chat
          helm:
            valueFiles:
              - $values/environments/prod/rocketchat/values.yaml
            values: |
              image:
                tag: "6.13.1"
        - repoURL: https://github.com/example/builder-space-argocd.git
          path: charts/webapp
          helm:
            valueFiles:
              - "$values/environments/{{env}}/webapp.yaml"
        - repoURL: https://github.com/example/builder-space-argocd.git
          ref: values
"""


def test_application_set_templates_render_what_needs_no_generator(tmp_path):
    """The chart source with fixed values renders (inline helm.values string included);
    the one whose values file is templated is left alone with a note."""
    repo = gitops.write_repo(tmp_path / "argocd")
    (repo / "apps" / "chats.yaml").write_text(APPSET)
    notes: list[str] = []
    found, problems = argocd_apps.discover([repo / "apps" / "chats.yaml"], repo, notes)
    assert problems == []
    (chat,) = found
    assert chat.app == "chats" and chat.namespace == "default"
    assert [v.origin for v in chat.values] == [
        "$values/environments/prod/rocketchat/values.yaml", "Application chats: values"]
    assert chat.values[1].text == 'image:\n  tag: "6.13.1"\n'
    assert len(notes) == 2
    assert "destination.namespace is templated" in notes[0]
    assert "source charts/webapp left alone: helm templated" in notes[1]


def test_application_set_images_and_convert(run_cli, tmp_path):
    repo = gitops.write_repo(tmp_path / "argocd")
    (repo / "apps" / "spruch.yaml").unlink()
    (repo / "apps" / "rocketchat.yaml").unlink()
    (repo / "apps" / "chats.yaml").write_text(APPSET)
    result = run_cli("images", str(repo / "apps"), "--registry", REGISTRY, "-o", "json",
                     "--alias", "registry.rocket.chat=docker.io")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    (image,) = data["images"]
    assert image["image"] == "registry.rocket.chat/rocketchat/rocket.chat:6.13.1"
    assert "note: " in result.err and "left alone" in result.err
    converted = run_cli("convert", "--registry", REGISTRY, "--apps", str(repo / "apps"),
                        "--write", "--alias", "registry.rocket.chat=docker.io")
    assert converted.code == 0, converted.out + converted.err
    prod = repo / "environments" / "prod" / "rocketchat" / "values.yaml"
    assert f"repository: {REGISTRY}/docker-hub/rocketchat/rocket.chat" in prod.read_text()
