"""A scripted registry on 127.0.0.1 that records every request's headers, for what a real
registry cannot be told to do: redirect https to http on its own port, name a token realm
over plain http, send a malformed challenge.

One port speaks TLS and plain HTTP alike (the first byte of a connection says which: a
TLS handshake starts with 0x16), so ``https://127.0.0.1:P/x`` can redirect to
``http://127.0.0.1:P/y`` -- the same host and port, in clear text.  The certificate is
self-signed for 127.0.0.1 (``cryptography``); point ``SSL_CERT_FILE`` at ``cert`` to
trust it (servers made in one folder share it).
"""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.netutil import serving
from tests.tls import self_signed

Reply = tuple[int, dict[str, str], bytes]


@dataclass(frozen=True)
class Seen:
    scheme: str  # "https" or "http"
    path: str
    headers: dict[str, str]

    @property
    def authorization(self) -> str | None:
        return self.headers.get("Authorization")


@dataclass
class Script:
    """``route(seen) -> reply``: the answer to each request, given what it carried."""

    route: Callable[[Seen], Reply]
    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _DualServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls: ssl.SSLContext, handler: type[BaseHTTPRequestHandler]) -> None:
        self.tls = tls
        super().__init__(("127.0.0.1", 0), handler)

    def get_request(self) -> tuple[Any, Any]:
        sock, address = super().get_request()
        sock.settimeout(5)
        try:
            first = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            first = b""
        if first == b"\x16":  # a TLS ClientHello
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, address

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that refuse our certificate or hang up are not test failures


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            scheme = "https" if isinstance(self.connection, ssl.SSLSocket) else "http"
            seen = Seen(scheme, self.path, dict(self.headers.items()))
            with script.lock:
                script.seen.append(seen)
            status, headers, body = script.route(seen)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@dataclass
class Scripted:
    port: int
    script: Script
    cert: Path

    def url(self, scheme: str = "https") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def seen(self) -> list[Seen]:
        with self.script.lock:
            return list(self.script.seen)


@contextmanager
def scripted_registry(
    folder: Path, route: Callable[[Seen], Reply]
) -> Iterator[Scripted]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    if not cert.exists():  # servers made in one folder share a certificate
        cert, key = self_signed(folder)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    script = Script(route)
    server = _DualServer(context, _handler(script))
    with serving(server):
        yield Scripted(server.server_address[1], script, cert)
