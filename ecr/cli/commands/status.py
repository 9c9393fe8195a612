"""``ecr status``: what is cached, and what it costs.

Per cache prefix and per repository: image count, stored size, last pull, images
not pulled for N days, what the next prune deletes (``NEXT PRUNE``: the pruner's rules on
the same image details, plus ``BatchGetImage`` for index manifests where something is
quiet), images the cache lifecycle policy expires next and an *estimated* monthly storage
cost.  Custom repositories (under no cache prefix) are
shown too.  One paginated repository listing plus one ``DescribeImages`` per
repository reported, run concurrently.
"""

from __future__ import annotations

import argparse
import gc
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecr import aws, catalogue
from ecr.aws import pages
from ecr.aws.clients import Clients
from ecr.aws.inventory import (
    CUSTOM,
    DEFAULT_CONCURRENCY,
    Inventory,
    PrefixStats,
    RepoStats,
    by_prefix,
    collect,
    monthly_cost,
)
from ecr.cli import ops_options, prune_report
from ecr.cli.output import (
    PendingProgress,
    add_output_argument,
    format_table,
    human_bytes,
    print_json,
)
from ecr.config import keys, stackfile
from ecr.config.stackfile import CachePolicySettings
from ecr.errors import UsageError
from ecr.policies import lifecycle

DEFAULT_PRICE = 0.10  # USD per GB-month, us-east-1 (docs/facts.md "Pricing")
BAR_WIDTH = 30
ESTIMATE_NOTE = (
    "Estimated storage cost: sum of image sizes x {price:.3f} USD per GB-month. An estimate: "
    "ECR bills stored layers (layers shared between images are counted once per image here), "
    "the price differs by region (af-south-1 may cost more: pass --price-per-gb), and "
    "free tier and data transfer are not included."
)
BUDGETS_CONSOLE = "https://console.aws.amazon.com/billing/home#/budgets"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Exit status: 0, 1 when a repository or the listing could not be read, 2 for bad "
        "usage. Costs are estimates: sum of image sizes x --price-per-gb."
    )
    parser.add_argument(
        "--unpulled-days",
        type=int,
        default=None,
        metavar="N",
        help=f"count images not pulled for N days (default: the stack file's "
        f"cacheUnpulledDays, else {stackfile.default_unpulled_days()}); the EXPIRING column "
        "always follows the stack file's cacheUnpulledDays/cacheKeepImages",
    )
    parser.add_argument(
        "--price-per-gb",
        type=float,
        default=DEFAULT_PRICE,
        metavar="USD",
        help=f"storage price per GB-month for the estimate (default {DEFAULT_PRICE:.2f}, "
        "the us-east-1 price; check your region's)",
    )
    parser.add_argument(
        "--prefix",
        action="append",
        metavar="P",
        help="only repositories under this cache prefix (repeatable; default: every "
        "repository, grouped by the stack file's caches, else "
        + ", ".join(catalogue.DEFAULT_CACHES)
        + ", and custom ones)",
    )
    ops_options.add_stack_file_argument(parser, "caches, cacheUnpulledDays and cacheKeepImages")
    parser.add_argument(
        "--stack", metavar="NAME",
        help="stack whose outputs name the budget and dashboard, and whose Pulumi.<NAME>.yaml "
        "is read without --stack-file (default: the selected stack, and Pulumi.prod.yaml)"
    )
    parser.add_argument(
        "--top",
        type=int,
        default=0,
        metavar="N",
        help="show only the N biggest repositories in the table (default: all)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"DescribeImages calls in flight, sharing one client and its kept-alive "
        f"connections (default {DEFAULT_CONCURRENCY}: the calls wait on the network, "
        "not the CPU)",
    )
    ops_options.add_aws_arguments(parser)
    add_output_argument(parser)


@dataclass(frozen=True)
class CachePolicy:
    """The cache lifecycle policy ``status`` predicts, and where its settings came from."""

    settings: CachePolicySettings
    source: str  # the stack file read, or "the stack's defaults"

    def document(self) -> lifecycle.PolicyDocument:
        return self.settings.policy()

    def as_dict(self) -> dict[str, Any]:
        return {"unpulled_days": self.settings.unpulled_days,
                "max_age_days": self.settings.max_age_days,
                "keep_images": self.settings.keep_images, "source": self.source}


