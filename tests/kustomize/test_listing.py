"""``images --kustomize DIR`` and ``verify PATH`` list what each Kustomize root renders
(real kustomize), not the entries and resources as the files spell them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr.cli.commands.verify import collect_inputs
from ecr.cli.main import main
from tests.kustomize.trees import OVERLAYS, REG, write_tree


def test_images_lists_every_overlay_container(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    assert main(["images", "--registry", REG, "--kustomize", str(top), "-o", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    seen = {(Path(i["release"].removeprefix("kustomize:")).name, i["name"], i["container"]):
            (i["image"], i["status"]) for i in report["images"]}
    assert seen[("prod", "web", "nginx")] == ("nginx:1.27", "bypass")
    assert seen[("staging", "staging-web", "nginx")] == \
        ("nginxinc/nginx-unprivileged:1.25", "bypass")
    assert seen[("sidecar", "web-sc", "cache")] == ("redis:7.2", "bypass")  # the component's
    assert seen[("prod", "report", "distroless")] == \
        ("gcr.io/distroless/static:nonroot", "uncacheable")
    assert not any(name == "base" for name, _, _ in seen)  # a base is not deployed alone


def test_images_check_passes_once_converted(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    files = {k: v for k, v in OVERLAYS.items() if "cron" not in k}
    files["base/kustomization.yaml"] = "resources:\n- deploy.yaml\n"
    top = write_tree(tmp_path, files)
    assert main(["images", "--registry", REG, "--kustomize", str(top), "--check"]) == 1
    assert "--files DIR --write gives each Kustomize overlay" in capsys.readouterr().out
    assert main(["convert", "--registry", REG, "--files", str(top), "--write"]) == 0
    capsys.readouterr()
    assert main(["images", "--registry", REG, "--kustomize", str(top), "--check"]) == 0
    assert "bypass" not in capsys.readouterr().out


def test_images_reports_an_unrenderable_root(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    top = write_tree(tmp_path, {"k/kustomization.yaml": "resources:\n- missing.yaml\n"})
    assert main(["images", "--registry", REG, "--kustomize", str(top)]) == 2
    assert "missing.yaml does not exist" in capsys.readouterr().err


def test_verify_collects_rendered_images_not_the_files(tmp_path: Path) -> None:
    top = write_tree(tmp_path, OVERLAYS)
    images = {i.image: i.sources for i in collect_inputs([str(top)])}
    assert "nginx:1.27" in images and "nginxinc/nginx-unprivileged:1.25" in images
    assert "quay.io/acme/agent:v4" in images  # staging's newTag
    # the base's nginx:1.25 runs only where the sidecar overlay keeps it
    assert [s.split(":")[0] for s in images["nginx:1.25"]] == [str(top / "overlays/sidecar")]
