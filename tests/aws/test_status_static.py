"""status in a static environment (ecr.aws.ecr_json) reports exactly what it reports
through botocore, on the same moto_server: every figure, NEXT PRUNE's index reads
(BatchGetImage) and the API call count included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ecr.aws import environment, sessions
from ecr.aws.clients import Clients
from ecr.aws.ecr_json import EcrJsonClient
from ecr.cli.commands import status as status_cmd
from ecr.cli.main import main
from ecr.config import stackfile
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, add_repo, plain_ecr

PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]
NO_LINKS: dict[str, str | None] = {"budget_name": None, "dashboard_url": None}
POLICY = status_cmd.CachePolicy(stackfile.CachePolicySettings(90, 0), "test")
LATER = datetime.now(UTC) + timedelta(days=200)  # everything quiet: indexes are read


def _status(clients: Clients, capsys: pytest.CaptureFixture[str]) -> tuple[int, Any]:
    code = status_cmd.status(clients, REGION, PREFIXES, 30, 0.10, 4, "json", 0, NO_LINKS,
                             now=LATER, cache_policy=POLICY)
    return code, json.loads(capsys.readouterr().out)


def test_the_same_report_through_either_client(aws_env, capsys):
    ecr = plain_ecr()
    for name in ("docker-hub/library/nginx", "quay/app"):
        ecr.create_repository(repositoryName=name)
    seed.put_multiarch(ecr, "docker-hub/library/nginx", "old", None)
    seed.put_multiarch(ecr, "docker-hub/library/nginx", "new", "1.27")
    seed.put_single(ecr, "quay/app", "one", size=4000, tag="1")
    add_repo(ecr, "custom-apps", [100, 200])
    static = environment.from_os()
    assert static is not None
    fast = Clients(static=static)
    assert isinstance(fast.ecr_reader, EcrJsonClient)
    code, ours = _status(fast, capsys)
    slow = Clients(session=sessions.session(region=REGION))
    assert not isinstance(slow.ecr_reader, EcrJsonClient)
    reference_code, theirs = _status(slow, capsys)
    assert (code, ours) == (reference_code, theirs)
    assert ours["next_prune"]["images"] > 0  # the index path ran
    assert ours["api_calls"] == 1 + 3 + 1  # listing, DescribeImages x3, one BatchGetImage


def test_an_empty_registry_reads_the_account_through_a_late_session(aws_env, capsys):
    """No repositories: the registry host needs sts, and the static environment makes its
    botocore session only then."""
    assert main(["status", "-o", "json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["registry"] == f"123456789012.dkr.ecr.{REGION}.amazonaws.com"
    assert found["api_calls"] == 2
