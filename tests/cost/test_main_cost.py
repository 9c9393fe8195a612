"""The real ``__main__.py`` under Pulumi mocks: budget and dashboard on, off, and bad values.

Reuses the stack tests' harness (``tests/stack/harness.py``): one subprocess per scenario, every
input and stack output resolved inside the run.  The scenarios are started together on a thread
pool (each is a subprocess) to keep the suite quick.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ecr import catalogue
from tests.cost.dashboard_checks import check_dashboard, search_expressions
from tests.stack.harness import REGION, ProgramRun, run_program, scenario

COMPONENT = "infra-ecr:cost:CostControls"
BUDGET = "aws:budgets/budget:Budget"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
LABEL = "infra-ecr-prod"  # project-stack the runner uses
EMAILS = ["ops@example.com", "finance@example.com"]

SCENARIOS: dict[str, dict[str, Any]] = {
    "on": scenario({"monthlyBudgetUsd": "25", "budgetAlertEmails": EMAILS}),
    "defaults": scenario(),
    "off": scenario({"dashboard": False}),
    "budget-no-dashboard": scenario(
        {"monthlyBudgetUsd": "12.5", "budgetAlertEmails": EMAILS[:1], "dashboard": False}
    ),
    "bad-no-email": scenario({"monthlyBudgetUsd": "25"}),
    "bad-negative": scenario({"monthlyBudgetUsd": "-5", "budgetAlertEmails": EMAILS}),
    "bad-not-a-number": scenario({"monthlyBudgetUsd": "lots", "budgetAlertEmails": EMAILS}),
    "bad-email": scenario({"monthlyBudgetUsd": "25", "budgetAlertEmails": ["ops@"]}),
    "bad-eleven-emails": scenario(
        {"monthlyBudgetUsd": "25", "budgetAlertEmails": [f"u{i}@example.com" for i in range(11)]}
    ),
    "bad-dashboard": scenario({"dashboard": "sometimes"}),
}


@pytest.fixture(scope="module")
def runs() -> dict[str, ProgramRun]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = dict(zip(SCENARIOS, pool.map(run_program, SCENARIOS.values()), strict=True))
    return done


def cost_children(run: ProgramRun) -> list[Any]:
    component = run.one(COMPONENT)
    return [r for r in run.resources if r.parent == component.urn]


def test_budget_and_dashboard_are_declared_and_exported(runs):
    run = runs["on"].expect_ok()
    assert sorted(r.type for r in cost_children(run)) == [BUDGET, DASHBOARD]

    budget = run.one(BUDGET).inputs
    assert budget["name"] == f"{LABEL}-ecr-monthly"
    assert budget["budgetType"] == "COST" and budget["timeUnit"] == "MONTHLY"
    assert (budget["limitAmount"], budget["limitUnit"]) == ("25.00", "USD")
    assert budget["costFilters"] == [
        {"name": "Service",
         "values": ["Amazon EC2 Container Registry (ECR)", "AWS Secrets Manager"]}
    ]
    assert budget["accountId"] == "123456789012"
    assert sorted((n["notificationType"], n["threshold"]) for n in budget["notifications"]) == [
        ("ACTUAL", 80.0), ("FORECASTED", 100.0)
    ]
    assert all(n["subscriberEmailAddresses"] == EMAILS for n in budget["notifications"])

    dashboard = run.one(DASHBOARD).inputs
    assert dashboard["dashboardName"] == LABEL
    widgets = check_dashboard(json.loads(dashboard["dashboardBody"]), REGION)
    assert len(widgets) == len(catalogue.DEFAULT_CACHES) + 1  # + the default custom-apps
    for prefix, widget in zip(catalogue.DEFAULT_CACHES, widgets, strict=False):
        [expression] = search_expressions(widget)
        assert f"RepositoryName={prefix}'," in expression
    assert widgets[-1]["properties"]["metrics"][0][3] == "custom-apps"

    assert run.outputs["budget_name"] == f"{LABEL}-ecr-monthly"
    assert run.outputs["dashboard_url"] == (
        f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
        f"#dashboards:name={LABEL}"
    )


def test_defaults_dashboard_on_no_budget(runs):
    run = runs["defaults"].expect_ok()
    assert [r.type for r in cost_children(run)] == [DASHBOARD]
    assert run.of_type(BUDGET) == []
    assert "budget_name" not in run.outputs
    assert run.outputs["dashboard_url"].endswith(f"#dashboards:name={LABEL}")


def test_everything_off(runs):
    run = runs["off"].expect_ok()
    assert cost_children(run) == []
    assert run.of_type(BUDGET) == [] and run.of_type(DASHBOARD) == []
    assert "budget_name" not in run.outputs and "dashboard_url" not in run.outputs
    # The rest of the stack is unaffected.
    assert "ecr_registry_url" in run.outputs


def test_budget_without_dashboard(runs):
    run = runs["budget-no-dashboard"].expect_ok()
    assert [r.type for r in cost_children(run)] == [BUDGET]
    assert run.one(BUDGET).inputs["limitAmount"] == "12.50"
    assert run.outputs["budget_name"] == f"{LABEL}-ecr-monthly"
    assert "dashboard_url" not in run.outputs


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad-no-email", "budgetAlertEmails"),
        ("bad-negative", "monthlyBudgetUsd"),
        ("bad-not-a-number", "monthlyBudgetUsd"),
        ("bad-email", "budgetAlertEmails"),
        ("bad-eleven-emails", "AWS Budgets allows 10"),
        ("bad-dashboard", "dashboard"),
    ],
)
def test_bad_values_fail_the_preview_before_any_resource(runs, name, message):
    run = runs[name]
    assert run.error is not None, f"{name}: the program accepted a bad value"
    assert run.error["type"] == "RunError" or run.error["type"].endswith("Error")
    assert message in run.error["message"]
    assert run.resources == [], [r.type for r in run.resources]
