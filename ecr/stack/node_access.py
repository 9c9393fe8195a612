"""Node roles: find them, prove they exist, and give them what the cache needs.

The stock EKS node policies cannot do the first pull of a new image through the
cache (no ``ecr:CreateRepository``; ReadOnly also lacks
``ecr:BatchImportUpstreamImage``).  So every configured or discovered node role
gets an inline policy owned by this stack, named after the stack, so that two
stacks (e.g. two regions) never overwrite each other's policy on a shared role.

Roles are resolved *before* any resource is registered: a missing role fails
``pulumi preview`` with a message naming it and where it came from.  The roles of
``eksClusterName`` come from ``ecr.aws.node_roles.discover`` (managed node groups,
Auto Mode, node access entries, Fargate profiles), the same discovery ``doctor
--cluster`` uses.  It calls EKS with boto3 (the provider has no invoke for access
entries or Fargate profiles) in the provider's region (``aws:region``, passed in)
with the standard credential chain, or the stack's ``aws:profile`` when set: the
credentials the Pulumi AWS provider uses.  Each role found is then read with the
provider's ``aws.iam.get_role`` invoke.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.aws import AwsSetupError, node_roles
from ecr.config.settings import NAMESPACE, set_list_command
from ecr.stack.common import TYPE_PREFIX, child

CONFIGURED = f"{NAMESPACE}:nodeRoleNames"


@dataclass(frozen=True)
class NodeRole:
    name: str
    arn: str
    # Where the role came from: "infra-ecr:nodeRoleNames" and/or each discovery source
    # ("node group 'ng' of EKS cluster 'c'", "EC2_LINUX access entry of EKS cluster 'c'", ...).
    sources: tuple[str, ...]

    @property
    def source(self) -> str:
        return "; ".join(self.sources)


class NodeRoleError(pulumi.RunError):
    """A node role that cannot be used; the message says what to do."""


def add_role_command(configured: Sequence[str]) -> str:
    """The command that adds one more role to ``nodeRoleNames`` (the next free index)."""
    return f"pulumi config set --path '{NAMESPACE}:nodeRoleNames[{len(configured)}]' <role>"


def discover_cluster_roles(cluster_name: str, region: str,
                           configured: Sequence[str] = ()) -> node_roles.Discovery:
    """Every role that pulls for ``cluster_name``; a clear error when EKS cannot be read."""
    fallback = (f"or pulumi config rm {NAMESPACE}:eksClusterName and set "
                f"{NAMESPACE}:nodeRoleNames")
    profile = pulumi.Config("aws").get("profile")
    try:
        eks, iam = node_roles.cluster_clients(region, profile)
        discovery = node_roles.discover(eks, cluster_name, iam)
    except node_roles.DiscoveryError as error:
        raise NodeRoleError(
            f"cannot discover the node roles of EKS cluster {cluster_name!r} "
            f"({NAMESPACE}:eksClusterName): {error}\n  fix: {error.fix}, {fallback}"
        ) from error
    except AwsSetupError as error:
        raise NodeRoleError(
            f"cannot discover the node roles of EKS cluster {cluster_name!r}: {error}\n"
            f"  fix: the stack reads EKS with the provider's credentials (AWS_PROFILE or "
            f"aws:profile), {fallback}"
        ) from error
    for note in discovery.notes:
        pulumi.log.info(f"EKS cluster {cluster_name!r}: {note}")
    caveat = node_roles.aws_auth_caveat(discovery, add_role_command(configured))
    if caveat:
        pulumi.log.warn(caveat)
    if not discovery.roles:
        message = (
            f"EKS cluster {cluster_name!r} has no managed node groups, no Auto Mode node role, "
            f"no node access entries and no Fargate profiles, so no node roles were found "
            f"(searched: {node_roles.sources_searched(discovery.facts)})"
        )
        if not configured:
            raise NodeRoleError(
                f"{message}; roles mapped only in the aws-auth ConfigMap cannot be seen from "
                f"AWS APIs (kubectl -n kube-system get configmap aws-auth -o yaml)\n"
                f"  fix: pulumi config set --path '{NAMESPACE}:nodeRoleNames[0]' <node role name>"
            )
        pulumi.log.warn(message)
    for role in discovery.roles:
        pulumi.log.info(f"node role {role.name!r} found: {role.describe()}")
    return discovery


def resolve_node_roles(role_names: Sequence[str], cluster_name: str | None,
                       region: str) -> list[NodeRole]:
    """Every node role, configured first, then discovered; each checked to exist."""
    wanted: dict[str, list[str]] = {name: [CONFIGURED] for name in role_names}
    if cluster_name:
        for found in discover_cluster_roles(cluster_name, region, role_names).roles:
            wanted.setdefault(found.name, []).extend(str(s) for s in found.sources)
    roles: list[NodeRole] = []
    for name, sources in wanted.items():
        try:
            role = aws.iam.get_role(name=name)
        except Exception as error:
            text = str(error)
            if "NoSuchEntity" in text or "cannot be found" in text:
                problem = "does not exist in this AWS account"
            else:
                problem = f"cannot be read (the deploying identity needs iam:GetRole): {text}"
            if CONFIGURED in sources:
                fix = ("list the roles with `aws iam list-roles --query 'Roles[].RoleName'`, then "
                       + set_list_command("nodeRoleNames",
                                          [n for n in role_names if n != name] or ["<role>"]))
            else:
                fix = (f"check the cluster's node roles in the EKS console, or "
                       f"{NAMESPACE}:eksClusterName")
            raise NodeRoleError(
                f"node role {name!r} (from {'; '.join(sources)}) {problem}\n  fix: {fix}"
            ) from error
        roles.append(NodeRole(name=name, arn=role.arn, sources=tuple(sources)))
    return roles


def policy_name(project: str, stack: str) -> str:
    """The inline policy's name: per stack, so stacks sharing a role never overwrite each
    other (IAM allows 128 characters)."""
    return f"{project}-{stack}-ecr-pull-through-cache"[:128]


@dataclass(frozen=True)
class NodeAccessArgs:
    roles: Sequence[NodeRole]
    policy_json: str  # the node policy document (ecr.policies.iam.node_role_policy)
    policy_name: str  # the inline policy's name (``policy_name``)


class NodeAccess(pulumi.ComponentResource):
    """One inline ``RolePolicy`` per node role, with the node policy document."""

    policies: dict[str, aws.iam.RolePolicy]

    def __init__(self, name: str, args: NodeAccessArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # The type token and child names are unchanged since the first release: no URN moves.
        super().__init__(f"{TYPE_PREFIX}:NodeAccess", name, None, opts)
        self.policies = {}
        for role in args.roles:
            self.policies[role.name] = aws.iam.RolePolicy(
                f"{role.name}-ecr-cache",
                role=role.name,
                name=args.policy_name,
                policy=args.policy_json,
                opts=child(self),
            )
        self.register_outputs({"roles": [r.name for r in args.roles]})
