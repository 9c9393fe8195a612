"""Does one image resolve through the cache?  Verdicts, reasons and fixes.

``check_image`` asks the registry for the image's cache reference the way a node
does (tag -> index -> the node platform's manifest) and turns every outcome into
one verdict with the reason and the fix a person needs:

=====================  =====================================================
ok                     the manifest (and the platform's manifest) resolved
not_found              tag or repository missing upstream, or no manifest
                       for the cluster's platform
unauthorized           our login or the puller's permissions
upstream_auth_failed   the cache could not log in upstream (the rule's secret)
unsupported            ECR cannot cache this image's registry, or nodes cannot
                       pull its format (Docker schema 1)
invalid                not an image reference
error                  registry unreachable, rate limited, broken content
=====================  =====================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ecr.catalogue import DOCKER_HUB, secret_name
from ecr.images.reference import Reference
from ecr.registry.client import (
    CredentialsWithheld,
    DeadlineExceeded,
    DigestMismatch,
    RegistryClient,
    RegistryError,
    RegistryUnreachable,
)
from ecr.registry.manifest import (
    IMAGE_CONFIG_TYPES,
    Descriptor,
    Manifest,
    ManifestError,
    Platform,
    UnsupportedManifest,
    config_platform,
)

OK = "ok"
NOT_FOUND = "not_found"
UNAUTHORIZED = "unauthorized"
UPSTREAM_AUTH_FAILED = "upstream_auth_failed"
UNSUPPORTED = "unsupported"
INVALID = "invalid"
ERROR = "error"

# ECR's 403 names the refused action: "User: arn:... is not authorized to perform:
# ecr:BatchGetImage on resource: ..." (aws/containers-roadmap#2053)
_REFUSED_ACTION = re.compile(r"not authorized to perform:? (ecr:[A-Za-z]+)")
_MISSING_CODES = frozenset({"MANIFEST_UNKNOWN", "NAME_UNKNOWN", "NOT_FOUND"})
# the part of an image a failed request asked for: /v2/<name>/(manifests|blobs)/<reference>
_PART_URL = re.compile(r"/v2/.+/(manifests|blobs)/([^/?#]+)$")

PULL_PERMISSIONS = (
    "ecr:BatchGetImage, ecr:GetDownloadUrlForLayer, ecr:BatchImportUpstreamImage and, "
    "for the first pull of a new repository, ecr:CreateRepository"
)


@dataclass(frozen=True)
class Outcome:
    verdict: str
    reason: str
    fix: str = ""


@dataclass(frozen=True)
class CacheTarget:
    """What to ask the registry for, and what we know about its upstream."""

    cache: Reference  # domain = registry host, path = <prefix>/<upstream path>
    prefix: str | None  # cache prefix (None: a reference already in the registry)
    upstream: str | None  # e.g. registry-1.docker.io

    @property
    def reference(self) -> str:
        """Tag or digest to ask for; a digest wins (it is what the node pulls)."""
        return self.cache.digest or self.cache.tag or "latest"


class PinnedDigestGone(Exception):
    """The tag resolved, but the digest pinned beside it is not in the cache."""

    def __init__(self, pinned: str, tag: str, current: str) -> None:
        self.pinned, self.tag, self.current = pinned, tag, current
        super().__init__(f"{tag} now resolves to {current}, not the pinned {pinned}")


@dataclass(frozen=True)
class ImageResult:
    outcome: Outcome
    digest: str | None = None  # what the tag resolved to
    platform_digests: tuple[str, ...] = ()  # the manifests nodes would pull
    blobs: tuple[Descriptor, ...] = field(default=())  # config + layers, all platforms
    fetched: tuple[tuple[str, int], ...] = ()  # (digest, bytes) already read by the check

    @property
    def size(self) -> int:
        return sum(b.size for b in self.blobs)


def _upstream_path(target: CacheTarget) -> str:
    path = target.cache.path
    if target.prefix and path.startswith(target.prefix + "/"):
        return path[len(target.prefix) + 1 :]
    return path


def _is_docker_hub(target: CacheTarget) -> bool:
    return target.upstream == DOCKER_HUB.upstream_url


def _library_hint(target: CacheTarget) -> str:
    """Docker Hub's official images need library/, others must not have it."""
    if not _is_docker_hub(target):
        return ""
    path = _upstream_path(target)
    first, _, rest = path.partition("/")
    if first == "library" and "/" in rest:
        return (
            f" 'library/' belongs only to official images: {path} looks like "
            f"{rest} with a spurious library/ (aws/containers-roadmap#2354)."
        )
    if "/" not in path:
        return f" Official Docker Hub images need library/: use {target.prefix}/library/{path}."
    return ""


