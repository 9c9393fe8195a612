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
* ``repository_pull_policy``: repository policy (creation templates, private
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


def partition_of(arn: str) -> str:
    """``aws`` from ``arn:aws:sts::123:assumed-role/...``."""
    parts = arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or not parts[1]:
        raise ValueError(f"not an ARN: {arn!r}")
    return parts[1]


# Region name prefixes of the partitions other than "aws" (botocore's endpoints.json).
_PARTITION_PREFIXES: tuple[tuple[str, str], ...] = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-isof-", "aws-iso-f"),
)


def registry_in(region: str, account_id: str) -> Registry:
    """The registry of ``account_id`` in ``region``, its partition from the region."""
    partition = next((p for prefix, p in _PARTITION_PREFIXES if region.startswith(prefix)), "aws")
    return Registry(partition, region, account_id)


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
    pull on the private repositories, ``GetAuthorizationToken`` (account-level:
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


def to_json(policy: PolicyDocument) -> str:
    """Canonical JSON text (stable across runs, so no spurious diffs)."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))
