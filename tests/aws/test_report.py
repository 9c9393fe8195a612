"""``ecr.cli.output``: the table alignment every command relies on, and the progress bar."""

from __future__ import annotations

import io
import sys

import pytest

from ecr.cli import output
from ecr.cli.output import format_table


def test_column_of_only_dashes_is_left_aligned_under_its_header() -> None:
    # `images` shows "-" in CACHE IMAGE / NOTE for every cached image: it used to be
    # right-aligned, far from its header.
    table = format_table(["STATUS", "NOTE"], [["cached", "-"], ["cached", None]])
    lines = table.splitlines()
    assert lines[0].index("NOTE") == lines[2].index("-") == lines[3].index("-")


def test_numbers_right_aligned_and_dashes_do_not_break_it() -> None:
    table = format_table(["NAME", "SIZE"], [["a", 5], ["b", 12345], ["c", "-"]])
    rows = table.splitlines()[2:]
    assert rows[0].endswith("    5") and rows[1].endswith("12345") and rows[2].endswith("    -")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_pending_progress_draws_from_start_and_clears_on_exit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with output.PendingProgress("describing images") as progress:
        assert terminal.getvalue() == ""  # nothing is drawn before the total is known
        progress.start(2)
        progress.advance()
        progress.advance()
        assert "describing images [" in terminal.getvalue()
        assert " 2/2" in terminal.getvalue()
    assert terminal.getvalue().endswith("\r")  # the bar's line is cleared


def test_pending_progress_never_started_writes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with output.PendingProgress("lifecycle"):
        pass  # the listing failed before the total was known
    assert terminal.getvalue() == ""
