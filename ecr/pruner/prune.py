"""A prune: read the cached repositories, decide with ``rules``, delete with ``ecr_api``.

Two steps so a person can look before anything is deleted: :func:`plan` only reads
(``DescribeRepositories``, ``DescribeImages``, ``BatchGetImage`` for indexes, when a
repository has something quiet at all), :func:`execute` deletes what the plan chose.
Repositories are handled ``concurrency`` at a time.  A repository that cannot be read
(an index that cannot be fetched, an answer of the wrong shape) is left alone and
reported as a failure; the others go on.  Right before each delete batch its images are
read again (``DescribeImages`` by digest): a group of linked images (an index, what it
lists, their signatures) with one pulled, pushed or re-tagged since the plan is kept
whole.  Once the ``stop`` event is set, no new delete is sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecr.pruner import ecr_api, rules
from ecr.pruner.ecr_api import Calls, Failure, Repository

DEFAULT_CONCURRENCY = 4
MAX_FAILURES_LISTED = 50  # in the summary; the count is always complete

# progress(stage, done, total): stage "reading" counts repositories, "deleting" images.
ProgressCallback = Callable[[str, int, int], None]


@dataclass
class RepoPlan:
    repository: Repository
    images: int = 0
    size_bytes: int = 0
    decision: rules.Decision | None = None  # None: not read (see error)
    error: Failure | None = None

    @property
    def selected(self) -> tuple[rules.Image, ...]:
        return self.decision.delete if self.decision else ()


@dataclass
class Plan:
    prefixes: tuple[str, ...]
    unpulled_days: int
    now: datetime
    repositories: list[RepoPlan]
    calls: Calls

    @property
    def selected_images(self) -> int:
        return sum(len(r.selected) for r in self.repositories)

    @property
    def selected_bytes(self) -> int:
        return sum(r.decision.freed_bytes for r in self.repositories if r.decision)


@dataclass
class RepoResult:
    plan: RepoPlan
    deleted: list[rules.Image] = field(default_factory=list)
    gone: list[rules.Image] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    # Kept: pulled, pushed or re-tagged between the plan and the delete (with the images
    # linked to them), as the re-read right before their delete showed.
    changed: list[rules.Image] = field(default_factory=list)
    not_sent: list[rules.Image] = field(default_factory=list)  # stopped before their delete

    @property
    def freed_bytes(self) -> int:
        return sum(i.size for i in self.deleted)


@dataclass
class Outcome:
    plan: Plan
    dry_run: bool
    results: list[RepoResult]
    seconds: float = 0.0
    interrupted: bool = False  # stopped (SIGINT/SIGTERM): no new delete was sent

    @property
    def failures(self) -> list[Failure]:
        found = [r.plan.error for r in self.results if r.plan.error]
        return found + [f for r in self.results for f in r.failures]


class _Counter:
    """Thread-safe progress for one stage."""

    def __init__(self, stage: str, total: int, callback: ProgressCallback | None) -> None:
        self.stage, self.total, self.callback = stage, total, callback
        self.done = 0
        self._lock = threading.Lock()
        if callback:
            callback(stage, 0, total)

    def advance(self, step: int = 1) -> None:
        if not self.callback:
            return
        with self._lock:
            self.done += step
            self.callback(self.stage, self.done, self.total)


def judge(
    ecr: Any,
    repo: Repository,
    images: Sequence[rules.Image],
    now: datetime,
    unpulled_days: int,
    calls: Calls,
) -> rules.Decision:
    """The decision for images already described: reads the index manifests only when
    something is quiet and there is an index (``UnreadableIndex`` when one fails)."""
    children: dict[str, tuple[str, ...] | None] = {}
    if rules.needs_children(images, now, unpulled_days):
        indexes = [i.digest for i in images if i.is_index]
        children = ecr_api.read_children(ecr, repo, indexes, calls)
    return rules.decide(images, children, now, unpulled_days)


def plan_repository(
    ecr: Any, repo: Repository, now: datetime, unpulled_days: int, calls: Calls
) -> RepoPlan | None:
    """One repository's plan; None when it was deleted while we ran."""
    result = RepoPlan(repo)
    try:
        images = ecr_api.describe_images(ecr, repo, calls)
        result.images = len(images)
        result.size_bytes = sum(i.size for i in images)
        result.decision = judge(ecr, repo, images, now, unpulled_days, calls)
    except ecr_api.UnreadableIndex as exc:
        result.error = Failure(repo.name, None, "UnreadableIndex",
                               f"{exc}; nothing in this repository was deleted")
    except ecr_api.BadAnswer as exc:
        result.error = Failure(repo.name, None, "BadAnswer",
                               f"{exc}; nothing in this repository was deleted")
    except Exception as exc:
        if not ecr_api.is_aws_error(exc):
            raise
        code, reason = ecr_api.describe_error(exc)
        if code == "RepositoryNotFoundException":
            return None
        result.error = Failure(repo.name, None, code, f"cannot read the images: {reason}")
    return result


