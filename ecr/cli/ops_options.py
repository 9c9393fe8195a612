"""Options ``status``, ``lifecycle apply`` and ``doctor`` share: the stack file, cache
prefixes and the AWS clients.

Defined and checked in one place, so a bad value is the same :class:`ecr.errors.UsageError`
(exit 2, same message) whichever command met it.  Not a command: ``ecr.cli.main.COMMANDS``
does not list it.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from ecr import aws, catalogue
from ecr.aws import clients
from ecr.config import keys, stackfile
from ecr.errors import UsageError


def add_stack_file_argument(parser: argparse.ArgumentParser, reads: str) -> None:
    """``--stack-file FILE``; ``reads`` names the settings the command takes from it."""
    parser.add_argument(
        "--stack-file",
        metavar="FILE",
        help=f"Pulumi.<stack>.yaml to read {reads} from (default: the project's "
        "Pulumi.<--stack>.yaml, Pulumi.prod.yaml without --stack, when it exists)",
    )


def stack_settings(args: argparse.Namespace) -> stackfile.StackSettings | None:
    """The settings of ``--stack-file``, else of the project's ``Pulumi.<--stack>.yaml``."""
    try:
        return stackfile.resolve(args.stack_file, args.stack)
    except stackfile.StackFileError as exc:
        raise UsageError(str(exc)) from None


def validate_prefixes(flag: str, prefixes: Sequence[str], *, strip: bool = False) -> None:
    """Each must be a cache prefix the stack could create; with ``strip`` a trailing ``/``
    is allowed (the message still quotes the value as given)."""
    for prefix in prefixes:
        problem = catalogue.prefix_problem(prefix.rstrip("/") if strip else prefix)
        if problem:
            raise UsageError(f"{flag} {prefix!r}: {problem}")


def validate_range(flag: str, value: int, allowed: keys.Range) -> None:
    """A whole-number flag against its range (the same one the config key has)."""
    problem = allowed.problem(value)
    if problem:
        raise UsageError(f"{flag} {problem}")


def validate_price(flag: str, value: float) -> None:
    """A price per GB-month: a finite number from 0 to ``keys.PRICE_PER_GB_MAX`` (``nan``
    and ``inf`` would end up in the JSON report)."""
    if not math.isfinite(value):
        raise UsageError(f"{flag} must be a number of US dollars, got {value}")
    if value < 0:
        raise UsageError(f"{flag} must not be negative, got {value}")
    if value > keys.PRICE_PER_GB_MAX:
        raise UsageError(f"{flag} must be at most {keys.PRICE_PER_GB_MAX:g} USD per GB-month, "
                         f"got {value:g}")


def validate_concurrency(value: int) -> None:
    if not 1 <= value <= 64:
        raise UsageError(f"--concurrency must be 1-64, got {value}")


def add_aws_arguments(parser: argparse.ArgumentParser) -> None:
    """``--profile`` and ``--region``; without them AWS_PROFILE / AWS_REGION are read."""
    group = parser.add_argument_group("AWS")
    group.add_argument(
        "--profile", help="AWS profile (default: AWS_PROFILE or the default credentials)"
    )
    group.add_argument("--region", help="AWS region (default: AWS_REGION, e.g. af-south-1)")


def aws_clients(args: argparse.Namespace) -> tuple[clients.Clients, str]:
    """Clients for ``--profile``/``--region`` (or the environment) and their region.

    What ``sessions.session`` finds wrong before any call (a malformed config file, an
    unknown profile, no region or an invalid one) is bad usage: exit 2, the same for
    every command.  ``clients.for_profile`` is looked up at call time: tests replace it
    with moto- or Stubber-backed clients.
    """
    try:
        made = clients.for_profile(args.profile, args.region)
        return made, made.region
    except aws.ERRORS as exc:
        raise UsageError(str(aws.setup_error(exc))) from None

