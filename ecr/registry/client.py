"""A small OCI distribution client: manifests and blobs over pooled HTTP.

Why not ``skopeo``/``crane``: ``verify`` checks hundreds of images and warms
gigabytes, so it needs one connection pool for the whole run, a token cache shared
by every thread, and errors it can classify (a registry's ``errors[].code`` and
status), not a subprocess's text.

Behaviour a production registry needs:

- **Auth challenges.**  A 401 with ``WWW-Authenticate: Basic`` is answered with the
  credentials; ``Bearer realm=..,service=..,scope=..`` by getting a token from the
  realm (with the credentials as Basic auth, or anonymously) and caching it per
  scope until it expires.  Once a registry asked for Basic auth, later requests
  send it up front (one round trip, not two).
- **Retries.**  429, 5xx (except 501/505), dropped connections and timeouts are
  retried with exponential backoff and jitter, honouring ``Retry-After`` up to a
  cap; a whole blob download is retried if the connection drops mid-stream.
- **No retry storms.**  A 429/503 (ECR answers ``429 TOOMANYREQUESTS: Rate
  exceeded`` when throttling, per its user guide's common errors) holds back every
  thread's next request to the registry until the wait is over, not only the one
  that was refused, as regclient's per-host backoff does.
- **Timeouts.**  Every request has connect and read timeouts, and attempts are
  bounded.  Once a request has failed every attempt at the transport level (refused,
  timed out) and nothing has succeeded since, later requests fail at once with the
  same reason, so a dead registry gives :class:`RegistryUnreachable` for every
  image in the time of one request, not one per image.
- **GET, never HEAD, for manifests.**  A node's pull GETs the manifest bytes; that is
  what makes ECR's pull-through cache import an image (its HEAD behaviour is not
  documented), and what the Docker-Content-Digest check needs.
- **Redirects.**  Blob downloads are redirected to object storage (S3 for ECR, a
  CDN for Docker Hub); the Authorization header is dropped when the host changes.
- **Streaming.**  Blobs are read in chunks and hashed as they arrive, never held
  whole; the sha256 must match the digest asked for.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import random
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from ecr.registry.auth import Challenge, Credentials, parse_challenge
from ecr.registry.manifest import (
    MANIFEST_ACCEPT,
    MAX_MANIFEST_BYTES,
    Manifest,
    ManifestError,
    parse_manifest,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 506, 507, 508, 509, 510, 511, 520, 522})
# "slow down" answers: every request to the registry waits, not only the refused one
HOLD_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK = 1024 * 1024
USER_AGENT = "infra-ecr-verify/1"


class RegistryError(Exception):
    """The registry answered with an error status (after retries and auth)."""

    def __init__(self, status: int, code: str, message: str, url: str = "") -> None:
        self.status = status
        self.code = code  # errors[0].code, e.g. MANIFEST_UNKNOWN; "" when absent
        self.message = message
        self.url = url
        super().__init__(f"HTTP {status} {code or ''}: {message}".replace("  ", " "))


class RegistryUnreachable(Exception):
    """No usable answer: connection refused, timeouts or dropped connections, retried."""


class DigestMismatch(Exception):
    """A blob whose content does not hash to its digest."""


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # tries per request, the first included
    backoff: float = 0.25  # seconds before the 2nd try; doubles each time
    max_backoff: float = 8.0
    max_retry_after: float = 30.0  # never wait longer than this for Retry-After

    def delay(self, attempt: int, retry_after: str | None) -> float:
        wait = _retry_after_seconds(retry_after)
        if wait is not None:
            return min(max(wait, 0.0), self.max_retry_after)
        base: float = min(self.backoff * 2.0 ** (attempt - 1), self.max_backoff)
        return base * (0.5 + random.random() / 2)  # jitter spreads concurrent retries


def _retry_after_seconds(value: str | None) -> float | None:
    """``Retry-After`` is seconds or an HTTP date (RFC 9110 10.2.3); None if absent/bad."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.UTC)
    return (when - datetime.datetime.now(datetime.UTC)).total_seconds()


@dataclass(frozen=True)
class BlobResult:
    digest: str
    size: int  # bytes read in the successful transfer
    transferred: int  # bytes read over all attempts


