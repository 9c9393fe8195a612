"""The real ``__main__.py`` under Pulumi mocks: budget and dashboard on, off, and bad values.

Reuses the stack tests' harness (``tests/stack/harness.py``: one process per scenario, every
input and stack output resolved inside the run) and their scenarios: for every scenario the
program must deploy, the cost component holds exactly what the settings ask for, input by input
(``tests/stack/test_program.py`` leaves the component's resources and outputs to this module).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecr.config.settings import Settings
from ecr.policies import budget as budget_spec
from ecr.policies import dashboard as dashboard_body
from tests.policies.dashboard_checks import check_dashboard, search_expressions
from tests.stack.harness import (
    ACCOUNT,
    REGION,
    ProgramRun,
    Resource,
    prefetch,
    run_program,
    scenario,
    settings_of,
    shutdown,
)
from tests.stack.scenarios import GOOD

pytestmark = pytest.mark.timeout(300)

COMPONENT = "infra-ecr:stack:CostControls"
BUDGET = "aws:budgets/budget:Budget"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
EMAILS = ["ops@example.com", "finance@example.com"]

OURS: dict[str, dict[str, Any]] = {
    "on": scenario({"monthlyBudgetUsd": "25", "budgetAlertEmails": EMAILS}),
    "off": scenario({"dashboard": False}),
    "budget-no-dashboard": scenario(
        {"monthlyBudgetUsd": "12.5", "budgetAlertEmails": EMAILS[:1], "dashboard": False}
    ),
}
# (scenario, text the error must hold): the preview fails before any resource is registered.
BAD: dict[str, tuple[dict[str, Any], str]] = {
    "no-email": (scenario({"monthlyBudgetUsd": "25"}), "budgetAlertEmails"),
    "negative": (scenario({"monthlyBudgetUsd": "-5", "budgetAlertEmails": EMAILS}),
                 "monthlyBudgetUsd"),
    "zero": (scenario({"monthlyBudgetUsd": "0", "budgetAlertEmails": EMAILS}),
             "monthlyBudgetUsd"),
    "not-a-number": (scenario({"monthlyBudgetUsd": "lots", "budgetAlertEmails": EMAILS}),
                     "monthlyBudgetUsd"),
    "bad-email": (scenario({"monthlyBudgetUsd": "25", "budgetAlertEmails": ["ops@"]}),
                  "budgetAlertEmails"),
    "eleven-emails": (scenario({"monthlyBudgetUsd": "25", "budgetAlertEmails":
                                [f"u{i}@example.com" for i in range(11)]}),
                      "AWS Budgets allows 10"),
    "dashboard-not-bool": (scenario({"dashboard": "sometimes"}), "dashboard"),
}


@pytest.fixture(scope="module", autouse=True)
def _runs_in_parallel() -> Iterator[None]:
    prefetch([*OURS.values(), *(sc for sc, _ in BAD.values()), *GOOD.values()])
    yield
    shutdown()


def label_of(run: ProgramRun) -> str:
    return f"{run.scenario.get('project', 'infra-ecr')}-{run.scenario.get('stack', 'prod')}"


def cost_children(run: ProgramRun) -> list[Resource]:
    component = run.one(COMPONENT)
    assert component.parent.endswith("::pulumi:pulumi:Stack::" + label_of(run))
    return [r for r in run.resources if r.parent == component.urn]


def check_budget(run: ProgramRun, s: Settings, budget: Resource) -> None:
    assert s.monthly_budget_usd is not None
    inputs = budget.inputs
    assert inputs["name"] == f"{label_of(run)}-ecr-monthly"
    assert (inputs["budgetType"], inputs["timeUnit"]) == ("COST", "MONTHLY")
    assert inputs["limitAmount"] == budget_spec.limit_amount(s.monthly_budget_usd)
    assert inputs["limitUnit"] == "USD"
    assert inputs["accountId"] == run.scenario["account"]
    assert inputs["costFilters"] == [
        {"name": "Service",
         "values": ["Amazon EC2 Container Registry (ECR)", "AWS Secrets Manager"]}
    ]
    assert inputs["costTypes"] == {"includeCredit": False, "includeRefund": False}
    assert sorted(
        (n["notificationType"], n["comparisonOperator"], n["threshold"], n["thresholdType"])
        for n in inputs["notifications"]
    ) == [("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE"),
          ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE")]
    for notification in inputs["notifications"]:
        assert notification["subscriberEmailAddresses"] == list(s.budget_alert_emails)
    assert inputs["tags"]  # the stack's default tags
    assert set(inputs) == {"name", "budgetType", "timeUnit", "limitAmount", "limitUnit",
                           "accountId", "costFilters", "costTypes", "notifications", "tags"}
    assert run.outputs["budget_name"] == inputs["name"]


def check_dashboard_resource(run: ProgramRun, s: Settings, dashboard: Resource) -> None:
    region = run.scenario["region"]
    inputs = dashboard.inputs
    assert set(inputs) == {"dashboardName", "dashboardBody"}
    assert inputs["dashboardName"] == label_of(run)
    widgets = check_dashboard(json.loads(inputs["dashboardBody"]), region)
    custom_widgets = 1 if s.custom_repositories else 0
    assert len(widgets) == len(s.caches) + custom_widgets
    for prefix, widget in zip(s.caches, widgets, strict=False):
        assert widget["properties"]["title"] == f"Pulls per day: cache {prefix}/"
        [expression] = search_expressions(widget)
        assert f"RepositoryName={prefix}" in expression
    if custom_widgets:
        names = [row[3] for row in widgets[-1]["properties"]["metrics"]]
        assert names == sorted(s.custom_repositories)
    assert run.outputs["dashboard_url"] == dashboard_body.dashboard_url(region, label_of(run))


@pytest.mark.parametrize("name", sorted(GOOD))
def test_cost_component_follows_the_settings_in_every_stack_scenario(name: str) -> None:
    run = run_program(GOOD[name]).expect_ok()
    s = settings_of(run)
    children = {r.type: r for r in cost_children(run)}
    expected = {BUDGET} if s.monthly_budget_usd is not None else set()
    expected |= {DASHBOARD} if s.dashboard else set()
    assert set(children) == expected
    assert len(cost_children(run)) == len(expected)
    if BUDGET in children:
        check_budget(run, s, children[BUDGET])
    else:
        assert "budget_name" not in run.outputs
    if DASHBOARD in children:
        check_dashboard_resource(run, s, children[DASHBOARD])
    else:
        assert "dashboard_url" not in run.outputs


def test_budget_and_dashboard_on() -> None:
    run = run_program(OURS["on"]).expect_ok()
    children = {r.type: r for r in cost_children(run)}
    assert set(children) == {BUDGET, DASHBOARD}
    s = settings_of(run)
    check_budget(run, s, children[BUDGET])
    check_dashboard_resource(run, s, children[DASHBOARD])
    assert children[BUDGET].inputs["limitAmount"] == "25.00"
    assert children[BUDGET].inputs["accountId"] == ACCOUNT
    assert run.outputs["budget_name"] == "infra-ecr-prod-ecr-monthly"
    assert run.outputs["dashboard_url"] == (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        "#dashboards:name=infra-ecr-prod"
    )


def test_budget_and_dashboard_off() -> None:
    run = run_program(OURS["off"]).expect_ok()
    assert cost_children(run) == []
    assert run.of_type(BUDGET) == [] and run.of_type(DASHBOARD) == []
    assert "budget_name" not in run.outputs and "dashboard_url" not in run.outputs
    assert "ecr_registry_url" in run.outputs  # the rest of the stack is unaffected


def test_budget_without_dashboard() -> None:
    run = run_program(OURS["budget-no-dashboard"]).expect_ok()
    assert [r.type for r in cost_children(run)] == [BUDGET]
    assert run.one(BUDGET).inputs["limitAmount"] == "12.50"
    assert run.outputs["budget_name"] == "infra-ecr-prod-ecr-monthly"
    assert "dashboard_url" not in run.outputs


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_values_fail_the_preview_before_any_resource(name: str) -> None:
    scenario_, text = BAD[name]
    run = run_program(scenario_)
    assert run.error is not None, f"{name}: the program accepted a bad value"
    assert run.error["type"] == "RunError"  # pulumi shows the message alone, no traceback
    assert text in run.error["message"]
    assert run.resources == [], [r.type for r in run.resources]
