"""Output for people and machines: aligned tables, JSON, and a progress bar.

Reports print a table on stdout for people and, with ``--output json``, JSON for
machines.  Progress goes to stderr and only when stderr is a terminal, so piping
stdout into ``jq`` or a file never mixes the two.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import json
import os
import signal
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TextIO


def add_output_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--output",
        "-o",
        choices=("table", "json"),
        default="table",
        help="table for people (default) or json for machines",
    )


def format_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Left-aligned text columns; numbers right-aligned."""
    text_rows = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in text_rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    # A column is numeric when every filled cell is a number; "-" (no value) does not
    # count either way, and a column of only "-" is text (left-aligned under its header).
    numeric = []
    for i in range(len(headers)):
        filled = [row[i] for row in text_rows if row[i] != "-"]
        numeric.append(bool(filled) and all(_is_number(cell) for cell in filled))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(row) for row in text_rows)
    return "\n".join(out)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def print_json(data: Any, stream: TextIO | None = None) -> None:
    # One write: json.dump would write each of the encoder's thousands of chunks.
    text = json.dumps(data, indent=2, sort_keys=False, default=str)
    (stream or sys.stdout).write(text + "\n")


def human_bytes(size: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(size) < 1024 or unit == "TiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


class Progress:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 0)
        self.label = label
        self.done = 0
        self.stream = stream or sys.stderr
        self.enabled = self.total > 0 and self.stream.isatty()
        self._last = 0.0

    def advance(self, step: int = 1) -> None:
        self.done += step
        now = time.monotonic()
        if self.enabled and (now - self._last > 0.1 or self.done >= self.total):
            self._last = now
            width = 30
            filled = int(width * self.done / self.total) if self.total else width
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (len(self.label) + 50) + "\r")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PendingProgress:
    """A :class:`Progress` whose total is known only once the work has been listed.

    Hand ``start`` and ``advance`` to the worker as its ``on_total`` / ``on_done``
    callbacks; the bar is drawn from ``start`` on and cleared on exit.
    """

    def __init__(self, label: str) -> None:
        self.label = label
        self.bar: Progress | None = None

    def start(self, total: int) -> None:
        self.bar = Progress(total, self.label)

    def advance(self) -> None:
        assert self.bar is not None, "advance() before start()"
        self.bar.advance()

    def __enter__(self) -> PendingProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


# -- stdout that may be closed or a broken pipe ----------------------------------------
#
# ``ecr status >&-`` starts Python with ``sys.stdout = None``: ``print`` then drops every
# line without a word and ``sys.stdout.write`` raises AttributeError; ``ecr ... | head``
# gets EPIPE at some later write or at exit.  Like coreutils, a command whose output
# cannot be written fails: one line on stderr (``ecr: write error: Bad file
# descriptor``), exit 1; a reader that went away (EPIPE) ends the command quietly with
# the status a shell shows for a command killed by SIGPIPE.

EPIPE_STATUS = 128 + signal.SIGPIPE


class OutputError(Exception):
    """Standard output cannot be written (closed, a broken pipe, a full disk).  Not an
    OSError, so a command's own file-error handling never swallows it."""

    def __init__(self, error: OSError) -> None:
        self.errno = error.errno
        self.strerror = error.strerror or str(error)
        super().__init__(f"write error: {self.strerror}")


class _GuardedStdout(io.TextIOBase):
    """``sys.stdout`` for the length of a command: every failed write or flush (or any
    write at all when stdout was closed) raises :class:`OutputError`."""

    def __init__(self, inner: TextIO | None) -> None:
        super().__init__()
        self.inner = inner

    def _failed(self, error: OSError | None = None) -> OutputError:
        return OutputError(error or OSError(errno.EBADF, os.strerror(errno.EBADF)))

    def write(self, text: str) -> int:
        if self.inner is None:
            raise self._failed()
        try:
            return self.inner.write(text)
        except OSError as exc:
            raise self._failed(exc) from exc

    def flush(self) -> None:
        if self.inner is None:
            return
        try:
            self.inner.flush()
        except OSError as exc:
            raise self._failed(exc) from exc

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return self.inner is not None and self.inner.isatty()

    def fileno(self) -> int:
        if self.inner is None:
            raise io.UnsupportedOperation("standard output is closed")
        return self.inner.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.inner, "encoding", None) or "utf-8"

    def close(self) -> None:  # never closes the real stream; nothing of ours to flush
        pass


def _hold_closed_fd() -> None:
    """With file descriptor 1 closed, the next file opened would get it, and a child
    process would write into that file as its stdout: hold it with /dev/null opened
    read-only, so writes to it still fail (EBADF) as on a closed descriptor."""
    try:
        os.fstat(1)
    except OSError:
        fd = os.open(os.devnull, os.O_RDONLY)
        if fd != 1:
            os.close(fd)


@contextlib.contextmanager
def guarded_stdout() -> Iterator[_GuardedStdout]:
    """Run a command with :class:`_GuardedStdout` as ``sys.stdout`` (restored after)."""
    original = sys.stdout
    if original is None:
        _hold_closed_fd()
    guard = _GuardedStdout(original)
    sys.stdout = guard
    try:
        yield guard
    finally:
        sys.stdout = original


def report_output_error(error: OutputError) -> int:
    """The exit status for a failed write to stdout, after saying so on stderr (quietly
    for EPIPE: the reader went away, as ``| head`` does)."""
    if error.errno == errno.EPIPE:
        _silence_stdout()
        return int(EPIPE_STATUS)
    with contextlib.suppress(OSError, AttributeError, ValueError):
        sys.stderr.write(f"ecr: {error}\n")
        sys.stderr.flush()
    return 1


def _silence_stdout() -> None:
    """Point fd 1 at /dev/null so the interpreter's flush at exit does not fail again."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
