"""Options ``convert``, ``images`` and ``verify`` share: host aliases and the registry.

Defined and checked in one place, so a bad value is the same :class:`ecr.errors.UsageError`
(exit 2, same message) whichever command met it.  Not a command: ``ecr.cli.main.COMMANDS``
does not list it.  Imports nothing heavy: ``convert`` must stay fast.
"""

from __future__ import annotations

import argparse

from ecr.config import outputs
from ecr.errors import UsageError
from ecr.images import mapping


def add_alias_arguments(parser: argparse.ArgumentParser) -> None:
    """``--alias FROM=TO`` (repeatable) and ``--aliases-file PATH``."""
    parser.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="FROM=TO",
        help="treat images of host FROM as images of host TO (repeatable), "
        "e.g. registry.rocket.chat=docker.io",
    )
    parser.add_argument("--aliases-file", metavar="PATH",
                        help=f"file of FROM=TO host aliases (default: ${mapping.ALIASES_ENV})")


def aliases(args: argparse.Namespace) -> dict[str, str]:
    """The aliases of ``--aliases-file`` (else ``$ECR_IMAGE_ALIASES``), then ``--alias``."""
    try:
        return mapping.collect_aliases(args.alias, args.aliases_file)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def add_registry_arguments(parser: argparse.ArgumentParser) -> None:
    """``--registry HOST`` and ``--stack NAME``, read by :func:`registry_target`."""
    parser.add_argument(
        "--registry", metavar="HOST",
        help="the ECR registry host (default: $ECR_REGISTRY, then the stack output "
        "ecr_registry_url)",
    )
    parser.add_argument("--stack", metavar="NAME", help="Pulumi stack to read the registry from")


def registry_target(args: argparse.Namespace) -> outputs.Target:
    """``--registry``, else ``$ECR_REGISTRY``, else the ``--stack`` output; a host name.

    (``verify`` resolves its own: it also takes ``http(s)://HOST[:PORT]`` of any registry.)
    """
    try:
        target = outputs.resolve(args.registry, args.stack)
        mapping.check_registry(target.registry)
    except (outputs.RegistryNotFound, mapping.InvalidRegistry) as exc:
        raise UsageError(str(exc)) from None
    return target
