"""Without --stack-file, status, lifecycle apply and doctor read the project's
``Pulumi.<stack>.yaml`` (stack from --stack, default prod) when it exists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr.aws import clients
from ecr.cli import main
from ecr.config import stackfile
from ecr.policies import lifecycle
from tests.aws.conftest import add_repo, plain_ecr
from tests.aws.test_doctor import make_clients, stubbed_ecr


def write_stack(project: Path, name: str, body: str) -> Path:
    path = project / f"Pulumi.{name}.yaml"
    path.write_text("config:\n  aws:region: af-south-1\n" + body)
    return path


def test_resolve_prefers_flag_then_named_stack_then_nothing(project_dir: Path) -> None:
    assert stackfile.resolve(None) is None  # no file: defaults, no error
    prod = write_stack(project_dir, "prod", "  infra-ecr:cacheUnpulledDays: '30'\n")
    dev = write_stack(project_dir, "dev", "  infra-ecr:cacheUnpulledDays: '7'\n")
    settings = stackfile.resolve(None)
    assert settings is not None and settings.path == prod and settings.unpulled_days == 30
    settings = stackfile.resolve(None, "dev")
    assert settings is not None and settings.path == dev and settings.unpulled_days == 7
    assert stackfile.resolve(str(dev), "prod").path == dev  # type: ignore[union-attr]
    assert stackfile.resolve(None, "staging") is None
    with pytest.raises(stackfile.StackFileError, match="cannot read stack file"):
        stackfile.resolve(str(project_dir / "Pulumi.missing.yaml"))


def test_status_reads_pulumi_prod_yaml_by_default(
    aws_env: object, project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack(project_dir, "prod", "  infra-ecr:caches: [quay]\n"
                "  infra-ecr:cacheUnpulledDays: '30'\n")
    write_stack(project_dir, "dev", "  infra-ecr:cacheUnpulledDays: '7'\n")
    add_repo(plain_ecr(), "quay/app", [1])
    assert main.main(["status", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unpulled_days"] == 30
    assert [p["prefix"] for p in data["prefixes"]] == ["quay"]
    assert main.main(["status", "--stack", "dev", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["unpulled_days"] == 7
    assert main.main(["status", "--unpulled-days", "5", "-o", "json"]) == 0  # flag wins
    assert json.loads(capsys.readouterr().out)["unpulled_days"] == 5


def test_status_without_a_stack_file_uses_the_defaults(
    aws_env: object, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(["status", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unpulled_days"] == 90
    assert "docker-hub" in [p["prefix"] for p in data["prefixes"]]


def test_status_with_pruning_off_reports_with_the_default_threshold(
    aws_env: object, project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # cacheUnpulledDays 0 turns the pruner off; it is not a threshold anyone asked for, so
    # NOT PULLED counts with the default and NEXT PRUNE says off.
    write_stack(project_dir, "prod", "  infra-ecr:cacheUnpulledDays: '0'\n")
    add_repo(plain_ecr(), "quay/app", [1])
    assert main.main(["status"]) == 0
    out = capsys.readouterr().out
    default = stackfile.default_unpulled_days()
    assert f"NOT PULLED {default}D" in out
    assert next(line for line in out.splitlines() if line.startswith("quay/app")).split()[-2] \
        == "off"
    assert main.main(["status", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unpulled_days"] == default
    assert data["next_prune"]["unpulled_days"] is None
    assert main.main(["status", "--unpulled-days", "30", "-o", "json"]) == 0  # flag wins
    assert json.loads(capsys.readouterr().out)["unpulled_days"] == 30


def test_lifecycle_apply_reads_the_default_and_the_named_stack(
    lifecycle_env: object, project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plain_ecr().create_repository(repositoryName="docker-hub/library/nginx")
    write_stack(project_dir, "prod", "  infra-ecr:cacheUnpulledDays: '30'\n"
                "  infra-ecr:cacheKeepImages: 10\n")
    write_stack(project_dir, "eu", "  infra-ecr:cacheMaxAgeDays: '14'\n")
    assert main.main(["lifecycle", "apply", "--dry-run", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["policy"] == lifecycle.cache_lifecycle_policy(30, 10)
    assert main.main(["lifecycle", "apply", "--stack", "eu", "--dry-run", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["policy"] == lifecycle.cache_lifecycle_policy(14, 0)


def test_bad_default_stack_file_is_a_usage_error(
    aws_env: object, project_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_stack(project_dir, "prod", "  infra-ecr:cacheUnpulledDays: ninety\n")
    assert main.main(["lifecycle", "apply", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert "Pulumi.prod.yaml" in err and "must be a whole number" in err


def test_doctor_reads_caches_from_pulumi_prod_yaml_and_says_so(
    aws_env: object, project_dir: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stack = write_stack(project_dir, "prod", "  infra-ecr:caches: [docker-hub, quay]\n")
    ecr, _ = stubbed_ecr()
    monkeypatch.setattr(clients, "for_profile", lambda profile, region: make_clients(ecr))
    assert main.main(["doctor", "-o", "json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    assert {"area": "stack", "name": "stack file", "status": "pass"}.items() <= checks[0].items()
    assert str(stack) in checks[0]["detail"]
    assert {c["name"] for c in checks if c["name"].startswith("rule ")} >= {
        "rule docker-hub", "rule quay"}
