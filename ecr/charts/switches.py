"""A chart's component switches: the values that turn a part of it on.

What a release renders is only part of what its chart can run: a memcached cache, a
kube-rbac-proxy sidecar or a dashboards sidecar sit behind a boolean that is off by
default.  A conversion proven on the default render alone may write a chart-wide
registry that breaks them the day they are turned on.  The switches come from the
chart itself, never from a list of chart names:

* booleans of the values (``false`` now) that a template's ``if`` (``else if``,
  ``with``, ``and``/``or`` inside them) tests, whose key says it enables something
  (``enabled``, ``enable...``) or whose map holds an image;
* subchart ``condition`` paths and ``tags`` of ``Chart.yaml``'s dependencies
  (``requirements.yaml`` for apiVersion v1), in every vendored subchart too, under
  the key its parent uses for it.

Pure apart from reading the chart's files.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecr.charts.defaults import as_dir, read_yaml
from ecr.charts.provenance import ValuePath, dotted, lookup

_CONDITION = re.compile(r"\{\{-?\s*(?:else\s+)?(?:if|with)\s+(.*?)-?\}\}", re.DOTALL)
_VALUES = re.compile(r"\.Values((?:\.[A-Za-z0-9_-]+)+)")
_TEMPLATE_SUFFIXES = (".yaml", ".yml", ".tpl", ".txt", ".json")


@dataclass(frozen=True)
class Switch:
    """One value that turns a component on, and where the chart tests it."""

    path: ValuePath
    origin: str  # "templates/rbac-proxy.yaml", "Chart.yaml condition of memcached"

    @property
    def name(self) -> str:
        return dotted(self.path)


def find(chart: Path, effective: Mapping[str, Any]) -> list[Switch]:
    """Every switch of ``chart`` (directory or archive) that is off in ``effective``
    (the release's values over the chart's defaults, subcharts under their keys)."""
    with tempfile.TemporaryDirectory(prefix="ecr-switches-") as work:
        found = list(_scan(as_dir(chart, Path(work)), (), Path(work)))
    out: dict[ValuePath, Switch] = {}
    for switch in found:
        if switch.path not in out and _off(effective, switch.path):
            out[switch.path] = switch
    return list(out.values())


def layer_values(switches: Sequence[Switch]) -> dict[str, Any]:
    """A values layer turning every one of ``switches`` on."""
    out: dict[str, Any] = {}
    for switch in switches:
        node = out
        for part in switch.path[:-1]:
            node = node.setdefault(str(part), {})
        node[str(switch.path[-1])] = True
    return out


def _off(effective: Mapping[str, Any], path: ValuePath) -> bool:
    try:
        value = lookup(effective, path)
    except (KeyError, IndexError, TypeError):
        return True  # a condition or tag the values do not spell: off (Helm's default)
    return value is False or value is None


def _scan(directory: Path, prefix: ValuePath, work: Path) -> Iterator[Switch]:
    values = read_yaml(directory / "values.yaml")
    own = values if isinstance(values, Mapping) else {}
    templates = directory / "templates"
    if templates.is_dir():
        for path in sorted(templates.rglob("*")):
            if path.suffix not in _TEMPLATE_SUFFIXES or not path.is_file():
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            origin = str(path.relative_to(directory.parent if prefix else directory))
            for keys in _tested(text):
                if _component(own, keys):
                    yield Switch(_under(prefix, keys), origin)
    metadata = read_yaml(directory / "Chart.yaml")
    declared = metadata.get("dependencies") if isinstance(metadata, Mapping) else None
    if not declared:
        requirements = read_yaml(directory / "requirements.yaml")
        declared = requirements.get("dependencies") if isinstance(requirements, Mapping) \
            else None
    subcharts = _subcharts(directory, work)
    keys_of: dict[str, str] = {}
    for dep in declared or []:
        if not isinstance(dep, Mapping) or not dep.get("name"):
            continue
        name = str(dep["name"])
        key = str(dep.get("alias") or name)
        keys_of.setdefault(name, key)
        where = f"{directory.name}/Chart.yaml dependency {key}"
        condition = str(dep.get("condition") or "")
        for text in filter(None, (c.strip() for c in condition.split(","))):
            yield Switch(_under(prefix, tuple(text.split("."))), f"{where} (condition)")
        for tag in dep.get("tags") or []:
            yield Switch((*prefix, "tags", str(tag)), f"{where} (tags)")
        if name in subcharts:
            yield from _scan(subcharts[name], (*prefix, key), work)
    for name, sub in subcharts.items():  # charts/ entries not declared (Helm 2 style)
        if name not in keys_of:
            yield from _scan(sub, (*prefix, name), work)


def _subcharts(directory: Path, work: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    charts = directory / "charts"
    if not charts.is_dir():
        return found
    for entry in sorted(charts.iterdir()):
        if entry.suffix == ".tgz" or (entry / "Chart.yaml").is_file():
            sub = as_dir(entry, work)
            meta = read_yaml(sub / "Chart.yaml")
            if isinstance(meta, Mapping) and meta.get("name"):
                found.setdefault(str(meta["name"]), sub)
    return found


def _tested(text: str) -> Iterator[tuple[str, ...]]:
    """The value paths an ``if``/``else if``/``with`` of a template tests."""
    for condition in _CONDITION.finditer(text):
        for match in _VALUES.finditer(condition.group(1)):
            yield tuple(match.group(1).lstrip(".").split("."))


def _under(prefix: ValuePath, keys: tuple[str, ...]) -> ValuePath:
    """A subchart's ``.Values.x`` is its parent's ``<key>.x``; ``global`` is global."""
    return keys if keys[:1] == ("global",) else (*prefix, *keys)


def _component(values: Mapping[str, Any], keys: tuple[str, ...]) -> bool:
    """Whether ``keys`` is a boolean of the chart's own values that enables a part:
    its key says so, or its map holds an image."""
    try:
        value = lookup(values, keys)
        parent = lookup(values, keys[:-1]) if len(keys) > 1 else values
    except (KeyError, IndexError, TypeError):
        return False
    if not isinstance(value, bool):
        return False
    if "enabl" in keys[-1].lower():
        return True
    return len(keys) > 1 and isinstance(parent, Mapping) and _holds_image(parent, 2)


def _holds_image(values: Mapping[str, Any], depth: int) -> bool:
    for key, value in values.items():
        if "image" in str(key).lower():
            return True
        if depth > 1 and isinstance(value, Mapping) and _holds_image(value, depth - 1):
            return True
    return False