def classify(exc: BaseException, target: CacheTarget) -> Outcome:
    """One verdict, reason and fix for a failed registry call."""
    host = target.cache.domain
    ref = target.reference
    secret = secret_name(target.prefix) if target.prefix else "the rule's secret"
    if isinstance(exc, DeadlineExceeded):
        return Outcome(
            ERROR,
            f"registry too slow: {exc}",
            f"check the network path to {host} (proxy, VPC endpoints) and the registry's "
            "health; if it is only slow, re-run with a larger --timeout (one answer) or "
            "--image-timeout (one image)",
        )
    if isinstance(exc, RegistryUnreachable):
        return Outcome(
            ERROR,
            f"registry unreachable: {exc}",
            f"check the registry URL and the network path to {host} (VPC endpoints, proxy, "
            "security groups); re-run with a larger --timeout if it is just slow",
        )
    if isinstance(exc, UnsupportedManifest):
        return Outcome(
            UNSUPPORTED,
            str(exc),
            "pick a tag published as an OCI or Docker v2 image (most images have one), or "
            "rebuild and push the image with a current builder",
        )
    if isinstance(exc, PinnedDigestGone):
        return Outcome(
            NOT_FOUND,
            f"pinned digest {exc.pinned[:19]}... is not in the cache; tag '{exc.tag}' now "
            f"resolves to {exc.current[:19]}...",
            "ECR's pull-through cache fills only on pulls by tag (aws/containers-roadmap#2837), "
            "so a digest the tag no longer points at cannot be cached: pin the tag's current "
            f"digest ({exc.current}) or a tag that still points at the pinned one",
        )
    if isinstance(exc, DigestMismatch | ManifestError):
        return Outcome(
            ERROR, f"broken content: {exc}", "re-pull; report it upstream if it persists"
        )
    if not isinstance(exc, RegistryError):
        return Outcome(ERROR, f"{type(exc).__name__}: {exc}", "re-run; report a bug if it persists")
    text = exc.text  # "HTTP 503", "HTTP 404 MANIFEST_UNKNOWN: ...": each part once
    if "token has expired" in exc.message.lower() and exc.status in (401, 403):
        # ECR: 403 "denied: Your authorization token has expired. Reauthenticate and try
        # again." (aws/aws-cli#2351, microsoft/vscode#205489); tokens last 12 hours
        return Outcome(
            UNAUTHORIZED,
            text,
            "the registry token expired (ECR tokens last 12 hours): unset REGISTRY_PASSWORD so "
            "verify gets a fresh one from ecr:GetAuthorizationToken, or renew it with "
            "`aws ecr get-login-password`",
        )
    if "upstream" in exc.message.lower() and exc.status in (401, 403, 400):
        fix = (
            f"the cache could not log in upstream ({target.upstream or 'upstream'}): check the "
            f"credentials in {secret} (ecr validate-pull-through-cache-rule / `ecr doctor`)"
        )
        hint = _library_hint(target)
        if _is_docker_hub(target):
            hint = hint or (
                " ECR gives this same error for a wrong library/ path: official images are "
                f"{target.prefix}/library/<name>, others have no library/."
            )
        return Outcome(UPSTREAM_AUTH_FAILED, text, fix + "." + hint)
    if isinstance(exc, CredentialsWithheld):
        return Outcome(
            UNAUTHORIZED,
            text,
            "the registry sends clients to a token service over plain http: use the "
            "registry's https URL, or have its token realm served over https",
        )
    if exc.status == 401 and exc.unanswerable:
        return Outcome(
            UNAUTHORIZED,
            f"{text}: credentials were given but not sent: {exc.unanswerable}",
            "the registry (or a proxy in front of it) sends a malformed challenge: check "
            "the registry URL and any proxy in between; a registry should answer 401 with "
            'WWW-Authenticate: Basic realm="..." or Bearer realm="https://...",service="..."',
        )
    if (exc.status == 401 or exc.code == "UNAUTHORIZED") and not exc.credentials_sent:
        return Outcome(
            UNAUTHORIZED,
            f"{text}: the registry needs credentials, and none were given",
            "for ECR: AWS credentials (aws sts get-caller-identity), or --profile / "
            "--role-arn for the cluster's account; for other registries: set "
            "REGISTRY_USERNAME and REGISTRY_PASSWORD",
        )
    if exc.status == 401 or exc.code == "UNAUTHORIZED":
        return Outcome(
            UNAUTHORIZED,
            f"{text}: the registry refused our credentials",
            "for ECR: valid AWS credentials (aws sts get-caller-identity), or --profile / "
            "--role-arn for the cluster's account; for other registries: set "
            "REGISTRY_USERNAME and REGISTRY_PASSWORD",
        )
    if exc.status == 403 or exc.code == "DENIED":
        refused = _REFUSED_ACTION.search(exc.message)
        lacks = f"lacks {refused.group(1)}: it " if refused else ""
        return Outcome(
            UNAUTHORIZED,
            f"{text}: permission denied",
            f"the puller (node role) {lacks}needs {PULL_PERMISSIONS} on repository/"
            f"{target.prefix or '<prefix>'}/* (IAM or the registry policy); the managed "
            "AmazonEC2ContainerRegistryPullOnly policy lacks ecr:CreateRepository",
        )
    if exc.status == 404 or exc.code in _MISSING_CODES:
        return _not_found(exc, target, ref)
    if exc.status == 429 or exc.code == "TOOMANYREQUESTS":
        if "rate exceeded" in exc.message.lower():
            # ECR's own throttling: "TOOMANYREQUESTS: Rate exceeded" (ECR user guide,
            # common errors): per-account request rates, not the upstream's pull limit
            fix = (
                "ECR throttled these requests (its per-account, per-Region API rates): "
                "re-run later with a lower --concurrency"
            )
        else:
            fix = (
                "wait and re-run with lower --concurrency; for Docker Hub make sure the rule "
                f"has credentials ({secret}) so the authenticated pull limit applies"
            )
        return Outcome(ERROR, f"{text}: rate limited after retries", fix)
    if exc.code in {"NAME_INVALID", "TAG_INVALID", "MANIFEST_INVALID"}:
        return Outcome(INVALID, text, "fix the image reference")
    return Outcome(
        ERROR,
        text,
        "the registry failed after retries: re-run later; check the registry's health",
    )


