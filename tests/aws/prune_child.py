"""``python -m tests.aws.prune_child ARGS``: ``ecr lifecycle ARGS`` in a process of its own,
for the tests that send it signals.

The real command on the moto server the environment points at, with two test hooks on
its ECR client: the times ECR would report (every image cached ``PRUNE_CHILD_AGE_DAYS``
days ago, never pulled; moto records no pulls), and after the first ``BatchDeleteImage``
a line ``deleted-batch 1`` on stderr, then a wait (at most a minute) until the command
has taken the signal the test sends: the signal arrives while that batch is in flight,
however slow the machine.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from ecr.aws import clients as ops_clients
from ecr.aws import sessions
from ecr.cli import main as cli
from ecr.cli import prune_report
from ecr.pruner import ecr_api
from tests.aws import prune_seed as seed


def main(argv: list[str]) -> int:
    age = int(os.environ.get("PRUNE_CHILD_AGE_DAYS", "200"))
    client = ecr_api.client(os.environ["AWS_REGION"])
    seed.record_times(client, datetime.now(UTC) - timedelta(days=age), {})
    batches: list[int] = []
    stops: list[threading.Event] = []
    real_stop_on_signals = prune_report.stop_on_signals

    @contextmanager
    def seen_stop(stop: threading.Event) -> Iterator[None]:
        stops.append(stop)
        with real_stop_on_signals(stop):
            yield

    prune_report.stop_on_signals = seen_stop

    def after_delete(parsed: dict[str, Any], **_: Any) -> None:
        batches.append(1)
        print(f"deleted-batch {len(batches)}", file=sys.stderr, flush=True)
        deadline = time.monotonic() + 60
        while len(batches) == 1 and not (stops and stops[0].is_set()):
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)

    client.meta.events.register("after-call.ecr.BatchDeleteImage", after_delete)

    def for_profile(profile: str | None, region: str | None) -> ops_clients.Clients:
        return ops_clients.Clients(session=sessions.session(region=region),
                                   overrides={"ecr": client})

    ops_clients.for_profile = for_profile  # type: ignore[assignment]
    return cli.main(["lifecycle", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