def plan(
    ecr: Any,
    prefixes: Sequence[str],
    now: datetime,
    unpulled_days: int,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
) -> Plan:
    """Read every repository under ``prefixes`` and decide what goes (deletes nothing).

    A listing error (access denied, no credentials) propagates: nothing can be said
    without the list.
    """
    if unpulled_days < 1:
        raise ValueError(f"unpulled days must be at least 1, got {unpulled_days}")
    calls = Calls()
    stems = tuple(p.rstrip("/") for p in prefixes)
    repos = ecr_api.list_repositories(ecr, stems, calls)
    counter = _Counter("reading", len(repos), progress)

    def one(repo: Repository) -> RepoPlan | None:
        try:
            return plan_repository(ecr, repo, now, unpulled_days, calls)
        finally:
            counter.advance()

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        planned = list(pool.map(one, repos))
    return Plan(stems, unpulled_days, now, [p for p in planned if p is not None], calls)


def batches(groups: Sequence[Sequence[rules.Image]],
            size: int = ecr_api.BATCH) -> list[list[Sequence[rules.Image]]]:
    """Whole groups packed into delete batches of at most ``size`` images (a bigger group
    is a batch of its own), in order: a group is re-read and deleted together."""
    packed: list[list[Sequence[rules.Image]]] = []
    count = size
    for group in groups:
        if count + len(group) > size:
            packed.append([])
            count = 0
        packed[-1].append(group)
        count += len(group)
    return packed