DEFAULTS_SOURCE = "the stack's defaults"


def default_policy() -> CachePolicy:
    """The policy a stack with no cacheUnpulledDays/cacheKeepImages set deploys."""
    return CachePolicy(stackfile.cache_policy_settings(None), DEFAULTS_SOURCE)


def _settings(args: argparse.Namespace) -> tuple[list[str], int, CachePolicy]:
    """The cache prefixes to group by (all known ones, so a repository under a prefix not
    asked for is never taken for a custom one), the unpulled-days threshold, and the
    cache policy the stack deploys (from the same settings the creation templates use)."""
    stack = ops_options.stack_settings(args)
    chosen = stackfile.cache_policy_settings(stack)
    policy = CachePolicy(chosen, str(stack.path) if stack else DEFAULTS_SOURCE)
    try:
        policy.document()
    except lifecycle.PolicyValueError as exc:
        raise UsageError(f"{policy.source}: {exc} (cacheMaxAgeDays / cacheKeepImages)") from None
    known = list(stack.caches if stack else catalogue.DEFAULT_CACHES)
    prefixes = list(args.prefix or known)
    ops_options.validate_prefixes("--prefix", prefixes, strip=True)
    days = args.unpulled_days
    if days is None:  # the stack's cacheUnpulledDays; 0 turns the pruner off, not this column
        days = chosen.unpulled_days or stackfile.default_unpulled_days()
    ops_options.validate_range("--unpulled-days", days, keys.UNPULLED_DAYS_FLAG)
    ops_options.validate_price("--price-per-gb", args.price_per_gb)
    ops_options.validate_concurrency(args.concurrency)
    if args.top < 0:
        raise UsageError(f"--top must be 0 (all) or more, got {args.top}")
    wanted = [p.rstrip("/") for p in prefixes]
    return wanted + [p for p in known if p not in wanted], days, policy


def links(stack: str | None) -> dict[str, str | None]:
    """Budget name and dashboard URL from the stack outputs, when pulumi can read them."""
    from ecr.config.outputs import stack_outputs  # here: the registry resolver is not needed

    outputs = stack_outputs(stack)
    budget = outputs.get("budget_name")
    dashboard = outputs.get("dashboard_url")
    return {
        "budget_name": budget if isinstance(budget, str) and budget else None,
        "dashboard_url": dashboard if isinstance(dashboard, str) and dashboard else None,
    }


def run(args: argparse.Namespace) -> int:
    # Everything imported so far (botocore's models and machinery) lives until exit:
    # frozen, the collector stops re-scanning it while the responses are parsed, which
    # measured about 7% of status's CPU (bench/status.py).
    gc.freeze()
    prefixes, days, policy = _settings(args)
    only = [p.rstrip("/") for p in args.prefix] if args.prefix else None
    clients, region = ops_options.aws_clients(args)
    # The stack outputs (a pulumi process, when the CLI is there) are read while AWS answers.
    with ThreadPoolExecutor(max_workers=1) as background:
        return status(
            clients, region, prefixes, days, args.price_per_gb, args.concurrency,
            args.output, args.top, background.submit(links, args.stack), only=only,
            cache_policy=policy,
        )


