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
from ecr.policies import lifecycle
from ecr.pruner import ecr_api

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
    """The repository's lifecycle policy text, None when it has none (:class:`BadAnswer`
    when the answer holds no policy text)."""
    kwargs: dict[str, Any] = {"repositoryName": name}
    if registry_id:
        kwargs["registryId"] = registry_id
    try:
        answer = ecr.get_lifecycle_policy(**kwargs)
    except ClientError as exc:
        if aws.error_code(exc) == "LifecyclePolicyNotFoundException":
            return None
        raise
    text = answer.get("lifecyclePolicyText") if isinstance(answer, dict) else None
    if not isinstance(text, str):
        raise ecr_api.BadAnswer(f"GetLifecyclePolicy of {name}: the answer has no "
                                "lifecyclePolicyText")
    return text


def backfill_one(
    ecr: Any, repo: ecr_api.Repository, wanted: str, dry_run: bool, force: bool
) -> Outcome:
    name, prefix, registry_id = repo.name, repo.prefix, repo.registry_id
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
    except ecr_api.BadAnswer as exc:
        return Outcome(name, prefix, FAILED, f"{exc}; nothing was written")
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
    not reported: they are not this command's business.  The listing is the pruner's
    (``ecr_api.list_repositories``): a nextToken seen before or an answer of the wrong
    shape is a :class:`ecr_api.BadAnswer`, and nothing is written.
    """
    wanted = lifecycle.to_json(policy)
    work = ecr_api.list_repositories(ecr, prefixes, ecr_api.Calls()) if prefixes else []
    if on_total:
        on_total(len(work))

    def one(repo: ecr_api.Repository) -> Outcome:
        outcome = backfill_one(ecr, repo, wanted, dry_run, force)
        if on_done:
            on_done()
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        outcomes = list(pool.map(one, work))
    return sorted(outcomes, key=lambda o: o.repository)
