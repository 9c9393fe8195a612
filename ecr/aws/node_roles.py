"""Every IAM role that pulls images for an EKS cluster, found from AWS APIs alone.

Both consumers use this one module: the Pulumi program (``ecr/stack/node_access.py``,
``eksClusterName``) and ``doctor --cluster``, so they always agree on the roles.

Where the roles are found (each role is reported once, with every source it was found in):

- managed node groups: ``ListNodegroups`` + ``DescribeNodegroup`` -> ``nodeRole``;
- EKS Auto Mode: ``DescribeCluster`` -> ``computeConfig.nodeRoleArn`` (when
  ``computeConfig.enabled``);
- access entries of the node types ``EC2_LINUX``, ``EC2_WINDOWS``, ``EC2`` (Auto Mode) and
  ``HYBRID_LINUX``: ``ListAccessEntries`` + ``DescribeAccessEntry`` (the type is only in
  the latter's answer) -> ``principalArn``: Karpenter's and self-managed nodes' roles, when
  the cluster's ``accessConfig.authenticationMode`` allows access entries (``API`` or
  ``API_AND_CONFIG_MAP``);
- Fargate profiles: ``ListFargateProfiles`` + ``DescribeFargateProfile`` ->
  ``podExecutionRoleArn`` (Fargate pulls with the pod execution role).

Roles mapped only in the ``aws-auth`` ConfigMap (authentication mode ``CONFIG_MAP`` or
``API_AND_CONFIG_MAP``) live inside Kubernetes and cannot be seen from AWS APIs:
``aws_auth_caveat`` says so, and the consumers add how to name them.

How the calls are made: boto3, with the same credentials and region as the Pulumi AWS
provider.  The region is the stack's ``aws:region`` (the provider's region, which the
program passes in); the credentials are the standard chain (environment variables,
``AWS_PROFILE`` or the stack's ``aws:profile``, SSO, the instance or pod role).  The Pulumi
AWS provider has invokes for node groups and clusters but none for access entries or
Fargate profiles, so every source goes through boto3: one discovery function for the
stack and ``doctor`` alike, faked the same way in both tests (``botocore.stub.Stubber``).

Pure parsing (``parse_principal``, ``cluster_facts``, ``node_entry_type``, ``merge``) is
separated from the calls (``discover``).  A failed call raises ``DiscoveryError`` naming the
``eks:`` permission that is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecr import aws
from ecr.aws import pages, sessions

# Access entry types whose principal is a node's role (EKS CreateAccessEntry "type").
NODE_ENTRY_TYPES = ("EC2_LINUX", "EC2_WINDOWS", "EC2", "HYBRID_LINUX")
# Authentication modes under which access entries exist; any mode but API also reads aws-auth.
ACCESS_ENTRY_MODES = ("API", "API_AND_CONFIG_MAP")

# What each source is called in reports and JSON.
NODE_GROUP = "managed node group"
AUTO_MODE = "Auto Mode"
ACCESS_ENTRY = "access entry"
FARGATE = "Fargate profile"

# Every permission discovery needs, in call order (the fix names them all).
PERMISSIONS = (
    "eks:DescribeCluster",
    "eks:ListNodegroups",
    "eks:DescribeNodegroup",
    "eks:ListAccessEntries",
    "eks:DescribeAccessEntry",
    "eks:ListFargateProfiles",
    "eks:DescribeFargateProfile",
)
INSTANCE_PROFILE_PERMISSION = "iam:GetInstanceProfile"

_PRINCIPAL = re.compile(
    r"^arn:(?P<partition>aws[\w-]*):(?P<service>iam|sts)::(?P<account>\d{12}):"
    r"(?P<kind>[\w-]+)/(?P<rest>.+)$"
)
_NAME = re.compile(r"^[\w+=,.@-]{1,128}$")


# --- data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One place a role was found."""

    kind: str  # NODE_GROUP, AUTO_MODE, ACCESS_ENTRY or FARGATE
    cluster: str
    name: str = ""  # node group, access entry type or Fargate profile; "" for Auto Mode

    def __str__(self) -> str:
        where = f"EKS cluster {self.cluster!r}"
        if self.kind == NODE_GROUP:
            return f"node group {self.name!r} of {where}"
        if self.kind == AUTO_MODE:
            return f"Auto Mode node role (computeConfig.nodeRoleArn) of {where}"
        if self.kind == ACCESS_ENTRY:
            return f"{self.name} access entry of {where}"
        return f"pod execution role of Fargate profile {self.name!r} of {where}"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "cluster": self.cluster, "name": self.name}


@dataclass(frozen=True)
class Principal:
    """What an ARN EKS gives names: a role (by name, ARN when known) or something else."""

    kind: str  # "role", "assumed-role", "instance-profile" or "other"
    name: str  # role name, instance profile name, or the ARN itself for "other"
    arn: str | None = None  # the role's ARN when the ARN given was one (path included)


@dataclass(frozen=True)
class FoundRole:
    name: str
    arn: str | None  # None when only the name is known (from an assumed-role ARN)
    sources: tuple[Source, ...]

    def describe(self) -> str:
        return "; ".join(str(s) for s in self.sources)


