"""Lifecycle backfill: give cached repositories the creation template's policy.

Creation templates only shape repositories created after the template exists
(docs/facts.md), so repositories the cache made earlier keep images forever.  This
module decides, per repository, what to do (a pure function of the current policy)
and then does it.  The wanted policy comes from ``ecr.policies.lifecycle``, the same
builder the Pulumi templates use, so a backfilled repository ends up exactly like a
newly cached one.  Running it twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecr import aws
from ecr.aws.inventory import list_repositories, prefix_of
from ecr.policies import lifecycle

CHANGED = "changed"
WOULD_CHANGE = "would change"
ALREADY_RIGHT = "already right"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    repository: str
    prefix: str
    result: str  # one of the constants above
    reason: str


def decide(current: str | None, wanted: str, force: bool) -> tuple[str, str]:
    """(action, reason) for one repository: ``put``, ``keep`` or ``skip``.

    A repository with a different policy was set on purpose by someone; it is left
    alone unless ``force`` says to replace it.
    """
    if current is None:
        return "put", "had no lifecycle policy"
    if lifecycle.same_policy(current, wanted):
        return "keep", "has the template's policy"
    if force:
        return "put", "had a different policy (replaced: --force)"
    return "skip", "has a different lifecycle policy; rerun with --force to replace it"


def current_policy(ecr: Any, name: str, registry_id: str | None) -> str | None:
    kwargs: dict[str, Any] = {"repositoryName": name}
    if registry_id:
        kwargs["registryId"] = registry_id
    try:
        return str(ecr.get_lifecycle_policy(**kwargs)["lifecyclePolicyText"])
    except ClientError as exc:
        if aws.error_code(exc) == "LifecyclePolicyNotFoundException":
            return None
        raise


def backfill_one(
    ecr: Any, repo: dict[str, Any], prefix: str, wanted: str, dry_run: bool, force: bool
) -> Outcome:
    name = str(repo["repositoryName"])
    registry_id = repo.get("registryId")
    try:
        action, reason = decide(current_policy(ecr, name, registry_id), wanted, force)
        if action == "keep":
            return Outcome(name, prefix, ALREADY_RIGHT, reason)
        if action == "skip":
            return Outcome(name, prefix, SKIPPED, reason)
        if dry_run:
            return Outcome(name, prefix, WOULD_CHANGE, reason + " (dry run: nothing written)")
        kwargs: dict[str, Any] = {"repositoryName": name, "lifecyclePolicyText": wanted}
        if registry_id:
            kwargs["registryId"] = registry_id
        ecr.put_lifecycle_policy(**kwargs)
        return Outcome(name, prefix, CHANGED, reason)
    except (ClientError, BotoCoreError) as exc:
        if aws.error_code(exc) == "RepositoryNotFoundException":
            return Outcome(name, prefix, SKIPPED, "deleted while this ran")
        return Outcome(name, prefix, FAILED, aws.explain(exc, f"lifecycle policy of {name}"))


def backfill(
    ecr: Any,
    prefixes: Sequence[str],
    policy: lifecycle.PolicyDocument,
    dry_run: bool,
    force: bool = False,
    concurrency: int = 8,
    on_total: Callable[[int], None] | None = None,
    on_done: Callable[[], None] | None = None,
) -> list[Outcome]:
    """Apply ``policy`` to every repository under ``prefixes``; one outcome each.

    Repositories under no prefix (custom repositories, other caches) are not touched and
    not reported: they are not this command's business.
    """
    wanted = lifecycle.to_json(policy)
    repos, _pages = list_repositories(ecr)
    chosen = [(r, prefix_of(str(r["repositoryName"]), prefixes)) for r in repos]
    work = [(r, p) for r, p in chosen if p is not None]
    if on_total:
        on_total(len(work))

    def one(item: tuple[dict[str, Any], str | None]) -> Outcome:
        repo, prefix = item
        outcome = backfill_one(ecr, repo, str(prefix), wanted, dry_run, force)
        if on_done:
            on_done()
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(one, work))
    return sorted(outcomes, key=lambda o: o.repository)
