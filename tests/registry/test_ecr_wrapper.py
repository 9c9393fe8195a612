"""``scripts/ecr`` run for real against temporary venvs (``VENV=...``), never the shared one.

The temporary venv's ``bin/python`` is a logging stand-in that runs this test's Python
(so ``-m ecr`` works) and answers ``-m pip`` without installing anything; ``PYTHON`` is a
stand-in for ``python3 -m venv`` that creates it.  The logs show what the wrapper ran.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WRAPPER = ROOT / "scripts" / "ecr"
REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
CONVERTED = f"{REG}/docker-hub/library/nginx:1.27\n"

VENV_PYTHON = """#!/bin/sh
echo "python $*" >>"{log}"
[ "$1 $2" = "-m pip" ] && exit 0
exec "{real}" "$@"
"""
MAKE_VENV = """#!/bin/sh
echo "python3 $*" >>"{log}"
[ "$1 $2" = "-m venv" ] || exit 3
mkdir -p "$3/bin"
cat >"$3/bin/python" <<'EOF'
{venv_python}EOF
chmod 755 "$3/bin/python"
"""


@dataclass
class Setup:
    work: Path
    venv: Path
    log: Path
    python3: Path

    def run(self, *args: str, user: int | None = None) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k not in ("ECR_REGISTRY", "PYTHONPATH")}
        env.update(VENV=str(self.venv), PYTHON=str(self.python3))
        cmd = [str(WRAPPER), *args]
        if user is not None:
            cmd = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *cmd]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60,
                              check=False)

    def calls(self) -> list[str]:
        return self.log.read_text().splitlines() if self.log.exists() else []


# one test runs the wrapper from this checkout as another user: it must reach it
pytestmark = pytest.mark.usefixtures("checkout_reachable_by_others")


@pytest.fixture
def setup() -> Iterator[Setup]:
    # not tmp_path: its parents are private to root, and one test runs as another user
    work = Path(tempfile.mkdtemp(prefix="ecr-wrapper-"))
    work.chmod(0o755)
    log = work / "calls.log"
    venv_python = VENV_PYTHON.format(log=log, real=sys.executable)
    python3 = work / "python3"
    python3.write_text(MAKE_VENV.format(log=log, venv_python=venv_python))
    python3.chmod(0o755)
    try:
        yield Setup(work, work / "venv", log, python3)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _sha(*names: str) -> str:
    return hashlib.sha256(b"".join((ROOT / n).read_bytes() for n in names)).hexdigest()


def test_missing_stamp_builds_then_a_present_stamp_skips_every_check(setup: Setup) -> None:
    first = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert first.returncode == 0, first.stderr
    assert first.stdout == CONVERTED
    assert "preparing" in first.stderr
    assert setup.calls()[:3] == [
        f"python3 -m venv {setup.venv}",
        # the tools' requirements only: no Pulumi (setup-ecr.sh adds it for the stack)
        f"python -m pip install -q -r {ROOT}/requirements-tools.txt",
        f"python -m compileall -q {ROOT}/ecr",  # once, with the venv
    ]
    stamp = setup.venv / ".ecr-tools.sha256"
    # requirements-tools.txt's sha256, then the venv's Python
    py = ".".join(map(str, sys.version_info[:3]))
    assert stamp.read_text() == f"{_sha('requirements-tools.txt')}\npython {py}\n"

    setup.log.unlink()
    second = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert second.returncode == 0 and second.stdout == CONVERTED
    assert second.stderr == ""
    # one Python process, the command itself: no import check, no pip, no venv
    assert setup.calls() == [f"python -m ecr convert --registry {REG} nginx:1.27"]


FULL = ("requirements.txt", "requirements-tools.txt", "requirements-stack.txt")


@pytest.mark.parametrize(("name", "files"), [
    (".ecr-requirements.sha256", FULL),  # scripts/setup-ecr.sh's: the stack's full venv
    (".requirements.sha256", (*FULL, "requirements-dev.txt")),  # scripts/test.sh's
])
def test_a_full_venvs_stamp_is_accepted(setup: Setup, name: str, files: tuple[str, ...]) -> None:
    assert setup.run("convert", "--registry", REG, "nginx:1.27").returncode == 0
    (setup.venv / ".ecr-tools.sha256").unlink()
    (setup.venv / name).write_text(_sha(*files) + "\n")
    setup.log.unlink()
    done = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert done.returncode == 0 and done.stdout == CONVERTED
    assert setup.calls() == [f"python -m ecr convert --registry {REG} nginx:1.27"]

    # a full stamp of other requirements (requirements-stack.txt changed): the tools'
    # requirements are installed again, and their own stamp written
    (setup.venv / name).write_text("0" * 64 + "\n")
    os.utime(setup.venv / name, (946684800, 946684800))
    setup.log.unlink()
    again = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert again.returncode == 0 and again.stdout == CONVERTED
    assert f"python -m pip install -q -r {ROOT}/requirements-tools.txt" in setup.calls()
    assert (setup.venv / ".ecr-tools.sha256").exists()


def test_stamp_older_than_the_requirements_is_compared_by_hash(setup: Setup) -> None:
    assert setup.run("convert", "--registry", REG, "nginx:1.27").returncode == 0
    stamp = setup.venv / ".ecr-tools.sha256"
    os.utime(stamp, (946684800, 946684800))  # 2000: requirements-tools.txt changed since
    setup.log.unlink()
    same = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert same.returncode == 0 and same.stdout == CONVERTED
    assert setup.calls() == [f"python -m ecr convert --registry {REG} nginx:1.27"]

    stamp.write_text("0" * 64 + "\n")  # built from other requirements
    os.utime(stamp, (946684800, 946684800))
    setup.log.unlink()
    done = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert done.returncode == 0 and done.stdout == CONVERTED
    assert f"python -m pip install -q -r {ROOT}/requirements-tools.txt" in setup.calls()
    assert stamp.read_text().splitlines()[0] == _sha("requirements-tools.txt")


def test_unexecutable_venv_is_explained_not_rebuilt(setup: Setup) -> None:
    assert setup.run("convert", "--registry", REG, "nginx:1.27").returncode == 0
    python = setup.venv / "bin" / "python"
    python.chmod(0o644)
    before = python.read_bytes()
    setup.log.unlink()
    done = setup.run("convert", "--registry", REG, "nginx:1.27")
    assert done.returncode == 1
    assert done.stdout == ""
    assert f"{python} is not executable by this user" in done.stderr
    assert "not rebuilt over" in done.stderr and "VENV=" in done.stderr
    assert setup.calls() == []  # neither python3 -m venv nor pip ran
    assert python.read_bytes() == before and not os.access(python, os.X_OK)


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to run the wrapper as another user")
def test_another_users_private_venv_is_explained(setup: Setup) -> None:
    assert setup.run("convert", "--registry", REG, "nginx:1.27").returncode == 0
    setup.venv.chmod(0o700)  # root's venv, private
    setup.log.unlink()
    done = setup.run("convert", "--registry", REG, "nginx:1.27", user=65534)
    assert done.returncode == 1
    assert f"{setup.venv} is not readable by this user" in done.stderr
    assert "owner: root" in done.stderr
    assert setup.calls() == []
    assert stat.S_IMODE(setup.venv.stat().st_mode) == 0o700


LAZY_PROBE = """
import sys
from ecr.cli import main
assert main.main(["convert", "--registry", "{reg}", "nginx:1.27"]) == 0
roots = ("yaml", "boto3", "botocore", "urllib3", "helm_python", "subprocess")
heavy = [m for m in sys.modules if m.split(".")[0] in roots
         or m.startswith(("ecr.charts", "ecr.values", "ecr.registry", "ecr.aws"))]
print(sorted(heavy))
"""


def test_converting_one_reference_imports_no_yaml_helm_or_aws_code() -> None:
    """The fast path's imports, checked by name (the time is bench/convert.py's)."""
    done = subprocess.run([sys.executable, "-c", LAZY_PROBE.format(reg=REG)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [CONVERTED.strip(), "[]"]


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("setpriv") is None,
                    reason="needs root and setpriv to run the wrapper as another user")
def test_another_users_outdated_venv_is_explained_not_rebuilt(setup: Setup) -> None:
    assert setup.run("convert", "--registry", REG, "nginx:1.27").returncode == 0
    stamp = setup.venv / ".ecr-tools.sha256"
    stamp.unlink()  # it would need building, and this user may not write there
    setup.log.write_text("")
    setup.log.chmod(0o666)
    done = setup.run("convert", "--registry", REG, "nginx:1.27", user=65534)
    assert done.returncode == 1
    assert "built from other requirements and is not writable by this user" in done.stderr
    assert setup.calls() == []
    assert not stamp.exists()
