"""``convert --chart`` / ``convert --apps`` below the command line: plan, prove, write.

:func:`plan_releases` renders each :class:`~ecr.charts.images.Release`, adds the
overrides its last values file misses (:mod:`ecr.charts.overrides`) and proves them by
a second render; :func:`write_plans` writes the proven ones atomically.  A values file
several releases read is an error for all of them (:func:`shared_files`).  Reports are
text (:func:`diff`, :func:`plan_lines`): printing them, flags and exit codes are the
command line's (:mod:`ecr.cli.chart_convert`).

For ``convert --files``, :func:`plan_values_file` plans one values file of a local
chart; :func:`write_plan` writes one plan.
"""

from __future__ import annotations

import dataclasses
import difflib
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ecr.charts import argocd, helm, inline, overrides
from ecr.charts.argocd import ValuesSpec
from ecr.charts.defaults import read_yaml
from ecr.charts.helm import HelmFailure
from ecr.charts.images import ChartRequest, Fetcher, Release
from ecr.charts.overrides import ChartPlan
from ecr.charts.provenance import ValuePath
from ecr.charts.source import ChartSource
from ecr.values.files import atomic_write, read_only


def plan_values_file(
    values_file: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    *,
    chart: Path | None = None,
    release: str | None = None,
    namespace: str = "default",
    after: Sequence[ValuesSpec] = (),
) -> ChartPlan:
    """The plan for one values file of a local chart: ``chart`` (default: the directory
    holding ``values_file``, which has a ``Chart.yaml``) rendered with that file as its
    values, every image traced, changes proven by a second render.  Writes nothing;
    :func:`write_plan` does.  Errors (a chart Helm cannot render, a file that cannot be
    edited surgically) are in ``plan.error``, never raised.  ``after``: values Helm
    reads after the file (an Application's, when the chart needs values to render)."""
    chart_dir = chart if chart is not None else values_file.parent
    name = release or chart_dir.resolve().name
    spec = ValuesSpec(origin=str(values_file), path=values_file)
    rel = Release(name, ChartSource(str(chart_dir)), (spec, *after), name, namespace)
    return overrides.plan(rel, chart_dir, values_file, registry, host_prefixes, aliases)


def vendored_in(values_file: Path) -> tuple[Path, ValuePath] | None:
    """``(top chart, key path)`` when ``values_file`` is the own ``values.yaml`` of a
    subchart vendored in a chart's ``charts/`` directory (the topmost chart that
    vendors it, and the keys its values sit under there: the dependencies' aliases)."""
    if values_file.name != "values.yaml":
        return None
    current = values_file.parent
    prefix: list[str | int] = []
    top = None
    while current.parent.name == "charts" and (current.parent.parent / "Chart.yaml").is_file():
        parent = current.parent.parent
        prefix.insert(0, _key_in(parent, current))
        top = current = parent
    return (top, tuple(prefix)) if top is not None else None


def _key_in(parent: Path, sub: Path) -> str:
    """The key ``parent``'s values use for subchart ``sub``: its dependency's alias,
    else the subchart's name."""
    meta = read_yaml(sub / "Chart.yaml")
    name = str(meta.get("name")) if isinstance(meta, dict) and meta.get("name") else sub.name
    declared = read_yaml(parent / "Chart.yaml")
    for dep in (declared.get("dependencies") if isinstance(declared, dict) else None) or []:
        if isinstance(dep, dict) and str(dep.get("name")) == name:
            return str(dep.get("alias") or name)
    return name


def plan_vendored(
    values_file: Path, specs: Sequence[ValuesSpec], registry: str,
    host_prefixes: Mapping[str, str] | None = None, aliases: Mapping[str, str] | None = None,
    *, release: str | None = None, namespace: str = "default",
) -> ChartPlan:
    """The plan for a vendored subchart's own ``values.yaml``, proven inside the release
    of the chart that vendors it (:func:`vendored_in`), whose values win over it; with
    ``specs`` (the user's ``--values``/``--set``) as that release's values."""
    found = vendored_in(values_file)
    if found is None:
        raise ValueError(f"{values_file} is not the values.yaml of a vendored subchart")
    top, prefix = found
    with tempfile.TemporaryDirectory(prefix="ecr-vendored-") as work:
        copy = Path(work) / top.name
        shutil.copytree(top, copy, symlinks=True)
        target = copy / values_file.resolve().relative_to(top.resolve())
        above: dict[str, Any] = {}
        chart = top
        for depth in range(len(prefix)):
            own = read_yaml(chart / "values.yaml")
            layer: Any = own if isinstance(own, dict) else {}
            for key in reversed(prefix[:depth]):
                layer = {key: layer}
            above = helm.merge(above, layer)
            chart = next(p.parent for p in (chart / "charts").glob("*/Chart.yaml")
                         if _key_in(chart, p.parent) == prefix[depth])
        name = release or top.resolve().name
        rel = Release(f"{name} (vendors {values_file})", ChartSource(str(copy)), tuple(specs),
                      name, namespace)
        scope = overrides.Scope(prefix, above, values_file)
        result = overrides.plan(rel, copy, target, registry, host_prefixes, aliases, scope)
    return dataclasses.replace(result, target=values_file)


def application_values(values_file: Path) -> tuple[str, list[ValuesSpec]] | None:
    """An ArgoCD Application of the checkout holding ``values_file`` that installs the
    chart beside it (a local chart path): its name and its values (the file itself
    left out), as ArgoCD passes them.  None when there is none."""
    root = argocd.repo_root_of(values_file)
    if root is None:
        return None
    found, _ = argocd.discover([root], root)
    chart_dir = values_file.parent.resolve()
    for app in found:
        if not app.chart.is_remote and Path(app.chart.ref).resolve() == chart_dir:
            return app.app, [spec for spec in app.values if spec.path is None
                             or spec.path.resolve() != values_file.resolve()]
    return None