def _missing_part(exc: RegistryError, ref: str) -> str | None:
    """What a 404 for a part of the image was about -- a blob, or a manifest the tag's
    index lists -- named from the request's URL; None for the tag (or digest) asked for."""
    match = _PART_URL.search(exc.url)
    if match is None or exc.code == "NAME_UNKNOWN":
        return None
    kind, reference = match.groups()
    if kind == "blobs":
        return f"blob {reference}"
    if reference != ref and reference.startswith("sha256:"):
        return f"manifest {reference} (listed by the tag's index)"
    return None


def _not_found(exc: RegistryError, target: CacheTarget, ref: str) -> Outcome:
    path = _upstream_path(target)
    part = _missing_part(exc, ref)
    if part is not None:
        reason = (f"HTTP {exc.status} {exc.code or 'NOT_FOUND'}: {part} of {path} is missing; "
                  f"the image's {'tag' if not target.cache.digest else 'digest'} resolved")
        return Outcome(
            NOT_FOUND, reason,
            "the registry lists this part of the image but does not hold it: the image is "
            "incomplete upstream or was partly deleted, or the cache has not fetched it yet; "
            "re-run, re-push the image upstream, or pick another tag",
        )
    what = "repository" if exc.code == "NAME_UNKNOWN" else f"tag '{ref}'"
    reason = f"HTTP {exc.status} {exc.code or 'NOT_FOUND'}: {what} of {path} not found"
    if target.upstream:
        reason += f" (via {target.upstream})"
    fix = "check that the image and tag exist upstream"
    if exc.code == "NAME_UNKNOWN" and target.prefix:
        # ECR: 404 NAME_UNKNOWN "The repository with name '<prefix>/...' does not exist in
        # the registry with id '<account>'" when no rule matches the prefix
        # (awslabs/aws-orbit-workbench#720) and the cache did not create the repository
        fix = (
            f"the registry has no repository {target.cache.path} and did not create it: check "
            f"that a pull-through cache rule for prefix '{target.prefix}' exists in this "
            "registry's region (aws ecr describe-pull-through-cache-rules), that the puller "
            f"may ecr:CreateRepository on repository/{target.prefix}/*, and that {path} exists "
            "upstream"
        )
    elif target.cache.digest and target.prefix and not target.cache.tag:
        fix = (
            "ECR's pull-through cache does not fill on a pull by digest "
            "(aws/containers-roadmap#2837): name the tag too (image:tag@digest), which verify "
            "pulls once to fill the cache, or check the digest exists upstream"
        )
    hint = _library_hint(target)
    if _is_docker_hub(target) and path.startswith("bitnami/"):
        hint += (
            " Bitnami moved versioned images to docker.io/bitnamilegacy (Aug 2025): use "
            f"bitnamilegacy/{path.split('/', 1)[1]} or a current tag."
        )
    if target.prefix is None:
        fix = "this reference is not under a cache prefix: the cache will not fill it"
    return Outcome(NOT_FOUND, reason, fix + ("." + hint if hint else ""))


