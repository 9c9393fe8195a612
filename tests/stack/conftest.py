"""The stack tests share one xdist worker (tests/xdist_groups.py).

Each scenario's run of the program under mocks is made once per process and cached
(tests/stack/harness.py), and several test files assert on the same runs: spread over
workers, every worker would run them all again.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def program_runs() -> None:
    """Marks every test here as one of the program runs' (their worker group: ``stack``)."""
