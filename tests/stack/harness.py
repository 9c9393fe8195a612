"""Run the Pulumi program under mocks in a process of its own; give tests plain data.

Each scenario runs in a fresh process (``tests/stack/runner.py``), so runs never
share Pulumi runtime state; results are cached per scenario, so several tests can
assert on one run.  Every value the program produced (resource inputs, stack
outputs) is resolved inside the run, so a test asserting on them cannot pass
because an ``Output.apply`` never ran.
"""

from __future__ import annotations

import json
import multiprocessing
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from ecr.config.settings import Settings, load_settings
from tests.stack.runner import run_json

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270"

ACCOUNT = "123456789012"
REGION = "af-south-1"
DOCKER_TOKEN = "dckr_pat_SENTINEL-dockerhub-9f3a"
GITHUB_TOKEN = "ghp_SENTINELgithubtoken0123456789"

# Credentials for the two caches that need them, set the way setup-ecr.sh sets them.
CREDENTIALS: dict[str, str] = {
    "dockerHubUsername": "dh-user",
    "dockerHubAccessToken": DOCKER_TOKEN,
    "githubUsername": "gh-user",
    "githubToken": GITHUB_TOKEN,
}
SECRET_KEYS = ("dockerHubAccessToken", "githubToken")


def is_secret_wrapper(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG_VALUE


def unwrap(value: Any) -> Any:
    """Raw protobuf inputs with the secret markers removed."""
    if is_secret_wrapper(value):
        return unwrap(value.get("value"))
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


@dataclass
class Resource:
    type: str
    name: str
    custom: bool
    parent: str
    urn: str
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    raw_inputs: dict[str, Any]
    state: dict[str, Any] | None
    aliases: list[dict[str, Any]]

    @property
    def inputs(self) -> dict[str, Any]:
        result = unwrap(self.raw_inputs)
        assert isinstance(result, dict)
        return result

    def json_input(self, key: str) -> Any:
        return json.loads(self.inputs[key])


@dataclass
class ProgramRun:
    scenario: dict[str, Any]
    resources: list[Resource]
    invokes: list[dict[str, Any]]
    outputs: dict[str, Any]
    secret_outputs: list[str]
    error: dict[str, str] | None
    logs: list[str]
    pid: int
    late_imports: list[str]  # modules the run loaded itself (tests/stack/runner.py preloads)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Resource:
        found = [r for r in self.of_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, got {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Resource:
        return next(r for r in self.resources if r.urn == urn)

    @property
    def warnings(self) -> list[str]:
        return [line for line in self.logs if line.startswith("WARNING")]

    def expect_ok(self) -> ProgramRun:
        assert self.error is None, self.error["traceback"]
        return self


def scenario(config: dict[str, Any] | None = None, *, credentials: bool = True,
             secret_keys: tuple[str, ...] = SECRET_KEYS, **extra: Any) -> dict[str, Any]:
    """A scenario: infra-ecr config (arrays as Python lists), plus mock AWS facts."""
    merged: dict[str, Any] = dict(CREDENTIALS) if credentials else {}
    merged.update(config or {})
    as_pulumi = {k: json.dumps(v) if isinstance(v, list | dict) else
                 (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in merged.items()}
    return {"config": as_pulumi, "secret_keys": [k for k in secret_keys if k in merged],
            "account": ACCOUNT, "region": REGION, **extra}


# One fresh process per scenario (max_tasks_per_child=1), forked from a server that has
# already imported pulumi and pulumi_aws: isolated like a subprocess, without paying the
# imports for each run.  Two workers: the machine has two cores.
_LOCK = threading.RLock()  # run_program may be called from several threads
_POOL: ProcessPoolExecutor | None = None
_FUTURES: dict[str, Future[str]] = {}
_RUNS: dict[str, ProgramRun] = {}


def _pool() -> ProcessPoolExecutor:
    global _POOL
    with _LOCK:
        if _POOL is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["tests.stack.runner"])
            _POOL = ProcessPoolExecutor(max_workers=2, mp_context=context,
                                        max_tasks_per_child=1)
        return _POOL


def in_fresh_process(function: Callable[[str], str], argument: str) -> Future[str]:
    """Run ``function(argument)`` in a fresh worker of the same pool (pulumi already
    imported): for other mocked programs, such as one component on its own."""
    with _LOCK:
        return _pool().submit(function, argument)


def _key(scenario_: dict[str, Any]) -> str:
    return json.dumps(scenario_, sort_keys=True)


def settings_of(run: ProgramRun) -> Settings:
    """The settings the program read: the scenario's config, its secret keys marked."""
    secret = {f"infra-ecr:{k}" for k in run.scenario["secret_keys"]}
    return load_settings(run.scenario["config"], secret)


def prefetch(scenarios: Iterable[dict[str, Any]]) -> None:
    """Start the runs now, in parallel; ``run_program`` then waits for each."""
    with _LOCK:
        for scenario_ in scenarios:
            key = _key(scenario_)
            if key not in _FUTURES:
                _FUTURES[key] = _pool().submit(run_json, key)


def run_program(scenario_: dict[str, Any]) -> ProgramRun:
    """The program's run for this scenario (run once per session, then reused)."""
    key = _key(scenario_)
    if key not in _RUNS:
        prefetch([scenario_])
        result = json.loads(_FUTURES[key].result(timeout=300))
        _RUNS[key] = ProgramRun(
            scenario=json.loads(key),
            resources=[Resource(**r) for r in result["resources"]],
            invokes=result["invokes"],
            outputs=result["outputs"],
            secret_outputs=result["secret_outputs"],
            error=result["error"],
            logs=result["logs"],
            pid=result["pid"],
            late_imports=result["late_imports"],
        )
    return _RUNS[key]


def all_runs() -> list[ProgramRun]:
    return list(_RUNS.values())


def shutdown() -> None:
    """Stop the workers (runs already finished stay cached)."""
    global _POOL
    with _LOCK:
        if _POOL is not None:
            _POOL.shutdown(cancel_futures=True)
            _POOL = None
            for key in [k for k, f in _FUTURES.items() if k not in _RUNS and f.cancelled()]:
                del _FUTURES[key]
