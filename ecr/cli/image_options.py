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


REGISTRY_HELP = (
    "the registry: <account>.dkr.ecr.<region>.amazonaws.com, or https://HOST[:PORT] "
    "(http://HOST[:PORT] for a local test registry) (default: $ECR_REGISTRY, then the "
    "stack output ecr_registry_url)"
)
STACK_HELP = "Pulumi stack to read the registry from"


def add_registry_arguments(
    parser: argparse.ArgumentParser, *, registry_help: str = REGISTRY_HELP,
    stack_help: str = STACK_HELP,
) -> None:
    """``--registry HOST`` and ``--stack NAME``, read by :func:`registry_target` (or
    :func:`ecr.config.outputs.resolve`); a command reading more from them says so in
    its help texts."""
    parser.add_argument("--registry", metavar="HOST", help=registry_help)
    parser.add_argument("--stack", metavar="NAME", help=stack_help)


def registry_target(args: argparse.Namespace) -> outputs.Target:
    """The registry of ``--registry``, else ``$ECR_REGISTRY``, else the ``--stack`` output.

    The one resolver of ``convert``, ``images`` and ``verify``: the same values are
    accepted (a host, ``https://HOST[:PORT]``, ``http://HOST[:PORT]``) and the same ones
    refused with the same message (a path, a bad port, a single name such as ``nginx``,
    a host name that is not one), as a :class:`UsageError` (exit 2).  ``target.registry``
    is the host[:port] cache references use; ``target.url`` what a client talks to.
    """
    try:
        target = outputs.resolve(args.registry, args.stack)
    except outputs.RegistryNotFound as exc:
        raise UsageError(str(exc)) from None
    return target