def status(
    clients: Clients,
    region: str,
    prefixes: list[str],
    unpulled_days: int,
    price: float,
    concurrency: int,
    output: str,
    top: int,
    stack_links: dict[str, str | None] | Future[dict[str, str | None]],
    now: datetime | None = None,
    only: list[str] | None = None,
    cache_policy: CachePolicy | None = None,
) -> int:
    """Collect and print; 0 when every repository was read, 1 otherwise.

    ``stack_links``: the budget and dashboard (:func:`links`), or their future.
    ``only`` (``--prefix``): report just the repositories under these cache prefixes;
    ``prefixes`` still holds every known one, so the others are recognised and left out
    without describing their images.
    """
    now = now or datetime.now(UTC)
    cache_policy = cache_policy or default_policy()
    prune_days = cache_policy.settings.unpulled_days  # cacheUnpulledDays: 0 = pruning off
    try:  # making the client resolves the credentials: a broken profile fails here
        ecr = clients.ecr
    except aws.ERRORS as exc:
        return listing_failed(exc, output)
    next_prune = prune_report.NextPrunes(ecr, now, prune_days) if prune_days else None
    with PendingProgress("describing images") as progress:
        try:
            inventory = collect(
                ecr, prefixes, now, unpulled_days, concurrency,
                on_done=progress.advance, on_total=progress.start,
                cache_policy=cache_policy.document(), only=only, on_images=next_prune,
            )
        except aws.ERRORS as exc:
            return listing_failed(exc, output)
    groups = by_prefix(inventory.repositories, only or prefixes, expiring=True)
    registry = registry_host(clients, inventory, region)
    if isinstance(stack_links, Future):
        stack_links = stack_links.result()
    report = Report(inventory, groups, registry, region, unpulled_days, price, stack_links,
                    cache_policy, next_prune)
    if output == "json":
        print_json(to_json(report))
    else:
        print(render(report, top))
    for line in inventory.error_lines():
        print(f"error: {line}", file=sys.stderr)
    prune_errors = next_prune.errors() if next_prune else []
    for error in prune_errors:
        print(f"error: {error}", file=sys.stderr)
    return 1 if inventory.errors or prune_errors else 0


def listing_failed(exc: BaseException, output: str) -> int:
    """Nothing can be reported without the listing: the one error line, exit 1; with
    ``-o json`` also a document saying so (a machine reading stdout gets JSON, not nothing)."""
    message = aws.explain(exc, "list ECR repositories")
    if output == "json":
        print_json({"error": message, "repositories": []})
    print(f"error: {message}", file=sys.stderr)
    return 1


def registry_host(clients: Clients, inventory: Inventory, region: str) -> str | None:
    """The registry host: from the listing, else (no repositories yet) from the account.

    An empty registry still has a host (``<account>.dkr.ecr.<region>.amazonaws.com``),
    the one to pull through; the account comes from ``sts get-caller-identity``, one more
    call counted in ``api_calls``.  None when even that cannot be read.
    """
    account = inventory.registry_id
    if account is None:
        inventory.api_calls += 1
        try:
            answer = pages.call(clients.sts.get_caller_identity, "sts:GetCallerIdentity")
            account = str(pages.value(answer, "sts:GetCallerIdentity", "Account"))
        except aws.ERRORS as exc:
            print(f"warning: {aws.explain(exc, 'sts get-caller-identity')}", file=sys.stderr)
            return None
    return catalogue.registry_host(account, region)


@dataclass(frozen=True)
class Report:
    """What ``status`` found and the settings it was judged by: the table's and the
    JSON's one input."""

    inventory: Inventory
    groups: list[PrefixStats]
    registry: str | None
    region: str
    unpulled_days: int
    price: float
    stack_links: dict[str, str | None]
    cache_policy: CachePolicy = field(default_factory=default_policy)
    next_prune: prune_report.NextPrunes | None = None

    @property
    def total_bytes(self) -> int:
        return sum(r.size_bytes for r in self.inventory.repositories)


def _when(value: datetime | None, images: int) -> str | None:
    """A pull time for the table: 'never' for images never pulled, '-' for none."""
    if value is None:
        return "never" if images else None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _usage_json(stats: PrefixStats | RepoStats, price: float) -> dict[str, Any]:
    """The figures a prefix and a repository both report, in the JSON's key order."""
    return {
        "images": stats.images,
        "size_bytes": stats.size_bytes,
        "estimated_monthly_cost_usd": round(monthly_cost(stats.size_bytes, price), 4),
        "last_pull": _iso(stats.last_pull),
        "unpulled_images": stats.unpulled,
        "expiring_images": stats.expiring,
    }


def _prefix_json(group: PrefixStats, price: float) -> dict[str, Any]:
    return {
        "prefix": group.prefix,
        "cache": group.prefix != CUSTOM,
        "repositories": group.repositories,
        **_usage_json(group, price),
    }


