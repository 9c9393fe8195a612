"""The upstream catalogue: the one source of truth for what the cache can hold.

Every fact about an upstream registry lives here and only here: which image hosts
map to which cache prefix, the upstream URL the ECR pull-through cache rule needs,
and whether (and how) the rule needs credentials.  The Pulumi program, the
conversion tool, ``status``, ``doctor`` and ``verify`` all read this module.

Sources: botocore's ECR model (``upstreamRegistry``), the AWS ECR user guide's
pull-through-cache pages; see ``docs/facts.md``.

This module is pure: no AWS calls, no Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# ECR wants credentials in a Secrets Manager secret whose name starts with this.
SECRET_NAME_PREFIX = "ecr-pullthroughcache/"

# AWS hard limit, not adjustable.
MAX_RULES_PER_REGISTRY = 50

# Where ``docker.io`` images live; distribution/reference normalises to this host.
DOCKER_HUB_HOST = "docker.io"

# Pull-through cache prefix rule from the AWS provider's validation (2-30 chars).
PREFIX_PATTERN = re.compile(
    r"^((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*/?|ROOT)$"
)
PREFIX_MIN_LENGTH = 2
PREFIX_MAX_LENGTH = 30


@dataclass(frozen=True)
class CredentialSpec:
    """How an upstream's credentials are given: config keys, environment, docs."""

    username_key: str  # Pulumi config key (namespace infra-ecr)
    token_key: str  # Pulumi config key, always set with --secret
    username_env: str  # environment variable setup-ecr.sh reads
    token_env: str
    how_to_get: str  # one line telling a person where to create the token


@dataclass(frozen=True)
class Upstream:
    """One upstream registry the cache can front."""

    prefix: str  # our ECR repository prefix, e.g. "docker-hub"
    name: str  # human name, e.g. "Docker Hub"
    hosts: tuple[str, ...]  # image hosts that map to this prefix; hosts[0] is canonical
    credentials: CredentialSpec | None = None
    # Docker Hub's official images live under library/ and ECR wants it spelled out.
    official_namespace: str | None = None
    # The rule's upstreamRegistryUrl when it is not the canonical host (Docker Hub's is).
    rule_host: str | None = None

    @property
    def upstream_url(self) -> str:
        """The pull-through cache rule's ``upstreamRegistryUrl``."""
        return self.rule_host or self.canonical_host

    @property
    def needs_credentials(self) -> bool:
        return self.credentials is not None

    @property
    def canonical_host(self) -> str:
        return self.hosts[0]

    @property
    def secret_name(self) -> str:
        return secret_name(self.prefix)


DOCKER_HUB = Upstream(
    prefix="docker-hub",
    name="Docker Hub",
    rule_host="registry-1.docker.io",
    # registry.hub.docker.com: Docker Hub's second name for the same content
    hosts=(DOCKER_HUB_HOST, "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"),
    credentials=CredentialSpec(
        username_key="dockerHubUsername",
        token_key="dockerHubAccessToken",
        username_env="DOCKERHUB_USERNAME",
        token_env="DOCKERHUB_TOKEN",
        how_to_get=(
            "create a personal access token with 'Public Repo Read-only' scope at "
            "Docker Hub > Account settings > Personal access tokens"
        ),
    ),
    official_namespace="library",
)

QUAY = Upstream(prefix="quay", name="Quay", hosts=("quay.io",))

GITHUB = Upstream(
    prefix="github",
    name="GitHub Container Registry",
    hosts=("ghcr.io",),
    credentials=CredentialSpec(
        username_key="githubUsername",
        token_key="githubToken",
        username_env="GITHUB_USERNAME",
        token_env="GITHUB_TOKEN",
        how_to_get=(
            "create a classic personal access token with only the 'read:packages' scope at "
            "GitHub > Settings > Developer settings > Personal access tokens"
        ),
    ),
)

K8S = Upstream(prefix="k8s", name="Kubernetes registry", hosts=("registry.k8s.io",))

ECR_PUBLIC = Upstream(
    prefix="ecr-public",
    name="Amazon ECR Public",
    hosts=("public.ecr.aws", "ecr-public.aws.com"),  # the second is its dual-stack name
)

