"""Node roles: find them, prove they exist, and give them what the cache needs.

The stock EKS node policies cannot do the first pull of a new image through the
cache (no ``ecr:CreateRepository``; ReadOnly also lacks
``ecr:BatchImportUpstreamImage``).  So every configured or discovered node role
gets an inline policy owned by this stack, named after the stack, so that two
stacks (e.g. two regions) never overwrite each other's policy on a shared role.

Roles are resolved with invokes *before* any resource is registered: a missing
role fails ``pulumi preview`` with a message naming it and where it came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.config.settings import NAMESPACE, ROLE_ARN_PATTERN, set_list_command
from ecr.stack.common import TYPE_PREFIX, child


@dataclass(frozen=True)
class NodeRole:
    name: str
    arn: str
    source: str  # "nodeRoleNames" or "node group <ng> of EKS cluster <c>"


class NodeRoleError(pulumi.RunError):
    """A node role that cannot be used; the message says what to do."""


def _role_name_from_arn(arn: str) -> str:
    match = ROLE_ARN_PATTERN.match(arn)
    if not match:
        raise NodeRoleError(f"unexpected node role ARN {arn!r}")
    return match.group(1)


def discover_cluster_roles(cluster_name: str) -> list[tuple[str, str]]:
    """(role name, source) for every managed node group of ``cluster_name``."""
    try:
        groups = aws.eks.get_node_groups(cluster_name=cluster_name).names
    except Exception as error:
        raise NodeRoleError(
            f"cannot list the managed node groups of EKS cluster {cluster_name!r} "
            f"({NAMESPACE}:eksClusterName): {error}\n"
            f"  fix: check the name and region (aws eks list-clusters), or "
            f"pulumi config rm {NAMESPACE}:eksClusterName and set {NAMESPACE}:nodeRoleNames"
        ) from error
    found: list[tuple[str, str]] = []
    for group in sorted(groups):
        node_group = aws.eks.get_node_group(cluster_name=cluster_name, node_group_name=group)
        found.append((_role_name_from_arn(node_group.node_role_arn),
                      f"node group {group!r} of EKS cluster {cluster_name!r}"))
    if not found:
        raise NodeRoleError(
            f"EKS cluster {cluster_name!r} has no managed node groups, so no node roles can be "
            "discovered (self-managed nodes and Karpenter nodes are not listed by EKS)\n"
            f"  fix: pulumi config set --path '{NAMESPACE}:nodeRoleNames[0]' <node role name>"
        )
    return found


def resolve_node_roles(role_names: Sequence[str], cluster_name: str | None) -> list[NodeRole]:
    """Every node role, configured first, then discovered; each checked to exist."""
    wanted: dict[str, str] = {name: f"{NAMESPACE}:nodeRoleNames" for name in role_names}
    if cluster_name:
        for name, source in discover_cluster_roles(cluster_name):
            wanted.setdefault(name, source)
    roles: list[NodeRole] = []
    for name, source in wanted.items():
        try:
            role = aws.iam.get_role(name=name)
        except Exception as error:
            text = str(error)
            if "NoSuchEntity" in text or "cannot be found" in text:
                problem = "does not exist in this AWS account"
            else:
                problem = f"cannot be read (the deploying identity needs iam:GetRole): {text}"
            if source.startswith(f"{NAMESPACE}:"):
                fix = ("list the roles with `aws iam list-roles --query 'Roles[].RoleName'`, then "
                       + set_list_command("nodeRoleNames",
                                          [n for n in role_names if n != name] or ["<role>"]))
            else:
                fix = (f"check the node group's role in the EKS console, or "
                       f"{NAMESPACE}:eksClusterName")
            raise NodeRoleError(f"node role {name!r} (from {source}) {problem}\n  fix: {fix}"
                                ) from error
        roles.append(NodeRole(name=name, arn=role.arn, source=source))
    return roles


def policy_name(project: str, stack: str) -> str:
    """The inline policy's name: per stack, so stacks sharing a role never overwrite each
    other (IAM allows 128 characters)."""
    return f"{project}-{stack}-ecr-pull-through-cache"[:128]


class NodeAccess(pulumi.ComponentResource):
    """One inline ``RolePolicy`` per node role, with the node policy document."""

    policies: dict[str, aws.iam.RolePolicy]

    def __init__(self, name: str, roles: Sequence[NodeRole], policy_json: str,
                 policy_name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:NodeAccess", name, None, opts)
        self.policies = {}
        for role in roles:
            self.policies[role.name] = aws.iam.RolePolicy(
                f"{role.name}-ecr-cache",
                role=role.name,
                name=policy_name,
                policy=policy_json,
                opts=child(self),
            )
        self.register_outputs({"roles": [r.name for r in roles]})