def check_image(
    client: RegistryClient, target: CacheTarget, platforms: Sequence[Platform]
) -> ImageResult:
    """Resolve the image like a node: tag -> (index -> platform manifest)."""
    repository = target.cache.path
    try:
        top, via_tag = _resolve(client, target)
        if not top.is_index:
            result = _single(client, repository, top, platforms)
            return _noting(result, via_tag)
        chosen: list[Manifest] = []
        for platform in platforms:
            child = top.select(platform)
            if child is None:
                have = ", ".join(str(p) for p in top.platforms()) or "none"
                return ImageResult(
                    Outcome(
                        NOT_FOUND,
                        f"the index {top.digest[:19]}... has no {platform} manifest "
                        f"(platforms: {have})",
                        "pick a tag built for the cluster's platform, or pass --platform",
                    ),
                    digest=top.digest,
                )
            manifest = client.get_manifest(repository, child.digest)
            if manifest.is_index:
                raise ManifestError(f"{child.digest} is an index inside an index")
            chosen.append(manifest)
    except (
        RegistryError, RegistryUnreachable, ManifestError, DigestMismatch, PinnedDigestGone
    ) as exc:
        return ImageResult(classify(exc, target))
    blobs = _unique(b for m in chosen for b in m.blobs())
    names = ", ".join(f"{p}={m.digest[:19]}..." for p, m in zip(platforms, chosen, strict=True))
    return _noting(
        ImageResult(
            Outcome(OK, f"index {top.digest[:19]}... -> {names}; {len(blobs)} blobs"),
            digest=top.digest,
            platform_digests=tuple(m.digest for m in chosen),
            blobs=tuple(blobs),
        ),
        via_tag,
    )


def _is_missing(exc: RegistryError) -> bool:
    return exc.status == 404 or exc.code in _MISSING_CODES


def _resolve(client: RegistryClient, target: CacheTarget) -> tuple[Manifest, bool]:
    """The top manifest, as a node would pull it; True when the tag had to fill the cache.

    ECR's pull-through cache imports an image only when it is pulled by tag: a first
    pull by digest answers "not found", also for ``image:tag@digest``
    (aws/containers-roadmap#2837), and a node pulls by the digest.  Given both, a
    digest that is missing is retried after one pull of the tag, which fills the
    cache, so the rollout's digest pulls then succeed.
    """
    repository, cache = target.cache.path, target.cache
    try:
        return client.get_manifest(repository, target.reference), False
    except RegistryError as exc:
        if not (cache.digest and cache.tag and target.prefix and _is_missing(exc)):
            raise
    tagged = client.get_manifest(repository, cache.tag)
    try:
        return client.get_manifest(repository, cache.digest), True
    except RegistryError as exc:
        if _is_missing(exc):
            raise PinnedDigestGone(cache.digest, cache.tag, tagged.digest) from exc
        raise


def _noting(result: ImageResult, via_tag: bool) -> ImageResult:
    if not via_tag or result.outcome.verdict != OK:
        return result
    outcome = result.outcome
    reason = (
        f"{outcome.reason}; the pinned digest was filled by pulling the tag once (ECR caches "
        "only on pulls by tag, aws/containers-roadmap#2837)"
    )
    return ImageResult(
        Outcome(OK, reason, outcome.fix), result.digest, result.platform_digests,
        result.blobs, result.fetched,
    )


def _single(
    client: RegistryClient, repository: str, manifest: Manifest, platforms: Sequence[Platform]
) -> ImageResult:
    """A single-platform image: its config says which platform; the nodes must match."""
    blobs = _unique(manifest.blobs())
    config = manifest.config
    declared = None
    fetched: tuple[tuple[str, int], ...] = ()
    if config is not None and config.media_type in IMAGE_CONFIG_TYPES:
        body = client.read_blob(repository, config.digest)
        fetched = ((config.digest, len(body)),)
        declared = config_platform(body)
    if declared is not None:
        missing = [p for p in platforms if not p.matches(declared)]
        if missing:
            return ImageResult(
                Outcome(
                    NOT_FOUND,
                    f"manifest {manifest.digest[:19]}... is a single-platform {declared} image; "
                    f"nodes of {', '.join(str(p) for p in missing)} cannot run it",
                    "pick a tag built for the cluster's platform (a multi-arch tag), or "
                    "pass --platform",
                ),
                digest=manifest.digest,
            )
    what = f" ({declared})" if declared else ""
    return ImageResult(
        Outcome(OK, f"manifest {manifest.digest[:19]}...{what}; {len(blobs)} blobs"),
        digest=manifest.digest,
        platform_digests=(manifest.digest,),
        blobs=tuple(blobs),
        fetched=fetched,
    )


def _unique(blobs: Iterable[Descriptor]) -> list[Descriptor]:
    seen: dict[str, Descriptor] = {}
    for blob in blobs:
        seen.setdefault(blob.digest, blob)
    return list(seen.values())
