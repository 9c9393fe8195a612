"""status's NEXT PRUNE column: what the next prune deletes, from the details status already
fetches (plus BatchGetImage for indexes only where something is quiet), on moto_server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecr.aws import sessions
from ecr.aws.clients import Clients
from ecr.cli.commands import status as status_cmd
from ecr.config import stackfile
from ecr.pruner import ecr_api, prune
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, error_response, inject, plain_ecr

NOW = datetime.now(UTC)
PREFIXES = ["docker-hub", "quay", "github", "k8s", "ecr-public"]
NO_LINKS: dict[str, str | None] = {"budget_name": None, "dashboard_url": None}
POLICY = status_cmd.CachePolicy(stackfile.CachePolicySettings(90, 0), "test")
NGINX, QUAY, FRESH, CUSTOM = "docker-hub/library/nginx", "quay/app", "quay/fresh", "custom-apps"


@pytest.fixture
def registry(aws_env: object) -> dict[str, Any]:
    ecr = plain_ecr()
    for name in (NGINX, QUAY, FRESH, CUSTOM):
        ecr.create_repository(repositoryName=name)
    old, old_children = seed.put_multiarch(ecr, NGINX, "old", None)
    new, new_children = seed.put_multiarch(ecr, NGINX, "new", "1.27")
    quiet = seed.put_single(ecr, QUAY, "quiet", size=4000, tag="1")
    used = seed.put_single(ecr, QUAY, "used", tag="2")
    fresh_index, _fresh_children = seed.put_multiarch(ecr, FRESH, "f", "1")
    custom = seed.put_single(ecr, CUSTOM, "mine", tag="1")
    recent = NOW - timedelta(days=3)
    pushed = {d: NOW - timedelta(days=120) for d in (old, *old_children, new, *new_children,
                                                      quiet, used, custom)}
    pulls = {new: recent, new_children[0]: recent, used: recent, fresh_index: recent,
             custom: NOW - timedelta(days=400)}
    client = ecr_api.client(REGION)
    seed.record_times(client, pushed, pulls)
    return {"client": client, "old": {old, *old_children}, "quiet": quiet}


def run(registry: dict[str, Any], capsys: pytest.CaptureFixture[str], output: str) -> Any:
    clients = Clients(session=sessions.session(region=REGION),
                      overrides={"ecr": registry["client"]})
    code = status_cmd.status(clients, REGION, PREFIXES, 90, 0.10, 4, output, 0, NO_LINKS,
                             cache_policy=POLICY)
    out, err = capsys.readouterr()
    return code, (json.loads(out) if output == "json" else out), err


def test_json_has_the_next_prune_per_repository_and_in_total(
    registry: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    batch_get = inject(registry["client"], "BatchGetImage", lambda body: None)
    code, data, _ = run(registry, capsys, "json")
    assert code == 0
    repos = {r["name"]: r["next_prune"] for r in data["repositories"]}
    assert repos[NGINX] == {"images": 3, "size_bytes": 2000, "error": None}
    assert repos[QUAY] == {"images": 1, "size_bytes": 4000, "error": None}
    assert repos[FRESH] == {"images": 0, "size_bytes": 0, "error": None}
    assert repos[CUSTOM] is None  # custom repositories are never pruned
    assert data["next_prune"] == {"unpulled_days": 90, "dry_run": False, "images": 4,
                                  "size_bytes": 6000}
    # indexes were read only where something is quiet: nginx, not quay/fresh
    assert [a["repositoryName"] for a in batch_get] == [NGINX]
    assert data["api_calls"] == 1 + 4 + 1  # listing, DescribeImages x4, one BatchGetImage


def test_status_and_a_dry_run_prune_agree(registry: dict[str, Any],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    _, data, _ = run(registry, capsys, "json")
    outcome = prune.prune(registry["client"], PREFIXES, 90, dry_run=True, now=NOW)
    selected = {r.repository.name: {i.digest for i in r.selected}
                for r in outcome.plan.repositories}
    assert selected == {NGINX: registry["old"], QUAY: {registry["quiet"]}, FRESH: set()}
    assert data["next_prune"]["images"] == outcome.plan.selected_images
    assert data["next_prune"]["size_bytes"] == outcome.plan.selected_bytes


def test_table_has_the_column_and_says_what_it_counts(
    registry: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(registry, capsys, "table")
    assert code == 0
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("REPOSITORY"))
    assert "NOT PULLED 90D  NEXT PRUNE" in header and header.split()[-1] == "EXPIRING"
    nginx = next(line for line in lines if line.startswith(NGINX))
    custom = next(line for line in lines if line.startswith(CUSTOM))
    assert "3 (2.0 KiB)" in nginx
    assert custom.split()[-2:] == ["-", "-"]
    assert ("'NEXT PRUNE': images (size) the next prune deletes: cached images nobody pulled "
            "for 90 days (cacheUnpulledDays 90, from test;") in out


def test_an_unreadable_index_is_an_error_in_the_column(
    registry: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    inject(registry["client"], "BatchGetImage",
           lambda body: error_response("AccessDeniedException", "no ecr:BatchGetImage"))
    code, data, err = run(registry, capsys, "json")
    assert code == 1
    nginx = next(r for r in data["repositories"] if r["name"] == NGINX)["next_prune"]
    assert nginx["images"] == 0 and "access denied" in nginx["error"]
    assert f"error: read the index manifests of {NGINX}: access denied" in err


def test_a_dry_run_stack_says_the_scheduled_function_only_logs(
    registry: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    dry = status_cmd.CachePolicy(stackfile.CachePolicySettings(90, 0, 90, prune_dry_run=True),
                                 "Pulumi.prod.yaml")
    clients = Clients(session=sessions.session(region=REGION),
                      overrides={"ecr": registry["client"]})
    for output in ("json", "table"):
        status_cmd.status(clients, REGION, PREFIXES, 90, 0.10, 4, output, 0, NO_LINKS,
                          cache_policy=dry)
        out = capsys.readouterr().out
        if output == "json":
            assert json.loads(out)["next_prune"]["dry_run"] is True
        else:
            assert "runs as a dry run (pruneDryRun): it only logs these" in out
    _, data, _ = run(registry, capsys, "json")
    assert data["next_prune"]["dry_run"] is False


def test_the_stack_files_prune_dry_run_reaches_the_policy(tmp_path: Path) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  infra-ecr:pruneDryRun: true\n")
    assert stackfile.cache_policy_settings(stackfile.load(stack)).prune_dry_run
    stack.write_text("config:\n  infra-ecr:cacheUnpulledDays: 30\n")
    assert not stackfile.cache_policy_settings(stackfile.load(stack)).prune_dry_run
