"""``ecr lifecycle prune`` below the argument parser: plan, show, confirm, delete, report.

Typed values only (the argparse namespace stops in ``ecr.cli.commands.lifecycle``).  The
deciding and deleting is ``ecr.pruner``, the very code the scheduled function runs; this
module adds what a person needs: progress on stderr, a table per repository (or JSON),
the bytes freed and the monthly saving at the storage price ``status`` uses.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from ecr import aws
from ecr.aws.inventory import RepoStats, monthly_cost
from ecr.cli import output as report
from ecr.pruner import ecr_api
from ecr.pruner import prune as pruner
from ecr.pruner.prune import Outcome, Plan, RepoResult

Mode = Literal["dry-run", "yes", "ask"]


class StageProgress:
    """The pruner's ``progress(stage, done, total)`` drawn as one bar per stage on stderr."""

    def __init__(self) -> None:
        self.stage: str | None = None
        self.bar: report.Progress | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage, self.bar = stage, report.Progress(total, f"{stage} ")
        if done > self.bar.done:
            self.bar.advance(done - self.bar.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


INTERRUPTED = 130  # the shell's code for a command ended by SIGINT


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """While deleting, SIGINT (Ctrl-C) and SIGTERM set ``stop`` instead of ending the
    process: no new delete is sent, the batches in flight finish, the report follows."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: object) -> None:
        if not stop.is_set():
            print("\ninterrupted: sending no new delete; waiting for the batches in flight",
                  file=sys.stderr, flush=True)
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run(
    ecr: Any,
    prefixes: Sequence[str],
    unpulled_days: int,
    mode: Mode,
    price: float,
    concurrency: int,
    output: str,
    now: datetime,
    confirm: Callable[[str], bool] | None = None,
) -> int:
    """Prune (or show what a prune would do); 0, 1 when anything could not be done, 130
    when interrupted (SIGINT/SIGTERM: what was and was not deleted is reported).

    ``mode`` "ask" shows the plan and deletes only when ``confirm(question)`` says yes.
    Right before each delete batch its images are re-read: what changed since the plan
    (above all while the question waited) is kept and reported.
    """
    started = time.monotonic()
    with StageProgress() as progress:
        try:
            chosen = pruner.plan(ecr, prefixes, now, unpulled_days, concurrency, progress)
        except (ClientError, BotoCoreError, ecr_api.BadAnswer) as exc:
            what = (str(exc) if isinstance(exc, ecr_api.BadAnswer)
                    else aws.explain(exc, "list ECR repositories"))
            return _listing_failed(what, mode, output, 1)
        except KeyboardInterrupt:
            return _listing_failed("interrupted while reading the repositories",
                                   mode, output, INTERRUPTED)
    outcome = Outcome(chosen, dry_run=True, results=[RepoResult(r) for r in chosen.repositories],
                      seconds=time.monotonic() - started)
    if mode == "ask":
        print(format_report(outcome, price, asking=True))
        if not chosen.selected_images:
            return _exit(outcome)
        question = (f"Delete {chosen.selected_images} images "
                    f"({report.human_bytes(chosen.selected_bytes)}) from "
                    f"{_repos_selected(chosen)} repositories? [y/N] ")
        try:
            answered = confirm is not None and confirm(question)
        except KeyboardInterrupt:
            print("\nNothing was deleted.")
            return INTERRUPTED
        if not answered:
            print("Nothing was deleted.")
            return _exit(outcome)
        mode = "yes"
        started = time.monotonic() - outcome.seconds  # the wait for the answer is not work
    if mode == "yes":
        stop = threading.Event()
        with StageProgress() as progress, stop_on_signals(stop):
            results = pruner.execute(ecr, chosen, concurrency, progress, stop=stop)
        outcome = Outcome(chosen, dry_run=False, results=results,
                          seconds=time.monotonic() - started, interrupted=stop.is_set())
    if output == "json":
        report.print_json(to_json(outcome, price))
    else:
        print(format_report(outcome, price))
    return _exit(outcome)


def _listing_failed(error: str, mode: Mode, output: str, code: int) -> int:
    """Nothing could be planned: the error on stderr and, for ``-o json``, a document
    saying so (nothing was deleted)."""
    print(f"error: {error}", file=sys.stderr)
    if output == "json":
        report.print_json({"error": error, "dry_run": mode != "yes", "deleted_images": 0,
                           "interrupted": code == INTERRUPTED})
    return code


def nothing_cached(message: str, unpulled_days: int, mode: Mode, price: float, output: str,
                   now: datetime) -> int:
    """The report of a stack with no caches: nothing read, nothing to prune; exit 0."""
    empty = Plan((), unpulled_days, now, [], ecr_api.Calls())
    outcome = Outcome(empty, dry_run=mode != "yes", results=[])
    if output == "json":
        report.print_json({**to_json(outcome, price), "message": message})
    else:
        print(message)
    return 0


def _exit(outcome: Outcome) -> int:
    """One stderr line per failed call (not per image); 130 when interrupted, 1 when
    anything failed, else 0."""
    for line in failure_lines(outcome.failures):
        print(f"error: {line}", file=sys.stderr)
    if outcome.interrupted:
        return INTERRUPTED
    return 1 if outcome.failures else 0


def failure_lines(failures: Sequence[ecr_api.Failure]) -> list[str]:
    """Failures with the same repository, code and reason (one failed call's images) as
    one line each."""
    grouped: dict[tuple[str, str, str], list[str | None]] = {}
    for failure in failures:
        grouped.setdefault((failure.repository, failure.code, failure.reason),
                           []).append(failure.digest)
    lines = []
    for (repository, code, reason), digests in grouped.items():
        named = [d for d in digests if d]
        if len(named) == 1 and len(digests) == 1:
            lines.append(f"{repository}@{named[0]}: {code}: {reason}")
        elif named:
            lines.append(f"{repository}: {code}: {reason} ({len(named)} images)")
        else:
            lines.append(f"{repository}: {code}: {reason}")
    return lines


def _repos_selected(chosen: Plan) -> int:
    return sum(1 for r in chosen.repositories if r.selected)


def to_json(outcome: Outcome, price: float) -> dict[str, Any]:
    """The pruner's summary, the saving, and per repository what was (or would be) deleted."""
    data = pruner.summary(outcome)
    freed = data["selected_bytes"] if outcome.dry_run else data["freed_bytes"]
    data["price_per_gb_month_usd"] = price
    data["estimated_monthly_saving_usd"] = round(monthly_cost(freed, price), 4)
    data["details"] = [_repo_json(r) for r in outcome.results if r.plan.selected or r.plan.error
                       or r.failures or (r.plan.decision and r.plan.decision.unreadable)]
    return data


def _iso(when: datetime | None) -> str | None:
    """ISO 8601 in UTC (``2026-11-30T12:00:00Z``), or None."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _repo_json(result: RepoResult) -> dict[str, Any]:
    plan = result.plan
    decision = plan.decision
    return {
        "repository": plan.repository.name,
        "prefix": plan.repository.prefix,
        "images": plan.images,
        "size_bytes": plan.size_bytes,
        "selected_images": len(plan.selected),
        "selected_bytes": decision.freed_bytes if decision else 0,
        "deleted_images": len(result.deleted),
        "freed_bytes": result.freed_bytes,
        "already_gone": [i.digest for i in result.gone],
        "kept_changed": [i.digest for i in result.changed],
        "not_deleted": [i.digest for i in result.not_sent],
        "unreadable_indexes": list(decision.unreadable) if decision else [],
        "units": [
            {
                "digest": unit.head.digest,
                "tags": list(unit.head.tags),
                "index": unit.head.is_index,
                "members": [m.digest for m in unit.members],
                "size_bytes": unit.size,
                "last_used": _iso(max((m.last_used for m in unit.members if m.last_used),
                                      default=None)),
            }
            for unit in (decision.units if decision else ())
        ],
        "failures": [f.as_dict() for f in ([plan.error] if plan.error else []) + result.failures],
    }


def format_report(outcome: Outcome, price: float, asking: bool = False) -> str:
    """The table for people: one row per repository that loses something (or failed)."""
    chosen = outcome.plan
    would = outcome.dry_run
    rows = []
    for result in outcome.results:
        plan = result.plan
        failed = len(result.failures) + (1 if plan.error else 0)
        if not plan.selected and not failed:
            continue
        count = len(plan.selected) if would else len(result.deleted)
        freed = (plan.decision.freed_bytes if plan.decision else 0) if would else \
            result.freed_bytes
        rows.append([
            plan.repository.name, plan.repository.prefix,
            len(plan.decision.units) if plan.decision else 0, count, plan.images,
            report.human_bytes(freed), monthly_cost(freed, price), failed or None,
        ])
    header = "WOULD DELETE" if would else "DELETED"
    saved = "WOULD SAVE USD/MO" if would else "SAVED USD/MO"
    where = ", ".join(p + "/" for p in chosen.prefixes)
    out: list[str] = []
    if rows:
        out.append(report.format_table(
            ["REPOSITORY", "PREFIX", "UNITS", header, "OF IMAGES", "SIZE", saved, "FAILED"],
            rows))
        out.append("")
    images = chosen.selected_images if would else sum(len(r.deleted) for r in outcome.results)
    freed = chosen.selected_bytes if would else sum(r.freed_bytes for r in outcome.results)
    verb = "Would delete" if would else "Deleted"
    out.append(
        f"{verb} {images} images in {sum(1 for row in rows if row[3])} of "
        f"{len(chosen.repositories)} cached repositories under {where} (nobody pulled them for "
        f"{chosen.unpulled_days} days): {report.human_bytes(freed)}, "
        f"~{monthly_cost(freed, price):.2f} USD/month saved (estimate at {price:.3f} USD per "
        "GB-month; layers shared with kept images are not freed)."
    )
    out.append("A unit is an image with everything deleted with it: a multi-arch index and the "
               "platform manifests it lists.")
    out.extend(_notes(outcome))
    if would and not asking:
        out.append("Dry run: nothing was deleted.")
    return "\n".join(out)


def _notes(outcome: Outcome) -> list[str]:
    """What went otherwise than planned, one line each."""
    def count(images: Sequence[Any]) -> str:
        return f"{len(images)} image{'s' if len(images) != 1 else ''}"

    notes = []
    changed = [i for r in outcome.results for i in r.changed]
    gone = [i for r in outcome.results for i in r.gone]
    unsent = [i for r in outcome.results for i in r.not_sent]
    unreadable = [d for r in outcome.plan.repositories if r.decision for d in r.decision.unreadable]
    if changed:
        notes.append(f"Kept {count(changed)} pulled, pushed or re-tagged since the plan (each "
                     "with the images linked to it).")
    if gone:
        notes.append(f"{count(gone)} had been deleted already (by someone else, or with their "
                     "repository).")
    if unreadable:
        notes.append(f"{len(unreadable)} index manifest(s) could not be read: everything they "
                     "might list was kept.")
    if outcome.interrupted:
        notes.append(f"Interrupted: {count(unsent)} not deleted (no delete was sent after the "
                     "signal; the batches in flight finished).")
    return notes


@dataclass(frozen=True)
class NextPrune:
    """What the next prune would remove from one repository (``status``'s column)."""

    images: int = 0
    size_bytes: int = 0
    error: str | None = None

    def cell(self) -> str:
        if self.error:
            return "error"
        return f"{self.images} ({report.human_bytes(self.size_bytes)})" if self.images else "0"

    def as_dict(self) -> dict[str, Any]:
        return {"images": self.images, "size_bytes": self.size_bytes, "error": self.error}


class NextPrunes:
    """``inventory.collect``'s ``on_images``: judges each cached repository with the
    pruner's rules from the ``DescribeImages`` details status fetched anyway; the only
    calls it adds are ``BatchGetImage`` for the index manifests, and only in repositories
    that hold something quiet (returned, so status counts them)."""

    def __init__(self, ecr: Any, now: datetime, unpulled_days: int) -> None:
        self.ecr, self.now, self.unpulled_days = ecr, now, unpulled_days
        self.found: dict[str, NextPrune] = {}
        self._lock = threading.Lock()

    def __call__(self, stats: RepoStats, details: list[Any]) -> int:
        registry = next((str(d["registryId"]) for d in details
                         if isinstance(d, dict) and isinstance(d.get("registryId"), str)), None)
        repo = ecr_api.Repository(stats.name, stats.prefix or "", registry)
        calls = ecr_api.Calls()
        try:
            images = [ecr_api.image_of(f"DescribeImages of {stats.name}", d) for d in details]
            decision = pruner.judge(self.ecr, repo, images, self.now, self.unpulled_days, calls)
            found = NextPrune(len(decision.delete), decision.freed_bytes)
        except (ecr_api.UnreadableIndex, ecr_api.BadAnswer) as exc:
            found = NextPrune(error=str(exc))
        except (ClientError, BotoCoreError) as exc:
            found = NextPrune(error=aws.explain(exc, f"read the index manifests of {stats.name}"))
        with self._lock:
            self.found[stats.name] = found
        return calls.total

    def get(self, name: str) -> NextPrune | None:
        return self.found.get(name)

    def errors(self) -> list[str]:
        return [p.error for p in self.found.values() if p.error]
