"""Which chart values compose each container image, found by rendering with markers.

Reading a chart's templates cannot tell where an image comes from: charts join a
chart-wide registry to per-image names, fill ``null`` values in with ``default``,
take the tag from ``.Chart.AppVersion``, pass everything through helpers.  Helm can
tell: render once as the release is (the baseline), then again with a unique marker
(``ecrm<N>x``) in place of every string value that shows up in an image, and read the
markers back out of the rendered images.  Each image becomes a :class:`Recipe`:
literal text from the templates and the value paths (:data:`ValuePath`) between
them.  A recipe is only trusted when putting the values back gives exactly the
baseline image; a value the template transforms (``trimPrefix``, ``upper``) is
kept as fixed text, and an image the recipe cannot reproduce is "not proven".

``null`` and empty values that templates default (``{{ .Values.image.repository |
default "docker.io/app" }}``, Bitnami's ``global.imageRegistry: ""``) show nothing in
the baseline; they are marked in a further render to learn which images they would
change, and :meth:`Tracer.recipes` renders with some of them set to learn the image
shape then ("regimes").

Markers are lowercase letters and digits, so they survive ``lower`` and any position
of an image reference.  Renders use Helm (:mod:`ecr.charts.helm`); the rest is pure.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecr.charts import helm
from ecr.charts.helm import HelmFailure, Values, ValuesLayer
from ecr.images.reference import InvalidReference, parse
from ecr.images.workload import EMBEDDED, WorkloadImage, from_manifests

ValuePath = tuple[str | int, ...]
Segment = str | ValuePath  # literal template text, or the value at a path

MARKER = re.compile(r"ecrm(\d+)x")
ALLOW_INSECURE_LAYER = ValuesLayer(
    "(discovery only) global.security.allowInsecureImages=true",
    {"global": {"security": {"allowInsecureImages": True}}},
)
# Values that name things, never images, though their text may appear in one.
_NAMING_KEYS = {"nameoverride", "fullnameoverride", "namespaceoverride"}
# Keys of null/empty values worth marking: a template may default them to a
# registry or repository.  Tags and digests are never changed, so never marked.
_EMPTY_KEYS = ("registry", "repository", "repo", "hub", "namespace", "image", "name")
_MAX_ALONE = 40  # renders of one null/empty value each, when all at once fails
_IMAGEISH = ("image", "registry", "repository", "repo", "hub", "tag", "digest", "sha",
             "version")


def dotted(path: ValuePath) -> str:
    """``("sidecars", 0, "image")`` -> ``sidecars[0].image``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


ContainerKey = tuple[str, str, str, str, str, int]  # template, kind, name, type, name, n


def keyed(
    items: Sequence[WorkloadImage], *, with_name: bool = True
) -> dict[ContainerKey, WorkloadImage]:
    """Containers by (template, kind, workload name, list, container name, occurrence)."""
    out: dict[ContainerKey, WorkloadImage] = {}
    for item in items:
        base = (item.template, item.kind, item.name if with_name else "",
                item.container_type, item.container)
        n = 0
        while (*base, n) in out:
            n += 1
        out[(*base, n)] = item
    return out


def pair(
    before: Mapping[ContainerKey, WorkloadImage], after: Sequence[WorkloadImage]
) -> tuple[dict[ContainerKey, WorkloadImage], list[WorkloadImage]]:
    """``after``'s containers matched to ``before``'s keys, and those matched to none.

    Stable between renders whatever names a template makes (``randAlphaNum``,
    ``uuidv4``, ``now``): by the whole key first; then, among the rest, by template,
    kind, list and container name (the workload's name left out); then by position
    among the containers of one template, kind and list, when as many are left on
    both sides (a container's own name may be random too)."""
    matched: dict[ContainerKey, WorkloadImage] = {}
    rest = keyed(after)
    for key in before:
        if key in rest:
            matched[key] = rest.pop(key)
    left = [key for key in before if key not in matched]
    unnamed = dict(zip(keyed(list(rest.values()), with_name=False), rest.values(),
                       strict=True))
    by_unnamed = dict(zip(keyed([before[k] for k in left], with_name=False), left,
                          strict=True))
    for unkey, key in by_unnamed.items():
        if unkey in unnamed:
            matched[key] = unnamed.pop(unkey)
    groups: dict[tuple[str, str, str], tuple[list[ContainerKey], list[WorkloadImage]]] = {}
    for key in before:
        if key not in matched:
            groups.setdefault((key[0], key[1], key[3]), ([], []))[0].append(key)
    extra: list[WorkloadImage] = []
    for item in unnamed.values():
        group = groups.get((item.template, item.kind, item.container_type))
        if group is None:
            extra.append(item)
        else:
            group[1].append(item)
    for keys, items in groups.values():
        if len(keys) == len(items):
            matched.update(zip(keys, items, strict=True))
        else:
            extra.extend(items)
    return matched, extra


