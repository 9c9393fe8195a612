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

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, ROOT, copy_checkout
from tests.packaging.conftest import REG, SYSTEM_PATH

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
PULUMI = '#!/bin/sh\necho "pulumi $*" >>"{log}"\nexit 1\n'


@dataclass
class Hooks:
    repo: Path  # this project, committed once
    rev: str  # its commit, the config's ``rev``
    home: Path  # PRE_COMMIT_HOME, shared by the session
    bin: Path  # the recording pulumi
    pulumi_log: Path

    def config(self) -> str:
        """An ArgoCD repository's ``.pre-commit-config.yaml`` naming both hooks."""
        return (f"repos:\n  - repo: {self.repo}\n    rev: {self.rev}\n    hooks:\n"
                "      - id: ecr-convert\n      - id: ecr-convert-check\n")

    def run(self, work: Path, hook: str, **env: str) -> subprocess.CompletedProcess[str]:
        """``pre-commit run HOOK`` in ``work``, on its staged files, as ``git commit`` runs it."""
        base = {k: v for k, v in os.environ.items()
                if k not in ("ECR_REGISTRY", "PYTHONPATH", "VIRTUAL_ENV")}
        base.update(PRE_COMMIT_HOME=str(self.home), PATH=f"{self.bin}:{SYSTEM_PATH}",
                    GIT_CONFIG_NOSYSTEM="1", HOME=str(self.home), **env)
        argv = [sys.executable, "-m", "pre_commit", "run", hook, "--color=never"]
        return subprocess.run(argv, cwd=work, env=base, capture_output=True, text=True,
                              timeout=1200, check=False)


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def hooks(tmp_path_factory: pytest.TempPathFactory) -> Hooks:
    if importlib.util.find_spec("pre_commit") is None:  # run as python -m pre_commit
        message = "pre-commit is not installed: pip install -r requirements-dev.txt"
        if IN_CI:
            pytest.fail(message + " (CI=true: missing test dependencies are failures)")
        pytest.skip(message)
    base = tmp_path_factory.mktemp("hooks")
    repo = copy_checkout(base / "infra-ecr")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "checkout")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                         capture_output=True, text=True).stdout.strip()
    tools = base / "bin"
    tools.mkdir()
    log = base / "pulumi.log"
    (tools / "pulumi").write_text(PULUMI.format(log=log))
    (tools / "pulumi").chmod(0o755)
    return Hooks(repo, rev, base / "home", tools, log)


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
