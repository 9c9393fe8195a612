"""The chart path below the CLI takes a typed :class:`ChartRequest` and returns results
(no argparse, no printing, no exit codes); the CLI (ecr.cli.chart_input,
ecr.cli.chart_convert) turns them into output.  ``convert --files`` on a values file
beside a Chart.yaml goes through the same typed path as ``convert --chart DIR -f FILE``,
with the other chart flags given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr.charts import convert as chart_convert
from ecr.charts import images as chart_images
from ecr.charts.images import ChartRequest, RequestError
from ecr.cli.main import main

# its chart, and its autouse fixture (helm-python-sdk, ECR_REGISTRY=REG) for these tests too
from tests.values.test_files_beside_chart import REG, VALUES, chart, sdk_backend  # noqa: F401


def test_a_chart_request_is_one_release_with_its_values_in_helm_order(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    wanted = ChartRequest(chart=str(tmp_path / "controller"), values_files=(values,),
                          set_values=("a.b=c",), release_name="edge", namespace="ns")
    releases, problems = chart_images.releases(wanted)
    assert problems == []
    [release] = releases
    assert (release.label, release.release, release.namespace) == ("edge", "edge", "ns")
    assert [spec.origin for spec in release.values] == [str(values), "--set a.b=c"]
    assert release.value_files == [values]
    # no release name: the chart's name as the reference spells it
    [unnamed], _ = chart_images.releases(ChartRequest(chart=str(tmp_path / "controller")))
    assert unnamed.label == "controller"


@pytest.mark.parametrize(("wanted", "message"), [
    (ChartRequest(), "nothing to render"),
    (ChartRequest(chart="c", apps=(Path("apps"),)), "not both"),
    (ChartRequest(values_files=(Path("v.yaml"),), apps=(Path("apps"),)), "go with --chart"),
])
def test_a_request_naming_nothing_or_two_things_is_a_request_error(
    wanted: ChartRequest, message: str
) -> None:
    with pytest.raises(RequestError, match=message):
        chart_images.releases(wanted)


def test_rendering_returns_its_problems_and_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = chart(tmp_path)
    wanted = ChartRequest(chart=str(root), values_files=(root / "values.yaml",))
    broken = ChartRequest(chart=str(tmp_path / "missing"))
    releases = [*chart_images.releases(wanted)[0], *chart_images.releases(broken)[0]]
    found, problems = chart_images.rendered_images(releases, wanted)
    assert [image for image, _ in found] == ["registry.k8s.io/ingress-nginx/controller:v1.11.2"]
    assert found[0][1][0].startswith("controller: ")
    assert len(problems) == 1 and problems[0].startswith("missing: ")
    assert capsys.readouterr() == ("", "")


def test_planning_returns_plans_and_problems_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = chart(tmp_path)
    values = root / "values.yaml"
    with_values = ChartRequest(chart=str(root), values_files=(values,))
    without = ChartRequest(chart=str(root), release_name="bare")
    releases = [*chart_images.releases(with_values)[0], *chart_images.releases(without)[0]]
    started: list[int] = []
    plans, problems = chart_convert.plan_releases(
        releases, with_values, REG, advance=lambda: started.append(1)
    )
    assert len(started) == 2
    assert problems == ["bare: no values file to write the overrides into (give --values "
                        "FILE)"]  # an Application's inline values take them (--apps)
    [plan] = plans
    assert plan.target == values and plan.changed
    assert values.read_text() == VALUES  # planning writes nothing
    assert capsys.readouterr() == ("", "")
    assert plan.ok, plan.unresolved
    assert chart_convert.write_plans(plans) == [values]
    assert f"registry: {REG}/k8s" in values.read_text()


def test_files_beside_a_chart_report_what_convert_chart_reports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = chart(tmp_path)
    values = root / "values.yaml"
    flags = ["--release-name", "edge", "--namespace", "ns", "-o", "json"]
    code_files = main(["convert", "--files", str(values), *flags])
    from_files = json.loads(capsys.readouterr().out)
    code_chart = main(["convert", "--chart", str(root), "-f", str(values), *flags])
    from_chart = json.loads(capsys.readouterr().out)
    assert code_files == code_chart
    assert from_files["charts"] == [from_chart]
    # the chart flags reach the render: the release name labels the plan
    assert [r["release"] for r in from_chart["releases"]] == ["edge"]
    assert values.read_text() == VALUES
