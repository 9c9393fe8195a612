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
- **Timeouts and deadlines.**  Every request has connect and read timeouts, and
  attempts are bounded.  A registry that answers one byte at a time never trips a read
  timeout, so every attempt also has a deadline on the wall clock (``timeout`` for a
  whole small answer, headers included; plus ``size / MIN_BLOB_RATE`` for a blob): a
  watchdog shuts the connection when it passes.  ``with client.deadline(seconds):``
  bounds everything a thread does (an image's requests, retries and waits included).
- **Bounded reads.**  Error, redirect and token bodies are read up to a cap, never
  whole; a blob is read up to the size its manifest declares, not further.
- **Dead registries.**  Once a request has failed every attempt at the transport level (refused,
  timed out) and nothing has succeeded since, later requests fail at once with the
  same reason, so a dead registry gives :class:`RegistryUnreachable` for every
  image in the time of one request, not one per image.
- **GET, never HEAD, for manifests.**  A node's pull GETs the manifest bytes; that is
  what makes ECR's pull-through cache import an image (its HEAD behaviour is not
  documented), and what the Docker-Content-Digest check needs.
- **Redirects.**  Blob downloads are redirected to object storage (S3 for ECR, a
  CDN for Docker Hub); the Authorization header (Basic or Bearer) follows a redirect
  only to the registry's own origin -- same scheme, host and port -- so neither object
  storage nor an https -> http hop on the same host gets it.  A token realm gets the
  credentials only over https (or over plain http from a plain-http registry on the
  same host).  More than :data:`MAX_REDIRECTS` in a row is reported as a redirect loop.
- **Streaming.**  Blobs are read in chunks and hashed as they arrive, never held
  whole; the sha256 must match the digest asked for.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import hashlib
import json
import math
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error

from ecr.images.reference import printable
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
MAX_ERROR_BODY = 64 * 1024  # error and redirect bodies: small JSON; more is cut, never read
MAX_TOKEN_BODY = 1024 * 1024  # a token response (JWTs of a few kB)
MAX_REDIRECTS = 5
MIN_BLOB_RATE = 64 * 1024  # bytes/s a blob download may not fall below, on average


class RegistryError(Exception):
    """The registry answered with an error status (after retries and auth)."""

    def __init__(
        self, status: int, code: str, message: str, url: str = "",
        credentials_sent: bool = True, unanswerable: str = "",
    ) -> None:
        self.status = status
        self.code = code  # errors[0].code, e.g. MANIFEST_UNKNOWN; "" when absent
        self.message = message  # "" when the body said nothing
        self.url = url
        self.credentials_sent = credentials_sent  # False: a 401 to a request without any
        # a 401 whose challenge we could not answer, and why (quoted safely); "" otherwise
        self.unanswerable = unanswerable
        super().__init__(self.text)

    @property
    def text(self) -> str:
        """``HTTP 404 MANIFEST_UNKNOWN: not found``; each part once, absent parts left out."""
        detail = ": ".join(p for p in (self.code, self.message) if p)
        return f"HTTP {self.status} {detail}".strip()


class CredentialsWithheld(RegistryError):
    """Credentials were given, but sending them would expose them (a token realm over
    plain http for an https registry); nothing was sent."""

    def __init__(self, message: str, url: str) -> None:
        super().__init__(401, "", message, url, credentials_sent=False)


class RegistryUnreachable(Exception):
    """No usable answer: connection refused, timeouts or dropped connections, retried."""


class DeadlineExceeded(RegistryUnreachable):
    """A request (or everything done for one image) took longer than its deadline."""


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


