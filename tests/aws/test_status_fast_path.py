"""status's fast path: what it loads, how it lists, how many connections it may keep.

No timings here (bench/status.py measures those): each test checks the behaviour that
makes status fast, and fails without it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore import loaders
from botocore.exceptions import UnknownServiceError
from botocore.stub import Stubber

from ecr import aws
from ecr.aws import inventory as ops_inventory
from ecr.aws import sessions
from ecr.cli import ops_options
from ecr.cli.commands import status as status_cmd
from ecr.errors import UsageError
from tests.aws.conftest import ACCOUNT, REGION, add_repo, moto_clients, plain_ecr

ROOT = Path(__file__).resolve().parents[2]
PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]


def _no_full_scan(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every scan of all service directories botocore's own loader would do."""
    scans: list[str] = []
    original = loaders.Loader.list_available_services

    def counted(self: Any, type_name: str) -> Any:
        scans.append(type_name)
        return original(self, type_name)

    monkeypatch.setattr(loaders.Loader, "list_available_services", counted)
    return scans


def test_a_client_and_its_calls_never_scan_every_service(aws_env, monkeypatch):
    add_repo(plain_ecr(), "quay/app", [10])  # boto3's own client scans; ours must not
    scans = _no_full_scan(monkeypatch)
    ecr = sessions.client(sessions.session(region=REGION), "ecr")
    repos, pages = ops_inventory.list_repositories(ecr)
    assert ([r["repositoryName"] for r in repos], pages) == (["quay/app"], 1)
    ecr.get_paginator("describe_images")  # the paginators model: looked up the same way
    sts = sessions.client(sessions.session(region=REGION), "sts")
    assert sts.meta.service_model.service_name == "sts"
    assert scans == []


def test_an_unknown_service_still_fails_as_in_botocore(aws_env, monkeypatch):
    scans = _no_full_scan(monkeypatch)
    with pytest.raises(UnknownServiceError) as raised:
        sessions.client(sessions.session(region=REGION), "no-such-service")
    assert "'no-such-service'" in str(raised.value) and "ecr" in str(raised.value)
    assert scans == ["service-2"]  # the full list, only to say which names are valid
    assert "ecr" in sessions.session(region=REGION).get_available_services()


def test_the_session_loader_searches_the_same_paths_as_botocores(monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_DATA_PATH", str(tmp_path))
    monkeypatch.setenv("AWS_REGION", REGION)
    sess = sessions.session()
    loader = sess.get_component("data_loader")
    assert isinstance(loader, sessions.ServiceLoader)
    assert loader.search_paths == loaders.create_loader(str(tmp_path)).search_paths
    assert loader.search_paths[0] == str(tmp_path)


def test_repositories_are_listed_1000_a_page_without_a_paginator(monkeypatch):
    ecr = sessions.client(sessions.session(region=REGION), "ecr")
    monkeypatch.setattr(ecr, "get_paginator", lambda *_: pytest.fail("paginator used"))
    stub = Stubber(ecr)
    repo = {"repositoryName": "quay/a", "registryId": ACCOUNT}
    stub.add_response("describe_repositories", {"repositories": [repo]}, {"maxResults": 1000})
    stub.add_response("describe_images", {"imageDetails": []},
                      {"repositoryName": "quay/a", "registryId": ACCOUNT, "maxResults": 1000})
    with stub:
        inventory = ops_inventory.collect(ecr, PREFIXES, datetime.now(UTC), 90, 1)
    stub.assert_no_pending_responses()
    assert inventory.api_calls == 2


def test_the_connection_pool_holds_the_most_concurrency_status_accepts():
    """Every worker keeps its connection (ECR keeps them alive): a pool smaller than the
    threads drops connections and opens (TLS) new ones."""
    most = 1
    while True:
        try:
            ops_options.validate_concurrency(most + 1)
        except UsageError:
            break
        most += 1
    client = sessions.client(sessions.session(region=REGION), "ecr")
    assert client.meta.config.max_pool_connections >= most == aws.MAX_CONCURRENCY
    assert most >= aws.DEFAULT_CONCURRENCY


def test_stack_links_may_arrive_while_aws_answers(aws_env, capsys):
    add_repo(plain_ecr(), "quay/app", [10])
    later: Future[dict[str, str | None]] = Future()
    later.set_result({"budget_name": "infra-ecr-prod", "dashboard_url": None})
    code = status_cmd.status(moto_clients(), REGION, PREFIXES, 90, 0.10, 4, "json", 0, later)
    assert code == 0
    assert json.loads(capsys.readouterr().out)["links"]["budget_name"] == "infra-ecr-prod"


def _status_modules(env: dict[str, str]) -> list[str]:
    """Run ``status -o json`` in a new process; the modules it had loaded by the end."""
    probe = textwrap.dedent("""
        import json, sys
        from ecr.cli.main import main
        code = main(["status", "-o", "json"])
        print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
    """)
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT,
                          env={**env, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=60)
    found = json.loads(done.stderr.strip().splitlines()[-1])
    assert found["code"] == 0, done.stderr
    assert json.loads(done.stdout)["totals"]["repositories"] == 1
    assert "ecr.pruner.rules" in found["modules"]  # the NEXT PRUNE column still ran
    return list(found["modules"])


def test_python_m_ecr_status_never_imports_boto3(aws_env):
    """botocore is all status needs; boto3 (and s3transfer with it) was ~15 ms of start-up,
    pulled in by the pruner's client helper."""
    add_repo(plain_ecr(), "quay/app", [10])
    modules = _status_modules(dict(os.environ))
    assert "botocore.client" in modules
    for module in ("boto3", "s3transfer"):
        assert module not in modules
