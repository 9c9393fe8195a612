"""``convert --chart``: make every image a release runs go through the cache, and prove it.

A values file names only the images someone overrode; the chart also runs the
images its subcharts and defaults set, often composed from values in several places
(a chart-wide registry joined to per-image names, ``null`` defaults the template
fills in).  For one release:

1. trace every container's image to the values that compose it, by rendering with
   markers (:mod:`ecr.charts.provenance`), the chart's own values included, with
   subcharts under their alias keys (``mariadb.image``), in the release's render and
   in renders with the chart's component switches on (:mod:`ecr.charts.surface`);
2. find the fewest value changes that make each image exactly its cache reference
   (:mod:`ecr.charts.relocate`): a chart-wide registry is one change for all its images;
3. write them into the values file, surgically: in place where the file has the
   value, added where it does not (:mod:`ecr.values.insert`), a list whole;
4. for Bitnami charts, add ``global.security.allowInsecureImages: true`` when,
   and only when, the render refuses the relocated images without it;
5. render again (every render of the surface): the proof, container by container
   (paired by :func:`~ecr.charts.provenance.pair`): each image is exactly the cache
   reference of what it ran before (distribution's normalisation), or unchanged when
   its host cannot be cached or no value composes it.  A failed proof writes nothing.

Image values of the file that no render reads are listed, never left silently.  A
vendored subchart's own ``values.yaml`` is planned inside its parent (:class:`Scope`).

Images whose host the cache cannot front, and images written in a template, are
reported, not overridden.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.charts import helm, images, provenance, relocate, surface
from ecr.charts.defaults import chart_defaults
from ecr.charts.helm import HelmFailure
from ecr.charts.images import Found, Release
from ecr.charts.provenance import ContainerKey, ValuePath, describe, dotted
from ecr.charts.surface import Surface
from ecr.images import mapping
from ecr.images.reference import InvalidReference, parse
from ecr.images.workload import EMBEDDED, WorkloadImage
from ecr.values import insert, scan

ALLOW_INSECURE = ("global", "security", "allowInsecureImages")
# a proof render: containers paired with the baseline, new ones, the release's own render
Proof = tuple[dict[ContainerKey, WorkloadImage], list[WorkloadImage], list[WorkloadImage]]
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+\-]*", re.ASCII)


@dataclass(frozen=True)
class Override:
    """One value set in the values file so the images it composes go through the cache."""

    key_path: str  # "global.imageRegistry", "sidecars[0].image"
    before: str  # its value before ("" when null or empty)
    after: str
    values: Mapping[str, str]  # dotted key path written -> value
    containers: tuple[str, ...] = ()  # the containers whose image it composes
    named: tuple[str, ...] = ()  # images it composes in args/env values, custom resources


@dataclass
class ChartPlan:
    release: Release
    target: Path
    original: str
    text: str = ""
    overrides: list[Override] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # the proof failed: nothing written
    left: list[str] = field(default_factory=list)  # cannot be converted by values, and why
    # images named in args/env values or custom resources (an operator launches them)
    # that no value change converts: left as they are
    launched: list[str] = field(default_factory=list)
    uncacheable: list[str] = field(default_factory=list)
    surface: list[str] = field(default_factory=list)  # renders beyond the release's own
    uncovered: list[str] = field(default_factory=list)  # switches no render could show
    proof: list[Found] = field(default_factory=list)
    containers: list[dict[str, Any]] = field(default_factory=list)  # before/after, each
    error: str | None = None
    # inline Application values: (start, end, new text) of the manifest, and the check
    # that the manifest reads the proven values back (several Applications may share it)
    splices: list[tuple[int, int, str]] = field(default_factory=list)
    reads_back: Callable[[str], bool] | None = None
    merged_into: str | None = None  # written with that release's plan (the same file)

    @property
    def ok(self) -> bool:
        return self.error is None and not self.unresolved

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def as_dict(self) -> dict[str, Any]:
        return {
            "release": self.release.label,
            "values_file": str(self.target),
            "ok": self.ok,
            "changed": self.changed,
            "overrides": [
                {"key_path": o.key_path, "before": o.before, "after": o.after,
                 "values": dict(o.values), "containers": list(o.containers),
                 "named": list(o.named)}
                for o in self.overrides
            ],
            "settings": self.settings,
            "unresolved": self.unresolved,
            "left": self.left,
            "launched": self.launched,
            "uncacheable": self.uncacheable,
            "surface": self.surface,
            "uncovered": self.uncovered,
            "containers": self.containers,
            "proof": [item.as_dict() for item in self.proof],
            "error": self.error,
        }


# ------------------------------------------------------------ planning


@dataclass(frozen=True)
class Scope:
    """The file written is a vendored subchart's own ``values.yaml`` (inside ``chart``,
    a copy the proof may write), not a values layer: its keys sit under ``prefix`` in
    the release's values, and the charts above it (``above``: their values.yaml, merged)
    win over it."""

    prefix: ValuePath
    above: Mapping[str, Any]
    shown: Path  # the real file, for messages

    def blocked(self, tracer: Surface) -> dict[ValuePath, str]:
        paths = {p for t in tracer.traces.values() for p in [*t.paths, *t.empties]}
        out: dict[ValuePath, str] = {}
        for path in paths:
            if path[:len(self.prefix)] != self.prefix:
                out[path] = (f"{dotted(path)} is not a value of {self.shown} (the chart "
                             "above it reads it): convert the parent chart's values")
            elif _sets(self.above, path):
                out[path] = (f"{dotted(path)} is set by the values.yaml of a chart above "
                             f"{self.shown}, which wins: convert it there")
        return out

    def reaches(self, tracer: Surface, key: ContainerKey) -> bool:
        """Whether a value under ``prefix`` composes the container's image (else it is
        the business of another file)."""
        trace = tracer.traces[key]
        return any(p[:len(self.prefix)] == self.prefix
                   for p in [*trace.paths, *trace.empties, *trace.touched])

    def inner(self, changes: Mapping[ValuePath, str]) -> dict[ValuePath, str]:
        return {path[len(self.prefix):]: value for path, value in changes.items()}


def plan(
    release: Release,
    chart: Path,
    target: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    scope: Scope | None = None,
) -> ChartPlan:
    """What writing ``target`` needs so every image of ``release`` goes through the cache."""
    original = target.read_text(encoding="utf-8") if target.exists() else ""
    result = ChartPlan(release, target, original, original)
    read: set[str] | None = None
    try:
        read = _plan(result, chart, registry, host_prefixes, aliases, scope)
    except (HelmFailure, insert.InsertError, WriteError) as exc:
        result.error = str(exc)
        result.text = original
    except (KeyError, IndexError, TypeError, ValueError) as exc:  # never write a guess
        result.error = f"could not trace this chart's images ({exc!r}); nothing written"
        result.text = original
    if scope is not None and read is not None:
        head = dotted(scope.prefix) + "."
        read = {path.removeprefix(head) for path in read if path.startswith(head)}
    shown = scope.shown if scope is not None else target
    result.left.extend(_unread(original, str(shown), read, registry))
    return result


def _unread(text: str, source: str, read: set[str] | None, registry: str) -> list[str]:
    """The image values of the values file that no render of the surface reads (or
    all of them, ``read`` None, when the chart did not render): each is listed, never
    left upstream without a word."""
    from ecr.values.rewrite import rewrite
    from ecr.values.scan import UnparseableYaml

    try:
        found = rewrite(text, source, registry)
    except UnparseableYaml:
        return []
    sites = [(c.line, c.key_path, c.before) for c in found.changes]
    sites += [(s.line, s.key_path, s.reference) for s in found.skips
              if s.kind not in ("cached", "empty")]
    out = []
    for line, key, image in sorted(sites):
        if read is not None and any(path == key or path.startswith((key + ".", key + "["))
                                    for path in read):
            continue
        why = ("not converted: the chart did not render (see the error above)"
               if read is None else
               "no render of the chart reads it (the values given, every component switch "
               "on): check the key, or convert it by hand")
        out.append(f"{image} ({source}:{line} {key}): {why}")
    return out


def _plan(
    result: ChartPlan,
    chart: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None,
    aliases: Mapping[str, str] | None,
    scope: Scope | None = None,
) -> set[str]:
    """Plans ``result``; the value paths (dotted) some render of the surface reads."""
    release, target = result.release, result.target
    tracer = surface.build(
        chart, images.layers(release, {target: result.original}), chart_defaults(chart),
        release=release.release, namespace=release.namespace, embedded=True,
    )
    result.surface = tracer.describe()
    result.uncovered = list(tracer.uncovered)
    expected = {
        key: relocate.expect(item.image, registry, host_prefixes, aliases)
        for key, item in tracer.baseline.items()
    }
    prefixes = set(mapping.expand_host_prefixes(host_prefixes).values())
    blocked = _later_inputs(result, tracer)
    effective: Mapping[str, Any] = tracer.effective
    if scope is not None:
        blocked.update(scope.blocked(tracer))
        effective = provenance.lookup(effective, scope.prefix)

    def proof_render(current: str) -> Proof:
        if scope is not None:  # the subchart's own file, in the chart's copy
            target.write_text(current, encoding="utf-8")
        return tracer.prove(lambda extra: images.workloads(
            release, chart, {target: current}, extra, embedded=True))

    refused: dict[tuple[ValuePath, str], str] = {}
    after: Proof | None = None
    for _ in range(_RETRIES):
        solution = relocate.Solver(tracer, expected, registry, prefixes, blocked,
                                   refused).solve()
        changes = scope.inner(solution.changes) if scope else solution.changes
        text = write_changes(result.original, changes, effective)
        try:
            after = proof_render(text)
            break
        except HelmFailure as exc:
            if "allowInsecureImages" in str(exc):
                after = None  # Bitnami's verification: answered below
                break
            new = _refused_by(exc, solution.changes, refused)
            if not new:
                raise
            refused.update(new)
    else:
        raise HelmFailure(f"the chart refused every way of setting its image values: "
                          f"{'; '.join(sorted(set(refused.values())))}")
    for path, value in solution.changes.items():
        users = [k for k, t in tracer.traces.items() if k in tracer.shown
                 and (path in t.paths or path in t.empties)]
        spelt = dotted(path[len(scope.prefix):] if scope else path)  # as the file has it
        result.overrides.append(Override(
            spelt, tracer.values.get(path, ""), value, {spelt: value},
            tuple(describe(k) for k in users if k[3] not in EMBEDDED),
            tuple(describe(k) for k in users if k[3] in EMBEDDED)))
    for key, why in solution.left.items():
        if key not in tracer.shown or (scope is not None and not scope.reaches(tracer, key)):
            continue  # the same container in another render; outside the file's scope
        line = f"{expected[key].before} ({describe(key)}): {why}"
        (result.launched if key[3] in EMBEDDED else result.left).append(line)

    if after is None:
        text = insert.set_keys(text, ALLOW_INSECURE[:-1], {ALLOW_INSECURE[-1]: True})
        result.settings.append(
            f"{target}: global.security.allowInsecureImages: true (the chart refused the "
            "relocated images without it: Bitnami's image verification, bitnami/charts#30850)"
        )
        after = proof_render(text)
    result.text = text
    paired, extra, first = after
    result.proof = [
        Found(release.label, w, images.classify(w.image, registry, host_prefixes, aliases))
        for w in first if w.container_type not in EMBEDDED
    ]
    _compare(result, tracer, expected, paired, extra, solution.left)
    return {dotted(path) for trace in tracer.traces.values()
            for path in (*trace.touched, *trace.paths, *trace.empties)}


_RETRIES = 4  # solutions tried when the chart refuses some values (schema, fail)


def _refused_by(
    exc: HelmFailure, changes: Mapping[ValuePath, str],
    refused: Mapping[tuple[ValuePath, str], str],
) -> dict[tuple[ValuePath, str], str]:
    """The (value, text) pairs a failed render refused: those whose text Helm's message
    quotes (a schema names the value it rejects), else every new one."""
    message = str(exc)
    line = next((s.strip() for s in message.splitlines() if "/" in s and "'" in s),
                message.splitlines()[0] if message else "refused")
    fresh = {(p, v) for p, v in changes.items() if (p, v) not in refused}
    named = {(p, v) for p, v in fresh if v in message}
    return {pair: line for pair in (named or fresh)}


def _compare(
    result: ChartPlan,
    tracer: Surface,
    expected: Mapping[ContainerKey, relocate.Expected],
    after: Mapping[ContainerKey, WorkloadImage],
    extra: list[WorkloadImage],
    left: Mapping[ContainerKey, str],
) -> None:
    """The proof, container by container, in every render of the surface: exactly its
    cache reference, or unchanged.  Containers are paired with the baseline by
    :func:`provenance.pair` (random names cannot fail it)."""
    shadows = _shadowing(result)
    for key in tracer.baseline:
        want = expected[key]
        now = after.get(key)
        where = describe(key)
        if now is None:
            result.unresolved.append(f"{where}: gone after the conversion")
            continue
        must_change = want.kind == relocate.CONVERT and key not in left
        good = _same(now.image, want.target) if must_change else now.image == want.before
        if key[3] in EMBEDDED:  # an image an operator launches: exact, or as it was
            if not good:
                result.unresolved.append(
                    f"{where}: would name {now.image}, not "
                    f"{want.target if must_change else want.before}")
            continue
        if key not in tracer.shown:  # the same container in another render
            if not good:
                result.unresolved.append(f"{where}: would run {now.image}")
            continue
        result.containers.append({
            "container": where, "before": want.before, "after": now.image,
            "expected": want.target if must_change else want.before,
            "exact": good, "values": tracer.traces[key].summary(),
        })
        if want.kind == relocate.UNCACHEABLE:
            result.uncacheable.append(f"{want.before} ({where})")
        if good:
            continue
        if now.image == want.before:
            reason = next((why for path, why in shadows.items()
                           if path in tracer.traces[key].paths + tracer.traces[key].empties),
                          "the override did not reach it")
            result.unresolved.append(f"{where}: still {want.before}: {reason}")
        else:
            result.unresolved.append(
                f"{where}: would run {now.image}, not {want.target if must_change else want.before}"
            )
    for now in extra:
        if now.container_type not in EMBEDDED:
            result.unresolved.append(
                f"{now.kind}/{now.name} container {now.container} ({now.template}): "
                f"a new container ({now.image})")


def _same(image: str, target: str) -> bool:
    try:
        return parse(image) == parse(target)
    except InvalidReference:
        return False


def _shadowing(result: ChartPlan) -> dict[ValuePath, str]:
    """Value path -> which later input (valuesObject, --set, ...) hides our override.

    ArgoCD's ``valuesObject``/``parameters`` and later ``--values``/``--set`` win over
    the values file we write; an image they set must be converted there instead.
    """
    layers = images.layers(result.release, {result.target: result.text})
    origins = [layer.origin for layer in layers]
    if str(result.target) not in origins:
        return {}
    later = layers[origins.index(str(result.target)) + 1 :]
    found: dict[ValuePath, str] = {}
    for override in result.overrides:
        path = _parse_dotted(override.key_path)
        for layer in later:
            if helm.lookup(layer.values, [str(p) for p in path]) is not None:
                found[path] = (
                    f"{override.key_path} is also set by {layer.origin}, which wins over "
                    f"{result.target.name}: convert it there (e.g. convert --files on the "
                    "Application manifest)"
                )
    return found


def _later_inputs(result: ChartPlan, tracer: Surface) -> dict[ValuePath, str]:
    """Traced values that an input after the values file sets (ArgoCD ``valuesObject``,
    inline ``values``, ``parameters``; later ``--values``/``--set``): Helm lets those
    win, so writing them into the file would change nothing."""
    layers = images.layers(result.release, {result.target: result.original})
    origins = [layer.origin for layer in layers]
    if str(result.target) not in origins:
        return {}
    later = layers[origins.index(str(result.target)) + 1:]
    paths = {p for t in tracer.traces.values() for p in [*t.paths, *t.empties]}
    blocked: dict[ValuePath, str] = {}
    for path in paths:
        for layer in later:
            if _sets(layer.values, path):
                blocked[path] = (
                    f"{dotted(path)} is set by {layer.origin}, which wins over "
                    f"{result.target.name}: convert it there (e.g. convert --files on the "
                    "Application manifest)"
                )
    return blocked


def _sets(values: Any, path: ValuePath) -> bool:
    """Whether ``values`` sets ``path`` (or replaces a map or list on the way to it)."""
    node = values
    for part in path:
        if isinstance(part, int):
            return True  # a list on the way: the layer replaces it whole
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def _parse_dotted(text: str) -> ValuePath:
    parts: list[str | int] = []
    for piece in text.split("."):
        name, _, rest = piece.partition("[")
        if name:
            parts.append(name)
        for index in filter(None, rest.replace("]", "").split("[")):
            parts.append(int(index))
    return tuple(parts)


# ------------------------------------------------------------ writing


class WriteError(ValueError):
    """A change the values file cannot take surgically; the message says where."""


_PLACEHOLDER = "ecr-list-placeholder-{}"


def write_changes(
    text: str, changes: Mapping[ValuePath, str], effective: Mapping[str, Any]
) -> str:
    """``text`` with every change: in place where the file has the value, added where
    it does not; a list the file lacks is written whole (Helm replaces lists)."""
    lists: dict[ValuePath, list[Any]] = {}
    for path, value in changes.items():
        node = _node(text, path)
        if node is not None:
            text = _replace(text, node, value)
            continue
        cut = next((i for i, part in enumerate(path) if isinstance(part, int)), None)
        if cut is None:
            text = insert.set_keys(text, [str(p) for p in path[:-1]], {str(path[-1]): value})
            continue
        prefix = path[:cut]
        if _node(text, prefix) is not None:
            raise WriteError(f"{dotted(path)}: the list {dotted(prefix)} in the values file "
                             "has no such item; set it by hand")
        whole = lists.setdefault(prefix, copy.deepcopy(provenance.lookup(effective, prefix)))
        item: Any = whole
        for part in path[cut:-1]:
            item = item[part]
        item[path[-1]] = value
    for number, (prefix, whole) in enumerate(lists.items()):
        marker = _PLACEHOLDER.format(number)
        text = insert.set_keys(text, [str(p) for p in prefix[:-1]], {str(prefix[-1]): marker})
        block = _block_list(text, marker, whole)
        at = text.index(marker)
        start = at - 1 if block.startswith(("\n", "\r")) and text[at - 1] == " " else at
        text = text[:start] + block + text[at + len(marker):]
    return text


def _block_list(text: str, marker: str, items: list[Any]) -> str:
    """``items`` as a block sequence under the key whose value is ``marker`` (flow
    style when the key sits in a flow mapping)."""
    at = text.index(marker)
    line_start = text.rfind("\n", 0, at) + 1
    line = text[line_start:at]
    if "{" in line or "[" in line:
        return json.dumps(items)
    indent = " " * (len(line) - len(line.lstrip()) + 2)
    nl = "\r\n" if "\r\n" in text else "\n"
    dumped = yaml.safe_dump(items, sort_keys=False, default_flow_style=False, width=4096)
    return "".join(nl + indent + row for row in dumped.splitlines())


def _node(text: str, path: ValuePath) -> yaml.Node | None:
    try:
        node: yaml.Node | None = yaml.compose(text, Loader=yaml_loader.LOADER)
    except yaml.YAMLError as exc:
        raise WriteError(f"not valid YAML: {helm.yaml_problem(exc)}") from exc
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, yaml.SequenceNode) or part >= len(node.value):
                return None
            node = node.value[part]
        else:
            node = scan.child(node, part) if isinstance(node, yaml.MappingNode) else None
        if node is None:
            return None
    return node


def _replace(text: str, node: yaml.Node, value: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or node.style in ("|", ">"):
        raise WriteError(f"line {node.start_mark.line + 1}: not a plain value; set it by hand")
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    start = starts[node.start_mark.line] + node.start_mark.column
    end = starts[node.end_mark.line] + node.end_mark.column
    written = value if _PLAIN.fullmatch(value) and yaml_loader.load(value) == value \
        else json.dumps(value)
    if node.style in ("'", '"'):
        written = json.dumps(value) if node.style == '"' else "'" + value.replace("'", "''") + "'"
    if start == end and (start == 0 or text[start - 1] != " "):
        written = " " + written  # "registry:" with nothing after it
    return text[:start] + written + text[end:]
