"""The scheduled Lambda function: ``ecr.pruner.handler.handler``.

Environment (set by the stack):

* ``CACHE_PREFIXES``: comma-separated cache prefixes, e.g. ``docker-hub,quay``; only
  repositories under them are ever read or deleted.
* ``UNPULLED_DAYS``: whole number >= 1; units nobody pulled for that many days go.
* ``DRY_RUN``: ``true`` or ``false`` (default ``false``): decide and log, delete nothing.

Returns the summary of :func:`ecr.pruner.prune.summary` and logs it as one JSON line.
A bad environment raises :class:`ConfigError` before any call, and images or
repositories that could not be handled raise :class:`PruneFailed` after the summary is
logged: either way the invocation fails, so the stack's alarm on the function's
errors fires.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecr.pruner import ecr_api, prune, rules

# The cache prefix grammar (docs/facts.md "Upstream registries"), 2-30 characters.
_PREFIX = re.compile(r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no", ""}


class ConfigError(ValueError):
    """The function's environment is wrong: the message names the variable and the fix."""


class PruneFailed(RuntimeError):
    """Some images or repositories could not be pruned (the summary lists them)."""


def settings(environ: Mapping[str, str]) -> tuple[list[str], int, bool]:
    """(prefixes, unpulled days, dry run) from the environment, checked."""
    raw = environ.get("CACHE_PREFIXES", "")
    prefixes = [p.strip().rstrip("/") for p in raw.split(",") if p.strip()]
    if not prefixes:
        raise ConfigError("CACHE_PREFIXES is empty or unset: set it to the cache prefixes to "
                          "prune, comma-separated (e.g. docker-hub,quay)")
    for prefix in prefixes:
        if not (2 <= len(prefix) <= 30 and _PREFIX.match(prefix)):
            raise ConfigError(f"CACHE_PREFIXES: {prefix!r} is not a cache prefix (2-30 "
                              "lowercase letters, digits, '.', '_', '-', '/')")
    days_text = environ.get("UNPULLED_DAYS", "").strip()
    try:
        days = int(days_text)
    except ValueError:
        raise ConfigError(f"UNPULLED_DAYS must be a whole number >= 1, got {days_text!r}") from None
    if days < 1:
        raise ConfigError(f"UNPULLED_DAYS must be at least 1, got {days} (to stop pruning, set "
                          "cacheUnpulledDays to 0: the stack then removes the function)")
    problem = rules.unpulled_days_problem(days)
    if problem:
        raise ConfigError(f"UNPULLED_DAYS {problem}")
    dry_text = environ.get("DRY_RUN", "false").strip().lower()
    if dry_text not in _TRUE | _FALSE:
        raise ConfigError(f"DRY_RUN must be true or false, got {dry_text!r}")
    return prefixes, days, dry_text in _TRUE


def run(
    ecr: Any, environ: Mapping[str, str], now: datetime | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Check the environment, prune, log the summary line; raise if anything failed."""
    prefixes, days, dry_run = settings(environ)
    outcome = prune.prune(ecr, prefixes, days, dry_run, now or datetime.now(UTC), **kwargs)
    result = prune.summary(outcome)
    print(json.dumps(result, sort_keys=True), file=sys.stdout, flush=True)
    if result["failed"]:
        first = result["failures"][0]
        raise PruneFailed(
            f"{result['failed']} image(s) or repositories could not be pruned; first: "
            f"{first['repository']} {first['digest'] or ''} {first['code']}: {first['reason']}"
        )
    return result


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entry point; ``event`` and ``context`` are not used."""
    settings(os.environ)  # a bad environment fails before a client is even made
    return run(ecr_api.client(), os.environ)
