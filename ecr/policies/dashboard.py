"""The CloudWatch dashboard body: pull counts per cache prefix and for the custom repositories.

Pure: builds the JSON document that ``aws.cloudwatch.Dashboard`` (PutDashboard) takes; the Pulumi
component in ``ecr/stack/cost.py`` only passes it on.

Why SEARCH expressions: ECR creates a cached repository on the first pull of a new image, long
after ``pulumi up``.  A widget listing fixed metrics would miss those repositories; a SEARCH
expression is evaluated each time the dashboard is viewed, so new ones appear on their own.

How CloudWatch SEARCH matches (AWS CloudWatch user guide, "search expression syntax"):

* names are split into lowercase *tokens* at non-alphanumeric characters, camel case and digits;
  an unquoted term matches tokens, so ``RepositoryName=docker-hub`` finds every repository whose
  name holds the consecutive tokens ``docker`` ``hub`` (``docker-hub/library/nginx``).  It is not
  anchored at the start: a repository named ``tools/docker-hub-sync`` would match too.
* a double-quoted term matches the whole value exactly; inside it ``" \\ ( )`` need a backslash.
* the metric schema and search term sit together inside single quotes, so a single quote cannot
  appear in a term at all; a query is at most 1024 characters.
* a search only finds metrics that reported data in the last two weeks, and ECR publishes
  ``RepositoryPullCount`` only for repositories that were pulled: an idle cache shows no lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

NAMESPACE = "AWS/ECR"
PULL_COUNT_METRIC = "RepositoryPullCount"
REPOSITORY_DIMENSION = "RepositoryName"

# One point per day: pulls are bursty (deploys, node scale-ups) and a daily sum reads well over
# the default three-month view.
DEFAULT_PERIOD_SECONDS = 86400
DEFAULT_START = "-P90D"

# PutDashboard and SEARCH limits (CloudWatch API reference and user guide).
MAX_WIDGETS = 500
MAX_BODY_BYTES = 1_000_000
MAX_SEARCH_CHARS = 1024
# A graph may use 500 metrics; we split the custom repositories much earlier so that each
# graph stays readable and well inside the limit.
METRICS_PER_WIDGET = 100
DASHBOARD_NAME_MAX = 255

GRID_COLUMNS = 24
WIDGET_WIDTH = 12
WIDGET_HEIGHT = 6

# Characters CloudWatch wants escaped inside an exact ("...") search term.
_EXACT_ESCAPES = ("\\", '"', "(", ")")
# A cache prefix we put unquoted in a search term: what the pull-through cache rule accepts.
_PARTIAL_TERM = re.compile(r"^[a-z0-9][a-z0-9._/-]*$")
_DASHBOARD_NAME_BAD = re.compile(r"[^A-Za-z0-9_-]+")


class DashboardError(ValueError):
    """Input the dashboard cannot be built from; the message says what to change."""


def exact_term(value: str) -> str:
    """``value`` as a double-quoted exact-match search term, escaped as CloudWatch wants."""
    if "'" in value:
        raise DashboardError(
            f"{value!r} contains a single quote, which cannot appear in a CloudWatch SEARCH term"
        )
    for char in _EXACT_ESCAPES:
        value = value.replace(char, "\\" + char)
    return f'"{value}"'


def partial_term(prefix: str) -> str:
    """A cache prefix as an unquoted (token) search term: ``docker-hub/`` -> ``docker-hub``."""
    term = prefix.strip("/")
    if not term or not _PARTIAL_TERM.match(term):
        raise DashboardError(
            f"cache prefix {prefix!r} cannot be used in a dashboard search: use lowercase "
            "letters, digits and . _ - / (the characters a pull-through cache prefix allows)"
        )
    return term


def pull_count_search(
    prefix: str,
    *,
    exclude: Sequence[str] = (),
    period: int = DEFAULT_PERIOD_SECONDS,
) -> str:
    """The SEARCH expression for the pull counts of the repositories cached under ``prefix``.

    ``exclude`` lists repository names (matched exactly) to leave out, e.g. custom repositories
    whose names happen to contain the prefix's tokens.
    """
    terms = [
        f"MetricName={exact_term(PULL_COUNT_METRIC)}",
        f"{REPOSITORY_DIMENSION}={partial_term(prefix)}",
    ]
    terms += [f"NOT {REPOSITORY_DIMENSION}={exact_term(name)}" for name in exclude]
    query = "{" + f"{NAMESPACE},{REPOSITORY_DIMENSION}" + "} " + " ".join(terms)
    expression = f"SEARCH('{query}', 'Sum', {period})"
    if len(query) > MAX_SEARCH_CHARS:
        raise DashboardError(
            f"the dashboard search for cache {prefix!r} is {len(query)} characters, over "
            f"CloudWatch's {MAX_SEARCH_CHARS}: too many custom repositories share its name; "
            "rename them or turn the dashboard off (config dashboard: false)"
        )
    return expression


def _shares_tokens(repository: str, prefix: str) -> bool:
    """Whether a partial search for ``prefix`` may also find ``repository``.

    A cheap over-approximation of CloudWatch's token match: the prefix's alphanumeric runs
    appear in order in the repository name.  Excluding a repository that would not have matched
    costs nothing; missing one would mix a custom repository into a cache graph.
    """
    words = re.findall(r"[a-z0-9]+", prefix.lower())
    pattern = r"[^a-z0-9]*".join(re.escape(word) for word in words)
    return bool(words) and re.search(pattern, repository.lower()) is not None


def dashboard_name(label: str) -> str:
    """A valid dashboard name from a stack label: letters, digits, - and _ only."""
    name = _DASHBOARD_NAME_BAD.sub("-", label).strip("-")
    if not name:
        raise DashboardError(f"cannot make a dashboard name from {label!r}")
    return name[:DASHBOARD_NAME_MAX]


def console_host(region: str) -> str:
    """The AWS console host that serves ``region`` (China and GovCloud use their own)."""
    if region.startswith("cn-"):
        return f"{region}.console.amazonaws.cn"
    if region.startswith("us-gov-"):
        return f"{region}.console.amazonaws-us-gov.com"
    return f"{region}.console.aws.amazon.com"


def dashboard_url(region: str, name: str) -> str:
    """Where a person opens the dashboard in the console."""
    return f"https://{console_host(region)}/cloudwatch/home?region={region}#dashboards:name={name}"


def _position(index: int) -> tuple[int, int]:
    """Two widgets per row on the 24-column grid."""
    per_row = GRID_COLUMNS // WIDGET_WIDTH
    return (index % per_row) * WIDGET_WIDTH, (index // per_row) * WIDGET_HEIGHT


def _metric_widget(
    index: int, *, title: str, region: str, metrics: list[list[Any]], period: int
) -> dict[str, Any]:
    x, y = _position(index)
    return {
        "type": "metric",
        "x": x,
        "y": y,
        "width": WIDGET_WIDTH,
        "height": WIDGET_HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "stat": "Sum",
            "period": period,
            "metrics": metrics,
            "yAxis": {"left": {"min": 0, "label": "pulls", "showUnits": False}},
        },
    }


def dashboard_body(
    *,
    region: str,
    cache_prefixes: Sequence[str],
    custom_repositories: Sequence[str] = (),
    period: int = DEFAULT_PERIOD_SECONDS,
) -> dict[str, Any]:
    """The dashboard document: one widget per cache prefix, then the custom repositories.

    Cache widgets use a SEARCH expression (new cached repositories appear by themselves); the
    custom repositories are known to the stack, so their widget lists them as plain metrics.
    """
    if not region:
        raise DashboardError("the dashboard needs the AWS region")
    if period <= 0 or period % 60:
        raise DashboardError(f"period must be a positive multiple of 60 seconds, not {period}")
    prefixes = list(dict.fromkeys(cache_prefixes))
    repositories = sorted(set(custom_repositories))
    for repository in repositories:
        exact_term(repository)  # reject names a search term cannot hold, before anything else

    widgets: list[dict[str, Any]] = []
    for prefix in prefixes:
        exclude = [r for r in repositories if _shares_tokens(r, prefix)]
        search = {
            "expression": pull_count_search(prefix, exclude=exclude, period=period),
            "id": f"pulls{len(widgets)}",
            "label": "",  # each line is labelled with its repository name
            "region": region,
        }
        widgets.append(
            _metric_widget(
                len(widgets),
                title=f"Pulls per day: cache {prefix.strip('/')}/",
                region=region,
                metrics=[[search]],
                period=period,
            )
        )

    chunks = [
        repositories[i : i + METRICS_PER_WIDGET]
        for i in range(0, len(repositories), METRICS_PER_WIDGET)
    ]
    for number, chunk in enumerate(chunks, start=1):
        title = "Pulls per day: custom repositories"
        if len(chunks) > 1:
            title += f" ({number}/{len(chunks)})"
        metrics: list[list[Any]] = [
            [NAMESPACE, PULL_COUNT_METRIC, REPOSITORY_DIMENSION, name, {"label": name}]
            for name in chunk
        ]
        widgets.append(
            _metric_widget(len(widgets), title=title, region=region, metrics=metrics, period=period)
        )

    if len(widgets) > MAX_WIDGETS:
        raise DashboardError(
            f"the dashboard would have {len(widgets)} widgets, over CloudWatch's {MAX_WIDGETS}"
        )
    return {"start": DEFAULT_START, "periodOverride": "inherit", "widgets": widgets}


def to_json_text(body: Mapping[str, Any]) -> str:
    """The body as the compact JSON string PutDashboard takes, within its size limit."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    size = len(text.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise DashboardError(
            f"the dashboard body is {size} bytes, over CloudWatch's {MAX_BODY_BYTES}"
        )
    return text
