"""issue 20: Ctrl-C (SIGINT) or SIGTERM during ``lifecycle prune --yes`` sends no new
delete, lets the batch in flight finish, reports what was deleted and what was not, and
exits 130.  A real process (``tests.aws.prune_child``) on moto_server, a real signal."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.aws import prune_seed as seed
from tests.aws.conftest import plain_ecr

ROOT = Path(__file__).resolve().parents[2]
BIG = "quay/big"
IMAGES = 250  # three delete batches of at most 100: the signal comes after the first


@pytest.fixture
def big(aws_env: object) -> dict[str, Any]:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName=BIG)
    made = {seed.put_single(ecr, BIG, f"i{n}", size=10, tag=f"t{n}") for n in range(IMAGES)}
    return {"ecr": ecr, "made": made}


def start(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.aws.prune_child", "prune", "--yes", "--concurrency", "1",
         *argv], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def interrupt_after_first_batch(child: subprocess.Popen[str], sig: int) -> tuple[str, str]:
    assert child.stderr is not None
    seen = []
    for line in child.stderr:
        seen.append(line)
        if line.startswith("deleted-batch 1"):
            child.send_signal(sig)
            break
    else:
        child.kill()
        pytest.fail("no batch was deleted: " + "".join(seen))
    out, err = child.communicate(timeout=120)
    return out, "".join(seen) + err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_new_deletes_and_reports_both_sides_in_json(
    big: dict[str, Any], sig: int
) -> None:
    child = start("-o", "json")
    out, err = interrupt_after_first_batch(child, sig)
    left = seed.digests(big["ecr"], BIG)
    data = json.loads(out)
    assert child.returncode == 130 and data["interrupted"] is True
    assert data["deleted_images"] == 100 == IMAGES - len(left)  # the batch in flight finished
    assert data["not_deleted"] == IMAGES - 100 == len(left)
    [details] = data["details"]
    assert set(details["not_deleted"]) == left
    assert "deleted-batch 2" not in err  # no new delete after the signal
    assert "interrupted: sending no new delete" in err and "Traceback" not in err


def test_ctrl_c_reports_in_the_table_and_exits_130(big: dict[str, Any]) -> None:
    child = start()
    out, err = interrupt_after_first_batch(child, signal.SIGINT)
    assert child.returncode == 130, err
    assert "Deleted 100 images in 1 of 1 cached repositories" in out
    assert f"Interrupted: {IMAGES - 100} images not deleted" in out
    assert len(seed.digests(big["ecr"], BIG)) == IMAGES - 100