def delete_checked(
    ecr: Any,
    repo_plan: RepoPlan,
    calls: Calls,
    on_batch: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> RepoResult:
    """Delete what one repository's plan selected, batch by batch; right before each
    batch its images are re-read (``DescribeImages`` by digest), and a group with an image
    pulled, pushed or re-tagged since the plan is kept whole (``RepoResult.changed``).
    A batch that cannot be re-read is not deleted (its images are failures).  Once
    ``stop`` is set no new call is sent."""
    result = RepoResult(repo_plan)
    repo = repo_plan.repository
    decision = repo_plan.decision
    groups = decision.groups if decision else ()
    packed = batches(groups)
    for number, batch in enumerate(packed):
        if ecr_api.stopped(stop):
            result.not_sent.extend(i for later in packed[number:] for g in later for i in g)
            break
        images = [i for group in batch for i in group]
        try:
            now = ecr_api.recheck(ecr, repo, images, calls)
        except Exception as exc:
            if not (ecr_api.is_aws_error(exc) or isinstance(exc, ecr_api.BadAnswer)):
                raise
            code, reason = (("BadAnswer", str(exc)) if isinstance(exc, ecr_api.BadAnswer)
                            else ecr_api.describe_error(exc))
            result.failures.extend(Failure(repo.name, i.digest, code,
                                           f"not deleted: re-reading it failed: {reason}")
                                   for i in images)
            if on_batch:
                on_batch(len(images))
            continue
        going: list[rules.Image] = []
        for group in batch:
            if any(ecr_api.changed(i, now.get(i.digest)) for i in group):
                result.changed.extend(group)
                continue
            result.gone.extend(i for i in group if now.get(i.digest) is None)
            going.extend(i for i in group if now.get(i.digest) is not None)
        if on_batch and len(images) > len(going):
            on_batch(len(images) - len(going))
        done = ecr_api.delete_images(ecr, repo, going, calls, on_batch=on_batch, sleep=sleep,
                                     stop=stop)
        result.deleted += done.images
        result.gone += done.gone
        result.failures += done.failures
        result.not_sent += done.not_sent
        if done.not_sent:
            result.not_sent.extend(i for later in packed[number + 1:] for g in later for i in g)
            break
    return result


def execute(
    ecr: Any,
    chosen: Plan,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> list[RepoResult]:
    """Delete what ``chosen`` selected, repository by repository, ``concurrency`` at a time
    (:func:`delete_checked`); once ``stop`` is set, no new delete is sent and the batches
    in flight finish."""
    counter = _Counter("deleting", chosen.selected_images, progress)

    def one(repo_plan: RepoPlan) -> RepoResult:
        return delete_checked(ecr, repo_plan, chosen.calls, counter.advance, sleep, stop)

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        return list(pool.map(one, chosen.repositories))


def prune(
    ecr: Any,
    prefixes: Sequence[str],
    unpulled_days: int,
    dry_run: bool,
    now: datetime,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: ProgressCallback | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> Outcome:
    """Plan, then (unless ``dry_run``) delete: what the scheduled function runs."""
    started = time.monotonic()
    chosen = plan(ecr, prefixes, now, unpulled_days, concurrency, progress)
    if dry_run:
        results = [RepoResult(r) for r in chosen.repositories]
    else:
        results = execute(ecr, chosen, concurrency, progress, sleep, stop)
    return Outcome(chosen, dry_run, results, time.monotonic() - started,
                   interrupted=ecr_api.stopped(stop))


def summary(outcome: Outcome) -> dict[str, Any]:
    """The one-line summary the function logs and returns (README "Lifecycle").

    ``selected_*``: what the rules chose; ``deleted_images``/``freed_bytes``: what was
    really deleted (0 in a dry run); ``already_gone``: deleted by someone else (or with
    their repository), not a failure; ``kept_changed``: kept because the re-read before
    the delete found them pulled, pushed or re-tagged since the plan (with what is linked
    to them); ``not_deleted`` and ``interrupted``: a stop signal came and these were never
    sent; ``unreadable_indexes``: indexes whose manifest could not be read (everything they
    might list was kept).
    """
    chosen = outcome.plan
    failures = outcome.failures
    return {
        "dry_run": outcome.dry_run,
        "unpulled_days": chosen.unpulled_days,
        "prefixes": list(chosen.prefixes),
        "repositories": len(chosen.repositories),
        "repositories_pruned": sum(1 for r in outcome.results if r.deleted),
        "images": sum(r.images for r in chosen.repositories),
        "selected_units": sum(len(r.decision.units) for r in chosen.repositories if r.decision),
        "selected_images": chosen.selected_images,
        "selected_bytes": chosen.selected_bytes,
        "deleted_images": sum(len(r.deleted) for r in outcome.results),
        "freed_bytes": sum(r.freed_bytes for r in outcome.results),
        "already_gone": sum(len(r.gone) for r in outcome.results),
        "kept_changed": sum(len(r.changed) for r in outcome.results),
        "not_deleted": sum(len(r.not_sent) for r in outcome.results),
        "interrupted": outcome.interrupted,
        "unreadable_indexes": sum(len(r.decision.unreadable) for r in chosen.repositories
                                  if r.decision),
        "failed": len(failures),
        "failures": [f.as_dict() for f in failures[:MAX_FAILURES_LISTED]],
        "api_calls": dict(sorted(chosen.calls.counts.items())),
        "seconds": round(outcome.seconds, 3),
    }
