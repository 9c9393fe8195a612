"""EKS (and IAM) answers for node-role discovery, queued on ``botocore.stub.Stubber``s.

One description of a cluster (``facts``) is turned into the exact answers
``ecr.aws.node_roles.discover`` gets, in its call order, with the expected parameters
checked by the Stubber.  The stack tests (``install`` runs in each scenario's process,
from ``tests/stack/runner.py``) and the doctor tests use the same answers, so both
consumers of discovery can be compared on one cluster.

``facts`` of one cluster (every key optional)::

    {"nodegroups": {"general": "<role arn>"},
     "autoMode": "<role arn>",                # computeConfig.enabled with this nodeRoleArn
     "authenticationMode": "API",             # default "API"; None: not reported
     "accessEntries": {"<principal arn>": "EC2_LINUX"},   # principal -> type
     "fargate": {"default": "<pod execution role arn>"},
     "instanceProfiles": {"<profile name>": ["<role arn>"]},
     "deny": "eks:ListAccessEntries",          # this call answers AccessDenied
     "missing": True}                         # DescribeCluster: ResourceNotFoundException

The scenarios' older ``clusters`` key ({cluster: {node group: role arn}}) means node groups
only.
"""

from __future__ import annotations

from typing import Any

from botocore.stub import Stubber

from ecr.aws import node_roles, sessions

DENIED_CODE = "AccessDeniedException"


class Denied(Exception):
    """Stop queueing: the call named in ``deny`` was answered with an error."""


def cluster_facts_of(scenario: dict[str, Any], cluster: str) -> dict[str, Any] | None:
    """The facts of ``cluster`` in a stack scenario (``eks`` wins over ``clusters``)."""
    if cluster in scenario.get("eks", {}):
        return dict(scenario["eks"][cluster])
    if cluster in scenario.get("clusters", {}):
        return {"nodegroups": dict(scenario["clusters"][cluster])}
    return None


def _role_arn_parts(arn: str) -> tuple[str, str]:
    return arn.rsplit("/", 1)[-1], arn


def queue(eks_stub: Stubber, iam_stub: Stubber | None, cluster: str,
          facts: dict[str, Any] | None) -> None:
    """Queue the answers ``discover(eks, cluster, iam)`` gets for a cluster with ``facts``
    (None: the cluster does not exist)."""
    deny = (facts or {}).get("deny")

    def answer(permission: str, operation: str, response: dict[str, Any],
               params: dict[str, Any]) -> None:
        if permission == deny:
            eks_stub.add_client_error(
                operation, DENIED_CODE,
                f"User: arn:aws:sts::123456789012:assumed-role/deployer/s is not authorized "
                f"to perform: {permission}", 403, expected_params=params)
            raise Denied
        eks_stub.add_response(operation, response, params)

    try:
        if facts is None or facts.get("missing"):
            eks_stub.add_client_error(
                "describe_cluster", "ResourceNotFoundException",
                f"No cluster found for name: {cluster}.", 404, expected_params={"name": cluster})
            return
        mode = facts.get("authenticationMode", "API")
        described: dict[str, Any] = {"name": cluster}
        if mode is not None:
            described["accessConfig"] = {"authenticationMode": mode}
        if facts.get("autoMode"):
            described["computeConfig"] = {"enabled": True, "nodePools": ["general-purpose"],
                                          "nodeRoleArn": facts["autoMode"]}
        answer("eks:DescribeCluster", "describe_cluster", {"cluster": described},
               {"name": cluster})
        groups = facts.get("nodegroups", {})
        answer("eks:ListNodegroups", "list_nodegroups", {"nodegroups": list(groups)},
               {"clusterName": cluster})
        for group in sorted(groups):
            answer("eks:DescribeNodegroup", "describe_nodegroup",
                   {"nodegroup": {"nodegroupName": group, "nodeRole": groups[group]}},
                   {"clusterName": cluster, "nodegroupName": group})
        profiles = facts.get("instanceProfiles", {})
        if mode in node_roles.ACCESS_ENTRY_MODES:
            entries = facts.get("accessEntries", {})
            answer("eks:ListAccessEntries", "list_access_entries",
                   {"accessEntries": list(entries)}, {"clusterName": cluster})
            for principal in sorted(entries):
                answer("eks:DescribeAccessEntry", "describe_access_entry",
                       {"accessEntry": {"clusterName": cluster, "principalArn": principal,
                                        "type": entries[principal]}},
                       {"clusterName": cluster, "principalArn": principal})
                if entries[principal] in node_roles.NODE_ENTRY_TYPES:
                    _instance_profile(iam_stub, principal, profiles)
        fargate = facts.get("fargate", {})
        answer("eks:ListFargateProfiles", "list_fargate_profiles",
               {"fargateProfileNames": list(fargate)}, {"clusterName": cluster})
        for profile in sorted(fargate):
            answer("eks:DescribeFargateProfile", "describe_fargate_profile",
                   {"fargateProfile": {"fargateProfileName": profile,
                                       "podExecutionRoleArn": fargate[profile]}},
                   {"clusterName": cluster, "fargateProfileName": profile})
    except Denied:
        return


