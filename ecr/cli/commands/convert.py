"""``ecr convert``: image references (or whole values files) to their ECR cache form.

Two modes:

- ``convert IMAGE...`` prints one converted reference per line, in input order; a bad
  or uncacheable one is named on stderr with the reason, the rest are still converted
  (exit status 2 for a bad one, else 3 for an uncacheable one).  ``-`` reads
  references from stdin.
- ``convert --files PATH...`` rewrites image references in Helm values files,
  Kubernetes manifests and Kustomizations: a unified diff by default, ``--write`` to
  apply, ``--check`` for CI (exit 1 when anything would change).  A ``values*.yaml``
  beside a ``Chart.yaml`` goes through the chart path (rendered and proven, over the
  chart's component switches too); a vendored subchart's ``values.yaml`` is proven in
  the release of the chart that vendors it.
- ``convert --chart CHART -f VALUES`` / ``convert --apps PATH...`` render the chart
  (or every Helm ArgoCD Application) and add overrides for the images the values
  miss: see :mod:`ecr.charts.convert`.

No arguments: usage and the table of configured caches.  Exit status: one mapping for
every mode (:func:`exit_status`, :func:`combined`; the table is in ``EPILOG``).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ecr.cli import chart_options, image_options
from ecr.cli.output import add_output_argument, format_table, print_json
from ecr.errors import UsageError
from ecr.images.mapping import (
    ALIASES_ENV,
    InvalidRegistry,
    UnsupportedRegistry,
    expand_host_prefixes,
    to_cache,
)
from ecr.images.reference import InvalidReference, printable

if TYPE_CHECKING:
    from ecr.kustomize.files import Converted
    from ecr.values.files import FileOutcome

# Imported where used: YAML and Helm code (~60 ms) is not what `convert IMAGE` runs.

EPILOG = f"""\
examples:
  convert nginx:1.27 quay.io/jetstack/cert-manager-controller:v1.15.0
  kubectl get pods -A -o jsonpath='{{..image}}' | tr ' ' '\\n' | convert -
  convert --alias registry.rocket.chat=docker.io registry.rocket.chat/rocketchat/rocket.chat
  convert --files environments/prod            # show the diff, change nothing
  convert --files environments/prod --write    # apply it
  convert --files environments/ --check        # CI: exit 1 if anything is not converted
  convert --files env/ --write --follow-symlinks  # also write through links out of env/
  convert --files deploy/ --write              # Kustomize trees: each overlay rendered by
                                               # kubectl kustomize, its images: given newName
  convert --chart ./charts/wordpress -f values.yaml   # render; add subchart overrides
  convert --apps ../builder-space-argocd/apps --write # every Helm Application (value file,
                                                      # or its inline valuesObject/values)
  convert --files charts/portal/values.yaml --set host=x  # a chart that needs a value

registry: --registry, else $ECR_REGISTRY, else `pulumi stack output ecr_registry_url`.
aliases file: one FROM-HOST=TO-HOST per line, '#' comments (--aliases-file or ${ALIASES_ENV}).
exit status (the highest that applies wins: 2, then 1, then 3):
  0  everything converted, or nothing to do
  1  --check: something would change
  2  an error: bad usage or input (an invalid image reference, a file that cannot be
     read, parsed or written), a chart that cannot be rendered, a proof that failed
     (that file not written); the rest is still done
  3  done, but some images were left as they are, each listed with its reason (a host
     the cache cannot front, a templated or multi-line value, a YAML alias, a value
     whose registry may come from elsewhere, an image a chart's template writes, an
     image an operator launches)
