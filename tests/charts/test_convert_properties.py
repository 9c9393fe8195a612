"""Properties of ``convert --chart`` over generated charts: every container ends exactly
at its cache reference (or unchanged when its host cannot be cached), every rendered
reference parses, and converting again changes nothing."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecr.images.reference import parse
from tests.charts import exact
from tests.charts.charts import write
from tests.charts.conftest import REGISTRY

HOSTS = ["docker.io", "index.docker.io", "quay.io", "ghcr.io", "registry.k8s.io",
         "public.ecr.aws", "gcr.io", "registry.example.com:5000"]
COMPONENT = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
TAG = st.from_regex(r"[a-z0-9][a-z0-9.]{0,8}", fullmatch=True)
IMAGE = st.fixed_dictionaries({
    "registry": st.sampled_from(HOSTS),
    "repository": st.lists(COMPONENT, min_size=1, max_size=3).map("/".join),
    "tag": TAG,
})
TEMPLATES = {
    # a chart-wide registry that per-image registries fall back to
    "default": ('"{{ .Values.global.registry | default .Values.%s.registry }}/'
                '{{ .Values.%s.repository }}:{{ .Values.%s.tag }}"'),
    # Bitnami: the chart-wide registry, when set, replaces every image's registry
    "bitnami": ('"{{ if .Values.global.registry }}{{ .Values.global.registry }}{{ else }}'
                '{{ .Values.%s.registry }}{{ end }}/{{ .Values.%s.repository }}:'
                '{{ .Values.%s.tag }}"'),
}


def _chart(root: Path, images: list[dict[str, str]], shared: str | None,
           style: str = "default") -> Path:
    values: dict[str, object] = {"global": {"registry": shared}}
    containers = []
    for n, image in enumerate(images):
        values[f"c{n}"] = image
        expr = TEMPLATES[style] % ((f"c{n}",) * 3)
        containers.append(f"    - name: c{n}\n      image: {expr}\n")
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
           + "".join(containers))
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: gen\nversion: 1.0.0\n",
        "values.yaml": json.dumps(values),  # JSON: no YAML 1.1 booleans (y, on)
        "templates/pod.yaml": pod,
    })


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(images=st.lists(IMAGE, min_size=1, max_size=3),
       shared=st.one_of(st.none(), st.just(""), st.sampled_from(HOSTS)),
       style=st.sampled_from(sorted(TEMPLATES)))
def test_exact_parseable_and_idempotent(run_cli, images, shared, style):
    with tempfile.TemporaryDirectory() as work:
        chart = _chart(Path(work) / "gen", images, shared, style)
        values = Path(work) / "values.yaml"
        values.write_text("")
        before = exact.rendered(run_cli, chart, "-f", str(values))
        argv = ("convert", "--registry", REGISTRY, "--chart", str(chart), "-f", str(values),
                "-o", "json")
        result = run_cli(*argv, "--write")
        (plan,) = json.loads(result.out)["releases"]
        assert plan["ok"] and not plan["left"], plan
        after = exact.rendered(run_cli, chart, "-f", str(values))
        for image in after.values():
            parse(image)  # never an unparseable reference
        exact.assert_exact(before, after)
        (again,) = json.loads(run_cli(*argv, "--check").out)["releases"]
        assert not again["changed"], again


DIGEST = st.from_regex(r"[0-9a-f]{64}", fullmatch=True).map(lambda h: f"sha256:{h}")
REFERENCE = st.builds(
    lambda host, repo, tag, digest: (f"{host}/" if host else "") + repo
    + (f":{tag}" if tag else "") + (f"@{digest}" if digest else ""),
    st.one_of(st.none(), st.sampled_from(HOSTS)),
    st.lists(COMPONENT, min_size=1, max_size=3).map("/".join),
    st.one_of(st.none(), TAG),
    st.one_of(st.none(), DIGEST),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(references=st.lists(REFERENCE, min_size=1, max_size=3), in_list=st.booleans())
def test_full_references_in_values_and_lists(run_cli, references, in_list):
    """``image: repo[:tag][@digest]`` strings, with or without a host, as map values or
    as items of a list the template renders with toYaml."""
    with tempfile.TemporaryDirectory() as work:
        values: dict[str, object]
        if in_list:
            values = {"extra": [{"name": f"c{n}", "image": ref}
                                for n, ref in enumerate(references)]}
            containers = "    {{- toYaml .Values.extra | nindent 4 }}\n"
        else:
            values = {f"c{n}": {"image": ref} for n, ref in enumerate(references)}
            containers = "".join(
                f"    - name: c{n}\n      image: {{{{ .Values.c{n}.image | quote }}}}\n"
                for n in range(len(references)))
        chart = write(Path(work) / "gen", {
            "Chart.yaml": "apiVersion: v2\nname: gen\nversion: 1.0.0\n",
            "values.yaml": json.dumps(values),  # JSON: no YAML 1.1 booleans (y, on)
            "templates/pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
                                  "  containers:\n" + containers,
        })
        target = Path(work) / "values.yaml"
        target.write_text("")
        before = exact.rendered(run_cli, chart, "-f", str(target))
        argv = ("convert", "--registry", REGISTRY, "--chart", str(chart), "-f", str(target),
                "-o", "json")
        (plan,) = json.loads(run_cli(*argv, "--write").out)["releases"]
        assert plan["ok"] and not plan["left"], plan
        after = exact.rendered(run_cli, chart, "-f", str(target))
        for image in after.values():
            parse(image)
        exact.assert_exact(before, after)
        (again,) = json.loads(run_cli(*argv, "--check").out)["releases"]
        assert not again["changed"], again
