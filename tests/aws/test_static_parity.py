"""The static path against botocore, answer by answer, on a raw loopback server.

Each case is the bytes a server sends; botocore's client (``ecr.aws.sessions``) and
:class:`ecr.aws.ecr_json.EcrJsonClient` call it in turn, and what each gives (the
answer, or the one line :func:`ecr.aws.explain` makes of the error) and how many
requests each made must be the same.  Then what the static path must do where botocore
itself fails badly: no traceback, no secret in any message, no hang.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore import exceptions

from ecr import aws
from ecr.aws import ecr_json, sessions
from ecr.aws.ecr_json import EcrJsonClient
from ecr.aws.environment import Credentials, StaticEnvironment
from tests.netutil import free_port

REGION = "af-south-1"
JSON = b"Content-Type: application/x-amz-json-1.1\r\n"
EMPTY = b'{"repositories":[]}'

Script = Callable[[int], tuple[bytes, bool]]  # request number -> (bytes to send, close after)


def reply(status: str, body: bytes, headers: bytes = JSON) -> tuple[bytes, bool]:
    return (f"HTTP/1.1 {status}\r\n".encode() + headers
            + f"Content-Length: {len(body)}\r\n\r\n".encode() + body, False)


class RawServer:
    """Answers each request on 127.0.0.1 with the script's bytes; counts requests."""

    def __init__(self, script: Script) -> None:
        self.script, self.requests = script, 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, data = data.split(b"\r\n\r\n", 1)
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                while len(data) < length:
                    data += conn.recv(65536)
                data = data[length:]
                with self.lock:
                    self.requests += 1
                    number = self.requests
                out, close = self.script(number)
                conn.sendall(out)
                if close:
                    return

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def server() -> Iterator[Callable[[Script], RawServer]]:
    made: list[RawServer] = []

    def make(script: Script) -> RawServer:
        made.append(RawServer(script))
        return made[-1]

    yield make
    for each in made:
        each.close()


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _: None)


def _outcome(call: Callable[..., dict[str, Any]]) -> Any:
    """The answer (equal datetimes compare equal whatever their zone), or the error line."""
    try:
        answer = dict(call(maxResults=10))
    except aws.ERRORS as exc:
        return "error: " + aws.explain(exc, "list")
    answer.pop("ResponseMetadata")
    return answer


def _botocore(url: str, monkeypatch: pytest.MonkeyPatch, token: str | None = None,
              ca: str | None = None) -> Any:
    for name, value in {"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret",
                        "AWS_REGION": REGION, "AWS_ENDPOINT_URL": url,
                        "AWS_CONFIG_FILE": "/dev/null",
                        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(name, value)
    for name, set_to in (("AWS_SESSION_TOKEN", token), ("AWS_CA_BUNDLE", ca)):
        if set_to is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, set_to)
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    return sessions.client(sessions.session(), "ecr")


def _ours(url: str, token: str | None = None, ca: str | None = None) -> EcrJsonClient:
    return EcrJsonClient(StaticEnvironment(REGION, url, Credentials("AKID", "secret", token), ca),
                         sleep=lambda _: None)


def _both(server: RawServer, monkeypatch: pytest.MonkeyPatch, token: str | None = None,
          ca: str | None = None, url: str | None = None) -> tuple[tuple[Any, int], ...]:
    url = url or server.url
    found = []
    for client in (_botocore(url, monkeypatch, token, ca), _ours(url, token, ca)):
        server.requests = 0
        found.append((_outcome(client.describe_repositories), server.requests))
    return tuple(found)