def _repo_json(repo: RepoStats, price: float,
               next_prune: prune_report.NextPrunes | None = None) -> dict[str, Any]:
    found = next_prune.get(repo.name) if next_prune else None
    return {
        "name": repo.name,
        "prefix": repo.prefix,
        "cache": repo.prefix is not None,
        **_usage_json(repo, price),
        "next_prune": found.as_dict() if found else None,
        "error": repo.error,
    }


def to_json(report: Report) -> dict[str, Any]:
    inventory, price, cache_policy, next_prune = (report.inventory, report.price,
                                                   report.cache_policy, report.next_prune)
    total = report.total_bytes
    pruned = list(next_prune.found.values()) if next_prune else []
    return {
        "registry": report.registry,
        "region": report.region,
        "unpulled_days": report.unpulled_days,
        "cache_policy": cache_policy.as_dict(),
        "price_per_gb_month_usd": price,
        "cost_is_estimate": True,
        "estimate_note": ESTIMATE_NOTE.format(price=price),
        "totals": {
            "repositories": len(inventory.repositories),
            "images": sum(r.images for r in inventory.repositories),
            "size_bytes": total,
            "estimated_monthly_cost_usd": round(monthly_cost(total, price), 4),
            "unpulled_images": sum(r.unpulled for r in inventory.repositories),
            "expiring_images": sum(r.expiring or 0 for r in inventory.repositories),
        },
        "next_prune": {  # what the pruner deletes next; unpulled_days null: pruning is off
            "unpulled_days": cache_policy.settings.unpulled_days or None,
            "dry_run": cache_policy.settings.prune_dry_run,  # pruneDryRun: only logged
            "images": sum(p.images for p in pruned),
            "size_bytes": sum(p.size_bytes for p in pruned),
        },
        "prefixes": [_prefix_json(g, price) for g in report.groups],
        "repositories": [_repo_json(r, price, next_prune) for r in inventory.repositories],
        "links": report.stack_links,
        "api_calls": inventory.api_calls,
    }


def expiring_note(cache_policy: CachePolicy) -> str:
    """What the EXPIRING column counts, in the policy's own terms."""
    chosen = cache_policy.settings
    if chosen.keep_images:
        rule = (f"images beyond the newest {chosen.keep_images} of each cached repository "
                f"(cacheKeepImages {chosen.keep_images}")
    else:  # the age limit, read from the document so it names what the policy holds
        days = cache_policy.document()["rules"][0]["selection"]["countNumber"]
        rule = (f"images cached more than {days} days ago, pulled or not, its safety limit "
                f"(cacheMaxAgeDays {days}")
    return (
        f"what the cache lifecycle policy expires next: {rule}, from {cache_policy.source}). "
        "ECR removes them within about a day; a later pull fetches them again from upstream. "
        "Counted for repositories that have the policy (scripts/ecr lifecycle apply gives it "
        "to ones cached before the template); '-' for custom repositories, whose policy "
        "keeps the last customKeepImages tagged images."
    )


def _next_prune_cell(repo: RepoStats, next_prune: prune_report.NextPrunes | None) -> str | None:
    """Images (size) the next prune deletes; '-' for custom repositories, 'off'."""
    if repo.error or repo.prefix is None:
        return "error" if repo.error else None
    found = next_prune.get(repo.name) if next_prune else None
    return found.cell() if found else "off"


def next_prune_note(cache_policy: CachePolicy) -> str:
    """What the NEXT PRUNE column counts."""
    days = cache_policy.settings.unpulled_days
    if not days:
        return (f"'off': pruning is off (cacheUnpulledDays 0, from {cache_policy.source}); "
                "scripts/ecr lifecycle prune --unpulled-days N prunes by hand.")
    scheduled = ("The stack's scheduled function runs as a dry run (pruneDryRun): it only "
                 "logs these, and deletes nothing until pruneDryRun is false"
                 if cache_policy.settings.prune_dry_run else
                 "The stack's scheduled function deletes them (pruneSchedule)")
    return (
        f"images (size) the next prune deletes: cached images nobody pulled for {days} days "
        f"(cacheUnpulledDays {days}, from {cache_policy.source}; a never-pulled image counts "
        "from when it was cached), a multi-arch index only together with all its platform "
        f"manifests. {scheduled}; scripts/ecr lifecycle prune does it by hand. '-' for "
        "custom repositories, which are never pruned."
    )


