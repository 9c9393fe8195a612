"""Kustomize ``images:`` entries (issue 12 point 6): convert writes ``newName`` and keeps
the tag/digest semantics (kustomize matches ``name`` against the image name without tag,
then applies newName, newTag and digest)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ecr.cli.main import main
from ecr.values.rewrite import rewrite

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
SHA = "sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3"

BEFORE = f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deploy.yaml
images:
- name: nginx            # official image: library/ in the cache
  newTag: "1.27"
- name: redis
  newName: bitnami/redis
  digest: {SHA}
- {{name: app, newName: quay.io/org/app}}
- name: gcr.io/x/y       # not cacheable: left alone
- name: postgres         # no tag here: the resource's tag is kept
"""

AFTER = f"""\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deploy.yaml
images:
- name: nginx            # official image: library/ in the cache
  newTag: "1.27"
  newName: {REG}/docker-hub/library/nginx
- name: redis
  newName: {REG}/docker-hub/bitnami/redis
  digest: {SHA}
- {{name: app, newName: {REG}/quay/org/app}}
- name: gcr.io/x/y       # not cacheable: left alone
- name: postgres         # no tag here: the resource's tag is kept
  newName: {REG}/docker-hub/library/postgres
"""


def kustomize_image(entries: list[dict[str, str]], image: str) -> str:
    """What kustomize's image transformer makes of a resource's ``image`` (its rules:
    match on the name without tag/digest, then newName, newTag, digest)."""
    name, _, tag = image.partition(":")
    for entry in entries:
        if entry["name"] == name:
            name = entry.get("newName", name)
            if "newTag" in entry:
                tag = entry["newTag"]
            result = f"{name}:{tag}" if tag else name
            if "digest" in entry:
                result = f"{name}@{entry['digest']}"
            return result
    return image


def test_new_name_written_tag_and_digest_kept() -> None:
    result = rewrite(BEFORE, "kustomization.yaml", REG)
    assert result.text == AFTER
    assert [s.kind for s in result.skips] == ["unsupported"]
    assert rewrite(AFTER, "kustomization.yaml", REG).changed is False  # idempotent


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("nginx:1.25", f"{REG}/docker-hub/library/nginx:1.27"),
        ("redis:7", f"{REG}/docker-hub/bitnami/redis@{SHA}"),
        ("app:v2", f"{REG}/quay/org/app:v2"),
        ("postgres:16", f"{REG}/docker-hub/library/postgres:16"),
        ("gcr.io/x/y:1", "gcr.io/x/y:1"),
    ],
)
def test_what_kustomize_builds_is_the_exact_cache_reference(image: str, expected: str) -> None:
    after = yaml.safe_load(AFTER)["images"]
    assert kustomize_image(after, image) == expected


def test_kustomization_without_kind_by_file_name(tmp_path: Path) -> None:
    """--files routes a kustomization through its tree (ecr.kustomize): rendered by
    kubectl kustomize, the entry that gives the name gets newName."""
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
        "spec: {containers: [{name: c, image: 'nginx:1.25'}]}\n")
    path = tmp_path / "kustomization.yml"
    path.write_text("resources: [pod.yaml]\nimages:\n- name: nginx\n  newTag: '1.27'\n")
    assert main(["convert", "--registry", REG, "--files", str(tmp_path), "--write"]) == 0
    assert path.read_text() == (
        "resources: [pod.yaml]\n"
        f"images:\n- name: nginx\n  newTag: '1.27'\n  newName: {REG}/docker-hub/library/nginx\n"
    )
    assert "nginx:1.25" in (tmp_path / "pod.yaml").read_text()  # the resource stays


def test_images_list_elsewhere_is_not_kustomize() -> None:
    text = "images:\n- name: nginx\n"
    assert rewrite(text, "values.yaml", REG).changed is False


def test_bitnami_kustomize_images_add_no_helm_setting() -> None:
    text = "kind: Kustomization\napiVersion: kustomize.config.k8s.io/v1beta1\n" \
           "images:\n- name: bitnami/nginx\n"
    result = rewrite(text, "kustomization.yaml", REG, allow_insecure_images=True)
    assert "global" not in result.text
    assert result.text.endswith(f"  newName: {REG}/docker-hub/bitnami/nginx\n")
