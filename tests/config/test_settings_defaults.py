"""One source of truth: the operations tools take the stack's defaults from ecr/config/keys.py
(which Pulumi.yaml mirrors, tests/config/test_settings.py), never their own copy (QA finding).

Each test changes the default in ``ecr.config.keys`` and checks the tools follow it: a tool
that repeated the number would keep the old one and fail here."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecr.cli import main
from ecr.cli.commands import doctor
from ecr.cli.commands import status as status_cmd
from ecr.config import keys, stackfile
from ecr.policies import lifecycle
from tests.aws.conftest import add_repo, plain_ecr

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_match_pulumi_yaml_and_the_settings_module() -> None:
    config = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    assert config["cacheUnpulledDays"]["default"] == stackfile.default_unpulled_days()
    assert config["cacheMaxAgeDays"]["default"] == stackfile.default_max_age_days()
    assert config["cacheKeepImages"]["default"] == stackfile.default_keep_images()
    chosen = stackfile.cache_policy_settings(None)
    assert (chosen.cache_unpulled_days, chosen.max_age_days, chosen.keep_images) == (
        keys.DEFAULT_CACHE_UNPULLED_DAYS, keys.DEFAULT_CACHE_MAX_AGE_DAYS,
        keys.DEFAULT_CACHE_KEEP_IMAGES)


@pytest.mark.parametrize("module", sorted((ROOT / "ecr" / "config").glob("*.py")),
                         ids=lambda p: p.name)
def test_config_modules_stay_pure(module: Path) -> None:
    """The tools may import ecr.config only because it never imports pulumi."""
    tree = ast.parse(module.read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(name.split(".")[0] == "pulumi" for name in imported)


@pytest.fixture
def changed_defaults(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """(cacheMaxAgeDays, cacheKeepImages) changed; cacheUnpulledDays becomes 45 too."""
    monkeypatch.setattr(keys, "DEFAULT_CACHE_UNPULLED_DAYS", 45)
    monkeypatch.setattr(keys, "DEFAULT_CACHE_MAX_AGE_DAYS", 45)
    monkeypatch.setattr(keys, "DEFAULT_CACHE_KEEP_IMAGES", 3)
    return 45, 3


def test_stack_file_without_the_keys_means_the_stack_defaults(
    changed_defaults: tuple[int, int],
) -> None:
    stack = stackfile.parse({"config": {}}, Path("Pulumi.prod.yaml"))
    chosen = stackfile.cache_policy_settings(stack)
    assert (chosen.max_age_days, chosen.keep_images) == changed_defaults
    assert chosen.cache_unpulled_days == 45
    flags = stackfile.cache_policy_settings(stack, max_age_days=7, keep_images=0,
                                            unpulled_days=9)
    assert (flags.max_age_days, flags.keep_images, flags.cache_unpulled_days) == (7, 0, 9)


def test_lifecycle_apply_builds_the_default_policy_from_settings(
    lifecycle_env: object, changed_defaults: tuple[int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    plain_ecr().create_repository(repositoryName="quay/app")
    assert main.main(["lifecycle", "apply", "--dry-run", "-o", "json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    assert data["policy"] == lifecycle.cache_lifecycle_policy(*changed_defaults)


def test_status_uses_the_settings_defaults(
    aws_env: object, changed_defaults: tuple[int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    add_repo(plain_ecr(), "quay/app", [1, 2, 3, 4])
    assert main.main(["status", "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["unpulled_days"] == 45
    assert data["cache_policy"] == {"unpulled_days": 45, "max_age_days": 45, "keep_images": 3,
                                    "source": status_cmd.DEFAULTS_SOURCE}
    assert data["totals"]["expiring_images"] == 1


def test_doctor_compares_templates_with_the_settings_defaults(
    changed_defaults: tuple[int, int], tmp_path: Path
) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  aws:region: af-south-1\n")
    args = main.build_parser("doctor").parse_args(
        ["doctor", "--stack-file", str(stack), "--registry",
         "123456789012.dkr.ecr.af-south-1.amazonaws.com"])
    assert doctor.options(args).wanted_policy == lifecycle.cache_lifecycle_policy(
        *changed_defaults)


@pytest.mark.parametrize("command", [["status"], ["lifecycle", "apply"]])
def test_help_shows_the_settings_default(
    command: list[str], changed_defaults: tuple[int, int], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main.main([*command, "--help"])
    assert "cacheUnpulledDays, else 45" in " ".join(capsys.readouterr().out.split())
