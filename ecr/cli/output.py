"""Output for people and machines: aligned tables, JSON, and a progress bar.

Reports print a table on stdout for people and, with ``--output json``, JSON for
machines.  Progress goes to stderr and only when stderr is a terminal, so piping
stdout into ``jq`` or a file never mixes the two.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterable, Sequence
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
