"""Fixtures for the setup-ecr.sh tests: the real script, a recording pulumi double, moto for AWS.

Each test gets its own PATH (the fake ``pulumi``, the system ``python3``, coreutils and
nothing else), its own HOME, fake-pulumi state and virtualenv.  The virtualenv is a real one
made in milliseconds (``--without-pip``) that sees the project venv's packages through a
``.pth`` file, so ``pip install -r requirements.txt`` is satisfied without the network.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, MotoServer
from tests.scripts import fake_pulumi

SCRIPT = ROOT / "scripts" / "setup-ecr.sh"
FAKE_PULUMI = ROOT / "tests" / "fakes" / "pulumi"
SYSTEM_PATH = "/usr/bin:/bin"
# Distinctive values, so a leak into any output or argv cannot be a coincidence.
DOCKERHUB_TOKEN = "dckr_pat_S3cr3tT0kenN0tForArgv_4f1c"
GITHUB_TOKEN = "ghp_An0therS3cretThatMustStayHidden9"
SECRETS = (DOCKERHUB_TOKEN, GITHUB_TOKEN)


def venv_site_packages(venv: Path) -> Path:
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    return venv / "lib" / version / "site-packages"


STAMP_NAME = ".ecr-requirements.sha256"
# requirements.txt and the files it includes, in the order the stamps hash them
FULL_REQUIREMENTS = ("requirements.txt", "requirements-tools.txt", "requirements-stack.txt")


def stamp_text(venv: Path) -> str:
    """What an up-to-date stamp holds, written independently of the scripts' own code."""
    version = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in FULL_REQUIREMENTS)
                            ).hexdigest()
    return f"{digest}\npython {version}\n"


def make_venv(path: Path, *, installed: bool) -> Path:
    """A venv seeing the project's packages; ``installed`` writes the script's up-to-date stamp."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(path)  # python -m venv --without-pip
    site = venv_site_packages(path)
    (site / "_project_venv.pth").write_text(str(venv_site_packages(Path(sys.prefix))) + "\n")
    if installed:
        # The stamp setup-ecr.sh writes and scripts/ecr accepts: line 1 the sha256 of
        # requirements.txt and its two included files, line 2 the venv's Python version,
        # computed by the venv's interpreter as the script does.
        (path / STAMP_NAME).write_text(stamp_text(path))
    return path


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    calls: list[dict[str, Any]]  # the pulumi invocations of this run only

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def argvs(self) -> list[list[str]]:
        return [call["argv"] for call in self.calls]

    def commands(self) -> list[str]:
        """Each call's command as the fake parsed it: ``stack select``, ``config set``, ``up``."""
        return [fake_pulumi.parse(argv)[0] for argv in self.argvs()]

    def config_sets(self) -> list[dict[str, Any]]:
        return [c for c in self.calls if c["argv"][:2] == ["config", "set"]]

    def set_keys(self) -> list[str]:
        """The config key of each ``config set``, in order."""
        return [fake_pulumi.parse(c["argv"])[1][0] for c in self.config_sets()]


@dataclass
class Setup:
    """Runs the real scripts/setup-ecr.sh in a controlled environment."""

    tmp: Path
    env: dict[str, str]
    bin: Path
    state: Path
    venv: Path
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.state / "log.jsonl"

    def all_calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def stack_state(self, name: str = "prod") -> dict[str, Any]:
        state = json.loads((self.state / "state.json").read_text())
        stack: dict[str, Any] = state["stacks"][name]
        return stack

    def preset(self, stack: str = "prod", **config: Any) -> None:
        """Create a stack in the fake's state with config; lists become object values."""
        path = self.state / "state.json"
        state = json.loads(path.read_text()) if path.exists() else {"current": None, "stacks": {}}
        if stack not in state["stacks"]:  # as `pulumi stack select --create` would make it
            state["stacks"][stack] = {
                "config": fake_pulumi.stack_file_config(stack, ROOT),
                "outputs": {},
                "updates": 0,
            }
        entry = state["stacks"][stack]
        for key, value in config.items():
            name = key.replace("__", ":") if "__" in key else f"infra-ecr:{key}"
            if isinstance(value, list | dict):
                entry["config"][name] = {
                    "value": json.dumps(value),
                    "secret": False,
                    "object": True,
                }
            else:
                entry["config"][name] = {"value": str(value), "secret": False}
        path.write_text(json.dumps(state))

    def run(self, *args: str, input: str | None = None, script: Path | str = SCRIPT,
            **env: str | None) -> Result:
        before = len(self.all_calls())
        run_env = dict(self.env)
        for key, value in env.items():
            if value is None:
                run_env.pop(key, None)
            else:
                run_env[key] = value
        done = subprocess.run(
            ["bash", str(script), *args],
            env=run_env,
            input=input if input is not None else "",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        result = Result(done.returncode, done.stdout, done.stderr, self.all_calls()[before:])
        assert_no_secret_leaks(result)
        return result


def assert_no_secret_leaks(result: Result) -> None:
    """No token in the script's output, nor in any pulumi argv (argv shows in ps and logs)."""
    for secret in SECRETS:
        assert secret not in result.stdout, "a token reached stdout"
        assert secret not in result.stderr, "a token reached stderr"
        for argv in result.argvs():
            assert not any(secret in arg for arg in argv), f"a token is on a command line: {argv}"


def base_env(tmp: Path, bin_dir: Path, state: Path, venv: Path) -> dict[str, str]:
    env = {
        "PATH": f"{bin_dir}:{SYSTEM_PATH}",
        "HOME": str(tmp / "home"),
        "LANG": "C.UTF-8",
        "VENV": str(venv),
        "FAKE_PULUMI_STATE": str(state),
        "FAKE_PULUMI_PYTHON": sys.executable,
        "FAKE_PULUMI_MAIN": str(ROOT / "tests" / "scripts" / "fake_pulumi.py"),
        # AWS: boto3 / the aws CLI talk to moto (set by the aws_env fixture, copied below).
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    for key in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
    ):
        if key in os.environ:
            env[key] = os.environ[key]
    return env


@pytest.fixture
def setup(tmp_path: Path, aws_env: MotoServer) -> Iterator[Setup]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").symlink_to(FAKE_PULUMI)
    (tmp_path / "home").mkdir()
    state = tmp_path / "pulumi-state"
    state.mkdir()
    venv = make_venv(tmp_path / "venv", installed=True)
    yield Setup(tmp_path, base_env(tmp_path, bin_dir, state, venv), bin_dir, state, venv)


@pytest.fixture
def creds_env() -> dict[str, str]:
    return {
        "DOCKERHUB_USERNAME": "hubuser",
        "DOCKERHUB_TOKEN": DOCKERHUB_TOKEN,
        "GITHUB_USERNAME": "octo",
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }
