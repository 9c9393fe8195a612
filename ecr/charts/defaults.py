"""A chart's default values as its parent's values see them.

Each subchart's defaults sit under the key its parent uses for it (the dependency's
``alias``, else its name), so a value path found in them is the path a values file
sets.  (helm-python-sdk's merge puts subcharts under their chart name, not the alias
a parent's values use, so the chart files are read directly.)
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.charts import helm
from ecr.charts.helm import HelmFailure


def chart_defaults(chart: Path) -> dict[str, Any]:
    """The chart's default values with each subchart's defaults under its alias key.

    (helm-python-sdk's merge puts subcharts under their chart name, not the alias a
    parent's values use, so the chart files are read directly.)
    """
    with tempfile.TemporaryDirectory(prefix="ecr-chart-") as work:
        return _defaults(as_dir(chart, Path(work)), Path(work))


def as_dir(chart: Path, work: Path) -> Path:
    if chart.is_dir():
        return chart
    dest = Path(tempfile.mkdtemp(dir=work))
    try:
        with tarfile.open(chart) as archive:
            archive.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise HelmFailure(f"cannot read chart archive {chart}: {exc}") from exc
    tops = [p for p in dest.iterdir() if (p / "Chart.yaml").is_file()]
    if len(tops) != 1:
        raise HelmFailure(f"{chart}: not a chart archive (no single top directory with Chart.yaml)")
    return tops[0]


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return yaml_loader.load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise HelmFailure(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        raise HelmFailure(f"{path}: not valid YAML: {helm.yaml_problem(exc)}") from exc


def _defaults(directory: Path, work: Path) -> dict[str, Any]:
    values = read_yaml(directory / "values.yaml")
    values = dict(values) if isinstance(values, dict) else {}
    metadata = read_yaml(directory / "Chart.yaml")
    declared = metadata.get("dependencies") if isinstance(metadata, dict) else None
    if not declared:  # apiVersion v1 charts declare them in requirements.yaml
        requirements = read_yaml(directory / "requirements.yaml")
        declared = requirements.get("dependencies") if isinstance(requirements, dict) else None
    subcharts: dict[str, Path] = {}
    charts_dir = directory / "charts"
    if charts_dir.is_dir():
        for entry in sorted(charts_dir.iterdir()):
            if entry.suffix == ".tgz" or (entry / "Chart.yaml").is_file():
                sub = as_dir(entry, work)
                meta = read_yaml(sub / "Chart.yaml")
                if isinstance(meta, dict) and meta.get("name"):
                    subcharts[str(meta["name"])] = sub
    keys: list[tuple[str, str]] = []
    for dep in declared or []:
        if isinstance(dep, dict) and dep.get("name"):
            keys.append((str(dep.get("alias") or dep["name"]), str(dep["name"])))
    for name in subcharts:  # charts/ entries not declared (Helm 2 style) keep their name
        if not any(chart == name for _, chart in keys):
            keys.append((name, name))
    for key, name in keys:
        if name in subcharts:
            own = values.get(key)
            values[key] = helm.merge(
                _defaults(subcharts[name], work), own if isinstance(own, dict) else {}
            )
    return values
