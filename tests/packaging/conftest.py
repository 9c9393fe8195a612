"""The project as others get it: copied like a checkout, installed with pip in a fresh venv.

``installed`` (once per session) is ``python -m venv`` plus ``pip install <checkout>`` from
PyPI: what ``pip install "infra-ecr @ git+<repo url>"`` gives an ArgoCD repository's CI.
The copy holds the files git would check out (tracked and new, not ignored), so the
build's ``*.egg-info`` never lands in the working tree.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import copy_checkout

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
# No pulumi CLI and no project venv: only the installed venv and the system's basics.
SYSTEM_PATH = "/usr/bin:/bin"


@dataclass(frozen=True)
class Installed:
    venv: Path
    checkout: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("PYTHONPATH", "ECR_REGISTRY", "VIRTUAL_ENV")}
        env["PATH"] = f"{self.venv / 'bin'}:{SYSTEM_PATH}"
        env.update(extra)
        return env

    def run(self, *argv: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(argv), cwd=cwd, env=self.env(**extra), capture_output=True,
                              text=True, timeout=300, check=False)


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    base = tmp_path_factory.mktemp("installed")
    checkout = copy_checkout(base / "infra-ecr")
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
         "--disable-pip-version-check", str(checkout)],
        cwd=base, capture_output=True, text=True, timeout=1200, check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"pip install {checkout} failed (PyPI reachable?):\n{done.stderr[-3000:]}")
    yield Installed(venv, checkout)
