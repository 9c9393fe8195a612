"""Which values to change so that every image becomes exactly its cache reference.

Input: a :class:`~ecr.charts.provenance.Tracer` (each container's image as template
text and value paths) and, per container, the image it must become
(:class:`Expected`: its cache reference, or itself when its host cannot be cached or
it already is in the registry).  Output: the smallest set of value changes
(:class:`Solution`) and the containers left alone, each with the reason.

Greedy, container by container: the candidate changes for a container are one value
(a chart-wide registry becomes ``<registry>/<prefix>``; a full reference becomes the
cache reference) or two values split at the template text between them (registry and
repository).  A candidate is kept only when every container it touches becomes
exactly what it must be (a value shared with an image that the change would break is
repaired with that image's own values, or the candidate is dropped); among the kept
ones, the change that fixes the most containers with the fewest values wins, which
makes a chart-wide registry one override for all of its images.  Pure apart from the
renders the tracer does on demand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ecr.charts.provenance import (
    MARKER,
    ContainerKey,
    Recipe,
    Tracer,
    ValuePath,
    dotted,
    leaves,
)
from ecr.charts.surface import Surface
from ecr.images import mapping
from ecr.images.reference import InvalidReference, embedded_suffix, parse

CONVERT = "convert"  # must become its cache reference
KEEP = "keep"  # already in the registry: must not change
UNCACHEABLE = "uncacheable"  # a host the cache cannot front: must not change
BROKEN = "broken"  # not a reference (or a wrong one we cannot repair): must not change


@dataclass(frozen=True)
class Expected:
    """What one container's image must be after the conversion."""

    before: str
    target: str  # == before unless kind is CONVERT
    kind: str
    note: str | None = None


