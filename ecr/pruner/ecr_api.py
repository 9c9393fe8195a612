"""The ECR calls the pruner makes, and nothing else: list, describe, read indexes, delete.

Exactly the four actions the scheduled function's role allows: ``DescribeRepositories``,
``DescribeImages``, ``BatchGetImage`` and ``BatchDeleteImage``.  Every call goes
through a client with botocore's adaptive retry mode (throttling slows the run down
instead of failing it); ``BatchDeleteImage`` reports failures per image, and those
that are throttling or transient are retried here.  Every call is counted in a
:class:`Calls` so the command and the benchmark can report them.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ecr.pruner import rules

# botocore.config.Config's settings for :func:`client` (made there: importing botocore's
# config costs status, which imports this module, a tenth of a second).
RETRY_SETTINGS: dict[str, Any] = {
    "retries": {"mode": "adaptive", "max_attempts": 10},
    "connect_timeout": 10,
    "read_timeout": 30,
    "max_pool_connections": 32,
}
PAGE_SIZE = 1000  # DescribeRepositories / DescribeImages maximum maxResults
BATCH = 100  # BatchGetImage / BatchDeleteImage maximum imageIds
# BatchGetImage: ask for the index types too, or ECR answers with a single manifest.
ACCEPTED_MEDIA_TYPES = [
    rules.OCI_INDEX,
    rules.DOCKER_MANIFEST_LIST,
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
]
# Per-image BatchDeleteImage failures worth another attempt.  ImageReferencedByManifestList:
# the index listing it was in the same or a later batch; it is gone by the next round.
RETRYABLE_FAILURES = frozenset({
    "ImageReferencedByManifestList",
    "KmsError",
    "UpstreamTooManyRequests",
    "UpstreamUnavailable",
    "ThrottlingException",
    "TooManyRequestsException",
    "ServiceUnavailableException",
    "InternalServerError",
})
GONE = "ImageNotFound"  # already deleted (by ECR's lifecycle policy, or another run)
DELETE_ROUNDS = 4


def client(region: str | None = None) -> Any:
    """An ECR client with adaptive retries (``AWS_ENDPOINT_URL`` is honoured by boto3)."""
    import boto3  # here, not above: ``status`` imports this module and never needs boto3
    from botocore.config import Config

    return boto3.session.Session(region_name=region).client(
        "ecr", config=Config(**RETRY_SETTINGS)
    )


@dataclass
class Calls:
    """API calls made, by operation (thread-safe)."""

    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, operation: str, n: int = 1) -> None:
        with self._lock:
            self.counts[operation] = self.counts.get(operation, 0) + n

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Repository:
    name: str
    prefix: str
    registry_id: str | None


@dataclass(frozen=True)
class Failure:
    """An image (or a whole repository, ``digest`` None) the pruner could not handle."""

    repository: str
    digest: str | None
    code: str
    reason: str

    def as_dict(self) -> dict[str, str | None]:
        return {"repository": self.repository, "digest": self.digest, "code": self.code,
                "reason": self.reason}


def prefix_of(name: str, prefixes: Iterable[str]) -> str | None:
    """The longest prefix ``name`` is under (``docker-hub/x`` -> ``docker-hub``), or None."""
    best: str | None = None
    for prefix in prefixes:
        stem = prefix.rstrip("/")
        if name.startswith(stem + "/") and (best is None or len(stem) > len(best)):
            best = stem
    return best


def list_repositories(ecr: Any, prefixes: Sequence[str], calls: Calls) -> list[Repository]:
    """The repositories under ``prefixes``, all pages; no other repository is ever returned."""
    found: list[Repository] = []
    for page in ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": PAGE_SIZE}
    ):
        calls.add("DescribeRepositories")
        for repo in page.get("repositories", []):
            name = str(repo["repositoryName"])
            prefix = prefix_of(name, prefixes)
            if prefix is not None:
                found.append(Repository(name, prefix, repo.get("registryId") or None))
    return sorted(found, key=lambda r: r.name)


def _ids(repo: Repository) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"repositoryName": repo.name}
    if repo.registry_id:
        kwargs["registryId"] = repo.registry_id
    return kwargs


def describe_images(ecr: Any, repo: Repository, calls: Calls) -> list[rules.Image]:
    """Every image of ``repo`` (all pages)."""
    images: list[rules.Image] = []
    for page in ecr.get_paginator("describe_images").paginate(
        **_ids(repo), PaginationConfig={"PageSize": PAGE_SIZE}
    ):
        calls.add("DescribeImages")
        images.extend(rules.from_detail(d) for d in page.get("imageDetails", []))
    return images


class UnreadableIndex(Exception):
    """An index manifest could not be read: its children are unknown, so nothing in its
    repository may be deleted safely."""


def read_children(
    ecr: Any, repo: Repository, indexes: Sequence[str], calls: Calls
) -> dict[str, tuple[str, ...]]:
    """For each index digest, the digests it lists (``BatchGetImage``, 100 per call)."""
    children: dict[str, tuple[str, ...]] = {}
    for start in range(0, len(indexes), BATCH):
        batch = list(indexes[start:start + BATCH])
        calls.add("BatchGetImage")
        answer = ecr.batch_get_image(
            **_ids(repo), imageIds=[{"imageDigest": d} for d in batch],
            acceptedMediaTypes=ACCEPTED_MEDIA_TYPES,
        )
        for image in answer.get("images", []):
            digest = str(image.get("imageId", {}).get("imageDigest") or "")
            try:
                manifest = json.loads(image.get("imageManifest") or "{}")
            except ValueError:
                raise UnreadableIndex(f"index {digest} of {repo.name}: not JSON") from None
            if digest:
                children[digest] = rules.index_children(manifest)
        missing = [d for d in batch if d not in children]
        failures = {str((f.get("imageId") or {}).get("imageDigest")): f
                    for f in answer.get("failures", [])}
        for digest in missing:
            failure = failures.get(digest, {})
            if failure.get("failureCode") == GONE:
                children[digest] = ()  # deleted since it was listed: lists nothing now
                continue
            raise UnreadableIndex(
                f"index {digest} of {repo.name} could not be read: "
                f"{failure.get('failureCode', 'no answer')} {failure.get('failureReason', '')}"
                .strip()
            )
    return children


@dataclass
class Deleted:
    images: list[rules.Image] = field(default_factory=list)
    gone: list[rules.Image] = field(default_factory=list)  # deleted already by someone else
    failures: list[Failure] = field(default_factory=list)


def _backoff(round_number: int) -> float:
    return float(min(8.0, 0.5 * 2**round_number) * (0.5 + random.random()))


def delete_images(
    ecr: Any,
    repo: Repository,
    images: Sequence[rules.Image],
    calls: Calls,
    on_batch: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Deleted:
    """Delete ``images`` by digest in their order, 100 per ``BatchDeleteImage``.

    Throttled or failed calls are retried by botocore (adaptive mode).  Images that come
    back as per-image failures with a throttling or transient code are tried again in
    up to ``DELETE_ROUNDS - 1`` later rounds (with a growing pause); the rest, and any
    call that still fails, end up in ``Deleted.failures``.  ``on_batch(n)`` after each
    call with the number of images it settled.
    """
    result = Deleted()
    by_digest = {i.digest: i for i in images}
    pending = [i.digest for i in images]
    for round_number in range(DELETE_ROUNDS):
        retry: list[str] = []
        for start in range(0, len(pending), BATCH):
            batch = pending[start:start + BATCH]
            calls.add("BatchDeleteImage")
            try:
                answer = ecr.batch_delete_image(
                    **_ids(repo), imageIds=[{"imageDigest": d} for d in batch]
                )
            except Exception as exc:  # a whole call failed after botocore's retries
                if not is_aws_error(exc):
                    raise
                code, reason = describe_error(exc)
                result.failures.extend(Failure(repo.name, d, code, reason) for d in batch)
                if on_batch:
                    on_batch(len(batch))
                continue
            # What BatchDeleteImage does not list as a failure was deleted (moto, unlike ECR,
            # leaves untagged images out of imageIds, so imageIds alone is not the proof).
            failed: dict[str, tuple[str, str]] = {}
            for failure in answer.get("failures", []):
                digest = str((failure.get("imageId") or {}).get("imageDigest"))
                failed[digest] = (str(failure.get("failureCode") or "Unknown"),
                                  str(failure.get("failureReason") or ""))
            settled = 0
            for digest in batch:
                if digest in failed:
                    code, reason = failed[digest]
                    if code == GONE:
                        result.gone.append(by_digest[digest])
                        settled += 1
                    elif code in RETRYABLE_FAILURES and round_number < DELETE_ROUNDS - 1:
                        retry.append(digest)
                    else:
                        result.failures.append(Failure(repo.name, digest, code, reason))
                        settled += 1
                else:
                    result.images.append(by_digest[digest])
                    settled += 1
            if on_batch and settled:
                on_batch(settled)
        if not retry:
            break
        pending = retry
        sleep(_backoff(round_number))
    return result


def is_aws_error(exc: BaseException) -> bool:
    return isinstance(exc, ClientError | BotoCoreError)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(error code, message) of a failed call."""
    if isinstance(exc, ClientError):
        error: Mapping[str, Any] = exc.response.get("Error", {})
        return str(error.get("Code") or "ClientError"), str(error.get("Message") or exc)
    return type(exc).__name__, str(exc)
