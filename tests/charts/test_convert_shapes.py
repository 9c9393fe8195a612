"""``convert --chart`` on every shape real charts compose images in, checked container
by container: each image becomes exactly its cache reference, or stays as it was when
its host cannot be cached or a template writes it.  Real Helm renders every step."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecr.charts import convert as chart_convert
from ecr.values import insert
from tests.charts import exact, shapes
from tests.charts.conftest import REGISTRY


@dataclass
class Shape:
    chart: Callable[[Path], Path]
    values: str = ""
    written: dict[str, Any] | None = None  # the values file afterwards (parsed), if fixed
    left: set[str] = field(default_factory=set)  # containers no value composes
    aliases: dict[str, str] = field(default_factory=dict)


SHAPES = {
    # one override for every image that uses the chart-wide registry
    "chart_wide_registry": Shape(
        shapes.chart_wide_registry,
        written={"global": {"image": {"registry": f"{REGISTRY}/k8s"}}},
    ),
    # null global registry: not the text "null"; the quay.io sidecar keeps its own cache,
    # the official image gets library/
    "null_global_registry": Shape(
        shapes.null_global_registry,
        written={
            "image": {"registry": f"{REGISTRY}/docker-hub"},
            "metrics": {"image": {"registry": f"{REGISTRY}/quay"}},
            "proxy": {"image": {"registry": REGISTRY,
                                "repository": "docker-hub/library/nginx"}},
        },
    ),
    # null registry/repository filled by the template; tag from appVersion
    "null_defaults": Shape(
        shapes.null_defaults,
        written={
            "image": {"repository": f"{REGISTRY}/docker-hub/acme/app"},
            "worker": {"image": {"registry": f"{REGISTRY}/quay"}},
        },
    ),
    "cert_manager_style": Shape(
        shapes.cert_manager_style, written={"imageRegistry": f"{REGISTRY}/quay"}
    ),
    "istio_hub": Shape(
        shapes.istio_hub, written={"global": {"hub": f"{REGISTRY}/docker-hub/istio"}}
    ),
    "bare_digest": Shape(
        shapes.bare_digest,
        written={"image": {"registry": f"{REGISTRY}/docker-hub"},
                 "sidecar": {"registry": f"{REGISTRY}/quay"}},
    ),
    # initContainers list written whole; a template's own image and gcr.io/rocket.chat
    # left as they are; the rendered RBAC file has a "---# comment" line
    "lists_literal_uncacheable": Shape(
        shapes.lists_literal_uncacheable,
        written={"initContainers": [
            {"name": "wait", "image": f"{REGISTRY}/docker-hub/library/busybox:1.36"},
            {"name": "migrate", "image": f"{REGISTRY}/github/acme/migrate:2.0"},
        ]},
        left={"exporter"},
    ),
    # lower, trimPrefix and a semverCompare that refuses marker text
    "transformed_values": Shape(
        shapes.transformed_values, written={"image": {"registry": f"{REGISTRY}/docker-hub"}},
    ),
    # a value shown in an image that also picks a branch: marked values are halved
    "branching_value": Shape(
        shapes.branching_value,
        written={"proxy": {"image": f"{REGISTRY}/docker-hub/library/nginx:1.27"},
                 "app": {"image": f"{REGISTRY}/github/acme/app:1.0"}},
    ),
    # one override for the chart-wide repository; ECR Public and ghcr.io their own
    "argo_cd_style": Shape(
        shapes.argo_cd_style,
        written={
            "global": {"image": {"repository": f"{REGISTRY}/quay/argoproj/argocd"}},
            "redis": {"image": {"repository":
                                f"{REGISTRY}/ecr-public/docker/library/redis"}},
            "dex": {"image": {"repository": f"{REGISTRY}/github/dexidp/dex"}},
        },
    ),
    # global.imageRegistry over per-image registries of several upstreams, a subchart
    "prometheus_stack_style": Shape(
        shapes.prometheus_stack_style,
        written={
            "dashboards": {"init": {"image": {"registry": f"{REGISTRY}/docker-hub"}},
                           "image": {"registry": f"{REGISTRY}/docker-hub"}},
            "exporter": {"image": {"registry": f"{REGISTRY}/k8s"}},
            "operator": {"image": {"registry": f"{REGISTRY}/quay"}},
        },
    ),
    "aliased_host": Shape(
        shapes.lists_literal_uncacheable,
        left={"exporter"},
        aliases={"registry.rocket.chat": "docker.io"},
    ),
    # the user's values already name the registry: changed in place, comment kept
    "values_in_the_file": Shape(
        shapes.null_global_registry,
        values="image:\n  registry: docker.io   # where from\n  tag: '7.2'\n",
    ),
}


def _convert(run_cli, chart: Path, values: Path, shape: Shape, *argv: str):
    aliases = [f"--alias={k}={v}" for k, v in shape.aliases.items()]
    return run_cli("convert", "--registry", REGISTRY, "--chart", str(chart), "-f", str(values),
                   "-o", "json", *aliases, *argv)


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_container_becomes_exactly_its_cache_reference(run_cli, tmp_path, name):
    shape = SHAPES[name]
    chart = shape.chart(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text(shape.values)
    before = exact.rendered(run_cli, chart, "-f", str(values))

    result = _convert(run_cli, chart, values, shape, "--write")
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and not plan["unresolved"] and plan["error"] is None, plan
    assert result.code == (3 if shape.left else 0), result.err  # 3: left, noted
    assert sorted(c["container"].split(" container ")[1].split(" ")[0] for c in plan["containers"]
                  if not c["exact"]) == []
    after = exact.rendered(run_cli, chart, "-f", str(values))
    exact.assert_exact(before, after, shape.left, shape.aliases)
    if shape.written is not None:
        assert yaml.safe_load(values.read_text()) == shape.written
    for left in shape.left:
        assert any(f"container {left} " in why and "templates/" in why for why in plan["left"])

    again = _convert(run_cli, chart, values, shape, "--check")  # idempotent
    (second,) = json.loads(again.out)["releases"]
    assert not second["changed"] and second["ok"], second


def test_values_in_the_file_are_changed_in_place(run_cli, tmp_path):
    chart = shapes.null_global_registry(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("image:\n  registry: docker.io   # where from\n  tag: '7.2'\n")
    assert _convert(run_cli, chart, values, SHAPES["values_in_the_file"], "--write").code == 0
    assert values.read_text().startswith(
        f"image:\n  registry: {REGISTRY}/docker-hub   # where from\n  tag: '7.2'\n")


def test_a_values_file_holding_braces(run_cli, tmp_path):
    assert yaml.safe_load(insert.set_keys("{}\n", ["a"], {"b": "c"})) == {"a": {"b": "c"}}
    chart = shapes.null_defaults(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("{}\n")
    before = exact.rendered(run_cli, chart, "-f", str(values))
    result = _convert(run_cli, chart, values, Shape(shapes.null_defaults), "--write")
    assert result.code == 0, result.out
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(values)))


def test_images_and_verify_show_which_values_compose_each_image(run_cli, tmp_path):
    chart = shapes.chart_wide_registry(tmp_path / "chart")
    result = run_cli("images", "--registry", REGISTRY, "-o", "json", "--chart", str(chart))
    values = {i["container"]: i["values"] for i in json.loads(result.out)["images"]}
    # the per-image registry is only a comment: the template takes it when set
    assert values["controller"] == (
        "global.image.registry + controller.image.image + controller.image.tag + "
        "controller.image.registry (when set; not in the values)")
    assert values["webhook"] == (
        "global.image.registry + webhook.image.image + webhook.image.tag + "
        "webhook.image.digest + webhook.image.registry (when set; not in the values)")
    literal = shapes.lists_literal_uncacheable(tmp_path / "mixed")
    result = run_cli("images", "--registry", REGISTRY, "-o", "json", "--chart", str(literal))
    values = {i["container"]: i["values"] for i in json.loads(result.out)["images"]}
    assert values["exporter"] == "written in mixed/templates/app.yaml"
    assert values["wait"] == "initContainers[0].image"
    assert values["chat"] == "chat.repository"  # the tag is the chart's appVersion

    verify = run_cli("verify", "--chart", str(chart), "--registry", REGISTRY, "-o", "json")
    rows = json.loads(verify.out)
    rows = rows["images"] if isinstance(rows, dict) else rows
    sources = [s for row in rows for s in row["sources"]]
    assert any("(from global.image.registry + controller.image.image" in s for s in sources)


def test_entry_point_for_a_values_file_beside_its_chart(run_cli, tmp_path):
    """What ``convert --files`` calls when a Chart.yaml sits beside the values file:
    the chart's own values.yaml, or another values file in the chart directory."""
    chart = shapes.chart_wide_registry(tmp_path / "ingress")
    prod = chart / "values-prod.yaml"
    prod.write_text("controller:\n  image:\n    tag: v1.12.1\n")
    before = exact.rendered(run_cli, chart, "-f", str(prod))
    plan = chart_convert.plan_values_file(prod, REGISTRY)
    assert plan.ok and plan.changed and not plan.left
    assert "  set global.image.registry: registry.k8s.io -> " \
        f"{REGISTRY}/k8s (2 container images)" in chart_convert.plan_lines(plan, written=False)
    assert chart_convert.write_plan(plan)
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(prod)))

    own = chart / "values.yaml"
    text = own.read_text()
    before = exact.rendered(run_cli, chart)
    plan = chart_convert.plan_values_file(own, REGISTRY)
    assert plan.ok and chart_convert.write_plan(plan)
    assert own.read_text() == text.replace("registry: registry.k8s.io",
                                           f"registry: {REGISTRY}/k8s", 1)
    exact.assert_exact(before, exact.rendered(run_cli, chart))
    assert not chart_convert.write_plan(chart_convert.plan_values_file(own, REGISTRY))
