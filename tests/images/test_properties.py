"""Property tests: no traceback on any input, idempotence, round trips, surgical edits."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecr import catalogue
from ecr.images.mapping import UnsupportedRegistry, from_cache, to_cache
from ecr.images.reference import InvalidReference, parse
from ecr.values.rewrite import rewrite
from ecr.values.scan import UnparseableYaml

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REF_ALPHABET = "abcAB019._-/:@[]%+ \nsha256" + "f" * 10

component = st.from_regex(r"[a-z0-9]{1,8}(?:[._-][a-z0-9]{1,5}){0,2}", fullmatch=True)
hosts = st.sampled_from(
    [h for u in catalogue.CATALOGUE for h in u.hosts] + ["k8s.gcr.io", "", "Docker.io"]
)
tags = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
digests = st.sampled_from(["sha256:" + "ab" * 32, "sha512:" + "0f" * 64])


@st.composite
def references(draw: st.DrawFn) -> str:
    host = draw(hosts)
    path = "/".join(draw(st.lists(component, min_size=1, max_size=3)))
    text = f"{host}/{path}" if host else path
    if draw(st.booleans()):
        text += ":" + draw(tags)
    if draw(st.booleans()):
        text += "@" + draw(digests)
    return text


@FAST
@given(st.one_of(st.text(), st.text(alphabet=REF_ALPHABET)))
def test_parse_never_raises_anything_else(text: str) -> None:
    try:
        ref = parse(text)
    except InvalidReference as exc:
        assert str(exc)
        return
    assert parse(str(ref)) == ref


@FAST
@given(st.one_of(st.text(alphabet=REF_ALPHABET), references()))
def test_to_cache_never_raises_anything_else(text: str) -> None:
    try:
        to_cache(text, REG)
    except (InvalidReference, UnsupportedRegistry) as exc:
        assert str(exc)


@FAST
@given(references())
def test_conversion_is_idempotent_and_points_back_upstream(text: str) -> None:
    try:
        result = to_cache(text, REG)
    except InvalidReference:
        return  # e.g. Docker.io/...: uppercase first component is a foreign host
    except UnsupportedRegistry:
        return
    converted = parse(str(result.cache))
    assert converted == result.cache
    assert to_cache(str(result.cache), REG).cache == result.cache
    upstream = from_cache(result.cache, REG)
    source = result.source
    expected_host = "registry.k8s.io" if source.domain == "k8s.gcr.io" else source.domain
    upstream_entry = catalogue.for_host(expected_host.lower())
    assert upstream_entry is not None
    assert upstream.domain == upstream_entry.canonical_host
    expected_path = source.path
    if upstream_entry.official_namespace and "/" not in expected_path:
        expected_path = f"{upstream_entry.official_namespace}/{expected_path}"
    assert upstream.path == expected_path
    assert (upstream.tag, upstream.digest) == (source.tag, source.digest)


# --- YAML rewrites -------------------------------------------------------------------

leaf_values = st.one_of(
    references(), st.sampled_from(["", "{{ .Values.x }}", "gcr.io/x/y:1", "Bad Ref"]),
    st.integers(), st.booleans(), st.none(), st.text(max_size=10),
)
keys = st.sampled_from(
    ["image", "registry", "repository", "tag", "digest", "name", "containers", "sidecars",
     "initImage", "global", "imageRegistry", "hub", "a", "b"]
)
trees: st.SearchStrategy[Any] = st.recursive(
    leaf_values,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=5)
    ),
    max_leaves=12,
)


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    data = draw(st.dictionaries(keys, trees, min_size=1, max_size=5))
    style = draw(st.sampled_from([None, "'", '"']))
    flow = draw(st.sampled_from([False, None]))
    indent = draw(st.sampled_from([2, 4]))
    text = yaml.safe_dump(data, default_style=style, default_flow_style=flow, indent=indent,
                          sort_keys=draw(st.booleans()), allow_unicode=True)
    if draw(st.booleans()):
        text = "# comment\n" + text.replace("\n", "  # trailing\n", 1)
    return text


def leaves(data: Any, path: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(leaves(v, f"{path}.{k}" if path else str(k)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.update(leaves(v, f"{path}[{i}]"))
    else:
        out[path] = data
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_texts())
def test_rewrite_changes_only_image_values_and_is_idempotent(text: str) -> None:
    result = rewrite(text, "v.yaml", REG)
    before, after = leaves(yaml.safe_load(text)), leaves(yaml.safe_load(result.text))
    assert before.keys() == after.keys()  # no key added, removed or renamed
    changed_roots = [c.key_path for c in result.changes] + ["global.imageRegistry"]
    for path in before:
        if before[path] != after[path]:
            assert any(
                r == "" or path == r or path.startswith((r + ".", r + "[")) for r in changed_roots
            ), path
            assert isinstance(after[path], str)
    for change in result.changes:
        if change.after.endswith("/*"):  # a registry prefix (hub): <registry>/<prefix>/*
            assert parse(change.after[:-2]).domain == REG
        else:
            assert parse(change.after).domain == REG
    again = rewrite(result.text, "v.yaml", REG)
    assert again.text == result.text and again.changes == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab: -\n\t'\"{}[]#&*!|>image:registry/repo.io@%"))
def test_rewrite_never_tracebacks(text: str) -> None:
    try:
        rewrite(text, "x.yaml", REG, allow_insecure_images=True)
    except UnparseableYaml as exc:
        assert str(exc).startswith("x.yaml")


ODD_ALPHABET = "abc/:@.-_\x1b\x00\x07\t\n\r\x85\u2028\u202e[]{}%\\ \"'"


@FAST
@given(st.lists(st.text(alphabet=ODD_ALPHABET, min_size=1).filter(lambda t: t != "-"),
                min_size=1, max_size=3))
def test_cli_error_lines_are_one_line_with_no_control_characters(texts: list[str]) -> None:
    import contextlib
    import io

    from ecr.cli.main import main

    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(["convert", "--registry", REG, "--", *texts])
    assert code in (0, 2)
    lines = err.getvalue().split("\n")
    assert lines[-1] == ""
    for line in lines[:-1]:
        assert line.isprintable(), line
    # one converted line or one "error:" line per input: no input splits a line
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) + len(out.getvalue().splitlines()) == len(texts)
