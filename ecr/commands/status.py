"""``ecr status``: what is cached, and what it costs.

Per cache prefix and per repository: image count, stored size, last pull, images
not pulled for N days and an *estimated* monthly storage cost.  Private
repositories (under no cache prefix) are shown too.  One paginated repository
listing plus one ``DescribeImages`` per repository, run concurrently.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound

from ecr import aws, catalogue, ops_clients, ops_inventory, ops_stackfile, report, stack_outputs
from ecr.cli import UsageError
from ecr.ops_inventory import Inventory, PrefixStats, RepoStats

DEFAULT_PRICE = 0.10  # USD per GB-month, us-east-1 (ecr-facts.md "Pricing")
DEFAULT_UNPULLED_DAYS = 90
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
        f"cacheUnpulledDays, else {DEFAULT_UNPULLED_DAYS})",
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
        + ", and private ones)",
    )
    parser.add_argument(
        "--stack-file",
        metavar="FILE",
        help="Pulumi.<stack>.yaml to read caches and cacheUnpulledDays from (default: the "
        "project's Pulumi.<--stack>.yaml, Pulumi.prod.yaml without --stack, when it exists)",
    )
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
        default=ops_inventory.DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"DescribeImages calls in flight (default {ops_inventory.DEFAULT_CONCURRENCY})",
    )
    ops_clients.add_aws_arguments(parser)
    report.add_output_argument(parser)


def _settings(args: argparse.Namespace) -> tuple[list[str], int]:
    """The cache prefixes to group by (all known ones, so a repository under a prefix not
    asked for is never taken for a private one), and the unpulled-days threshold."""
    try:
        stack = ops_stackfile.resolve(args.stack_file, args.stack)
    except ops_stackfile.StackFileError as exc:
        raise UsageError(str(exc)) from None
    known = list(stack.caches if stack else catalogue.DEFAULT_CACHES)
    prefixes = list(args.prefix or known)
    for prefix in prefixes:
        problem = catalogue.prefix_problem(prefix.rstrip("/"))
        if problem:
            raise UsageError(f"--prefix {prefix!r}: {problem}")
    days = args.unpulled_days
    if days is None:
        days = stack.unpulled_days if stack and stack.unpulled_days else DEFAULT_UNPULLED_DAYS
    if days < 1:
        raise UsageError(f"--unpulled-days must be at least 1, got {days}")
    if args.price_per_gb < 0:
        raise UsageError(f"--price-per-gb must not be negative, got {args.price_per_gb}")
    if not 1 <= args.concurrency <= 64:
        raise UsageError(f"--concurrency must be 1-64, got {args.concurrency}")
    if args.top < 0:
        raise UsageError(f"--top must be 0 (all) or more, got {args.top}")
    wanted = [p.rstrip("/") for p in prefixes]
    return wanted + [p for p in known if p not in wanted], days


def links(stack: str | None) -> dict[str, str | None]:
    """Budget name and dashboard URL from the stack outputs, when pulumi can read them."""
    outputs = stack_outputs.stack_outputs(stack)
    budget = outputs.get("budget_name")
    dashboard = outputs.get("dashboard_url")
    return {
        "budget_name": budget if isinstance(budget, str) and budget else None,
        "dashboard_url": dashboard if isinstance(dashboard, str) and dashboard else None,
    }


def run(args: argparse.Namespace) -> int:
    prefixes, days = _settings(args)
    only = [p.rstrip("/") for p in args.prefix] if args.prefix else None
    try:
        clients = ops_clients.from_args(args)
        region = clients.region
    except (aws.AwsSetupError, ProfileNotFound) as exc:
        raise UsageError(str(exc)) from None
    return status(
        clients, region, prefixes, days, args.price_per_gb, args.concurrency,
        args.output, args.top, links(args.stack), only=only,
    )


def status(
    clients: ops_clients.Clients,
    region: str,
    prefixes: list[str],
    unpulled_days: int,
    price: float,
    concurrency: int,
    output: str,
    top: int,
    stack_links: dict[str, str | None],
    now: datetime | None = None,
    only: list[str] | None = None,
) -> int:
    """Collect and print; 0 when every repository was read, 1 otherwise.

    ``only`` (``--prefix``): report just the repositories under these cache prefixes;
    ``prefixes`` still holds every known one, so the others are recognised and left out.
    """
    now = now or datetime.now(UTC)
    bars: list[report.Progress] = []  # created once the repository count is known

    def start(total: int) -> None:
        bars.append(report.Progress(total, "describing images"))

    def advance() -> None:
        bars[0].advance()

    try:
        inventory = ops_inventory.collect(
            clients.ecr, prefixes, now, unpulled_days, concurrency,
            on_done=advance, on_total=start,
        )
    except (ClientError, BotoCoreError) as exc:
        print(f"error: {aws.explain(exc, 'list ECR repositories')}", file=sys.stderr)
        return 1
    finally:
        for bar in bars:
            bar.close()
    if only is not None:
        inventory.repositories = [r for r in inventory.repositories if r.prefix in only]
    groups = ops_inventory.by_prefix(inventory.repositories, only or prefixes)
    registry = (
        catalogue.registry_host(inventory.registry_id, region) if inventory.registry_id else None
    )
    if output == "json":
        report.print_json(
            to_json(inventory, groups, registry, region, unpulled_days, price, stack_links)
        )
    else:
        print(render(inventory, groups, registry, region, unpulled_days, price, top, stack_links))
    for repo in inventory.errors:
        print(f"error: {repo.error}", file=sys.stderr)
    return 1 if inventory.errors else 0


def _when(value: datetime | None, images: int) -> str | None:
    """A pull time for the table: 'never' for images never pulled, '-' for none."""
    if value is None:
        return "never" if images else None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _prefix_json(group: PrefixStats, price: float) -> dict[str, Any]:
    return {
        "prefix": group.prefix,
        "cache": group.prefix != ops_inventory.PRIVATE,
        "repositories": group.repositories,
        "images": group.images,
        "size_bytes": group.size_bytes,
        "estimated_monthly_cost_usd": round(ops_inventory.monthly_cost(group.size_bytes, price), 4),
        "last_pull": _iso(group.last_pull),
        "unpulled_images": group.unpulled,
    }


def _repo_json(repo: RepoStats, price: float) -> dict[str, Any]:
    return {
        "name": repo.name,
        "prefix": repo.prefix,
        "cache": repo.prefix is not None,
        "images": repo.images,
        "size_bytes": repo.size_bytes,
        "estimated_monthly_cost_usd": round(ops_inventory.monthly_cost(repo.size_bytes, price), 4),
        "last_pull": _iso(repo.last_pull),
        "unpulled_images": repo.unpulled,
        "error": repo.error,
    }


def to_json(
    inventory: Inventory,
    groups: list[PrefixStats],
    registry: str | None,
    region: str,
    unpulled_days: int,
    price: float,
    stack_links: dict[str, str | None],
) -> dict[str, Any]:
    total = sum(r.size_bytes for r in inventory.repositories)
    return {
        "registry": registry,
        "region": region,
        "unpulled_days": unpulled_days,
        "price_per_gb_month_usd": price,
        "cost_is_estimate": True,
        "estimate_note": ESTIMATE_NOTE.format(price=price),
        "totals": {
            "repositories": len(inventory.repositories),
            "images": sum(r.images for r in inventory.repositories),
            "size_bytes": total,
            "estimated_monthly_cost_usd": round(ops_inventory.monthly_cost(total, price), 4),
            "unpulled_images": sum(r.unpulled for r in inventory.repositories),
        },
        "prefixes": [_prefix_json(g, price) for g in groups],
        "repositories": [_repo_json(r, price) for r in inventory.repositories],
        "links": stack_links,
        "api_calls": inventory.api_calls,
    }


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
        cost = ops_inventory.monthly_cost(group.size_bytes, price)
        lines.append(
            f"{group.prefix.ljust(name_width)}  [{bar}]  "
            f"{report.human_bytes(group.size_bytes):>10}  ~{cost:.2f} USD/month"
        )
    return "\n".join(lines)


def render(
    inventory: Inventory,
    groups: list[PrefixStats],
    registry: str | None,
    region: str,
    unpulled_days: int,
    price: float,
    top: int,
    stack_links: dict[str, str | None],
) -> str:
    repos = inventory.repositories
    total = sum(r.size_bytes for r in repos)
    unpulled_header = f"NOT PULLED {unpulled_days}D"
    out = [
        f"Registry {registry or '(no repositories yet)'} in {region}: "
        f"{len(repos)} repositories, {sum(r.images for r in repos)} images, "
        f"{report.human_bytes(total)}, ~{ops_inventory.monthly_cost(total, price):.2f} USD/month "
        "(estimate)",
        "",
        "Stored size by prefix",
        size_bars(groups, price),
        "",
        report.format_table(
            ["PREFIX", "REPOS", "IMAGES", "SIZE", "EST USD/MONTH", "LAST PULL", unpulled_header],
            [
                [
                    g.prefix, g.repositories, g.images, report.human_bytes(g.size_bytes),
                    ops_inventory.monthly_cost(g.size_bytes, price),
                    _when(g.last_pull, g.images),
                    g.unpulled,
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
            report.format_table(
                ["REPOSITORY", "PREFIX", "IMAGES", "SIZE", "EST USD/MONTH", "LAST PULL",
                 unpulled_header],
                [
                    [
                        r.name, r.group, r.images, report.human_bytes(r.size_bytes),
                        ops_inventory.monthly_cost(r.size_bytes, price),
                        _when(r.last_pull, r.images),
                        "error" if r.error else r.unpulled,
                    ]
                    for r in shown
                ],
            ),
            "",
        ]
    out.append(ESTIMATE_NOTE.format(price=price))
    out.append(
        f"'{unpulled_header}': images whose last pull (or push, if never pulled) is older than "
        f"{unpulled_days} days: cached copies nobody used lately. (The cache lifecycle policy "
        "expires cached images cacheUnpulledDays after ECR cached them, pulled or not.)"
    )
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
