"""A user's values file for kube-prometheus-stack overriding subchart images under
hyphenated keys (``kube-state-metrics:``, ``prometheus-node-exporter:``), a flow
mapping, a tag and a ``sha`` beside defaults: ``--chart`` makes every container
exactly its cache reference, keeping the user's lines; ``--files`` never writes a
third image."""

from __future__ import annotations

import json

from ecr.images.reference import parse
from tests.charts import exact, more_shapes
from tests.charts.conftest import REGISTRY

VALUES = """\
# ours
kube-state-metrics:
  image:
    registry: registry.k8s.io
    repository: kube-state-metrics/kube-state-metrics
    tag: v2.13.0
prometheus-node-exporter:
  image:
    digest: ""
grafana:
  image:
    tag: 11.4.0
  sidecar:
    image: {registry: quay.io, repository: kiwigrid/k8s-sidecar, tag: 1.29.0}
prometheusOperator:
  admissionWebhooks:
    patch:
      image:
        sha: "%s"
""" % ("a" * 64)


def test_chart_path(run_cli, tmp_path):
    chart = more_shapes.kube_prometheus_stack_whole(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text(VALUES)
    before = exact.rendered(run_cli, chart, "-f", str(values))
    result = run_cli("convert", "--registry", REGISTRY, "--chart", str(chart), "--values",
                     str(values), "-o", "json", "--write")
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and not plan["left"], plan
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(values)))
    text = values.read_text()
    assert "    tag: v2.13.0\n" in text and "kiwigrid/k8s-sidecar, tag: 1.29.0}" in text


def test_files_path(run_cli, tmp_path):
    chart = more_shapes.kube_prometheus_stack_whole(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text(VALUES)
    before = exact.rendered(run_cli, chart, "-f", str(values))
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(values), "--write")
    assert result.code == 0, result.out + result.err
    after = exact.rendered(run_cli, chart, "-f", str(values))
    changed = {key for key in before if after[key] != before[key]}
    assert {key[3] for key in changed} == {"kube-state-metrics", "grafana-sc-dashboard"}
    for key in changed:
        assert parse(after[key]) == exact.cache_of(before[key]), key