CATALOGUE: tuple[Upstream, ...] = (DOCKER_HUB, QUAY, GITHUB, K8S, ECR_PUBLIC)
DEFAULT_CACHES: tuple[str, ...] = tuple(u.prefix for u in CATALOGUE)

# Hosts that are frozen or renamed upstream: a rewrite may map them, with a warning.
FROZEN_HOSTS: Mapping[str, tuple[str, str]] = {
    "k8s.gcr.io": (
        "registry.k8s.io",
        "k8s.gcr.io is frozen since April 2023; the image is taken from registry.k8s.io",
    ),
}

# ECR supports these upstreams, but this stack does not declare them (yet).
OTHER_ECR_UPSTREAMS: tuple[str, ...] = (
    "<name>.azurecr.io (Azure Container Registry)",
    "registry.gitlab.com (GitLab)",
    "cgr.dev (Chainguard)",
    "another ECR private registry (cross-account)",
)


class UnknownCacheError(ValueError):
    """A cache name that is not a prefix of the catalogue."""


def by_prefix(prefix: str) -> Upstream:
    for upstream in CATALOGUE:
        if upstream.prefix == prefix:
            return upstream
    known = ", ".join(DEFAULT_CACHES)
    raise UnknownCacheError(f"unknown cache {prefix!r}; known caches: {known}")


def for_host(host: str, caches: Iterable[str] | None = None) -> Upstream | None:
    """The upstream that caches images of ``host``, among ``caches`` (default: all)."""
    wanted = set(DEFAULT_CACHES if caches is None else caches)
    host = host.lower()
    for upstream in CATALOGUE:
        if upstream.prefix in wanted and host in upstream.hosts:
            return upstream
    return None


def host_to_prefix(caches: Iterable[str] | None = None) -> dict[str, str]:
    """Every image host (aliases included) -> cache prefix, for the given caches."""
    wanted = list(DEFAULT_CACHES if caches is None else caches)
    mapping: dict[str, str] = {}
    for prefix in wanted:
        for host in by_prefix(prefix).hosts:
            mapping[host] = prefix
    return mapping


def secret_name(prefix: str) -> str:
    """The Secrets Manager name ECR accepts for a rule's upstream credentials."""
    return f"{SECRET_NAME_PREFIX}{prefix}"


def registry_host(account_id: str, region: str) -> str:
    """``<account>.dkr.ecr.<region>.amazonaws.com`` (China regions end in .com.cn)."""
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"{account_id}.dkr.ecr.{region}.{suffix}"


# Every ECR private registry host, as amazon-ecr-credential-helper's ecrPattern
# (ecr-login/api/client.go) reads them: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]
# for IPv4, <account>.dkr-ecr[-fips].<region>.on.aws for the dual-stack (IPv6) endpoints
# (ECR user guide "Making requests to Amazon ECR registries"), and the other partitions.
ECR_REGISTRY_HOST = re.compile(
    r"^(?P<account>\d{12})\.dkr[.-]ecr(?:-fips)?\.(?P<region>[a-z0-9][a-z0-9-]*)\."
    r"(?:amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)"
    r"|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$"
)


def parse_registry_host(host: str) -> tuple[str, str] | None:
    """(account, region) when ``host`` (a port is ignored) is an ECR private registry."""
    match = ECR_REGISTRY_HOST.match(host.split(":")[0].lower())
    return (match.group("account"), match.group("region")) if match else None


def same_registry(host: str, registry: str) -> bool:
    """``host`` names ``registry``: the same text, or the same ECR private registry
    under another of its names (``<account>.dkr-ecr.<region>.on.aws`` is the dual-stack
    name of ``<account>.dkr.ecr.<region>.amazonaws.com``; ports are ignored there)."""
    if host.lower() == registry.lower():
        return True
    ours = parse_registry_host(registry)
    return ours is not None and parse_registry_host(host) == ours


def prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` is not a valid pull-through cache prefix, or None when it is."""
    if not PREFIX_MIN_LENGTH <= len(prefix) <= PREFIX_MAX_LENGTH:
        return f"must be {PREFIX_MIN_LENGTH}-{PREFIX_MAX_LENGTH} characters long"
    if not PREFIX_PATTERN.match(prefix):
        return "must be lowercase letters, digits and . _ - / separators"
    return None