def describe(key: ContainerKey) -> str:
    template, kind, name, _, container, _ = key
    return f"{kind}/{name} container {container} ({template})"


@dataclass(frozen=True)
class Recipe:
    """An image as template text and values: ``segments`` joined give the image."""

    segments: tuple[Segment, ...]

    @property
    def paths(self) -> list[ValuePath]:
        return [s for s in self.segments if isinstance(s, tuple)]

    def text(self, values: Mapping[ValuePath, str]) -> str:
        return "".join(s if isinstance(s, str) else values[s] for s in self.segments)


@dataclass
class Trace:
    """Where one container's image comes from."""

    image: WorkloadImage  # as the release renders it
    recipe: Recipe | None  # None: not proven (``reason`` says why)
    reason: str | None = None
    empties: list[ValuePath] = field(default_factory=list)  # null/empty values that reach it
    touched: set[ValuePath] = field(default_factory=set)  # every value seen in it
    fixed: dict[ValuePath, str] = field(default_factory=dict)  # transformed: their text
    absent: set[ValuePath] = field(default_factory=set)  # empties no values file spells

    @property
    def paths(self) -> list[ValuePath]:
        return self.recipe.paths if self.recipe else []

    @property
    def literal(self) -> bool:
        """Written in the template: no value reaches it."""
        return self.recipe is not None and not self.recipe.paths and not self.empties

    def summary(self) -> str:
        """``global.image.registry + controller.image.image + tag from the template``."""
        if self.recipe is None:
            return f"not proven: {self.reason}"
        if self.literal:
            return f"written in {self.image.template}"
        parts = [dotted(p) for p in dict.fromkeys(self.paths)]
        for path in self.empties:
            now = "not in the values" if path in self.absent else "empty now"
            parts.append(f"{dotted(path)} (when set; {now})")
        return " + ".join(parts)


def leaves(values: Any, path: ValuePath = ()) -> Iterator[tuple[ValuePath, Any]]:
    """Every scalar (and null) of a values tree, with its path."""
    if isinstance(values, Mapping):
        for key, value in values.items():
            yield from leaves(value, (*path, str(key)))
    elif isinstance(values, list):
        for index, value in enumerate(values):
            yield from leaves(value, (*path, index))
    else:
        yield path, values


def lookup(values: Any, path: ValuePath) -> Any:
    node = values
    for part in path:
        node = node[part]
    return node


def overlay(effective: Mapping[str, Any], settings: Mapping[ValuePath, Any]) -> Values:
    """A values layer setting each path; a list is given whole (Helm replaces lists)."""
    out: Values = {}
    lists: dict[ValuePath, list[Any]] = {}
    for path, value in settings.items():
        cut = next((i for i, part in enumerate(path) if isinstance(part, int)), None)
        if cut is None:
            node = out
            for part in path[:-1]:
                node = node.setdefault(str(part), {})
            node[str(path[-1])] = value
            continue
        prefix = path[:cut]
        if prefix not in lists:
            lists[prefix] = copy.deepcopy(lookup(effective, prefix))
            node = out
            for part in prefix[:-1]:
                node = node.setdefault(str(part), {})
            node[str(prefix[-1])] = lists[prefix]
        target: Any = lists[prefix]
        for part in path[cut:-1]:
            target = target[part]
        target[path[-1]] = value
    return out


def _image_paths(path: ValuePath) -> bool:
    return any(
        isinstance(p, str) and any(word in p.lower() for word in _IMAGEISH) for p in path
    )


def _tag_like(path: ValuePath) -> bool:
    last = path[-1] if path else ""
    return isinstance(last, str) and any(
        word in last.lower() for word in ("tag", "digest", "sha", "version"))


def _empty_candidate(path: ValuePath) -> bool:
    last = path[-1] if path else ""
    if not isinstance(last, str):
        return False
    key = last.lower()
    if key == "name":  # cert-manager's image.name; but not a workload's name
        return _image_paths(path[:-1])
    return any(word in key for word in _EMPTY_KEYS if word != "name")