CASES: dict[str, Script] = {
    # the attempts ran out: botocore says so ("reached max retries: 10")
    "a 503 every time": lambda n: reply("503 Service Unavailable",
                                        b'{"__type":"ServerException","message":"down"}'),
    "throttled every time": lambda n: reply(
        "400 Bad Request", b'{"__type":"ThrottlingException","message":"Rate exceeded"}'),
    "an HTML 500 every time": lambda n: reply("500 Internal Server Error", b"<html>x</html>",
                                              b"Content-Type: text/html\r\n"),
    "an empty 429 every time": lambda n: reply("429 Too Many Requests", b"", b""),
    "a 503 then a 400": lambda n: reply(
        "503 Service Unavailable", b'{"__type":"ServerException"}') if n == 1 else reply(
        "400 Bad Request", b'{"__type":"RepositoryNotFoundException","message":"no"}'),
    # botocore names the request's URL, "/" and all, when the connection fails
    "no HTTP at all": lambda n: (b"garbage\r\n\r\n", True),
    "closed at once": lambda n: (b"", True),
    # botocore keeps an empty __type as the code
    "an empty __type": lambda n: reply("400 Bad Request", b'{"__type":"","message":"m"}'),
    # botocore reads ISO 8601 timestamps too, and drops null members
    "a timestamp as text": lambda n: reply("200 OK", json.dumps({"repositories": [
        {"repositoryName": "x", "createdAt": "2024-01-01T00:00:00Z", "registryId": None}
    ]}).encode()),
    # the same as botocore already, kept so
    "chunked": lambda n: (b"HTTP/1.1 200 OK\r\n" + JSON + b"Transfer-Encoding: chunked\r\n\r\n"
                          + f"{len(EMPTY):x}\r\n".encode() + EMPTY + b"\r\n0\r\n\r\n", False),
    "HTTP/1.0 without a length": lambda n: (b"HTTP/1.0 200 OK\r\n" + JSON + b"\r\n" + EMPTY,
                                            True),
    "100-continue first": lambda n: (b"HTTP/1.1 100 Continue\r\n\r\n"
                                     + reply("200 OK", EMPTY)[0], False),
    "a redirect": lambda n: reply("301 Moved Permanently", b"",
                                  b"Location: http://127.0.0.1:1/\r\n"),
    "gzip": lambda n: reply("200 OK", __import__("gzip").compress(EMPTY),
                            JSON + b"Content-Encoding: gzip\r\n"),
}


@pytest.mark.parametrize("name", CASES)
def test_the_same_as_botocore(name, server, monkeypatch, no_sleep):
    theirs, ours = _both(server(CASES[name]), monkeypatch)
    assert ours == theirs


def test_a_session_token_beyond_latin_1_is_sent_as_botocore_sends_it(server, monkeypatch):
    theirs, ours = _both(server(lambda n: reply("200 OK", EMPTY)), monkeypatch,
                         token="t\u00f6k\u20ac")
    assert ours == theirs == ({"repositories": []}, 1)


@pytest.mark.parametrize("ca", ["missing.pem", "garbage.pem", "."])
def test_a_ca_bundle_botocore_cannot_load_fails_as_botocore_fails(ca, tmp_path, server,
                                                                   monkeypatch, no_sleep):
    (tmp_path / "garbage.pem").write_text("no certificate\n")
    chosen = str(tmp_path / ca)
    raw = server(lambda n: reply("200 OK", EMPTY))
    theirs, ours = _both(raw, monkeypatch, ca=chosen, url=raw.url.replace("http:", "https:"))
    assert ours[0] == theirs[0] and "SSL validation failed" in ours[0]


# --- where botocore itself fails badly ---------------------------------------------------

@pytest.mark.parametrize("variable, key, secret, token", [
    ("AWS_SESSION_TOKEN", "AKID", "SeCrEt", "SeCrEt-ToKeN\n"),
    ("AWS_SESSION_TOKEN", "AKID", "SeCrEt", "SeCrEt\r\nX-Other: 1"),
    ("AWS_SESSION_TOKEN", "AKID", "SeCrEt", "SeCrEt-\udcff"),  # os.environ's undecodable byte
    ("AWS_SECRET_ACCESS_KEY", "AKID", "SeCrEt-\udcff", None),
    ("AWS_ACCESS_KEY_ID", "AKID\n", "SeCrEt", None),
])
def test_keys_no_request_can_carry_are_named_never_shown(variable, key, secret, token, server):
    raw = server(lambda n: reply("200 OK", EMPTY))
    client = EcrJsonClient(StaticEnvironment(REGION, raw.url, Credentials(key, secret, token)))
    with pytest.raises(aws.AwsSetupError) as caught:
        client.describe_repositories()
    said = aws.explain(caught.value, "list") + repr(caught.value) + str(caught.value)
    assert variable in said and "SeCrEt" not in said and raw.requests == 0


