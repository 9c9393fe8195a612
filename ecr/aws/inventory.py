"""What the registry holds: repositories and their images, listed fast and summarised.

The quick-start's monitoring loop starts one ``aws`` process per repository.  Here
the repository list is paginated once and the per-repository ``DescribeImages``
calls run on a bounded thread pool, with adaptive retries (``ecr.aws``) so
throttling slows the run down instead of failing it.  The summaries are pure
functions of the API responses, so they are tested without AWS.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecr import aws
from ecr.aws import DEFAULT_CONCURRENCY as DEFAULT_CONCURRENCY
from ecr.aws import pages
from ecr.policies.lifecycle import PolicyDocument
from ecr.pruner.ecr_api import prefix_of as prefix_of  # one rule for status and the pruner

# ECR bills storage per GB-month where a GB is 2**30 bytes.
BYTES_PER_GB = 1024**3
CUSTOM = "(custom)"  # the group of repositories under no cache prefix: the user's own


@dataclass
class RepoStats:
    """One repository: image count, stored size, pulls."""

    name: str
    prefix: str | None  # the cache prefix, or None for a custom repository
    images: int = 0
    size_bytes: int = 0
    last_pull: datetime | None = None
    unpulled: int = 0  # images not pulled (or, never pulled, not pushed) for N days
    expiring: int | None = None  # images the cache policy selects now; None: not a cache
    error: str | None = None
    error_code: str | None = None  # what kind of failure ``error`` is (aws.error_code)

    @property
    def group(self) -> str:
        return self.prefix if self.prefix is not None else CUSTOM


@dataclass
class PrefixStats:
    """Every repository under one cache prefix (or all custom ones), added up."""

    prefix: str
    repositories: int = 0
    images: int = 0
    size_bytes: int = 0
    last_pull: datetime | None = None
    unpulled: int = 0
    expiring: int | None = None  # None for the custom group: the cache policy is not theirs


@dataclass
class Inventory:
    repositories: list[RepoStats] = field(default_factory=list)
    registry_id: str | None = None
    api_calls: int = 0
    listed: int = 0  # repositories in the registry, before any --prefix filter

    @property
    def empty_registry(self) -> bool:
        return self.listed == 0

    @property
    def errors(self) -> list[RepoStats]:
        return [r for r in self.repositories if r.error]

    def error_lines(self, shown: int = 5) -> list[str]:
        """One line per kind of failure, not one per repository: 200 repositories denied
        the same way read as one error naming them."""
        kinds: dict[str, list[RepoStats]] = {}
        for repo in self.errors:
            kinds.setdefault(repo.error_code or str(repo.error), []).append(repo)
        lines = []
        for failed in kinds.values():
            line = str(failed[0].error)
            if len(failed) > 1:
                names = ", ".join(r.name for r in failed[1:shown + 1])
                more = f" and {len(failed) - shown - 1} more" if len(failed) > shown + 1 else ""
                line += f" (the same for {len(failed) - 1} other repositories: {names}{more})"
            lines.append(line)
        return lines


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def expiring_images(
    details: Sequence[Mapping[str, Any]], now: datetime, policy: PolicyDocument
) -> int:
    """How many of a repository's images ``policy`` (the cache lifecycle policy) selects now.

    Read from the policy document itself, so the count follows whatever
    ``lifecycle_policy.cache_lifecycle_policy`` builds: ``imageCountMoreThan`` keeps the
    newest N images by push time (ECR's order) and selects the rest; ``sinceImagePushed``
    selects images pushed (for a cache: cached) more than N days ago.  Only the cache
    policy's shape, one ``tagStatus: any`` expire rule, is understood: anything else
    raises ``ValueError`` rather than guess.
    """
    rules = policy.get("rules") or []
    rule = rules[0] if len(rules) == 1 else {}
    selection = rule.get("selection") or {}
    if selection.get("tagStatus") != "any" or (rule.get("action") or {}).get("type") != "expire":
        raise ValueError("cannot predict this lifecycle policy: only one tagStatus any expire "
                         "rule is understood")
    count_type, number = selection.get("countType"), int(selection.get("countNumber", 0))
    if count_type == "imageCountMoreThan":
        return max(0, len(details) - number)
    if count_type == "sinceImagePushed" and selection.get("countUnit") == "days":
        cutoff = now - timedelta(days=number)
        pushed = [image.get("imagePushedAt") for image in details]
        return sum(1 for when in pushed if when is not None and when < cutoff)
    raise ValueError(f"cannot predict this lifecycle policy: countType {count_type!r}")


def summarise_images(
    name: str,
    prefix: str | None,
    details: Sequence[Mapping[str, Any]],
    now: datetime,
    unpulled_days: int,
    cache_policy: PolicyDocument | None = None,
) -> RepoStats:
    """Add up ``DescribeImages`` details; missing sizes or pull times count as absent.

    ``unpulled``: images whose last pull (or push, when never pulled) is older than
    ``unpulled_days``: what nobody used lately.  ``expiring``: for a cached repository
    (``prefix`` set) and a ``cache_policy``, the images that policy selects now, which
    goes by cache (push) time, not by pulls.
    """
    stats = RepoStats(name=name, prefix=prefix)
    if prefix is not None and cache_policy is not None:
        stats.expiring = expiring_images(details, now, cache_policy)
    cutoff = now - timedelta(days=unpulled_days)
    for image in details:
        stats.images += 1
        stats.size_bytes += int(image.get("imageSizeInBytes") or 0)
        pulled = image.get("lastRecordedPullTime")
        stats.last_pull = _latest(stats.last_pull, pulled)
        reference = pulled or image.get("imagePushedAt")
        if reference is not None and reference < cutoff:
            stats.unpulled += 1
    return stats


def by_prefix(
    repos: Iterable[RepoStats], prefixes: Sequence[str], expiring: bool = False
) -> list[PrefixStats]:
    """One row per cache prefix (all of them, even empty), then the custom group.

    ``expiring``: the repositories were judged against the cache policy, so every cache
    prefix group counts its expiring images (0 when empty); the custom group never does.
    """
    start = 0 if expiring else None
    groups: dict[str, PrefixStats] = {p: PrefixStats(p, expiring=start) for p in prefixes}
    for repo in repos:
        group = groups.setdefault(repo.group, PrefixStats(repo.group))
        group.repositories += 1
        group.images += repo.images
        group.size_bytes += repo.size_bytes
        group.unpulled += repo.unpulled
        if repo.expiring is not None:
            group.expiring = (group.expiring or 0) + repo.expiring
        group.last_pull = _latest(group.last_pull, repo.last_pull)
    ordered = [groups.pop(p) for p in prefixes]
    custom = groups.pop(CUSTOM, None)
    ordered.extend(sorted(groups.values(), key=lambda g: g.prefix))
    if custom is not None:
        ordered.append(custom)
    return ordered


def monthly_cost(size_bytes: int, price_per_gb_month: float) -> float:
    return size_bytes / BYTES_PER_GB * price_per_gb_month


def list_repositories(ecr: Any) -> tuple[list[dict[str, Any]], int]:
    """Every repository (all pages, 1000 a page, where ECR's default is 100) and the
    number of pages it took; an answer that cannot be believed is ``pages.BadAnswer``.

    Called directly rather than through a paginator: ``status`` cannot make fewer calls
    than one per page, and a paginator costs its model's loading and an object per call.
    """
    repos: list[dict[str, Any]] = []
    count = 0
    for found in pages.pages(ecr.describe_repositories, "DescribeRepositories",
                             "repositories", ("repositoryName",)):
        count += 1
        repos.extend(found)
    return repos, count


def describe_images(ecr: Any, name: str, registry_id: str | None) -> tuple[list[Any], int]:
    """Every image of one repository (all pages) and the number of pages."""
    kwargs: dict[str, Any] = {"repositoryName": name}
    if registry_id:
        kwargs["registryId"] = registry_id
    details: list[Any] = []
    count = 0
    for found in pages.pages(ecr.describe_images, "DescribeImages", "imageDetails",
                             ("imageDigest",), **kwargs):
        count += 1
        details.extend(found)
    return details, count


def collect(
    ecr: Any,
    prefixes: Sequence[str],
    now: datetime,
    unpulled_days: int,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_done: Callable[[], None] | None = None,
    on_total: Callable[[int], None] | None = None,
    cache_policy: PolicyDocument | None = None,
    only: Sequence[str] | None = None,
    on_images: Callable[[RepoStats, list[Any]], int] | None = None,
) -> Inventory:
    """List every repository and summarise its images, ``concurrency`` at a time.

    ``only``: describe just the repositories under these cache prefixes (``prefixes``
    still holds every known one, so a repository under another cache is recognised and
    skipped without a ``DescribeImages`` call, never taken for a custom one).
    ``cache_policy``: judge cached repositories against it (``RepoStats.expiring``).
    ``on_images(stats, details)``: called (on the worker thread) with each cached
    repository's image details; returns the API calls it made itself, counted here.

    Listing errors (access denied, no credentials) propagate: nothing useful can be
    said without the list.  A per-repository error is kept on that repository so one
    bad repository does not hide the others; a repository deleted while we ran is
    dropped.
    """
    repos, listing_calls = list_repositories(ecr)
    inventory = Inventory(api_calls=listing_calls, listed=len(repos))
    if repos:
        inventory.registry_id = str(repos[0].get("registryId") or "") or None
    if only is not None:
        wanted = {p.rstrip("/") for p in only}
        repos = [r for r in repos if prefix_of(str(r["repositoryName"]), prefixes) in wanted]
    if on_total:
        on_total(len(repos))

    def one(repo: Mapping[str, Any]) -> tuple[RepoStats | None, int]:
        name = str(repo["repositoryName"])
        prefix = prefix_of(name, prefixes)
        try:
            details, calls = describe_images(ecr, name, repo.get("registryId"))
        except (ClientError, BotoCoreError) as exc:
            code = aws.error_code(exc)
            if code == "RepositoryNotFoundException":
                return None, 1
            return RepoStats(name, prefix, error=aws.explain(exc, f"describe images of {name}"),
                             error_code=code), 1
        stats = summarise_images(name, prefix, details, now, unpulled_days, cache_policy)
        if on_images is not None and prefix is not None:
            calls += on_images(stats, details)
        return stats, calls

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = [pool.submit(one, repo) for repo in repos]
        for future in as_completed(futures):
            stats, calls = future.result()
            inventory.api_calls += calls
            if stats is not None:
                inventory.repositories.append(stats)
            if on_done:
                on_done()
    inventory.repositories.sort(key=lambda r: r.name)
    return inventory
