"""Loopback helpers shared by the tests and the benchmarks (no pytest import)."""

from __future__ import annotations

import socket
import socketserver
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Self


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serving(server: socketserver.BaseServer) -> Iterator[None]:
    """``server`` answers on a daemon thread for the ``with`` block, then is shut down and its
    socket closed.  The loop polls for the shutdown every 10 ms, not socketserver's 0.5 s,
    which every test that starts a server of its own would otherwise spend tearing it down."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class Served:
    """A test server as a context manager: ``with`` serves ``self.server`` (made in
    ``__init__``) with :func:`serving`."""

    server: socketserver.TCPServer
    _stack: ExitStack

    def __enter__(self) -> Self:
        self._stack = ExitStack()
        self._stack.enter_context(serving(self.server))
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def wait_for_http(url: str, timeout: float = 20.0) -> None:
    """Wait until ``url`` answers at all (an HTTP error status counts as an answer)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answered (401 on an authenticated registry)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@contextmanager
def moto_server_process(
    moto_server: Path, port: int, log: Path, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """A ``moto_server`` process on 127.0.0.1:``port`` logging to ``log``, yielded once it
    answers and stopped on the way out (the benchmarks count its request log and CPU).
    ``env``: its environment (default: this process's)."""
    with log.open("w") as sink:
        server = subprocess.Popen(
            [str(moto_server), "-H", "127.0.0.1", "-p", str(port)],
            stdout=sink, stderr=subprocess.STDOUT, env=env,
        )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/moto-api/")
        yield server
    finally:
        server.terminate()
        server.wait(timeout=10)
