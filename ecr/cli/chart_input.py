"""The chart flags (:mod:`ecr.cli.chart_options`) as a typed
:class:`~ecr.charts.images.ChartRequest`, and the releases it describes, for
``convert``, ``images`` and ``verify``.

Imports the chart code: commands import this module only when a chart or
Applications are given (``convert IMAGE`` stays fast).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ecr.charts import images as chart_images
from ecr.charts.images import ChartRequest, Release
from ecr.cli import image_options
from ecr.errors import UsageError
from ecr.images import mapping


def request(args: argparse.Namespace, apps: Sequence[Path] = ()) -> ChartRequest:
    """What ``args`` ask to render; ``apps``: the Application paths, however the
    command takes them (``images PATH...``, ``verify --apps``, ``convert --apps``)."""
    return ChartRequest(
        chart=args.chart,
        chart_version=args.chart_version,
        chart_repo=args.chart_repo,
        values_files=tuple(args.values_files),
        set_values=tuple(args.set_values),
        release_name=args.release_name,
        namespace=args.namespace,
        apps=tuple(apps),
        repo_root=args.repo_root,
        plain_http=args.plain_http,
        dependency_build=args.dependency_build,
        charts_via_cache=args.charts_via_cache,
    )


def releases(wanted: ChartRequest, notes: list[str]) -> tuple[list[Release], list[str]]:
    """The releases of ``wanted`` and the Applications' problems; a request naming
    nothing (or a chart and Applications, or a missing path) is bad usage (exit 2)."""
    try:
        return chart_images.releases(wanted, notes)
    except ValueError as exc:  # RequestError, ApplicationError
        raise UsageError(str(exc)) from exc


def print_notes(notes: Sequence[str], problems: Sequence[str] = ()) -> None:
    """Notes, then problems, on stderr: ``note: ...`` / ``error: ...``."""
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)


def chart_cache(args: argparse.Namespace) -> tuple[str, Mapping[str, str]] | None:
    """(registry, host prefixes) when ``--charts-via-cache`` is given, else None."""
    if not getattr(args, "charts_via_cache", False):
        return None
    target = image_options.registry_target(args)
    return target.registry, mapping.expand_host_prefixes(target.host_prefixes)


def rendered_images(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    """Every image the chart/Applications given to ``verify`` run, with where it runs.

    Empty when neither ``--chart`` nor ``--apps`` is given.  A chart that cannot be
    rendered is a usage error (exit 2) carrying Helm's message.
    """
    wanted = request(args, list(getattr(args, "app_paths", None) or []))
    if not wanted.has_input:
        return []
    notes: list[str] = []
    found_releases, problems = releases(wanted, notes)
    cache = chart_cache(args)
    found, failed = chart_images.rendered_images(found_releases, wanted, cache)
    print_notes(notes)
    if problems or failed:
        raise UsageError("\n".join([*problems, *failed]))
    return found