def missing_registries(values: Any, path: ValuePath = ()) -> list[ValuePath]:
    """``registry`` keys an image map lacks: a template may default a key the values
    never spell (``{{ .Values.image.registry | default "docker.io" }}``); marked like a
    null value, they show whether it does (and setting it is then the override)."""
    found: list[ValuePath] = []
    if isinstance(values, Mapping):
        names = {str(k) for k in values}
        key = path[-1] if path else ""
        if (isinstance(key, str) and "image" in key.lower() and "registry" not in names
                and ("repository" in names or "image" in names or "name" in names)):
            found.append((*path, "registry"))
        for k, v in values.items():
            found += missing_registries(v, (*path, str(k)))
    elif isinstance(values, list):
        for index, item in enumerate(values):
            found += missing_registries(item, (*path, index))
    return found


class Tracer:
    """Renders one release with markers and keeps what it learnt.

    ``layers`` are the release's values (Helm order); ``defaults`` the chart's own
    values with subcharts under their alias keys.  ``embedded``: the images an operator
    launches, named in containers' ``args``/``env`` values (a config-reloader,
    ``RELATED_IMAGE_*``) or a custom resource's spec (``Prometheus`` ``spec.image``),
    are traced too, as if containers (``container_type`` ``args``, ``env`` or
    ``resource``; :func:`image_word` picks them), so a value they share with a container
    is never changed in a way that breaks them.
    """

    def __init__(
        self, chart: Path, layers: Sequence[ValuesLayer], defaults: Mapping[str, Any],
        *, release: str, namespace: str, embedded: bool = False,
    ) -> None:
        self.chart = chart
        self.embedded = embedded
        self.layers = [*layers, ALLOW_INSECURE_LAYER]
        self.release = release
        self.namespace = namespace
        self.effective = helm.merge(defaults, helm.merge_layers(layers))
        try:
            rendered = self.images()
        except HelmFailure:  # a chart whose schema refuses Bitnami's flag: render without
            self.layers = list(layers)
            rendered = self.images()
        # every container and word, as later renders are paired with it (:func:`pair`)
        self._rendered = keyed(rendered)
        self.baseline = {key: item for key, item in self._rendered.items()
                         if item.container_type not in EMBEDDED or image_word(item)}
        self.values: dict[ValuePath, str] = {}  # baseline text of every traced value
        self.traces: dict[ContainerKey, Trace] = {}
        self._regimes: dict[frozenset[ValuePath], dict[ContainerKey, Recipe | None]] = {}
        self._markers: dict[ValuePath, str] = {}
        self.refusal = ""  # Helm's last words on a render with markers it refused
        self._trace()

    # -------------------------------------------------------------- rendering

    def images(self, extra: Sequence[ValuesLayer] = ()) -> list[WorkloadImage]:
        manifests = helm.render(
            self.chart, [*self.layers, *extra], release=self.release, namespace=self.namespace
        )
        try:
            return from_manifests(manifests, embedded=self.embedded)
        except ValueError as exc:
            raise HelmFailure(str(exc)) from exc

    def _marked(self, paths: Sequence[ValuePath]) -> dict[ContainerKey, WorkloadImage] | None:
        settings = {p: self._marker(p) for p in paths}
        layer = ValuesLayer("(discovery only) markers", overlay(self.effective, settings))
        try:
            found, extra = pair(self._rendered, self.images([layer]))
        except HelmFailure as exc:
            self.refusal = helm_words(str(exc))
            return None
        if any(item.container_type not in EMBEDDED for item in extra) or any(
                key not in found for key in _containers(self._rendered)):
            return None  # markers changed which containers exist: not usable
        # an args/env word the markers moved is that word's loss only (not proven)
        return {key: item for key, item in found.items() if key in self.baseline}

    def _marker(self, path: ValuePath) -> str:
        if path not in self._markers:
            self._markers[path] = f"ecrm{len(self._markers)}x"
        return self._markers[path]

    # -------------------------------------------------------------- tracing

    def _trace(self) -> None:
        images = [w.image for w in self.baseline.values()]
        strings = [
            (path, value) for path, value in leaves(self.effective)
            if isinstance(value, str) and value and path
            and (len(value) >= 2 or _image_paths(path))
            and not (isinstance(path[-1], str) and path[-1].lower() in _NAMING_KEYS)
            and any(value in image for image in images)
        ]
        # A chart may refuse a marker (a schema, semverCompare on the tag, a value that
        # also picks a branch): then mark fewer values, tags and digests first (they are
        # never changed), then only image-like keys, then whatever halves still render.
        tries = [
            strings,
            [(p, v) for p, v in strings if not _tag_like(p)],
            [(p, v) for p, v in strings if not _tag_like(p) and _image_paths(p)],
        ]
        marked = None
        for attempt in tries:
            strings = attempt
            marked = self._marked([p for p, _ in strings])
            if marked is not None:
                break
        first = tries[0]
        if marked is None and strings:
            kept = set(self._markable([p for p, _ in strings]))
            strings = [(p, v) for p, v in strings if p in kept]
            marked = self._marked([p for p, _ in strings])
        # registry/repository values the chart refused to render with another value
        marked_paths = {p for p, _ in strings}
        refused = [(p, v) for p, v in first if p not in marked_paths
                   and not _tag_like(p) and _image_paths(p)]
        self.values = {p: v for p, v in strings}
        self.direct = [p for p, _ in strings]
        by_marker = {self._marker(p): p for p, _ in strings}
        empties = [p for p, v in leaves(self.effective) if v in (None, "") and p
                   and _empty_candidate(p)]
        absent = set(missing_registries(self.effective))
        present = list(empties)
        empties += sorted(absent, key=dotted)
        for path in empties:
            self.values.setdefault(path, "")
        # keys the values lack apart: a schema that refuses unknown keys must not cost
        # the null/empty values their render together
        reached = [*self._reached(present),
                   *self._reached(sorted(absent, key=dotted), alone=False)]
        empty_by_marker = {self._marker(p): p for p in empties}
        if marked is not None:
            self._trimmed(marked, by_marker)
        recipes: dict[ContainerKey, Recipe | None] = {}
        for key, item in self.baseline.items():
            trace = Trace(item, None, absent=absent)
            self.traces[key] = trace
            if marked is None:
                trace.reason = "the chart does not render with marker values"
                recipes[key] = None
                continue
            shown = marked.get(key)
            if shown is None:
                trace.reason = "the render with markers moved this word of its args or env"
                # (a container's key never goes missing: _marked refuses that render)
                recipes[key] = None
                continue
            raw = _recipe(shown.image, by_marker)
            trace.touched = set(raw.paths)
            aligned, why, trace.fixed = self._align(raw, item.image)
            inside = [p for p, v in refused if v in item.image]
            if aligned is not None and not aligned.paths and inside:
                # not written in the template: its values cannot be changed at all
                aligned, why = None, (
                    f"the chart refuses to render with {dotted(inside[0])} changed"
                    + (f" ({self.refusal})" if self.refusal else ""))
            trace.recipe, trace.reason = aligned, why
            recipes[key] = aligned
            for marked_images in reached:
                seen = marked_images.get(key)
                for n in MARKER.findall(seen.image if seen else ""):
                    empty = empty_by_marker.get(f"ecrm{n}x")
                    if empty is not None and empty not in trace.empties:
                        trace.empties.append(empty)
        self._regimes[frozenset()] = recipes

    def _trimmed(
        self, marked: Mapping[ContainerKey, WorkloadImage], by_marker: Mapping[str, ValuePath]
    ) -> None:
        """A registry value with a trailing ``/`` that every template using it trims
        (``trimSuffix "/"``) is taken as the text it renders, so the image it composes
        is traced (and a new value without the ``/`` renders as written)."""
        raws = [(_recipe(shown.image, by_marker), self.baseline[key].image)
                for key in self.baseline if (shown := marked.get(key)) is not None]
        for path, value in list(self.values.items()):
            if not value.endswith("/") or not value.rstrip("/"):
                continue
            uses = [(recipe, image) for recipe, image in raws if path in recipe.paths]
            trimmed = {**self.values, path: value.rstrip("/")}
            if uses and all(recipe.text(self.values) != image and recipe.text(trimmed) == image
                            for recipe, image in uses):
                self.values[path] = value.rstrip("/")

    def _markable(self, paths: Sequence[ValuePath], budget: list[int] | None = None
                  ) -> list[ValuePath]:
        """A large subset of ``paths`` that renders with markers, found by halving (at
        most ``_MAX_ALONE`` renders)."""
        budget = budget if budget is not None else [_MAX_ALONE]
        if not paths or budget[0] <= 0:
            return []
        budget[0] -= 1
        if self._marked(paths) is not None:
            return list(paths)
        if len(paths) == 1:
            return []
        half = len(paths) // 2
        first = self._markable(paths[:half], budget)
        second = self._markable(paths[half:], budget)
        both = [*first, *second]
        if first and second and budget[0] > 0:
            budget[0] -= 1
            if self._marked(both) is not None:
                return both
            return first if len(first) >= len(second) else second
        return both

    def _reached(
        self, empties: Sequence[ValuePath], *, alone: bool = True
    ) -> list[dict[ContainerKey, WorkloadImage]]:
        """Renders with null/empty values marked: all at once, else (``alone``) one at
        a time (a value may decide whether a container exists at all)."""
        if not empties:
            return []
        together = self._marked(empties)
        if together is not None:
            return [together]
        if not alone:
            return []
        each = [self._marked([path]) for path in empties[:_MAX_ALONE]]
        return [found for found in each if found is not None]

    def _align(
        self, recipe: Recipe, image: str
    ) -> tuple[Recipe | None, str | None, dict[ValuePath, str]]:
        """``recipe`` checked against the baseline image; transformed values become
        text (and are returned: path -> the text the template makes of it)."""
        if recipe.text(self.values) == image:
            return recipe, None, {}
        pattern = "".join(
            re.escape(s) if isinstance(s, str) else "(.*?)" for s in recipe.segments
        )
        match = re.fullmatch(pattern, image, re.DOTALL)
        if match is None:
            names = ", ".join(dotted(p) for p in recipe.paths)
            why = f"the template transforms {names} in a way the render does not show"
            return None, why, {}
        fixed: dict[ValuePath, str] = {}
        groups = iter(match.groups())
        for segment in recipe.segments:
            if isinstance(segment, tuple):
                text = next(groups)
                if text != self.values.get(segment):
                    fixed[segment] = text
        return _fix(recipe, fixed), None, fixed

    def recipes(self, regime: frozenset[ValuePath]) -> dict[ContainerKey, Recipe | None]:
        """Every container's recipe with the ``regime`` (null/empty) values set."""
        if regime not in self._regimes:
            marked = self._marked([*self.direct, *sorted(regime, key=dotted)])
            by_marker = {self._marker(p): p for p in [*self.direct, *regime]}
            out: dict[ContainerKey, Recipe | None] = {}
            for key, trace in self.traces.items():
                shown = marked.get(key) if marked is not None else None
                if shown is None or trace.recipe is None:
                    out[key] = None
                    continue
                raw = _recipe(shown.image, by_marker)
                out[key] = _fix(raw, trace.fixed)
            self._regimes[regime] = out
        return self._regimes[regime]