def expect(
    image: str, registry: str, host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Expected:
    """The exact cache reference of ``image`` (tag and digest as written)."""
    try:
        ref = parse(image)
    except InvalidReference as exc:
        return Expected(image, image, BROKEN, f"not an image reference: {exc}")
    try:
        cached = mapping.to_cache(ref, registry, host_prefixes, aliases)
    except mapping.UnsupportedRegistry:
        return Expected(image, image, UNCACHEABLE, f"{ref.domain} cannot be cached")
    except InvalidReference as exc:
        inner = unnest(image, registry)
        if inner is None:
            return Expected(image, image, BROKEN, str(exc))
        return Expected(image, inner, CONVERT, "a registry put in front of a cache reference")
    if cached.prefix is None:
        return Expected(image, image, KEEP, cached.warning)
    return Expected(image, cached.cache.name + embedded_suffix(image), CONVERT, cached.warning)


def unnest(image: str, registry: str) -> str | None:
    """``<host>/<registry>/<path>`` -> ``<registry>/<path>``: a chart's own registry put
    in front of a value that already holds our full reference."""
    try:
        ref = parse(image)
    except InvalidReference:
        return None
    first, sep, rest = ref.path.partition("/")
    if not sep or first.lower() != registry.lower():
        return None
    return f"{registry}/{rest}{ref.suffix}"


@dataclass
class Solution:
    changes: dict[ValuePath, str] = field(default_factory=dict)
    left: dict[ContainerKey, str] = field(default_factory=dict)  # container -> why


class Solver:
    def __init__(
        self, tracer: Tracer | Surface, expected: Mapping[ContainerKey, Expected], registry: str,
        prefixes: set[str], blocked: Mapping[ValuePath, str] | None = None,
        refused: Mapping[tuple[ValuePath, str], str] | None = None,
    ) -> None:
        """``blocked``: values the file being written cannot set (a later input sets
        them and wins), with the reason; ``refused``: (value, new text) pairs the chart
        refused in a render (a schema pattern, a ``fail``), with Helm's words."""
        self.blocked = dict(blocked or {})
        self.refused = dict(refused or {})
        self.tracer = tracer
        self.expected = expected
        self.registry = registry
        self.prefixes = prefixes
        self.empties = {p for t in tracer.traces.values() for p in t.empties}
        self.left: dict[ContainerKey, str] = {}

    # ---------------------------------------------------------------- evaluation

    def goal(self, key: ContainerKey) -> str:
        return self.expected[key].before if key in self.left else self.expected[key].target

    def text(self, key: ContainerKey, changes: Mapping[ValuePath, str]) -> str | None:
        regime = frozenset(p for p in changes if p in self.empties)
        recipe = self.tracer.recipes(regime).get(key)
        if recipe is None:
            trace = self.tracer.traces[key]
            reached = trace.touched | set(trace.empties)
            untouched = trace.recipe is None and not reached.intersection(changes)
            return self.expected[key].before if untouched else None
        try:
            return recipe.text({**self.tracer.values, **changes})
        except KeyError:
            return None

    def status(self, key: ContainerKey, changes: Mapping[ValuePath, str]) -> str:
        text = self.text(key, changes)
        if text == self.goal(key):
            return "ok"
        return "todo" if text == self.expected[key].before else "wrong"

    def statuses(self, changes: Mapping[ValuePath, str]) -> dict[ContainerKey, str]:
        return {key: self.status(key, changes) for key in self.expected}

    # ---------------------------------------------------------------- search

    def solve(self) -> Solution:
        changes: dict[ValuePath, str] = {}
        for key, trace in self.tracer.traces.items():
            if self.expected[key].kind == CONVERT and trace.recipe is None:
                self.left[key] = f"not proven: {trace.reason}"
        for key in self.expected:
            if key in self.left or self.status(key, changes) == "ok":
                continue
            best = self._best(key, changes)
            if best is None:
                self.left[key] = self._why(key)
                continue
            changes = best
        return Solution(changes, dict(self.left))

    def _best(
        self, key: ContainerKey, changes: dict[ValuePath, str]
    ) -> dict[ValuePath, str] | None:
        before = self.statuses(changes)
        best: tuple[tuple[int, int, int, int], dict[ValuePath, str]] | None = None
        for candidate in self.candidates(key, changes):
            if any(pair in self.refused for pair in candidate.items()):
                continue
            new = self._repair({**changes, **candidate}, before)
            if new is None:
                continue
            after = self.statuses(new)
            if after[key] != "ok":
                continue
            ok = sum(1 for s in after.values() if s == "ok")
            impure = sum(1 for p, v in new.items() if v != self.registry and
                         _host_like(self.tracer.values.get(p, "")))
            depth = sum(len(p) for p in new)  # global.x over sub.global.x
            score = (-ok, len(new), impure, depth)
            if best is None or score < best[0]:
                best = (score, new)
        return None if best is None else best[1]

    def _repair(
        self, changes: dict[ValuePath, str], before: Mapping[ContainerKey, str]
    ) -> dict[ValuePath, str] | None:
        """``changes`` plus fixes for the containers it breaks; None when it cannot."""
        for _ in range(len(self.expected)):
            now = self.statuses(changes)
            if any(before[k] == "ok" and now[k] != "ok" and now[k] != "wrong" for k in now):
                return None
            wrong = [k for k, s in now.items() if s == "wrong"]
            if not wrong:
                return changes
            fixed = None
            for candidate in self.candidates(wrong[0], changes):
                if any(pair in self.refused for pair in candidate.items()):
                    continue
                trial = {**changes, **candidate}
                result = self.statuses(trial)
                if result[wrong[0]] == "ok" and all(
                    result[k] == "ok" for k, s in now.items() if s == "ok"
                ):
                    fixed = trial
                    break
            if fixed is None:
                return None
            changes = fixed
        return None

    def candidates(
        self, key: ContainerKey, changes: Mapping[ValuePath, str]
    ) -> Iterator[dict[ValuePath, str]]:
        regime = frozenset(p for p in changes if p in self.empties)
        goal = self.goal(key)
        options: list[tuple[frozenset[ValuePath], ValuePath | None]] = [(regime, None)]
        for empty in self.tracer.traces[key].empties:
            if empty not in changes:
                options.append((regime | {empty}, empty))
        for option, forced in options:
            recipe = self.tracer.recipes(option).get(key)
            if recipe is None:
                continue
            values = {**self.tracer.values, **changes}
            free = [p for p in dict.fromkeys(recipe.paths)
                    if p not in changes and p not in self.blocked]
            if forced is not None and forced in self.blocked:
                continue
            for path in free:
                if forced is None or path == forced:
                    yield from self._one(recipe, values, path, goal)
            for i, first in enumerate(free):
                for second in free[i + 1:]:
                    if forced is None or forced in (first, second):
                        yield from self._two(recipe, values, first, second, goal)

    def _one(
        self, recipe: Recipe, values: Mapping[ValuePath, str], path: ValuePath, goal: str
    ) -> Iterator[dict[ValuePath, str]]:
        segments = recipe.segments
        if segments.count(path) != 1:
            return
        at = segments.index(path)
        head = Recipe(segments[:at]).text(values)
        tail = Recipe(segments[at + 1:]).text(values)
        if not (goal.startswith(head) and goal.endswith(tail)
                and len(goal) > len(head) + len(tail)):
            return
        new = goal[len(head):len(goal) - len(tail)]
        if self._natural(values.get(path, ""), new, head == ""):
            yield {path: new}

    def _two(
        self, recipe: Recipe, values: Mapping[ValuePath, str], first: ValuePath,
        second: ValuePath, goal: str,
    ) -> Iterator[dict[ValuePath, str]]:
        segments = recipe.segments
        if segments.count(first) != 1 or segments.count(second) != 1:
            return
        a, b = sorted((segments.index(first), segments.index(second)))
        left, right = segments[a], segments[b]
        assert isinstance(left, tuple) and isinstance(right, tuple)
        head = Recipe(segments[:a]).text(values)
        middle = Recipe(segments[a + 1:b]).text(values)
        tail = Recipe(segments[b + 1:]).text(values)
        if not middle or not (goal.startswith(head) and goal.endswith(tail)):
            return
        region = goal[len(head):len(goal) - len(tail)] if tail else goal[len(head):]
        at = region.find(middle, 1)
        while at > 0:
            x, y = region[:at], region[at + len(middle):]
            if y and self._natural(values.get(left, ""), x, head == "") and \
                    self._natural(values.get(right, ""), y, False):
                yield {left: x, right: y}
            at = region.find(middle, at + 1)

    def _natural(self, old: str, new: str, at_start: bool) -> bool:
        """Whether ``new`` keeps the role ``old`` had: a registry stays a registry
        (``<registry>`` or ``<registry>/<prefix>``), a name without host stays one, a
        full reference becomes the full cache reference."""
        registry = self.registry
        if not new or new == old or MARKER.search(new) or any(c.isspace() for c in new):
            return False
        if _host_like(old) or old == registry:
            return new == registry or (
                new.startswith(registry + "/") and new[len(registry) + 1:] in self.prefixes
            )
        first = old.split("/", 1)[0]
        if not at_start and first == registry:
            # our reference behind the chart's registry: it becomes the path only
            return registry not in new
        if at_start or (old and "/" in old and _host_like(first)):
            return new.startswith(registry + "/")
        return registry not in new

    def _why(self, key: ContainerKey) -> str:
        trace = self.tracer.traces[key]
        if trace.literal:
            inside = next((path for path, value in leaves(self.tracer.effective)
                           if isinstance(value, str) and "\n" in value
                           and trace.image.image in value), None)
            if inside is not None:
                return (f"inside the text of {dotted(inside)} (a template renders it): "
                        "change the image in that text by hand")
            return f"written in the chart's template {trace.image.template}: set it by hand"
        names = ", ".join(dotted(p) for p in dict.fromkeys([*trace.paths, *trace.empties]))
        blocked = [self.blocked[p] for p in [*trace.paths, *trace.empties] if p in self.blocked]
        if blocked:
            return blocked[0]
        refused = [f"the chart refuses {dotted(p)}: {v} ({why})"
                   for (p, v), why in self.refused.items()
                   if p in [*trace.paths, *trace.empties]]
        if refused:
            return refused[0]
        twice = [p for p in dict.fromkeys(trace.paths) if trace.paths.count(p) > 1]
        if twice:
            return (f"{dotted(twice[0])} shows {trace.paths.count(twice[0])} times in the "
                    f"image: no one value of it gives exactly {self.expected[key].target}")
        return (f"no change of the values that compose it ({names}) gives exactly "
                f"{self.expected[key].target} without changing another image")


_HOST = re.compile(
    r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+(?::[0-9]+)?|localhost(?::[0-9]+)?"
)


def _host_like(value: str) -> bool:
    """A registry host (``quay.io``, ``localhost:5000``), not a name (``nginx:1.27``,
    ``app:5``: a name with a tag, as a value with no ``/`` is far more often)."""
    return bool(_HOST.fullmatch(value))
