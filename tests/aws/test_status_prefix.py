"""``status --prefix P`` reports only that prefix; a repository under another cache
prefix is never shown as a private one (QA finding)."""

from __future__ import annotations

import json

import pytest

from ecr.cli import main
from tests.aws.conftest import add_repo, plain_ecr


@pytest.fixture
def repos(aws_env: object) -> None:
    ecr = plain_ecr()
    add_repo(ecr, "docker-hub/library/nginx", [1000])
    add_repo(ecr, "quay/jetstack/cert-manager-controller", [2000])
    add_repo(ecr, "custom-apps", [4000])


def test_prefix_filters_and_keeps_totals_consistent(
    repos: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status", "--prefix", "docker-hub", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [p["prefix"] for p in data["prefixes"]] == ["docker-hub"]
    assert [r["name"] for r in data["repositories"]] == ["docker-hub/library/nginx"]
    assert data["totals"]["repositories"] == 1 and data["totals"]["size_bytes"] == 1000


def test_table_never_calls_another_cache_private(
    repos: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status", "--prefix", "docker-hub"]) == 0
    out = capsys.readouterr().out
    assert "(custom)" not in out and "quay/jetstack" not in out


def test_without_prefix_every_repository_is_grouped(
    repos: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    groups = {p["prefix"]: p["repositories"] for p in data["prefixes"]}
    assert groups["docker-hub"] == 1 and groups["quay"] == 1 and groups["(custom)"] == 1


def test_notes_are_true_about_links_and_the_lifecycle(
    repos: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status"]) == 0
    out = capsys.readouterr().out
    # the stack outputs are read in the project directory whatever the cwd: don't send
    # people to "the stack directory"; and the cache policy expires by cache age
    assert "from the stack directory" not in out
    assert "pulumi stack output budget_name dashboard_url" in out
    assert "the cache lifecycle policy expires these" not in out