"""

EXIT_OK = 0
EXIT_CHANGES = 1  # --check found something to change
EXIT_ERROR = 2
EXIT_NOTED = 3  # done, but some images were left with a note
_PRECEDENCE = (EXIT_ERROR, EXIT_CHANGES, EXIT_NOTED, EXIT_OK)
# --files skips: those ecr.values calls errors (bad input, a rewrite not proven) are
# errors, except an uncacheable host or a YAML alias, each an image left with a note (exit 3), as
# every other kind is; "cached" and "empty" are nothing to do
NOTED_ERRORS = frozenset({"unsupported", "alias"})
QUIET_SKIPS = frozenset({"cached", "empty"})


def exit_status(*, error: bool = False, changes: bool = False, noted: bool = False) -> int:
    """The one exit status of ``convert``, from what happened (see EPILOG)."""
    if error:
        return EXIT_ERROR
    if changes:
        return EXIT_CHANGES
    return EXIT_NOTED if noted else EXIT_OK


def combined(*codes: int) -> int:
    """The exit status of several parts of one run: the one that comes first in
    :data:`_PRECEDENCE` (2 > 1 > 3 > 0)."""
    return next((code for code in _PRECEDENCE if code in codes), EXIT_OK)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "items",
        nargs="*",
        metavar="IMAGE|PATH",
        help="image references ('-' reads them from stdin), or with --files: "
        "files and directories (searched for *.yaml, *.yml)",
    )
    image_options.add_registry_arguments(parser)
    image_options.add_alias_arguments(parser)
    parser.add_argument("--files", action="store_true",
                        help="the arguments are YAML files/directories to rewrite")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true",
                      help="with --files, --chart or --apps: apply the changes")
    mode.add_argument("--check", action="store_true",
                      help="with --files, --chart or --apps: change nothing, exit 1 if "
                      "anything would change")
    parser.add_argument(
        "--allow-insecure-images",
        action="store_true",
        help="with --files: add global.security.allowInsecureImages: true where Bitnami "
        "images are relocated (Bitnami charts refuse them otherwise)",
    )
    parser.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="with --files --write: also write through symlinks to files outside the "
        "directories given (refused otherwise)",
    )
    add_output_argument(parser)
    chart_options.add_convert_arguments(parser)  # --chart/--values/--set/--apps (issue 7)


def run(args: argparse.Namespace) -> int:
    if chart_options.convert_renders(args):  # render the chart: see ecr.cli.chart_convert
        from ecr.cli import chart_convert

        return chart_convert.run(args, *_target(args), image_options.aliases(args))
    if not args.files and (args.write or args.check or args.allow_insecure_images):
        raise UsageError(
            "--write and --check go with --files PATH..., --chart CHART or --apps PATH...; "
            "--allow-insecure-images with --files (--chart/--apps add it when the render "
            "needs it)"
        )
    aliases = image_options.aliases(args)
    if not args.items:
        if args.files:
            raise UsageError("--files needs at least one file or directory")
        return _usage(args)
    registry, host_prefixes = _target(args)
    if args.files:
        return _convert_files(args, registry, host_prefixes, aliases)
    return _convert_images(args, registry, host_prefixes, aliases)


def _target(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    target = image_options.registry_target(args)
    return target.registry, expand_host_prefixes(target.host_prefixes)


def _usage(args: argparse.Namespace) -> int:
    try:
        registry, host_prefixes = _target(args)
    except UsageError:
        registry, host_prefixes = "<registry>", expand_host_prefixes(None)
    print("Rewrite image references to their ECR pull-through cache form.")
    print()
    print("usage: convert-image-url.sh [--registry HOST] [--alias FROM=TO]... IMAGE... | -")
    print("       convert-image-url.sh --files PATH... [--write | --check] "
          "[--allow-insecure-images]")
    print("       convert-image-url.sh --chart CHART -f VALUES... [--set K=V]... "
          "[--write | --check]")
    print("       convert-image-url.sh --apps PATH... [--write | --check]")
    print("       (--help for every option)")
    print()
    print(f"Configured caches in {registry}:")
    print(mapping_table(registry, host_prefixes))
    return 0


def mapping_table(registry: str, host_prefixes: Mapping[str, str]) -> str:
    """Image hosts -> cache prefix, with an example (the no-argument output)."""
    by_prefix: dict[str, list[str]] = {}
    for host, prefix in host_prefixes.items():
        by_prefix.setdefault(prefix, []).append(host)
    examples = {
        "docker-hub": "nginx:1.27",
        "quay": "quay.io/prometheus/node-exporter:v1.8.2",
        "github": "ghcr.io/dexidp/dex:v2.41.1",
        "k8s": "registry.k8s.io/pause:3.10",
        "ecr-public": "public.ecr.aws/docker/library/redis:7",
    }
    rows = []
    for prefix, hosts in by_prefix.items():
        example = examples.get(prefix, f"{hosts[0]}/org/app:1.0")
        # Without a registry, show the shape with a placeholder host.
        host = "registry.placeholder" if registry.startswith("<") else registry
        try:
            cache = str(to_cache(example, host, host_prefixes).cache).replace(host, registry, 1)
        except (InvalidReference, UnsupportedRegistry, InvalidRegistry):
            cache = f"{registry}/{prefix}/..."
        rows.append([", ".join(hosts), f"{prefix}/", f"{example} -> {cache}"])
    return format_table(["IMAGE HOSTS", "CACHE PREFIX", "EXAMPLE"], rows)


def _inputs(items: list[str], stdin: TextIO) -> Iterator[str]:
    for item in items:
        if item == "-":
            for line in stdin:
                text = line.strip()
                if text and not text.startswith("#"):
                    yield text
        else:
            yield item


def _convert_images(
    args: argparse.Namespace, registry: str, host_prefixes: dict[str, str],
    aliases: dict[str, str],
) -> int:
    results: list[dict[str, str | None]] = []
    failed = uncacheable = False
    explained = False
    as_json = args.output == "json"
    for text in _inputs(args.items, sys.stdin):
        try:
            image = to_cache(text, registry, host_prefixes, aliases)
        except InvalidReference as exc:
            failed = True
            results.append({"input": text, "error": f"invalid reference: {exc}"})
            print(f"error: {printable(text)}: invalid reference: {exc}", file=sys.stderr)
            continue
        except UnsupportedRegistry as exc:
            uncacheable = True
            message = str(exc) if not explained else str(exc).split(":", 1)[0]
            explained = True
            results.append({"input": text, "error": str(exc).split(":", 1)[0]})
            print(f"error: {printable(text)}: {message}", file=sys.stderr)
            continue
        entry: dict[str, str | None] = {
            "input": text,
            "output": str(image.cache),
            "upstream": image.upstream,
            "prefix": image.prefix,
        }
        if image.warning:
            entry["warning"] = image.warning
            print(f"warning: {printable(text)}: {image.warning}", file=sys.stderr)
        results.append(entry)
        if not as_json:
            print(entry["output"], flush=True)
    if as_json:
        print_json(results)
    return exit_status(error=failed, noted=uncacheable)


def _convert_files(
    args: argparse.Namespace, registry: str, host_prefixes: dict[str, str],
    aliases: dict[str, str],
) -> int:
    from ecr.values.files import FileOutcome, convert_file, summary, unified_diff
    from ecr.values.scan import gather

    try:
        collected = gather(args.items)
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from None
    outcomes = [FileOutcome(path, error=f"cannot read: {why}")
                for path, why in collected.problems]
    kustomized = _convert_kustomize(args, registry, host_prefixes, aliases)
    outcomes += kustomized.outcomes
    charted = [c.path for c in collected.files if _beside_a_chart(c.path)]
    for candidate in collected.files:
        if candidate.path in charted or kustomized.reads(candidate.path):
            continue  # a chart's values, or a file a Kustomize tree reads: proven whole
        try:
            outcome = convert_file(
                candidate.path, registry, host_prefixes, aliases, args.allow_insecure_images,
                write=args.write, root=candidate.root, follow_symlinks=args.follow_symlinks,
            )
        except Exception as exc:  # a bug must not cost the other files their conversion
            outcome = FileOutcome(
                candidate.path,
                error=f"internal error ({type(exc).__name__}: {exc}); left untouched",
            )
        outcomes.append(outcome)
    charts_code, charts_json, chart_counts = _convert_charted(
        args, charted, registry, host_prefixes, aliases)
    counts = _with_charts(summary(outcomes), chart_counts)
    skips = [skip for o in outcomes if o.rewrite for skip in o.rewrite.skips]
    errors = {s.kind for s in skips if s.is_error} - NOTED_ERRORS
    kinds = {s.kind for s in skips}
    files_code = exit_status(
        error=any(o.error for o in outcomes) or bool(errors),
        changes=args.check and any(o.changed for o in outcomes),
        noted=bool(kinds - errors - QUIET_SKIPS),
    )
    if args.output == "json":
        print_json({"registry": registry, "files": [_file_json(o) for o in outcomes],
                    "charts": charts_json, "summary": counts})
    else:
        diff_mode = not (args.write or args.check)
        if diff_mode:
            for outcome in outcomes:
                sys.stdout.write(unified_diff(outcome))
            sys.stdout.flush()
        report = sys.stderr if diff_mode else sys.stdout
        _print_report(outcomes, counts, args, report)
    return combined(files_code, charts_code)


def _convert_kustomize(
    args: argparse.Namespace, registry: str, host_prefixes: dict[str, str],
    aliases: dict[str, str],
) -> Converted:
    """Each Kustomize tree under the paths, as one unit: see :mod:`ecr.kustomize`."""
    from ecr.kustomize.convert import Target
    from ecr.kustomize.files import convert_trees

    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    return convert_trees(args.items, Target(registry, host_prefixes, aliases),
                         write=args.write, follow_symlinks=args.follow_symlinks,
                         progress=None if args.output == "json" else progress)


def _beside_a_chart(path: Path) -> bool:
    """A chart's values file (``values*.yaml`` beside ``Chart.yaml``): only a render shows
    what the chart joins to its values, so the chart path converts it."""
    return path.name.startswith("values") and (path.parent / "Chart.yaml").is_file()


def _convert_charted(
    args: argparse.Namespace, files: list[Path], registry: str,
    host_prefixes: dict[str, str], aliases: dict[str, str],
) -> tuple[int, list[object], dict[str, int]]:
    """Each values file beside a Chart.yaml through the chart path (render, override,
    prove by a second render), as ``convert --chart DIR -f FILE`` with the other chart
    flags given: its exit status, and its JSON documents."""
    if not files:
        return 0, [], {}
    from ecr.cli import chart_convert, chart_input

    as_json = args.output == "json"
    given = chart_input.request(args)
    code = EXIT_OK
    documents: list[object] = []
    counts: dict[str, int] = {}
    parents = {path.parent.resolve() for path in files if path.name == "values.yaml"}
    for path in files:
        top = chart_convert.vendored_in(path)
        if top is not None and top.resolve() in parents:
            # the parent's values win and its render covers the subchart: converting both
            # files, each proven against the other as it was, could break their sum
            print(f"note: {path}: a subchart's own values, left as they are: its images "
                  f"are converted through {top / 'values.yaml'}, whose values win",
                  file=sys.stderr)
            continue
        # --values given are read before the file (which is written: the last one)
        wanted = dataclasses.replace(given, chart=str(path.parent),
                                     values_files=(*given.values_files, path))
        vendored = top
        if not as_json:
            where = (f"the values of a subchart of {vendored}: rendering {vendored}, which "
                     "vendors it," if vendored else
                     f"beside {path.parent / 'Chart.yaml'}: rendering the chart")
            print(f"{path}: {where} to prove the conversion (convert --chart)",
                  file=sys.stderr)
        if vendored is not None:
            outcome = chart_convert.convert_vendored(
                path, given, registry, host_prefixes, aliases, write=args.write)
        else:
            outcome = chart_convert.convert(wanted, registry, host_prefixes, aliases,
                                            write=args.write)
            if not (given.values_files or given.set_values) and \
                    chart_convert.needs_values(outcome):
                outcome = chart_convert.convert_with_application(
                    path, registry, host_prefixes, aliases, write=args.write) or outcome
        if as_json:
            documents.append(outcome.document())
            chart_input.print_notes(outcome.notes, outcome.problems)
        else:
            chart_convert.show(outcome, write=args.write, check=args.check, as_json=False)
        code = combined(code, outcome.exit_code(args.check))
        for key, n in outcome.counts().items():
            counts[key] = counts.get(key, 0) + n
    return code, documents, counts


def _with_charts(counts: dict[str, object], charts: Mapping[str, int]) -> dict[str, object]:
    """The summary of ``--files`` with what the chart path did added: its files, the
    images it converted, those it left (``skipped:<reason>`` keys)."""
    out = dict(counts)
    reasons = out["skipped_by_reason"]
    by_reason: dict[str, int] = dict(reasons) if isinstance(reasons, dict) else {}
    for key, n in charts.items():
        reason = key.removeprefix("skipped:")
        if reason != key:
            by_reason[reason] = by_reason.get(reason, 0) + n
            key = "images_skipped"
        current = out.get(key, 0)
        out[key] = (current if isinstance(current, int) else 0) + n
    out["skipped_by_reason"] = dict(sorted(by_reason.items()))
    return out


def _file_json(outcome: FileOutcome) -> dict[str, object]:
    from ecr.values.files import unified_diff

    data: dict[str, object] = {"path": str(outcome.path), "changed": outcome.changed,
                               "written": outcome.written, "error": outcome.error,
                               "skipped": outcome.skipped, "warnings": outcome.warnings}
    rewrite = outcome.rewrite
    if rewrite is not None:
        data["converted"] = [
            {"line": c.line, "key": c.key_path, "from": c.before, "to": c.after,
             "shape": c.shape, "warning": c.warning}
            for c in rewrite.changes
        ]
        data["skipped"] = [
            {"line": s.line, "key": s.key_path, "image": s.reference, "kind": s.kind,
             "reason": s.reason}
            for s in rewrite.skips
        ]
        data["settings"] = rewrite.settings
        data["notes"] = rewrite.notes
        data["diff"] = unified_diff(outcome)
    return data


def _print_report(
    outcomes: list[FileOutcome], counts: dict[str, object], args: argparse.Namespace,
    out: TextIO,
) -> None:
    rows: list[list[object]] = []
    notes: list[str] = []
    for outcome in outcomes:
        name = str(outcome.path)
        if outcome.error:
            rows.append([name, "-", "-", f"ERROR: {outcome.error}"])
            continue
        if outcome.skipped:
            notes.append(f"note: {name}: {outcome.skipped}")
            continue
        rewrite = outcome.rewrite
        assert rewrite is not None
        lines: list[tuple[int, list[object]]] = []
        for change in rewrite.changes:
            result = f"-> {change.after}"
            if change.warning:
                result += f"  (warning: {change.warning})"
            lines.append(
                (change.line,
                 [f"{name}:{change.line}", change.key_path, change.before, result])
            )
        for skip in rewrite.skips:
            # an image already in the registry is done, not skipped (the summary counts
            # it apart from the skipped ones too)
            result = (skip.reason if skip.kind == "cached"
                      else f"skipped ({skip.kind}): {skip.reason}")
            lines.append(
                (skip.line, [f"{name}:{skip.line}", skip.key_path, skip.reference, result])
            )
        rows.extend(row for _, row in sorted(lines, key=lambda item: item[0]))
        notes.extend(f"changed {setting}" for setting in rewrite.settings)
        notes.extend(f"note: {note}" for note in rewrite.notes)
        if args.check and outcome.changed:
            notes.append(f"would change: {name}")
        if outcome.written:
            notes.append(f"wrote {name}")
        notes.extend(f"warning: {name}: {warning}" for warning in outcome.warnings)
    if rows:
        # keys, values and file names are the user's text: escape what a terminal acts on
        rows = [[printable(str(cell)) for cell in row] for row in rows]
        print(format_table(["LOCATION", "KEY", "IMAGE", "RESULT"], rows), file=out)
    for note in notes:
        print(printable(note), file=out)
    print(_summary_text(counts, args), file=out)


def _summary_text(counts: dict[str, object], args: argparse.Namespace) -> str:
    verb = "written" if args.write else "would change"
    changed = counts["files_written"] if args.write else counts["files_changed"]
    by_reason = counts["skipped_by_reason"]
    assert isinstance(by_reason, dict)
    reasons = ", ".join(f"{n} {kind}" for kind, n in by_reason.items())
    lines = [
        f"summary: {counts['files']} files, {changed} {verb}, "
        f"{counts['files_failed']} could not be read, parsed or written"
        + (f", {counts['files_skipped']} not regular files (skipped)"
           if counts["files_skipped"] else ""),
        f"         {counts['images_converted']} images converted, "
        f"{counts['images_already_cached']} already in the registry, "
        f"{counts['images_skipped']} skipped" + (f" ({reasons})" if reasons else ""),
    ]
    if counts["settings_changed"]:
        lines.append(f"         {counts['settings_changed']} chart settings changed")
    if not args.write and not args.check and counts["files_changed"]:
        lines.append("         nothing written: rerun with --write to apply")
    return "\n".join(lines)
