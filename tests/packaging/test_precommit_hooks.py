"""The pre-commit hooks (``.pre-commit-hooks.yaml``) run for real with ``pre-commit run``.

A throwaway git repository of values files and a Helm chart stands for an ArgoCD
repository whose ``.pre-commit-config.yaml`` names this project (a committed copy of the
checkout) at a commit, as a user's would name its URL and a tag.  pre-commit clones it and
installs it into its own environment (PyPI) once per session: its ``PRE_COMMIT_HOME`` is
shared, as a developer's cache is.  (``pre-commit try-repo`` would install it again on every
call.)  The hooks see the staged files, as in ``git commit``; the registry is
``ECR_REGISTRY``.  A ``pulumi`` on PATH records any call: the hooks must never ask a stack.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.packaging.conftest import REG, Hooks, git

pytestmark = pytest.mark.slow

PLAIN = "redis:\n  image: docker.io/library/redis:7.4\n"
PLAIN_DONE = f"redis:\n  image: {REG}/docker-hub/library/redis:7.4\n"
CHART = "apiVersion: v2\nname: web\nversion: 0.1.0\n"
CHART_VALUES = 'image:\n  repository: nginx\n  tag: "1.27"\n'
CHART_VALUES_DONE = f'image:\n  repository: {REG}/docker-hub/library/nginx\n  tag: "1.27"\n'
# a Go template, not YAML: the hooks leave templates/ alone
TEMPLATE = """\
{{- if .Values.image }}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
{{- end }}
"""


@pytest.fixture
def argocd(hooks: Hooks, tmp_path: Path) -> Iterator[Path]:
    """An ArgoCD repository using the hooks, whose commit adds a values file and a chart,
    all unconverted."""
    work = tmp_path / "argocd"
    (work / "apps" / "cache").mkdir(parents=True)
    (work / "charts" / "web" / "templates").mkdir(parents=True)
    (work / "README.md").write_text("platform\n")
    (work / ".pre-commit-config.yaml").write_text(hooks.config())
    git(work, "init", "-q")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "start")
    (work / "apps" / "cache" / "values.yaml").write_text(PLAIN)
    (work / "charts" / "web" / "Chart.yaml").write_text(CHART)
    (work / "charts" / "web" / "values.yaml").write_text(CHART_VALUES)
    (work / "charts" / "web" / "templates" / "deployment.yaml").write_text(TEMPLATE)
    git(work, "add", "-A")
    yield work
    shutil.rmtree(work, ignore_errors=True)


def contents(work: Path) -> dict[str, str]:
    return {p.relative_to(work).as_posix(): p.read_text() for p in sorted(work.rglob("*.yaml"))}


def test_hooks_file_declares_both_hooks_without_a_stack() -> None:
    import yaml

    declared = {hook["id"]: hook for hook in yaml.safe_load(
        (ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(declared) == {"ecr-convert", "ecr-convert-check"}
    assert declared["ecr-convert"]["entry"] == "ecr-pre-commit --write"
    assert declared["ecr-convert-check"]["entry"] == "ecr-pre-commit --check"
    for hook in declared.values():
        assert hook["language"] == "python" and hook["types"] == ["yaml"]


def test_check_fails_with_the_diff_and_changes_nothing(hooks: Hooks, argocd: Path) -> None:
    before = contents(argocd)
    done = hooks.run(argocd, "ecr-convert-check", ECR_REGISTRY=REG)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "Failed" in out
    assert f"+  image: {REG}/docker-hub/library/redis:7.4" in out  # the diff
    assert "would change: apps/cache/values.yaml" in out
    assert f"{REG}/docker-hub/library/nginx" in out  # the chart's values, proven by a render
    assert contents(argocd) == before
    assert not hooks.pulumi_log.exists()


def test_convert_rewrites_like_a_formatter_then_both_hooks_pass(
    hooks: Hooks, argocd: Path
) -> None:
    done = hooks.run(argocd, "ecr-convert", ECR_REGISTRY=REG)
    out = done.stdout + done.stderr
    # a formatter's verdict: the hook changed files, so the commit stops for a look
    assert done.returncode == 1, out
    assert "files were modified by this hook" in out
    after = contents(argocd)
    assert after["apps/cache/values.yaml"] == PLAIN_DONE
    assert after["charts/web/values.yaml"] == CHART_VALUES_DONE
    assert after["charts/web/templates/deployment.yaml"] == TEMPLATE
    assert after["charts/web/Chart.yaml"] == CHART

    git(argocd, "add", "-A")  # the user stages the rewrite: nothing is left to convert
    for hook in ("ecr-convert-check", "ecr-convert"):
        again = hooks.run(argocd, hook, ECR_REGISTRY=REG)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "Passed" in again.stdout
    assert contents(argocd) == after
    assert not hooks.pulumi_log.exists()


def test_without_a_registry_the_hook_says_where_to_give_it(hooks: Hooks, argocd: Path) -> None:
    before = contents(argocd)
    done = hooks.run(argocd, "ecr-convert")
    out = done.stdout + done.stderr
    assert done.returncode != 0
    assert "args: [--registry, <account>.dkr.ecr.<region>.amazonaws.com]" in out
    assert "ECR_REGISTRY" in out
    assert contents(argocd) == before
    assert not hooks.pulumi_log.exists()  # never a stack's output
