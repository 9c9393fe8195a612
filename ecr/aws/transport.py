"""One kept-alive HTTP(S) connection per thread to one endpoint, failing as botocore fails.

:class:`Transport` POSTs a body and returns the :class:`Answer`; what goes wrong on the
way is one of botocore's own exceptions (``EndpointConnectionError`` for a connection
that cannot be made, ``ConnectTimeoutError``, ``ReadTimeoutError``,
``ConnectionClosedError``, ``SSLError`` for a certificate not trusted), wrapped in
:class:`Retryable` where another attempt may help, so :mod:`ecr.aws` explains them like
any other.  TLS trusts what botocore trusts: ``AWS_CA_BUNDLE``/``REQUESTS_CA_BUNDLE`` (carried by
the static environment; a file, as for botocore), else certifi's bundle, else
botocore's.  Each read has :data:`READ_TIMEOUT`, the whole answer (status line and
headers too: a server trickling them is cut off as well) :data:`BODY_DEADLINE`, and a
body beyond :data:`MAX_BODY` is refused.
"""

from __future__ import annotations

import http.client
import io
import math
import ssl  # http.client imports it anyway
import threading
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from botocore import exceptions

CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0  # each read
BODY_DEADLINE = 120.0  # the whole of one answer: a server trickling bytes is cut off
MAX_BODY = 64 * 1024 * 1024  # a DescribeImages page of 1,000 images is about 1 MB


