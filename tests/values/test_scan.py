"""ecr.values.scan: finding image references in values files and manifests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr.values.scan import FoundImage, UnparseableYaml, collect_files, find_images, scan

SHA = "5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3"

VALUES = f"""\
# shapes seen in popular charts
image:
  registry: docker.io
  repository: bitnami/wordpress
  tag: 6.4.2
mongodb:
  image:
    registry: docker.io
    repository: bitnami/mongodb
    digest: ""
rocketchat:
  image:
    repository: registry.rocket.chat/rocketchat/rocket.chat
controller:
  image:
    registry: registry.k8s.io
    image: ingress-nginx/controller
    tag: "v1.9.4"
    digest: sha256:{SHA}
grafana:
  image:
    repository: grafana/grafana
    tag: ""
    sha: "{SHA}"
sidecars:
  - name: reloader
    image: "kiwigrid/k8s-sidecar:1.25.2"
  - name: templated
    image: '{{{{ .Values.sidecar.image }}}}'
  - name: empty
    image: ""
initImage: busybox:1.36
someFlagImage: true
useCustomImage: "true"
pullImage: Always
imagePullPolicy: IfNotPresent
helm:
  repository: https://charts.example.com
"""


def by_path(found: list[FoundImage]) -> dict[str, FoundImage]:
    return {f.key_path: f for f in found}


def test_values_shapes() -> None:
    found = by_path(find_images(VALUES, "values.yaml"))
    assert set(found) == {
        "image", "mongodb.image", "rocketchat.image", "controller.image", "grafana.image",
        "sidecars[0].image", "sidecars[1].image", "sidecars[2].image", "initImage",
    }
    assert found["image"] == FoundImage(
        "values.yaml", 4, "image", "docker.io/bitnami/wordpress:6.4.2", "registry+repository",
        None,
    )
    assert found["mongodb.image"].reference == "docker.io/bitnami/mongodb"
    assert found["rocketchat.image"].reference == "registry.rocket.chat/rocketchat/rocket.chat"
    assert found["rocketchat.image"].shape == "repository"
    assert found["controller.image"].reference == (
        f"registry.k8s.io/ingress-nginx/controller:v1.9.4@sha256:{SHA}"
    )
    assert found["controller.image"].shape == "registry+image"
    assert found["grafana.image"].reference == f"docker.io/grafana/grafana@sha256:{SHA}"
    assert found["sidecars[0].image"].reference == "docker.io/kiwigrid/k8s-sidecar:1.25.2"
    assert found["sidecars[0].image"].line == 27
    assert found["sidecars[1].image"].note == "templated value ({{ }}) left alone"
    assert found["sidecars[2].image"].note == "empty value left alone"
    assert found["initImage"].reference == "docker.io/library/busybox:1.36"


MANIFESTS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      initContainers:
        - name: init
          image: &base alpine:3.20
      containers:
        - name: web
          image: nginx:1.27
        - name: again
          image: *base
---
# second document
apiVersion: batch/v1
kind: CronJob
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - {name: job, image: "quay.io/a/b:2"}
...
"""


def test_multi_document_manifests() -> None:
    found = find_images(MANIFESTS, "m.yaml")
    assert [(f.key_path, f.reference, f.line) for f in found] == [
        ("spec.template.spec.initContainers[0].image", "docker.io/library/alpine:3.20", 10),
        ("spec.template.spec.containers[0].image", "docker.io/library/nginx:1.27", 13),
        ("spec.template.spec.containers[1].image", "docker.io/library/alpine:3.20", 10),
        ("spec.jobTemplate.spec.template.spec.containers[0].image", "quay.io/a/b:2", 26),
    ]
    result = scan(MANIFESTS, "m.yaml")
    assert [d.is_manifest for d in result.documents] == [True, True]


def test_positions_are_exact_with_crlf_bom_and_non_ascii() -> None:
    text = (
        "\ufeff# é\r\nimage:\r\n  repository: 'bitnami/x'\r\n  tag: \"1\"\r\n"
        "alt: ünï\r\nimage2Image: a:1\r\n"
    )
    result = scan(text, "t.yaml")
    for site in result.sites:
        for scalar in site.fields.values():
            raw = text[scalar.start : scalar.end]
            if scalar.style is None:
                assert raw == scalar.value
            else:
                assert raw == f"{scalar.style}{scalar.value}{scalar.style}"
    assert [s.found.reference for s in result.sites] == [
        "docker.io/bitnami/x:1", "docker.io/library/a:1",
    ]


