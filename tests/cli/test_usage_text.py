"""``convert``'s usage and --help name every mode, and misplaced flags say where they go."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr.cli.main import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECR_REGISTRY", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi: the usage shows <registry>


def test_no_arguments_usage_lists_chart_and_apps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert"]) == 0
    out = capsys.readouterr().out
    usage = out.split("Configured caches", 1)[0]
    assert "--files PATH..." in usage
    assert "--chart CHART -f VALUES..." in usage
    assert "--apps PATH..." in usage


def test_help_says_write_and_check_work_with_charts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["convert", "--help"])
    assert done.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--write with --files, --chart or --apps: apply the changes" in out
    assert "convert --apps" in out and "convert --chart" in out
    assert "a proof that failed" in out and "3 done, but some images were left" in out


def test_write_without_a_mode_names_every_mode(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--registry", "r.example.com", "--write", "nginx"]) == 2
    err = capsys.readouterr().err
    assert "--files" in err and "--chart" in err and "--apps" in err


@pytest.mark.parametrize("argv,prog", [
    (["convert", "--bogus", "nginx"], "ecr convert"),
    (["lifecycle", "apply", "--bogus"], "ecr lifecycle apply"),
    (["status", "--bogus"], "ecr status"),
])
def test_unknown_flag_names_the_command_and_its_usage(
    argv: list[str], prog: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"{prog}: error: unrecognized arguments: --bogus" in err
    assert f"usage: {prog} " in err


def test_already_converted_rows_are_not_called_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("image:\n  registry: r.example.com\n"
                      "  repository: docker-hub/frappe/erpnext\n")
    assert main(["convert", "--registry", "r.example.com", "--files", str(values), "--check"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "values.yaml:" in line)
    assert row.rstrip().endswith("already in the registry") and "skipped" not in row
    assert "1 already in the registry, 0 skipped" in out
