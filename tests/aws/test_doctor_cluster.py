"""doctor --cluster NAME: the roles of every source (managed node groups, Auto Mode, node
access entries, Fargate profiles) are found with ecr.aws.node_roles, the stack's own
discovery, and each is simulated; when discovery fails the cause and its fix are named
(a wrong name or region, the missing eks: permission), not always "--node-role".

EKS's answers come from a Stubber (tests/stack/eks_answers.py: moto has no access
entries or compute config); STS runs on moto, IAM's SimulatePrincipalPolicy on a Stubber.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from ecr.aws import checks as ops_checks
from ecr.aws import node_roles, sessions
from ecr.aws.clients import Clients
from ecr.cli.commands import doctor
from tests.aws.conftest import ACCOUNT, REGION, moto_clients
from tests.aws.test_doctor import CACHES, allow, by_name, opts, stubbed_ecr
from tests.stack.eks_answers import EXAMPLE_CLUSTERS, EXAMPLE_ROLES, stubbed_clients


def role(name: str) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def simulating_iam(iam: Any, stub: Stubber, role_arns: list[str],
                   deny: dict[str, dict[str, str]] | None = None) -> None:
    """Queue SimulatePrincipalPolicy answers for each role in turn: login, each prefix."""
    for arn in role_arns:
        denied = (deny or {}).get(arn, {})
        stub.add_response(
            "simulate_principal_policy",
            allow([ops_checks.LOGIN_ACTION], denied),
            {"PolicySourceArn": arn, "ActionNames": [ops_checks.LOGIN_ACTION],
             "ResourceArns": ["*"]})
        for prefix in CACHES:
            stub.add_response(
                "simulate_principal_policy", allow(list(ops_checks.CACHE_ACTIONS), denied),
                {"PolicySourceArn": arn, "ActionNames": list(ops_checks.CACHE_ACTIONS),
                 "ResourceArns": [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{prefix}/"
                                  f"{ops_checks.PROBE_REPOSITORY}"]})


def diagnose_cluster(cluster: str, facts: dict[str, Any] | None,
                     simulated: list[str] | None = None,
                     **extra: Any) -> dict[str, ops_checks.Check]:
    eks, eks_stub, iam, iam_stub = stubbed_clients(REGION, cluster, facts)
    simulating_iam(iam, iam_stub, simulated or [])
    ecr, _ = stubbed_ecr()
    clients = Clients(session=moto_clients().session,
                      overrides={"ecr": ecr, "eks": eks, "iam": iam})
    checks = doctor.diagnose(clients, REGION, opts(clusters=[cluster], **extra))
    eks_stub.assert_no_pending_responses()
    iam_stub.assert_no_pending_responses()  # every role found was simulated
    return by_name(checks)


def role_checks(checks: dict[str, ops_checks.Check]) -> dict[str, str]:
    """node role name -> status, for the roles doctor simulated."""
    return {name.removeprefix("node role "): c.status for name, c in checks.items()
            if name.startswith("node role ") and not name.startswith("node role cluster")}


def test_cluster_not_found_names_the_region_not_node_role(aws_env: object) -> None:
    check = diagnose_cluster("prdo", None)["node role cluster prdo"]
    assert check.status == "fail"
    assert check.detail == f"EKS cluster 'prdo' not found in region {REGION} (this account)"
    assert f"aws eks list-clusters --region {REGION}" in str(check.fix)
    assert "--node-role" not in str(check.fix)


@pytest.mark.parametrize("permission", node_roles.PERMISSIONS)
def test_access_denied_names_the_eks_permission(aws_env: object, permission: str) -> None:
    facts = {"autoMode": role("auto"), "nodegroups": {"ng": role("n")},
             "accessEntries": {role("k"): "EC2_LINUX"}, "fargate": {"fp": role("f")},
             "deny": permission}
    check = diagnose_cluster("prod", facts)["node role cluster prod"]
    assert check.status == "fail"
    assert check.detail.startswith(f"access denied to {permission} on EKS cluster 'prod'")
    assert f"allow the caller {permission} on EKS cluster prod" in str(check.fix)
    assert "--node-role ROLE" in str(check.fix)


@pytest.mark.parametrize("cluster", sorted(EXAMPLE_CLUSTERS))
def test_every_role_of_every_source_is_simulated(aws_env: object, cluster: str) -> None:
    facts = EXAMPLE_CLUSTERS[cluster]
    eks, _, iam, _ = stubbed_clients(REGION, cluster, facts)
    arns = [r.arn for r in node_roles.discover(eks, cluster, iam).roles]
    assert None not in arns
    checks = diagnose_cluster(cluster, facts, [a for a in arns if a])
    assert role_checks(checks) == {name: "pass" for name in EXAMPLE_ROLES[cluster]}
    found = checks[f"cluster {cluster} node roles"]
    assert found.status == "pass" and found.detail.startswith(
        f"{len(EXAMPLE_ROLES[cluster])} found: ")


def test_found_twice_is_checked_once_with_both_sources(aws_env: object) -> None:
    checks = diagnose_cluster("auto", EXAMPLE_CLUSTERS["auto"], [role("AmazonEKSAutoNodeRole")])
    assert checks["cluster auto node roles"].detail == (
        "1 found: AmazonEKSAutoNodeRole (Auto Mode node role (computeConfig.nodeRoleArn) of "
        "EKS cluster 'auto'; EC2 access entry of EKS cluster 'auto')")


def test_a_karpenter_role_without_the_cache_actions_fails(aws_env: object) -> None:
    facts = {"accessEntries": {role("KarpenterNodeRole-prod"): "EC2_LINUX"}}
    eks, eks_stub, iam, iam_stub = stubbed_clients(REGION, "prod", facts)
    iam_stub.add_response(
        "simulate_principal_policy", allow([ops_checks.LOGIN_ACTION]),
        {"PolicySourceArn": role("KarpenterNodeRole-prod"), "ActionNames": ANY,
         "ResourceArns": ["*"]})
    for _prefix in CACHES:
        iam_stub.add_response(
            "simulate_principal_policy",
            allow(list(ops_checks.CACHE_ACTIONS), {"ecr:CreateRepository": "implicitDeny"}),
            {"PolicySourceArn": role("KarpenterNodeRole-prod"), "ActionNames": ANY,
             "ResourceArns": ANY})
    ecr, _ = stubbed_ecr()
    clients = Clients(session=moto_clients().session,
                      overrides={"ecr": ecr, "eks": eks, "iam": iam})
    checks = by_name(doctor.diagnose(clients, REGION, opts(clusters=["prod"])))
    eks_stub.assert_no_pending_responses()
    failing = checks["node role KarpenterNodeRole-prod on quay/"]
    assert failing.status == "fail" and "ecr:CreateRepository (implicitDeny)" in failing.detail
    assert "infra-ecr:nodeRoleNames[0]' KarpenterNodeRole-prod" in str(failing.fix)


def test_aws_auth_clusters_warn_and_say_how_to_check(aws_env: object) -> None:
    checks = diagnose_cluster("fargate", EXAMPLE_CLUSTERS["fargate"],
                              [role("fargate/batch-pods"), role("eks-fargate-pods")])
    warning = checks["cluster fargate aws-auth"]
    assert warning.status == "warn"
    assert "authentication mode CONFIG_MAP" in warning.detail
    assert "cannot be seen from AWS APIs" in warning.detail
    assert "pulumi config set --path 'infra-ecr:nodeRoleNames[0]' <role>" in warning.detail
    assert "kubectl -n kube-system get configmap aws-auth -o yaml" in str(warning.fix)
    assert "access entries not read" in checks["cluster fargate node roles"].detail


def test_api_mode_clusters_do_not_warn_about_aws_auth(aws_env: object) -> None:
    checks = diagnose_cluster("karpenter", EXAMPLE_CLUSTERS["karpenter"],
                              [role(n) for n in ("ng-system", "KarpenterNodeRole-karpenter",
                                                 "hybrid/edge-nodes", "windows-nodes")])
    assert "cluster karpenter aws-auth" not in checks


def test_cluster_without_discoverable_roles_says_how_to_find_them(aws_env: object) -> None:
    check = diagnose_cluster("empty", {"authenticationMode": "API_AND_CONFIG_MAP"})[
        "node role cluster empty"]
    assert check.status == "fail"
    assert "has no managed node groups, no Auto Mode node role" in check.detail
    assert "kubectl -n kube-system get configmap aws-auth -o yaml" in str(check.fix)
    assert "--node-role ROLE" in str(check.fix)


def test_assumed_role_principal_is_read_with_get_role(aws_env: object) -> None:
    facts = {"accessEntries": {"arn:aws:sts::123456789012:assumed-role/self-managed/i-1":
                               "EC2_LINUX"}}
    eks, eks_stub, iam, iam_stub = stubbed_clients(REGION, "prod", facts)
    iam_stub.add_response("get_role", {"Role": {
        "Path": "/nodes/", "RoleName": "self-managed", "RoleId": "AROAEXAMPLE1234567890",
        "Arn": role("nodes/self-managed"), "CreateDate": "2024-01-01T00:00:00Z"}},
        {"RoleName": "self-managed"})
    simulating_iam(iam, iam_stub, [role("nodes/self-managed")])
    ecr, _ = stubbed_ecr()
    clients = Clients(session=moto_clients().session,
                      overrides={"ecr": ecr, "eks": eks, "iam": iam})
    checks = by_name(doctor.diagnose(clients, REGION, opts(clusters=["prod"])))
    eks_stub.assert_no_pending_responses()
    iam_stub.assert_no_pending_responses()
    assert checks["node role self-managed"].status == "pass"


def test_a_role_given_and_discovered_is_simulated_once(aws_env: object) -> None:
    eks, _, iam, iam_stub = stubbed_clients(REGION, "prod", {"nodegroups": {"ng": role("n")}})
    simulating_iam(iam, iam_stub, [role("n")])
    ecr, _ = stubbed_ecr()
    clients = Clients(session=moto_clients().session,
                      overrides={"ecr": ecr, "eks": eks, "iam": iam})
    checks = by_name(doctor.diagnose(clients, REGION, opts(clusters=["prod"],
                                                           node_roles=[role("n")])))
    iam_stub.assert_no_pending_responses()  # one simulation round, not two
    assert role_checks(checks) == {"n": "pass"}


def test_session_region_is_used(aws_env: object) -> None:
    # The eks client's region names the region in the error (not a hard-coded one).
    eks = sessions.client(sessions.session(region="eu-west-1"), "eks")
    stub = Stubber(eks)
    stub.add_client_error("describe_cluster", "ResourceNotFoundException", "no", 404)
    with stub, pytest.raises(node_roles.DiscoveryError, match="in region eu-west-1"):
        node_roles.discover(eks, "prod")