def test_anchor_properties_are_not_part_of_the_value_range() -> None:
    text = "image: &img !!str 'nginx:1'\nother:\n  image: *img\n"
    result = scan(text)
    scalar = result.sites[0].fields["image"]
    assert text[scalar.start : scalar.end] == "'nginx:1'"


def test_global_facts() -> None:
    text = "global:\n  imageRegistry: docker.io\n  security:\n    allowInsecureImages: true\n"
    document = scan(text).documents[0]
    assert document.global_registry is not None and document.global_registry.value == "docker.io"
    assert document.allow_insecure is not None and document.allow_insecure.is_true


def test_global_image_registry_wins_for_registry_repository_only() -> None:
    text = (
        "global:\n  imageRegistry: quay.io\n"
        "image:\n  registry: docker.io\n  repository: bitnami/nginx\n"
        "controller:\n  image:\n    registry: registry.k8s.io\n"
        "    image: ingress-nginx/controller\n"
    )
    refs = [f.reference for f in find_images(text)]
    assert refs == ["quay.io/bitnami/nginx", "registry.k8s.io/ingress-nginx/controller"]


def test_invalid_reference_is_reported_with_reason() -> None:
    [found] = find_images("image: Not/A/Valid:Ref:x\n")
    assert found.note is not None and found.note.startswith("invalid reference:")


@pytest.mark.parametrize(
    "text",
    [
        "image: [unclosed\n",
        "a: b\n c: d: e\n",
        "key: 'open\n",
        "image: {{ .Values.image }}:{{ .Values.tag }}\n",
    ],
)
def test_unparseable(text: str) -> None:
    with pytest.raises(UnparseableYaml) as info:
        find_images(text, "bad.yaml")
    assert str(info.value).startswith("bad.yaml:")


def test_empty_and_scalar_documents() -> None:
    assert find_images("") == []
    assert find_images("---\n---\njust text\n") == []
    assert find_images("- image: nginx\n") [0].key_path == "[0].image"


def test_collect_files(tmp_path: Path) -> None:
    (tmp_path / "env" / "prod").mkdir(parents=True)
    (tmp_path / "env" / "prod" / "values.yaml").write_text("a: 1\n")
    (tmp_path / "env" / "b.yml").write_text("a: 1\n")
    (tmp_path / "env" / "notes.txt").write_text("x\n")
    (tmp_path / "env" / ".git").mkdir()
    (tmp_path / "env" / ".git" / "x.yaml").write_text("a: 1\n")
    chart = tmp_path / "env" / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("name: c\n")
    (chart / "values.yaml").write_text("a: 1\n")
    (chart / "templates" / "deploy.yaml").write_text("{{ x }}\n")
    single = tmp_path / "single.yaml"
    single.write_text("a: 1\n")
    files = collect_files([tmp_path / "env", single, single])
    assert [p.relative_to(tmp_path).as_posix() for p in files] == [
        "env/b.yml", "env/chart/Chart.yaml", "env/chart/values.yaml", "env/prod/values.yaml",
        "single.yaml",
    ]
    with pytest.raises(FileNotFoundError, match=r"missing\.yaml"):
        collect_files([tmp_path / "missing.yaml"])


def test_helm_values_as_a_string_are_noted() -> None:
    text = (
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nspec:\n  source:\n    helm:\n"
        "      values: |\n        image:\n          repository: bitnami/nginx\n"
        "      valuesObject:\n        image:\n          repository: bitnami/redis\n"
    )
    result = scan(text, "app.yaml")
    assert [s.found.key_path for s in result.sites] == ["spec.source.helm.valuesObject.image"]
    assert result.notes == [
        "app.yaml:6: spec.source.helm.values holds Helm values as a string; images in it are "
        "not rewritten (use valuesObject, a values file, or --apps)"
    ]


def test_istio_names_under_hub() -> None:
    text = (
        "global:\n  hub: docker.io/istio\npilot:\n  image: pilot\n"
        "other:\n  image: quay.io/a/b:1\n"
    )
    result = scan(text)
    assert [p.found.reference for p in result.prefixes] == ["docker.io/istio/*"]
    notes = {s.found.key_path: (s.found.reference, s.found.note) for s in result.sites}
    assert notes["pilot.image"] == (
        "docker.io/istio/pilot", "image name under hub docker.io/istio: converted with the hub"
    )
    # istio's rule: a value with a "/" is a full reference
    assert notes["other.image"] == ("quay.io/a/b:1", None)
