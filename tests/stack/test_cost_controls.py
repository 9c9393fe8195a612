"""CostControls under Pulumi mocks: budget on/off, dashboard on/off, and every refused value.

Each scenario runs ``tests/stack/mocked_component.py`` in a fresh process of the stack tests'
harness (``tests/stack/harness.py``: forked from a server that imported pulumi once, instead
of a dozen interpreters each importing it): a Pulumi program run leaves global runtime state
behind, and a fresh process is the only reset that cannot miss any.  The child reports what
the mock engine received and what Output.apply resolved; the assertions run here, on data, and
each test first checks that the values it asserts on were actually resolved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ecr import catalogue
from tests.policies.dashboard_checks import check_dashboard, search_expressions
from tests.stack import mocked_component
from tests.stack.harness import in_fresh_process, shutdown

REGION = "af-south-1"
PROJECT_STACK = "infra-ecr-test"
COMPONENT = "infra-ecr:stack:CostControls"
BUDGET = "aws:budgets/budget:Budget"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

BASE: dict[str, Any] = {
    "monthly_budget_usd": 25,
    "alert_emails": ["ops@example.com", "finance@example.com"],
    "dashboard": True,
    "cache_prefixes": list(catalogue.DEFAULT_CACHES),
    "custom_repositories": ["custom-apps/web", "custom-apps/worker"],
    "region": REGION,
}

SCENARIOS: dict[str, dict[str, Any]] = {
    "both": {**BASE, "tags": {"team": "platform"}},
    "budget-only": {**BASE, "dashboard": False},
    "dashboard-only": {**BASE, "monthly_budget_usd": None, "alert_emails": []},
    "neither": {**BASE, "monthly_budget_usd": None, "dashboard": False},
    "account": {**BASE, "dashboard": False, "account_id": "210987654321", "label": "my:stack"},
    "bad-negative": {**BASE, "monthly_budget_usd": -1},
    "bad-zero": {**BASE, "monthly_budget_usd": 0},
    "bad-no-email": {**BASE, "alert_emails": []},
    "bad-email": {**BASE, "alert_emails": ["ops@example"]},
    "bad-eleven-emails": {**BASE, "alert_emails": [f"u{i}@example.com" for i in range(11)]},
    "bad-prefix": {**BASE, "monthly_budget_usd": None, "cache_prefixes": ["Docker Hub"]},
    "bad-repository": {**BASE, "monthly_budget_usd": None, "custom_repositories": ["it's"]},
    "bad-region": {**BASE, "monthly_budget_usd": None, "region": ""},
}


@pytest.fixture(scope="module")
def results() -> Iterator[dict[str, dict[str, Any]]]:
    """Run every scenario in a fresh process of the harness's pool; parse what each reports."""
    futures = {name: in_fresh_process(mocked_component.run_json, json.dumps(scenario))
               for name, scenario in SCENARIOS.items()}
    yield {name: json.loads(future.result(timeout=300)) for name, future in futures.items()}
    shutdown()


def by_type(result: dict[str, Any], typ: str) -> list[dict[str, Any]]:
    return [r for r in result["resources"] if r["type"] == typ]


def component_outputs(result: dict[str, Any]) -> dict[str, Any]:
    [urn] = [u for u in result["registered_outputs"] if u.endswith(f"{COMPONENT}::cost")]
    return dict(result["registered_outputs"][urn])