def _error_from(status: int, body: bytes, url: str) -> RegistryError:
    code, message = "", ""
    try:
        data = json.loads(body or b"{}")
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = str(errors[0].get("code", ""))
            message = str(errors[0].get("message", ""))
    except ValueError:
        message = body[:200].decode(errors="replace").strip()
    return RegistryError(status, code, message or f"HTTP {status}", url)


class RegistryClient:
    """One registry, many threads: ``get_manifest`` and ``fetch_blob`` are thread-safe."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        timeout: float = 30.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pool_size: int = 8,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        parts = urllib.parse.urlsplit(base_url if "://" in base_url else f"https://{base_url}")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        self.host = parts.netloc
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.timeout = urllib3.Timeout(connect=min(connect_timeout, timeout), read=timeout)
        self._sleep = sleep
        self._http = urllib3.PoolManager(
            num_pools=8, maxsize=pool_size, retries=False, timeout=self.timeout
        )
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}  # scope -> (header, expires at)
        self._basic = False  # the registry asked for Basic auth: send it up front
        self._small_blobs: dict[str, bytes] = {}  # configs read by read_blob, by digest
        self._hold_until = 0.0  # monotonic time before which no request is sent
        self._dead: str | None = None  # why the registry is unreachable (no success since)
        self.requests = 0  # HTTP requests sent, for reports and tests

    def close(self) -> None:
        self._http.clear()

    def __enter__(self) -> RegistryClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API ---------------------------------------------------------------

    def get_manifest(self, repository: str, reference: str) -> Manifest:
        """GET a manifest by tag or digest, with every format a node accepts."""
        path = f"/v2/{repository}/manifests/{reference}"
        body, resp = self._get_whole(
            path, repository, {"Accept": MANIFEST_ACCEPT}, MAX_MANIFEST_BYTES, decode=True
        )
        if len(body) > MAX_MANIFEST_BYTES:
            raise ManifestError(f"manifest {path} is larger than {MAX_MANIFEST_BYTES} bytes")
        expected = reference if reference.startswith("sha256:") else None
        expected = expected or resp.headers.get("Docker-Content-Digest")
        return parse_manifest(body, resp.headers.get("Content-Type", ""), expected)

    def _get_whole(
        self, path: str, repository: str, headers: dict[str, str], limit: int, decode: bool
    ) -> tuple[bytes, urllib3.BaseHTTPResponse]:
        """GET a small body read whole (at most ``limit`` + 1 bytes); a body dropped or cut
        short mid-read is asked for again, like a failed request."""
        for attempt in range(1, self.retry.attempts + 1):
            resp = self._request("GET", path, repository, headers, stream=True)
            try:
                return _read_whole(resp, limit, decode=decode), resp
            except (Urllib3Error, OSError) as exc:
                if attempt == self.retry.attempts:
                    raise RegistryUnreachable(
                        f"{self.host}: connection lost reading {path} ({attempt} attempts)"
                    ) from exc
                self._sleep(self.retry.delay(attempt, None))
            finally:
                resp.release_conn()
        raise AssertionError("unreachable: retry.attempts >= 1")

    def read_blob(self, repository: str, digest: str, limit: int = MAX_MANIFEST_BYTES) -> bytes:
        """A small blob (an image config) read whole, its digest checked; remembered by
        digest for this run, since images of one release often share a config."""
        with self._lock:
            known = self._small_blobs.get(digest)
        if known is not None:
            return known
        path = f"/v2/{repository}/blobs/{digest}"
        body, _ = self._get_whole(
            path, repository, {"Accept-Encoding": "identity"}, limit, decode=False
        )
        if len(body) > limit:
            raise DigestMismatch(f"blob {digest} is larger than {limit} bytes")
        if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
            raise DigestMismatch(f"blob {digest} from {repository} does not match its digest")
        with self._lock:
            self._small_blobs[digest] = body
        return body

    def fetch_blob(
        self,
        repository: str,
        digest: str,
        on_bytes: Callable[[int], None] | None = None,
    ) -> BlobResult:
        """Stream a blob to nowhere, hashing it: proves it is servable and warms a cache.

        Dropped connections mid-stream restart the download (bounded attempts).
        """
        algorithm, _, want = digest.partition(":")
        if algorithm != "sha256":
            raise DigestMismatch(f"cannot verify {digest}: only sha256 digests are supported")
        path = f"/v2/{repository}/blobs/{digest}"
        transferred = 0
        for attempt in range(1, self.retry.attempts + 1):
            resp = self._request("GET", path, repository, {"Accept-Encoding": "identity"},
                                 stream=True)
            hasher = hashlib.sha256()
            size = 0
            try:
                for chunk in resp.stream(CHUNK, decode_content=False):
                    hasher.update(chunk)
                    size += len(chunk)
                    transferred += len(chunk)
                    if on_bytes:
                        on_bytes(len(chunk))
            except (Urllib3Error, OSError) as exc:
                resp.release_conn()
                if attempt == self.retry.attempts:
                    raise RegistryUnreachable(
                        f"{self.host}: connection lost downloading {digest} "
                        f"({attempt} attempts): {exc}"
                    ) from exc
                self._sleep(self.retry.delay(attempt, None))
                continue
            resp.release_conn()
            if hasher.hexdigest() != want:
                raise DigestMismatch(
                    f"blob {digest} from {repository} hashed to sha256:{hasher.hexdigest()}"
                )
            return BlobResult(digest, size, transferred)
        raise AssertionError("unreachable")

    # -- auth ---------------------------------------------------------------------

    def _auth_header(self, scope: str) -> str | None:
        with self._lock:
            token = self._tokens.get(scope)
            if token and token[1] > time.monotonic():
                return token[0]
            if self._basic and self.credentials:
                return self.credentials.basic_header()
        return None

    def _answer(self, challenge: Challenge | None, scope: str) -> str | None:
        """The Authorization header that answers ``challenge``, or None if we can't."""
        if challenge is None:
            return None
        if challenge.scheme == "basic":
            if not self.credentials:
                return None
            with self._lock:
                self._basic = True
            return self.credentials.basic_header()
        if challenge.scheme == "bearer" and challenge.params.get("realm"):
            return self._bearer_token(challenge, scope)
        return None

    def _bearer_token(self, challenge: Challenge, scope: str) -> str:
        params = {"service": challenge.params.get("service", "")}
        params["scope"] = challenge.params.get("scope") or scope
        params = {k: v for k, v in params.items() if v}
        realm = challenge.params["realm"]
        url = realm + ("&" if "?" in realm else "?") + urllib.parse.urlencode(params)
        headers = {"User-Agent": USER_AGENT}
        if self.credentials:
            headers["Authorization"] = self.credentials.basic_header()
        resp = self._send("GET", url, headers, stream=False)
        if resp.status != 200:
            raise _error_from(resp.status, resp.data, realm)
        try:
            data = json.loads(resp.data)
            token = str(data.get("token") or data.get("access_token") or "")
            expires_in = float(data.get("expires_in") or 60)
        except (ValueError, AttributeError) as exc:
            raise RegistryError(resp.status, "", f"token endpoint {realm} sent no JSON") from exc
        if not token:
            raise RegistryError(resp.status, "", f"token endpoint {realm} sent no token")
        header = f"Bearer {token}"
        with self._lock:
            # renew a little early so a token never expires in flight
            self._tokens[scope] = (header, time.monotonic() + max(expires_in - 10, 1))
        return header

    # -- HTTP ---------------------------------------------------------------------

    def _request(
        self, method: str, path: str, repository: str, headers: Mapping[str, str], stream: bool
    ) -> urllib3.BaseHTTPResponse:
        """Send with auth, answering one challenge, following redirects; raise on errors."""
        scope = f"repository:{repository}:pull"
        url = self.base_url + path
        base_headers = {"User-Agent": USER_AGENT, **headers}
        auth = self._auth_header(scope)
        resp = self._send(method, url, _with_auth(base_headers, auth), stream)
        if resp.status == 401:
            challenge = parse_challenge(resp.headers.get("WWW-Authenticate"))
            first = _drain(resp)
            answer = self._answer(challenge, scope)
            if answer is None or answer == auth:
                raise _error_from(401, first, url)
            resp = self._send(method, url, _with_auth(base_headers, answer), stream)
        for _ in range(5):
            if resp.status not in REDIRECT_STATUSES:
                break
            location = resp.headers.get("Location", "")
            _drain(resp)
            target = urllib.parse.urljoin(url, location)
            same_host = urllib.parse.urlsplit(target).netloc == urllib.parse.urlsplit(url).netloc
            # object storage URLs carry their own signature; our token must not leak there
            redirect_headers = dict(base_headers) if not same_host else dict(
                _with_auth(base_headers, self._auth_header(scope))
            )
            url = target
            resp = self._send(method, url, redirect_headers, stream)
        if resp.status >= 400 or resp.status in REDIRECT_STATUSES:
            raise _error_from(resp.status, _drain(resp), url)
        return resp

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], stream: bool
    ) -> urllib3.BaseHTTPResponse:
        """One request with retries on 429/5xx, dropped connections and timeouts."""
        netloc = urllib.parse.urlsplit(url).netloc
        same_registry = netloc == self.host
        last_error = ""
        for attempt in range(1, self.retry.attempts + 1):
            if same_registry:
                self._wait_for_hold()
                with self._lock:
                    dead = self._dead
                if dead is not None:
                    raise RegistryUnreachable(
                        f"{netloc}: {dead} (an earlier request already failed every attempt)"
                    )
            try:
                with self._lock:
                    self.requests += 1
                resp = self._http.request(
                    method, url, headers=dict(headers), preload_content=not stream,
                    redirect=False, timeout=self.timeout,
                )
            except (Urllib3Error, OSError) as exc:
                last_error = _describe(exc)
                if attempt < self.retry.attempts:
                    self._sleep(self.retry.delay(attempt, None))
                    continue
                if same_registry:
                    with self._lock:
                        self._dead = last_error
                raise RegistryUnreachable(
                    f"{netloc}: {last_error} ({attempt} attempts)"
                ) from exc
            if same_registry:
                with self._lock:
                    self._dead = None  # it answers: whatever failed before was passing
            if resp.status in RETRY_STATUSES and attempt < self.retry.attempts:
                delay = self.retry.delay(attempt, resp.headers.get("Retry-After"))
                _drain(resp)
                if same_registry and resp.status in HOLD_STATUSES:
                    self._hold(delay)  # the loop's _wait_for_hold does the waiting
                else:
                    self._sleep(delay)
                continue
            return resp
        raise AssertionError("unreachable")

    def _hold(self, delay: float) -> None:
        with self._lock:
            self._hold_until = max(self._hold_until, time.monotonic() + delay)

    def _wait_for_hold(self) -> None:
        with self._lock:
            wait = self._hold_until - time.monotonic()
        if wait > 0:
            self._sleep(wait)


