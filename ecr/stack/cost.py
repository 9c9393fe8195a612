"""CostControls: the optional budget alarm and the pull-count dashboard of the stack.

The component takes a ``CostControlsArgs`` of plain values (not the settings object) so it can
be built and tested on its own.  The decisions live in pure modules: ``ecr.policies.budget``
(what the budget counts and who it alerts) and ``ecr.policies.dashboard`` (the CloudWatch
dashboard JSON).  Inputs are checked there before any resource is declared, so a bad value
fails ``pulumi preview`` with a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import pulumi
import pulumi_aws as aws

from ecr.policies import budget, dashboard
from ecr.stack.common import child, renamed, type_token

# Registered under its own namespace before every token sat under infra-ecr:stack.
OLD_TYPE = "infra-ecr:cost:CostControls"


@dataclass(frozen=True)
class CostControlsArgs:
    monthly_budget_usd: float | Decimal | None
    alert_emails: Sequence[str]
    dashboard: bool
    cache_prefixes: Sequence[str]
    custom_repositories: Sequence[str]
    region: str
    account_id: str | None = None
    label: str | None = None  # names the budget and dashboard; default "<project>-<stack>"
    tags: Mapping[str, str] | None = None


class CostControlsError(pulumi.RunError):
    """A budget or dashboard value AWS would refuse.  A RunError, so ``pulumi preview`` shows
    the message alone, without a Python traceback."""


class CostControls(pulumi.ComponentResource):
    """An AWS Budgets cost budget (when an amount is given) and a CloudWatch dashboard (when on).

    Outputs: ``budget_name`` (None without a budget) and ``dashboard_url`` (None when off).
    """

    budget: aws.budgets.Budget | None
    dashboard: aws.cloudwatch.Dashboard | None
    budget_name: pulumi.Output[str] | None
    dashboard_url: pulumi.Output[str] | None

    def __init__(self, name: str, args: CostControlsArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # "<project>-<stack>" names the budget and the dashboard: unique per account as long
        # as stacks are, and recognisable in the Budgets and CloudWatch consoles.
        label = args.label or f"{pulumi.get_project()}-{pulumi.get_stack()}"

        # Validate everything before declaring anything, the component included: a bad value fails
        # the preview with its message and leaves nothing half-declared.
        try:
            spec = (
                budget.budget_spec(
                    label=label, amount_usd=args.monthly_budget_usd, emails=args.alert_emails
                )
                if args.monthly_budget_usd is not None
                else None
            )
            body = (
                dashboard.to_json_text(
                    dashboard.dashboard_body(
                        region=args.region,
                        cache_prefixes=args.cache_prefixes,
                        custom_repositories=args.custom_repositories,
                    )
                )
                if args.dashboard
                else None
            )
        except (budget.BudgetSpecError, dashboard.DashboardError) as error:
            raise CostControlsError(f"infra-ecr cost controls: {error}") from error

        super().__init__(type_token(CostControls), name, None, renamed(opts, old_type=OLD_TYPE))
        self.budget = None
        self.budget_name = None
        if spec is not None:
            self.budget = _budget(name, spec, account_id=args.account_id, tags=args.tags,
                                  opts=child(self))
            self.budget_name = self.budget.name

        self.dashboard = None
        self.dashboard_url = None
        if body is not None:
            self.dashboard = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=dashboard.dashboard_name(label),
                dashboard_body=body,
                opts=child(self),
            )
            region = args.region
            self.dashboard_url = self.dashboard.dashboard_name.apply(
                lambda dashboard_name: dashboard.dashboard_url(region, dashboard_name)
            )

        self.register_outputs(
            {"budget_name": self.budget_name, "dashboard_url": self.dashboard_url}
        )


def _budget(
    name: str,
    spec: budget.BudgetSpec,
    *,
    account_id: str | None,
    tags: Mapping[str, str] | None,
    opts: pulumi.ResourceOptions,
) -> aws.budgets.Budget:
    return aws.budgets.Budget(
        f"{name}-budget",
        name=spec.name,
        account_id=account_id,
        budget_type=spec.budget_type,
        time_unit=spec.time_unit,
        limit_amount=spec.limit_amount,
        limit_unit=spec.limit_unit,
        cost_filters=[
            aws.budgets.BudgetCostFilterArgs(name=key, values=list(values))
            for key, values in spec.cost_filters.items()
        ],
        cost_types=aws.budgets.BudgetCostTypesArgs(
            include_credit=spec.include_credit,
            include_refund=spec.include_refund,
        ),
        notifications=[
            aws.budgets.BudgetNotificationArgs(
                notification_type=n.notification_type,
                comparison_operator=n.comparison_operator,
                threshold=n.threshold,
                threshold_type=n.threshold_type,
                subscriber_email_addresses=list(n.emails),
            )
            for n in spec.notifications
        ],
        tags=dict(tags) if tags else None,
        opts=opts,
    )
