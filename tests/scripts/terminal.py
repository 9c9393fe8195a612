"""Drive a program through a real pseudo-terminal (no pexpect needed).

The program's stdin, stdout and stderr are the pty's slave side, so ``[ -t 0 ]`` is true and
``read -s`` really turns echo off: whatever the terminal shows is in ``transcript``.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import time
from types import TracebackType


class Terminal:
    def __init__(self, argv: list[str], env: dict[str, str], timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self._seen = b""
        self._pos = 0  # expect() searches after the previous match

    @property
    def transcript(self) -> str:
        return self._seen.decode(errors="replace")

    def _read(self, deadline: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: the program closed the terminal
            return False
        if not chunk:
            return False
        self._seen += chunk
        return True

    def expect(self, text: str) -> None:
        wanted = text.encode()
        deadline = time.monotonic() + self.timeout
        while True:
            found = self._seen.find(wanted, self._pos)
            if found >= 0:
                self._pos = found + len(wanted)
                return
            if time.monotonic() > deadline or (
                not self._read(deadline) and self.proc.poll() is not None
            ):
                raise AssertionError(f"never saw {text!r}; terminal so far:\n{self.transcript}")

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def wait(self) -> int:
        deadline = time.monotonic() + self.timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(min(deadline, time.monotonic() + 0.2))
        while self._read(time.monotonic() + 0.1):  # drain what is left
            pass
        return self.proc.wait(timeout=5)

    def __enter__(self) -> Terminal:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        os.close(self.master)
