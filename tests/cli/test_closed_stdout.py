"""Standard output that cannot be written (issue 20): closed (``>&-``), a reader that went
away (``| head``), a full disk.  Every command fails like coreutils do: one line on
stderr and a non-zero exit, never a traceback, never exit 0 with the output lost.

Each command runs as ``python -m ecr ...`` in a child process whose fd 1 is closed;
status, lifecycle and doctor talk to a real moto_server on 127.0.0.1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MotoServer

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
CLOSED = "ecr: write error: Bad file descriptor\n"


def _run(
    args: list[str], redirect: str = ">&-", pipe: str = ""
) -> subprocess.CompletedProcess[str]:
    """``python -m ecr ARGS`` with its stdout closed (or redirected as given)."""
    env = {**os.environ, "ECR_REGISTRY": REGISTRY, "PYTHONPATH": str(ROOT),
           "AWS_MAX_ATTEMPTS": "1"}
    script = f'"$@" {redirect} {pipe}; echo "rc=$?" >&2'
    if pipe:
        script = f'set -o pipefail; "$@" {redirect} {pipe}; echo "rc=$?" >&2'
    return subprocess.run(
        ["bash", "-c", script, "bash", sys.executable, "-m", "ecr", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT, env=env,
    )


def _status(result: subprocess.CompletedProcess[str]) -> tuple[int, str]:
    """(the command's exit status, its stderr without the rc line)."""
    lines = result.stderr.splitlines(keepends=True)
    assert lines and lines[-1].startswith("rc="), result.stderr
    return int(lines[-1].strip()[3:]), "".join(lines[:-1])


@pytest.fixture
def values_file(tmp_path: Path) -> Path:
    path = tmp_path / "values.yaml"
    path.write_text("image:\n  repository: nginx\n  tag: \"1.27\"\n")
    return path


@pytest.fixture
def manifest_file(tmp_path: Path) -> Path:
    path = tmp_path / "deploy.yaml"
    path.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: a}\nspec:\n"
        "  template:\n    spec:\n      containers:\n      - name: a\n        image: nginx:1\n"
    )
    return path


@pytest.fixture
def chart_dir(tmp_path: Path) -> Path:
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("image: nginx:1.27\n")
    (chart / "templates" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
        "  - name: c\n    image: {{ .Values.image }}\n"
    )
    return chart


def _offline_commands(values: Path, manifest: Path, chart: Path) -> list[list[str]]:
    return [
        ["convert", "nginx:1.27"],
        ["convert", "--files", str(values)],
        ["convert", "--files", str(manifest), "-o", "json"],
        ["convert", "--help"],
        ["images", "--chart", str(chart)],
        ["images", "--chart", str(chart), "-o", "json"],
        ["verify", "--registry", "http://127.0.0.1:9", "not a reference"],
        ["--help"],
    ]


def test_offline_commands_fail_on_a_closed_stdout(
    values_file: Path, manifest_file: Path, chart_dir: Path
) -> None:
    for args in _offline_commands(values_file, manifest_file, chart_dir):
        code, err = _status(_run(args))
        assert code == 1, (args, err)
        assert err == CLOSED, (args, err)


@pytest.mark.parametrize("args", [
    ["status"],
    ["status", "-o", "json"],
    ["lifecycle", "prune", "--dry-run"],
    ["lifecycle", "prune", "--dry-run", "-o", "json"],
    ["lifecycle", "apply", "--dry-run"],
])
def test_aws_commands_fail_on_a_closed_stdout(aws_env: MotoServer, args: list[str]) -> None:
    code, err = _status(_run(args))
    assert code == 1, (args, err)
    assert err.endswith(CLOSED), (args, err)
    assert "Traceback" not in err, err


@pytest.mark.parametrize("output", ["table", "json"])
def test_doctor_fails_on_a_closed_stdout(
    output: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # moto lacks the pull-through cache APIs (its 500s are retried for a minute): an
    # endpoint that refuses connections makes doctor fail its checks fast; the point is
    # the report it then cannot write
    for key, value in (("AWS_ENDPOINT_URL", "http://127.0.0.1:9"), ("AWS_ACCESS_KEY_ID", "t"),
                       ("AWS_SECRET_ACCESS_KEY", "t"), ("AWS_REGION", "af-south-1")):
        monkeypatch.setenv(key, value)
    code, err = _status(_run(["doctor", "-o", output]))
    assert code == 1, err
    assert err.endswith(CLOSED), err
    assert "Traceback" not in err, err


def test_a_full_disk_is_a_write_error(values_file: Path) -> None:
    code, err = _status(_run(["convert", "--files", str(values_file)], redirect=">/dev/full"))
    assert code == 1
    assert err == "ecr: write error: No space left on device\n"


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path: Path) -> None:
    refs = [f"nginx:1.{n}" for n in range(20000)]  # more than a pipe holds
    code, err = _status(_run(["convert", *refs], redirect="", pipe="| head -1 >/dev/null"))
    assert err == ""  # no message, no "Exception ignored", no traceback
    assert code == 141  # as a shell reports a command killed by SIGPIPE


def test_a_command_that_writes_normally_is_unchanged(values_file: Path) -> None:
    result = _run(["convert", "nginx:1.27"], redirect="")
    assert _status(result) == (0, "")
    assert result.stdout == f"{REGISTRY}/docker-hub/library/nginx:1.27\n"
