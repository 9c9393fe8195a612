"""ecr.aws.node_roles: parsing (pure) and discovery against Stubber-answered EKS/IAM.

moto has no access entries and no compute config, so every source is answered by a
Stubber, whose expected parameters and response shapes botocore checks against EKS's
own API model.  Each source: empty, several, denied; and a role found through two
sources is reported once with both.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from ecr.aws import node_roles as nr
from ecr.aws import sessions
from tests.stack.eks_answers import EXAMPLE_CLUSTERS, EXAMPLE_ROLES, stubbed_clients

REGION = "af-south-1"
A = "arn:aws:iam::123456789012"


def role(name: str) -> str:
    return f"{A}:role/{name}"


def run(cluster: str, facts: dict[str, Any] | None) -> nr.Discovery:
    eks, eks_stub, iam, iam_stub = stubbed_clients(REGION, cluster, facts)
    found = nr.discover(eks, cluster, iam)
    eks_stub.assert_no_pending_responses()  # every queued answer was asked for
    iam_stub.assert_no_pending_responses()
    return found


def sources(found: nr.Discovery) -> dict[str, list[tuple[str, str]]]:
    return {r.name: [(s.kind, s.name) for s in r.sources] for r in found.roles}


# --- parsing -------------------------------------------------------------------------------

@pytest.mark.parametrize(("arn", "expected"), [
    (role("nodes"), nr.Principal("role", "nodes", role("nodes"))),
    (role("eks/prod/karpenter-node"),
     nr.Principal("role", "karpenter-node", role("eks/prod/karpenter-node"))),
    ("arn:aws-cn:iam::123456789012:role/cn-nodes",
     nr.Principal("role", "cn-nodes", "arn:aws-cn:iam::123456789012:role/cn-nodes")),
    ("arn:aws:sts::123456789012:assumed-role/KarpenterNodeRole-prod/i-0abc123",
     nr.Principal("assumed-role", "KarpenterNodeRole-prod")),
    (f"{A}:instance-profile/eks/prod_1234", nr.Principal("instance-profile", "prod_1234")),
    (f"{A}:user/alice", nr.Principal("other", f"{A}:user/alice")),
    (f"{A}:root", nr.Principal("other", f"{A}:root")),
    ("KarpenterNodeRole-prod", nr.Principal("other", "KarpenterNodeRole-prod")),
])
def test_principal_arns_map_to_role_names(arn: str, expected: nr.Principal) -> None:
    assert nr.parse_principal(arn) == expected


def test_cluster_facts_read_auto_mode_only_when_enabled() -> None:
    on = {"cluster": {"computeConfig": {"enabled": True, "nodeRoleArn": role("auto")},
                      "accessConfig": {"authenticationMode": "API"}}}
    off = {"cluster": {"computeConfig": {"enabled": False, "nodeRoleArn": role("auto")}}}
    assert nr.cluster_facts(on) == nr.ClusterFacts(role("auto"), "API")
    assert nr.cluster_facts(off) == nr.ClusterFacts(None, None)
    assert nr.cluster_facts(on).access_entries and not nr.cluster_facts(on).reads_aws_auth
    assert not nr.cluster_facts(off).access_entries and nr.cluster_facts(off).reads_aws_auth


@pytest.mark.parametrize("kind", ["EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX"])
def test_node_entry_types_are_nodes(kind: str) -> None:
    assert nr.node_entry_type({"accessEntry": {"type": kind}}) == kind


@pytest.mark.parametrize("kind", ["STANDARD", "FARGATE_LINUX", None])
def test_other_entry_types_are_not(kind: str | None) -> None:
    assert nr.node_entry_type({"accessEntry": {"type": kind}}) is None


def test_merge_keeps_one_role_per_name_with_every_source() -> None:
    a = nr.Source(nr.NODE_GROUP, "c", "g")
    b = nr.Source(nr.ACCESS_ENTRY, "c", "EC2_LINUX")
    merged = nr.merge([("n", None, b), ("m", role("m"), a), ("n", role("p/n"), a),
                       ("n", role("p/n"), a)])
    assert merged == (nr.FoundRole("n", role("p/n"), (b, a)), nr.FoundRole("m", role("m"), (a,)))


# --- discovery, source by source ---------------------------------------------------------

def test_empty_cluster_finds_nothing_and_searched_everything() -> None:
    found = run("empty", {})
    assert found.roles == ()
    assert "access entries" in nr.sources_searched(found.facts)


def test_managed_node_groups_several() -> None:
    found = run("c", {"nodegroups": {"b": role("path/nb"), "a": role("na")}})
    assert sources(found) == {"na": [(nr.NODE_GROUP, "a")], "nb": [(nr.NODE_GROUP, "b")]}
    assert found.roles[1].arn == role("path/nb")  # the path is kept for SimulatePrincipalPolicy


def test_auto_mode_role() -> None:
    found = run("c", {"autoMode": role("AmazonEKSAutoNodeRole")})
    assert sources(found) == {"AmazonEKSAutoNodeRole": [(nr.AUTO_MODE, "")]}
    assert "computeConfig.nodeRoleArn" in found.roles[0].describe()


def test_access_entries_of_node_types_only() -> None:
    entries = {role("karpenter"): "EC2_LINUX", role("win"): "EC2_WINDOWS",
               role("auto"): "EC2", role("hybrid"): "HYBRID_LINUX",
               role("admin"): "STANDARD", f"{A}:user/alice": "STANDARD"}
    found = run("c", {"accessEntries": entries})
    assert sorted(sources(found).items()) == [
        ("auto", [(nr.ACCESS_ENTRY, "EC2")]), ("hybrid", [(nr.ACCESS_ENTRY, "HYBRID_LINUX")]),
        ("karpenter", [(nr.ACCESS_ENTRY, "EC2_LINUX")]),
        ("win", [(nr.ACCESS_ENTRY, "EC2_WINDOWS")])]
    assert found.notes == ()  # STANDARD entries (people, CI) are not node roles: no note


def test_fargate_profiles_several() -> None:
    found = run("c", {"fargate": {"default": role("pods"), "batch": role("batch")}})
    assert sources(found) == {"batch": [(nr.FARGATE, "batch")],
                              "pods": [(nr.FARGATE, "default")]}


def test_a_role_found_twice_is_reported_once_with_both_sources() -> None:
    found = run("c", {"nodegroups": {"ng": role("nodes")},
                      "accessEntries": {role("nodes"): "EC2_LINUX"},
                      "fargate": {"fp": role("nodes")}})
    assert sources(found) == {"nodes": [(nr.NODE_GROUP, "ng"), (nr.ACCESS_ENTRY, "EC2_LINUX"),
                                        (nr.FARGATE, "fp")]}
    assert found.roles[0].describe() == (
        "node group 'ng' of EKS cluster 'c'; EC2_LINUX access entry of EKS cluster 'c'; "
        "pod execution role of Fargate profile 'fp' of EKS cluster 'c'")


def test_access_entries_are_not_read_under_config_map_mode() -> None:
    # The Stubber fails the test on any ListAccessEntries call: none is queued.
    found = run("c", {"authenticationMode": "CONFIG_MAP", "nodegroups": {"ng": role("n")}})
    assert found.names == ["n"]
    assert "authentication mode is CONFIG_MAP" in found.notes[0]


def test_non_role_principals_are_ignored_with_a_note() -> None:
    eks = sessions.client(sessions.session(region=REGION), "eks")
    stub = Stubber(eks)
    stub.add_response("describe_cluster", {"cluster": {
        "name": "c", "accessConfig": {"authenticationMode": "API"}}}, {"name": "c"})
    stub.add_response("list_nodegroups", {"nodegroups": []}, {"clusterName": "c"})
    stub.add_response("list_access_entries", {"accessEntries": [f"{A}:user/ops"]},
                      {"clusterName": "c"})
    stub.add_response("describe_access_entry", {"accessEntry": {
        "principalArn": f"{A}:user/ops", "type": "EC2_LINUX"}},
        {"clusterName": "c", "principalArn": f"{A}:user/ops"})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []}, {"clusterName": "c"})
    with stub:
        found = nr.discover(eks, "c")
    assert found.roles == ()
    assert found.notes == (f"EC2_LINUX access entry of EKS cluster 'c': principal {A}:user/ops "
                           "is not an IAM role; ignored (nodes pull with a role)",)


def test_assumed_role_and_instance_profile_principals_map_to_role_names() -> None:
    found = run("c", {
        "accessEntries": {"arn:aws:sts::123456789012:assumed-role/self-managed/i-0abc":
                          "EC2_LINUX", f"{A}:instance-profile/eks/legacy-profile": "EC2_LINUX"},
        "instanceProfiles": {"legacy-profile": [role("legacy/legacy-nodes")]}})
    assert {r.name: r.arn for r in found.roles} == {
        "legacy-nodes": role("legacy/legacy-nodes"), "self-managed": None}


def test_example_clusters_find_every_pulling_role() -> None:
    for cluster, facts in EXAMPLE_CLUSTERS.items():
        assert sorted(run(cluster, facts).names) == sorted(EXAMPLE_ROLES[cluster]), cluster


# --- failures: the missing permission is named --------------------------------------------

FULL = {"autoMode": role("auto"), "nodegroups": {"ng": role("n")},
        "accessEntries": {role("k"): "EC2_LINUX"}, "fargate": {"fp": role("f")}}


@pytest.mark.parametrize("permission", nr.PERMISSIONS)
def test_a_denied_call_names_its_permission(permission: str) -> None:
    eks, _, iam, _ = stubbed_clients(REGION, "prod", {**FULL, "deny": permission})
    with pytest.raises(nr.DiscoveryError) as caught:
        nr.discover(eks, "prod", iam)
    error = caught.value
    assert error.reason == "denied" and error.permission == permission
    assert str(error).startswith(f"access denied to {permission} on EKS cluster 'prod'")
    assert f"allow the caller {permission} on EKS cluster prod" in error.fix


def test_denied_listing_of_empty_sources_still_fails() -> None:
    # A denied ListFargateProfiles on a cluster with node groups fails: a partial list of
    # roles would leave Fargate pods unable to pull, silently.
    eks, _, iam, _ = stubbed_clients(REGION, "prod", {"nodegroups": {"ng": role("n")},
                                                      "deny": "eks:ListFargateProfiles"})
    with pytest.raises(nr.DiscoveryError, match="eks:ListFargateProfiles"):
        nr.discover(eks, "prod", iam)


def test_missing_cluster_names_the_region() -> None:
    eks, _, iam, _ = stubbed_clients(REGION, "prdo", None)
    with pytest.raises(nr.DiscoveryError) as caught:
        nr.discover(eks, "prdo", iam)
    assert caught.value.reason == "not_found"
    assert str(caught.value) == f"EKS cluster 'prdo' not found in region {REGION}"
    assert f"aws eks list-clusters --region {REGION}" in caught.value.fix


def test_other_errors_are_explained() -> None:
    eks = sessions.client(sessions.session(region=REGION), "eks")
    stub = Stubber(eks)
    stub.add_client_error("describe_cluster", "ServerException", "try later", 500)
    with stub, pytest.raises(nr.DiscoveryError) as caught:
        nr.discover(eks, "prod")
    assert caught.value.reason == "error" and "try later" in str(caught.value)


def test_aws_auth_caveat_only_when_the_cluster_reads_aws_auth() -> None:
    command = "pulumi config set --path 'infra-ecr:nodeRoleNames[0]' <role>"
    for mode, expected in (("API", False), ("API_AND_CONFIG_MAP", True), ("CONFIG_MAP", True),
                           (None, True)):
        found = nr.Discovery("c", REGION, nr.ClusterFacts(None, mode), ())
        caveat = nr.aws_auth_caveat(found, command)
        assert (caveat is not None) == expected, mode
        if caveat:
            assert "aws-auth" in caveat and command in caveat


def test_pagination_reads_every_page() -> None:
    eks = sessions.client(sessions.session(region=REGION), "eks")
    stub = Stubber(eks)
    stub.add_response("describe_cluster", {"cluster": {"name": "c"}}, {"name": "c"})
    stub.add_response("list_nodegroups", {"nodegroups": ["a"], "nextToken": "t"},
                      {"clusterName": "c"})
    stub.add_response("list_nodegroups", {"nodegroups": ["b"]},
                      {"clusterName": "c", "nextToken": "t"})
    for group in ("a", "b"):
        stub.add_response("describe_nodegroup", {"nodegroup": {"nodeRole": role(group)}},
                          {"clusterName": "c", "nodegroupName": group})
    stub.add_response("list_fargate_profiles", {"fargateProfileNames": []}, {"clusterName": "c"})
    with stub:
        assert nr.discover(eks, "c").names == ["a", "b"]
    stub.assert_no_pending_responses()


def test_denied_instance_profile_read_names_the_iam_permission() -> None:
    profile = f"{A}:instance-profile/legacy"
    eks, _, _, _ = stubbed_clients(REGION, "c", {"accessEntries": {profile: "EC2_LINUX"}})
    iam = sessions.client(sessions.session(region=REGION), "iam")
    iam_stub = Stubber(iam)
    iam_stub.add_client_error("get_instance_profile", "AccessDenied", "no", 403,
                              expected_params={"InstanceProfileName": "legacy"})
    with iam_stub, pytest.raises(nr.DiscoveryError) as caught:
        nr.discover(eks, "c", iam)
    assert caught.value.reason == "denied"
    assert caught.value.permission == nr.INSTANCE_PROFILE_PERMISSION
