"""The once-per-run fixtures (``tests/conftest.py`` ``ONE_WORKER_FIXTURES``) really share one
worker under ``scripts/test.sh``'s ``-n auto --dist loadgroup``.

pytest 9.2 silently stopped pytest-xdist from grouping (pytest-xdist#1386): the registries
were then built once per worker and the checkout's modes put back under another worker's
running tests.  This runs a small suite with the project's own collection hook, the way
scripts/test.sh runs the real one, and reads where each test ran.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ONE_WORKER_FIXTURES, ROOT

SUITE = '''
import pytest

@pytest.fixture(scope="session")
def {fixture}():
    return None

@pytest.mark.parametrize("n", range(8))
def test_grouped({fixture}, n):
    pass

@pytest.mark.parametrize("n", range(8))
def test_free(n):
    pass
'''


@pytest.mark.parametrize("fixture", sorted(ONE_WORKER_FIXTURES))
def test_tests_of_a_once_per_run_fixture_run_on_one_worker(fixture: str, tmp_path: Path) -> None:
    pytest.importorskip("xdist")
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import pytest_collection_modifyitems  # noqa: F401\n")
    (tmp_path / "test_suite.py").write_text(SUITE.format(fixture=fixture))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
         "-p", "no:cacheprovider", "-p", "no:randomly", str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ran = re.findall(r"\[(gw\d+)\] .*?(test_grouped\S*|test_free\S*)", done.stdout)
    grouped = {worker for worker, test in ran if test.startswith("test_grouped")}
    assert len([t for _, t in ran if t.startswith("test_grouped")]) == 8, done.stdout
    group = ONE_WORKER_FIXTURES[fixture]
    assert all(t.endswith(f"@{group}") for _, t in ran if t.startswith("test_grouped")), \
        done.stdout
    assert len(grouped) == 1, f"{fixture}'s tests ran on {sorted(grouped)}:\n{done.stdout}"
