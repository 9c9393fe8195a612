"""The exactness check every conversion test makes, container by container.

After a conversion each container must run exactly the cache reference of the image
it ran before (distribution's normalisation: ``library/`` included, tag and digest
kept), or the very same image when its host cannot be cached.  Computed here from
``ecr.images.mapping`` directly, not from the code under test."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path

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
