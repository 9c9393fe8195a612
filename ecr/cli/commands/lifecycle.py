"""``ecr lifecycle apply``: backfill the cache lifecycle policy on older cached repositories.

Repositories the cache created before its creation template existed have no
lifecycle policy and keep every image forever.  ``apply`` gives each repository
under a cache prefix the template's policy (``ecr.policies.lifecycle``, the function
the Pulumi program uses), and reports changed / already right / skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecr import aws, catalogue
from ecr.aws import backfill as ops_lifecycle
from ecr.aws import checks, inventory
from ecr.aws import clients as ops_clients
from ecr.cli import ops_options
from ecr.cli import output as report
from ecr.config import stackfile
from ecr.errors import UsageError
from ecr.policies import lifecycle as lifecycle_policy

RESULT_ORDER = (
    ops_lifecycle.CHANGED,
    ops_lifecycle.WOULD_CHANGE,
    ops_lifecycle.ALREADY_RIGHT,
    ops_lifecycle.SKIPPED,
    ops_lifecycle.FAILED,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    apply = sub.add_parser(
        "apply",
        help="give cached repositories without it the creation template's lifecycle policy",
        description=(
            "Give every repository under a cache prefix the lifecycle policy its creation "
            "template gives new ones. Idempotent: repositories that already have it are "
            "reported 'already right'; a repository with a different policy is skipped "
            "unless --force."
        ),
        epilog="Exit status: 0, 1 when a repository could not be read or written, 2 for "
        "bad usage.",
    )
    apply.add_argument(
        "--prefix",
        action="append",
        metavar="P",
        help="only repositories under this cache prefix (repeatable; default: the stack "
        "file's caches, else " + ", ".join(catalogue.DEFAULT_CACHES) + ")",
    )
    apply.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    apply.add_argument(
        "--force", action="store_true", help="also replace a different existing lifecycle policy"
    )
    apply.add_argument(
        "--unpulled-days",
        type=int,
        metavar="N",
        help="expire cached images N days after ECR cached them, pulled or not (ECR cannot "
        "expire on the last pull; default: the stack file's "
        f"cacheUnpulledDays, else {stackfile.default_unpulled_days()})",
    )
    apply.add_argument(
        "--keep-images",
        type=int,
        metavar="N",
        help="keep only the newest N images per repository instead of expiring by age, "
        "0 = off (default: the stack file's "
        f"cacheKeepImages, else {stackfile.default_keep_images()})",
    )
    ops_options.add_stack_file_argument(apply, "caches, cacheUnpulledDays and cacheKeepImages")
    apply.add_argument(
        "--stack", metavar="NAME",
        help="read Pulumi.<NAME>.yaml from the project directory (default prod)",
    )
    apply.add_argument(
        "--concurrency", type=int, default=inventory.DEFAULT_CONCURRENCY, metavar="N",
        help=f"calls in flight (default {inventory.DEFAULT_CONCURRENCY})",
    )
    ops_clients.add_aws_arguments(apply)
    report.add_output_argument(apply)
    apply.set_defaults(_parser=apply)  # errors show `ecr lifecycle apply`'s usage


def settings(args: argparse.Namespace) -> tuple[list[str], lifecycle_policy.PolicyDocument]:
    """Prefixes and the wanted policy: flags first, then the stack file, then defaults."""
    stack = ops_options.stack_settings(args)
    prefixes = [p.rstrip("/") for p in (args.prefix or (stack.caches if stack else None)
                                         or catalogue.DEFAULT_CACHES)]
    ops_options.check_prefixes("--prefix", prefixes)
    chosen = stackfile.cache_policy_settings(stack, args.unpulled_days, args.keep_images)
    try:
        policy = chosen.policy()
    except lifecycle_policy.PolicyValueError as exc:
        raise UsageError(f"{exc} (--unpulled-days / --keep-images)") from None
    ops_options.check_concurrency(args.concurrency)
    return prefixes, policy


def run(args: argparse.Namespace) -> int:
    prefixes, policy = settings(args)
    clients, _region = ops_options.aws_clients(args)
    return apply(clients, prefixes, policy, args.dry_run, args.force, args.concurrency, args.output)


def apply(
    clients: ops_clients.Clients,
    prefixes: list[str],
    policy: lifecycle_policy.PolicyDocument,
    dry_run: bool,
    force: bool,
    concurrency: int,
    output: str,
) -> int:
    """Backfill and report; 0 unless a repository could not be read or written."""
    with report.PendingProgress("lifecycle") as progress:
        try:
            outcomes = ops_lifecycle.backfill(
                clients.ecr, prefixes, policy, dry_run, force, concurrency,
                on_total=progress.start, on_done=progress.advance,
            )
        except (ClientError, BotoCoreError) as exc:
            print(f"error: {aws.explain(exc, 'list ECR repositories')}", file=sys.stderr)
            return 1
    counts = Counter(o.result for o in outcomes)
    if output == "json":
        data: dict[str, Any] = {
            "dry_run": dry_run,
            "prefixes": prefixes,
            "policy": policy,
            "summary": {r: counts.get(r, 0) for r in RESULT_ORDER},
            "repositories": [
                {"name": o.repository, "prefix": o.prefix, "result": o.result, "reason": o.reason}
                for o in outcomes
            ],
        }
        report.print_json(data)
    else:
        if outcomes:
            print(
                report.format_table(
                    ["REPOSITORY", "PREFIX", "RESULT", "REASON"],
                    [
                        [o.repository, o.prefix, o.result, checks.one_line(o.reason, 100)]
                        for o in outcomes
                    ],
                )
            )
        else:
            print(f"No repositories under {', '.join(p + '/' for p in prefixes)}: nothing to do.")
        summary = ", ".join(f"{r}: {counts[r]}" for r in RESULT_ORDER if counts.get(r))
        if summary:
            print(f"\n{summary}" + (" (dry run: nothing was written)" if dry_run else ""))
    for outcome in outcomes:
        if outcome.result == ops_lifecycle.FAILED:
            print(f"error: {outcome.reason}", file=sys.stderr)
    return 1 if counts.get(ops_lifecycle.FAILED) else 0
