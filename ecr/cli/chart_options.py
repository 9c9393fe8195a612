"""Options for what to render (a chart, or ArgoCD Applications), shared by ``convert``,
``images`` and ``verify``; read by :mod:`ecr.cli.chart_input` (into a typed request).

Declared here, in the CLI layer, and importing only argparse and pathlib: every command's
parser has them, and ``convert IMAGE`` must not pay for importing Helm and YAML code it
does not run (the chart modules are imported only when ``--chart``/``--apps`` is given).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_input_arguments(parser: argparse.ArgumentParser, *, paths: bool = True) -> None:
    """``--chart``/``--version``/``--repo``/``--values``/``--set`` (+ Application paths).

    ``paths``: Application manifests are positional ``PATH...`` arguments (``images``);
    commands that have positional arguments of their own pass ``paths=False`` and
    give them their own way.
    """
    group = parser.add_argument_group("what to render (a chart, or ArgoCD Applications)")
    group.add_argument(
        "--chart",
        metavar="CHART",
        help="a chart directory, a .tgz, repo/chart or a name with --repo URL, or oci://...",
    )
    group.add_argument(
        "--version", dest="chart_version", metavar="VERSION", help="chart version (remote charts)"
    )
    group.add_argument("--repo", dest="chart_repo", metavar="URL", help="chart repository URL")
    group.add_argument(
        "--values", "-f", dest="values_files", action="append", default=[], type=Path,
        metavar="FILE", help="a values file (repeatable, later files win, as in helm)",
    )
    group.add_argument(
        "--set", dest="set_values", action="append", default=[], metavar="KEY=VALUE",
        help="a value as with helm --set (repeatable)",
    )
    group.add_argument(
        "--release-name", metavar="NAME", help="release name (default: the chart's name)"
    )
    group.add_argument("--namespace", default="default", metavar="NS", help="release namespace")
    group.add_argument(
        "--repo-root", type=Path, default=None, metavar="DIR",
        help="local checkout that $values/... and chart paths of Applications refer to "
        "(default: the git checkout holding each Application)",
    )
    group.add_argument(
        "--dependency-build", action="store_true",
        help="fetch a chart directory's missing dependencies first, into a temporary copy "
        "(as ArgoCD does for charts kept in git)",
    )
    group.add_argument(
        "--charts-via-cache", action="store_true",
        help="pull oci:// charts through the cache too (oci://registry-1.docker.io/bitnamicharts/x "
        "-> oci://<registry>/docker-hub/bitnamicharts/x; log in first: aws ecr "
        "get-login-password | helm registry login --username AWS --password-stdin <registry>)",
    )
    group.add_argument(
        "--plain-http", action="store_true",
        help="fetch oci:// charts over plain HTTP (local test registries only)",
    )
    if paths:
        group.add_argument(
            "apps", nargs="*", type=Path, metavar="PATH",
            help="ArgoCD Application manifests, or directories to search for them",
        )


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    """``verify``'s way in: the chart flags, and ``--apps PATH`` for Applications."""
    add_input_arguments(parser, paths=False)
    parser.add_argument(
        "--apps", dest="app_paths", action="extend", nargs="+", default=[], type=Path,
        metavar="PATH",
        help="ArgoCD Application manifests or directories: verify what they render "
        "(one or more, as convert --apps takes them)",
    )


def add_convert_arguments(parser: argparse.ArgumentParser) -> None:
    """``convert``'s: the chart flags, and ``--apps`` (the positional paths are Applications)."""
    add_input_arguments(parser, paths=False)
    parser.add_argument(
        "--apps", action="store_true",
        help="the arguments are ArgoCD Application manifests or directories holding them: "
        "render each Helm Application and add what its values file misses",
    )


def convert_renders(args: argparse.Namespace) -> bool:
    """Does ``convert`` hand over to :mod:`ecr.cli.chart_convert` (``--chart`` or ``--apps``)?"""
    return bool(getattr(args, "chart", None) or getattr(args, "apps", False))
