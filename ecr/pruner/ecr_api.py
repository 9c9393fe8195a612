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
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
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
REPOSITORY_GONE = "RepositoryNotFoundException"  # so are its images: a delete's success
DELETE_ROUNDS = 4
# Times ECR reports are after it launched (2015) and not far ahead of this clock; anything
# else is an answer this code misunderstands, and nothing is deleted on it.
EARLIEST = datetime(2015, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=366)


class BadAnswer(Exception):
    """An ECR answer of a shape this code does not understand (the message names the call);
    nothing is deleted on it."""


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


def _answer(call: str, method: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """One call's answer, checked to be an object; an answer botocore cannot parse (a
    timestamp out of range, say) is a :class:`BadAnswer` naming the call."""
    try:
        answer = method(**kwargs)
    except (ValueError, OverflowError, RuntimeError, AttributeError, TypeError) as exc:
        # botocore's parser on a body that is not the operation's shape (a list, null,
        # a timestamp no datetime can hold)
        if is_aws_error(exc):
            raise
        raise BadAnswer(f"{call}: the answer could not be read: {exc}") from None
    if not isinstance(answer, dict):
        raise BadAnswer(f"{call}: the answer is not an object: {_short(answer)}")
    return answer


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def follow(read: Callable[[dict[str, Any]], dict[str, Any]], kwargs: dict[str, Any],
           bad_token: Callable[[object, bool], Exception],
           continuation: str = "nextToken") -> Iterator[dict[str, Any]]:
    """Every answer of a paginated call: ``read(kwargs)`` makes one call, and each answer's
    ``continuation`` token is sent with the next.  The one guard of every listing of ours
    (``ecr.aws.pages`` too): a token that is not a string, or one seen before (repeating,
    or alternating between pages: the listing would never end), raises
    ``bad_token(token, seen_before)``.
    """
    seen: set[str] = set()
    while True:
        answer = read(kwargs)
        yield answer
        following = answer.get(continuation)
        if following is None or following == "":
            return
        if not isinstance(following, str) or following in seen:
            raise bad_token(following, isinstance(following, str))
        seen.add(following)
        kwargs = {**kwargs, continuation: following}


def pages(call: str, method: Callable[..., Any], key: str, calls: Calls,
          **kwargs: Any) -> Iterator[list[Any]]:
    """The ``key`` list of every page of a paginated call (``maxResults`` PAGE_SIZE).

    A ``nextToken`` seen before (repeating, or alternating between pages) would loop
    forever: it is a :class:`BadAnswer`, as is a page without its ``key`` list (an empty
    answer is not an empty list).
    """
    def read(args: dict[str, Any]) -> dict[str, Any]:
        calls.add(call.split()[0])  # counted by operation ("DescribeImages of x": DescribeImages)
        return _answer(call, method, **args)

    def bad_token(token: object, seen_before: bool) -> BadAnswer:
        if seen_before:
            return BadAnswer(f"{call}: the nextToken {_short(token)} came back a second "
                             "time; the listing would never end")
        return BadAnswer(f"{call}: nextToken is not a string: {_short(token)}")

    for page in follow(read, {**kwargs, "maxResults": PAGE_SIZE}, bad_token):
        items = page.get(key)
        if not isinstance(items, list):
            raise BadAnswer(f"{call}: the answer has no {key} list (got {_short(items)})")
        yield items


def _text(call: str, entry: Mapping[str, Any], key: str, required: bool = True) -> str | None:
    value = entry.get(key)
    if value in (None, "") and not required:
        return None
    if not isinstance(value, str) or not value:
        raise BadAnswer(f"{call}: an entry without a {key} string: {_short(dict(entry))}")
    return value


def list_repositories(ecr: Any, prefixes: Sequence[str], calls: Calls) -> list[Repository]:
    """The repositories under ``prefixes``, all pages; no other repository is ever returned."""
    call = "DescribeRepositories"
    found: list[Repository] = []
    for items in pages(call, ecr.describe_repositories, "repositories", calls):
        for repo in items:
            if not isinstance(repo, dict):
                raise BadAnswer(f"{call}: a repository that is not an object: {_short(repo)}")
            name = str(_text(call, repo, "repositoryName"))
            prefix = prefix_of(name, prefixes)
            if prefix is not None:
                found.append(Repository(name, prefix, _text(call, repo, "registryId", False)))
    return sorted(found, key=lambda r: r.name)


def _time(call: str, detail: Mapping[str, Any], key: str, now: datetime) -> None:
    value = detail.get(key)
    if value is None:
        return
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise BadAnswer(f"{call}: {key} of {detail.get('imageDigest')} is not a time: "
                        f"{_short(value)}")
    if not EARLIEST <= value <= now + FUTURE_SLACK:
        raise BadAnswer(f"{call}: {key} of {detail.get('imageDigest')} is out of range: "
                        f"{value.isoformat()}")


def image_of(call: str, detail: object, now: datetime | None = None) -> rules.Image:
    """One ``imageDetails`` entry as a :class:`rules.Image`, checked (:class:`BadAnswer`:
    not an object, no ``imageDigest``, tags not strings, size not a number, a time out of
    range)."""
    if not isinstance(detail, dict):
        raise BadAnswer(f"{call}: an image that is not an object: {_short(detail)}")
    digest = _text(call, detail, "imageDigest")
    tags = detail.get("imageTags")
    if tags is not None and not (isinstance(tags, list)
                                 and all(isinstance(t, str) for t in tags)):
        raise BadAnswer(f"{call}: imageTags of {digest} is not a list of strings")
    size = detail.get("imageSizeInBytes")
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 0):
        raise BadAnswer(f"{call}: imageSizeInBytes of {digest} is not a size: {_short(size)}")
    for key in ("imagePushedAt", "lastRecordedPullTime"):
        _time(call, detail, key, now or datetime.now(UTC))
    for key in ("imageManifestMediaType", "artifactMediaType", "subjectManifestDigest"):
        _text(call, detail, key, required=False)
    return rules.from_detail(detail)