def helm_words(message: str) -> str:
    """Helm's own words from a :class:`HelmFailure` (the indented detail under its
    "helm could not render" line), on one line."""
    words: list[str] = []
    for line in message.splitlines()[1:]:
        if not line.startswith("  "):
            break
        words.append(line.strip())
    return MARKER.sub("<changed>", " ".join(words))[:300]


def _containers(keys: Iterable[ContainerKey]) -> set[ContainerKey]:
    return {key for key in keys if key[3] not in EMBEDDED}


def image_word(item: WorkloadImage) -> bool:
    """Whether a word of a container's args or env, or a custom resource's image string
    (``item.image``), names an image: a
    reference with a tag or digest, and a ``/`` after a registry host, or a field that
    says ``image`` (``--thanos-image=thanos/thanos:v0.37``, ``RELATED_IMAGE_X``, a
    custom resource's ``spec.image``); a base image the operator adds its own tag to
    (``--prometheus-default-base-image=quay.io/prometheus/prometheus``) when both."""
    word = item.image
    try:
        ref = parse(word)
    except InvalidReference:
        return False
    first, slash, _ = word.partition("/")
    field = item.container.rsplit(" ", 1)[-1].lower()
    host = bool(slash) and ("." in first or ":" in first or first == "localhost")
    says = "image" in field and not _HOST_PORT.fullmatch(word)
    if not (ref.tag or ref.digest):
        return host and says
    return host or says


_HOST_PORT = re.compile(r"[\w.-]+:[0-9]+")  # localhost:5000, 0.0.0.0:8080: not images


def _fix(recipe: Recipe, fixed: Mapping[ValuePath, str]) -> Recipe:
    """``recipe`` with the values a template transforms as the text it makes of them
    (those values are never changed), adjacent text joined."""
    joined: list[Segment] = []
    for segment in recipe.segments:
        if isinstance(segment, tuple) and segment in fixed:
            segment = fixed[segment]
        if isinstance(segment, str) and joined and isinstance(joined[-1], str):
            joined[-1] = joined[-1] + segment
        else:
            joined.append(segment)
    return Recipe(tuple(joined))


def _recipe(marked: str, by_marker: Mapping[str, ValuePath]) -> Recipe:
    segments: list[Segment] = []
    at = 0
    for match in MARKER.finditer(marked):
        path = by_marker.get(match.group(0))
        if path is None:
            continue
        if match.start() > at:
            segments.append(marked[at:match.start()])
        segments.append(path)
        at = match.end()
    if at < len(marked):
        segments.append(marked[at:])
    return Recipe(tuple(segments))
