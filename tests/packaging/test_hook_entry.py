"""``ecr-pre-commit`` (ecr/cli/hook.py), in process: the rules the pre-commit hooks add to convert.

The hooks run for real in test_precommit_hooks.py (slow); these pin the entry's own choices.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr.cli import hook
from tests.packaging.conftest import REG

VALUES = "image:\n  repository: nginx\n  tag: \"1.27\"\n"


@pytest.fixture
def values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ECR_REGISTRY", raising=False)
    path = tmp_path / "values.yaml"
    path.write_text(VALUES)
    return path


def test_no_registry_is_refused_without_asking_a_stack(
    values: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_stack(*_: object) -> dict[str, object]:
        raise AssertionError("the hook asked a Pulumi stack")

    monkeypatch.setattr("ecr.config.outputs.stack_outputs", no_stack)
    assert hook.main(["--write", "values.yaml"]) == 2
    err = capsys.readouterr().err
    assert "args: [--registry, <account>.dkr.ecr.<region>.amazonaws.com]" in err
    assert "export ECR_REGISTRY=" in err
    assert values.read_text() == VALUES


@pytest.mark.parametrize("given", [["--registry", REG], [f"--registry={REG}"]])
def test_write_converts_with_the_registry_argument(
    values: Path, given: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert hook.main([*given, "--write", "values.yaml"]) == 0
    assert f"repository: {REG}/docker-hub/library/nginx" in values.read_text()


def test_check_fails_then_shows_the_diff(
    values: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECR_REGISTRY", REG)
    assert hook.main(["--check", "values.yaml"]) == 1
    out = capsys.readouterr().out
    assert "would change: values.yaml" in out
    assert f"+  repository: {REG}/docker-hub/library/nginx" in out
    assert values.read_text() == VALUES
    values.write_text(VALUES.replace("nginx", f"{REG}/docker-hub/library/nginx"))
    assert hook.main(["--check", "values.yaml"]) == 0  # nothing to convert: passes
    assert "+  repository" not in capsys.readouterr().out


@pytest.mark.parametrize(("convert_says", "hook_says"), [(0, 0), (1, 1), (2, 2), (3, 0)])
def test_images_left_with_a_note_pass(
    values: Path, monkeypatch: pytest.MonkeyPatch, convert_says: int, hook_says: int
) -> None:
    # exit 3 (an uncacheable host, a templated value...): no commit can change it
    calls: list[list[str]] = []

    def convert(argv: list[str]) -> int:
        calls.append(argv)
        return convert_says

    monkeypatch.setattr(hook, "ecr_main", convert)
    monkeypatch.setenv("ECR_REGISTRY", REG)
    assert hook.main(["--write", "values.yaml"]) == hook_says
    assert calls == [["convert", "--files", "--write", "values.yaml"]]