@pytest.mark.parametrize("body", [
    b'{"repositories":[{"repositoryName":"x","createdAt":1e300}]}',
    b'{"repositories":[{"repositoryName":"x","createdAt":"yesterday"}]}',
    b'{"repositories":[{"repositoryName":"x","createdAt":true}]}',
    b'{"repositories":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
])
def test_an_answer_botocore_cannot_read_is_no_aws_response_not_a_traceback(body, server):
    raw = server(lambda n: reply("200 OK", body))
    with pytest.raises(aws.NotAwsResponse):
        _ours(raw.url).describe_repositories()


def test_a_server_failing_every_call_drains_the_retry_quota_as_in_botocore(server, monkeypatch):
    """botocore's quota: 500, 14 a retry: after 35 retries the client stops retrying."""
    raw = server(lambda n: reply("503 Service Unavailable", b'{"__type":"ServerException"}'))
    client = _ours(raw.url)
    for _ in range(4):  # 40 retries wanted, 35 granted
        with pytest.raises(exceptions.ClientError):
            client.describe_repositories()
    assert raw.requests == 4 + ecr_json.RETRY_QUOTA // ecr_json.RETRY_COST
    raw.requests = 0
    with pytest.raises(exceptions.ClientError):
        client.describe_repositories()
    assert raw.requests == 1  # no quota left: no retry
    monkeypatch.setattr("botocore.endpoint.time.sleep", lambda _: None)
    theirs = _botocore(raw.url, monkeypatch)
    raw.requests = 0
    for _ in range(5):
        with pytest.raises(exceptions.ClientError):
            theirs.describe_repositories()
    assert raw.requests == 4 + 35 + 1


def test_headers_trickling_in_are_cut_off_at_the_deadline(monkeypatch):
    """Each read is quick, so no read timeout fires: the answer's deadline covers the
    status line and the headers too, not just the body (botocore has no such bound)."""
    monkeypatch.setattr("ecr.aws.transport.BODY_DEADLINE", 0.5)
    monkeypatch.setattr(ecr_json, "MAX_ATTEMPTS", 1)
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))

    def trickle() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            until = time.monotonic() + 5
            while not stop.wait(0.05) and time.monotonic() < until:  # a byte every 50 ms
                try:
                    conn.sendall(b"a")
                except OSError:
                    return

    threading.Thread(target=trickle, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(exceptions.ReadTimeoutError):
            _ours(f"http://127.0.0.1:{listener.getsockname()[1]}").describe_repositories()
        assert time.monotonic() - started < 3
    finally:
        stop.set()
        listener.close()


def test_an_informational_answer_never_leaves_its_real_answer_for_the_next_call(server):
    """A 103 then the 200: botocore reads the 103 as an empty answer and leaves the 200 on
    the kept-alive connection; here the connection is dropped and the call tried again."""
    def script(n: int) -> tuple[bytes, bool]:
        answer = reply("200 OK", json.dumps({"repositories": [], "nextToken": str(n)}).encode())
        return (b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + answer[0], False) \
            if n == 1 else answer

    client = _ours(server(script).url)
    assert [client.describe_repositories()["nextToken"] for _ in range(3)] == ["2", "3", "4"]


def test_a_broken_ca_bundle_and_an_unreachable_endpoint_read_as_in_botocore(
        tmp_path, monkeypatch, no_sleep):
    """urllib3 loads the bundle once connected: the refused connection is what it says."""
    url = f"https://127.0.0.1:{free_port()}"
    said = []
    for client in (_botocore(url, monkeypatch, ca=str(tmp_path / "missing.pem")),
                   _ours(url, ca=str(tmp_path / "missing.pem"))):
        said.append(_outcome(client.describe_repositories))
    assert said[1] == said[0] and "Could not connect" in said[1]