def size_bars(groups: list[PrefixStats], price: float, width: int = BAR_WIDTH) -> str:
    """One bar per prefix, scaled to the biggest: the biggest cost at a glance."""
    biggest = max((g.size_bytes for g in groups), default=0)
    name_width = max((len(g.prefix) for g in groups), default=0)
    lines = []
    for group in groups:
        filled = round(width * group.size_bytes / biggest) if biggest else 0
        if group.size_bytes and not filled:
            filled = 1  # something stored never looks like nothing
        bar = "#" * filled + "." * (width - filled)
        cost = monthly_cost(group.size_bytes, price)
        lines.append(
            f"{group.prefix.ljust(name_width)}  [{bar}]  "
            f"{human_bytes(group.size_bytes):>10}  ~{cost:.2f} USD/month"
        )
    return "\n".join(lines)


def render(report: Report, top: int) -> str:
    inventory, registry, price, cache_policy, next_prune = (
        report.inventory, report.registry, report.price, report.cache_policy, report.next_prune)
    unpulled_days, groups, stack_links = report.unpulled_days, report.groups, report.stack_links
    repos = inventory.repositories
    total = report.total_bytes
    unpulled_header = f"NOT PULLED {unpulled_days}D"
    out = [
        f"Registry {registry or '(unknown: the account could not be read)'} in {report.region}: "
        f"{len(repos)} repositories, {sum(r.images for r in repos)} images, "
        f"{human_bytes(total)}, ~{monthly_cost(total, price):.2f} USD/month "
        "(estimate)",
    ]
    if inventory.empty_registry:
        out.append("No repositories yet: the cache creates each one on the first pull of an "
                   "image through it" + (f" ({registry}/<prefix>/<image>)." if registry else "."))
    out += [
        "",
        "Stored size by prefix",
        size_bars(groups, price),
        "",
        format_table(
            ["PREFIX", "REPOS", "IMAGES", "SIZE", "EST USD/MONTH", "LAST PULL", unpulled_header,
             "EXPIRING"],
            [
                [
                    g.prefix, g.repositories, g.images, human_bytes(g.size_bytes),
                    monthly_cost(g.size_bytes, price),
                    _when(g.last_pull, g.images),
                    g.unpulled,
                    g.expiring,
                ]
                for g in groups
            ],
        ),
        "",
    ]
    shown = sorted(repos, key=lambda r: (-r.size_bytes, r.name))
    if top:
        shown = shown[:top]
    if shown:
        title = f"Repositories, biggest first ({len(shown)} of {len(repos)})"
        out += [
            title,
            format_table(
                ["REPOSITORY", "PREFIX", "IMAGES", "SIZE", "EST USD/MONTH", "LAST PULL",
                 unpulled_header, "NEXT PRUNE", "EXPIRING"],
                [
                    [
                        r.name, r.group, r.images, human_bytes(r.size_bytes),
                        monthly_cost(r.size_bytes, price),
                        _when(r.last_pull, r.images),
                        "error" if r.error else r.unpulled,
                        _next_prune_cell(r, next_prune),
                        "error" if r.error else r.expiring,
                    ]
                    for r in shown
                ],
            ),
            "",
        ]
    out.append(ESTIMATE_NOTE.format(price=price))
    out.append(
        f"'{unpulled_header}': images whose last pull (or push, if never pulled) is older than "
        f"{unpulled_days} days: cached copies nobody used lately."
    )
    out.append(f"'NEXT PRUNE': {next_prune_note(cache_policy)}")
    out.append(f"'EXPIRING': {expiring_note(cache_policy)}")
    budget, dashboard = stack_links.get("budget_name"), stack_links.get("dashboard_url")
    if budget:
        out.append(f"Budget: {budget} (AWS Budgets: {BUDGETS_CONSOLE})")
    if dashboard:
        out.append(f"Dashboard: {dashboard}")
    if not budget and not dashboard:
        out.append(
            "Budget and dashboard: none in the stack outputs (they need the pulumi CLI, logged "
            "in, to be read: pulumi stack output budget_name dashboard_url; the budget exists "
            "only with infra-ecr:monthlyBudgetUsd set)."
        )
    return "\n".join(out)
