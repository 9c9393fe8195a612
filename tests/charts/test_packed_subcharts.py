"""The state a chart is in after ``helm pull`` / ``helm dependency build``: its
subcharts packed as ``charts/<name>-<version>.tgz``, and the chart itself a ``.tgz``.
The conversion must be as exact as with the subcharts as directories."""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from tests.charts import exact, family_shapes, more_shapes
from tests.charts.conftest import REGISTRY

WITH_SUBCHARTS = [more_shapes.kube_prometheus_stack_whole, more_shapes.bitnami_subcharts_pair,
                  family_shapes.subchart_global_default]


def _pack(chart: Path, dest: Path) -> Path:
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    archive = dest / f"{meta['name']}-{meta['version']}.tgz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(chart, arcname=meta["name"])
    return archive


def _pack_subcharts(run_cli, chart: Path) -> None:
    unpacked = exact.rendered(run_cli, chart)
    for sub in sorted(p for p in (chart / "charts").iterdir() if p.is_dir()):
        _pack(sub, chart / "charts")
        shutil.rmtree(sub)
    assert set(exact.rendered(run_cli, chart)) == set(unpacked)  # every subchart renders


@pytest.mark.parametrize("make", WITH_SUBCHARTS, ids=lambda make: make.__name__)
def test_packed_subcharts_convert_exactly(run_cli, tmp_path, make):
    chart = make(tmp_path / "chart")
    _pack_subcharts(run_cli, chart)
    values = tmp_path / "values.yaml"
    values.write_text("")
    before = exact.rendered(run_cli, chart, "-f", str(values))
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(chart), "--values",
                     str(values), "-o", "json", "--write")
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and not plan["unresolved"] and not plan["left"], plan
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(values)))


@pytest.mark.parametrize("make", WITH_SUBCHARTS, ids=lambda make: make.__name__)
def test_a_packed_chart_converts_exactly(run_cli, tmp_path, make):
    chart = make(tmp_path / "chart")
    _pack_subcharts(run_cli, chart)
    (tmp_path / "dist").mkdir()
    archive = _pack(chart, tmp_path / "dist")
    values = tmp_path / "values.yaml"
    values.write_text("")
    before = exact.rendered(run_cli, archive, "-f", str(values))
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(archive), "--values",
                     str(values), "-o", "json", "--write")
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and not plan["unresolved"] and not plan["left"], plan
    exact.assert_exact(before, exact.rendered(run_cli, archive, "-f", str(values)))
