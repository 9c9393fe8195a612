"""The project as others get it: a git repository of it, installed with pip in a fresh venv.

``hooks`` (once per session) commits a copy of the checkout (the files git would check out:
tracked and new, not ignored) to a repository of its own, which pre-commit clones and
installs (``virtualenv`` plus ``pip install`` of the clone, from PyPI) the first time a hook
runs, into a ``PRE_COMMIT_HOME`` the session shares.

``installed`` is that same environment: what ``pip install "infra-ecr @ git+<repo url>"``
gives an ArgoCD repository's CI.  One install serves both: it is most of these tests' time.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, copy_checkout

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
# No pulumi CLI and no project venv: only the installed venv and the system's basics.
SYSTEM_PATH = "/usr/bin:/bin"
PULUMI = '#!/bin/sh\necho "pulumi $*" >>"{log}"\nexit 1\n'


def outside_env(bin_dir: Path, **extra: str) -> dict[str, str]:
    """This environment as a user's shell outside the project has it: no project venv, no
    PYTHONPATH into the checkout, no registry, ``bin_dir`` and the system's basics on PATH."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("ECR_REGISTRY", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}:{SYSTEM_PATH}"
    env.update(extra)
    return env


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=cwd, check=True, capture_output=True)


@dataclass
class Hooks:
    repo: Path  # this project, committed once
    rev: str  # its commit, the config's ``rev``
    home: Path  # PRE_COMMIT_HOME, shared by the session
    bin: Path  # the recording pulumi
    pulumi_log: Path

    def config(self) -> str:
        """An ArgoCD repository's ``.pre-commit-config.yaml`` naming both hooks."""
        return (f"repos:\n  - repo: {self.repo}\n    rev: {self.rev}\n    hooks:\n"
                "      - id: ecr-convert\n      - id: ecr-convert-check\n")

    def pre_commit(self, work: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        # PIP_NO_COMPILE: pip leaves the environment's packages to be compiled when imported
        # (a few modules), not all of them at install time (seconds of CPU)
        base = outside_env(self.bin, PRE_COMMIT_HOME=str(self.home), GIT_CONFIG_NOSYSTEM="1",
                           HOME=str(self.home), PIP_NO_COMPILE="1", **env)
        return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=work, env=base,
                              capture_output=True, text=True, timeout=1200, check=False)

    def run(self, work: Path, hook: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``pre-commit run HOOK`` in ``work``, on its staged files, as ``git commit`` runs it."""
        return self.pre_commit(work, "run", hook, "--color=never", **env)


@pytest.fixture(scope="session")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Hooks:
    if importlib.util.find_spec("pre_commit") is None:  # run as python -m pre_commit
        message = "pre-commit is not installed: pip install -r requirements-dev.txt"
        if IN_CI:
            pytest.fail(message + " (CI=true: missing test dependencies are failures)")
        pytest.skip(message)
    base = tmp_path_factory.mktemp("hooks")
    repo = copy_checkout(base / "infra-ecr")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "checkout")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                         capture_output=True, text=True).stdout.strip()
    tools = base / "bin"
    tools.mkdir()
    log = base / "pulumi.log"
    (tools / "pulumi").write_text(PULUMI.format(log=log))
    (tools / "pulumi").chmod(0o755)
    return Hooks(repo, rev, base / "home", tools, log)


@dataclass(frozen=True)
class Installed:
    venv: Path

    def env(self, **extra: str) -> dict[str, str]:
        return outside_env(self.venv / "bin", **extra)

    def run(self, *argv: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=cwd, env=self.env(**extra), capture_output=True,
                              text=True, timeout=300, check=False)


@pytest.fixture(scope="session")
def installed(hooks: Hooks, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The environment pre-commit installs the hooks' repository into (``install-hooks``,
    or the hook tests' first run): a fresh venv, the repository's clone pip-installed in it."""
    work = tmp_path_factory.mktemp("install-hooks")
    (work / ".pre-commit-config.yaml").write_text(hooks.config())
    git(work, "init", "-q")
    done = hooks.pre_commit(work, "install-hooks")
    if done.returncode != 0:
        pytest.fail(f"pre-commit install-hooks failed (PyPI reachable?):\n"
                    f"{(done.stdout + done.stderr)[-3000:]}")
    # pre-commit's store: a clone per repository and rev, its python environment beside it
    found = sorted(hooks.home.glob("repo*/py_env-*/bin/ecr"))
    assert len(found) == 1, f"one environment with an ecr command expected in {hooks.home}: " \
        f"{found} (has pre-commit's store layout changed?)"
    return Installed(found[0].parent.parent)