@dataclass(frozen=True)
class ClusterFacts:
    """What ``DescribeCluster`` says that discovery needs."""

    auto_mode_role_arn: str | None
    authentication_mode: str | None  # None: not reported (the cluster predates access entries)

    @property
    def access_entries(self) -> bool:
        return self.authentication_mode in ACCESS_ENTRY_MODES

    @property
    def reads_aws_auth(self) -> bool:
        return self.authentication_mode != "API"


@dataclass(frozen=True)
class Discovery:
    cluster: str
    region: str
    facts: ClusterFacts
    roles: tuple[FoundRole, ...]
    notes: tuple[str, ...] = ()  # principals ignored, sources skipped

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.roles]


class DiscoveryError(Exception):
    """A discovery call failed; ``reason`` is "not_found", "denied" or "error"."""

    def __init__(self, cluster: str, region: str, reason: str, permission: str,
                 message: str) -> None:
        super().__init__(message)
        self.cluster = cluster
        self.region = region
        self.reason = reason
        self.permission = permission

    @property
    def fix(self) -> str:
        """What to do, for any consumer (the stack and doctor add their own alternative)."""
        if self.reason == "not_found":
            return (f"check the name and region with: aws eks list-clusters --region "
                    f"{self.region}")
        if self.reason == "denied":
            return (f"allow the caller {self.permission} on EKS cluster {self.cluster} "
                    f"(node-role discovery uses {', '.join(PERMISSIONS)})")
        return (f"retry; if it persists check the caller can run: aws eks describe-cluster "
                f"--name {self.cluster} --region {self.region}")


# --- pure parsing -------------------------------------------------------------------------


def parse_principal(arn: str) -> Principal:
    """The role an ARN from EKS stands for.

    ``arn:aws:iam::1:role/path/to/name`` -> role ``name`` (IAM role names are unique in an
    account, whatever their path); ``arn:aws:sts::1:assumed-role/name/session`` -> role
    ``name``; ``arn:aws:iam::1:instance-profile/path/name`` -> the instance profile ``name``
    (its role is read with iam:GetInstanceProfile); users, groups, root: "other".
    """
    match = _PRINCIPAL.match(arn.strip())
    if not match:
        return Principal("other", arn)
    service, kind, rest = match["service"], match["kind"], match["rest"]
    if service == "iam" and kind == "role":
        name = rest.rsplit("/", 1)[-1]
        return Principal("role", name, arn) if _NAME.match(name) else Principal("other", arn)
    if service == "sts" and kind == "assumed-role":
        name = rest.split("/", 1)[0]
        return Principal("assumed-role", name) if _NAME.match(name) else Principal("other", arn)
    if service == "iam" and kind == "instance-profile":
        name = rest.rsplit("/", 1)[-1]
        if _NAME.match(name):
            return Principal("instance-profile", name)
    return Principal("other", arn)


def cluster_facts(describe_cluster: dict[str, Any]) -> ClusterFacts:
    """The Auto Mode node role and authentication mode from a ``DescribeCluster`` answer."""
    cluster = describe_cluster.get("cluster", {})
    compute = cluster.get("computeConfig") or {}
    role = compute.get("nodeRoleArn") if compute.get("enabled") else None
    mode = (cluster.get("accessConfig") or {}).get("authenticationMode")
    return ClusterFacts(str(role) if role else None, str(mode) if mode else None)


def node_entry_type(describe_access_entry: dict[str, Any]) -> str | None:
    """The entry's type when it is a node type (its principal is a node role), else None."""
    kind = describe_access_entry.get("accessEntry", {}).get("type")
    return str(kind) if kind in NODE_ENTRY_TYPES else None


def merge(found: Iterable[tuple[str, str | None, Source]]) -> tuple[FoundRole, ...]:
    """(role name, ARN, source) -> one role per name, with every source, in first-seen order."""
    order: list[str] = []
    arns: dict[str, str | None] = {}
    sources: dict[str, list[Source]] = {}
    for name, arn, source in found:
        if name not in sources:
            order.append(name)
            sources[name] = []
            arns[name] = arn
        if arns[name] is None and arn is not None:
            arns[name] = arn
        if source not in sources[name]:
            sources[name].append(source)
    return tuple(FoundRole(n, arns[n], tuple(sources[n])) for n in order)


def sources_searched(facts: ClusterFacts) -> str:
    searched = ["managed node groups", "the Auto Mode compute config"]
    if facts.access_entries:
        searched.append("node access entries (" + ", ".join(NODE_ENTRY_TYPES) + ")")
    searched.append("Fargate profiles")
    return ", ".join(searched)


def aws_auth_caveat(discovery: Discovery, add_role_command: str) -> str | None:
    """Why some roles may be missing (the aws-auth ConfigMap), or None when none can be."""
    facts = discovery.facts
    if not facts.reads_aws_auth:
        return None
    mode = facts.authentication_mode or "not reported (access entries are off)"
    return (
        f"EKS cluster {discovery.cluster!r} (authentication mode {mode}) may map node roles "
        "in the aws-auth ConfigMap, which lives in Kubernetes and cannot be seen from AWS "
        "APIs: self-managed or Karpenter nodes mapped only there are not found. Add each such "
        f"role with: {add_role_command}"
    )