class Answer:
    """One HTTP answer: status, lower-case headers, body (at most :data:`MAX_BODY` + 1)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def too_big(self) -> bool:
        return len(self.body) > MAX_BODY


class Retryable(Exception):
    """An attempt that failed in a way worth another: ``error`` if it was the last;
    ``connect``: no connection could be made; ``throttled``: the service said slow down."""

    def __init__(self, error: Exception, connect: bool = False, throttled: bool = False) -> None:
        super().__init__(str(error))
        self.error, self.connect, self.throttled = error, connect, throttled


def read_body(response: http.client.HTTPResponse) -> bytes:
    """The body, read as it arrives until :data:`MAX_BODY` + 1 bytes (the answer's
    deadline is the socket's: :class:`_Deadlined`)."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY and response.length != 0:
        chunk = response.read1(min(65536, MAX_BODY + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size <= MAX_BODY:
        response.read()  # b"": marks the answer done, so the connection can carry the next
    return b"".join(chunks)


class _Deadlined:
    """A connected socket whose reads for one answer share a deadline: http.client reads
    the status line, the headers and the body through :meth:`makefile`, each read with at
    most :data:`READ_TIMEOUT` and none past :attr:`deadline`."""

    def __init__(self, sock: Any) -> None:
        self.sock, self.deadline = sock, math.inf

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)

    def makefile(self, *_: Any, **__: Any) -> io.BufferedReader:
        # as socket.makefile: the socket stays open until this reader is closed too (an
        # answer read to the end of the connection outlives http.client's close())
        self.sock._io_refs += 1
        return io.BufferedReader(_DeadlineReader(self))


class _DeadlineReader(io.RawIOBase):
    def __init__(self, owner: _Deadlined) -> None:
        self.owner = owner

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        if not self.closed:
            super().close()
            self.owner.sock._decref_socketios()

    def readinto(self, buffer: Any) -> int:
        left = self.owner.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"the answer took more than {BODY_DEADLINE:.0f} s to arrive")
        self.owner.sock.settimeout(min(READ_TIMEOUT, left))
        return int(self.owner.sock.recv_into(buffer))


class Transport:
    """POSTs to one endpoint over one kept-alive connection per thread (thread-safe)."""

    def __init__(self, endpoint: str, ca: str | None = None) -> None:
        parts = urlsplit(endpoint)
        self.endpoint = endpoint
        # the URL botocore's errors name: the request's, "/" and a lower-case scheme
        self.url = urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
        self._https = parts.scheme == "https"
        self._connect_host = parts.hostname or ""
        self._port = parts.port
        self._ca = ca
        self._local = threading.local()
        self._context: Any = None
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: dict[str, str]) -> Answer:
        """POST ``body`` to ``/``; a kept-alive connection the server closed meanwhile is
        redialled once.  Header values go as UTF-8, as botocore sends them.  An
        informational answer (103 ...) drops the connection: the real answer behind it
        would otherwise be read as the next request's."""
        url = self.url
        encoded = {name: value.encode("utf-8") for name, value in headers.items()}
        for first in (True, False):
            conn = self._connection()
            reused = conn.sock is not None
            if not reused:
                self._connect(conn)
            # a _Deadlined: every read of this answer, status line to body, ends by then
            conn.sock.deadline = time.monotonic() + BODY_DEADLINE  # type: ignore[union-attr]
            try:
                conn.request("POST", "/", body, encoded)
                response = conn.getresponse()
                if response.status < 200:  # 1xx but 100 (http.client skips that one)
                    raise http.client.HTTPException(f"an informational {response.status} "
                                                    "where the answer should be")
                data = read_body(response)
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self._drop()
                if reused and first:
                    continue  # the server closed an idle connection: once more, new
                raise Retryable(exceptions.ConnectionClosedError(endpoint_url=url)) from exc
            except TimeoutError as exc:
                self._drop()
                raise Retryable(exceptions.ReadTimeoutError(endpoint_url=url, error=exc)) from exc
            except (OSError, http.client.HTTPException) as exc:
                self._drop()
                raise Retryable(exceptions.ConnectionClosedError(endpoint_url=url)) from exc
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                            data)
            if response.will_close or answer.too_big:
                self._drop()
            return answer
        raise AssertionError("unreachable")  # pragma: no cover

    def _connection(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._https:
                conn = http.client.HTTPSConnection(self._connect_host, self._port,
                                                   timeout=CONNECT_TIMEOUT,
                                                   context=self._ssl_context())
            else:
                conn = http.client.HTTPConnection(self._connect_host, self._port,
                                                  timeout=CONNECT_TIMEOUT)
            self._local.conn = conn
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def _connect(self, conn: http.client.HTTPConnection) -> None:
        """Open ``conn`` (TCP, and TLS for https) within :data:`CONNECT_TIMEOUT`."""
        url = self.url
        try:
            conn.connect()
        except _TrustError as exc:  # a CA bundle that cannot be loaded
            self._drop()
            raise exceptions.SSLError(endpoint_url=url, error=exc.error) from None
        except ssl.SSLError as exc:  # a certificate not trusted: not worth another try
            self._drop()
            raise exceptions.SSLError(endpoint_url=url, error=exc) from None
        except TimeoutError as exc:
            self._drop()
            raise Retryable(exceptions.ConnectTimeoutError(endpoint_url=url, error=exc),
                         connect=True) from exc
        except OSError as exc:  # refused, unreachable, a name that does not resolve
            self._drop()
            raise Retryable(exceptions.EndpointConnectionError(endpoint_url=url, error=exc),
                         connect=True) from exc
        conn.sock.settimeout(READ_TIMEOUT)
        conn.sock = _Deadlined(conn.sock)

    def _ssl_context(self) -> Any:
        """botocore's trust store: ``AWS_CA_BUNDLE`` (a file of certificates: botocore
        refuses a directory too), else certifi's bundle when installed, else botocore's
        own.  A bundle that cannot be loaded is botocore's ``SSLError``, as it says it."""
        with self._lock:
            if self._context is None:
                try:
                    self._context = ssl.create_default_context(cafile=self._ca or ca_bundle())
                except OSError as exc:  # missing, a directory, no certificate in it
                    return _Untrusted(exc)  # fails after the TCP connection, as urllib3's
            return self._context


class _TrustError(Exception):
    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class _Untrusted:
    """The TLS context of a CA bundle that could not be loaded: it fails where the TLS
    handshake would begin, once the TCP connection is made, where urllib3 loads the
    bundle (an endpoint that cannot be reached says so first, as through botocore)."""

    verify_mode = ssl.CERT_REQUIRED
    check_hostname = True
    post_handshake_auth = None

    def __init__(self, error: OSError) -> None:
        self.error = error

    def wrap_socket(self, *_: Any, **__: Any) -> Any:
        raise _TrustError(self.error)


def ca_bundle() -> str:
    """The CA bundle botocore verifies against by default (botocore.httpsession.where)."""
    try:
        import certifi

        return str(certifi.where())
    except ImportError:
        import importlib.util
        from pathlib import Path

        spec = importlib.util.find_spec("botocore")
        assert spec is not None and spec.origin is not None
        return str(Path(spec.origin).parent / "cacert.pem")
