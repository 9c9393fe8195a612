"""``ecr lifecycle``: evict what nobody pulls, and backfill the cache lifecycle policy.

``prune`` deletes cached images nobody pulled for N days (``ecr.pruner``, the code the
stack's scheduled function runs): it shows what would go and asks, or with ``--dry-run``
only shows, or with ``--yes`` deletes without asking.

``apply``: repositories the cache created before its creation template existed have no
lifecycle policy (the safety limit by age or count).  ``apply`` gives each repository
under a cache prefix the template's policy (``ecr.policies.lifecycle``, the function
the Pulumi program uses), and reports changed / already right / skipped.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecr import aws, catalogue
from ecr.aws import backfill as ops_lifecycle
from ecr.aws import checks, inventory
from ecr.aws import clients as ops_clients
from ecr.cli import ops_options, prune_report
from ecr.cli import output as report
from ecr.cli.commands.status import DEFAULT_PRICE
from ecr.config import keys, stackfile
from ecr.errors import UsageError
from ecr.policies import lifecycle as lifecycle_policy
from ecr.pruner import ecr_api
from ecr.pruner import prune as pruner

RESULT_ORDER = (
    ops_lifecycle.CHANGED,
    ops_lifecycle.WOULD_CHANGE,
    ops_lifecycle.ALREADY_RIGHT,
    ops_lifecycle.SKIPPED,
    ops_lifecycle.FAILED,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add_prune_arguments(sub.add_parser(
        "prune",
        help="delete cached images nobody pulled for N days (what the scheduled function does)",
        description=(
            "Delete cached images whose last pull (or, never pulled, whose caching) is older "
            "than N days, under the cache prefixes only: custom repositories are never "
            "touched. A multi-arch image is one unit: the index and the platform manifests "
            "it lists go together, and only when none of them was pulled within N days. "
            "Without --dry-run or --yes it shows what would go and asks (on a terminal)."
        ),
        epilog="Exit status: 0; 1 when an image or repository could not be read or deleted; "
        "2 for bad usage (also: neither --dry-run nor --yes without a terminal to ask on).",
    ))
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
    add_prefix_argument(apply)
    apply.add_argument(
        "--dry-run", action="store_true", help="report what would change; write nothing"
    )
    apply.add_argument(
        "--force", action="store_true", help="also replace a different existing lifecycle policy"
    )
    apply.add_argument(
        "--max-age-days",
        type=int,
        metavar="N",
        help="the policy's safety limit: expire cached images N days after ECR cached them, "
        "pulled or not (default: the stack file's cacheMaxAgeDays, else the stack's default). "
        "Eviction by last pull is 'lifecycle prune', after the stack file's "
        f"cacheUnpulledDays, else {stackfile.default_unpulled_days()}",
    )
    apply.add_argument(
        "--keep-images",
        type=int,
        metavar="N",
        help="keep only the newest N images per repository instead of expiring by age, "
        "0 = off (default: the stack file's "
        f"cacheKeepImages, else {stackfile.default_keep_images()})",
    )
    add_run_arguments(apply, "caches, cacheMaxAgeDays and cacheKeepImages",
                      inventory.DEFAULT_CONCURRENCY, "calls in flight")


def add_prefix_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--prefix",
        action="append",
        metavar="P",
        help="only repositories under this cache prefix (repeatable; default: the stack "
        "file's caches, else " + ", ".join(catalogue.DEFAULT_CACHES) + ")",
    )


def add_run_arguments(parser: argparse.ArgumentParser, stack_keys: str, concurrency: int,
                      concurrency_help: str) -> None:
    """The arguments both actions end with: stack file, concurrency, AWS, output."""
    ops_options.add_stack_file_argument(parser, stack_keys)
    parser.add_argument(
        "--stack", metavar="NAME",
        help="read Pulumi.<NAME>.yaml from the project directory (default prod)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=concurrency, metavar="N",
        help=f"{concurrency_help} (default {concurrency})",
    )
    ops_options.add_aws_arguments(parser)
    report.add_output_argument(parser)
    parser.set_defaults(_parser=parser)  # errors show the action's own usage


def stack_caches(stack: stackfile.StackSettings | None) -> tuple[str, ...]:
    """The stack's cache prefixes: the stack file's ``caches`` (an empty list means no
    caches), else every cache (the key's default)."""
    return stack.caches if stack else catalogue.DEFAULT_CACHES


def caches_source(stack: stackfile.StackSettings | None) -> str:
    return f"caches in {stack.path}" if stack else "the stack's default caches"


def prefixes_of(args: argparse.Namespace, stack: stackfile.StackSettings | None) -> list[str]:
    """--prefix, else the stack's caches; each --prefix must be one of those caches.

    Only the stack's own cache prefixes are ever pruned or given the cache policy: a
    custom repository's prefix (``team`` for ``team/api``), a part of a cache prefix or a
    cache the stack does not declare is refused, naming the prefixes that exist.
    """
    known = stack_caches(stack)
    if not args.prefix:
        return list(known)
    chosen: list[str] = []
    for given in args.prefix:
        prefix = given.rstrip("/")
        if prefix not in known:
            where = caches_source(stack)
            existing = (f"this stack's cache prefixes are {', '.join(known)} ({where})"
                        if known else f"this stack has no caches ({where} is empty)")
            raise UsageError(f"--prefix {given!r} is not a cache prefix of this stack: "
                             f"{existing}; custom repositories are never pruned or given "
                             "the cache lifecycle policy")
        if prefix not in chosen:
            chosen.append(prefix)
    return chosen


def no_caches_message(stack: stackfile.StackSettings | None, what: str) -> str:
    return f"This stack has no caches ({caches_source(stack)} is empty): {what}."


def settings(
    args: argparse.Namespace,
) -> tuple[list[str], lifecycle_policy.PolicyDocument, stackfile.StackSettings | None]:
    """Prefixes, the wanted policy and the stack file read: flags first, then the stack
    file, then defaults."""
    stack = ops_options.stack_settings(args)
    prefixes = prefixes_of(args, stack)
    if args.max_age_days is not None:
        ops_options.validate_range("--max-age-days", args.max_age_days, keys.CACHE_MAX_AGE_DAYS)
    if args.keep_images is not None:
        ops_options.validate_range("--keep-images", args.keep_images, keys.CACHE_KEEP_IMAGES)
    chosen = stackfile.cache_policy_settings(stack, args.max_age_days, args.keep_images)
    try:
        policy = chosen.policy()
    except lifecycle_policy.PolicyValueError as exc:
        raise UsageError(f"{exc} (--max-age-days / --keep-images)") from None
    ops_options.validate_concurrency(args.concurrency)
    return prefixes, policy, stack


def add_prune_arguments(prune: argparse.ArgumentParser) -> None:
    prune.add_argument(
        "--unpulled-days", type=int, metavar="N",
        help="delete units nobody pulled for N days (default: the stack file's "
        f"cacheUnpulledDays, else {stackfile.default_unpulled_days()}; required when that is 0)",
    )
    add_prefix_argument(prune)
    mode = prune.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true",
                      help="show what would be deleted; delete nothing")
    mode.add_argument("--yes", action="store_true",
                      help="delete without asking (for scripts; the table still shows what went)")
    prune.add_argument(
        "--price-per-gb", type=float, default=DEFAULT_PRICE, metavar="USD",
        help=f"storage price per GB-month for the saving (default {DEFAULT_PRICE:.2f}, as "
        "status)",
    )
    add_run_arguments(prune, "caches and cacheUnpulledDays", pruner.DEFAULT_CONCURRENCY,
                      "repositories handled at once")