def _with_auth(headers: Mapping[str, str], auth: str | None) -> dict[str, str]:
    out = dict(headers)
    if auth:
        out["Authorization"] = auth
    return out


def _read_whole(resp: urllib3.BaseHTTPResponse, limit: int, decode: bool) -> bytes:
    """Up to ``limit + 1`` bytes of a body read whole.  A body cut short of its
    Content-Length raises (urllib3 returns the short read without complaint when
    asked for more than is left), so the caller retries instead of reporting
    broken content."""
    body = resp.read(limit + 1, decode_content=decode)
    expected = resp.headers.get("Content-Length")
    encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    if expected and expected.isdigit() and not encoded and len(body) < int(expected) <= limit:
        raise urllib3.exceptions.ProtocolError(
            f"connection closed after {len(body)} of {expected} bytes"
        )
    return body


def _drain(resp: urllib3.BaseHTTPResponse, limit: int = 64 * 1024) -> bytes:
    """An error/redirect body (small JSON), read whole so the connection is reusable."""
    try:
        return (resp.data or b"")[:limit]
    except (Urllib3Error, OSError):
        return b""
    finally:
        resp.release_conn()


def _describe(exc: BaseException) -> str:
    """A short reason for a transport failure, without urllib3's object reprs."""
    text = str(exc)
    for marker, reason in (
        ("Connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("RemoteDisconnected", "connection closed without a response"),
        ("Connection reset", "connection reset"),
        ("Connection aborted", "connection dropped"),
        ("CERTIFICATE_VERIFY_FAILED", "TLS certificate not trusted"),
    ):
        if marker in text:
            return reason
    return f"{type(exc).__name__}: {text}"[:200]
