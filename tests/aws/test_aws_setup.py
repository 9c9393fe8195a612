"""A wrong AWS profile is a usage error that says how to list the profiles (QA finding)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr import aws
from ecr.aws import sessions
from ecr.cli import main


@pytest.fixture
def no_profiles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_REGION", "af-south-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def test_unknown_profile_names_it_and_the_fix(no_profiles: None) -> None:
    with pytest.raises(aws.AwsSetupError, match=r"'nope' not found.*aws configure list-profiles"):
        sessions.session(profile="nope")


@pytest.mark.parametrize("argv", [["status", "--profile", "nope"],
                                  ["lifecycle", "apply", "--profile", "nope"],
                                  ["doctor", "--profile", "nope", "--cache", "quay"]])
def test_commands_exit_2_on_unknown_profile(
    argv: list[str], no_profiles: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main.main(argv) == 2
    assert "AWS profile 'nope' not found" in capsys.readouterr().err


def test_unknown_profile_from_the_environment(
    no_profiles: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "gone")
    assert main.main(["status"]) == 2
    assert "AWS profile 'gone' not found" in capsys.readouterr().err
