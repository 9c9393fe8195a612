"""A structural check of CloudWatch dashboard bodies, shared by the pure and the Pulumi tests.

It encodes the PutDashboard body rules we rely on (CloudWatch API reference, "Dashboard Body
Structure and Syntax" and "Metric Widget Structure"): a ``widgets`` array; each widget has a
type, a position on the 24-column grid and properties; a metric widget's ``metrics`` is an array
of arrays, each either ``[namespace, metric, dimension, value, ..., {options}]`` or
``[{"expression": ..., "id": ...}]``.
"""

from __future__ import annotations

import json
import re
from typing import Any

TOP_LEVEL_KEYS = {"widgets", "start", "end", "periodOverride"}
WIDGET_KEYS = {"type", "x", "y", "width", "height", "properties"}
VIEWS = {"timeSeries", "singleValue", "bar", "pie", "gauge", "table"}
SEARCH = re.compile(r"^SEARCH\('(?P<query>.*)', '(?P<stat>[A-Za-z0-9.]+)', (?P<period>\d+)\)$")
EXPRESSION_ID = re.compile(r"^[a-z][A-Za-z0-9_]*$")


def check_search_quoting(query: str) -> None:
    """No bare single quote; double quotes paired; \\ only before " \\ ( )."""
    assert "'" not in query, query
    inside = False
    i = 0
    while i < len(query):
        char = query[i]
        if char == "\\":
            assert inside, f"backslash outside an exact term: {query}"
            assert i + 1 < len(query) and query[i + 1] in '"\\()', query
            i += 2
            continue
        if char == '"':
            inside = not inside
        i += 1
    assert not inside, f"unterminated exact term: {query}"


def check_metric_row(row: list[Any], region: str) -> None:
    assert isinstance(row, list) and row, row
    if isinstance(row[0], dict):
        assert len(row) == 1, row
        options = row[0]
        assert EXPRESSION_ID.match(options["id"]), options
        match = SEARCH.match(options["expression"])
        assert match, options["expression"]
        check_search_quoting(match["query"])
        assert len(match["query"]) <= 1024
        assert int(match["period"]) % 60 == 0
        assert options.get("region", region) == region
        return
    *names, last = row
    if isinstance(last, dict):
        assert set(last) <= {"label", "stat", "period", "id", "visible", "color", "yAxis"}
    else:
        names.append(last)
    assert all(isinstance(n, str) and n for n in names), row
    namespace, metric, *dimensions = names
    assert namespace and metric
    assert len(dimensions) % 2 == 0, f"dimension name without a value: {row}"


def check_dashboard(body: dict[str, Any], region: str) -> list[dict[str, Any]]:
    """Assert ``body`` is a valid metric dashboard for ``region``; return its widgets."""
    json.loads(json.dumps(body))  # JSON-serialisable, no NaN
    assert set(body) <= TOP_LEVEL_KEYS, set(body) - TOP_LEVEL_KEYS
    widgets = body["widgets"]
    assert isinstance(widgets, list) and len(widgets) <= 500
    cells: set[tuple[int, int]] = set()
    for widget in widgets:
        assert set(widget) == WIDGET_KEYS, widget.keys()
        assert widget["type"] == "metric"
        x, y, width, height = (widget[k] for k in ("x", "y", "width", "height"))
        assert all(isinstance(v, int) and not isinstance(v, bool) for v in (x, y, width, height))
        assert 0 <= x <= 23 and y >= 0 and 1 <= width <= 24 and 1 <= height <= 1000
        assert x + width <= 24, "widget runs off the 24-column grid"
        mine = {(col, row) for col in range(x, x + width) for row in range(y, y + height)}
        assert not cells & mine, "widgets overlap"
        cells |= mine
        props = widget["properties"]
        assert props["region"] == region
        assert props["view"] in VIEWS
        assert props["stat"] == "Sum"
        assert isinstance(props["period"], int) and props["period"] % 60 == 0
        assert isinstance(props["title"], str) and props["title"]
        assert 1 <= len(props["metrics"]) <= 500
        for row in props["metrics"]:
            check_metric_row(row, region)
    return list(widgets)


def search_expressions(widget: dict[str, Any]) -> list[str]:
    return [
        row[0]["expression"]
        for row in widget["properties"]["metrics"]
        if isinstance(row[0], dict)
    ]
