"""ECR's JSON API for ``status``'s reads, without botocore's per-call machinery.

``status`` makes one ``DescribeImages`` call per repository, so what each call costs
on this side is most of what ``status`` adds to ECR's own time: botocore spends about
a millisecond of CPU a call (events, parameter validation, endpoint rules, its HTTP
layer and model-driven parsing) and a tenth of a second to import.  This client
speaks the protocol those reads use and nothing else: a JSON body POSTed to ``/``
with ``X-Amz-Target``, signed with Signature Version 4, over one kept-alive
connection per thread (:mod:`ecr.aws.transport`), the answer parsed with
:func:`json.loads`.

It is made only from a :class:`~ecr.aws.environment.StaticEnvironment` (the
environment alone decides credentials, region and endpoint, exactly as botocore
would), and it answers like a botocore client: the same method names and
parameters, the same response shapes (timestamps as aware datetimes), and the same
exceptions (``ClientError`` with the service's code and message,
``EndpointConnectionError``, ``ReadTimeoutError``, :class:`ecr.aws.NotAwsResponse`
for a body no AWS service sends), so :mod:`ecr.aws` explains its failures like any
other.  Retries follow botocore's standard mode: throttling and transient errors
(HTTP 429/500/502/503/504, dropped connections) are retried with full-jitter
exponential backoff, :data:`MAX_ATTEMPTS` attempts in all, drawing on one retry quota
per client as botocore does (:class:`RetryQuota`: a server failing every call stops being
retried soon); a connection that cannot be made at all is given :data:`CONNECT_ATTEMPTS`.
The last error says, as botocore's does, when the attempts ran out ("reached max
retries"), and ``ResponseMetadata.RetryAttempts`` counts the retries.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from botocore import exceptions

from ecr import aws
from ecr.aws import transport
from ecr.aws.environment import StaticEnvironment
from ecr.aws.transport import Answer, Retryable, Transport

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
CONTENT_TYPE = "application/x-amz-json-1.1"
SERVICE = "ecr"  # the SigV4 signing name
USER_AGENT = "infra-ecr (status)"
MAX_ATTEMPTS = 1 + aws.MAX_RETRIES  # the first and the retries, as through botocore
CONNECT_ATTEMPTS = aws.CONNECT_ATTEMPTS
MAX_BACKOFF = 20.0  # seconds, botocore's standard mode
MAX_MESSAGE = 4096  # characters of an error body that is not JSON
# botocore's retry quota (botocore.retries.standard.RetryQuotaChecker and quota).
RETRY_QUOTA = 500
RETRY_COST = 14
THROTTLING_RETRY_COST = 5
NO_RETRY_INCREMENT = 1
# What http.client refuses in a header value (a line break not folding the line).
ILLEGAL_HEADER_VALUE = re.compile(r"\n(?![ \t])|\r(?![ \t\n])")

# botocore's standard retry mode: these codes (and 429) are throttling, these are transient.
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded", "BandwidthLimitExceeded",
    "LimitExceededException", "RequestThrottled", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
})
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException",
                             "PriorRequestNotComplete"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})

# The timestamp members of the answers read here (ECR's model: DescribeRepositories,
# DescribeImages, BatchGetImage; tests/aws/test_ecr_json.py checks the list against it).
TIMESTAMPS = frozenset({
    "createdAt", "imagePushedAt", "lastRecordedPullTime", "lastArchivedAt",
    "lastActivatedAt", "imageScanCompletedAt", "vulnerabilitySourceUpdatedAt",
})


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def sign(
    env: StaticEnvironment, host: str, target: str, body: bytes, now: datetime
) -> dict[str, str]:
    """The headers of a signed JSON request (Signature Version 4), ``Authorization`` included.

    Signed: ``Content-Type``, ``Host``, ``X-Amz-Date``, ``X-Amz-Target`` and, with a
    session token, ``X-Amz-Security-Token``, as botocore signs them.
    """
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = stamp[:8]
    headers = {"content-type": CONTENT_TYPE, "host": host, "x-amz-date": stamp,
               "x-amz-target": target}
    creds = env.credentials
    if creds.token:
        headers["x-amz-security-token"] = creds.token
    names = sorted(headers)
    canonical = "\n".join([
        "POST", "/", "", "".join(f"{name}:{' '.join(headers[name].split())}\n" for name in names),
        ";".join(names), hashlib.sha256(body).hexdigest(),
    ])
    scope = f"{day}/{env.region}/{SERVICE}/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope,
                         hashlib.sha256(canonical.encode("utf-8")).hexdigest()])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{creds.secret_key}".encode(), day), env.region),
                      SERVICE), "aws4_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    headers["authorization"] = (f"AWS4-HMAC-SHA256 Credential={creds.access_key}/{scope}, "
                                f"SignedHeaders={';'.join(names)}, Signature={signature}")
    return headers


def signed_host(url: str) -> str:
    """The ``Host`` header botocore signs for ``url``: the host in lower case, an IPv6
    address in brackets, the port unless it is the scheme's default."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _timestamp(value: Any) -> datetime:
    """An epoch (a number, or its text) or an ISO 8601 text as an aware datetime, as
    botocore's parser reads timestamps (ValueError, OverflowError, OSError: none)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {type(value).__name__}")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except ValueError:
        parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _timestamps(value: Any) -> Any:
    """``value`` with every :data:`TIMESTAMPS` member an aware datetime and, as botocore
    reads a structure, no member that is null."""
    if isinstance(value, dict):
        for key, item in list(value.items()):
            if item is None:
                del value[key]
            elif key in TIMESTAMPS:
                value[key] = _timestamp(item)
            elif isinstance(item, (dict, list)):
                _timestamps(item)
    elif isinstance(value, list):
        for item in value:
            _timestamps(item)
    return value


def error_of(status: int, body: bytes) -> tuple[str, str]:
    """The error code and message of a failed call, as botocore's JSON parser reads them.

    A 5xx answer that is empty or an HTML page is generic: its status and reason.
    Otherwise the JSON body's ``__type`` (its ``prefix#`` and ``:suffix`` removed) and
    ``message``; a body that is not JSON becomes the message (at most
    :data:`MAX_MESSAGE` characters), the status the code.
    """
    stripped = body.strip()
    if status >= 500 and (not stripped or stripped.startswith(b"<html>")):
        return str(status), http.client.responses.get(status, "")
    parsed: Any = {}
    if body:
        text = body.decode("utf-8", errors="replace")
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = {"message": text[:MAX_MESSAGE]}
    if not isinstance(parsed, dict):
        parsed = {}
    message = parsed.get("message", parsed.get("Message", ""))
    found = parsed.get("__type", str(status))  # present but empty or null: so it stays
    code = "" if found is None else str(found)
    code = code.split(":", 1)[0].rsplit("#", 1)[-1]
    return code, str(message)


def unusable_credentials(env: StaticEnvironment) -> aws.AwsSetupError | None:
    """Keys no request can carry: a line break in a header value (the access key, the
    token), or text that is no Unicode (bytes the environment held that are not UTF-8).
    The error names the variable, never its value: it is a secret."""
    creds = env.credentials
    for variable, value, header in (("AWS_ACCESS_KEY_ID", creds.access_key, True),
                                    ("AWS_SECRET_ACCESS_KEY", creds.secret_key, False),
                                    ("AWS_SESSION_TOKEN", creds.token or "", True)):
        try:
            value.encode("utf-8")
        except UnicodeError:
            return aws.AwsSetupError(f"{variable} holds bytes that are not UTF-8 text",
                                     f"set {variable} again")
        if header and ILLEGAL_HEADER_VALUE.search(value):
            return aws.AwsSetupError(
                f"{variable} holds a line break, which no HTTP request can carry",
                f"set {variable} again, without it")
    return None


class RetryQuota:
    """botocore's retry quota, one per client: each retry takes :data:`RETRY_COST`
    (:data:`THROTTLING_RETRY_COST` when throttled); a success gives back what its retries
    took, or :data:`NO_RETRY_INCREMENT`.  Thread-safe."""

    def __init__(self, capacity: int = RETRY_QUOTA) -> None:
        self.capacity = self.available = capacity
        self._lock = threading.Lock()

    def acquire(self, amount: int) -> bool:
        with self._lock:
            if amount > self.available:
                return False
            self.available -= amount
            return True

    def release(self, amount: int) -> None:
        with self._lock:
            self.available = min(self.capacity, self.available + amount)


class EcrJsonClient:
    """A botocore-like ECR client for ``DescribeRepositories``, ``DescribeImages`` and
    ``BatchGetImage`` in a static environment.  Thread-safe: one connection per thread."""

    def __init__(
        self, env: StaticEnvironment, clock: Callable[[], datetime] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.env = env
        self._host = signed_host(env.endpoint)
        self._transport = Transport(env.endpoint, env.ca_bundle)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._sleep = sleep
        self.meta = _Meta(env.region, env.endpoint)
        self.quota = RetryQuota()
        self._unusable = unusable_credentials(env)

    # The operations, named and called as botocore names them.
    def describe_repositories(self, **params: Any) -> dict[str, Any]:
        return self.call("DescribeRepositories", params)

    def describe_images(self, **params: Any) -> dict[str, Any]:
        return self.call("DescribeImages", params)

    def batch_get_image(self, **params: Any) -> dict[str, Any]:
        return self.call("BatchGetImage", params)

    def call(self, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """One operation, retried as botocore's standard mode would; its parsed answer."""
        if self._unusable is not None:
            raise self._unusable
        body = json.dumps(params, separators=(",", ":")).encode("utf-8")
        attempt, taken = 0, 0
        while True:
            attempt += 1
            try:
                answer = self._attempt(operation, body, attempt)
            except Retryable as retry:
                limit = CONNECT_ATTEMPTS if retry.connect else MAX_ATTEMPTS
                cost = THROTTLING_RETRY_COST if retry.throttled else RETRY_COST
                if attempt >= limit or not self.quota.acquire(cost):
                    raise retry.error from None
                taken = cost
                self._sleep(min(MAX_BACKOFF, random.random() * 2 ** (attempt - 1)))
            else:
                self.quota.release(taken or NO_RETRY_INCREMENT)
                return answer

    def _attempt(self, operation: str, body: bytes, attempt: int) -> dict[str, Any]:
        headers = sign(self.env, self._host, TARGET_PREFIX + operation, body, self._clock())
        headers["user-agent"] = USER_AGENT
        answer = self._transport.post(body, headers)
        if answer.too_big:
            raise aws.NotAwsResponse(endpoint=self.env.endpoint, operation=operation,
                                     status=answer.status,
                                     content=f"(more than {transport.MAX_BODY // 2**20} MiB)")
        metadata = self._metadata(answer, attempt)
        if 200 <= answer.status < 300:
            kind = answer.headers.get("content-type") or "no content type"
            try:
                parsed = json.loads(answer.body) if answer.body else None
                if isinstance(parsed, dict):
                    parsed["ResponseMetadata"] = metadata
                    return _timestamps(parsed)  # type: ignore[no-any-return]
            except (ValueError, RecursionError):  # also bytes that are not UTF-8
                pass
            except (OverflowError, OSError):  # a timestamp beyond any date
                kind = "a timestamp beyond any date"
            raise aws.NotAwsResponse(endpoint=self.env.endpoint, operation=operation,
                                     status=answer.status, content=f"({kind})")
        code, message = error_of(answer.status, answer.body)
        error = exceptions.ClientError(
            {"Error": {"Code": code, "Message": message},
             "ResponseMetadata": metadata}, operation)  # type: ignore[typeddict-item]
        throttled = code in THROTTLING_CODES or answer.status == 429
        if throttled or answer.status in TRANSIENT_STATUSES or code in TRANSIENT_CODES:
            raise Retryable(error, throttled=throttled)
        raise error

    @staticmethod
    def _metadata(answer: Answer, attempt: int) -> dict[str, Any]:
        """botocore's: with the retries so far and, on the last attempt botocore allows,
        ``MaxAttemptsReached`` (its errors then say "reached max retries")."""
        metadata = {"HTTPStatusCode": answer.status, "HTTPHeaders": answer.headers,
                    "RetryAttempts": attempt - 1}
        if "x-amzn-requestid" in answer.headers:
            metadata["RequestId"] = answer.headers["x-amzn-requestid"]
        if attempt >= MAX_ATTEMPTS:
            metadata["MaxAttemptsReached"] = True
        return metadata


class _Meta:
    """``client.meta``'s parts the tools read."""

    def __init__(self, region_name: str, endpoint_url: str) -> None:
        self.region_name, self.endpoint_url = region_name, endpoint_url