def resolved(result: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The apply-resolved values, after checking every expected one was resolved."""
    assert result["error"] is None, result["error"]
    assert keys <= set(result["resolved"]), f"never resolved: {keys - set(result['resolved'])}"
    return dict(result["resolved"])


BUDGET_KEYS = {
    f"budget.{k}"
    for k in ("name", "budget_type", "time_unit", "limit_amount", "limit_unit", "account_id",
              "cost_filters", "cost_types", "notifications", "tags")
}
DASHBOARD_KEYS = {"dashboard.name", "dashboard.body"}
OUTPUT_KEYS = {"budget_name", "dashboard_url"}


def check_budget_inputs(inputs: dict[str, Any], emails: list[str]) -> None:
    assert inputs["name"] == f"{PROJECT_STACK}-ecr-monthly"
    assert inputs["budgetType"] == "COST"
    assert inputs["timeUnit"] == "MONTHLY"
    assert inputs["limitAmount"] == "25.00"
    assert inputs["limitUnit"] == "USD"
    assert inputs["costFilters"] == [
        {"name": "Service",
         "values": ["Amazon EC2 Container Registry (ECR)", "AWS Secrets Manager"]}
    ]
    assert inputs["costTypes"] == {"includeCredit": False, "includeRefund": False}
    notes = sorted(inputs["notifications"], key=lambda n: n["notificationType"])
    assert notes == [
        {"notificationType": "ACTUAL", "comparisonOperator": "GREATER_THAN", "threshold": 80.0,
         "thresholdType": "PERCENTAGE", "subscriberEmailAddresses": emails},
        {"notificationType": "FORECASTED", "comparisonOperator": "GREATER_THAN",
         "threshold": 100.0, "thresholdType": "PERCENTAGE", "subscriberEmailAddresses": emails},
    ]


def check_dashboard_inputs(inputs: dict[str, Any]) -> None:
    assert inputs["dashboardName"] == PROJECT_STACK
    widgets = check_dashboard(json.loads(inputs["dashboardBody"]), REGION)
    caches, custom = widgets[: len(catalogue.DEFAULT_CACHES)], widgets[-1]
    assert len(widgets) == len(catalogue.DEFAULT_CACHES) + 1
    for prefix, widget in zip(catalogue.DEFAULT_CACHES, caches, strict=True):
        [expression] = search_expressions(widget)
        assert f"RepositoryName={prefix}'," in expression
    assert [row[3] for row in custom["properties"]["metrics"]] == [
        "custom-apps/web", "custom-apps/worker"
    ]


def check_children(result: dict[str, Any], types: list[str]) -> None:
    """Exactly the component and ``types``, each child parented to the component."""
    # The component registers first; its children in whatever order the runtime settles them.
    assert result["resources"][0]["type"] == COMPONENT
    assert sorted(r["type"] for r in result["resources"][1:]) == sorted(types)
    component_urn = next(u for u in result["parents"] if u.endswith(f"{COMPONENT}::cost"))
    children = [u for u, parent in result["parents"].items() if parent == component_urn]
    assert sorted(u.split("::")[-2].split("$")[-1] for u in children) == sorted(types)
    assert result["calls"] == []  # nothing in the component needs an invoke


def test_budget_and_dashboard(results):
    result = results["both"]
    check_children(result, [BUDGET, DASHBOARD])
    [budget] = by_type(result, BUDGET)
    check_budget_inputs(budget["inputs"], BASE["alert_emails"])
    assert budget["inputs"]["tags"] == {"team": "platform"}
    assert "accountId" not in budget["inputs"]
    [dashboard] = by_type(result, DASHBOARD)
    check_dashboard_inputs(dashboard["inputs"])

    values = resolved(result, BUDGET_KEYS | DASHBOARD_KEYS | OUTPUT_KEYS)
    url = (f"https://{REGION}.console.aws.amazon.com/cloudwatch/home?region={REGION}"
           f"#dashboards:name={PROJECT_STACK}")
    assert values["budget_name"] == values["budget.name"] == f"{PROJECT_STACK}-ecr-monthly"
    assert values["dashboard_url"] == url
    assert values["budget.limit_amount"] == "25.00"
    assert values["budget.cost_filters"] == [
        {"name": "Service",
         "values": ["Amazon EC2 Container Registry (ECR)", "AWS Secrets Manager"]}
    ]
    assert [n["notification_type"] for n in values["budget.notifications"]] == [
        "ACTUAL", "FORECASTED"
    ]
    assert values["budget.cost_types"] == {"include_credit": False, "include_refund": False}
    assert values["dashboard.body"] == dashboard["inputs"]["dashboardBody"]
    assert component_outputs(result) == {
        "budget_name": f"{PROJECT_STACK}-ecr-monthly", "dashboard_url": url
    }


def test_budget_without_dashboard(results):
    result = results["budget-only"]
    check_children(result, [BUDGET])
    [budget] = by_type(result, BUDGET)
    check_budget_inputs(budget["inputs"], BASE["alert_emails"])
    values = resolved(result, BUDGET_KEYS | OUTPUT_KEYS)
    assert values["dashboard_url"] is None
    assert not DASHBOARD_KEYS & set(values)
    assert component_outputs(result).get("dashboard_url") is None
    assert component_outputs(result)["budget_name"] == f"{PROJECT_STACK}-ecr-monthly"


def test_dashboard_without_budget(results):
    result = results["dashboard-only"]
    check_children(result, [DASHBOARD])
    [dashboard] = by_type(result, DASHBOARD)
    check_dashboard_inputs(dashboard["inputs"])
    values = resolved(result, DASHBOARD_KEYS | OUTPUT_KEYS)
    assert values["budget_name"] is None
    assert not BUDGET_KEYS & set(values)
    assert component_outputs(result).get("budget_name") is None


def test_neither_declares_only_the_empty_component(results):
    result = results["neither"]
    check_children(result, [])
    values = resolved(result, OUTPUT_KEYS)
    assert values == {"budget_name": None, "dashboard_url": None}


def test_explicit_account_and_label(results):
    result = results["account"]
    [budget] = by_type(result, BUDGET)
    assert budget["inputs"]["accountId"] == "210987654321"
    assert budget["inputs"]["name"] == "my-stack-ecr-monthly"  # ':' is not allowed by AWS
    assert resolved(result, {"budget.account_id"})["budget.account_id"] == "210987654321"


@pytest.mark.parametrize(
    ("scenario", "cause", "message"),
    [
        ("bad-negative", "BudgetSpecError", "must be a positive number"),
        ("bad-zero", "BudgetSpecError", "must be a positive number"),
        ("bad-no-email", "BudgetSpecError", "budgetAlertEmails is empty"),
        ("bad-email", "BudgetSpecError", "invalid address(es): ops@example"),
        ("bad-eleven-emails", "BudgetSpecError", "AWS Budgets allows 10"),
        ("bad-prefix", "DashboardError", "cache prefix 'Docker Hub'"),
        ("bad-repository", "DashboardError", "single quote"),
        ("bad-region", "DashboardError", "region"),
    ],
)
def test_bad_values_fail_before_anything_is_declared(results, scenario, cause, message):
    result = results[scenario]
    assert result["error"] is not None, "the component accepted a bad value"
    # A RunError subclass: pulumi prints the message alone, without a traceback.
    assert result["error"]["type"] == "CostControlsError"
    assert result["error"]["cause"] == cause
    assert result["error"]["message"].startswith("infra-ecr cost controls: ")
    assert message in result["error"]["message"]
    assert result["resources"] == []  # not even the component
