"""The stack and ``doctor --cluster`` agree: on the same EKS answers, the roles the program
grants (its RolePolicy resources, under Pulumi mocks) are exactly the roles doctor
simulates (SimulatePrincipalPolicy on a Stubber).  Both consume ecr.aws.node_roles; this
test holds them to it from the outside, cluster by cluster, for the issue's four kinds of
cluster and for all four sources in one cluster."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ecr.aws import node_roles
from tests.aws.test_doctor_cluster import diagnose_cluster, role_checks
from tests.stack.eks_answers import EXAMPLE_CLUSTERS, stubbed_clients
from tests.stack.harness import ACCOUNT, REGION, prefetch, run_program, scenario
from tests.stack.harness import shutdown as shutdown_runs

pytestmark = pytest.mark.timeout(300)


def arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


CLUSTERS: dict[str, dict[str, Any]] = {
    **EXAMPLE_CLUSTERS,
    "everything": {
        "authenticationMode": "API_AND_CONFIG_MAP",
        "nodegroups": {"system": arn("ng-system")},
        "autoMode": arn("auto/AmazonEKSAutoNodeRole"),
        "accessEntries": {arn("auto/AmazonEKSAutoNodeRole"): "EC2",
                          arn("KarpenterNodeRole-x"): "EC2_LINUX",
                          arn("ng-system"): "EC2_LINUX", arn("ci-deployer"): "STANDARD"},
        "fargate": {"default": arn("fargate-pods")},
    },
}
ACCOUNT_ROLES = ["AmazonEKSAutoNodeRole", "KarpenterNodeRole-karpenter", "KarpenterNodeRole-x",
                 "batch-pods", "ci-deployer", "edge-nodes", "eks-fargate-pods", "fargate-pods",
                 "ng-general", "ng-gpu", "ng-system", "platform-admin", "windows-nodes"]


def stack_scenario(cluster: str) -> dict[str, Any]:
    return scenario({"eksClusterName": cluster}, roles=ACCOUNT_ROLES, eks=CLUSTERS)


@pytest.fixture(scope="module", autouse=True)
def _runs_in_parallel() -> Iterator[None]:
    prefetch([stack_scenario(c) for c in CLUSTERS])
    yield
    shutdown_runs()


@pytest.mark.parametrize("cluster", sorted(CLUSTERS))
def test_doctor_checks_exactly_the_roles_the_stack_grants(aws_env: object, cluster: str) -> None:
    run = run_program(stack_scenario(cluster)).expect_ok()
    granted = {
        r.inputs["role"]
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if "NodeAccess" in r.parent  # the pruner's own roles are not node roles
    }

    eks, _, iam, _ = stubbed_clients(REGION, cluster, CLUSTERS[cluster])
    arns = [r.arn or "" for r in node_roles.discover(eks, cluster, iam).roles]
    simulated = role_checks(diagnose_cluster(cluster, CLUSTERS[cluster], arns))

    assert granted, cluster
    assert set(simulated) == granted
    assert set(simulated.values()) == {"pass"}
