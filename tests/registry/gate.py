"""A small loopback HTTP proxy in front of a real registry, for what a registry
process cannot be told to do on demand:

- inject faults: 429 (with Retry-After), 503, a dropped connection, a slow reply;
- answer with Amazon ECR's own status codes and bodies (sources cited beside each
  constant below): failed upstream login, expired token, refused action, no
  repository (a prefix without a rule), throttling, its Basic challenge, a signed
  schema 1 manifest, and its pull-through rule that a digest resolves only after
  the tag was pulled once (``fill_by_tag_only``);
- demand Bearer tokens the way Docker Hub, GHCR and Quay do: a 401 with
  ``WWW-Authenticate: Bearer realm=...,service=...,scope=...`` and a token endpoint
  that checks Basic credentials and the scope.

Everything else is forwarded to the real registry unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import re
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.netutil import Served, free_port

# ECR's own bodies, as users quote them (sources beside each):
# 403 DENIED when the cache cannot log in upstream, or library/ is missing for Docker
# Hub (aws/containers-roadmap#2354, AWS user guide "pulling an image")
UPSTREAM_DENIED = (
    "The authentication to the upstream registry failed. Verify that the credentials "
    "provided in the pull through cache rule are correct, and try again."
)
# 403 DENIED for an ECR token older than 12 hours (aws/aws-cli#2351, microsoft/vscode#205489)
TOKEN_EXPIRED = "Your authorization token has expired. Reauthenticate and try again."
# 429 when ECR throttles: "TOOMANYREQUESTS: Rate exceeded" (ECR user guide, common errors,
# quoted in mitogen-hq/mitogen#790)
RATE_EXCEEDED = "Rate exceeded"
# 404 NAME_UNKNOWN for a repository that does not exist, e.g. a prefix with no rule
# (awslabs/aws-orbit-workbench#720)
NAME_UNKNOWN = "The repository with name '{name}' does not exist in the registry with id '{id}'"
# 401 without credentials: a Basic challenge and a plain-text body (kaniko#410)
ECR_CHALLENGE = 'Basic realm="https://{host}/",service="ecr.amazonaws.com"'
# 404 MANIFEST_UNKNOWN for an image the repository does not hold
IMAGE_NOT_FOUND = "Requested image not found"
# 404 BLOB_UNKNOWN: distribution's answer for a blob it does not hold (its errcode text)
BLOB_UNKNOWN = "blob unknown to registry"

NOT_AUTHORIZED = (
    "User: arn:aws:sts::123456789012:assumed-role/node/i-0 is not authorized to perform: "
    "ecr:CreateRepository on resource: arn:aws:ecr:af-south-1:123456789012:repository/x"
)


ENDLESS_LIMIT = 64 * 1024 * 1024  # an "endless" body stops here, so a test fails, not hangs


@dataclass
class Fault:
    """What to do with requests whose path matches ``pattern``, ``times`` times."""

    pattern: str
    # "429" | "503" | "500" | "drop" | "slow" | "denied-upstream" | "denied"
    # | "corrupt" (flip a body byte) | "truncate" (send half the body, then close)
    # | "redirect" (307 to ``target``, as ECR sends blob downloads to S3)
    # | "missing" (ECR's 404 for an image it does not hold)
    # | "blob-unknown" (distribution's 404 for a blob it does not hold)
    # | "expired" (ECR's expired-token 403) | "name-unknown" (ECR's 404 for no repository)
    # | "ecr-401" (ECR's Basic challenge, always) | "schema1" (a signed schema 1 manifest)
    # hostile registries (issue 14):
    # | "drip" (200, then the body one byte per ``delay`` s) | "drip-headers" (the status
    # line and headers one byte per ``delay`` s) | "endless-404" / "endless-500" /
    # "endless-401" (an error status and a body that never ends) | "oversize" (the blob,
    # then more bytes than it has, no Content-Length) | "redirect-self" (307 to itself)
    # | "503-bare" (503 with an empty body)
    action: str
    times: int = 1_000_000
    delay: float = 0.0
    target: str = ""  # host:port for "redirect" (object storage, as ECR's S3 URLs)


@dataclass
class GateState:
    target: str  # host:port of the real registry
    bearer_users: dict[str, str] | None = None  # demand Bearer tokens when set
    faults: list[Fault] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    ok: Counter[str] = field(default_factory=Counter)  # 2xx answers per path
    token_requests: list[str] = field(default_factory=list)
    authorization: list[str | None] = field(default_factory=list)  # per request, in order
    # ECR's pull-through cache fills only on pulls by tag (aws/containers-roadmap#2837):
    # when set, a manifest GET by digest is 404 until the repository's tag was pulled
    fill_by_tag_only: bool = False
    filled: set[str] = field(default_factory=set)
    # the token endpoint: "" answers properly, "endless" never ends its body,
    # "bad-expires" sends a token whose expires_in is not a number
    token_action: str = ""
    sent: Counter[str] = field(default_factory=Counter)  # body bytes of endless answers
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.times > 0 and re.search(fault.pattern, path):
                    fault.times -= 1
                    return fault
        return None


def _handler(state: GateState, port_of: Callable[[], int]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            if 200 <= status < 300:
                with state.lock:
                    state.ok[urllib.parse.urlsplit(self.path).path] += 1
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            if self.command != "HEAD" or "Content-Length" not in (headers or {}):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _error(self, status: int, code: str, message: str, **headers: str) -> None:
            body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
            self._send(status, body, {"Content-Type": "application/json", **headers})

        def do_GET(self) -> None:
            self._handle()

        def do_HEAD(self) -> None:
            self._handle()

        def _handle(self) -> None:
            path = self.path
            with state.lock:
                state.hits[urllib.parse.urlsplit(path).path] += 1
                state.authorization.append(self.headers.get("Authorization"))
            if path.startswith("/token"):
                self._token()
                return
            if state.fill_by_tag_only and not self._filled(path):
                self._error(404, "MANIFEST_UNKNOWN", IMAGE_NOT_FOUND)
                return
            fault = state.take_fault(path)
            if fault is not None and self._hostile(fault, path):
                return
            if fault is not None:
                if fault.action == "drop":
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if fault.action == "429":
                    wait = str(int(fault.delay))
                    self._error(429, "TOOMANYREQUESTS", RATE_EXCEEDED, **{"Retry-After": wait})
                    return
                if fault.action == "missing":
                    self._error(404, "MANIFEST_UNKNOWN", IMAGE_NOT_FOUND)
                    return
                if fault.action == "blob-unknown":
                    self._error(404, "BLOB_UNKNOWN", BLOB_UNKNOWN)
                    return
                if fault.action == "expired":
                    self._error(403, "DENIED", TOKEN_EXPIRED)
                    return
                if fault.action == "name-unknown":
                    name = re.sub(r"^/v2/(.+)/manifests/.*$", r"\1", path)
                    self._error(404, "NAME_UNKNOWN", NAME_UNKNOWN.format(name=name,
                                                                        id="123456789012"))
                    return
                if fault.action == "ecr-401":
                    challenge = ECR_CHALLENGE.format(host=self.headers.get("Host", ""))
                    self._send(401, b"Not Authorized\n", {
                        "Content-Type": "text/plain; charset=utf-8",
                        "WWW-Authenticate": challenge,
                    })
                    return
                if fault.action == "schema1":
                    body, digest = schema1_manifest()
                    self._send(200, body, {
                        "Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws",
                        "Docker-Content-Digest": digest,
                    })
                    return
                if fault.action in ("503", "500"):
                    self._error(int(fault.action), "UNAVAILABLE", "try later")
                    return
                if fault.action == "denied-upstream":
                    self._error(403, "DENIED", UPSTREAM_DENIED)
                    return
                if fault.action == "redirect":
                    location = f"http://{fault.target}{path}"
                    self._send(307, b"", {"Location": location})
                    return
                if fault.action == "denied":
                    self._error(403, "DENIED", NOT_AUTHORIZED)
                    return
                if fault.action == "slow":
                    time.sleep(fault.delay)
            if state.bearer_users is not None and not self._bearer_ok(path):
                return
            self._forward(fault.action if fault else None)

        def _hostile(self, fault: Fault, path: str) -> bool:
            """The issue-14 answers; True when the request was answered."""
            action = fault.action
            if action.startswith("endless-"):
                status = int(action.split("-", 1)[1])
                self._endless(status, path, {"Content-Type": "application/json"})
                return True
            if action == "drip":
                self.send_response(200)
                self.send_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self._trickle(b"{" + b" " * 4095, fault.delay)
                return True
            if action == "drip-headers":
                head = b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"x" * 4096 + b"\r\n\r\n"
                self._trickle(head, fault.delay)
                return True
            if action == "redirect-self":
                self._send(307, b"", {"Location": path})
                return True
            if action == "503-bare":
                self._send(503, b"")
                return True
            if action == "oversize":
                upstream = http.client.HTTPConnection(state.target, timeout=30)
                try:
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() not in {"host", "connection"}}
                    upstream.request("GET", path, headers=headers)
                    real = upstream.getresponse().read()
                finally:
                    upstream.close()
                self._endless(200, path, {"Content-Type": "application/octet-stream"},
                              first=real)
                return True
            return False

        def _trickle(self, data: bytes, delay: float) -> None:
            self.close_connection = True
            try:
                for i in range(len(data)):
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                    time.sleep(delay)
            except OSError:
                pass

        def _endless(self, status: int, path: str, headers: dict[str, str],
                     first: bytes = b"") -> None:
            """``first``, then zeros, with no Content-Length, until the client hangs up
            (or ENDLESS_LIMIT); bytes sent are counted in ``state.sent``."""
            self.close_connection = True
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"\0" * 65536
            sent = 0
            try:
                if first:
                    self.wfile.write(first)
                    sent += len(first)
                while sent < ENDLESS_LIMIT:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except OSError:
                pass
            finally:
                with state.lock:
                    state.sent[urllib.parse.urlsplit(path).path] += sent

        def _filled(self, path: str) -> bool:
            """ECR's rule: a digest resolves only once its repository's tag was pulled."""
            match = re.match(r"^/v2/(.+)/manifests/([^?]+)", path)
            if not match:
                return True
            repository, reference = match.groups()
            with state.lock:
                if not reference.startswith("sha256:"):
                    state.filled.add(repository)
                    return True
                return repository in state.filled

        def _bearer_ok(self, path: str) -> bool:
            match = re.match(r"^/v2/(.+)/(manifests|blobs|tags)/", path)
            scope = f"repository:{match.group(1)}:pull" if match else ""
            if self.headers.get("Authorization", "") == f"Bearer tok:{scope}":
                return True
            realm = f"http://127.0.0.1:{port_of()}/token"
            challenge = f'Bearer realm="{realm}",service="gate"'
            if scope:
                challenge += f',scope="{scope}"'
            self._error(401, "UNAUTHORIZED", "authentication required",
                        **{"WWW-Authenticate": challenge})
            return False

        def _token(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            scope = query.get("scope", [""])[0]
            with state.lock:
                state.token_requests.append(scope)
            auth = self.headers.get("Authorization", "")
            users = state.bearer_users or {}
            ok = False
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
                ok = users.get(user) == password
            if not ok or query.get("service") != ["gate"]:
                self._error(401, "UNAUTHORIZED", "bad credentials")
                return
            if state.token_action == "endless":
                self._endless(200, "/token", {"Content-Type": "application/json"},
                              first=b'{"token": "')
                return
            expires: object = "soon" if state.token_action == "bad-expires" else 300
            body = json.dumps({"token": f"tok:{scope}", "expires_in": expires}).encode()
            self._send(200, body, {"Content-Type": "application/json"})

        def _forward(self, damage: str | None) -> None:
            conn = http.client.HTTPConnection(state.target, timeout=30)
            skip = {"host", "connection"}
            if state.bearer_users is not None:
                skip.add("authorization")  # the gate did the auth; the registry is open
            try:
                # putheader keeps repeated headers (a registry client sends several Accept)
                conn.putrequest(self.command, self.path, skip_accept_encoding=True)
                for key, value in self.headers.items():
                    if key.lower() not in skip:
                        conn.putheader(key, value)
                conn.endheaders()
                resp = conn.getresponse()
                body = resp.read()
                out = {
                    k: v
                    for k, v in resp.getheaders()
                    if k.lower() not in {"content-length", "connection", "transfer-encoding"}
                }
                if self.command == "HEAD" and resp.getheader("Content-Length"):
                    out["Content-Length"] = resp.getheader("Content-Length", "0")
                if resp.status in (301, 302, 307, 308) and "Location" in out:
                    # keep redirects on the gate so the client never bypasses it
                    out["Location"] = out["Location"].replace(state.target, self.headers["Host"])
                if damage == "corrupt" and body:
                    body = bytes([body[0] ^ 0xFF]) + body[1:]
                if damage == "truncate" and body:
                    self.send_response(resp.status)
                    for key, value in out.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self._send(resp.status, body, out)
            finally:
                conn.close()

    return Handler


def schema1_manifest() -> tuple[bytes, str]:
    """A signed Docker schema 1 manifest and its Docker-Content-Digest, which (as the
    spec says) covers the payload without the signatures, so never the body's sha256."""
    payload = json.dumps({
        "schemaVersion": 1, "name": "library/old", "tag": "1", "architecture": "amd64",
        "fsLayers": [{"blobSum": "sha256:" + "a" * 64}],
        "history": [{"v1Compatibility": "{}"}],
    }, indent=3).encode()
    signed = payload[:-2] + b',\n   "signatures": [{"header": {}, "signature": "x", ' \
        b'"protected": "e30"}]\n}'
    return signed, "sha256:" + hashlib.sha256(payload).hexdigest()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up (the registry proxy does) are not test failures


class Gate(Served):
    """``with Gate(target) as gate:`` ... ``gate.host`` is what clients talk to."""

    def __init__(self, target: str, bearer_users: dict[str, str] | None = None) -> None:
        self.state = GateState(target=target, bearer_users=bearer_users)
        self.port = free_port()
        self.server = _Server(
            ("127.0.0.1", self.port), _handler(self.state, lambda: self.port)
        )

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def inject(
        self, pattern: str, action: str, times: int = 1, delay: float = 0.0, target: str = ""
    ) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(pattern, action, times, delay, target))

    def reset(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.hits.clear()
            self.state.ok.clear()
            self.state.token_requests.clear()
            self.state.authorization.clear()
            self.state.fill_by_tag_only = False
            self.state.filled.clear()
            self.state.token_action = ""
            self.state.sent.clear()

