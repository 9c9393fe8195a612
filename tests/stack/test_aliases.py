"""``pulumi preview`` on an existing stack replaces nothing: every URN the program registered
before the components took ``*Args`` and their tokens matched their class names
(``data/urns-before-args.json``, recorded from that commit) is still registered, or is an
alias of a resource registered now (children follow their parent's aliases, as the engine
computes them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack.harness import ProgramRun, Resource, prefetch, run_program, shutdown
from tests.stack.scenarios import GOOD

BEFORE: dict[str, list[str]] = json.loads(
    (Path(__file__).parent / "data" / "urns-before-args.json").read_text())

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module", autouse=True)
def _runs_in_parallel() -> Iterator[None]:
    prefetch([GOOD[name] for name in BEFORE])
    yield
    shutdown()


def make_urn(parent_urn: str, type_: str, name: str) -> str:
    """The URN of ``type_``/``name`` under ``parent_urn``, formed as the mock monitor forms it
    (``MockMonitor.make_urn``: the parent's own type, then this one), which also formed the
    recorded URNs."""
    stack, project, qualified_parent = parent_urn.split("::")[:3]
    return f"{stack}::{project}::{qualified_parent.split('$')[-1]}${type_}::{name}"


def urns_of(run: ProgramRun) -> dict[str, set[str]]:
    """Each registered resource's URN -> every URN it answers to (its own and its aliases')."""
    by_urn = {r.urn: r for r in run.resources}
    memo: dict[str, set[str]] = {}

    def candidates(resource: Resource) -> set[str]:
        if resource.urn not in memo:
            parent = by_urn.get(resource.parent)
            parents = {resource.parent} | (candidates(parent) if parent else set())
            forms = {(resource.type, resource.name)}
            for alias in resource.aliases:
                spec = alias["spec"]
                assert not spec.get("parentUrn") and not spec.get("noParent"), alias
                forms.add((spec.get("type", resource.type), spec.get("name", resource.name)))
            memo[resource.urn] = {make_urn(p, t, n) for p in parents for t, n in forms}
        return memo[resource.urn]

    return {r.urn: candidates(r) for r in run.resources}


def test_the_recorded_urns_cover_every_scenario() -> None:
    # scenarios added after the layout move have no URNs from before it
    assert set(BEFORE) == set(GOOD) - {"pruning-off", "alerts-without-budget", "prune-dry-run"}


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_every_old_urn_is_registered_or_aliased(name: str) -> None:
    run = run_program(GOOD[name]).expect_ok()
    answers = urns_of(run)
    covered = {old: [urn for urn, urns in answers.items() if old in urns] for old in BEFORE[name]}
    assert {old: found for old, found in covered.items() if len(found) != 1} == {}
    # And the aliases were needed: some resources did move.
    assert any(old not in answers for old in BEFORE[name])


def test_the_alias_computation_is_live() -> None:
    """A URN nobody registered, nor aliased, is not covered."""
    run = run_program(GOOD["defaults"]).expect_ok()
    answers = set().union(*urns_of(run).values())
    assert ("urn:pulumi:prod::infra-ecr::pulumi:pulumi:Stack$infra-ecr:stack:PrivateRepositories"
            "::private-repositories") in answers
    assert ("urn:pulumi:prod::infra-ecr::pulumi:pulumi:Stack$infra-ecr:stack:Elsewhere"
            "::private-repositories") not in answers