def _error_from(
    status: int, body: bytes, url: str, credentials_sent: bool = True
) -> RegistryError:
    code, message = "", ""
    try:
        data = json.loads(body or b"{}")
        errors = data.get("errors") if isinstance(data, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = str(errors[0].get("code", ""))
            message = str(errors[0].get("message", ""))
    except ValueError:
        message = " ".join(body[:200].decode(errors="replace").split())
    return RegistryError(status, code, message, url, credentials_sent)


# -- deadlines ------------------------------------------------------------------------
#
# A read timeout bounds each recv(); a registry that sends a byte every second never
# trips it.  A watchdog per attempt shuts the connection down when the attempt's
# deadline passes, which ends a blocked recv() at once, headers or body.

_local = threading.local()  # .watch: the running attempt's _Watch; .deadline: the thread's


class _Watch:
    """One attempt's deadline; the connection it runs on is noted by the pool."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self.conn: HTTPConnection | None = None
        self._lock = threading.Lock()
        self._done = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        with self._lock:
            if self._done:
                return
            self.expired = True
            sock = getattr(self.conn, "sock", None)
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watch:
        _local.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._done = True
        self._timer.cancel()
        _local.watch = None


class _Noting:
    """Connection mixin: tell the running attempt's watchdog which connection it uses."""

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        watch = getattr(_local, "watch", None)
        if watch is not None:
            watch.conn = self
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _HTTPConnection(_Noting, HTTPConnection):
    pass


class _HTTPSConnection(_Noting, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _remaining() -> float | None:
    """Seconds left of the thread's deadline (``RegistryClient.deadline``), or None."""
    until: float | None = getattr(_local, "deadline", None)
    return None if until is None else until - time.monotonic()


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
        self._origin = origin(self.base_url)
        self.host = parts.netloc
        self.credentials = credentials
        self.retry = retry or RetryPolicy()
        self.timeout = urllib3.Timeout(connect=min(connect_timeout, timeout), read=timeout)
        self._sleep = sleep
        self.request_timeout = timeout  # the wall-clock deadline of one small answer
        self._http = urllib3.PoolManager(
            num_pools=8, maxsize=pool_size, retries=False, timeout=self.timeout
        )
        self._http.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
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

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[None]:
        """Everything this thread asks within the block (requests, retries, waits) ends
        by ``seconds`` from now, with :class:`DeadlineExceeded` when it cannot."""
        outer: float | None = getattr(_local, "deadline", None)
        until = time.monotonic() + seconds
        _local.deadline = until if outer is None else min(outer, until)
        try:
            yield
        finally:
            _local.deadline = outer

    def _attempt_seconds(self, extra: float = 0.0) -> float:
        """The deadline of one attempt: the request's own, capped by the thread's."""
        seconds = self.request_timeout + extra
        left = _remaining()
        if left is not None:
            if left <= 0:
                raise self._deadline_passed()
            seconds = min(seconds, left)
        return seconds

    def _deadline_passed(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"{self.host}: no complete answer in time (the deadline "
                                "for this image passed)")

    def _pause(self, seconds: float) -> None:
        """Sleep before a retry, unless that would outlive the thread's deadline."""
        left = _remaining()
        if left is not None and seconds >= left:
            raise self._deadline_passed()
        self._sleep(seconds)

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
            resp = self._request("GET", path, repository, headers)
            try:
                with self._reading(resp):
                    body = _read_whole(resp, limit, decode=decode)
                if len(body) > limit:
                    resp.close()  # the rest is never read: the connection cannot be reused
                return body, resp
            except (Urllib3Error, OSError) as exc:
                if attempt == self.retry.attempts:
                    raise RegistryUnreachable(
                        f"{self.host}: connection lost reading {path} ({attempt} attempts)"
                    ) from exc
                self._pause(self.retry.delay(attempt, None))
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
        size: int | None = None,
    ) -> BlobResult:
        """Stream a blob to nowhere, hashing it: proves it is servable and warms a cache.

        ``size`` is what the manifest declares: a blob served longer than that is cut
        there (never streamed on) and fails the digest check.  Dropped connections
        mid-stream restart the download (bounded attempts).
        """
        algorithm, _, want = digest.partition(":")
        if algorithm != "sha256":
            raise DigestMismatch(f"cannot verify {digest}: only sha256 digests are supported")
        path = f"/v2/{repository}/blobs/{digest}"
        transferred = 0
        extra = (size or 0) / MIN_BLOB_RATE
        for attempt in range(1, self.retry.attempts + 1):
            resp = self._request("GET", path, repository, {"Accept-Encoding": "identity"})
            hasher = hashlib.sha256()
            read = 0
            try:
                announced = resp.headers.get("Content-Length", "")
                if size is not None and announced.isdigit() and int(announced) > size:
                    resp.close()
                    raise DigestMismatch(
                        f"blob {digest} is served as {announced} bytes; its manifest "
                        f"declares {size}"
                    )
                with self._reading(resp, extra):
                    for chunk in resp.stream(CHUNK, decode_content=False):
                        hasher.update(chunk)
                        read += len(chunk)
                        transferred += len(chunk)
                        if on_bytes:
                            on_bytes(len(chunk))
                        if size is not None and read > size:
                            resp.close()  # the rest is never read
                            raise DigestMismatch(
                                f"blob {digest} from {repository} is longer than the {size} "
                                "bytes its manifest declares (stopped reading there)"
                            )
            except (Urllib3Error, OSError) as exc:
                resp.release_conn()
                if attempt == self.retry.attempts:
                    raise RegistryUnreachable(
                        f"{self.host}: connection lost downloading {digest} "
                        f"({attempt} attempts): {_describe(exc)}"
                    ) from exc
                self._pause(self.retry.delay(attempt, None))
                continue
            finally:
                resp.release_conn()
            if hasher.hexdigest() != want:
                raise DigestMismatch(
                    f"blob {digest} from {repository} hashed to sha256:{hasher.hexdigest()}"
                )
            return BlobResult(digest, read, transferred)
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
        if challenge.scheme == "bearer" and _is_http_url(challenge.params.get("realm", "")):
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
            if not self._may_send_credentials_to(realm):
                raise CredentialsWithheld(
                    f"the registry's token realm {_quoted(realm)} is plain http: the "
                    "credentials were not sent (they would cross the network in clear text)",
                    realm,
                )
            headers["Authorization"] = self.credentials.basic_header()
        resp = self._send("GET", url, headers)
        if resp.status != 200:
            raise _error_from(resp.status, self._drain(resp), realm,
                              credentials_sent=self.credentials is not None)
        try:
            with self._reading(resp):
                body = _read_whole(resp, MAX_TOKEN_BODY, decode=True)
            if len(body) > MAX_TOKEN_BODY:
                resp.close()
        except (Urllib3Error, OSError) as exc:
            raise RegistryUnreachable(
                f"{urllib.parse.urlsplit(realm).netloc}: connection lost reading a token: "
                f"{_describe(exc)}"
            ) from exc
        finally:
            resp.release_conn()
        header, expires_in = _parse_token(body, realm)
        with self._lock:
            # renew a little early so a token never expires in flight
            self._tokens[scope] = (header, time.monotonic() + max(expires_in - 10, 1))
        return header

    def _may_send_credentials_to(self, realm: str) -> bool:
        """A token realm gets our credentials over https, or over plain http only from a
        plain-http registry on the same host (a local test registry): never a downgrade."""
        scheme, host, _ = origin(realm)
        if scheme == "https":
            return True
        own_scheme, own_host, _ = self._origin
        return scheme == own_scheme == "http" and host == own_host

    # -- HTTP ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self, resp: urllib3.BaseHTTPResponse, extra: float = 0.0) -> Iterator[None]:
        """Read a body within the attempt's deadline (``extra`` seconds more for a blob)."""
        watch = _Watch(self._attempt_seconds(extra))
        watch.conn = getattr(resp, "connection", None)
        try:
            with watch:
                yield
        except (Urllib3Error, OSError) as exc:
            if watch.expired:
                raise self._too_slow(watch) from exc
            raise
        if watch.expired:
            raise self._too_slow(watch)

    def _too_slow(self, watch: _Watch) -> DeadlineExceeded:
        left = _remaining()
        if left is not None and left <= 0.05:
            return self._deadline_passed()
        return DeadlineExceeded(
            f"{self.host}: timed out: no complete answer within {watch.seconds:.3g} s "
            "(the registry sends too slowly)"
        )

    def _drain(self, resp: urllib3.BaseHTTPResponse, limit: int = MAX_ERROR_BODY) -> bytes:
        """An error/redirect body: at most ``limit`` bytes are read, within the deadline;
        a longer one is cut and its connection closed, never read to the end."""
        body = b""
        try:
            with self._reading(resp):
                body = resp.read(limit + 1)
        except (Urllib3Error, OSError, DeadlineExceeded):
            resp.close()
        else:
            if len(body) > limit:
                resp.close()
        finally:
            resp.release_conn()
        return body[:limit]

    def _request(
        self, method: str, path: str, repository: str, headers: Mapping[str, str]
    ) -> urllib3.BaseHTTPResponse:
        """Send with auth, answering one challenge, following redirects; raise on errors."""
        scope = f"repository:{repository}:pull"
        url = self.base_url + path
        base_headers = {"User-Agent": USER_AGENT, **headers}
        auth = self._auth_header(scope)
        resp = self._send(method, url, _with_auth(base_headers, auth))
        if resp.status == 401:
            challenge = parse_challenge(resp.headers.get("WWW-Authenticate"))
            first = self._drain(resp)
            answer = self._answer(challenge, scope)
            if answer is None or answer == auth:
                sent = auth is not None and self.credentials is not None
                error = _error_from(401, first, url, credentials_sent=sent)
                if answer is None and self.credentials is not None:
                    error.unanswerable = challenge_problem(
                        resp.headers.get("WWW-Authenticate"), challenge
                    )
                raise error
            resp = self._send(method, url, _with_auth(base_headers, answer))
        seen = {url}
        for _ in range(MAX_REDIRECTS):
            if resp.status not in REDIRECT_STATUSES:
                break
            location = resp.headers.get("Location", "")
            self._drain(resp)
            target = urllib.parse.urljoin(url, location)
            if target in seen:
                raise RegistryError(resp.status, "", f"redirect loop: {url} redirects back "
                                    f"to {target}", url)
            seen.add(target)
            # credentials go only to the registry itself: same scheme, host and port.  Object
            # storage URLs carry their own signature, and an https -> http hop on the same
            # host would send them in clear text
            redirect_headers = dict(base_headers) if origin(target) != self._origin else dict(
                _with_auth(base_headers, self._auth_header(scope))
            )
            url = target
            resp = self._send(method, url, redirect_headers)
        if resp.status in REDIRECT_STATUSES:
            self._drain(resp)
            raise RegistryError(resp.status, "", f"redirect loop: still redirected after "
                                f"{MAX_REDIRECTS} redirects (last to {url})", url)
        if resp.status >= 400:
            raise _error_from(resp.status, self._drain(resp), url,
                              credentials_sent=self.credentials is not None)
        return resp

    def _send(
        self, method: str, url: str, headers: Mapping[str, str]
    ) -> urllib3.BaseHTTPResponse:
        """One request (up to its headers) with retries on 429/5xx, dropped connections
        and timeouts; each attempt within its deadline.  The body is the caller's to read."""
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
            watch = _Watch(self._attempt_seconds())
            try:
                with self._lock:
                    self.requests += 1
                with watch:
                    resp = self._http.request(
                        method, url, headers=dict(headers), preload_content=False,
                        redirect=False, timeout=self.timeout,
                    )
            except (Urllib3Error, OSError) as exc:
                if watch.expired:
                    left = _remaining()
                    if left is not None and left <= 0.05:
                        raise self._deadline_passed() from exc
                    last_error = f"timed out: no complete answer within {watch.seconds:.3g} s"
                else:
                    last_error = _describe(exc)
                if attempt < self.retry.attempts:
                    self._pause(self.retry.delay(attempt, None))
                    continue
                if same_registry:
                    with self._lock:
                        self._dead = last_error
                kind = DeadlineExceeded if watch.expired else RegistryUnreachable
                raise kind(f"{netloc}: {last_error} ({attempt} attempts)") from exc
            if same_registry:
                with self._lock:
                    self._dead = None  # it answers: whatever failed before was passing
            if resp.status in RETRY_STATUSES and attempt < self.retry.attempts:
                delay = self.retry.delay(attempt, resp.headers.get("Retry-After"))
                self._drain(resp)
                if same_registry and resp.status in HOLD_STATUSES:
                    self._hold(delay)  # the loop's _wait_for_hold does the waiting
                else:
                    self._pause(delay)
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
            self._pause(wait)


def _parse_token(body: bytes, realm: str) -> tuple[str, float]:
    """(``Bearer <token>``, seconds it lasts) from a token endpoint's answer."""
    if len(body) > MAX_TOKEN_BODY:
        raise RegistryError(200, "", f"token endpoint {realm} sent more than "
                            f"{MAX_TOKEN_BODY} bytes", realm)
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise RegistryError(200, "", f"token endpoint {realm} sent no JSON", realm) from exc
    if not isinstance(data, dict):
        raise RegistryError(200, "", f"token endpoint {realm} sent JSON that is not an object",
                            realm)
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not token:
        raise RegistryError(200, "", f"token endpoint {realm} sent no token", realm)
    raw = data.get("expires_in")
    if raw is None:
        return f"Bearer {token}", 60.0
    try:
        if isinstance(raw, bool):
            raise ValueError(raw)
        expires_in = float(raw)
    except (TypeError, ValueError):
        expires_in = math.nan
    if not math.isfinite(expires_in) or expires_in <= 0:
        shown = json.dumps(raw)[:40]
        raise RegistryError(200, "", f"token endpoint {realm} sent a token with a bad "
                            f"expires_in ({shown}): not a positive number of seconds", realm)
    return f"Bearer {token}", expires_in


def challenge_problem(header: str | None, challenge: Challenge | None) -> str:
    """Why a 401's challenge could not be answered with the credentials we hold, for a
    message: the header quoted safely (escaped, cut short), never taken as is."""
    if not header or challenge is None:
        return "the registry's 401 has no WWW-Authenticate challenge"
    shown = _quoted(header)
    if challenge.scheme not in ("basic", "bearer"):
        return f"the registry's challenge is malformed (not Basic or Bearer): {shown}"
    return f"the registry's Bearer challenge is malformed (no http(s) realm): {shown}"


def _quoted(text: str, limit: int = 120) -> str:
    """``text`` for a message: unprintable characters escaped, cut at ``limit``."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    return "'" + printable(cut) + "'"


def _is_http_url(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of ``url``, the port filled in for http and https: what must
    match for a request to go where credentials were meant to go (RFC 6454 origins)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # a bad port matches no origin
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


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
