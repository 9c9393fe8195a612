"""IAM and ECR policy documents, as pure functions.

Who needs what to pull through the cache (docs/facts.md, "Permissions for the
first pull"): beyond the normal pull actions, the first pull of an image needs
``ecr:BatchImportUpstreamImage`` and, while the cached repository does not exist
yet, ``ecr:CreateRepository``.  The stock EKS node policies lack the latter, so
the stack grants exactly these, scoped to ``repository/<prefix>/*``:

* ``node_role_policy``: inline policy on this account's node roles;
* ``registry_policy``: lets other accounts / the organisation create and import
  cached repositories (only a registry policy can grant CreateRepository across
  accounts);
* ``repository_pull_policy``: repository policy (creation templates, custom
  repositories) letting them pull;
* ``consumer_node_policy``: what the *other* account's node roles need on their
  side (cross-account access needs both sides to allow).

Nothing here grants push, delete or a wildcard principal without an
``aws:PrincipalOrgID`` condition.  Documents are plain dicts; ``to_json`` is the
canonical text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

PolicyDocument = dict[str, Any]

VERSION = "2012-10-17"
# What a container runtime calls to pull an image it is authorised for.
PULL_ACTIONS: tuple[str, ...] = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
# What the first pull through a pull-through cache rule needs on top.
CACHE_FILL_ACTIONS: tuple[str, ...] = ("ecr:BatchImportUpstreamImage", "ecr:CreateRepository")
# Account-level call, cannot be scoped to a resource.
AUTH_ACTION = "ecr:GetAuthorizationToken"


@dataclass(frozen=True)
class Registry:
    """Where the cache lives: an account's private registry in one region."""

    partition: str  # aws, aws-cn, aws-us-gov
    region: str
    account_id: str

    def repository_arn(self, name: str) -> str:
        return f"arn:{self.partition}:ecr:{self.region}:{self.account_id}:repository/{name}"

    def cache_arn(self, prefix: str) -> str:
        """Every repository the rule for ``prefix`` creates."""
        return self.repository_arn(f"{prefix}/*")


# Region name prefixes of the partitions other than "aws" (botocore's endpoints.json).
_PARTITION_PREFIXES: tuple[tuple[str, str], ...] = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
)


def partition_of(region: str) -> str:
    """The ARN partition of a region: ``aws-cn`` for ``cn-north-1``, ``aws`` for most."""
    for prefix, partition in _PARTITION_PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"


def registry_in(region: str, account_id: str) -> Registry:
    """The registry of ``account_id`` in ``region``, its partition from the region."""
    return Registry(partition_of(region), region, account_id)


