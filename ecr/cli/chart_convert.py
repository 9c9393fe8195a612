"""``convert --chart`` / ``convert --apps``: the command-line side of :mod:`ecr.charts.convert`.

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
Exit status: :func:`ecr.cli.commands.convert.exit_status` (0 done, 1 --check found
changes, 2 an error or a failed proof, 3 done with images left, each with a note).

``convert --files`` (:mod:`ecr.cli.commands.convert`) sends each values file with a
``Chart.yaml`` beside it through :func:`convert` and :func:`show` too.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ecr.charts import convert as chart_convert
from ecr.charts.argocd import ValuesSpec
from ecr.charts.images import ChartRequest
from ecr.charts.overrides import ChartPlan
from ecr.cli import chart_input, output
from ecr.errors import UsageError


@dataclass(frozen=True)
class Outcome:
    """What converting one request did: its plans, what could not be planned, the
    notes (left alone on purpose) and the files written."""

    registry: str
    plans: list[ChartPlan]
    problems: list[str]
    notes: list[str]
    written: list[Path]

    def document(self) -> dict[str, object]:
        """The ``--output json`` document."""
        return {
            "registry": self.registry,
            "releases": [
                {**p.as_dict(), "diff": chart_convert.diff(p), "written": p.target in self.written}
                for p in self.plans
            ],
            "problems": self.problems,
            "notes": self.notes,
        }

    def exit_code(self, check: bool) -> int:
        """``convert``'s exit status (:func:`ecr.cli.commands.convert.exit_status`):
        2 a release could not be planned, a plan is an error or its proof failed; 1
        (``check``) a file would change; 3 an image was left with a note (left for the
        user, a host the cache cannot front, an image an operator launches, a switch
        the proof could not cover); else 0."""
        from ecr.cli.commands.convert import exit_status

        plans = self.plans
        return exit_status(
            error=bool(self.problems) or any(not p.ok for p in plans),
            changes=check and any(p.changed for p in plans),
            noted=any(p.left or p.uncacheable or p.launched or p.uncovered for p in plans),
        )

    def counts(self) -> dict[str, int]:
        """What the summary of ``convert --files`` counts: files, images converted (a
        container whose image the conversion changes, proven), images left (by
        reason, as ``skipped:<reason>``)."""
        plans = self.plans
        converted = [c for p in plans if p.ok for c in p.containers
                     if c["exact"] and c["before"] != c["after"]]
        out = {
            "files": len(plans) + len(self.problems),
            "files_changed": sum(1 for p in plans if p.ok and p.changed),
            "files_written": len(self.written),
            "files_failed": sum(1 for p in plans if not p.ok) + len(self.problems),
            "images_converted": len(converted),
            "images_already_cached": max(0, sum(
                1 for p in plans for item in p.proof if item.verdict.status == "cached"
            ) - len(converted)),
            "skipped:left for you": sum(len(p.left) for p in plans),
            "skipped:uncacheable": sum(len(p.uncacheable) for p in plans),
            "skipped:launched by an operator": sum(len(p.launched) for p in plans),
        }
        return {key: n for key, n in out.items() if n > 0 or not key.startswith("skipped:")}


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
        validate_values_files(args.values_files)
    outcome = convert(chart_input.request(args, apps), registry, host_prefixes, aliases,
                      write=args.write)
    show(outcome, write=args.write, check=args.check, as_json=args.output == "json")
    return outcome.exit_code(args.check)


def validate_values_files(files: list[Path]) -> None:
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


def convert(
    wanted: ChartRequest, registry: str, host_prefixes: Mapping[str, str],
    aliases: Mapping[str, str], *, write: bool,
) -> Outcome:
    """Plan every release ``wanted`` describes (progress on stderr) and, with ``write``,
    write the proven plans.  Bad usage raises :class:`UsageError`."""
    notes: list[str] = []
    releases, problems = chart_input.releases(wanted, notes)
    with output.Progress(len(releases), "rendering") as progress:
        plans, failed = chart_convert.plan_releases(
            releases, wanted, registry, host_prefixes, aliases, advance=progress.advance
        )
    written = chart_convert.write_plans(plans) if write else []
    return Outcome(registry, plans, [*problems, *failed], notes, written)


def vendored_in(path: Path) -> Path | None:
    """The topmost chart that vendors ``path`` (a subchart's own values.yaml), if any."""
    found = chart_convert.vendored_in(path)
    return found[0] if found else None


def convert_vendored(
    path: Path, given: ChartRequest, registry: str, host_prefixes: Mapping[str, str],
    aliases: Mapping[str, str], *, write: bool,
) -> Outcome:
    """A vendored subchart's own values.yaml, proven in the release of the chart that
    vendors it, with the ``--values``/``--set`` given as that release's values."""
    specs = [ValuesSpec(origin=str(p), path=p) for p in given.values_files]
    specs += [ValuesSpec(origin=f"--set {s}", parameter=s) for s in given.set_values]
    try:
        plan = chart_convert.plan_vendored(path, specs, registry, host_prefixes, aliases,
                                           release=given.release_name,
                                           namespace=given.namespace)
    except (OSError, ValueError) as exc:
        return Outcome(registry, [], [f"{path}: {exc}"], [], [])
    written = chart_convert.write_plans([plan]) if write else []
    return Outcome(registry, [plan], [], [], written)


def needs_values(outcome: Outcome) -> bool:
    """Whether the chart stopped before any image was traced (a required value, a
    fail, a schema): a render failure of every plan."""
    return bool(outcome.plans) and all(
        p.error is not None and p.error.startswith("helm could not render")
        for p in outcome.plans)


def convert_with_application(
    path: Path, registry: str, host_prefixes: Mapping[str, str],
    aliases: Mapping[str, str], *, write: bool,
) -> Outcome | None:
    """``path`` (a values file beside its chart) converted with the values of the
    ArgoCD Application that installs the chart, when there is one (None otherwise)."""
    found = chart_convert.application_values(path)
    if found is None:
        return None
    app, specs = found
    plan = chart_convert.plan_values_file(path, registry, host_prefixes, aliases,
                                          release=app, after=specs)
    written = chart_convert.write_plans([plan]) if write else []
    note = (f"{path}: the chart does not render from its defaults; rendered with the "
            f"values of Application {app}, which installs it")
    return Outcome(registry, [plan], [], [note], written)


def show(outcome: Outcome, *, write: bool, check: bool, as_json: bool) -> None:
    """Print ``outcome``: its JSON document, or the diffs (without ``write``/``check``,
    the report then goes to stderr) and the report; then notes and errors on stderr."""
    if as_json:
        output.print_json(outcome.document())
    else:
        show_diff = not (write or check)
        if show_diff:
            for plan in outcome.plans:
                sys.stdout.write(chart_convert.diff(plan))
        out = sys.stderr if show_diff else sys.stdout
        for plan in outcome.plans:
            for line in chart_convert.plan_lines(
                plan, written=plan.target in outcome.written, check=check
            ):
                print(line, file=out)
    chart_input.print_notes(outcome.notes, outcome.problems)
