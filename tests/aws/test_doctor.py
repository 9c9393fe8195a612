"""doctor: every check against moto (STS, ECR, EKS) and Stubber (what moto lacks)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from ecr.aws import checks as ops_checks
from ecr.aws import clients as ops_clients
from ecr.aws import sessions
from ecr.aws.clients import Clients
from ecr.cli import main
from ecr.cli.commands import doctor
from tests.aws.conftest import ACCOUNT, REGION, moto_clients, plain_ecr

ROOT = Path(__file__).resolve().parents[2]
CACHES = ["docker-hub", "quay"]
ROLE = f"arn:aws:iam::{ACCOUNT}:role/nodes"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:ecr-pullthroughcache/docker-hub-x"
REGISTRY = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def rule(prefix: str, url: str, credentials: bool = False) -> dict[str, Any]:
    item: dict[str, Any] = {"ecrRepositoryPrefix": prefix, "upstreamRegistryUrl": url,
                            "registryId": ACCOUNT}
    if credentials:
        item["credentialArn"] = SECRET_ARN
    return item


GOOD_RULES = [rule("docker-hub", "registry-1.docker.io", True), rule("quay", "quay.io")]


def template(prefix: str, **extra: Any) -> dict[str, Any]:
    item = {"prefix": prefix, "appliedFor": ["PULL_THROUGH_CACHE"],
            "imageTagMutability": "MUTABLE", "lifecyclePolicy": '{"rules": []}',
            "encryptionConfiguration": {"encryptionType": "AES256"}}
    item.update(extra)
    return item


GOOD_TEMPLATES = [template("docker-hub"), template("quay")]


def stubbed_ecr(
    *,
    rules: list[dict[str, Any]] | None = None,
    validations: dict[str, tuple[bool, str]] | None = None,
    templates: list[dict[str, Any]] | None = None,
    repositories: tuple[str, ...] = ("docker-hub/library/nginx", "custom-apps"),
    registry_policy: str | None = None,
    rules_error: str | None = None,
    login: bool = True,
) -> tuple[Any, Stubber]:
    """An ECR client answering doctor's calls, in doctor's order."""
    ecr = sessions.client(sessions.session(region=REGION), "ecr")
    stub = Stubber(ecr)
    if login:
        stub.add_response("get_authorization_token", {"authorizationData": [{
            "authorizationToken": "QVdTOnRva2Vu", "expiresAt": NOW,
            "proxyEndpoint": f"https://{REGISTRY}"}]}, {})
    if rules_error:
        stub.add_client_error("describe_pull_through_cache_rules", rules_error, "no", 400)
    else:
        rules = GOOD_RULES if rules is None else rules
        stub.add_response("describe_pull_through_cache_rules",
                          {"pullThroughCacheRules": rules}, {})
        validations = validations or {}
        for item in rules:
            prefix = item["ecrRepositoryPrefix"]
            if prefix not in CACHES or (prefix == "docker-hub" and "credentialArn" not in item):
                continue  # doctor validates only rules that exist as declared
            valid, failure = validations.get(prefix, (True, ""))
            answer: dict[str, Any] = {"ecrRepositoryPrefix": prefix, "isValid": valid,
                                      "upstreamRegistryUrl": item["upstreamRegistryUrl"]}
            if failure:
                answer["failure"] = failure
            stub.add_response("validate_pull_through_cache_rule", answer,
                              {"ecrRepositoryPrefix": prefix})
    stub.add_response("describe_repository_creation_templates", {
        "registryId": ACCOUNT,
        "repositoryCreationTemplates": GOOD_TEMPLATES if templates is None else templates,
    }, {"prefixes": CACHES})
    stub.add_response("describe_repositories", {"repositories": [
        {"repositoryName": n, "registryId": ACCOUNT} for n in repositories]}, {"maxResults": 1000})
    if registry_policy is None:
        stub.add_client_error("get_registry_policy", "RegistryPolicyNotFoundException",
                              "no policy", 400)
    else:
        stub.add_response("get_registry_policy",
                          {"registryId": ACCOUNT, "policyText": registry_policy}, {})
    stub.activate()
    return ecr, stub


def allow(actions: list[str], deny: dict[str, str] | None = None) -> dict[str, Any]:
    deny = deny or {}
    return {"EvaluationResults": [
        {"EvalActionName": a, "EvalResourceName": "x", "EvalDecision": deny.get(a, "allowed")}
        for a in actions], "IsTruncated": False}


def stubbed_iam(role_arn: str = ROLE, deny: dict[str, dict[str, str]] | None = None,
                registry_account: str = ACCOUNT, resource_policy: str | None = None,
                caches: list[str] = CACHES) -> tuple[Any, Stubber]:
    """IAM answering SimulatePrincipalPolicy for one role: login, then each prefix."""
    iam = sessions.client(sessions.session(region=REGION), "iam")
    stub = Stubber(iam)
    deny = deny or {}
    stub.add_response("simulate_principal_policy", allow([ops_checks.LOGIN_ACTION],
                                                         deny.get("*")),
                      {"PolicySourceArn": role_arn, "ActionNames": [ops_checks.LOGIN_ACTION],
                       "ResourceArns": ["*"]})
    for prefix in caches:
        expected: dict[str, Any] = {
            "PolicySourceArn": role_arn, "ActionNames": list(ops_checks.CACHE_ACTIONS),
            "ResourceArns": [f"arn:aws:ecr:{REGION}:{registry_account}:repository/{prefix}/"
                             f"{ops_checks.PROBE_REPOSITORY}"]}
        if resource_policy:
            expected["ResourcePolicy"] = resource_policy
            expected["ResourceOwner"] = f"arn:aws:iam::{registry_account}:root"
        stub.add_response("simulate_principal_policy",
                          allow(list(ops_checks.CACHE_ACTIONS), deny.get(prefix)), expected)
    stub.activate()
    return iam, stub


def make_clients(ecr: Any = None, iam: Any = None) -> Clients:
    base = moto_clients()
    overrides = {k: v for k, v in {"ecr": ecr, "iam": iam}.items() if v is not None}
    return Clients(session=base.session, overrides=overrides)


def opts(**kw: Any) -> doctor.Options:
    kw.setdefault("caches", list(CACHES))
    return doctor.Options(**kw)


def by_name(checks: list[ops_checks.Check]) -> dict[str, ops_checks.Check]:
    return {c.name: c for c in checks}


def test_healthy_cache_passes_every_check(aws_env):
    ecr, ecr_stub = stubbed_ecr()
    iam, iam_stub = stubbed_iam()
    checks = doctor.diagnose(make_clients(ecr, iam), REGION, opts(node_roles=[ROLE]))
    ecr_stub.assert_no_pending_responses()
    iam_stub.assert_no_pending_responses()
    assert not ops_checks.failed(checks)
    assert {c.status for c in checks} == {"pass"}, [c for c in checks if c.status != "pass"]
    names = by_name(checks)
    assert f"account {ACCOUNT}" in names["AWS credentials"].detail
    assert REGISTRY in names["registry URL"].detail
    assert "docker login" in names["registry login"].detail
    assert "credentials accepted" in names["rule docker-hub"].detail
    assert "first pulls included" in names["node role nodes"].detail


def test_failed_upstream_login_names_the_secret_and_the_config_commands(aws_env):
    ecr, _ = stubbed_ecr(validations={"docker-hub": (False, "UNABLE_TO_AUTHENTICATE")})
    checks = doctor.diagnose(make_clients(ecr), REGION, opts())
    check = by_name(checks)["rule docker-hub"]
    assert check.status == "fail"
    assert "UNABLE_TO_AUTHENTICATE" in check.detail
    assert "ecr-pullthroughcache/docker-hub" in check.detail
    assert "pulumi config set --secret infra-ecr:dockerHubAccessToken" in str(check.fix)
    assert "pulumi config set infra-ecr:dockerHubUsername" in str(check.fix)
    assert ops_checks.failed(checks)


def test_missing_rule_missing_credentials_and_bad_templates_each_fail(aws_env):
    ecr, _ = stubbed_ecr(
        rules=[rule("docker-hub", "registry-1.docker.io", credentials=False),
               rule("legacy", "quay.io")],
        templates=[template("docker-hub", imageTagMutability="IMMUTABLE")],
    )
    checks = by_name(doctor.diagnose(make_clients(ecr), REGION, opts()))
    assert checks["rule docker-hub"].status == "fail"
    assert "needs credentials" in checks["rule docker-hub"].detail
    assert checks["rule quay"].status == "fail"
    assert "repository does not exist" in checks["rule quay"].detail
    assert "legacy" in checks["other rules"].detail
    assert checks["template docker-hub"].status == "fail"
    assert "IMMUTABLE" in checks["template docker-hub"].detail
    assert checks["template quay"].status == "fail"
    assert "lifecycle apply --prefix quay" in str(checks["template quay"].fix)


def test_template_without_lifecycle_or_with_kms_and_no_role(aws_env):
    ecr, _ = stubbed_ecr(templates=[
        template("docker-hub", lifecyclePolicy=""),
        template("quay", encryptionConfiguration={"encryptionType": "KMS"}),
    ])
    checks = by_name(doctor.diagnose(make_clients(ecr), REGION, opts()))
    assert checks["template docker-hub"].status == "warn"
    assert checks["template quay"].status == "fail"
    assert "customRoleArn" in checks["template quay"].detail


def test_node_role_missing_create_repository_is_named(aws_env):
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    ecr, _ = stubbed_ecr(registry_policy=policy)
    iam, iam_stub = stubbed_iam(deny={"docker-hub": {"ecr:CreateRepository": "implicitDeny"}},
                                resource_policy=policy)
    checks = doctor.diagnose(make_clients(ecr, iam), REGION, opts(node_roles=[ROLE]))
    iam_stub.assert_no_pending_responses()  # the registry policy was part of the simulation
    failing = [c for c in checks if c.status == "fail"]
    assert len(failing) == 1
    check = failing[0]
    assert check.name == "node role nodes on docker-hub/"
    assert "ecr:CreateRepository (implicitDeny)" in check.detail
    assert "BatchImportUpstreamImage" not in check.detail
    assert "infra-ecr:nodeRoleNames" in str(check.fix) and "nodes" in str(check.fix)
    assert "repository/docker-hub/*" in str(check.fix)


def test_node_role_that_cannot_log_in(aws_env):
    ecr, _ = stubbed_ecr()
    iam, _ = stubbed_iam(deny={"*": {ops_checks.LOGIN_ACTION: "explicitDeny"}})
    checks = by_name(doctor.diagnose(make_clients(ecr, iam), REGION, opts(node_roles=[ROLE])))
    login = checks["node role nodes login"]
    assert login.status == "fail" and "Unauthorized" in login.detail
    assert "explicitDeny" in login.detail


def test_node_roles_from_an_eks_cluster(aws_env):
    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(name="prod", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    node_role = f"arn:aws:iam::{ACCOUNT}:role/prod-workers"
    eks.create_nodegroup(clusterName="prod", nodegroupName="workers", nodeRole=node_role,
                         subnets=["subnet-1"])
    ecr, _ = stubbed_ecr()
    iam, iam_stub = stubbed_iam(role_arn=node_role)
    checks = doctor.diagnose(make_clients(ecr, iam), REGION, opts(clusters=["prod"]))
    iam_stub.assert_no_pending_responses()
    assert by_name(checks)["node role prod-workers"].status == "pass"
    assert "node group 'workers' of EKS cluster 'prod'" in by_name(checks)[
        "cluster prod node roles"].detail


def test_cluster_without_node_groups_and_missing_role_fail(aws_env):
    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(name="empty", roleArn=f"arn:aws:iam::{ACCOUNT}:role/eks",
                       resourcesVpcConfig={"subnetIds": ["subnet-1"]})
    ecr, _ = stubbed_ecr()
    iam = sessions.client(sessions.session(region=REGION), "iam")
    stub = Stubber(iam)
    stub.add_client_error("get_role", "NoSuchEntity", "cannot find role", 404,
                          expected_params={"RoleName": "gone"})
    stub.activate()
    checks = by_name(doctor.diagnose(make_clients(ecr, iam), REGION,
                                     opts(node_roles=["gone"], clusters=["empty"])))
    assert checks["node role gone"].status == "fail"
    assert "does not exist" in checks["node role gone"].detail
    empty = checks["node role cluster empty"]
    assert empty.status == "fail"
    assert "has no managed node groups" in empty.detail and "Karpenter" in empty.detail
    assert "--node-role" in str(empty.fix)  # the one case --node-role is the fix


def test_no_node_roles_is_a_skip_with_the_fix(aws_env):
    ecr, _ = stubbed_ecr()
    checks = by_name(doctor.diagnose(make_clients(ecr), REGION, opts()))
    assert checks["node roles"].status == "skip"
    assert "--node-role" in str(checks["node roles"].fix)


def test_access_denied_on_rules_says_which_permission(aws_env):
    ecr, _ = stubbed_ecr(rules_error="AccessDeniedException")
    checks = by_name(doctor.diagnose(make_clients(ecr), REGION, opts()))
    check = checks["pull-through cache rules"]
    assert check.status == "fail" and "access denied" in check.detail
    assert check.fix == "grant the caller ecr:DescribePullThroughCacheRules"


def test_expired_credentials_stop_early(aws_env):
    sts = sessions.client(sessions.session(region=REGION), "sts")
    stub = Stubber(sts)
    stub.add_client_error("get_caller_identity", "ExpiredToken", "expired", 403)
    stub.activate()
    clients = Clients(session=moto_clients().session, overrides={"sts": sts})
    checks = doctor.diagnose(clients, REGION, opts())
    assert checks[0].status == "fail" and "expired" in checks[0].detail
    assert checks[1].status == "skip"
    assert len(checks) == 2


def test_registry_of_another_account_fails_and_skips_registry_checks(aws_env):
    other = "210987654321"
    iam, iam_stub = stubbed_iam(registry_account=other)
    clients = make_clients(iam=iam)  # real moto ECR for the login
    checks = by_name(doctor.diagnose(clients, REGION, opts(
        node_roles=[ROLE], expected_registry=f"{other}.dkr.ecr.{REGION}.amazonaws.com",
        registry_source="--registry")))
    iam_stub.assert_no_pending_responses()  # resources named in the registry's account
    assert checks["registry URL"].status == "fail"
    assert "--registry says" in checks["registry URL"].detail
    assert checks["rules and templates"].status == "skip"


def test_cross_account_role_checks_nodes_in_the_consuming_account(aws_env):
    consumer_account = "111111111111"
    base = moto_clients()
    assert base.session is not None
    assumed = sessions.assume_role_session(
        base.session, f"arn:aws:iam::{consumer_account}:role/ecr-doctor")
    node_role = f"arn:aws:iam::{consumer_account}:role/cluster-nodes"
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    iam, iam_stub = stubbed_iam(role_arn=node_role, resource_policy=policy,
                                deny={"quay": {"ecr:BatchImportUpstreamImage": "implicitDeny"}})
    consumer = Clients(session=assumed, overrides={"iam": iam})
    ecr, _ = stubbed_ecr(registry_policy=policy, login=False)
    checks = by_name(doctor.diagnose(make_clients(ecr), REGION, opts(node_roles=[node_role]),
                                     consumer=consumer))
    iam_stub.assert_no_pending_responses()
    assert f"account {consumer_account}" in checks["consuming account credentials"].detail
    assert checks["registry login"].status == "pass"  # the consuming side may log in
    failing = checks["node role cluster-nodes on quay/"]
    assert failing.status == "fail"
    assert f"infra-ecr:pullAccountIds[0]' {consumer_account}" in str(failing.fix)


def test_repository_names_catch_library_and_host_mistakes(aws_env):
    ecr = plain_ecr()
    for name in ("docker-hub/nginx", "docker-hub/library/nginx", "docker.io/bitnami/redis",
                 "quay/prometheus/node-exporter", "custom-apps"):
        ecr.create_repository(repositoryName=name)
    checks = by_name(ops_checks.check_repository_names(moto_clients().ecr, CACHES))
    library = checks["library/ paths"]
    assert library.status == "warn"
    assert "docker-hub/nginx" in library.detail
    assert "docker-hub/library/nginx" not in library.detail
    assert "docker-hub/library/nginx" in str(library.fix)
    assert "docker.io/bitnami/redis" in checks["upstream host in path"].detail
    assert "3 cached, 2 custom" in checks["cached repositories"].detail


def test_cli_exit_status_and_json(aws_env, monkeypatch, capsys):
    ecr, _ = stubbed_ecr(validations={"quay": (False, "UPSTREAM_UNREACHABLE")})
    monkeypatch.setattr(ops_clients, "for_profile", lambda profile, region: make_clients(ecr))
    code = main.main(["doctor", "--cache", "docker-hub", "--cache", "quay", "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    assert data["ok"] is False and data["summary"]["fail"] == 1
    assert any(c["name"] == "rule quay" and c["status"] == "fail" for c in data["checks"])
    assert data["explanations"][0]["symptom"] == "Repository does not exist"

    ecr, _ = stubbed_ecr()
    monkeypatch.setattr(ops_clients, "for_profile", lambda profile, region: make_clients(ecr))
    assert main.main(["doctor", "--cache", "docker-hub", "--cache", "quay"]) == 0
    out = capsys.readouterr().out
    assert "PASS  rule" in out and "0 failed" in out and "Common symptoms" in out


def test_stack_file_supplies_caches_and_roles(aws_env, tmp_path, monkeypatch, capsys):
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  infra-ecr:caches: [docker-hub, quay]\n"
                     "  infra-ecr:nodeRoleNames:\n    - nodes\n"
                     "  infra-ecr:dockerHubAccessToken:\n    secure: AAAA\n")
    ecr, _ = stubbed_ecr()
    iam = sessions.client(sessions.session(region=REGION), "iam")
    stub = Stubber(iam)
    role = {"Path": "/", "RoleName": "nodes", "RoleId": "AROAXXXXXXXXXXXXXXXX", "Arn": ROLE,
            "CreateDate": NOW}
    stub.add_response("get_role", {"Role": role}, {"RoleName": "nodes"})
    stub.add_response("simulate_principal_policy", allow([ops_checks.LOGIN_ACTION]),
                      {"PolicySourceArn": ROLE, "ActionNames": ANY, "ResourceArns": ["*"]})
    for _ in CACHES:
        stub.add_response("simulate_principal_policy", allow(list(ops_checks.CACHE_ACTIONS)),
                          {"PolicySourceArn": ROLE, "ActionNames": ANY, "ResourceArns": ANY})
    stub.activate()
    monkeypatch.setattr(ops_clients, "for_profile", lambda profile, region: make_clients(ecr, iam))
    assert main.main(["doctor", "--stack-file", str(stack), "-o", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert any(c["name"] == "node role nodes" for c in data["checks"])
    stub.assert_no_pending_responses()


def test_help_for_every_command_and_bad_usage(aws_env):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for argv in (["doctor", "--help"], ["lifecycle", "apply", "--help"], ["lifecycle", "--help"]):
        done = subprocess.run([sys.executable, "-m", "ecr", *argv], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and "usage:" in done.stdout
    done = subprocess.run([sys.executable, "-m", "ecr", "doctor", "--cache", "Not Valid"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--cache 'Not Valid'" in done.stderr


@pytest.mark.parametrize("url,expected", [
    (REGISTRY, (ACCOUNT, REGION)),
    ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", (ACCOUNT, "cn-north-1")),
    ("ghcr.io", None),
])
def test_parse_registry(url, expected):
    assert ops_checks.parse_registry(url) == expected


def test_role_arn_assumes_the_consuming_role_end_to_end(aws_env, monkeypatch, capsys):
    ecr, stub = stubbed_ecr(login=False)  # the login is checked from the consuming side
    monkeypatch.setattr(ops_clients, "for_profile", lambda profile, region: make_clients(ecr))
    role = "arn:aws:iam::111111111111:role/ecr-doctor"
    code = main.main(["doctor", "--role-arn", role, "--cache", "docker-hub", "--cache", "quay",
                     "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    checks = {c["name"]: c for c in data["checks"]}
    assert code == 0, [c for c in data["checks"] if c["status"] == "fail"]
    assert checks["assume consuming role"]["status"] == "pass"
    assert "account 111111111111" in checks["consuming account credentials"]["detail"]
    assert checks["registry login"]["status"] == "pass"
    stub.assert_no_pending_responses()
