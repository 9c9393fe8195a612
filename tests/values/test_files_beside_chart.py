"""``convert --files`` on a values file beside a Chart.yaml: the chart path renders the
chart and proves the conversion (issue 12 point 2), where a file alone cannot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ecr.cli.main import main

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-controller
spec:
  selector:
    matchLabels: {app: controller}
  template:
    metadata:
      labels: {app: controller}
    spec:
      containers:
        - name: controller
          {{- $image := .Values.controller.image }}
          {{- $registry := $image.registry | default .Values.global.image.registry }}
          image: "{{ $registry }}/{{ $image.image }}:{{ $image.tag }}"
"""

VALUES = """\
global:
  image:
    registry: registry.k8s.io
controller:
  image:
    # registry: registry.k8s.io
    image: ingress-nginx/controller
    tag: v1.11.2
"""


@pytest.fixture(autouse=True)
def sdk_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECR_HELM_BACKEND", "sdk")
    monkeypatch.setenv("ECR_REGISTRY", REG)


def chart(tmp_path: Path) -> Path:
    root = tmp_path / "controller"
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: controller\nversion: 0.1.0\n")
    (root / "templates" / "deployment.yaml").write_text(DEPLOYMENT)
    (root / "values.yaml").write_text(VALUES)
    return root


def rendered_images(root: Path) -> list[str]:
    """The container images real Helm renders from the chart and its values.yaml."""
    helm_python = pytest.importorskip("helm_python")
    with helm_python.Chart.load(root) as loaded:
        manifests = loaded.render({}, name="r", namespace="default", is_install=True)
    return [
        container["image"]
        for text in manifests.values()
        for doc in yaml.safe_load_all(text) if doc
        for container in doc["spec"]["template"]["spec"]["containers"]
    ]


def test_values_beside_a_chart_are_converted_through_the_render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = chart(tmp_path)
    values = root / "values.yaml"
    before = rendered_images(root)
    assert before == ["registry.k8s.io/ingress-nginx/controller:v1.11.2"]
    code = main(["convert", "--files", str(tmp_path), "--write"])
    captured = capsys.readouterr()
    assert "rendering the chart to prove the conversion" in captured.err
    # Converted exactly (the chart path proved it by a second render), or, when the chart
    # path cannot prove an override, nothing written and a non-zero exit: never the
    # full reference in the name that --files alone used to write.
    after = rendered_images(root)
    if code == 0:
        assert after == [f"{REG}/k8s/ingress-nginx/controller:v1.11.2"]
    else:
        assert code == 1, captured.out + captured.err
        assert values.read_text() == VALUES
        assert "PROOF FAILED, nothing written" in captured.out
    assert "docker-hub" not in values.read_text()


def test_json_output_holds_the_chart_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chart(tmp_path)
    main(["convert", "--files", str(tmp_path), "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert len(data["charts"]) == 1
