"""Which tests share one xdist worker (``scripts/test.sh`` runs ``--dist loadgroup``).

Kept apart from ``tests/conftest.py`` (no botocore, no project imports), so the nested run of
``tests/test_xdist_groups.py`` starts in a fraction of a second.
"""

from __future__ import annotations

import pytest

# Session fixtures that must exist once per run, not once per xdist worker: their tests
# share one worker (scripts/test.sh runs ``--dist loadgroup``).  The checkout's modes are
# changed and put back by one process, never put back under another's running tests; the
# registries are built (skopeo pushes) once; the pre-commit hooks' environment, which is also
# the installed tool's (tests/packaging: installs from PyPI), is built once, on one worker,
# while the other workers run the rest.  The Pulumi program's runs under mocks are cached
# per process (tests/stack/harness.py): the stack tests share one worker, which runs each
# scenario once.
ONE_WORKER_FIXTURES = {"checkout_reachable_by_others": "checkout-modes", "world": "registries",
                       "installed": "packaging", "hooks": "packaging", "program_runs": "stack"}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups off the items
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        for fixture, group in ONE_WORKER_FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.xdist_group(group))
                break
