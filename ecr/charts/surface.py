"""A chart's image surface: every container it can render, traced render by render.

The release as given is one render; its chart's component switches
(:mod:`ecr.charts.switches`) turned on are another: a sidecar, a cache subchart, a
dashboards container that the first one does not show.  A conversion is proven over
both, so a chart-wide registry is only written when every image it feeds lands
exactly on its cache reference, in either render; images only a switch shows are
converted through their own values.

When every switch at once does not render (switches that exclude each other, a
component that needs a value), the switches are grouped greedily into sets that do
render; a switch that does not render even alone is reported as not covered, with
Helm's words.

:class:`Surface` looks like one :class:`~ecr.charts.provenance.Tracer` to the solver
(:mod:`ecr.charts.relocate`): the containers of every render, the keys of those
beyond the first carrying the render's label in their template part.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecr.charts import switches
from ecr.charts.helm import HelmFailure, ValuesLayer
from ecr.charts.provenance import (
    ContainerKey,
    Recipe,
    Trace,
    Tracer,
    ValuePath,
    helm_words,
    pair,
)
from ecr.charts.switches import Switch
from ecr.images.workload import WorkloadImage

_MAX_SWITCHES = 40  # renders spent grouping switches when all at once fails
Render = Callable[[Sequence[ValuesLayer]], list[WorkloadImage]]


@dataclass
class Part:
    """One render of the surface: the release's values plus ``extra`` layers."""

    label: str  # "" for the release as given
    tracer: Tracer
    extra: tuple[ValuesLayer, ...] = ()


@dataclass
class Surface:
    """The renders a conversion is proven on (the first: the release as given)."""

    parts: list[Part]
    switches: list[Switch] = field(default_factory=list)
    uncovered: list[str] = field(default_factory=list)  # switches no render shows, why
    baseline: dict[ContainerKey, WorkloadImage] = field(default_factory=dict)
    traces: dict[ContainerKey, Trace] = field(default_factory=dict)
    values: dict[ValuePath, str] = field(default_factory=dict)
    shown: set[ContainerKey] = field(default_factory=set)  # reported (not a duplicate)
    _keys: list[dict[ContainerKey, ContainerKey]] = field(default_factory=list)

    def __post_init__(self) -> None:
        main = self.parts[0].tracer
        for index, part in enumerate(self.parts):
            tracer = part.tracer
            keys = {key: _relabel(key, part.label) for key in tracer.baseline}
            self._keys.append(keys)
            same: set[ContainerKey] = set()
            if index:
                matched, _ = pair(main.baseline, list(tracer.baseline.values()))
                same = {key for key, item in tracer.baseline.items()
                        if any(m is item and main.baseline[k].image == item.image
                               for k, m in matched.items())}
            for key, new in keys.items():
                self.baseline[new] = tracer.baseline[key]
                self.traces[new] = tracer.traces[key]
                if key not in same:
                    self.shown.add(new)
            for path, text in tracer.values.items():
                self.values.setdefault(path, text)

    @property
    def effective(self) -> Mapping[str, Any]:
        return self.parts[0].tracer.effective

    @property
    def main(self) -> Tracer:
        return self.parts[0].tracer

    def recipes(self, regime: frozenset[ValuePath]) -> dict[ContainerKey, Recipe | None]:
        out: dict[ContainerKey, Recipe | None] = {}
        for part, keys in zip(self.parts, self._keys, strict=True):
            for key, recipe in part.tracer.recipes(regime).items():
                out[keys[key]] = recipe
        return out

    def prove(
        self, render: Render
    ) -> tuple[dict[ContainerKey, WorkloadImage], list[WorkloadImage], list[WorkloadImage]]:
        """Each render again (``render`` takes the extra layers): containers paired
        with their baseline keys, the new ones, and the first render's containers."""
        after: dict[ContainerKey, WorkloadImage] = {}
        extra: list[WorkloadImage] = []
        first: list[WorkloadImage] = []
        for index, (part, keys) in enumerate(zip(self.parts, self._keys, strict=True)):
            rendered = render(part.extra)
            if not index:
                first = rendered
            matched, new = pair(part.tracer.baseline, rendered)
            after.update({keys[key]: item for key, item in matched.items()})
            extra.extend(new)
        return after, extra, first

    def describe(self) -> list[str]:
        """What the proof covers, for the report."""
        lines = []
        for part in self.parts[1:]:
            added = sum(1 for key in self.shown if key[0].endswith(f", {part.label}"))
            lines.append(f"also rendered {part.label} ({added} more container"
                         f"{'s' if added != 1 else ''} proven)")
        return lines


def _relabel(key: ContainerKey, label: str) -> ContainerKey:
    if not label:
        return key
    template, kind, name, kind_of_list, container, n = key
    return (f"{template}, {label}", kind, name, kind_of_list, container, n)


def build(
    chart: Path, layers: Sequence[ValuesLayer], defaults: Mapping[str, Any],
    *, release: str, namespace: str, embedded: bool = True,
) -> Surface:
    """The release's render and, when the chart has switches that are off, renders
    with them on (only those that show a container the first does not)."""
    main = Tracer(chart, layers, defaults, release=release, namespace=namespace,
                  embedded=embedded)
    found = switches.find(chart, main.effective)
    if not found:
        return Surface([Part("", main)])
    groups, uncovered = _groups(main, found)
    parts = [Part("", main)]
    for group in groups:
        names = ", ".join(s.name for s in group)
        label = ("with every component switch on" if len(group) == len(found)
                 else f"with {names} on")
        layer = ValuesLayer(f"(proof) component switches on: {names}",
                            switches.layer_values(group))
        if not _shows_more(main, main.images([layer])):
            continue
        try:
            tracer = Tracer(chart, [*layers, layer], defaults, release=release,
                            namespace=namespace, embedded=embedded)
        except HelmFailure as exc:
            uncovered.append(f"{names}: {helm_words(str(exc)) or exc}")
            continue
        parts.append(Part(label, tracer, (layer,)))
    return Surface(parts, found, uncovered)


def _shows_more(main: Tracer, rendered: list[WorkloadImage]) -> bool:
    matched, extra = pair(main.baseline, rendered)
    return bool(extra) or any(item.image != main.baseline[key].image
                              for key, item in matched.items())


def _groups(main: Tracer, found: Sequence[Switch]) -> tuple[list[list[Switch]], list[str]]:
    """Switch sets that render: all at once, else greedily built ones; the switches
    that do not render even alone, with Helm's words."""
    if _renders(main, found) is None:
        return [list(found)], []
    groups: list[list[Switch]] = []
    uncovered: list[str] = []
    pending = list(found)
    budget = _MAX_SWITCHES
    while pending and budget > 0:
        group: list[Switch] = []
        rest: list[Switch] = []
        for switch in pending:
            budget -= 1
            why = _renders(main, [*group, switch]) if budget >= 0 else "not tried"
            if why is None:
                group.append(switch)
            elif not group:
                uncovered.append(f"{switch.name} ({switch.origin}): the chart does not "
                                 f"render with it on: {why}")
            else:
                rest.append(switch)
        if group:
            groups.append(group)
        pending = rest
    uncovered += [f"{s.name} ({s.origin}): not tried (too many switches)" for s in pending]
    return groups, uncovered


def _renders(main: Tracer, group: Sequence[Switch]) -> str | None:
    """None when the release renders with ``group`` on, else Helm's words."""
    layer = ValuesLayer("(proof) component switches on", switches.layer_values(group))
    try:
        main.images([layer])
    except HelmFailure as exc:
        return helm_words(str(exc)) or str(exc).splitlines()[0]
    return None
