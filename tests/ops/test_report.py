"""``ecr.report.format_table``: the alignment every command's table relies on."""

from __future__ import annotations

from ecr.report import format_table


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
