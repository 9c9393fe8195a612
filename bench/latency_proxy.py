"""A loopback proxy that puts a network between a client and a local AWS endpoint.

    with LatencyProxy("127.0.0.1", moto_port, rtt=0.030) as proxy:
        ... AWS_ENDPOINT_URL=proxy.url ...

Users of ``status`` are not next to the endpoint: every new connection costs a round trip
(TCP's handshake; TLS adds more, so this is the least) and every request another (the
request travels, the answer comes back).  The proxy adds exactly that: ``connect_rtt``
once when a client connects, then ``rtt`` to each request (half before it is passed on,
half before its answer is returned).  With ``rtt=0`` it adds nothing but a hop.

ECR keeps connections alive; moto_server does not (werkzeug answers every request with
``Connection: close``).  So the proxy speaks just enough HTTP/1.1 to keep the client's
connection alive as ECR would: it reads one request (head and ``Content-Length`` body),
sends it to the endpoint on a new loopback connection (free next to a network's round
trip), reads the answer to its end and returns it with ``Connection: keep-alive`` and its
length.  A client that reuses its connections (a kept-alive pool) then pays the
connection's round trip once per connection, one that does not pays it per request, as
against ECR.  Run alone (``python bench/latency_proxy.py TARGET_PORT --rtt-ms 30``) it
serves until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from types import TracebackType

HEAD_END = b"\r\n\r\n"
HOP_HEADERS = (b"connection", b"keep-alive", b"content-length", b"transfer-encoding")


class Closed(Exception):
    """The peer closed the connection before a whole message arrived."""


def _read_head(sock: socket.socket, buffer: bytearray) -> bytes:
    while HEAD_END not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise Closed
        buffer += chunk
    end = buffer.index(HEAD_END) + len(HEAD_END)
    head = bytes(buffer[:end])
    del buffer[:end]
    return head


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


def _read_exactly(sock: socket.socket, buffer: bytearray, length: int) -> bytes:
    while len(buffer) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise Closed
        buffer += chunk
    body = bytes(buffer[:length])
    del buffer[:length]
    return body


def _read_to_close(sock: socket.socket, buffer: bytearray) -> bytes:
    while chunk := sock.recv(65536):
        buffer += chunk
    body = bytes(buffer)
    buffer.clear()
    return body


def _kept_alive(head: bytes, length: int) -> bytes:
    """The answer's head without its hop-by-hop headers, kept alive, with its length."""
    lines = [line for line in head[: -len(HEAD_END)].split(b"\r\n")
             if line.partition(b":")[0].strip().lower() not in HOP_HEADERS]
    lines += [b"Connection: keep-alive", b"Content-Length: " + str(length).encode()]
    return b"\r\n".join(lines) + HEAD_END


class LatencyProxy:
    """Listens on 127.0.0.1 (``url``) and passes HTTP/1.1 requests to ``host:port``."""

    def __init__(self, host: str, port: int, rtt: float = 0.0,
                 connect_rtt: float | None = None) -> None:
        self.target = (host, port)
        self.rtt = rtt
        self.connect_rtt = rtt if connect_rtt is None else connect_rtt
        self.connections = 0
        self.requests = 0
        self._count = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=256)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stopped = threading.Event()
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> LatencyProxy:
        self._accepting.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._stopped.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with self._count:
            self.connections += 1
        time.sleep(self.connect_rtt)  # the handshake
        buffer = bytearray()
        with client, contextlib.suppress(Closed, OSError):
            while True:
                head = _read_head(client, buffer)
                request = head + _read_exactly(client, buffer, _content_length(head) or 0)
                with self._count:
                    self.requests += 1
                time.sleep(self.rtt / 2)  # the request travels
                answer = self._forward(request)
                time.sleep(self.rtt / 2)  # the answer travels back
                client.sendall(answer)

    def _forward(self, request: bytes) -> bytes:
        with socket.create_connection(self.target) as upstream:
            upstream.sendall(request)
            buffer = bytearray()
            head = _read_head(upstream, buffer)
            length = _content_length(head)
            body = (_read_to_close(upstream, buffer) if length is None
                    else _read_exactly(upstream, buffer, length))
        return _kept_alive(head, len(body)) + body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", type=int, help="the endpoint's port on 127.0.0.1")
    parser.add_argument("--rtt-ms", type=float, default=30.0)
    args = parser.parse_args()
    with LatencyProxy("127.0.0.1", args.port, args.rtt_ms / 1000) as proxy:
        print(f"{proxy.url} -> 127.0.0.1:{args.port}, {args.rtt_ms} ms a round trip",
              flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
