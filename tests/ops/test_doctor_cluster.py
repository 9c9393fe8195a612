"""doctor --cluster NAME: when the node groups cannot be read, say why and fix that cause
(a wrong name or region, a missing EKS permission), not always "--node-role" (QA finding).

moto answers ListNodegroups for a missing cluster with a 500, so EKS's real error
answers come from a Stubber; the happy path and "no node groups" run on moto
(tests/ops/test_doctor.py)."""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from ecr import aws
from ecr.aws import checks as ops_checks
from ecr.aws.clients import Clients
from ecr.cli.commands import doctor
from tests.ops.conftest import ACCOUNT, REGION, moto_clients
from tests.ops.test_doctor import by_name, opts, stubbed_ecr, stubbed_iam


def stubbed_eks() -> tuple[Any, Stubber]:
    eks = aws.client(aws.session(region=REGION), "eks")
    return eks, Stubber(eks)


def cluster_check(eks: Any, cluster: str) -> ops_checks.Check:
    ecr, _ = stubbed_ecr()
    clients = Clients(session=moto_clients().session, overrides={"ecr": ecr, "eks": eks})
    checks = by_name(doctor.diagnose(clients, REGION, opts(clusters=[cluster])))
    return checks[f"node role cluster {cluster}"]


def test_cluster_not_found_names_the_region_not_node_role(aws_env: object) -> None:
    eks, stub = stubbed_eks()
    stub.add_client_error("list_nodegroups", "ResourceNotFoundException",
                          "No cluster found for name: prdo.", 404,
                          expected_params={"clusterName": "prdo"})
    with stub:
        check = cluster_check(eks, "prdo")
    assert check.status == "fail"
    assert check.detail == f"EKS cluster prdo not found in region {REGION} (this account)"
    assert f"aws eks list-clusters --region {REGION}" in str(check.fix)
    assert "--node-role" not in str(check.fix)


def test_access_denied_names_the_eks_permission(aws_env: object) -> None:
    eks, stub = stubbed_eks()
    stub.add_client_error("list_nodegroups", "AccessDeniedException",
                          "User is not authorized to perform: eks:ListNodegroups", 403)
    with stub:
        check = cluster_check(eks, "prod")
    assert check.status == "fail"
    assert check.detail.startswith("access denied to eks:ListNodegroups on EKS cluster prod")
    assert "eks:ListNodegroups and eks:DescribeNodegroup" in str(check.fix)


def test_access_denied_on_describe_names_that_call(aws_env: object) -> None:
    eks, stub = stubbed_eks()
    stub.add_response("list_nodegroups", {"nodegroups": ["workers"]}, {"clusterName": "prod"})
    stub.add_client_error("describe_nodegroup", "AccessDeniedException", "no", 403)
    with stub:
        check = cluster_check(eks, "prod")
    assert check.detail.startswith("access denied to eks:DescribeNodegroup on EKS cluster prod")


def test_roles_found_are_checked_as_before(aws_env: object) -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/prod-workers"
    eks, stub = stubbed_eks()
    stub.add_response("list_nodegroups", {"nodegroups": ["workers"]}, {"clusterName": "prod"})
    stub.add_response("describe_nodegroup", {"nodegroup": {"nodeRole": role}},
                      {"clusterName": "prod", "nodegroupName": "workers"})
    iam, iam_stub = stubbed_iam(role_arn=role)
    ecr, _ = stubbed_ecr()
    clients = Clients(session=moto_clients().session,
                      overrides={"ecr": ecr, "eks": eks, "iam": iam})
    with stub:
        checks = by_name(doctor.diagnose(clients, REGION, opts(clusters=["prod"])))
    iam_stub.assert_no_pending_responses()
    assert checks["node role prod/workers"].status == "pass"
