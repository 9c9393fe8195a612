"""Fixtures shared by every test area.  Area fixtures live in tests/<area>/conftest.py."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.retries.bucket import TokenBucket
from botocore.retries.standard import ExponentialBackoff

from tests.netutil import free_port, wait_for_http

# the loadgroup hook, and which fixtures' tests share a worker
from tests.xdist_groups import ONE_WORKER_FIXTURES, pytest_collection_modifyitems  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI") == "true"


def require_tool(name: str, how: str) -> str:
    """The tool's path; skip with how to install it, or fail under CI=true."""
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path:
        return path
    message = f"{name} is not installed: {how}"
    if IN_CI:
        pytest.fail(message + " (CI=true: missing test dependencies are failures)")
    pytest.skip(message)


def copy_checkout(dest: Path) -> Path:
    """The files a clone of this working tree would hold, uncommitted changes included."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(autouse=True, scope="session")
def retries_without_sleeping() -> Iterator[None]:
    """botocore retries at once in this process: the same attempts, in the same order,
    without its backoff sleeps (a throttled call waits up to a second, then two ...) or
    adaptive mode's rate-limiter waits.  Those are what AWS needs, not a test; the tools'
    own settings (ecr.aws.sessions.SETTINGS) are left as they ship."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
        patch.setattr(TokenBucket, "acquire", lambda self, amount=1, block=True: True)
        yield


class MotoServer:
    """A real moto_server on 127.0.0.1; ``reset()`` empties it between tests."""

    def __init__(self, url: str) -> None:
        self.url = url

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST")
        urllib.request.urlopen(request, timeout=10).read()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    proc = subprocess.Popen(
        [str(exe), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/moto-api/")
        yield MotoServer(url)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def use_moto(
    server: MotoServer, monkeypatch: pytest.MonkeyPatch, region: str = "af-south-1"
) -> None:
    """Empty ``server`` and point the AWS environment at it (fake credentials, no profile
    or config file of the machine's)."""
    server.reset()
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", region)
    monkeypatch.setenv("AWS_DEFAULT_REGION", region)
    monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoServer]:
    """A clean moto_server and an AWS environment pointing at it (fake credentials)."""
    use_moto(moto_server, monkeypatch)
    yield moto_server


@pytest.fixture(scope="session")
def checkout_reachable_by_others() -> Iterator[None]:
    """Tests that run the tools as another user (nobody) need the checkout reachable: a
    clone inside ``mktemp -d`` sits under a directory only its owner may enter.  Each such
    ancestor gets ``o+x`` (enter, not list) for the session and its mode back after."""
    changed: list[tuple[Path, int]] = []
    for parent in [ROOT, *ROOT.parents]:
        mode = parent.stat().st_mode & 0o7777
        if os.geteuid() == 0 and not mode & 0o001:
            parent.chmod(mode | 0o001)
            changed.append((parent, mode))
    try:
        yield
    finally:
        for parent, mode in reversed(changed):
            parent.chmod(mode)