def account_principal(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def _statement(sid: str, actions: Sequence[str], resources: Sequence[str] | str,
               **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": sorted(actions)}
    if resources:
        statement["Resource"] = resources if isinstance(resources, str) else sorted(resources)
    statement.update(extra)
    return statement


def node_role_policy(registry: Registry, cache_prefixes: Sequence[str],
                     repositories: Sequence[str]) -> PolicyDocument:
    """Inline policy for this account's EKS node roles.

    Pull (plus import and create, for the first pull) on the caches' repositories,
    pull on the custom repositories, ``GetAuthorizationToken`` (account-level:
    ``*`` is its only resource).  Replicas in other regions are granted by the
    stack of that region.
    """
    statements = [_statement("GetAuthorizationToken", [AUTH_ACTION], "*")]
    if cache_prefixes:
        statements.append(_statement(
            "PullThroughCache",
            [*PULL_ACTIONS, *CACHE_FILL_ACTIONS],
            [registry.cache_arn(p) for p in cache_prefixes],
        ))
    if repositories:
        statements.append(_statement(
            "PullPrivateRepositories",
            PULL_ACTIONS,
            [registry.repository_arn(name) for name in repositories],
        ))
    return {"Version": VERSION, "Statement": statements}


def consumer_node_policy(registry: Registry, cache_prefixes: Sequence[str],
                         repositories: Sequence[str]) -> PolicyDocument:
    """Identity policy the node roles of *another* account need to pull through this cache."""
    return node_role_policy(registry, cache_prefixes, repositories)


def _principal_statements(sid: str, partition: str, actions: Sequence[str],
                          resources: Sequence[str], account_ids: Sequence[str],
                          organization_id: str | None) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = []
    if account_ids:
        principals = sorted(account_principal(partition, a) for a in account_ids)
        statements.append(_statement(f"{sid}Accounts", actions, resources,
                                     Principal={"AWS": principals}))
    if organization_id:
        # A wildcard principal is only ever granted together with the organisation condition.
        statements.append(_statement(
            f"{sid}Organization", actions, resources,
            Principal={"AWS": "*"},
            Condition={"StringEquals": {"aws:PrincipalOrgID": organization_id}},
        ))
    return statements


def registry_policy(registry: Registry, cache_prefixes: Sequence[str],
                    account_ids: Sequence[str],
                    organization_id: str | None) -> PolicyDocument | None:
    """Registry permissions: other accounts may fill the cache (create + import), nothing else.

    None when nobody outside this account is allowed, or there is no cache: the
    stack then creates no registry policy at all.
    """
    if not cache_prefixes or not (account_ids or organization_id):
        return None
    return {
        "Version": VERSION,
        "Statement": _principal_statements(
            "FillPullThroughCache", registry.partition, CACHE_FILL_ACTIONS,
            [registry.cache_arn(p) for p in cache_prefixes], account_ids, organization_id),
    }


def repository_pull_policy(partition: str, account_ids: Sequence[str],
                           organization_id: str | None) -> PolicyDocument | None:
    """Repository policy letting other accounts / the organisation pull (no Resource: ECR
    repository policies apply to their own repository)."""
    if not (account_ids or organization_id):
        return None
    return {
        "Version": VERSION,
        "Statement": _principal_statements("CrossAccountPull", partition, PULL_ACTIONS, [],
                                           account_ids, organization_id),
    }


# What the pruner (ecr/pruner) calls: list the cached repositories and their images, read
# image indexes (to keep a multi-arch image whole) and delete.  All four take repository ARNs.
PRUNER_ECR_ACTIONS: tuple[str, ...] = (
    "ecr:BatchDeleteImage",
    "ecr:BatchGetImage",
    "ecr:DescribeImages",
    "ecr:DescribeRepositories",
)
LOG_WRITE_ACTIONS: tuple[str, ...] = ("logs:CreateLogStream", "logs:PutLogEvents")


def log_group_arn(registry: Registry, log_group: str) -> str:
    """A log group's ARN with ``:*``: log-stream actions name the streams inside it."""
    return (f"arn:{registry.partition}:logs:{registry.region}:{registry.account_id}:"
            f"log-group:{log_group}:*")


def pruner_role_policy(registry: Registry, cache_prefixes: Sequence[str],
                       log_group: str) -> PolicyDocument:
    """The pruner function's role: exactly the four ECR actions on the cache prefixes'
    repositories, and writing to its own log group.  Nothing on ``*``: the function never
    creates its log group (the stack does), and every ECR action it calls takes a
    repository ARN."""
    if not cache_prefixes:
        raise ValueError("the pruner needs at least one cache prefix")
    return {
        "Version": VERSION,
        "Statement": [
            _statement("PruneCachedImages", PRUNER_ECR_ACTIONS,
                       [registry.cache_arn(p) for p in cache_prefixes]),
            _statement("WriteOwnLogs", LOG_WRITE_ACTIONS, [log_group_arn(registry, log_group)]),
        ],
    }


def lambda_assume_role_policy() -> PolicyDocument:
    """Trust policy: only the Lambda service may assume the pruner's role."""
    return _service_trust("lambda.amazonaws.com")


def scheduler_assume_role_policy(account_id: str) -> PolicyDocument:
    """Trust policy: EventBridge Scheduler, for schedules of this account only (confused
    deputy guard, Scheduler user guide "Set up the execution role")."""
    return _service_trust("scheduler.amazonaws.com",
                          Condition={"StringEquals": {"aws:SourceAccount": account_id}})


def invoke_function_policy(function_arn: str) -> PolicyDocument:
    """The schedule's role: invoke the one pruner function, nothing else."""
    return {"Version": VERSION,
            "Statement": [_statement("InvokePruner", ["lambda:InvokeFunction"], [function_arn])]}


def _service_trust(service: str, **extra: Any) -> PolicyDocument:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service},
                                 "Action": "sts:AssumeRole", **extra}
    return {"Version": VERSION, "Statement": [statement]}


def to_json(policy: PolicyDocument) -> str:
    """Canonical JSON text (stable across runs, so no spurious diffs)."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))
