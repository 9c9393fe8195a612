"""Run the real ``__main__.py`` under Pulumi mocks, in a process of its own.

``run_json`` (what ``tests/stack/harness.py`` calls in a fresh worker process),
or ``python -m tests.stack.runner`` with a JSON scenario on stdin (for
debugging; prints the result after a marker line), returns every registered
resource (inputs, raw protobuf inputs with secret markers, options), every
invoke, every stack output (resolved) and the error, if any.

A fresh process per scenario is the isolation: the Pulumi runtime keeps global
state (settings, root stack, config context vars) that leaks between programs
run in one process.  The mocks answer the invokes the program makes the way AWS
would, from the scenario: which IAM roles exist, which EKS clusters and managed
node groups there are.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import runpy
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import grpc  # type: ignore[import-untyped]
import pulumi
import pulumi_aws
from google.protobuf import json_format  # type: ignore[import-untyped]
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import get_root_resource
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from tests.stack import eks_answers

ROOT = Path(__file__).resolve().parents[2]
MARKER = "----- infra-ecr stack runner result -----"

# Loaded here, once, in the fork server every run is forked from: the program's own modules and
# the pulumi_aws packages it declares resources from.  pulumi_aws loads a package on its first
# use, which would cost each run more than the run itself.  A run reports any module it still
# had to load (``late_imports``), and tests/stack/test_program.py wants none.
PROGRAM_MODULES = ("ecr.stack.cache_rules", "ecr.stack.config_source", "ecr.stack.cost",
                   "ecr.stack.credentials", "ecr.stack.node_access", "ecr.stack.pruner",
                   "ecr.stack.registry_policy", "ecr.stack.replication",
                   "ecr.stack.repositories", "ecr.stack.scanning", "ecr.stack.templates",
                   "ecr.policies.lifecycle")
AWS_PACKAGES = ("budgets", "cloudwatch", "ecr", "eks", "iam", "lambda_", "scheduler",
                "secretsmanager", "sns")
with warnings.catch_warnings():  # pulumi_aws.lambda_ warns of resources the program never uses
    warnings.simplefilter("ignore", DeprecationWarning)
    for _module in PROGRAM_MODULES:
        importlib.import_module(_module)
    for _package in AWS_PACKAGES:
        hasattr(getattr(pulumi_aws, _package), "__all__")  # reading an attribute loads it
WATCHED = ("ecr", "pulumi", "pulumi_aws")  # late_imports: modules of these, loaded by a run


class InvokeFailed(grpc.RpcError):  # type: ignore[misc]
    """How a failed provider invoke reaches the program from the real engine: a gRPC
    error, which the SDK turns into ``Exception("invoke of <token> failed: ...")``."""

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return self._details


class AwsMocks(pulumi_mocks.Mocks):
    """Answers resource registrations and invokes like AWS would for the scenario."""

    def __init__(self, scenario: dict[str, Any]) -> None:
        self.account = scenario.get("account", "123456789012")
        self.region = scenario.get("region", "af-south-1")
        self.partition = scenario.get("partition", "aws")
        self.roles: list[str] = scenario.get("roles", [])
        self.clusters: dict[str, dict[str, str]] = scenario.get("clusters", {})
        self.invokes: list[dict[str, Any]] = []

    def call(self, args: pulumi_mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        self.invokes.append({"token": args.token, "args": _plain(args.args)})
        token, a = args.token, args.args
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:{self.partition}:sts::{self.account}:assumed-role/deployer/session"
            return {"accountId": self.account, "arn": arn, "userId": "AROAEXAMPLE:session",
                    "id": self.account}
        if token == "aws:index/getRegion:getRegion":
            return {"name": self.region, "region": self.region, "id": self.region,
                    "endpoint": f"ec2.{self.region}.amazonaws.com",
                    "description": "mock region"}
        if token == "aws:iam/getRole:getRole":
            name = a["name"]
            if name not in self.roles:
                # What the provider reports for a missing role.
                raise InvokeFailed(
                    f"reading IAM Role ({name}): operation error IAM: GetRole, "
                    f"NoSuchEntity: The role with name {name} cannot be found.")
            return {"name": name, "arn": f"arn:{self.partition}:iam::{self.account}:role/{name}",
                    "id": name, "uniqueId": "AROAEXAMPLE", "path": "/",
                    "assumeRolePolicy": "{}", "description": "", "maxSessionDuration": 3600,
                    "permissionsBoundary": "", "roleLastUseds": [], "tags": {},
                    "createDate": "2024-01-01T00:00:00Z"}
        if token == "aws:eks/getNodeGroups:getNodeGroups":
            cluster = a["clusterName"]
            if cluster not in self.clusters:
                raise InvokeFailed(
                    f"ResourceNotFoundException: No cluster found for name: {cluster}.")
            return {"clusterName": cluster, "names": sorted(self.clusters[cluster]),
                    "id": cluster}
        if token == "aws:eks/getNodeGroup:getNodeGroup":
            cluster, group = a["clusterName"], a["nodeGroupName"]
            return {"clusterName": cluster, "nodeGroupName": group, "id": f"{cluster}:{group}",
                    "nodeRoleArn": self.clusters[cluster][group]}
        raise Exception(f"unexpected invoke {token}")

    def new_resource(self, args: pulumi_mocks.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        name = args.inputs.get("name", args.name)
        if args.typ == "aws:ecr/repository:Repository":
            state["repositoryUrl"] = (
                f"{self.account}.dkr.ecr.{self.region}.amazonaws.com/{name}")
            state["arn"] = f"arn:aws:ecr:{self.region}:{self.account}:repository/{name}"
            state["registryId"] = self.account
        elif args.typ == "aws:secretsmanager/secret:Secret":
            state["arn"] = (
                f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{name}-AbCdEf")
        elif args.typ == "aws:lambda/function:Function":
            state["arn"] = (
                f"arn:{self.partition}:lambda:{self.region}:{self.account}:function:{name}")
        elif args.typ == "aws:iam/role:Role":
            # No name given: AWS's provider makes one from the logical name.
            state["arn"] = f"arn:{self.partition}:iam::{self.account}:role/{args.name}-1234567"
        elif args.typ == "aws:sns/topic:Topic":
            state["arn"] = f"arn:{self.partition}:sns:{self.region}:{self.account}:{name}"
        return f"{args.name}-id", state


class RecordingMonitor(pulumi_mocks.MockMonitor):
    """The mock monitor, also recording each registration's raw request."""

    def __init__(self, mocks: AwsMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append({
                "type": request.type,
                "name": request.name,
                "custom": bool(request.custom),
                "parent": request.parent,
                "urn": response.urn,
                "protect": bool(request.protect),
                "retain_on_delete": bool(request.retainOnDelete),
                "dependencies": list(request.dependencies),
                # Alias specs (name/type/parent the resource was registered under before).
                "aliases": [json_format.MessageToDict(a) for a in request.aliases],
                # Secret values stay wrapped here: {"4dabf1...": "1b4706...", "value": ...}.
                "raw_inputs": json_format.MessageToDict(request.object),
            })
        return response


def _plain(value: Any) -> Any:
    """JSON-able copy of deserialized inputs (resources referenced by URN)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if isinstance(value, pulumi.Resource):
        return {"resource": type(value).__name__}
    return repr(value)


def run(scenario: dict[str, Any]) -> dict[str, Any]:
    loaded_before = set(sys.modules)
    mocks = AwsMocks(scenario)
    monitor = RecordingMonitor(mocks)
    records: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(f"{record.levelname}: {record.getMessage()}")

    logger = logging.getLogger("infra-ecr-stack-runner")
    logger.addHandler(Collect())
    logger.setLevel(logging.DEBUG)
    logger.propagate = False

    pulumi_mocks.set_mocks(mocks, project=scenario.get("project", "infra-ecr"),
                           stack=scenario.get("stack", "prod"),
                           preview=scenario.get("preview", False), logger=logger,
                           monitor=monitor)
    config = {f"infra-ecr:{k}": v for k, v in scenario.get("config", {}).items()}
    config["aws:region"] = mocks.region
    if "aws_profile" in scenario:
        config["aws:profile"] = scenario["aws_profile"]
    secret_keys = [f"infra-ecr:{k}" for k in scenario.get("secret_keys", [])]
    if scenario.get("config_via_env"):
        # How older language hosts hand config over: the PULUMI_CONFIG environment variable.
        os.environ["PULUMI_CONFIG"] = json.dumps(config)
        pulumi.runtime.set_all_config({}, secret_keys)
    else:
        pulumi.runtime.set_all_config(config, secret_keys)

    eks_answers.install(scenario)  # node-role discovery's EKS calls (boto3, not invokes)

    def program() -> None:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")

    error: dict[str, str] | None = None
    try:
        _sync_await(run_pulumi_func(program))
    except BaseException as exc:  # reported to the test, which decides
        error = {"type": type(exc).__name__, "message": str(exc),
                 "traceback": traceback.format_exc()}
    if error is None and eks_answers.pending_answers():
        error = {"type": "PendingEksAnswers", "message": "; ".join(eks_answers.pending_answers()),
                 "traceback": ""}

    outputs: dict[str, Any] = {}
    secret_outputs: list[str] = []
    root = get_root_resource()
    if error is None and root is not None:
        for name, value in root.outputs.items():  # type: ignore[attr-defined]
            output = pulumi.Output.from_input(value)
            outputs[name] = _plain(_sync_await(output.future()))
            if _sync_await(output.is_secret()):
                secret_outputs.append(name)

    resources = []
    by_urn = {r.urn: r for r in monitor.resources.values()}
    for reg in monitor.registrations:
        registered = by_urn.get(reg["urn"])
        resources.append({**reg, "state": _plain(registered.state) if registered else None})
    late = sorted(name for name in set(sys.modules) - loaded_before
                  if name.split(".")[0] in WATCHED)
    return {"pid": os.getpid(), "resources": resources, "invokes": mocks.invokes,
            "outputs": outputs, "secret_outputs": secret_outputs, "error": error,
            "logs": records, "late_imports": late}


def run_json(scenario_json: str) -> str:
    """``run`` for a worker process: JSON in, JSON out."""
    return json.dumps(run(json.loads(scenario_json)))


def main() -> int:
    result = run_json(sys.stdin.read())
    sys.stdout.write(f"\n{MARKER}\n{result}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
