"""The cost budget as data: which services it counts, its limit and who it alerts.

Pure: no Pulumi, no AWS calls.  ``ecr/stack/cost.py`` turns a :class:`BudgetSpec` into an
``aws.budgets.Budget``; the tests check the spec without a Pulumi runtime.

What the budget counts, and what it does not (the README repeats this):

* It is an AWS Budgets COST budget on the *whole account's* charges for two services: Amazon
  ECR (storage of cached and custom images, in every region) and AWS Secrets Manager (the
  upstream credentials: about $0.40 per secret-month plus API calls).  Other stacks'
  repositories and secrets in the same account count too; AWS Budgets cannot filter by stack.
* It does not count the NAT gateway's data processing for the first pull of an image through
  the cache (billed under EC2, "EC2 - Other"), internet or cross-region transfer that AWS bills
  as data transfer rather than ECR, CloudWatch (the dashboard: about $3 a month beyond the
  account's three free dashboards), nor the nodes' own costs.  Same-region pulls are free.
* Credits and refunds are left out, so an account living on credits is still alerted on what
  it really uses.
* AWS refreshes budget figures a few times a day (typically every 8-24 hours): an alert can
  arrive a day after the spend, and the forecast alert needs some weeks of history.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The exact "Service" values AWS Budgets / Cost Explorer use for these services.
ECR_SERVICE = "Amazon EC2 Container Registry (ECR)"
SECRETS_MANAGER_SERVICE = "AWS Secrets Manager"
SERVICES: tuple[str, ...] = (ECR_SERVICE, SECRETS_MANAGER_SERVICE)

ACTUAL_ALERT_PERCENT = 80.0
FORECAST_ALERT_PERCENT = 100.0

# AWS Budgets: one notification has at most 10 email subscribers.
MAX_EMAIL_SUBSCRIBERS = 10
# AWS Budgets: a budget name is at most 100 characters, without ':' or '\\'.
BUDGET_NAME_MAX = 100
# The smallest limit AWS Budgets accepts is one cent; we round to cents.
_CENT = Decimal("0.01")

# Deliberately loose: one '@', no spaces, a dot in the domain.  A mistyped address silently
# loses every alert; this catches the common typos without rejecting real addresses.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_NAME_BAD = re.compile(r"[:\\]+")


class BudgetSpecError(ValueError):
    """A budget setting AWS would reject or that would never alert; the message says why."""


@dataclass(frozen=True)
class Notification:
    """One alert: ``notification_type`` spend above ``threshold`` percent of the limit."""

    notification_type: str  # ACTUAL | FORECASTED
    threshold: float
    emails: tuple[str, ...]
    comparison_operator: str = "GREATER_THAN"
    threshold_type: str = "PERCENTAGE"


@dataclass(frozen=True)
class BudgetSpec:
    """Everything the ``aws.budgets.Budget`` resource needs."""

    name: str
    limit_amount: str  # decimal string with cents, as the Budgets API returns it
    notifications: tuple[Notification, ...]
    services: tuple[str, ...] = SERVICES
    budget_type: str = "COST"
    time_unit: str = "MONTHLY"
    limit_unit: str = "USD"
    include_credit: bool = False
    include_refund: bool = False

    @property
    def cost_filters(self) -> dict[str, tuple[str, ...]]:
        """Budgets CostFilters: filter name -> values (values are ORed)."""
        return {"Service": self.services}


def limit_amount(amount_usd: float | Decimal) -> str:
    """``12.5`` -> ``"12.50"``; refuses amounts AWS would reject or that can never alert."""
    if isinstance(amount_usd, bool) or not isinstance(amount_usd, int | float | Decimal):
        raise BudgetSpecError(f"monthlyBudgetUsd must be a number, not {amount_usd!r}")
    # str() first: Decimal(12.345) would carry the float's binary error into the rounding.
    amount = amount_usd if isinstance(amount_usd, Decimal) else Decimal(str(amount_usd))
    if not amount.is_finite() or amount <= 0:
        raise BudgetSpecError(
            f"monthlyBudgetUsd must be a positive number of US dollars, not {amount_usd!r}"
        )
    cents = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    if cents <= 0:
        raise BudgetSpecError(f"monthlyBudgetUsd must be at least 0.01, not {amount_usd!r}")
    return str(cents)


def validated_emails(emails: Sequence[str]) -> tuple[str, ...]:
    """The alert addresses, de-duplicated in order; refuses none, too many or malformed ones."""
    if isinstance(emails, str):
        raise BudgetSpecError("budgetAlertEmails must be a list of addresses, not one string")
    unique = tuple(dict.fromkeys(e.strip() for e in emails))
    if not unique:
        raise BudgetSpecError(
            "monthlyBudgetUsd is set but budgetAlertEmails is empty: nobody would be alerted; "
            'set it, e.g. pulumi config set --path "budgetAlertEmails[0]" ops@example.com'
        )
    bad = [e for e in unique if not _EMAIL.match(e)]
    if bad:
        raise BudgetSpecError(f"budgetAlertEmails has invalid address(es): {', '.join(bad)}")
    if len(unique) > MAX_EMAIL_SUBSCRIBERS:
        raise BudgetSpecError(
            f"budgetAlertEmails has {len(unique)} addresses; AWS Budgets allows "
            f"{MAX_EMAIL_SUBSCRIBERS}: use a mailing list address"
        )
    return unique


def budget_name(label: str) -> str:
    """The budget's name from a stack label (unique per account, no ':' or '\\')."""
    name = _NAME_BAD.sub("-", f"{label}-ecr-monthly").strip("-")
    return name[:BUDGET_NAME_MAX]


def budget_spec(*, label: str, amount_usd: float | Decimal, emails: Sequence[str]) -> BudgetSpec:
    """The budget for a stack: ECR + Secrets Manager cost, alerts at 80% actual, 100% forecast."""
    amount = limit_amount(amount_usd)
    addresses = validated_emails(emails)
    return BudgetSpec(
        name=budget_name(label),
        limit_amount=amount,
        notifications=(
            Notification("ACTUAL", ACTUAL_ALERT_PERCENT, addresses),
            Notification("FORECASTED", FORECAST_ALERT_PERCENT, addresses),
        ),
    )