# --- calls -----------------------------------------------------------------------------


def cluster_clients(region: str, profile: str | None = None) -> tuple[Any, Any]:
    """(eks, iam) boto3 clients for ``region`` with the standard credential chain (or
    ``profile``), the same the Pulumi AWS provider uses."""
    sess = sessions.session(profile, region)
    return sessions.client(sess, "eks"), sessions.client(sess, "iam")


@dataclass
class _Caller:
    cluster: str
    region: str

    def __call__(self, permission: str, call: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return pages.call(call, permission, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, permission) from exc

    def pages(self, client: Any, operation: str, key: str, permission: str) -> Iterator[str]:
        try:
            # EKS's default page (100) is its largest: no page size is sent
            for found in pages.pages(getattr(client, operation), permission, key, kind=str,
                                     size=None, clusterName=self.cluster):
                yield from found
        except (ClientError, BotoCoreError) as exc:
            raise self.error(exc, permission) from exc

    def error(self, exc: BaseException, permission: str) -> DiscoveryError:
        code = aws.error_code(exc)
        where = f"EKS cluster {self.cluster!r}"
        if code == "ResourceNotFoundException" and permission == "eks:DescribeCluster":
            return DiscoveryError(self.cluster, self.region, "not_found", permission,
                                  f"{where} not found in region {self.region}")
        if code in aws.ACCESS_DENIED_CODES:
            return DiscoveryError(
                self.cluster, self.region, "denied", permission,
                f"access denied to {permission} on {where} (region {self.region}); "
                "node-role discovery needs it",
            )
        return DiscoveryError(
            self.cluster, self.region, "error", permission,
            " ".join(aws.explain(exc, f"{permission} on {where}").split()),
        )


@dataclass
class _Found:
    iam: Any
    call: _Caller
    items: list[tuple[str, str | None, Source]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, arn: str, source: Source) -> None:
        principal = parse_principal(arn)
        if principal.kind in ("role", "assumed-role"):
            self.items.append((principal.name, principal.arn, source))
        elif principal.kind == "instance-profile":
            for name, role_arn in self._instance_profile_roles(principal.name, source):
                self.items.append((name, role_arn, source))
        else:
            self.notes.append(f"{source}: principal {arn} is not an IAM role; ignored "
                              "(nodes pull with a role)")

    def _instance_profile_roles(self, profile: str, source: Source) -> list[tuple[str, str]]:
        if self.iam is None:
            self.notes.append(f"{source}: instance profile {profile!r} not read (no IAM client)")
            return []
        answer = self.call(INSTANCE_PROFILE_PERMISSION, self.iam.get_instance_profile,
                           InstanceProfileName=profile)
        roles = answer.get("InstanceProfile", {}).get("Roles", [])
        return [(str(r["RoleName"]), str(r["Arn"])) for r in roles]


def discover(eks: Any, cluster: str, iam: Any = None) -> Discovery:
    """Every role that pulls images for ``cluster`` (see the module docstring)."""
    region = str(getattr(eks.meta, "region_name", "") or "?")
    call = _Caller(cluster, region)
    facts = cluster_facts(call("eks:DescribeCluster", eks.describe_cluster, name=cluster))
    found = _Found(iam, call)
    for group in sorted(call.pages(eks, "list_nodegroups", "nodegroups",
                                   "eks:ListNodegroups")):
        answer = call("eks:DescribeNodegroup", eks.describe_nodegroup,
                      clusterName=cluster, nodegroupName=group)
        found.add(str(answer["nodegroup"]["nodeRole"]), Source(NODE_GROUP, cluster, group))
    if facts.auto_mode_role_arn:
        found.add(facts.auto_mode_role_arn, Source(AUTO_MODE, cluster))
    if facts.access_entries:
        for principal in sorted(call.pages(eks, "list_access_entries", "accessEntries",
                                           "eks:ListAccessEntries")):
            answer = call("eks:DescribeAccessEntry", eks.describe_access_entry,
                          clusterName=cluster, principalArn=principal)
            kind = node_entry_type(answer)
            if kind is not None:
                found.add(principal, Source(ACCESS_ENTRY, cluster, kind))
    else:
        found.notes.append(
            f"access entries not read: the cluster's authentication mode is "
            f"{facts.authentication_mode or 'not reported'} (node roles are mapped in aws-auth)"
        )
    for profile in sorted(call.pages(eks, "list_fargate_profiles", "fargateProfileNames",
                                     "eks:ListFargateProfiles")):
        answer = call("eks:DescribeFargateProfile", eks.describe_fargate_profile,
                      clusterName=cluster, fargateProfileName=profile)
        role = answer["fargateProfile"].get("podExecutionRoleArn")
        if role:
            found.add(str(role), Source(FARGATE, cluster, profile))
    return Discovery(cluster, region, facts, merge(found.items), tuple(found.notes))
