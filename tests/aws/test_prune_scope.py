"""issue 20: prune and apply act on this stack's own cache prefixes only.

``--prefix`` must name one of the stack's caches (a custom repository's prefix is refused,
naming the caches that exist), and ``caches: []`` means no caches at all (unlike a missing
``caches`` key, which means every cache): nothing is read, pruned or written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecr.cli import main
from ecr.pruner import ecr_api
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, plain_ecr

NOW = datetime.now(UTC)
TEAM = ("team/api", "team/web")
CACHED = "docker-hub/library/nginx"


@pytest.fixture
def registry(aws_env: object, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two custom repositories under ``team/`` and one cached repository, every image
    last used a year ago; the commands' clients are counted (none must be made when the
    command refuses or has nothing to do)."""
    ecr = plain_ecr()
    digests: dict[str, str] = {}
    for name in (*TEAM, CACHED):
        ecr.create_repository(repositoryName=name)
        digests[name] = seed.put_single(ecr, name, name, tag="1.0")
    client = ecr_api.client(REGION)
    seed.record_times(client, NOW - timedelta(days=365), {})
    made = seed.route_clients(monkeypatch, client)
    return {"ecr": ecr, "made": made, "digests": digests}


def stack_file(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text("config:\n" + "".join(f"  {line}\n" for line in lines))
    return str(path)


def held(ecr: Any) -> dict[str, set[str]]:
    return {name: seed.digests(ecr, name) for name in (*TEAM, CACHED)}


def policies(ecr: Any) -> dict[str, bool]:
    found = {}
    for name in (*TEAM, CACHED):
        try:
            ecr.get_lifecycle_policy(repositoryName=name)
            found[name] = True
        except ecr.exceptions.LifecyclePolicyNotFoundException:
            found[name] = False
    return found


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("prefix", ["team", "team/", "team/api", "docker-hub/library"])
def test_prune_refuses_a_prefix_that_is_not_a_cache(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str
) -> None:
    stack = stack_file(tmp_path, "infra-ecr:customRepositories: [team/api, team/web]")
    before = held(registry["ecr"])
    code, out, err = run(capsys, "lifecycle", "prune", "--yes", "--stack-file", stack,
                         "--prefix", prefix)
    assert code == 2 and out == ""
    assert f"--prefix {prefix!r} is not a cache prefix of this stack" in err
    assert "docker-hub, quay, github, k8s, ecr-public" in err  # the prefixes that exist
    assert held(registry["ecr"]) == before and registry["made"] == []


def test_apply_refuses_a_custom_repository_prefix(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(tmp_path, "infra-ecr:customRepositories: [team/api, team/web]")
    code, out, err = run(capsys, "lifecycle", "apply", "--stack-file", stack,
                         "--prefix", "team")
    assert code == 2 and out == ""
    assert "--prefix 'team' is not a cache prefix of this stack" in err
    assert not any(policies(registry["ecr"]).values()) and registry["made"] == []


def test_prefix_must_be_one_the_stack_caches(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """quay is a cache of the catalogue, but not of this stack."""
    stack = stack_file(tmp_path, "infra-ecr:caches: [docker-hub]")
    code, _, err = run(capsys, "lifecycle", "prune", "--dry-run", "--stack-file", stack,
                       "--prefix", "quay")
    assert code == 2
    assert f"this stack's cache prefixes are docker-hub (caches in {stack})" in err
    code, out, _ = run(capsys, "lifecycle", "prune", "--dry-run", "-o", "json",
                       "--stack-file", stack, "--prefix", "docker-hub/")
    assert code == 0 and json.loads(out)["prefixes"] == ["docker-hub"]


def test_default_prune_never_reaches_custom_repositories(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(tmp_path, "infra-ecr:customRepositories: [team/api, team/web]")
    code, out, _ = run(capsys, "lifecycle", "prune", "--yes", "-o", "json",
                       "--stack-file", stack)
    assert code == 0 and json.loads(out)["deleted_images"] == 1
    after = held(registry["ecr"])
    assert after[CACHED] == set()
    assert all(after[name] == {registry["digests"][name]} for name in TEAM)


def test_empty_caches_prunes_nothing_and_says_so(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(tmp_path, "infra-ecr:caches: []")
    before = held(registry["ecr"])
    code, out, err = run(capsys, "lifecycle", "prune", "--yes", "--stack-file", stack)
    assert code == 0 and err == ""
    assert out == f"This stack has no caches (caches in {stack} is empty): nothing to prune.\n"
    code, out, _ = run(capsys, "lifecycle", "prune", "--dry-run", "-o", "json",
                       "--stack-file", stack)
    data = json.loads(out)
    assert code == 0 and data["prefixes"] == [] and data["repositories"] == 0
    assert "nothing to prune" in data["message"]
    # without a terminal and without --yes there is nothing to ask about either
    assert run(capsys, "lifecycle", "prune", "--stack-file", stack)[0] == 0
    assert held(registry["ecr"]) == before and registry["made"] == []
    code, _, err = run(capsys, "lifecycle", "prune", "--yes", "--stack-file", stack,
                       "--prefix", "docker-hub")
    assert code == 2 and "this stack has no caches" in err


def test_empty_caches_applies_nothing_and_says_so(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(tmp_path, "infra-ecr:caches: []")
    code, out, _ = run(capsys, "lifecycle", "apply", "--stack-file", stack)
    assert code == 0 and "This stack has no caches" in out
    code, out, _ = run(capsys, "lifecycle", "apply", "-o", "json", "--stack-file", stack)
    data = json.loads(out)
    assert code == 0 and data["repositories"] == [] and data["prefixes"] == []
    assert not any(policies(registry["ecr"]).values()) and registry["made"] == []


def test_missing_caches_key_means_every_cache(
    registry: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = stack_file(tmp_path, "infra-ecr:cacheUnpulledDays: 30")
    code, out, _ = run(capsys, "lifecycle", "apply", "-o", "json", "--stack-file", stack)
    assert code == 0
    assert json.loads(out)["prefixes"] == ["docker-hub", "quay", "github", "k8s", "ecr-public"]
    assert policies(registry["ecr"]) == {"team/api": False, "team/web": False, CACHED: True}
