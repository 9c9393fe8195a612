"""Fixtures for the Helm tests: charts written per test, the CLI run in-process."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ecr.cli import main
from tests.charts import charts
from tests.conftest import require_tool
from tests.netutil import free_port, wait_for_http

REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def _sdk_backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Render with helm-python-sdk even where a helm CLI is installed (CLI tests opt in)."""
    monkeypatch.setenv("ECR_HELM_BACKEND", "sdk")
    monkeypatch.delenv("ECR_REGISTRY", raising=False)
    yield


@pytest.fixture
def webapp(tmp_path: Path) -> Path:
    return charts.webapp_chart(tmp_path / "webapp")


@pytest.fixture
def chat(tmp_path: Path) -> Path:
    return charts.chat_chart(tmp_path / "chat")


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]):
    def run(*argv: str) -> Result:
        capsys.readouterr()
        code = main.main(list(argv))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def oci_registry(tmp_path):
    """A real docker-registry on loopback serving pushed charts over plain HTTP."""
    exe = require_tool("docker-registry", "apt-get install docker-registry")
    port = free_port()
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\nlog: {level: error}\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {tmp_path / 'data'}\n"
        f"http:\n  addr: 127.0.0.1:{port}\n"
    )
    proc = subprocess.Popen(
        [exe, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/v2/")
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
