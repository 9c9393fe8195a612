"""status: inventory maths, real moto listings, pagination, throttling and errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.stub import Stubber

from ecr.aws import inventory as ops_inventory
from ecr.aws import sessions
from ecr.aws.clients import Clients
from ecr.aws.inventory import BYTES_PER_GB, PrefixStats, RepoStats
from ecr.cli import main
from ecr.cli.commands import status as status_cmd
from tests.aws.conftest import (
    ACCOUNT,
    REGION,
    add_repo,
    error_response,
    inject,
    is_failed_listing,
    plain_ecr,
)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]
NO_LINKS: dict[str, str | None] = {"budget_name": None, "dashboard_url": None}


def run_status(clients: Clients, capsys: pytest.CaptureFixture[str], *, output: str = "json",
               now: datetime | None = None, price: float = 0.10, days: int = 90,
               links: dict[str, str | None] | None = None, concurrency: int = 4):
    code = status_cmd.status(clients, REGION, PREFIXES, days, price, concurrency, output, 0,
                             links or NO_LINKS, now=now)
    out, err = capsys.readouterr()
    return code, (json.loads(out) if output == "json" and out else out), err


# --- pure summaries --------------------------------------------------------------


def test_summarise_images_adds_sizes_and_judges_unpulled_by_pull_then_push_time():
    old, recent = NOW - timedelta(days=120), NOW - timedelta(days=5)
    details: list[dict[str, object]] = [
        {"imageSizeInBytes": 100, "imagePushedAt": old, "lastRecordedPullTime": recent},
        {"imageSizeInBytes": 50, "imagePushedAt": old},  # never pulled, pushed long ago
        {"imagePushedAt": recent},  # no size (an index in some responses), recent push
        {},  # nothing known: counted as an image, not judged
    ]
    stats = ops_inventory.summarise_images("docker-hub/x", "docker-hub", details, NOW, 90)
    assert (stats.images, stats.size_bytes, stats.unpulled) == (4, 150, 1)
    assert stats.last_pull == recent


def test_prefix_of_takes_the_longest_prefix_and_needs_a_slash():
    assert ops_inventory.prefix_of("docker-hub/library/nginx", PREFIXES) == "docker-hub"
    assert ops_inventory.prefix_of("docker-hubx/nginx", PREFIXES) is None
    assert ops_inventory.prefix_of("team/a/img", ["team", "team/a"]) == "team/a"
    assert ops_inventory.prefix_of("custom-apps", PREFIXES) is None


def test_by_prefix_lists_every_prefix_and_private_last():
    repos = [RepoStats("quay/a", "quay", 2, 10), RepoStats("custom-apps", None, 1, 5),
             RepoStats("quay/b", "quay", 1, 1)]
    groups = ops_inventory.by_prefix(repos, PREFIXES)
    assert [g.prefix for g in groups] == [*PREFIXES, ops_inventory.CUSTOM]
    quay = groups[1]
    assert (quay.repositories, quay.images, quay.size_bytes) == (2, 3, 11)
    assert groups[-1].size_bytes == 5


def test_size_bars_scale_to_the_biggest_and_never_hide_a_small_one():
    groups = [PrefixStats("a", size_bytes=1000), PrefixStats("b", size_bytes=1),
              PrefixStats("c", size_bytes=0)]
    lines = status_cmd.size_bars(groups, 0.10, width=10).splitlines()
    assert "[##########]" in lines[0]
    assert "[#.........]" in lines[1]
    assert "[..........]" in lines[2]


# --- against moto ------------------------------------------------------------------


def test_empty_registry_reports_zeros_and_its_host_from_the_account(clients, capsys):
    code, data, _ = run_status(clients, capsys)
    assert code == 0
    assert data["totals"] == {"repositories": 0, "images": 0, "size_bytes": 0,
                              "estimated_monthly_cost_usd": 0.0, "unpulled_images": 0,
                              "expiring_images": 0}
    assert [p["prefix"] for p in data["prefixes"]] == PREFIXES
    assert all(p["images"] == 0 for p in data["prefixes"])
    # no repository to read it from: the host comes from sts get-caller-identity (QA)
    assert data["registry"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert data["api_calls"] == 1 + 1  # the empty listing page, then STS


def test_cached_and_private_repositories_with_sizes_and_cost(clients, capsys):
    ecr = plain_ecr()
    add_repo(ecr, "docker-hub/library/nginx", [BYTES_PER_GB, BYTES_PER_GB // 2])
    add_repo(ecr, "docker-hub/bitnami/wordpress", [BYTES_PER_GB // 2])
    add_repo(ecr, "quay/prometheus/node-exporter", [1000])
    add_repo(ecr, "custom-apps", [2000, 3000])
    ecr.create_repository(repositoryName="k8s/pause")  # created, nothing cached yet

    code, data, _ = run_status(clients, capsys, price=0.25)
    assert code == 0
    assert data["registry"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert data["cost_is_estimate"] is True and "estimate" in data["estimate_note"].lower()
    hub = data["prefixes"][0]
    assert hub["prefix"] == "docker-hub"
    assert (hub["repositories"], hub["images"], hub["size_bytes"]) == (2, 3, 2 * BYTES_PER_GB)
    assert hub["estimated_monthly_cost_usd"] == pytest.approx(0.5)
    k8s = next(p for p in data["prefixes"] if p["prefix"] == "k8s")
    assert (k8s["repositories"], k8s["images"]) == (1, 0)
    private = data["prefixes"][-1]
    assert private["prefix"] == "(custom)" and not private["cache"]
    assert (private["images"], private["size_bytes"]) == (2, 5000)
    repos = {r["name"]: r for r in data["repositories"]}
    assert repos["custom-apps"]["prefix"] is None
    assert repos["quay/prometheus/node-exporter"]["size_bytes"] == 1000
    # moto records no pulls: every image is judged by its push time (just now).
    assert data["totals"]["unpulled_images"] == 0
    assert data["api_calls"] == 1 + 5  # one listing page, one DescribeImages per repository


def test_images_pushed_long_ago_count_as_not_pulled(clients, capsys):
    add_repo(plain_ecr(), "github/org/tool", [10, 20, 30])
    later = datetime.now(UTC) + timedelta(days=91)
    _, data, _ = run_status(clients, capsys, now=later, days=90)
    assert data["totals"]["unpulled_images"] == 3
    _, data, _ = run_status(clients, capsys, now=later, days=100)
    assert data["totals"]["unpulled_images"] == 0


def test_table_shows_bars_estimate_and_where_budget_and_dashboard_are(clients, capsys):
    add_repo(plain_ecr(), "docker-hub/library/redis", [5 * 1024 * 1024])
    links: dict[str, str | None] = {
        "budget_name": "infra-ecr-prod-ecr", "dashboard_url": "https://example/dash"}
    code, text, _ = run_status(clients, capsys, output="table", links=links)
    assert code == 0
    assert "Stored size by prefix" in text
    assert "docker-hub  [##############################]" in text
    assert "Estimated storage cost" in text and "estimate" in text
    assert "Budget: infra-ecr-prod-ecr" in text
    assert "Dashboard: https://example/dash" in text
    assert "docker-hub/library/redis" in text


def test_pages_of_repositories_and_images_are_all_read():
    ecr = sessions.client(sessions.session(region=REGION), "ecr")
    stub = Stubber(ecr)
    repo = {"repositoryName": "quay/a", "registryId": ACCOUNT,
            "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/quay/a"}
    repo2 = {**repo, "repositoryName": "quay/b",
             "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/quay/b"}
    stub.add_response("describe_repositories", {"repositories": [repo], "nextToken": "t1"},
                      {"maxResults": 1000})
    stub.add_response("describe_repositories", {"repositories": [repo2]},
                      {"maxResults": 1000, "nextToken": "t1"})
    image = {"imageDigest": "sha256:" + "a" * 64, "imageSizeInBytes": 7}
    stub.add_response("describe_images", {"imageDetails": [image], "nextToken": "i1"},
                      {"repositoryName": "quay/a", "registryId": ACCOUNT, "maxResults": 1000})
    stub.add_response("describe_images", {"imageDetails": [image, image]},
                      {"repositoryName": "quay/a", "registryId": ACCOUNT, "maxResults": 1000,
                       "nextToken": "i1"})
    stub.add_response("describe_images", {"imageDetails": []},
                      {"repositoryName": "quay/b", "registryId": ACCOUNT, "maxResults": 1000})
    with stub:
        inventory = ops_inventory.collect(ecr, PREFIXES, NOW, 90, concurrency=1)
    stub.assert_no_pending_responses()
    stats = {r.name: r for r in inventory.repositories}
    assert (stats["quay/a"].images, stats["quay/a"].size_bytes) == (3, 21)
    assert stats["quay/b"].images == 0
    assert inventory.api_calls == 2 + 2 + 1


def test_throttling_is_retried_not_fatal(clients, capsys):
    add_repo(plain_ecr(), "quay/app", [100])
    add_repo(plain_ecr(), "quay/other", [200])
    faults = {"left": 2}

    def throttle_quay_app(body):
        if body.get("repositoryName") == "quay/app" and faults["left"]:
            faults["left"] -= 1
            return error_response("ThrottlingException", "Rate exceeded")
        return None

    attempts = inject(clients.ecr, "DescribeImages", throttle_quay_app)
    code, data, _ = run_status(clients, capsys)
    assert code == 0
    tries = [a for a in attempts if a["repositoryName"] == "quay/app"]
    assert len(tries) == 3  # two throttled attempts, then the retry that succeeded
    assert {r["name"]: r["size_bytes"] for r in data["repositories"]} == {
        "quay/app": 100, "quay/other": 200}


def test_access_denied_on_one_repository_is_reported_and_fails(clients, capsys):
    add_repo(plain_ecr(), "quay/secret", [100])
    add_repo(plain_ecr(), "quay/open", [200])
    inject(clients.ecr, "DescribeImages",
           lambda b: error_response("AccessDeniedException", "not allowed")
           if b.get("repositoryName") == "quay/secret" else None)
    code, data, err = run_status(clients, capsys)
    assert code == 1
    repos = {r["name"]: r for r in data["repositories"]}
    assert repos["quay/open"]["size_bytes"] == 200 and repos["quay/open"]["error"] is None
    assert "access denied" in repos["quay/secret"]["error"]
    assert "describe images of quay/secret: access denied" in err


def test_access_denied_on_listing_gives_a_clear_message(clients, capsys):
    inject(clients.ecr, "DescribeRepositories",
           lambda b: error_response("AccessDeniedException", "User is not authorized"))
    code, out, err = run_status(clients, capsys)
    assert code == 1 and is_failed_listing(out, err)
    assert "list ECR repositories: access denied" in err
    assert "needs that permission" in err


# --- the command line ------------------------------------------------------------


@pytest.mark.parametrize(("flags", "message"), [
    (["--unpulled-days", "999999999"], "--unpulled-days must be at most 36500 days, got 999999999"),
    (["--price-per-gb", "nan"], "--price-per-gb must be a number of US dollars, got nan"),
    (["--price-per-gb", "inf"], "--price-per-gb must be a number of US dollars, got inf"),
    (["--price-per-gb", "1e300"], "--price-per-gb must be at most 1000 USD per GB-month"),
])
def test_numbers_out_of_range_are_usage_errors_before_any_call(aws_env, capsys, flags, message):
    # the same ranges as lifecycle prune's flags and the config keys (ecr.config.keys):
    # nan would end up in the JSON report, 999999999 days overflowed a datetime
    assert main.main(["status", "-o", "json", *flags]) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err and "Traceback" not in err


def test_bad_values_are_usage_errors(aws_env, capsys):
    assert main.main(["status", "--unpulled-days", "0"]) == 2
    assert "--unpulled-days must be at least 1" in capsys.readouterr().err
    assert main.main(["status", "--price-per-gb", "-1"]) == 2
    assert main.main(["status", "--prefix", "Bad Prefix"]) == 2
    assert main.main(["status", "--stack-file", "/nonexistent/Pulumi.prod.yaml"]) == 2
    assert "cannot read stack file" in capsys.readouterr().err


def test_stack_file_sets_caches_and_days(aws_env, tmp_path, capsys):
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  aws:region: af-south-1\n  infra-ecr:caches:\n    - quay\n"
                     "  infra-ecr:cacheUnpulledDays: '30'\n")
    add_repo(plain_ecr(), "docker-hub/library/nginx", [1])
    assert main.main(["status", "--stack-file", str(stack), "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unpulled_days"] == 30
    assert [p["prefix"] for p in data["prefixes"]] == ["quay", "(custom)"]


def test_python_m_ecr_and_scripts_ecr_honour_the_aws_environment(aws_env):
    add_repo(plain_ecr(), "ecr-public/docker/library/nginx", [4096])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("AWS_DEFAULT_REGION")  # AWS_REGION alone must be enough
    done = subprocess.run([sys.executable, "-m", "ecr", "status", "-o", "json"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["region"] == REGION
    assert data["prefixes"][4]["size_bytes"] == 4096
    done = subprocess.run([str(ROOT / "scripts" / "ecr"), "status", "--help"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "--price-per-gb" in done.stdout
