"""``convert --files`` never writes what it cannot prove (issue 12 point 2, issue 14 merge
keys): a host-less name whose registry may come from elsewhere is left alone with a note,
YAML null is never text, merged keys count as the mapping's own, and every rewrite is
read back (after == the exact cache reference of before)."""

from __future__ import annotations

import pytest
import yaml

from ecr.images.mapping import to_cache
from ecr.values import rewrite as rewrite_module
from ecr.values.rewrite import rewrite
from ecr.values.scan import scan

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


def images(text: str) -> dict[str, str]:
    return {s.found.key_path: s.found.reference for s in scan(text).sites if s.found.note is None}


def assert_exact(before: str, after: str) -> None:
    """Image by image: after is exactly the cache reference of before, or unchanged."""
    old, new = images(before), images(after)
    assert old.keys() == new.keys()
    for key, reference in old.items():
        if new[key] != reference:
            assert new[key] == str(to_cache(reference, REG).cache), key


def test_chart_wide_global_image_registry_with_host_less_name_is_left_alone() -> None:
    text = (
        "global:\n  image:\n    registry: registry.k8s.io\n"
        "controller:\n  image:\n    # registry: registry.k8s.io\n"
        "    image: team/controller\n    tag: v1.2\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    [skip] = result.skips
    assert (skip.key_path, skip.kind) == ("controller.image.image", "unproven")
    assert "chart-wide global.image.registry (registry.k8s.io)" in skip.reason
    assert "convert --chart" in skip.reason


@pytest.mark.parametrize(
    "wide",
    ["global:\n  imageRegistry: docker.io\n", "imageRegistry: quay.io\n",
     "global:\n  image:\n    registry: registry.k8s.io\n"],
)
def test_every_chart_wide_key_blocks_host_less_names(wide: str) -> None:
    text = wide + "app:\n  image:\n    repository: team/app\n    tag: '1'\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert [s.kind for s in result.skips] == ["unproven"]


def test_names_with_their_own_host_are_still_converted_under_a_chart_wide_key() -> None:
    text = (
        "global:\n  image:\n    registry: registry.k8s.io\n"
        "app:\n  image:\n    repository: quay.io/org/app\n    tag: '1'\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert f"repository: {REG}/quay/org/app\n" in result.text
    assert_exact(text, result.text)


def test_commented_out_registry_leaves_the_name_alone() -> None:
    text = "controller:\n  image:\n    # registry: registry.k8s.io\n    image: team/c\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert "only a comment" in result.skips[0].reason


def test_empty_registry_with_chart_wide_key_is_left_alone() -> None:
    text = (
        "global:\n  image:\n    registry: registry.k8s.io\n"
        "app:\n  image:\n    registry: ''\n    repository: team/app\n"
    )
    assert rewrite(text, "values.yaml", REG).text == text


def test_yaml_null_is_never_text() -> None:
    text = (
        "global:\n  imageRegistry: null\n"
        "image:\n  registry: docker.io\n  repository: bitnami/nginx\n  tag: '1.27'\n"
        "sidecar:\n  image:\n    registry: quay.io\n    repository: org/side\n    tag: ~\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert "null" not in "".join(c.after for c in result.changes)
    assert [c.after for c in result.changes] == [
        f"{REG}/docker-hub/bitnami/nginx:1.27", f"{REG}/quay/org/side",
    ]
    assert "imageRegistry: null\n" in result.text  # not cleared, not "null" text
    assert_exact(text, result.text)


def test_null_name_is_empty_not_null() -> None:
    result = rewrite("image:\n  registry: null\n  repository: null\n", "v.yaml", REG)
    assert [(s.reference, s.kind) for s in result.skips] == [("", "empty")]


def test_merge_key_registry_counts_as_the_mappings_own() -> None:
    text = (
        "base: &base\n  registry: docker.io\n"
        "image: {<<: *base, repository: bitnami/nginx}\n"
        "other:\n  <<: *base\n  repository: bitnami/redis\n  tag: '7'\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert result.text == (
        "base: &base\n  registry: docker.io\n"
        f"image: {{<<: *base, repository: bitnami/nginx, registry: {REG}/docker-hub}}\n"
        f"other:\n  <<: *base\n  repository: bitnami/redis\n  tag: '7'\n"
        f"  registry: {REG}/docker-hub\n"
    )
    loaded = yaml.safe_load(result.text)
    assert loaded["base"] == {"registry": "docker.io"}  # the shared base is untouched
    assert loaded["image"] == {"registry": f"{REG}/docker-hub", "repository": "bitnami/nginx"}
    assert_exact(text, result.text)
    assert "docker.io/" + REG not in result.text


def test_merge_key_list_and_own_keys_win() -> None:
    text = (
        "a: &a {registry: quay.io}\nb: &b {registry: ghcr.io, tag: v1}\n"
        "image: {<<: [*a, *b], repository: org/x}\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert [c.after for c in result.changes] == [f"{REG}/quay/org/x:v1"]
    assert yaml.safe_load(result.text)["image"]["registry"] == f"{REG}/quay"
    assert yaml.safe_load(result.text)["a"] == {"registry": "quay.io"}


def test_a_rewrite_that_does_not_read_back_is_not_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "image:\n  registry: docker.io\n  repository: bitnami/nginx\n"

    def wrong(site: object, image: object) -> dict[str, str]:
        return {"repository": "docker-hub/bitnami/nginx"}  # the registry forgotten

    monkeypatch.setattr(rewrite_module, "_new_values", wrong)
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert [s.kind for s in result.skips] == ["unproven-rewrite"]
    assert result.skips[0].is_error
    assert "not rewritten" in result.notes[-1]


def test_an_added_key_that_does_not_read_back_is_not_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "base: &base\n  registry: docker.io\nimage: {<<: *base, repository: bitnami/nginx}\n"
    monkeypatch.setattr(rewrite_module, "_add_keys", lambda ctx, mapping, values: None)
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert [s.kind for s in result.skips] == ["unproven-rewrite"]


@pytest.mark.parametrize("empty", ["null", "~", "''", ""])
def test_null_or_empty_registry_key_is_left_alone(empty: str) -> None:
    # The chart fills a null image.registry in its template, and not always with
    # docker.io (kyverno defaults it to ghcr.io, others to quay.io): writing it as
    # Docker Hub would be a wrong image.  A file alone cannot prove it: left alone.
    text = f"image:\n  registry: {empty}\n  repository: nginx\n  tag: '1.27'\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert [s.kind for s in result.skips] == ["unproven"]


def test_commented_registry_after_a_flow_mapping() -> None:
    text = "app:\n  image: {repository: nginx}  # registry: registry.k8s.io\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert [s.kind for s in result.skips] == ["unproven"]
