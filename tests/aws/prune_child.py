"""``python -m tests.aws.prune_child ARGS``: ``ecr lifecycle ARGS`` in a process of its own,
for the tests that send it signals.

The real command on the moto server the environment points at, with two test hooks on
its ECR client: the times ECR would report (every image cached ``PRUNE_CHILD_AGE_DAYS``
days ago, never pulled; moto records no pulls), and after each ``BatchDeleteImage`` a line
``deleted-batch N`` on stderr and a pause of ``PRUNE_CHILD_PAUSE`` seconds, so a test knows
a batch went and has time to send its signal while the next one is not yet sent.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ecr.aws import clients as ops_clients
from ecr.aws import sessions
from ecr.cli import main as cli
from ecr.pruner import ecr_api
from tests.aws import prune_seed as seed


def main(argv: list[str]) -> int:
    age = int(os.environ.get("PRUNE_CHILD_AGE_DAYS", "200"))
    pause = float(os.environ.get("PRUNE_CHILD_PAUSE", "1"))
    client = ecr_api.client(os.environ["AWS_REGION"])
    seed.record_times(client, datetime.now(UTC) - timedelta(days=age), {})
    batches: list[int] = []

    def after_delete(parsed: dict[str, Any], **_: Any) -> None:
        batches.append(1)
        print(f"deleted-batch {len(batches)}", file=sys.stderr, flush=True)
        time.sleep(pause)

    client.meta.events.register("after-call.ecr.BatchDeleteImage", after_delete)

    def for_profile(profile: str | None, region: str | None) -> ops_clients.Clients:
        return ops_clients.Clients(session=sessions.session(region=region),
                                   overrides={"ecr": client})

    ops_clients.for_profile = for_profile  # type: ignore[assignment]
    return cli.main(["lifecycle", *argv])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
