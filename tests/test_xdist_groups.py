"""The once-per-run fixtures (``tests/xdist_groups.py`` ``ONE_WORKER_FIXTURES``) really share one
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

import pytest

from tests.conftest import ROOT
from tests.xdist_groups import ONE_WORKER_FIXTURES

# One test function per once-per-run fixture, each using it in 8 tests, and 8 free tests.
FIXTURE = """
@pytest.fixture(scope="session")
def {fixture}():
    return None

@pytest.mark.parametrize("n", range(8))
def test_grouped_{fixture}({fixture}, n):
    pass
"""
FREE = """
@pytest.mark.parametrize("n", range(8))
def test_free(n):
    pass
"""


@pytest.fixture(scope="module")
def placement(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, str]]]:
    """Each test function of the small suite: where its tests ran, and under which group
    name.  One run for every fixture: a nested pytest with workers costs seconds."""
    pytest.importorskip("xdist")
    where = tmp_path_factory.mktemp("xdist-groups")
    (where / "conftest.py").write_text(
        "from tests.xdist_groups import pytest_collection_modifyitems  # noqa: F401\n")
    (where / "test_suite.py").write_text("import pytest\n" + "".join(
        FIXTURE.format(fixture=fixture) for fixture in sorted(ONE_WORKER_FIXTURES)) + FREE)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-v",
         "-p", "no:cacheprovider", "-p", "no:randomly", str(where)],
        cwd=where, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ran: dict[str, list[tuple[str, str]]] = {}
    for worker, function, node in re.findall(
            r"\[(gw\d+)\] .*?::(test_\w+)(\S*)", done.stdout):
        ran.setdefault(function, []).append((worker, node))
    assert len(ran.get("test_free", [])) == 8, done.stdout
    return ran


@pytest.mark.parametrize("fixture", sorted(ONE_WORKER_FIXTURES))
def test_tests_of_a_once_per_run_fixture_run_on_one_worker(
    fixture: str, placement: dict[str, list[tuple[str, str]]]
) -> None:
    ran = placement.get(f"test_grouped_{fixture}", [])
    assert len(ran) == 8, placement
    group = ONE_WORKER_FIXTURES[fixture]
    assert all(node.endswith(f"@{group}") for _, node in ran), ran
    workers = {worker for worker, _ in ran}
    assert len(workers) == 1, f"{fixture}'s tests ran on {sorted(workers)}: {ran}"
