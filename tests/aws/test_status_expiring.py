"""status: what the cache policy expires next, --prefix without wasted calls, the host of an
empty registry (QA findings)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from ecr.aws import inventory, sessions
from ecr.aws.clients import Clients
from ecr.cli import main
from ecr.cli.commands import status as status_cmd
from ecr.config import stackfile
from ecr.policies import lifecycle as lifecycle_policy
from tests.aws.conftest import ACCOUNT, REGION, add_repo, inject, moto_clients, plain_ecr

NOW = datetime(2026, 11, 1, tzinfo=UTC)
PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]
NO_LINKS: dict[str, str | None] = {"budget_name": None, "dashboard_url": None}
HOST = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"


def images(*ages_in_days: int, pulled_days_ago: int | None = None) -> list[dict[str, Any]]:
    """DescribeImages details pushed (cached) ``ages_in_days`` ago."""
    out: list[dict[str, Any]] = []
    for age in ages_in_days:
        image: dict[str, Any] = {"imagePushedAt": NOW - timedelta(days=age)}
        if pulled_days_ago is not None:
            image["lastRecordedPullTime"] = NOW - timedelta(days=pulled_days_ago)
        out.append(image)
    return out


def policy(settings: stackfile.CachePolicySettings) -> status_cmd.CachePolicy:
    return status_cmd.CachePolicy(settings, "test")


# --- pure: the prediction follows the policy the stack builds ---------------------------


def test_age_rule_goes_by_cache_time_even_for_images_pulled_yesterday():
    document = lifecycle_policy.cache_lifecycle_policy(90)
    details = images(200, 120, 91, 89, 1, pulled_days_ago=1)
    assert inventory.expiring_images(details, NOW, document) == 3
    stats = inventory.summarise_images("quay/a", "quay", details, NOW, 90, document)
    # pulled yesterday: nothing is "not pulled", yet three images expire by cache age
    assert (stats.unpulled, stats.expiring) == (0, 3)


def test_count_rule_selects_all_but_the_newest_n():
    document = lifecycle_policy.cache_lifecycle_policy(90, keep_images=2)
    assert inventory.expiring_images(images(1, 2, 3, 400), NOW, document) == 2
    assert inventory.expiring_images(images(400), NOW, document) == 0


def test_private_repositories_are_not_judged_and_unknown_policies_are_refused():
    document = lifecycle_policy.cache_lifecycle_policy(30)
    assert inventory.summarise_images("custom-apps", None, images(400), NOW, 30,
                                          document).expiring is None
    with pytest.raises(ValueError, match="cannot predict"):
        inventory.expiring_images([], NOW, lifecycle_policy.custom_lifecycle_policy(5))


# --- against moto --------------------------------------------------------------------------


def run_json(clients: Clients, capsys: pytest.CaptureFixture[str], **kwargs: Any) -> Any:
    code = status_cmd.status(clients, REGION, PREFIXES, kwargs.pop("days", 90), 0.10, 4,
                             "json", 0, NO_LINKS, **kwargs)
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


@pytest.fixture
def cached(aws_env: object) -> None:
    ecr = plain_ecr()
    add_repo(ecr, "docker-hub/library/nginx", [10, 20, 30])
    add_repo(ecr, "quay/app", [5])
    add_repo(ecr, "custom-apps", [40, 50])


def test_expiring_per_repository_prefix_and_total(cached: None,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    clients = moto_clients()
    later = datetime.now(UTC) + timedelta(days=100)  # everything was cached 100 days before
    age = policy(stackfile.CachePolicySettings(90, 0))
    data = run_json(clients, capsys, now=later, cache_policy=age)
    repos = {r["name"]: r for r in data["repositories"]}
    assert repos["docker-hub/library/nginx"]["expiring_images"] == 3
    assert repos["custom-apps"]["expiring_images"] is None  # not the cache policy's
    groups = {g["prefix"]: g for g in data["prefixes"]}
    assert groups["docker-hub"]["expiring_images"] == 3 and groups["k8s"]["expiring_images"] == 0
    assert groups["(custom)"]["expiring_images"] is None
    assert data["totals"]["expiring_images"] == 4
    assert data["cache_policy"] == {"unpulled_days": 90, "max_age_days": 90, "keep_images": 0,
                                    "source": "test"}

    longer = policy(stackfile.CachePolicySettings(120, 0))
    assert run_json(clients, capsys, now=later, cache_policy=longer)["totals"][
        "expiring_images"] == 0
    keep = policy(stackfile.CachePolicySettings(90, 1))
    data = run_json(clients, capsys, cache_policy=keep)  # count, not age: "now" is irrelevant
    assert {r["name"]: r["expiring_images"] for r in data["repositories"]} == {
        "custom-apps": None, "docker-hub/library/nginx": 2, "quay/app": 0}


def test_table_has_the_column_and_says_what_it_counts(cached: None,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    keep = policy(stackfile.CachePolicySettings(90, 2))
    code = status_cmd.status(moto_clients(), REGION, PREFIXES, 90, 0.10, 4, "table", 0,
                             NO_LINKS, cache_policy=keep)
    out = capsys.readouterr().out
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("REPOSITORY"))
    assert header.split()[-1] == "EXPIRING"
    nginx = next(line for line in out.splitlines() if line.startswith("docker-hub/library"))
    private = next(line for line in out.splitlines() if line.startswith("custom-apps"))
    assert nginx.split()[-1] == "1" and private.split()[-1] == "-"
    assert "'EXPIRING': what the cache lifecycle policy expires next: images beyond the " \
           "newest 2 of each cached repository (cacheKeepImages 2, from test)" in out


def test_stack_file_settings_drive_expiring_not_unpulled_days(
    cached: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  infra-ecr:cacheKeepImages: '2'\n")
    assert main.main(["status", "--stack-file", str(stack), "--unpulled-days", "7",
                     "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unpulled_days"] == 7
    assert data["cache_policy"] == {"unpulled_days": 90, "max_age_days": 365, "keep_images": 2,
                                    "source": str(stack)}
    assert data["totals"]["expiring_images"] == 1  # nginx: 3 images, the newest 2 kept

    # cacheUnpulledDays 0 turns the pruner off (tests/config covers status then); an
    # explicit threshold of 0 is still no threshold.
    assert main.main(["status", "--stack-file", str(stack), "--unpulled-days", "0"]) == 2
    assert "unpulled-days must be at least 1" in capsys.readouterr().err


# --- --prefix: filtered-out repositories are never described ------------------------------


def test_prefix_describes_only_the_repositories_it_reports(
    cached: None, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = moto_clients()
    described = inject(clients.ecr, "DescribeImages", lambda body: None)
    data = run_json(clients, capsys, only=["docker-hub"])
    assert [a["repositoryName"] for a in described] == ["docker-hub/library/nginx"]
    assert data["api_calls"] == 1 + 1  # the listing, one DescribeImages
    assert [r["name"] for r in data["repositories"]] == ["docker-hub/library/nginx"]


def test_prefix_on_the_command_line_counts_only_its_calls(
    cached: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status", "--prefix", "quay", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["api_calls"] == 2 and data["totals"]["repositories"] == 1
    assert main.main(["status", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["api_calls"] == 1 + 3


def test_prefix_with_no_match_still_names_the_registry_from_the_listing(
    cached: None, capsys: pytest.CaptureFixture[str]
) -> None:
    data = run_json(moto_clients(), capsys, only=["k8s"])
    assert data["registry"] == HOST and data["api_calls"] == 1  # no STS call needed


# --- an empty registry still has a host ------------------------------------------------------


def test_empty_registry_table_names_the_host(aws_env: object,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["status"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Registry {HOST} in {REGION}: 0 repositories")
    assert "No repositories yet: the cache creates each one on the first pull" in out
    assert "(no repositories yet)" not in out


def test_empty_registry_without_sts_says_so_and_still_reports(
    aws_env: object, capsys: pytest.CaptureFixture[str]
) -> None:
    sts = sessions.client(sessions.session(region=REGION), "sts")
    stub = Stubber(sts)
    stub.add_client_error("get_caller_identity", "AccessDenied", "not allowed", 403)
    stub.activate()
    clients = Clients(session=sessions.session(region=REGION), overrides={"sts": sts})
    code = status_cmd.status(clients, REGION, PREFIXES, 90, 0.10, 4, "table", 0, NO_LINKS)
    captured = capsys.readouterr()
    assert code == 0
    assert captured.out.startswith("Registry (unknown: the account could not be read) in")
    assert "warning: sts get-caller-identity: access denied" in captured.err
    stub.assert_no_pending_responses()
