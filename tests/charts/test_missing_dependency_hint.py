"""A missing chart dependency names --dependency-build too (docs/conversion.md)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ecr.charts.helm import MissingDependencies
from ecr.cli import main
from tests.charts import charts


def test_message_names_the_flag() -> None:
    error = MissingDependencies(Path("charts/wordpress"), [
        {"name": "mariadb", "version": "20.x.x", "repository": "oci://registry-1.docker.io/x"}])
    text = str(error)
    assert "helm dependency build charts/wordpress" in text
    assert "--dependency-build" in text


def test_images_on_a_chart_without_its_subchart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    chart = charts.webapp_chart(tmp_path / "webapp")
    shutil.rmtree(chart / "charts" / "db")
    monkeypatch.setenv("ECR_REGISTRY", "123456789012.dkr.ecr.af-south-1.amazonaws.com")
    monkeypatch.setenv("ECR_HELM_BACKEND", "sdk")
    assert main.main(["images", "--chart", str(chart)]) == 2
    err = capsys.readouterr().err
    assert "missing chart dependencies" in err and "--dependency-build" in err
