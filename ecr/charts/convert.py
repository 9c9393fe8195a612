"""``convert --chart`` / ``convert --apps``: the command-line side of :mod:`ecr.charts.overrides`.

``ecr convert`` (``scripts/convert-image-url.sh``) hands over to :func:`run` when a
chart or ArgoCD Applications are given:

- ``convert --chart CHART --values FILE [--set K=V]...``: one release; the overrides
  go into the last ``--values`` file, which must exist: a mistyped path is an error,
  never a new file (``touch`` it first to start one);
- ``convert --apps PATH...``: every Helm Application under the paths; each one's
  overrides go into its last ``valueFiles`` entry (``$values/...`` included).  Entries
  missing under ``ignoreMissingValueFiles`` are skipped by ``ecr.charts.argocd`` (as
  ArgoCD does), so the target is the last one that exists; a missing entry without
  that flag is reported for its Application.

Default: show the diff and what the proof render found, write nothing.
``--write`` writes each file whose proof passed; ``--check`` exits 1 if any would change.
Exit status: 0 done, 1 a proof failed (that file not written), an image is left for you
(the rest is written) or --check found changes, 2 bad usage or a chart that could not
be rendered.

For ``convert --files`` (:mod:`ecr.cli.commands.convert`), a values file with a
``Chart.yaml`` beside it goes through the chart too: :func:`plan_values_file`,
:func:`write_plan` and :func:`plan_lines` are that entry point (no argparse).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from ecr.charts import images, overrides
from ecr.charts.argocd import ValuesSpec
from ecr.charts.helm import HelmFailure
from ecr.charts.images import Fetcher, Release
from ecr.charts.overrides import ChartPlan
from ecr.charts.source import ChartSource
from ecr.cli import output
from ecr.errors import UsageError
from ecr.values.files import atomic_write


def plan_values_file(
    values_file: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    *,
    chart: Path | None = None,
    release: str | None = None,
    namespace: str = "default",
) -> ChartPlan:
    """The plan for one values file of a local chart: ``chart`` (default: the directory
    holding ``values_file``, which has a ``Chart.yaml``) rendered with that file as its
    values, every image traced, changes proven by a second render.  Writes nothing;
    :func:`write_plan` does.  Errors (a chart Helm cannot render, a file that cannot be
    edited surgically) are in ``plan.error``, never raised."""
    chart_dir = chart if chart is not None else values_file.parent
    name = release or chart_dir.resolve().name
    spec = ValuesSpec(origin=str(values_file), path=values_file)
    rel = Release(name, ChartSource(str(chart_dir)), (spec,), name, namespace)
    return overrides.plan(rel, chart_dir, values_file, registry, host_prefixes, aliases)


def write_plan(plan: ChartPlan) -> bool:
    """Write ``plan.target`` (atomically) when its proof passed and it changes; whether
    it was written."""
    if not (plan.ok and plan.changed):
        return False
    atomic_write(plan.target, plan.text.encode("utf-8"))
    return True


def run(
    args: argparse.Namespace, registry: str, host_prefixes: dict[str, str],
    aliases: dict[str, str],
) -> int:
    if args.files:
        raise UsageError("--files rewrites files as they are; --chart/--apps render a chart: "
                         "pick one")
    apps = [Path(p) for p in args.items] if args.apps else []
    if args.chart and args.items:
        raise UsageError("with --chart, give values files with --values FILE, not arguments")
    if args.apps and not apps:
        raise UsageError("--apps needs paths to ArgoCD Application manifests or directories")
    if args.chart:
        _check_values_files(args.values_files)
    try:
        notes: list[str] = []
        releases, problems = images.releases_from_args(args, apps, notes)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    plans: list[ChartPlan] = []
    with tempfile.TemporaryDirectory(prefix="ecr-convert-") as work, output.Progress(
        len(releases), "rendering"
    ) as progress:
        cache = (registry, host_prefixes) if args.charts_via_cache else None
        fetcher = Fetcher(Path(work), args.plain_http, cache, args.dependency_build)
        for release in releases:
            progress.advance()
            target = _target_file(release)
            if target is None:
                problems.append(
                    f"{release.label}: no values file to write the overrides into "
                    "(give --values FILE, or add valueFiles to the Application)"
                )
                continue
            try:
                chart = fetcher.get(release.chart)
            except HelmFailure as exc:
                problems.append(f"{release.label}: {exc}")
                continue
            plans.append(
                overrides.plan(release, chart, target, registry, host_prefixes, aliases)
            )
    _shared_files(plans)
    written = _write(plans) if args.write else []
    if args.output == "json":
        output.print_json(
            {
                "registry": registry,
                "releases": [
                    {**p.as_dict(), "diff": diff(p), "written": p.target in written}
                    for p in plans
                ],
                "problems": problems,
                "notes": notes,
            }
        )
    else:
        show_diff = not (args.write or args.check)
        if show_diff:
            for plan in plans:
                sys.stdout.write(diff(plan))
        _print_report(plans, written, sys.stderr if show_diff else sys.stdout, args)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems or any(p.error for p in plans):
        return 2
    if any(not p.ok or p.left for p in plans) or (args.check and any(p.changed for p in plans)):
        return 1
    return 0


def _check_values_files(files: list[Path]) -> None:
    """Every ``--values`` file must exist: the last one is written, so a typo would
    otherwise create a new file nobody reads while the real one stays unchanged."""
    for index, path in enumerate(files):
        if path.is_file():
            continue
        if path.exists():
            raise UsageError(f"{path} is not a file; give a values file with --values")
        if index == len(files) - 1:
            raise UsageError(f"{path} does not exist; create it first (touch {path}) if you "
                             "want the overrides written there")
        raise UsageError(f"{path} does not exist; check the --values path")


def _shared_files(plans: list[ChartPlan]) -> None:
    """A values file several releases read is one file for all of them: a change proven
    for one is not proven for the others.  Such plans become errors, nothing written."""
    by_file: dict[Path, list[ChartPlan]] = {}
    for plan in plans:
        by_file.setdefault(plan.target.resolve(), []).append(plan)
    for target, sharing in by_file.items():
        if len(sharing) > 1 and any(p.changed for p in sharing):
            names = ", ".join(p.release.label for p in sharing)
            for plan in sharing:
                plan.error = (f"{target} is the values file of {names}: a change proven for "
                              "one release is not proven for the others; convert one with "
                              "--chart CHART --values FILE, then check all of them with "
                              "images --check, or give each its own values file")


def _target_file(release: Release) -> Path | None:
    files = release.value_files
    return files[-1] if files else None


def diff(plan: ChartPlan) -> str:
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


def _write(plans: list[ChartPlan]) -> list[Path]:
    """Write each changed file whose proof passed; a failed proof writes nothing."""
    return [plan.target for plan in plans if write_plan(plan)]  # targets exist: checked


def _print_report(
    plans: list[ChartPlan], written: list[Path], out: TextIO, args: argparse.Namespace
) -> None:
    for plan in plans:
        for line in plan_lines(plan, written=plan.target in written, check=args.check):
            print(line, file=out)


def plan_lines(plan: ChartPlan, *, written: bool, check: bool = False) -> list[str]:
    """The report for one plan, one line each: what is set, the proof, what is left."""
    lines = [f"{plan.release.label}: {plan.target}"]
    if plan.error:
        return [*lines, f"  ERROR, nothing written: {plan.error}"]
    for override in plan.overrides:
        before = override.before or "(null or empty)"
        users = len(override.containers)
        lines.append(f"  set {override.key_path}: {before} -> {override.after} "
                     f"({users} container image{'s' if users != 1 else ''})")
    lines.extend(f"  set {setting}" for setting in plan.settings)
    exact = sum(1 for c in plan.containers if c["exact"])
    lines.append(f"  proof: rendered again, container by container: {exact} of "
                 f"{len(plan.containers)} exactly as expected (the cache reference of what "
                 "it ran, or unchanged)")
    lines.extend(f"  cannot be cached (mirror it, or --alias its host): {where}"
                 for where in plan.uncacheable)
    lines.extend(f"  left for you: {where}" for where in plan.left)
    if plan.unresolved:
        lines.append("  PROOF FAILED, nothing written:")
        lines.extend(f"    {where}" for where in plan.unresolved)
    elif written:
        lines.append(f"  wrote {plan.target}")
    elif plan.changed and check:
        lines.append(f"  would change {plan.target}")
    elif plan.changed:
        lines.append("  nothing written: rerun with --write to apply")
    else:
        lines.append("  nothing to change")
    return lines
