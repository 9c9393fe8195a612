"""One property over every chart the tests write: ``convert --chart --write`` never
changes the name, tag or digest any container runs, only its registry (to exactly the
cache reference, or not at all), in the release's render and in the render with every
component switch on.  Renders here are Helm's own, paired by the workload's and
container's names; the switches come from :func:`ecr.charts.switches.find`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from ecr.charts import helm, switches
from ecr.charts.defaults import chart_defaults
from ecr.charts.helm import HelmFailure, ValuesLayer
from ecr.images.reference import parse
from ecr.images.workload import from_manifests
from tests.charts import (
    charts,
    exact,
    family_shapes,
    more_shapes,
    operator_shapes,
    real_shapes,
    shapes,
    switch_shapes,
)
from tests.charts.conftest import REGISTRY

Builder = Callable[[Path], Path]


def _builders(*modules: ModuleType) -> dict[str, Builder]:
    found: dict[str, Builder] = {}
    for module in modules:
        for name, func in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(func) or \
                    func.__module__ != module.__name__:
                continue
            params = list(inspect.signature(func).parameters)
            if params == ["root"] and name not in ("write", "library_chart", "db_chart"):
                found[f"{module.__name__.rsplit('.', 1)[-1]}.{name}"] = func
    return found


BUILDERS = _builders(charts, shapes, family_shapes, operator_shapes, more_shapes,
                     real_shapes, switch_shapes)


def _images(chart: Path, layers: list[ValuesLayer]) -> dict[tuple[str, ...], str] | None:
    try:
        rendered = helm.render(chart, layers, release="r")
    except HelmFailure:
        return None
    out: dict[tuple[str, ...], str] = {}
    for item in from_manifests(rendered):
        out[(item.template, item.kind, item.name, item.container_type, item.container)] = \
            item.image
    return out


def _same_but_registry(before: str, after: str) -> bool:
    return after == before or parse(after) == exact.cache_of(before)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_conversion_changes_only_the_registry_everywhere(run_cli, tmp_path, name):
    chart = BUILDERS[name](tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("")
    on = switches.layer_values(switches.find(chart, chart_defaults(chart)))
    renders = {"as given": [], "every switch on": [ValuesLayer("switches", on)]}
    before = {label: _images(chart, [helm.values_file(values), *extra])
              for label, extra in renders.items()}
    if before["as given"] is None:
        pytest.skip("the chart does not render from its defaults (a test of its own)")
    again = _images(chart, [helm.values_file(values)])
    if again != before["as given"]:
        pytest.skip("random names: the renders cannot be paired by name here")
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(chart),
                     "--values", str(values), "--write")
    assert result.code in (0, 2, 3), result.out + result.err
    for label, extra in renders.items():
        old = before[label]
        if old is None:
            continue  # every switch at once does not render: the convert report says so
        new = _images(chart, [helm.values_file(values), *extra])
        assert new is not None and set(new) == set(old), label
        wrong = {key: (old[key], new[key]) for key in old
                 if not _same_but_registry(old[key], new[key])}
        assert not wrong, (label, wrong)
