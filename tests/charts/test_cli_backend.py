"""The adapter's helm-CLI backend: the exact commands it runs and how it reads the output.

No helm binary can be installed here, so a stand-in ``helm`` on PATH records its
arguments and answers like ``helm template`` / ``helm pull`` do (multi-document
stream with ``# Source:`` comments; ``Error: ...`` on stderr, exit 1), rendering
with the same Helm SDK.  Where a real helm is installed it is used instead.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from ecr.charts import helm as helm_render
from ecr.charts.helm import HelmFailure
from ecr.charts.source import ChartSource
from ecr.images.workload import from_manifests

STAND_IN = '''\
#!{python}
import json, os, sys
import helm_python

args = sys.argv[1:]
with open(os.environ["HELM_ARGS_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")

def opt(name):
    return args[args.index(name) + 1] if name in args else None

if args[0] == "template":
    release, chart = args[1], args[2]
    values = json.load(open(opt("--values")))
    try:
        with helm_python.Chart.load(chart) as loaded:
            out = loaded.render(values, name=release, namespace=opt("--namespace"))
    except helm_python.HelmError as exc:
        sys.stderr.write("Error: " + str(exc) + "\\n")
        sys.exit(1)
    for path, text in sorted(out.items()):
        if not path.endswith("NOTES.txt") and text.strip():
            sys.stdout.write("---\\n# Source: " + path + "\\n" + text)
elif args[0] == "pull":
    sys.stderr.write("Error: failed to fetch " + args[1] + " : 404 Not Found\\n")
    sys.exit(1)
'''


@pytest.fixture
def helm_cli(tmp_path, monkeypatch):
    """A helm on PATH: the real one if installed, else the recording stand-in."""
    log = tmp_path / "helm-args.jsonl"
    monkeypatch.setenv("ECR_HELM_BACKEND", "cli")
    monkeypatch.setenv("HELM_ARGS_LOG", str(log))
    if shutil.which("helm") is None:
        bindir = tmp_path / "bin"
        bindir.mkdir()
        helm = bindir / "helm"
        helm.write_text(STAND_IN.format(python=sys.executable))
        helm.chmod(helm.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
    return log


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_template_runs_with_one_merged_values_file(helm_cli, webapp):
    layers = [helm_render.set_value("mariadb.enabled=false")]
    manifests = helm_render.render(webapp, layers, release="blog", namespace="web")
    assert sorted(f.image for f in from_manifests(manifests)) == [
        "busybox:1.36", "docker.io/bitnami/os-shell:12", "docker.io/bitnami/wordpress:6.7.1",
    ]
    recorded = calls(helm_cli)
    if recorded:  # the stand-in: check the exact command line
        (argv,) = recorded
        assert argv[:5] == ["template", "blog", str(webapp), "--namespace", "web"]
        assert argv[5] == "--values" and argv[6].endswith(".json")
        assert not Path(argv[6]).exists()  # the temporary values file is removed


def test_cli_errors_keep_helms_words_and_name_the_values(helm_cli, webapp):
    with pytest.raises(HelmFailure) as caught:
        helm_render.render(webapp, [helm_render.set_value("image=x")], release="r")
    assert "can't evaluate field" in str(caught.value)
    assert 'image = "x" (from --set image=x)' in str(caught.value)


def test_cli_pull_failure(helm_cli, tmp_path):
    source = ChartSource("oci://127.0.0.1:9/charts/absent", version="1.0.0")
    with pytest.raises(HelmFailure, match="cannot fetch chart"):
        helm_render.fetch(source, tmp_path)
    recorded = calls(helm_cli)
    if recorded:
        assert recorded[0][:4] == ["pull", "oci://127.0.0.1:9/charts/absent", "--destination",
                                   recorded[0][3]]
        assert recorded[0][4:] == ["--version", "1.0.0"]
