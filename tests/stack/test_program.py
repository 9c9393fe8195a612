"""The real ``__main__.py`` under Pulumi mocks: every resource's inputs, every scenario.

Each scenario runs in a process of its own (see harness.py).  The expected
policy documents come from the pure modules, which have their own tests
(test_iam.py, test_settings.py); here we check the program wires the
right ones to the right resources, with the right options.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ecr import catalogue
from ecr.config.settings import Settings
from ecr.policies import iam, lifecycle
from tests.stack.harness import (
    ACCOUNT,
    DOCKER_TOKEN,
    GITHUB_TOKEN,
    REGION,
    ProgramRun,
    Resource,
    is_secret_wrapper,
    prefetch,
    run_program,
    settings_of,
    shutdown,
)
from tests.stack.scenarios import (
    ACCOUNTS,
    BAD,
    BAD_AWS,
    CLUSTERS,
    GOOD,
    KARPENTER_ROLE,
    NODE_ROLE,
    ORG,
)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module", autouse=True)
def _runs_in_parallel() -> Iterator[None]:
    prefetch([*GOOD.values(), *(sc for sc, _, _ in BAD.values()),
              *(sc for sc, _ in BAD_AWS.values())])
    yield
    shutdown()

T_SECRET = "aws:secretsmanager/secret:Secret"
T_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
T_RULE = "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"
T_TEMPLATE = "aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"
T_REPO = "aws:ecr/repository:Repository"
T_LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
T_REPO_POLICY = "aws:ecr/repositoryPolicy:RepositoryPolicy"
T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_SCANNING = "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration"
T_REGISTRY_POLICY = "aws:ecr/registryPolicy:RegistryPolicy"
T_REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def good(name: str) -> ProgramRun:
    return run_program(GOOD[name]).expect_ok()


def node_policies(run: ProgramRun) -> list[Resource]:
    """The node roles' inline policies (the pruner's roles have theirs: test_pruner.py)."""
    access = {r.urn for r in run.resources if r.type == "infra-ecr:stack:NodeAccess"}
    return [r for r in run.of_type(T_ROLE_POLICY) if r.parent in access]


def node_policy(run: ProgramRun) -> Resource:
    [policy] = node_policies(run)
    return policy


def registry_of(run: ProgramRun) -> iam.Registry:
    return iam.Registry(run.scenario.get("partition", "aws"),
                                 run.scenario["region"], run.scenario["account"])


# --- one checker per resource type: every input of every resource ---------------------------

def assert_secret(run: ProgramRun, s: Settings, r: Resource) -> None:
    prefix = r.name.removesuffix("-credentials-secret")
    assert s.credentials_for(prefix) is not None
    assert r.inputs["name"] == f"ecr-pullthroughcache/{prefix}" == catalogue.secret_name(prefix)
    assert "kmsKeyId" not in r.inputs  # ECR only reads secrets under aws/secretsmanager
    assert r.inputs["recoveryWindowInDays"] == 0
    assert r.inputs["tags"] == {"managed-by": "pulumi", "pulumi-project": "infra-ecr",
                                "pulumi-stack": run.scenario.get("stack", "prod")}
    assert set(r.inputs) == {"name", "description", "recoveryWindowInDays", "tags"}


def assert_version(run: ProgramRun, s: Settings, r: Resource) -> None:
    prefix = r.name.removesuffix("-credentials-version")
    creds = s.credentials_for(prefix)
    assert creds is not None
    assert is_secret_wrapper(r.raw_inputs["secretString"]), "secret_string must be a secret"
    assert json.loads(r.inputs["secretString"]) == {
        "username": creds.username, "accessToken": creds.token.reveal()}
    assert r.inputs["secretId"] == f"{prefix}-credentials-secret-id"
    assert set(r.inputs) == {"secretId", "secretString"}


def assert_rule(run: ProgramRun, s: Settings, r: Resource) -> None:
    prefix = r.inputs["ecrRepositoryPrefix"]
    upstream = catalogue.by_prefix(prefix)
    assert prefix in s.caches and r.name == f"{prefix}-rule"
    assert r.inputs["upstreamRegistryUrl"] == upstream.upstream_url
    if upstream.needs_credentials:
        secret = run.one(T_SECRET, f"{prefix}-credentials-secret")
        version = run.one(T_VERSION, f"{prefix}-credentials-version")
        assert r.inputs["credentialArn"] == secret.state["arn"]  # type: ignore[index]
        assert version.urn in r.dependencies, "the rule must wait for the secret's version"
        assert set(r.inputs) == {"ecrRepositoryPrefix", "upstreamRegistryUrl", "credentialArn"}
    else:
        assert set(r.inputs) == {"ecrRepositoryPrefix", "upstreamRegistryUrl"}


def _repository_policy(run: ProgramRun, s: Settings) -> dict[str, Any] | None:
    return iam.repository_pull_policy(registry_of(run).partition, s.pull_account_ids,
                                               s.organization_id)


def assert_template(run: ProgramRun, s: Settings, r: Resource) -> None:
    prefix = r.inputs["prefix"]
    assert prefix in s.caches and r.name == f"{prefix}-template"
    assert r.inputs["appliedFors"] == ["PULL_THROUGH_CACHE"]
    assert r.inputs["imageTagMutability"] == "MUTABLE"
    assert r.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    cache_policy = lifecycle.cache_lifecycle_policy_or_none(
        s.cache_max_age_days, s.cache_keep_images)
    keys = {"prefix", "appliedFors", "imageTagMutability", "encryptionConfigurations",
            "description"}
    if cache_policy is None:
        assert "lifecyclePolicy" not in r.inputs
    else:
        assert r.json_input("lifecyclePolicy") == cache_policy
        keys.add("lifecyclePolicy")
    expected = _repository_policy(run, s)
    if expected is None:
        assert "repositoryPolicy" not in r.inputs
    else:
        assert r.json_input("repositoryPolicy") == expected
        keys.add("repositoryPolicy")
    assert "customRoleArn" not in r.inputs and "resourceTags" not in r.inputs
    assert set(r.inputs) == keys


def assert_repository(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.inputs["name"] in s.custom_repositories
    assert r.protect and r.retain_on_delete
    assert r.inputs["forceDelete"] is False
    assert r.inputs["imageScanningConfiguration"] == {"scanOnPush": s.scan_on_push}
    assert r.inputs["imageTagMutability"] == "MUTABLE"
    assert r.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert set(r.inputs) == {"name", "forceDelete", "imageScanningConfiguration",
                             "imageTagMutability", "encryptionConfigurations", "tags"}


def assert_lifecycle(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.inputs["repository"] in s.custom_repositories
    assert r.json_input("policy") == lifecycle.custom_lifecycle_policy(
        s.custom_keep_images)
    assert not r.protect


def assert_repository_policy(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert s.shares_cache
    assert r.inputs["repository"] in s.custom_repositories
    assert r.json_input("policy") == _repository_policy(run, s)


def assert_role_policy(run: ProgramRun, s: Settings, r: Resource) -> None:
    stack = run.scenario.get("stack", "prod")
    assert r.inputs["role"] in run.outputs["node_role_names"]
    assert r.inputs["name"] == f"infra-ecr-{stack}-ecr-pull-through-cache"
    assert r.json_input("policy") == iam.node_role_policy(
        registry_of(run), s.caches, s.custom_repositories)
    assert set(r.inputs) == {"role", "name", "policy"}


def assert_scanning(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.inputs["scanType"] == "BASIC"
    expected = ([{"scanFrequency": "SCAN_ON_PUSH",
                  "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
                if s.scan_on_push else [])
    assert r.inputs.get("rules", []) == expected


def assert_registry_policy(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert s.shares_cache and s.caches
    assert r.json_input("policy") == iam.registry_policy(
        registry_of(run), s.caches, s.pull_account_ids, s.organization_id)


def assert_replication(run: ProgramRun, s: Settings, r: Resource) -> None:
    rules = r.inputs["replicationConfiguration"]["rules"]
    assert rules == [{
        "destinations": [{"region": region, "registryId": run.scenario["account"]}
                         for region in s.replication_regions],
        "repositoryFilters": [{"filter": name, "filterType": "PREFIX_MATCH"}
                              for name in s.custom_repositories],
    }]


CHECKERS: dict[str, Callable[[ProgramRun, Settings, Resource], None]] = {
    T_SECRET: assert_secret,
    T_VERSION: assert_version,
    T_RULE: assert_rule,
    T_TEMPLATE: assert_template,
    T_REPO: assert_repository,
    T_LIFECYCLE: assert_lifecycle,
    T_REPO_POLICY: assert_repository_policy,
    T_ROLE_POLICY: assert_role_policy,
    T_SCANNING: assert_scanning,
    T_REGISTRY_POLICY: assert_registry_policy,
    T_REPLICATION: assert_replication,
}


# Components whose resources another test module checks input by input.
CHECKED_ELSEWHERE = {"infra-ecr:stack:CostControls": "tests/stack/test_main_cost.py",
                     "infra-ecr:stack:CachePruner": "tests/stack/test_pruner.py"}
OUTPUTS_CHECKED_ELSEWHERE = {"budget_name", "dashboard_url", "pruner_function_name"}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_resource_input_is_checked(name: str) -> None:
    run = good(name)
    s = settings_of(run)
    checked = elsewhere = 0
    for resource in run.resources:
        if not resource.custom:
            assert resource.type.startswith("infra-ecr:"), resource.type
            assert resource.parent.endswith("::pulumi:pulumi:Stack::infra-ecr-"
                                            + run.scenario.get("stack", "prod"))
            continue
        # Every AWS resource lives inside one of our components.
        parent_type = run.by_urn(resource.parent).type
        assert parent_type.startswith("infra-ecr:"), parent_type
        if parent_type in CHECKED_ELSEWHERE:
            elsewhere += 1
            continue
        assert resource.type in CHECKERS, f"no checker for {resource.type}: add one"
        CHECKERS[resource.type](run, s, resource)
        checked += 1
    assert checked + elsewhere == sum(1 for r in run.resources if r.custom)
    assert checked > 0


@pytest.mark.parametrize("name", sorted(GOOD))
def test_resource_counts_follow_the_settings(name: str) -> None:
    run = good(name)
    s = settings_of(run)
    elsewhere = {r.urn for r in run.resources if r.type in CHECKED_ELSEWHERE}
    counts = {t: sum(r.parent not in elsewhere for r in run.of_type(t)) for t in CHECKERS}
    assert counts == {
        T_SECRET: len(s.credentials),
        T_VERSION: len(s.credentials),
        T_RULE: len(s.caches),
        T_TEMPLATE: len(s.caches),
        T_REPO: len(s.custom_repositories),
        T_LIFECYCLE: len(s.custom_repositories),
        T_REPO_POLICY: len(s.custom_repositories) if s.shares_cache else 0,
        T_ROLE_POLICY: len(run.outputs["node_role_names"]),
        T_SCANNING: 1,
        T_REGISTRY_POLICY: 1 if s.shares_cache and s.caches else 0,
        T_REPLICATION: 1 if s.replication_regions else 0,
    }


@pytest.mark.parametrize("name", sorted(GOOD))
def test_outputs(name: str) -> None:
    run = good(name)
    s = settings_of(run)
    region = run.scenario["region"]
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    expected = {
        "ecr_registry_url": f"{ACCOUNT}.dkr.ecr.{region}.{suffix}",
        "ecr_registry_id": ACCOUNT,
        "aws_region": region,
        "cache_prefixes": catalogue.host_to_prefix(s.caches),
        "repository_urls": {n: f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{n}"
                            for n in s.custom_repositories},
        "node_role_names": run.outputs["node_role_names"],
    }
    if s.shares_cache:
        expected["cross_account_node_policy"] = iam.consumer_node_policy(
            registry_of(run), s.caches, s.custom_repositories)
    # The cost component's outputs are checked by tests/stack/test_main_cost.py.
    ours = {k: v for k, v in run.outputs.items() if k not in OUTPUTS_CHECKED_ELSEWHERE}
    assert ours == expected
    assert run.secret_outputs == []


def test_default_config_creates_the_documented_stack() -> None:
    run = good("defaults")
    assert sorted(r.inputs["ecrRepositoryPrefix"] for r in run.of_type(T_RULE)) == sorted(
        ["docker-hub", "quay", "github", "k8s", "ecr-public"])
    assert {r.inputs["upstreamRegistryUrl"] for r in run.of_type(T_RULE)} == {
        "registry-1.docker.io", "quay.io", "ghcr.io", "registry.k8s.io", "public.ecr.aws"}
    assert sorted(r.inputs["name"] for r in run.of_type(T_SECRET)) == [
        "ecr-pullthroughcache/docker-hub", "ecr-pullthroughcache/github"]
    assert run.one(T_REPO).inputs["name"] == "custom-apps"
    cache_policy = run.one(T_TEMPLATE, "quay-template").json_input("lifecyclePolicy")
    # ECR cannot expire on sinceImagePulled (archive only): the pruner deletes what nobody
    # pulled, and the policy keeps only the safety limit by age since caching.
    assert [rule["selection"] for rule in cache_policy["rules"]] == [
        {"tagStatus": "any", "countType": "sinceImagePushed", "countUnit": "days",
         "countNumber": 365}]
    keep = run.one(T_LIFECYCLE).json_input("policy")["rules"]
    assert [(r["selection"]["tagStatus"], r["selection"]["countNumber"]) for r in keep] == [
        ("tagged", 30)]
    assert run.outputs["cache_prefixes"]["index.docker.io"] == "docker-hub"
    assert run.outputs["cache_prefixes"]["docker.io"] == "docker-hub"
    assert run.outputs["node_role_names"] == []
    assert any("no node roles" in w for w in run.warnings)
    assert not run.of_type(T_REGISTRY_POLICY) and not run.of_type(T_REPLICATION)


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_lifecycle_policy_is_one_ecr_accepts_and_acts_on(name: str) -> None:
    run = good(name)
    documents = [t.json_input("lifecyclePolicy") for t in run.of_type(T_TEMPLATE)
                 if "lifecyclePolicy" in t.inputs]
    documents += [p.json_input("policy") for p in run.of_type(T_LIFECYCLE)]
    for document in documents:
        assert lifecycle.ecr_problems(document) == [], document


def test_no_cache_lifecycle_policy_when_both_limits_are_off() -> None:
    run = good("alerts-without-budget")
    assert run.of_type(T_TEMPLATE)
    assert all("lifecyclePolicy" not in t.inputs for t in run.of_type(T_TEMPLATE))


def test_preview_runs_the_same_checks() -> None:
    preview, update = good("defaults-preview"), good("defaults")
    assert sorted((r.type, r.name) for r in preview.resources) == sorted(
        (r.type, r.name) for r in update.resources)
    assert {i["token"] for i in preview.invokes} >= {
        "aws:index/getCallerIdentity:getCallerIdentity", "aws:index/getRegion:getRegion"}


def test_configured_role_names_and_arns() -> None:
    run = good("node-roles")
    assert run.outputs["node_role_names"] == [NODE_ROLE, KARPENTER_ROLE]
    assert sorted(r.inputs["role"] for r in node_policies(run)) == sorted(
        [NODE_ROLE, KARPENTER_ROLE])
    looked_up = [i["args"]["name"] for i in run.invokes
                 if i["token"] == "aws:iam/getRole:getRole"]
    assert looked_up == [NODE_ROLE, KARPENTER_ROLE]


def test_node_roles_discovered_from_eks_are_merged_without_duplicates() -> None:
    run = good("eks-discovery")
    assert run.outputs["node_role_names"] == ["ng-general", "ng-gpu"]
    # Discovered through boto3 (ecr.aws.node_roles), answered by tests/stack/eks_answers.py.
    assert [line for line in run.logs if "found: node group" in line] == [
        f"INFO: node role 'ng-{g}' found: node group '{g}' of EKS cluster 'platform'"
        for g in sorted(CLUSTERS["platform"])]


def test_node_policy_is_least_privilege() -> None:
    run = good("custom-repositories")
    policy = node_policy(run).json_input("policy")
    by_sid = {st["Sid"]: st for st in policy["Statement"]}
    assert by_sid["GetAuthorizationToken"]["Resource"] == "*"
    assert by_sid["GetAuthorizationToken"]["Action"] == ["ecr:GetAuthorizationToken"]
    cache = by_sid["PullThroughCache"]
    assert cache["Action"] == sorted(["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                      "ecr:BatchImportUpstreamImage", "ecr:CreateRepository"])
    assert cache["Resource"] == sorted(
        f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{p}/*" for p in catalogue.DEFAULT_CACHES)
    private = by_sid["PullPrivateRepositories"]
    assert private["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    assert private["Resource"] == [f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/team-a/api",
                                   f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/web"]


def test_minimal_options() -> None:
    run = good("minimal")
    assert not run.of_type(T_SECRET) and not run.of_type(T_REPO)
    assert run.one(T_SCANNING).inputs.get("rules", []) == []
    cache_policy = run.one(T_TEMPLATE, "k8s-template").json_input("lifecyclePolicy")
    # The cap replaces the age limit: ECR applies one rule per image, so a cap behind
    # an age rule covering every image would never expire anything.
    assert [rule["selection"] for rule in cache_policy["rules"]] == [
        {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 500}]
    assert any("cacheKeepImages is set" in w for w in run.warnings)
    statements = node_policy(run).json_input("policy")["Statement"]
    assert [st["Sid"] for st in statements] == ["GetAuthorizationToken", "PullThroughCache"]


def test_sharing_with_accounts() -> None:
    run = good("shared-accounts")
    policy = run.one(T_REGISTRY_POLICY).json_input("policy")
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in ACCOUNTS]}
    assert statement["Action"] == ["ecr:BatchImportUpstreamImage", "ecr:CreateRepository"]
    assert len(run.of_type(T_REPO_POLICY)) == 1
    for template in run.of_type(T_TEMPLATE):
        (pull,) = template.json_input("repositoryPolicy")["Statement"]
        assert pull["Action"] == ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]


def test_sharing_with_an_organization_always_carries_the_condition() -> None:
    for name in ("shared-organization", "shared-both"):
        run = good(name)
        documents = [run.one(T_REGISTRY_POLICY).json_input("policy")]
        documents += [t.json_input("repositoryPolicy") for t in run.of_type(T_TEMPLATE)]
        documents += [p.json_input("policy") for p in run.of_type(T_REPO_POLICY)]
        for document in documents:
            for statement in document["Statement"]:
                if statement["Principal"] == {"AWS": "*"}:
                    assert statement["Condition"] == {
                        "StringEquals": {"aws:PrincipalOrgID": ORG}}
        assert any(st["Principal"] == {"AWS": "*"} for d in documents for st in d["Statement"])


def test_account_id_stored_as_number_keeps_its_leading_zero() -> None:
    run = good("shared-account-as-number")
    (statement,) = run.one(T_REGISTRY_POLICY).json_input("policy")["Statement"]
    assert statement["Principal"] == {"AWS": ["arn:aws:iam::012345678901:root"]}


def test_no_registry_policy_unless_shared() -> None:
    for name in GOOD:
        run = good(name)
        shared = settings_of(run).shares_cache
        assert bool(run.of_type(T_REGISTRY_POLICY)) == shared, name


def test_replication() -> None:
    run = good("replication")
    rules = run.one(T_REPLICATION).inputs["replicationConfiguration"]["rules"]
    assert [d["region"] for d in rules[0]["destinations"]] == ["eu-west-1", "us-east-1"]
    assert [f["filter"] for f in rules[0]["repositoryFilters"]] == ["custom-apps",
                                                                    "team-b/worker"]


def test_second_region_stack_is_independent() -> None:
    run = good("second-region")
    assert run.outputs["ecr_registry_url"] == f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com"
    names = {r.inputs["name"] for r in node_policies(run)}
    assert names == {"infra-ecr-prod-eu-west-1-ecr-pull-through-cache"}
    for policy in node_policies(run):
        assert ":eu-west-1:" in policy.inputs["policy"]
        assert ":af-south-1:" not in policy.inputs["policy"]


def test_china_partition_arns() -> None:
    run = good("china-partition")
    policy = node_policy(run).inputs["policy"]
    assert "arn:aws-cn:ecr:cn-north-1:" in policy and "arn:aws:" not in policy
    assert run.outputs["ecr_registry_url"].endswith(".amazonaws.com.cn")


def test_credentials_for_a_cache_not_chosen_are_ignored_with_a_warning() -> None:
    run = good("credentials-for-unused-cache")
    assert not run.of_type(T_SECRET)
    assert any("dockerHubUsername/dockerHubAccessToken are set" in w for w in run.warnings)


# --- secrets ----------------------------------------------------------------------------------

def _plain_strings(value: Any) -> list[str]:
    """Every string in raw inputs that is NOT inside a secret wrapper."""
    if is_secret_wrapper(value):
        return []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _plain_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _plain_strings(v)]
    return [value] if isinstance(value, str) else []


@pytest.mark.parametrize("name", sorted(GOOD))
def test_tokens_never_reach_a_resource_input_unwrapped(name: str) -> None:
    run = good(name)
    for resource in run.resources:
        for text in _plain_strings(resource.raw_inputs):
            assert DOCKER_TOKEN not in text and GITHUB_TOKEN not in text, (
                f"{resource.type} {resource.name} has a token in plain text")
    dumped = json.dumps([run.outputs, run.logs])
    assert DOCKER_TOKEN not in dumped and GITHUB_TOKEN not in dumped


def test_the_token_does_reach_the_secret_version_wrapped() -> None:
    # Guards the test above: it must be looking at inputs that do hold the token.
    run = good("defaults")
    version = run.one(T_VERSION, "docker-hub-credentials-version")
    assert DOCKER_TOKEN in json.dumps(version.raw_inputs)
    assert DOCKER_TOKEN not in "".join(_plain_strings(version.raw_inputs))


def test_a_plaintext_token_is_refused_without_echoing_it() -> None:
    run = run_program(BAD["token-not-secret"][0])
    assert run.error is not None
    assert DOCKER_TOKEN not in run.error["message"] + run.error["traceback"]


# --- bad config and bad AWS facts ---------------------------------------------------------

@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_config_fails_before_anything_is_registered(name: str) -> None:
    sc, key, text = BAD[name]
    run = run_program(sc)
    assert run.error is not None, f"{name} was accepted"
    assert run.error["type"] == "RunError"
    message = run.error["message"]
    assert f"infra-ecr:{key}:" in message
    assert "fix: pulumi config" in message
    assert text in message, message
    assert run.resources == [] and run.invokes == []


@pytest.mark.parametrize("name", sorted(BAD_AWS))
def test_bad_aws_facts_fail_the_preview_before_any_resource(name: str) -> None:
    sc, text = BAD_AWS[name]
    run = run_program(sc)
    assert run.error is not None, f"{name} was accepted"
    assert run.error["type"] in ("RunError", "NodeRoleError")
    assert text in run.error["message"], run.error["message"]
    assert "fix:" in run.error["message"]
    assert run.resources == []


def test_every_run_had_a_process_of_its_own() -> None:
    runs = [run_program(sc) for sc in GOOD.values()]
    assert len({r.pid for r in runs}) == len(runs)


def test_runs_find_the_program_loaded_in_the_fork_server() -> None:
    """Each run is forked from a server that loaded the program's modules and its pulumi_aws
    packages (tests/stack/runner.py): a package the program starts using belongs in
    ``AWS_PACKAGES``, a module of ours in ``PROGRAM_MODULES``, or every run loads it again."""
    runs = [run_program(sc) for sc in [*GOOD.values(), *(sc for sc, _, _ in BAD.values())]]
    assert [r.late_imports for r in runs if r.late_imports] == []
