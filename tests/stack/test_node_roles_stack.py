"""The program with eksClusterName: every pulling role of every source gets the node policy,
and nothing else does; discovery (boto3, answered by Stubbers inside each scenario's
process: tests/stack/eks_answers.py) runs before any resource is registered.

The runner fails a run whose queued EKS answers were not all asked for, so a source the
program skipped cannot pass unnoticed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ecr.policies import iam as iam_policies
from tests.policies.test_iam import findings
from tests.stack.eks_answers import EXAMPLE_CLUSTERS, EXAMPLE_ROLES
from tests.stack.harness import ACCOUNT, REGION, ProgramRun, prefetch, run_program, scenario
from tests.stack.harness import shutdown as shutdown_runs

pytestmark = pytest.mark.timeout(300)

T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_NODE_ACCESS = "infra-ecr:stack:NodeAccess"
# Every role in the account: the discovered ones, and some that must get nothing.
ACCOUNT_ROLES = sorted({r for roles in EXAMPLE_ROLES.values() for r in roles}
                       | {"platform-admin", "eks-nodes", "unrelated"})


def role_arn(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def on(cluster: str, config: dict[str, Any] | None = None,
       facts: dict[str, Any] | None = None) -> dict[str, Any]:
    clusters = {**EXAMPLE_CLUSTERS, **({cluster: facts} if facts is not None else {})}
    return scenario({"eksClusterName": cluster, **(config or {})}, roles=ACCOUNT_ROLES,
                    eks=clusters)


EXAMPLES = {name: on(name) for name in EXAMPLE_CLUSTERS}
DENIED = {
    permission: on("denied", facts={**EXAMPLE_CLUSTERS["karpenter"], "deny": permission,
                                    "fargate": {"fp": role_arn("eks-nodes")}})
    for permission in ("eks:DescribeCluster", "eks:ListAccessEntries",
                       "eks:DescribeFargateProfile")
}
TWICE = on("twice", {"nodeRoleNames": ["eks-nodes"]},
           {"nodegroups": {"ng": role_arn("eks-nodes")},
            "accessEntries": {role_arn("eks-nodes"): "EC2_LINUX"},
            "fargate": {"fp": role_arn("eks-nodes")}})
AWS_AUTH_ONLY = on("aws-auth", facts={"authenticationMode": "CONFIG_MAP"})
AWS_AUTH_WITH_ROLES = on("aws-auth", {"nodeRoleNames": ["eks-nodes"]},
                         {"authenticationMode": "CONFIG_MAP"})
# The provider's profile and another region: discovery must use both (eks_answers checks).
OTHER_PROFILE = {**on("managed"), "aws_profile": "platform-admin", "region": "eu-west-1",
                 "stack": "prod-eu-west-1"}
ALL = [OTHER_PROFILE, *EXAMPLES.values(), *DENIED.values(), TWICE, AWS_AUTH_ONLY,
       AWS_AUTH_WITH_ROLES]


@pytest.fixture(scope="module", autouse=True)
def _runs_in_parallel() -> Iterator[None]:
    prefetch(ALL)
    yield
    shutdown_runs()


def node_policies(run: ProgramRun) -> list[Any]:
    """The role policies NodeAccess owns (the pruner's roles have policies of their own)."""
    return [r for r in run.of_type(T_ROLE_POLICY) if T_NODE_ACCESS in r.parent]


def policies_by_role(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {r.inputs["role"]: r.json_input("policy") for r in node_policies(run)}


@pytest.mark.parametrize("cluster", sorted(EXAMPLE_CLUSTERS))
def test_every_pulling_role_is_granted_from_the_cluster_name_alone(cluster: str) -> None:
    run = run_program(EXAMPLES[cluster]).expect_ok()
    expected = sorted(EXAMPLE_ROLES[cluster])
    assert sorted(run.outputs["node_role_names"]) == expected
    policies = policies_by_role(run)
    assert sorted(policies) == expected  # every discovered role, and nothing else
    wanted = iam_policies.node_role_policy(
        iam_policies.Registry("aws", REGION, ACCOUNT),
        ["docker-hub", "quay", "github", "k8s", "ecr-public"], ["custom-apps"])
    for name, document in policies.items():
        assert document == wanted, name
        assert findings(document) == [], name


def test_the_discovered_sources_are_logged() -> None:
    logs = run_program(EXAMPLES["karpenter"]).expect_ok().logs
    assert ("INFO: node role 'KarpenterNodeRole-karpenter' found: EC2_LINUX access entry of "
            "EKS cluster 'karpenter'") in logs
    assert ("INFO: node role 'edge-nodes' found: HYBRID_LINUX access entry of EKS cluster "
            "'karpenter'") in logs
    fargate = run_program(EXAMPLES["fargate"]).expect_ok().logs
    assert ("INFO: node role 'eks-fargate-pods' found: pod execution role of Fargate profile "
            "'default' of EKS cluster 'fargate'; pod execution role of Fargate profile "
            "'kube-system' of EKS cluster 'fargate'") in fargate


def test_urns_are_those_of_existing_stacks() -> None:
    # NodeAccess kept its type token and child names: existing stacks see no replacement.
    run = run_program(EXAMPLES["managed"]).expect_ok()
    component = run.one(T_NODE_ACCESS)
    stack = "urn:pulumi:prod::infra-ecr::pulumi:pulumi:Stack$"
    assert component.urn == f"{stack}infra-ecr:stack:NodeAccess::node-access"
    # As main's program (before NodeAccessArgs) registered them, run with the same answers.
    assert sorted(r.urn for r in node_policies(run)) == [
        "urn:pulumi:prod::infra-ecr::infra-ecr:stack:NodeAccess$aws:iam/rolePolicy:RolePolicy"
        f"::{name}-ecr-cache" for name in ("ng-general", "ng-gpu")]
    assert all(r.parent == component.urn for r in node_policies(run))


def test_a_role_found_twice_gets_one_policy_listing_every_source() -> None:
    run = run_program(TWICE).expect_ok()
    assert run.outputs["node_role_names"] == ["eks-nodes"]
    assert list(policies_by_role(run)) == ["eks-nodes"]
    assert not any("found:" in line for line in run.logs if "eks-nodes" not in line)
    assert ("INFO: node role 'eks-nodes' found: node group 'ng' of EKS cluster 'twice'; "
            "EC2_LINUX access entry of EKS cluster 'twice'; pod execution role of Fargate "
            "profile 'fp' of EKS cluster 'twice'") in run.logs


@pytest.mark.parametrize("permission", sorted(DENIED))
def test_a_denied_call_fails_before_any_resource_naming_the_permission(permission: str) -> None:
    run = run_program(DENIED[permission])
    assert run.error is not None and run.error["type"] == "NodeRoleError"
    message = run.error["message"]
    assert f"access denied to {permission} on EKS cluster 'denied'" in message
    assert f"fix: allow the caller {permission} on EKS cluster denied" in message
    assert "pulumi config rm infra-ecr:eksClusterName" in message
    assert run.resources == []


def test_aws_auth_clusters_warn_with_the_command() -> None:
    run = run_program(EXAMPLES["fargate"]).expect_ok()
    (warning,) = [w for w in run.warnings if "aws-auth" in w]
    assert "authentication mode CONFIG_MAP" in warning
    assert "cannot be seen from AWS APIs" in warning
    assert "pulumi config set --path 'infra-ecr:nodeRoleNames[0]' <role>" in warning
    assert not [w for w in run_program(EXAMPLES["karpenter"]).warnings if "aws-auth" in w]


def test_nothing_discoverable_and_nothing_configured_fails_with_the_way_out() -> None:
    run = run_program(AWS_AUTH_ONLY)
    assert run.error is not None and run.error["type"] == "NodeRoleError"
    message = run.error["message"]
    assert "has no managed node groups, no Auto Mode node role" in message
    assert "kubectl -n kube-system get configmap aws-auth -o yaml" in message
    assert "fix: pulumi config set --path 'infra-ecr:nodeRoleNames[0]'" in message
    assert run.resources == []


def test_nothing_discoverable_but_roles_configured_warns() -> None:
    run = run_program(AWS_AUTH_WITH_ROLES).expect_ok()
    assert run.outputs["node_role_names"] == ["eks-nodes"]
    assert any("no node roles were found" in w for w in run.warnings)
    # The next free index, so the command adds a role instead of replacing eks-nodes.
    assert any("nodeRoleNames[1]' <role>" in w for w in run.warnings)


def test_discovery_uses_the_providers_region_and_profile() -> None:
    # eks_answers' fake clients assert region == aws:region and profile == aws:profile.
    run = run_program(OTHER_PROFILE).expect_ok()
    assert sorted(run.outputs["node_role_names"]) == EXAMPLE_ROLES["managed"]
