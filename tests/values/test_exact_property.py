"""Property: after ``convert --files``, every image a chart would run is EXACTLY the cache
reference of what it ran before, or unchanged (issue 12 point 3).

The oracle is a model chart, independent of the scanner: each ``appN.image`` is
``(image.registry | default global.image.registry | default "docker.io") / repository
[: tag]``, as many charts template it; values come in block and flow style, with YAML
null, empty strings, commented-out registries and merge keys."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ecr.images.mapping import UnsupportedRegistry, to_cache
from ecr.images.reference import InvalidReference, parse
from ecr.values.rewrite import rewrite

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"

REGISTRY_VALUES = st.sampled_from(
    [None, "null", "~", "''", "docker.io", "quay.io", "registry.k8s.io", "gcr.io", "#comment",
     "<<docker.io", "<<quay.io"]
)
REPOSITORIES = st.sampled_from(["nginx", "bitnami/nginx", "team/controller", "org/a-b"])
TAGS = st.sampled_from([None, "'1.27'", "v1", "null"])
WIDE = st.sampled_from([None, "null", "''", "registry.k8s.io", "docker.io", "quay.io"])


def model_images(data: dict[str, Any], text: str) -> dict[str, str]:
    """What the model chart renders for each app: a registry key that exists (with a
    value, null, empty, merged, or only as a comment) is joined, defaulting to the
    chart-wide key and then docker.io; with no registry key at all, a chart-wide key is
    joined if set, else the repository is used as it is (Rocket.Chat-style)."""
    wide = ((data.get("global") or {}).get("image") or {}).get("registry")
    out = {}
    for key, app in data.items():
        if not key.startswith("app"):
            continue
        image = app["image"]
        has_key = "registry" in image or f"{key}:\n  image:\n    # registry" in text or (
            f"{key}:\n  image: {{" in text and
            "# registry" in text.split(f"{key}:\n", 1)[1].split("\n", 2)[0]
        )
        if has_key:
            text_ref = f"{image.get('registry') or wide or 'docker.io'}/{image['repository']}"
        elif wide:
            text_ref = f"{wide}/{image['repository']}"
        else:
            text_ref = image["repository"]
        if image.get("tag"):
            text_ref += f":{image['tag']}"
        out[key] = text_ref
    return out


@st.composite
def values_files(draw: st.DrawFn) -> str:
    lines = []
    wide = draw(WIDE)
    if wide is not None:
        lines += ["global:", "  image:", f"    registry: {wide}"]
    bases = {}
    apps = draw(st.lists(st.tuples(REGISTRY_VALUES, REPOSITORIES, TAGS, st.booleans()),
                         min_size=1, max_size=4))
    for registry, _, _, _ in apps:
        if registry is not None and registry.startswith("<<"):
            host = registry[2:]
            name = "base_" + host.replace(".", "_")
            if name not in bases:
                bases[name] = host
                lines += [f"{name}: &{name}", f"  registry: {host}"]
    for index, (registry, repository, tag, flow) in enumerate(apps):
        entries: list[str] = []
        comment = None
        if registry is not None:
            if registry.startswith("<<"):
                entries.append(f"<<: *base_{registry[2:].replace('.', '_')}")
            elif registry == "#comment":
                comment = "# registry: registry.k8s.io"
            else:
                entries.append(f"registry: {registry}")
        entries.append(f"repository: {repository}")
        if tag is not None:
            entries.append(f"tag: {tag}")
        lines.append(f"app{index}:")
        if flow:
            lines.append("  image: {" + ", ".join(entries) + "}" + (f"  {comment}" if comment
                                                                      else ""))
        else:
            lines.append("  image:")
            if comment:
                lines.append(f"    {comment}")
            lines += [f"    {entry}" for entry in entries]
    return "\n".join(lines) + "\n"


def exact_cache(reference: str) -> str | None:
    try:
        return str(to_cache(reference, REG).cache)
    except (InvalidReference, UnsupportedRegistry):
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values_files())
def test_every_image_is_its_exact_cache_reference_or_unchanged(text: str) -> None:
    result = rewrite(text, "values.yaml", REG)
    before = model_images(yaml.safe_load(text), text)
    after = model_images(yaml.safe_load(result.text), result.text)
    for app, reference in before.items():
        normalised = str(parse(reference))
        now = str(parse(after[app]))
        assert now in (normalised, exact_cache(reference)), (app, reference, after[app],
                                                              result.text)
    again = rewrite(result.text, "values.yaml", REG)
    assert again.text == result.text