def _ids(repo: Repository) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"repositoryName": repo.name}
    if repo.registry_id:
        kwargs["registryId"] = repo.registry_id
    return kwargs


def describe_images(ecr: Any, repo: Repository, calls: Calls) -> list[rules.Image]:
    """Every image of ``repo`` (all pages), checked (:class:`BadAnswer`)."""
    call = f"DescribeImages of {repo.name}"
    images: list[rules.Image] = []
    for items in pages(call, ecr.describe_images, "imageDetails", calls, **_ids(repo)):
        images.extend(image_of(call, d) for d in items)
    return images


class UnreadableIndex(Exception):
    """An index manifest could not be fetched (a per-image failure of ``BatchGetImage``):
    its children are unknown, so nothing in its repository may be deleted safely."""


def _manifest_children(text: object) -> tuple[str, ...] | None:
    """What an index manifest lists, or None when it cannot be read (empty, ``null``, not
    JSON, not an index's shape): the rules then keep everything it might list."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        return rules.index_children(json.loads(text))
    except ValueError:
        return None


def _entries(call: str, answer: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    entries = answer.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise BadAnswer(f"{call}: {key} is not a list of objects: {_short(entries)}")
    return entries


def _digest_of(call: str, entry: Mapping[str, Any]) -> str:
    image_id = entry.get("imageId")
    if not isinstance(image_id, dict):
        raise BadAnswer(f"{call}: an entry without an imageId: {_short(dict(entry))}")
    return str(_text(call, image_id, "imageDigest"))


def read_children(
    ecr: Any, repo: Repository, indexes: Sequence[str], calls: Calls
) -> dict[str, tuple[str, ...] | None]:
    """For each index digest, the digests it lists (``BatchGetImage``, 100 per call); None
    for an index whose manifest cannot be read (see ``rules.decide``)."""
    call = f"BatchGetImage of {repo.name}"
    children: dict[str, tuple[str, ...] | None] = {}
    for start in range(0, len(indexes), BATCH):
        batch = list(indexes[start:start + BATCH])
        calls.add("BatchGetImage")
        answer = _answer(
            call, ecr.batch_get_image,
            **_ids(repo), imageIds=[{"imageDigest": d} for d in batch],
            acceptedMediaTypes=ACCEPTED_MEDIA_TYPES,
        )
        for image in _entries(call, answer, "images"):
            children[_digest_of(call, image)] = _manifest_children(image.get("imageManifest"))
        missing = [d for d in batch if d not in children]
        failures = {_digest_of(call, f): f for f in _entries(call, answer, "failures")}
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
    not_sent: list[rules.Image] = field(default_factory=list)  # stopped before their delete


def _backoff(round_number: int) -> float:
    return float(min(8.0, 0.5 * 2**round_number) * (0.5 + random.random()))


def stopped(stop: threading.Event | None) -> bool:
    return stop is not None and stop.is_set()


def delete_images(
    ecr: Any,
    repo: Repository,
    images: Sequence[rules.Image],
    calls: Calls,
    on_batch: Callable[[int], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    stop: threading.Event | None = None,
) -> Deleted:
    """Delete ``images`` by digest in their order, 100 per ``BatchDeleteImage``.

    Throttled or failed calls are retried by botocore (adaptive mode).  Images that come
    back as per-image failures with a throttling or transient code are tried again in
    up to ``DELETE_ROUNDS - 1`` later rounds (with a growing pause); the rest, and any
    call that still fails, end up in ``Deleted.failures``.  An image or a repository that
    is already gone counts as deleted by someone else (``Deleted.gone``), not as a failure.
    Once ``stop`` is set no further call is sent: what was not sent is ``not_sent``.
    An answer of the wrong shape fails its images and stops the deleting here.
    ``on_batch(n)`` after each call with the number of images it settled.
    """
    call = f"BatchDeleteImage of {repo.name}"
    result = Deleted()
    by_digest = {i.digest: i for i in images}
    pending = [i.digest for i in images]
    for round_number in range(DELETE_ROUNDS):
        retry: list[str] = []
        for start in range(0, len(pending), BATCH):
            batch = pending[start:start + BATCH]
            if stopped(stop):
                result.not_sent.extend(by_digest[d] for d in pending[start:] + retry)
                return result
            calls.add("BatchDeleteImage")
            try:
                answer = _answer(call, ecr.batch_delete_image,
                                 **_ids(repo), imageIds=[{"imageDigest": d} for d in batch])
                failed: dict[str, tuple[str, str]] = {}
                for failure in _entries(call, answer, "failures"):
                    failed[_digest_of(call, failure)] = (
                        str(failure.get("failureCode") or "Unknown"),
                        str(failure.get("failureReason") or ""))
            except BadAnswer as exc:
                result.failures.extend(Failure(repo.name, d, "BadAnswer", str(exc))
                                       for d in batch)
                result.not_sent.extend(by_digest[d] for d in pending[start + BATCH:] + retry)
                return result
            except Exception as exc:  # a whole call failed after botocore's retries
                if not is_aws_error(exc):
                    raise
                code, reason = describe_error(exc)
                if code == REPOSITORY_GONE:  # and every image in it: nothing left to send
                    result.gone.extend(by_digest[d] for d in pending[start:] + retry)
                    if on_batch:
                        on_batch(len(pending) - start + len(retry))
                    return result
                result.failures.extend(Failure(repo.name, d, code, reason) for d in batch)
                if on_batch:
                    on_batch(len(batch))
                continue
            # What BatchDeleteImage does not list as a failure was deleted (moto, unlike ECR,
            # leaves untagged images out of imageIds, so imageIds alone is not the proof).
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


def recheck(
    ecr: Any, repo: Repository, images: Sequence[rules.Image], calls: Calls
) -> dict[str, rules.Image | None]:
    """What ECR says of ``images`` now (``DescribeImages`` by digest, 100 per call): each
    digest's current :class:`rules.Image`, or None when it (or its repository) is gone.

    ECR fails the whole call when one digest is gone (``ImageNotFoundException``); the
    digests of such a call are then asked one by one.  Other errors propagate (AWS errors,
    :class:`BadAnswer`): the caller deletes nothing it could not re-read.
    """
    call = f"DescribeImages by digest of {repo.name}"
    found: dict[str, rules.Image | None] = {}
    digests = [i.digest for i in images]
    chunks = [digests[n:n + BATCH] for n in range(0, len(digests), BATCH)]
    while chunks:
        chunk = chunks.pop(0)
        calls.add("DescribeImages")
        try:
            answer = _answer(call, ecr.describe_images, **_ids(repo),
                             imageIds=[{"imageDigest": d} for d in chunk])
        except Exception as exc:
            if not is_aws_error(exc):
                raise
            code = describe_error(exc)[0]
            if code == REPOSITORY_GONE:
                return {d: None for d in digests}
            if code != "ImageNotFoundException":
                raise
            if len(chunk) == 1:
                found[chunk[0]] = None
            else:
                chunks[:0] = [[d] for d in chunk]
            continue
        details = answer.get("imageDetails")
        if not isinstance(details, list):
            raise BadAnswer(f"{call}: the answer has no imageDetails list")
        now = {image.digest: image for image in (image_of(call, d) for d in details)}
        for digest in chunk:
            found[digest] = now.get(digest)
    return found


def changed(planned: rules.Image, now: rules.Image | None) -> bool:
    """Whether an image was pulled, pushed or re-tagged since it was planned (a gone one
    has not changed: it needs no delete)."""
    return now is not None and (
        now.last_pull != planned.last_pull or now.pushed_at != planned.pushed_at
        or sorted(now.tags) != sorted(planned.tags))


def is_aws_error(exc: BaseException) -> bool:
    return isinstance(exc, ClientError | BotoCoreError)


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(error code, message) of a failed call."""
    if isinstance(exc, ClientError):
        error: Mapping[str, Any] = exc.response.get("Error", {})
        return str(error.get("Code") or "ClientError"), str(error.get("Message") or exc)
    return type(exc).__name__, str(exc)
