"""The exactness check every conversion test makes, container by container.

After a conversion each container must run exactly the cache reference of the image
it ran before (distribution's normalisation: ``library/`` included, tag and digest
kept), or the very same image when its host cannot be cached.  Computed here from
``ecr.images.mapping`` directly, not from the code under test."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path

import yaml

from ecr.images import mapping
from ecr.images.reference import Reference, parse
from tests.charts.conftest import REGISTRY

Key = tuple[str, str, str, str]  # kind, workload name, container list, container name


def rendered(run_cli, chart: Path, *argv: str) -> dict[Key, str]:
    """Every container image ``images`` reports for the chart, by container."""
    result = run_cli("images", "--registry", REGISTRY, "-o", "json", "--chart", str(chart),
                     *argv)
    assert result.code in (0, 1), result.err
    out: dict[Key, str] = {}
    for item in json.loads(result.out)["images"]:
        key = (item["kind"], item["name"], item["container_type"], item["container"])
        assert key not in out, f"two containers {key}"
        out[key] = item["image"]
    return out


def cache_of(image: str, aliases: Mapping[str, str] | None = None) -> Reference:
    ref = parse(image)
    try:
        return mapping.to_cache(ref, REGISTRY, None, aliases).cache
    except mapping.UnsupportedRegistry:
        return ref


def assert_exact(
    before: Mapping[Key, str], after: Mapping[Key, str], left: Collection[str] = (),
    aliases: Mapping[str, str] | None = None,
) -> None:
    """``left``: container names that no value composes (kept as they were)."""
    assert set(before) == set(after)
    for key, image in before.items():
        if key[3] in left:
            assert after[key] == image, key
        else:
            assert parse(after[key]) == cache_of(image, aliases), (key, image, after[key])


def embedded(chart: Path, values: Path | None = None) -> dict[tuple[str, ...], str]:
    """Every ``args`` entry and ``env`` value of every container the chart renders, and
    every ``*image`` string of a custom resource's spec, and every ConfigMap text:
    operators name the images they will launch there (``--prometheus-config-reloader=
    quay.io/...``, ``RELATED_IMAGE_*``, ``kind: Prometheus`` ``spec.image``)."""
    from ecr.charts import helm
    from ecr.images.workload import pod_specs

    layers = [helm.values_file(values)] if values is not None else []
    out: dict[tuple[str, ...], str] = {}
    for template, text in helm.render(chart, layers, release="r").items():
        for doc in yaml.load_all(text, Loader=yaml.CSafeLoader):
            if not isinstance(doc, Mapping):
                continue
            where = f"{template}:{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            if doc.get("kind") == "ConfigMap":
                data = doc.get("data") or {}
                out.update(((where, f"data.{k}"), str(v)) for k, v in data.items())
            elif doc.get("kind") != "Secret" and not list(pod_specs(doc)):
                out.update(((where, path), value) for path, value in _images_in(doc.get("spec")))
            for spec in pod_specs(doc):
                for group in ("initContainers", "containers"):
                    for container in spec.get(group) or []:
                        name = str(container.get("name"))
                        for i, arg in enumerate(container.get("args") or []):
                            out[(where, name, f"args[{i}]")] = str(arg)
                        for env in container.get("env") or []:
                            if "value" in env:
                                out[(where, name, f"env.{env['name']}")] = str(env["value"])
    return out


def _images_in(node: object, where: str = "spec") -> list[tuple[str, str]]:
    """A custom resource's ``*image`` / ``imageName`` strings (an operator runs them)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and (key.lower().endswith("image") or key == "imageName"):
                found.append((f"{where}.{key}", value))
            else:
                found += _images_in(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _images_in(value, f"{where}[{index}]")
    return found


def assert_embedded_exact(before: Mapping[tuple[str, ...], str],
                          after: Mapping[tuple[str, ...], str]) -> None:
    """Each arg or env value is unchanged, or each of its words that changed is exactly
    the cache reference of what it was (``--flag=IMAGE``, ``3.9.0=IMAGE`` lines)."""
    assert set(before) == set(after)
    for key, text in before.items():
        if after[key] == text:
            continue
        old, new = _words(text), _words(after[key])
        assert len(old) == len(new), (key, text, after[key])
        for a, b in zip(old, new, strict=True):
            if a != b:
                assert parse(b) == cache_of(a), (key, a, b)


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[\s=,;\"']+", text) if w]
