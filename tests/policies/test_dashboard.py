"""The dashboard body, tested as JSON: structure, one widget per prefix, search escaping, limits."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecr import catalogue
from ecr.policies import dashboard as db
from tests.policies.dashboard_checks import (
    check_dashboard,
    check_search_quoting,
    search_expressions,
)

REGION = "af-south-1"


def build(prefixes=catalogue.DEFAULT_CACHES, custom=("custom-apps/web",), **kw):
    return db.dashboard_body(
        region=REGION, cache_prefixes=list(prefixes), custom_repositories=list(custom), **kw
    )


def test_one_widget_per_cache_prefix_then_the_custom_repositories():
    widgets = check_dashboard(build(), REGION)
    assert len(widgets) == len(catalogue.DEFAULT_CACHES) + 1
    for prefix, widget in zip(catalogue.DEFAULT_CACHES, widgets, strict=False):
        assert widget["properties"]["title"] == f"Pulls per day: cache {prefix}/"
        [expression] = search_expressions(widget)
        assert f"RepositoryName={prefix}'," in expression
    custom = widgets[-1]["properties"]
    assert custom["title"] == "Pulls per day: custom repositories"
    assert custom["metrics"] == [
        ["AWS/ECR", "RepositoryPullCount", "RepositoryName", "custom-apps/web",
         {"label": "custom-apps/web"}]
    ]


def test_search_expression_is_exactly_what_cloudwatch_documents():
    [widget] = check_dashboard(build(prefixes=["docker-hub"], custom=()), REGION)
    assert search_expressions(widget) == [
        "SEARCH('{AWS/ECR,RepositoryName} MetricName=\"RepositoryPullCount\" "
        "RepositoryName=docker-hub', 'Sum', 86400)"
    ]
    # Serialised, the double quotes are JSON-escaped and come back unchanged.
    text = db.to_json_text(build(prefixes=["docker-hub"], custom=()))
    assert '\\"RepositoryPullCount\\"' in text
    assert json.loads(text)["widgets"][0]["properties"]["metrics"][0][0]["expression"] == (
        search_expressions(widget)[0]
    )


def test_trailing_slash_and_duplicate_prefixes():
    widgets = check_dashboard(build(prefixes=["quay/", "quay/", "k8s"], custom=()), REGION)
    assert [w["properties"]["title"] for w in widgets] == [
        "Pulls per day: cache quay/",
        "Pulls per day: cache k8s/",
    ]
    assert "RepositoryName=quay'" in search_expressions(widgets[0])[0]


def test_no_custom_widget_without_custom_repositories():
    widgets = check_dashboard(build(custom=()), REGION)
    assert len(widgets) == len(catalogue.DEFAULT_CACHES)
    assert all(search_expressions(w) for w in widgets)


def test_no_caches_only_custom_repositories():
    widgets = check_dashboard(build(prefixes=(), custom=("b-app", "a-app", "a-app")), REGION)
    [custom] = widgets
    assert [row[3] for row in custom["properties"]["metrics"]] == ["a-app", "b-app"]


def test_custom_repository_sharing_a_prefix_token_is_excluded_from_that_cache():
    body = build(prefixes=["docker-hub", "quay"], custom=["docker-hub-mirror/app", "web"])
    widgets = check_dashboard(body, REGION)
    [docker] = search_expressions(widgets[0])
    [quay] = search_expressions(widgets[1])
    assert 'NOT RepositoryName="docker-hub-mirror/app"' in docker
    assert "NOT" not in quay
    assert '"web"' not in docker


def test_exact_term_escapes_what_cloudwatch_requires():
    assert db.exact_term("plain/name") == '"plain/name"'
    assert db.exact_term('a"b\\c(d)') == '"a\\"b\\\\c\\(d\\)"'
    check_search_quoting(db.exact_term('x"y\\z(1)'))
    with pytest.raises(db.DashboardError, match="single quote"):
        db.exact_term("it's")


@pytest.mark.parametrize("prefix", ["", "/", "Docker", "a b", "a'b", 'a"b', "(x)", "-x"])
def test_prefixes_a_search_term_cannot_hold_are_refused(prefix):
    with pytest.raises(db.DashboardError, match="cache prefix"):
        build(prefixes=[prefix])


def test_custom_repository_with_a_quote_is_refused():
    with pytest.raises(db.DashboardError, match="single quote"):
        build(custom=["bad'name"])


def test_region_and_period_are_checked():
    with pytest.raises(db.DashboardError, match="region"):
        db.dashboard_body(region="", cache_prefixes=["quay"])
    with pytest.raises(db.DashboardError, match="multiple of 60"):
        build(period=90)
    widgets = check_dashboard(build(period=3600), REGION)
    assert all(w["properties"]["period"] == 3600 for w in widgets)
    assert "'Sum', 3600)" in search_expressions(widgets[0])[0]


def test_custom_repositories_split_into_widgets_of_one_hundred():
    names = [f"team/app-{i:03d}" for i in range(250)]
    widgets = check_dashboard(build(prefixes=["quay"], custom=names), REGION)
    custom = widgets[1:]
    assert [len(w["properties"]["metrics"]) for w in custom] == [100, 100, 50]
    assert [w["properties"]["title"] for w in custom] == [
        f"Pulls per day: custom repositories ({n}/3)" for n in (1, 2, 3)
    ]
    assert sorted(row[3] for w in custom for row in w["properties"]["metrics"]) == names


def test_widget_limit():
    prefixes = [f"p{i:03d}" for i in range(db.MAX_WIDGETS - 1)]
    assert len(check_dashboard(build(prefixes=prefixes, custom=["app"]), REGION)) == 500
    with pytest.raises(db.DashboardError, match="500"):
        build(prefixes=prefixes, custom=[f"app{i}" for i in range(101)])


def test_search_query_length_limit():
    many = [f"docker-hub-tools/app-with-a-rather-long-name-{i:03d}" for i in range(30)]
    with pytest.raises(db.DashboardError, match="1024"):
        build(prefixes=["docker-hub"], custom=many)


def test_a_large_realistic_body_stays_under_the_size_limit():
    prefixes = [f"cache-{i:02d}" for i in range(catalogue.MAX_RULES_PER_REGISTRY)]
    private = [f"team-{i % 20}/service-{i:04d}" for i in range(2000)]
    text = db.to_json_text(build(prefixes=prefixes, custom=private))
    assert len(text.encode()) < db.MAX_BODY_BYTES
    check_dashboard(json.loads(text), REGION)


def test_render_refuses_an_oversized_body():
    with pytest.raises(db.DashboardError, match="bytes"):
        db.to_json_text({"widgets": [], "start": "x" * db.MAX_BODY_BYTES})


def test_render_is_compact_and_stable():
    body = build()
    assert db.to_json_text(body) == db.to_json_text(json.loads(db.to_json_text(body)))
    assert db.to_json_text(body) == json.dumps(body, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize(
    ("region", "host"),
    [
        ("af-south-1", "af-south-1.console.aws.amazon.com"),
        ("cn-north-1", "cn-north-1.console.amazonaws.cn"),
        ("us-gov-west-1", "us-gov-west-1.console.amazonaws-us-gov.com"),
    ],
)
def test_dashboard_url(region, host):
    assert db.dashboard_url(region, "infra-ecr-prod") == (
        f"https://{host}/cloudwatch/home?region={region}#dashboards:name=infra-ecr-prod"
    )


def test_dashboard_name_keeps_only_allowed_characters():
    assert db.dashboard_name("infra-ecr-prod") == "infra-ecr-prod"
    assert db.dashboard_name("infra.ecr/prod env") == "infra-ecr-prod-env"
    assert len(db.dashboard_name("x" * 400)) == 255
    with pytest.raises(db.DashboardError):
        db.dashboard_name("...")


_prefix = st.from_regex(r"[a-z0-9]{1,8}([._-][a-z0-9]{1,6}){0,2}", fullmatch=True).filter(
    lambda p: catalogue.prefix_problem(p) is None
)
_repo = st.from_regex(r"[a-z0-9]{1,8}([._/-][a-z0-9]{1,8}){0,3}", fullmatch=True)


@settings(max_examples=60, deadline=None)
@given(prefixes=st.lists(_prefix, max_size=8), private=st.lists(_repo, max_size=12))
def test_any_valid_stack_gives_a_valid_dashboard(prefixes, private):
    body = db.dashboard_body(region=REGION, cache_prefixes=prefixes, custom_repositories=private)
    widgets = check_dashboard(json.loads(db.to_json_text(body)), REGION)
    unique = list(dict.fromkeys(prefixes))
    expected_custom = math.ceil(len(set(private)) / db.METRICS_PER_WIDGET)
    assert len(widgets) == len(unique) + expected_custom
    for prefix, widget in zip(unique, widgets, strict=False):
        [expression] = search_expressions(widget)
        assert f"RepositoryName={prefix}" in expression
