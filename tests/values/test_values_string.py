"""An ArgoCD Application's ``helm.values: |`` (Helm values as a literal block string,
which wins over its value files): the images in it are converted as values text of
their own and the string put back at its indentation, so it reads back as exactly
the new values; ``convert --apps`` says to convert it there, and now that works."""

from __future__ import annotations

import yaml

from ecr.values.rewrite import rewrite
from tests.charts.conftest import REGISTRY

APP = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: blog
spec:
  sources:
    - repoURL: https://example.com/charts
      chart: webapp
      helm:
        values: |
          # our backup job
          backup:
            image: alpine:3.20   # pinned

          web:
            image:
              repository: bitnami/nginx
              tag: "1.27"
        valueFiles:
          - $values/blog.yaml
"""


def _values(text: str) -> str:
    return str(yaml.safe_load(text)["spec"]["sources"][0]["helm"]["values"])


def test_images_in_a_values_string_are_converted():
    result = rewrite(APP, "app.yaml", REGISTRY)
    inner = _values(result.text)
    assert inner == _values(APP).replace(
        "alpine:3.20", f"{REGISTRY}/docker-hub/library/alpine:3.20").replace(
        "repository: bitnami/nginx", f"repository: {REGISTRY}/docker-hub/bitnami/nginx")
    assert "# pinned" in result.text and "\n        valueFiles:\n" in result.text
    assert {c.after for c in result.changes} == {
        f"{REGISTRY}/docker-hub/library/alpine:3.20", f"{REGISTRY}/docker-hub/bitnami/nginx:1.27"}
    assert {c.line for c in result.changes} == {13, 17}
    assert not any("holds Helm values as a string" in n for n in result.notes), result.notes
    assert rewrite(result.text, "app.yaml", REGISTRY).text == result.text  # idempotent


def test_chomping_and_crlf_read_back_exactly():
    for header in ("|-", "|+"):
        text = APP.replace("values: |", f"values: {header}").replace(
            '              tag: "1.27"\n', '              tag: "1.27"\n\n')
        result = rewrite(text, "app.yaml", REGISTRY)
        assert _values(result.text).endswith(_values(text)[-2:]), header
        assert f"{REGISTRY}/docker-hub/library/alpine:3.20" in _values(result.text)
    crlf = APP.replace("\n", "\r\n")
    result = rewrite(crlf, "app.yaml", REGISTRY)
    assert "\n" not in result.text.replace("\r\n", "")
    assert f"{REGISTRY}/docker-hub/library/alpine:3.20" in _values(result.text)


def test_a_folded_string_is_left_with_the_note():
    text = APP.replace("values: |", "values: >")
    result = rewrite(text, "app.yaml", REGISTRY)
    assert result.text == text
    assert any("holds Helm values as a string" in n for n in result.notes)



def test_a_setting_added_inside_the_string_reads_back():
    text = APP.replace("          web:\n", "          global:\n            imageRegistry: \"\"\n"
                       "          web:\n").replace(
        "              repository: bitnami/nginx\n",
        "              registry: docker.io\n              repository: bitnami/nginx\n")
    result = rewrite(text, "app.yaml", REGISTRY, allow_insecure_images=True)
    inner = yaml.safe_load(_values(result.text))
    assert inner["global"]["security"] == {"allowInsecureImages": True}
    assert inner["web"]["image"]["registry"] == f"{REGISTRY}/docker-hub"
    (setting,) = result.settings
    assert setting.startswith("app.yaml:11 spec.sources[0].helm.values: global.security"), setting