def _instance_profile(iam_stub: Stubber | None, principal: str,
                      profiles: dict[str, list[str]]) -> None:
    parsed = node_roles.parse_principal(principal)
    if parsed.kind != "instance-profile" or iam_stub is None:
        return
    roles = [{"Path": "/", "RoleName": _role_arn_parts(arn)[0], "RoleId": "AROAEXAMPLE1234567",
              "Arn": arn, "CreateDate": "2024-01-01T00:00:00Z"}
             for arn in profiles.get(parsed.name, [])]
    iam_stub.add_response(
        "get_instance_profile",
        {"InstanceProfile": {"Path": "/", "InstanceProfileName": parsed.name,
                             "InstanceProfileId": "AIPAEXAMPLE1234567", "Arn": principal,
                             "CreateDate": "2024-01-01T00:00:00Z", "Roles": roles}},
        {"InstanceProfileName": parsed.name})


def stubbed_clients(region: str, cluster: str,
                    facts: dict[str, Any] | None) -> tuple[Any, Stubber, Any, Stubber]:
    """(eks, its stub, iam, its stub), activated, answering ``discover`` for ``cluster``."""
    sess = sessions.session(region=region)
    eks, iam = sessions.client(sess, "eks"), sessions.client(sess, "iam")
    eks_stub, iam_stub = Stubber(eks), Stubber(iam)
    queue(eks_stub, iam_stub, cluster, facts)
    eks_stub.activate()
    iam_stub.activate()
    return eks, eks_stub, iam, iam_stub


# The clients handed out in this process (for the runner's check that all were used).
HANDED_OUT: list[tuple[Stubber, Stubber]] = []


def install(scenario: dict[str, Any]) -> None:
    """In a stack scenario's process: answer the program's discovery calls from the
    scenario instead of AWS (``ecr.aws.node_roles.cluster_clients`` is replaced)."""
    cluster = scenario.get("config", {}).get("eksClusterName")

    def fake_clients(region: str, profile: str | None = None) -> tuple[Any, Any]:
        assert cluster, "discovery without eksClusterName"
        # The provider's region and profile (aws:region, aws:profile), as the provider has.
        assert region == scenario.get("region", "af-south-1"), region
        assert profile == scenario.get("aws_profile"), profile
        eks, eks_stub, iam, iam_stub = stubbed_clients(
            region, cluster, cluster_facts_of(scenario, cluster))
        HANDED_OUT.append((eks_stub, iam_stub))
        return eks, iam

    node_roles.cluster_clients = fake_clients


def pending_answers() -> list[str]:
    """Answers queued but never asked for (empty when discovery made every call)."""
    pending = []
    for eks_stub, iam_stub in HANDED_OUT:
        for stub in (eks_stub, iam_stub):
            try:
                stub.assert_no_pending_responses()
            except AssertionError as exc:
                pending.append(str(exc))
    return pending


# --- the "done when" clusters (account 123456789012) ------------------------------

def _role(name: str) -> str:
    return f"arn:aws:iam::123456789012:role/{name}"


EXAMPLE_CLUSTERS: dict[str, dict[str, Any]] = {
    # Managed node groups; EKS also gives a managed group's role an EC2_LINUX access entry.
    "managed": {
        "authenticationMode": "API_AND_CONFIG_MAP",
        "nodegroups": {"general": _role("ng-general"), "gpu": _role("eks/nodes/ng-gpu")},
        "accessEntries": {_role("ng-general"): "EC2_LINUX",
                          "arn:aws:iam::123456789012:user/alice": "STANDARD"},
    },
    # EKS Auto Mode: the compute config's node role, which also has an EC2 access entry.
    "auto": {
        "authenticationMode": "API",
        "autoMode": _role("AmazonEKSAutoNodeRole"),
        "accessEntries": {_role("AmazonEKSAutoNodeRole"): "EC2", _role("platform-admin"):
                          "STANDARD"},
    },
    # Karpenter (and self-managed Windows and hybrid nodes) through access entries; the
    # controller runs on a small managed node group.
    "karpenter": {
        "authenticationMode": "API",
        "nodegroups": {"system": _role("ng-system")},
        "accessEntries": {_role("KarpenterNodeRole-karpenter"): "EC2_LINUX",
                          _role("windows-nodes"): "EC2_WINDOWS",
                          _role("hybrid/edge-nodes"): "HYBRID_LINUX",
                          "arn:aws:iam::123456789012:user/bob": "STANDARD"},
    },
    # Fargate only, on a cluster still using aws-auth: two profiles share one role.
    "fargate": {
        "authenticationMode": "CONFIG_MAP",
        "fargate": {"default": _role("eks-fargate-pods"),
                    "kube-system": _role("eks-fargate-pods"),
                    "batch": _role("fargate/batch-pods")},
    },
}

# The roles each example cluster's nodes and pods pull with.
EXAMPLE_ROLES: dict[str, list[str]] = {
    "managed": ["ng-general", "ng-gpu"],
    "auto": ["AmazonEKSAutoNodeRole"],
    "karpenter": ["ng-system", "KarpenterNodeRole-karpenter", "edge-nodes", "windows-nodes"],
    "fargate": ["batch-pods", "eks-fargate-pods"],
}