def write_plan(plan: ChartPlan) -> bool:
    """Write ``plan.target`` (atomically) when its proof passed and it changes; whether
    it was written."""
    if not (plan.ok and plan.changed):
        return False
    refusal = read_only(plan.target)
    if refusal:  # the user made it read-only: not replaced through its directory
        plan.error = f"{plan.target}: {refusal}"
        return False
    atomic_write(plan.target, plan.text.encode("utf-8"))
    return True


def plan_releases(
    found_releases: Sequence[Release],
    request: ChartRequest,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    *,
    advance: Callable[[], object] = lambda: None,
) -> tuple[list[ChartPlan], list[str]]:
    """A plan per release (its last values file gets the overrides), and the releases
    that could not be planned (no values file, a chart that could not be fetched).
    ``advance`` is called as each release starts (progress).  Plans of releases that
    share a values file become errors (:func:`shared_files`).  Writes nothing."""
    plans: list[ChartPlan] = []
    problems: list[str] = []
    cache = (registry, host_prefixes or {}) if request.charts_via_cache else None
    with tempfile.TemporaryDirectory(prefix="ecr-convert-") as work:
        fetcher = Fetcher(Path(work), request.plain_http, cache, request.dependency_build)
        for release in found_releases:
            advance()
            target = target_file(release)
            if target is None and release.manifest is None:
                problems.append(f"{release.label}: no values file to write the overrides "
                                "into (give --values FILE)")
                continue
            try:
                chart = fetcher.get(release.chart)
                if target is None:  # an Application with inline values only
                    plans.append(inline.plan(release, chart, Path(work), registry,
                                             host_prefixes, aliases))
                    continue
            except (HelmFailure, inline.InlineError) as exc:
                problems.append(f"{release.label}: {exc}")
                continue
            plans.append(
                overrides.plan(release, chart, target, registry, host_prefixes, aliases)
            )
    inline.merge(plans)
    shared_files(plans)
    return plans, problems


def write_plans(plans: Sequence[ChartPlan]) -> list[Path]:
    """Write each changed file whose proof passed (a failed proof writes nothing); the
    files written."""
    return [plan.target for plan in plans if write_plan(plan)]


def shared_files(plans: Sequence[ChartPlan]) -> None:
    """A values file several releases read is one file for all of them: a change proven
    for one is not proven for the others.  Such plans become errors, nothing written."""
    by_file: dict[Path, list[ChartPlan]] = {}
    for plan in plans:
        if plan.reads_back is None:  # inline values share a manifest: inline.merge
            by_file.setdefault(plan.target.resolve(), []).append(plan)
    for target, sharing in by_file.items():
        if len(sharing) > 1 and any(p.changed for p in sharing):
            names = ", ".join(p.release.label for p in sharing)
            for plan in sharing:
                plan.error = (f"{target} is the values file of {names}: a change proven for "
                              "one release is not proven for the others; convert one with "
                              "--chart CHART --values FILE, then check all of them with "
                              "images --check, or give each its own values file")


def target_file(release: Release) -> Path | None:
    """The values file a release's overrides go into: its last one."""
    files = release.value_files
    return files[-1] if files else None


def diff(plan: ChartPlan) -> str:
    """The unified diff of ``plan.target`` (empty when nothing changes)."""
    if not plan.changed:
        return ""
    name = str(plan.target)
    lines = []
    for line in difflib.unified_diff(
        plan.original.splitlines(keepends=True), plan.text.splitlines(keepends=True),
        name, name,
    ):
        lines.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(lines)


def plan_lines(plan: ChartPlan, *, written: bool, check: bool = False) -> list[str]:
    """The report for one plan, one line each: what is set, the proof, what is left."""
    lines = [f"{plan.release.label}: {plan.target}"]
    if plan.error:
        return [*lines, f"  ERROR, nothing written: {plan.error}",
                *(f"  left for you: {where}" for where in plan.left)]
    for override in plan.overrides:
        before = override.before or "(null or empty)"
        users = len(override.containers)
        n = len(override.named)
        named = f", {n} image{'s' if n != 1 else ''} an operator launches" if n else ""
        lines.append(f"  set {override.key_path}: {before} -> {override.after} "
                     f"({users} container image{'s' if users != 1 else ''}{named})")
    lines.extend(f"  set {setting}" for setting in plan.settings)
    exact = sum(1 for c in plan.containers if c["exact"])
    lines.append(f"  proof: rendered again, container by container: {exact} of "
                 f"{len(plan.containers)} exactly as expected (the cache reference of what "
                 "it ran, or unchanged)")
    lines.extend(f"  proof: {line}" for line in plan.surface)
    lines.extend(f"  not covered by the proof: {why}" for why in plan.uncovered)
    lines.extend(f"  cannot be cached (mirror it, or --alias its host): {where}"
                 for where in plan.uncacheable)
    lines.extend(f"  left for you: {where}" for where in plan.left)
    lines.extend(f"  an image an operator launches (named in args, env, a custom resource or "
                 f"a ConfigMap), left as it is: {where}" for where in plan.launched)
    if plan.unresolved:
        lines.append("  PROOF FAILED, nothing written:")
        lines.extend(f"    {where}" for where in plan.unresolved)
    elif plan.merged_into:
        lines.append(f"  written with {plan.merged_into} (the same manifest)")
    elif written:
        lines.append(f"  wrote {plan.target}")
    elif plan.changed and check:
        lines.append(f"  would change {plan.target}")
    elif plan.changed:
        lines.append("  nothing written: rerun with --write to apply")
    else:
        lines.append("  nothing to change")
    return lines
