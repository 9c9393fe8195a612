"""The budget as data: services, thresholds, limit formatting and every refused value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ecr.policies import budget as bs


def spec(amount=25, emails=("ops@example.com",), label="infra-ecr-prod"):
    return bs.budget_spec(label=label, amount_usd=amount, emails=list(emails))


def test_budget_counts_ecr_and_secrets_manager_monthly_in_usd():
    s = spec()
    assert s.name == "infra-ecr-prod-ecr-monthly"
    assert (s.budget_type, s.time_unit, s.limit_unit) == ("COST", "MONTHLY", "USD")
    assert s.limit_amount == "25.00"
    # The exact Service names AWS Budgets / Cost Explorer use.
    assert s.cost_filters == {
        "Service": ("Amazon EC2 Container Registry (ECR)", "AWS Secrets Manager")
    }
    assert (s.include_credit, s.include_refund) == (False, False)


def test_alerts_at_80_percent_actual_and_100_percent_forecast():
    s = spec(emails=["a@example.com", "b@example.org"])
    assert [(n.notification_type, n.comparison_operator, n.threshold, n.threshold_type)
            for n in s.notifications] == [
        ("ACTUAL", "GREATER_THAN", 80.0, "PERCENTAGE"),
        ("FORECASTED", "GREATER_THAN", 100.0, "PERCENTAGE"),
    ]
    assert all(n.emails == ("a@example.com", "b@example.org") for n in s.notifications)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (100, "100.00"),
        (12.5, "12.50"),
        (12.345, "12.35"),
        (0.01, "0.01"),
        (1e6, "1000000.00"),
        (Decimal("12.5"), "12.50"),  # what ecr.config.settings gives
        (Decimal("7"), "7.00"),
    ],
)
def test_limit_amount_is_a_decimal_string_in_cents(amount, text):
    assert bs.limit_amount(amount) == text


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (-5, "positive"),
        (0, "positive"),
        (0.001, "at least 0.01"),
        (float("nan"), "positive"),
        (float("inf"), "positive"),
        (True, "must be a number"),
        ("10", "must be a number"),
        (Decimal("NaN"), "positive"),
        (Decimal("-1"), "positive"),
    ],
)
def test_bad_amounts_are_refused(amount, message):
    with pytest.raises(bs.BudgetSpecError, match=message):
        spec(amount=amount)


def test_no_email_is_refused_with_how_to_set_one():
    with pytest.raises(bs.BudgetSpecError, match="budgetAlertEmails is empty") as info:
        spec(emails=[])
    assert "pulumi config set" in str(info.value)


@pytest.mark.parametrize(
    "email", ["ops", "ops@", "@example.com", "ops@example", "o ps@example.com", "a@b@c.com", ""]
)
def test_malformed_emails_are_refused(email):
    with pytest.raises(bs.BudgetSpecError, match="invalid address"):
        spec(emails=["ok@example.com", email])


def test_emails_are_trimmed_and_deduplicated_and_limited_to_ten():
    s = spec(emails=[" ops@example.com", "ops@example.com", "dev@example.com "])
    assert s.notifications[0].emails == ("ops@example.com", "dev@example.com")
    ten = [f"u{i}@example.com" for i in range(10)]
    assert len(spec(emails=ten).notifications[0].emails) == 10
    with pytest.raises(bs.BudgetSpecError, match="allows 10"):
        spec(emails=[*ten, "u10@example.com"])


def test_one_string_instead_of_a_list_is_refused():
    with pytest.raises(bs.BudgetSpecError, match="list of addresses"):
        bs.validated_emails("ops@example.com")


def test_budget_name_is_valid_for_aws():
    assert bs.budget_name("a:b\\c") == "a-b-c-ecr-monthly"
    assert len(bs.budget_name("x" * 300)) == bs.BUDGET_NAME_MAX
