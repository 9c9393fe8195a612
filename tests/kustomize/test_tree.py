"""Finding Kustomize trees (ecr.kustomize.tree): kustomizations, includes, roots."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr.kustomize.tree import find_trees, is_remote
from tests.kustomize.trees import LAYERED, OVERLAYS, write_tree


def test_roots_are_what_no_kustomization_includes(tmp_path: Path) -> None:
    top = write_tree(tmp_path, {**OVERLAYS, **LAYERED})
    trees = sorted(find_trees([top]), key=lambda t: len(t.kustomizations))
    assert [sorted(p.relative_to(top).as_posix() for p in t.roots) for t in trees] == [
        ["app/top"],
        ["overlays/pinned", "overlays/prod", "overlays/sidecar", "overlays/staging"]]
    overlays = trees[1]
    assert (top / "base/deploy.yaml").resolve() in overlays.files
    assert (top / "components/cache/kustomization.yaml").resolve() in overlays.files
    sidecar = [k.directory.name for k in overlays.reaches((top / "overlays/sidecar").resolve())]
    assert sorted(sidecar) == ["base", "cache", "sidecar"]


def test_an_overlay_given_alone_brings_its_base(tmp_path: Path) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    (tree,) = find_trees([top / "overlays/prod/kustomization.yaml"])
    assert sorted(p.name for p in tree.kustomizations) == ["base", "prod"]
    assert [p.name for p in tree.roots] == ["prod"]


@pytest.mark.parametrize("entry", [
    "https://github.com/acme/deploy//base?ref=v1", "github.com/acme/deploy/base?ref=main",
    "git@github.com:acme/deploy.git//base", "ssh://git@example.org/acme/x.git"])
def test_remote_targets(entry: str) -> None:
    assert is_remote(entry)


def test_local_paths_are_not_remote() -> None:
    assert not is_remote("../../base")
    assert not is_remote("deploy.yaml")


def test_missing_resource_and_helm_charts_block_a_root(tmp_path: Path) -> None:
    top = write_tree(tmp_path, {"a/kustomization.yaml": "resources: [gone.yaml]\n",
                                "b/kustomization.yaml": "helmCharts:\n- name: x\n"})
    problems = {t.roots[0].name: " ".join(t.blockers(t.roots[0])) for t in find_trees([top])}
    assert "gone.yaml does not exist" in problems["a"]
    assert "helmCharts need kustomize --enable-helm" in problems["b"]
