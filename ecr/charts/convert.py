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
Exit status: 0 done, 1 a proof failed (that file not written) or --check found changes,
2 bad usage or a chart that could not be rendered.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from ecr.charts import images
from ecr.charts import overrides as chart_overrides
from ecr.charts.helm import HelmFailure
from ecr.charts.images import Fetcher, Release
from ecr.charts.overrides import ChartPlan
from ecr.cli import output
from ecr.errors import UsageError
from ecr.values.files import atomic_write


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
        releases, problems = images.releases_from_args(args, apps)
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
                chart_overrides.plan(release, chart, target, registry, host_prefixes, aliases)
            )
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
            }
        )
    else:
        show_diff = not (args.write or args.check)
        if show_diff:
            for plan in plans:
                sys.stdout.write(diff(plan))
        _print_report(plans, written, sys.stderr if show_diff else sys.stdout, args)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems or any(p.error for p in plans):
        return 2
    if any(not p.ok for p in plans) or (args.check and any(p.changed for p in plans)):
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
    written = []
    for plan in plans:
        if not (plan.ok and plan.changed):
            continue
        atomic_write(plan.target, plan.text.encode("utf-8"))  # it exists: checked up front
        written.append(plan.target)
    return written


def _print_report(
    plans: list[ChartPlan], written: list[Path], out: TextIO, args: argparse.Namespace
) -> None:
    for plan in plans:
        print(f"{plan.release.label}: {plan.target}", file=out)
        if plan.error:
            print(f"  ERROR, nothing written: {plan.error}", file=out)
            continue
        for change in plan.rewrite.changes if plan.rewrite else []:
            print(f"  rewrote {change.key_path}: {change.before} -> {change.after}", file=out)
        for override in plan.overrides:
            print(f"  added {override.key_path}: {override.before} -> {override.after}",
                  file=out)
        for setting in plan.settings:
            print(f"  set {setting}", file=out)
        for note in plan.rewrite.notes if plan.rewrite else []:
            # the render decides these two: the Bitnami flag, and registry + repository
            if "allowInsecureImages" not in note and "now holds the full reference" not in note:
                print(f"  note: {note}", file=out)
        cached = sum(1 for f in plan.proof if f.verdict.status not in images.FAILING)
        print(f"  proof: rendered again, {cached} of {len(plan.proof)} container image(s) "
              "through the registry", file=out)
        for where in plan.uncacheable:
            print(f"  cannot be cached (mirror it, or --alias its host): {where}", file=out)
        if plan.unresolved:
            print("  PROOF FAILED, nothing written; still bypassing the cache:", file=out)
            for where in plan.unresolved:
                print(f"    {where}", file=out)
            if any(u.endswith("still pulled from upstream") for u in plan.unresolved):
                print("    (no chart value spells it: hard-coded in a template, or an item of a "
                      "list; set it by hand)", file=out)
        elif plan.target in written:
            print(f"  wrote {plan.target}", file=out)
        elif plan.changed and args.check:
            print(f"  would change {plan.target}", file=out)
        elif plan.changed:
            print("  nothing written: rerun with --write to apply", file=out)
        else:
            print("  nothing to change", file=out)
