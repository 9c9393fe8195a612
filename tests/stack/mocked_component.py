"""Build CostControls under Pulumi mocks in a fresh process and report what was declared, as JSON.

``test_cost_controls.py`` runs ``run_json`` through the stack tests' harness
(``tests/stack/harness.py``: one fresh process per scenario, forked from a server that has
already imported pulumi and pulumi_aws), so no Pulumi runtime state (root stack, settings,
pending RPCs) leaks from one program run into the next.  ``python -m
tests.stack.mocked_component '<scenario json>'`` does the same for debugging.

The JSON on stdout holds:
  ``resources``  every resource the mock engine was asked to create: type, name, inputs, parent;
  ``resolved``   the same resources' inputs as the program sees them, read through Output.apply,
                 plus the component's outputs; the parent test checks every entry it expects is
                 there, so an apply that never ran fails the test instead of skipping it;
  ``error``      the exception type and message when the component refused its input.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockMonitor

REGION = "af-south-1"
ACCOUNT_ID = "123456789012"


class RecordingMocks(pulumi.runtime.Mocks):
    """Mock engine that records resources and answers the invokes the AWS provider needs."""

    def __init__(self) -> None:
        self.resources: list[dict[str, Any]] = []
        self.calls: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.resources.append({"type": args.typ, "name": args.name, "inputs": args.inputs})
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        self.calls.append(args.token)
        answers: dict[str, dict[str, Any]] = {
            "aws:index/getRegion:getRegion": {"id": REGION, "name": REGION, "region": REGION},
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "AIDATEST",
            },
            "aws:index/getPartition:getPartition": {
                "id": "aws",
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
                "reverseDnsSuffix": "com.amazonaws",
            },
        }
        if args.token not in answers:
            raise NotImplementedError(f"mocked program made an unexpected invoke: {args.token}")
        return answers[args.token], None


class RecordingMonitor(MockMonitor):
    """Mock monitor that also records each resource's parent and every register_outputs."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.parents: dict[str, str] = {}  # urn -> parent urn
        self.registered_outputs: dict[str, dict[str, Any]] = {}  # urn -> outputs

    def RegisterResource(self, request: Any) -> Any:  # gRPC method name
        response = super().RegisterResource(request)
        self.parents[response.urn] = request.parent
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        self.registered_outputs[request.urn] = rpc.deserialize_properties(request.outputs)
        return super().RegisterResourceOutputs(request)


def _resolve(cost: Any, resolved: dict[str, Any]) -> pulumi.Output[Any]:
    """Read the component's outputs and its children's inputs through Output.apply."""
    from pulumi_aws import budgets, cloudwatch

    pending: list[pulumi.Output[Any]] = []

    def keep(key: str, value: Any) -> Any:
        resolved[key] = value
        return value

    for attr in ("budget_name", "dashboard_url"):
        output = getattr(cost, attr)
        if output is None:
            resolved[attr] = None
        else:
            pending.append(output.apply(lambda v, a=attr: keep(a, v)))

    budget: budgets.Budget | None = cost.budget
    if budget is not None:
        fields: dict[str, pulumi.Output[Any]] = {
            "name": budget.name,
            "budget_type": budget.budget_type,
            "time_unit": budget.time_unit,
            "limit_amount": budget.limit_amount,
            "limit_unit": budget.limit_unit,
            "account_id": budget.account_id,
            "cost_filters": budget.cost_filters,
            "cost_types": budget.cost_types,
            "notifications": budget.notifications,
            "tags": budget.tags,
        }
        for field, output in fields.items():
            pending.append(output.apply(functools.partial(_keep_plain, keep, f"budget.{field}")))
    dashboard: cloudwatch.Dashboard | None = cost.dashboard
    if dashboard is not None:
        pending.append(dashboard.dashboard_name.apply(lambda v: keep("dashboard.name", v)))
        pending.append(dashboard.dashboard_body.apply(lambda v: keep("dashboard.body", v)))
    return pulumi.Output.all(*pending)


def _keep_plain(keep: Callable[[str, Any], Any], key: str, value: Any) -> Any:
    return keep(key, _plain(value))


def _plain(value: Any) -> Any:
    """Output types (dict subclasses with snake_case getters) -> JSON-able data."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "__dict__") and not isinstance(value, str | int | float | bool):
        return {k: _plain(v) for k, v in vars(value).items() if not k.startswith("_")}
    return value


def run_json(scenario_json: str) -> str:
    """One scenario (CostControlsArgs fields as JSON) -> the report, as JSON."""
    scenario = json.loads(scenario_json)
    mocks = RecordingMocks()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(
        mocks, project="infra-ecr", stack="test", preview=False, monitor=monitor
    )

    from ecr.stack.cost import CostControls, CostControlsArgs

    resolved: dict[str, Any] = {}
    result: dict[str, Any] = {"error": None}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> pulumi.Output[Any]:
        cost = CostControls("cost", CostControlsArgs(**scenario))
        return _resolve(cost, resolved)

    try:
        program()
    except Exception as exc:  # reported to the parent test, which decides
        cause = exc.__cause__
        result["error"] = {
            "type": type(exc).__name__,
            "message": str(exc),
            "cause": type(cause).__name__ if cause else None,
        }
    result["resources"] = mocks.resources
    result["parents"] = monitor.parents
    result["registered_outputs"] = monitor.registered_outputs
    result["resolved"] = resolved
    result["calls"] = mocks.calls
    return json.dumps(result, default=repr)


def main(argv: list[str]) -> int:
    sys.stdout.write(run_json(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