def stack_unpulled_days(stack: stackfile.StackSettings | None) -> int:
    """cacheUnpulledDays from the stack file, else the stack's default."""
    return stackfile.cache_policy_settings(stack).cache_unpulled_days


def interactive() -> bool:
    """Whether a person can answer a question (stdin and stderr are terminals)."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask(question: str) -> bool:
    print(question, end="", file=sys.stderr, flush=True)
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}


def prune_settings(
    args: argparse.Namespace, stack: stackfile.StackSettings | None
) -> tuple[list[str], int, prune_report.Mode]:
    """Prefixes, days and mode from the flags, then the stack file, then the defaults."""
    prefixes = prefixes_of(args, stack)
    if args.unpulled_days is None:
        days = stack_unpulled_days(stack)
        if days == 0:
            source = stack.path if stack else "the stack's defaults"
            raise UsageError(f"pruning is off: cacheUnpulledDays is 0 in {source}; pass "
                             "--unpulled-days N to prune by hand")
    else:
        days = args.unpulled_days
    ops_options.validate_range("--unpulled-days", days, keys.UNPULLED_DAYS_FLAG)
    ops_options.validate_price("--price-per-gb", args.price_per_gb)
    ops_options.validate_concurrency(args.concurrency)
    mode: prune_report.Mode = "dry-run" if args.dry_run else "yes" if args.yes else "ask"
    if mode == "ask" and args.output == "json":
        raise UsageError("-o json needs --dry-run or --yes (nobody can answer a question "
                         "in between)")
    if mode == "ask" and prefixes and not interactive():
        raise UsageError("no terminal to ask for confirmation: pass --dry-run to see what "
                         "would be deleted, or --yes to delete it")
    return prefixes, days, mode


def run(args: argparse.Namespace) -> int:
    if args.action == "prune":
        return run_prune(args)
    return run_apply(args)


def run_prune(args: argparse.Namespace) -> int:
    stack = ops_options.stack_settings(args)
    prefixes, days, mode = prune_settings(args, stack)
    if not prefixes:
        return prune_report.nothing_cached(no_caches_message(stack, "nothing to prune"), days,
                                           mode, args.price_per_gb, args.output,
                                           datetime.now(UTC))
    clients, _region = ops_options.aws_clients(args)
    return prune_report.run(
        clients.ecr, prefixes, days, mode, args.price_per_gb, args.concurrency, args.output,
        datetime.now(UTC), confirm=ask,
    )


def run_apply(args: argparse.Namespace) -> int:
    prefixes, policy, stack = settings(args)
    if not prefixes:
        report_apply([], prefixes, policy, args.dry_run, args.output,
                     no_caches_message(stack, "no repository gets the cache lifecycle policy"))
        return 0
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
        except (ClientError, BotoCoreError, ecr_api.BadAnswer) as exc:
            error = (str(exc) if isinstance(exc, ecr_api.BadAnswer)
                     else aws.explain(exc, "list ECR repositories"))
            print(f"error: {error}", file=sys.stderr)
            if output == "json":
                report.print_json({"error": error, "dry_run": dry_run, "prefixes": prefixes,
                                   "repositories": []})
            return 1
    report_apply(outcomes, prefixes, policy, dry_run, output)
    for outcome in outcomes:
        if outcome.result == ops_lifecycle.FAILED:
            print(f"error: {outcome.reason}", file=sys.stderr)
    return 1 if any(o.result == ops_lifecycle.FAILED for o in outcomes) else 0


def report_apply(
    outcomes: list[ops_lifecycle.Outcome],
    prefixes: list[str],
    policy: lifecycle_policy.PolicyDocument,
    dry_run: bool,
    output: str,
    message: str | None = None,
) -> None:
    """The table (or JSON) of what ``apply`` did; ``message`` says why nothing was tried."""
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
        if message:
            data["message"] = message
        report.print_json(data)
    elif message:
        print(message)
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
