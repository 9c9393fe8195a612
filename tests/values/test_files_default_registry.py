"""``convert --files`` on a host-less name whose registry the template supplies from
somewhere the file shows but does not name ``registry`` (kyverno's
``default (default .image.defaultRegistry .globalRegistry) .image.registry``), or
from a ``registry`` left null or empty: the file alone cannot prove the host, so the
image is left alone with a note (it was written as Docker Hub before: a wrong image)."""

from __future__ import annotations

import pytest

from ecr.values.rewrite import rewrite

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


@pytest.mark.parametrize("registry", ["~", "null", '""', "''"])
def test_a_sibling_default_registry_is_where_the_host_comes_from(registry: str) -> None:
    text = (
        "admission:\n  image:\n"
        f"    registry: {registry}\n    defaultRegistry: ghcr.io\n"
        "    repository: kyverno/kyverno\n    tag: ~\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    [skip] = result.skips
    assert skip.kind == "unproven"
    assert "defaultRegistry (ghcr.io)" in skip.reason


@pytest.mark.parametrize("registry", ["~", "null", '""'])
def test_a_null_or_empty_registry_is_filled_by_the_template(registry: str) -> None:
    text = f"app:\n  image:\n    registry: {registry}\n    repository: acme/app\n    tag: '1'\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    [skip] = result.skips
    assert skip.kind == "unproven"
    assert "registry is empty here" in skip.reason


def test_a_set_registry_wins_over_the_default_one() -> None:
    text = (
        "admission:\n  image:\n    registry: quay.io\n    defaultRegistry: ghcr.io\n"
        "    repository: kyverno/kyverno\n    tag: v1\n"
    )
    result = rewrite(text, "values.yaml", REG)
    assert f"registry: {REG}/quay\n" in result.text
    assert "repository: kyverno/kyverno\n" in result.text


def test_no_registry_key_at_all_is_still_docker_hub() -> None:
    text = "app:\n  image:\n    repository: velero/velero\n    tag: v1.15.0\n"
    result = rewrite(text, "values.yaml", REG)
    assert f"repository: {REG}/docker-hub/velero/velero\n" in result.text


@pytest.mark.parametrize("wide", ['global:\n  imageRegistry: ""\n',
                                  "global:\n  imageRegistry: ~\n"])
def test_an_empty_chart_wide_registry_means_the_chart_joins_its_own(wide: str) -> None:
    # A subchart's image under the parent's key: the subchart's own image.registry
    # (docker.io) is joined in front; a full reference written here would be nested.
    text = wide + "queue:\n  image:\n    repository: bitnami/valkey\n    tag: '8.0'\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    [skip] = result.skips
    assert skip.kind == "unproven" and "global.imageRegistry (empty)" in skip.reason


@pytest.mark.parametrize("wide", ["registry: quay.io\n", "global:\n  registry: quay.io\n",
                                  "imageRegistryHost: quay.io\n"])
def test_any_top_level_or_global_registry_key_blocks_host_less_names(wide: str) -> None:
    text = wide + "image:\n  repository: acme/app\n  tag: '1.0'\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    assert [s.kind for s in result.skips] == ["unproven"]


def test_an_empty_chart_wide_registry_keeps_images_with_their_own_registry() -> None:
    text = ('global:\n  imageRegistry: ""\n'
            "image:\n  registry: docker.io\n  repository: bitnami/redis\n")
    result = rewrite(text, "values.yaml", REG)
    assert f"registry: {REG}/docker-hub\n  repository: bitnami/redis\n" in result.text


def test_an_empty_chart_wide_registry_leaves_raw_container_images_to_convert() -> None:
    # Bitnami's sidecars/initContainers are whole containers rendered as written.
    text = ('global:\n  imageRegistry: ""\n'
            "sidecars:\n  - name: shell\n    image: busybox:1.37\n")
    result = rewrite(text, "values.yaml", REG)
    assert f"image: {REG}/docker-hub/library/busybox:1.37\n" in result.text


@pytest.mark.parametrize("part", ["account: \"602401143452\"", "region: us-west-2",
                                  "domain: amazonaws.com", "endpoint: ecr"])
def test_a_host_built_from_account_and_region_is_not_docker_hub(part: str) -> None:
    # aws-vpc-cni: <account>.dkr.<endpoint>.<region>.<domain>/<repository>:<tag>
    text = f"image:\n  {part}\n  repository: amazon-k8s-cni\n  tag: v1.19.0\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text
    [skip] = result.skips
    assert skip.kind == "unproven" and "built from" in skip.reason


def test_an_image_name_with_its_host_is_converted() -> None:
    # zero-to-jupyterhub / Reloader: "{{ .image.name }}:{{ .image.tag }}"
    text = ("hub:\n  image:\n    name: quay.io/jupyterhub/k8s-hub\n    tag: \"4.0.0\"\n"
            "reloader:\n  image:\n    name: ghcr.io/stakater/reloader\n    base: x/y\n"
            "    tag: v1.2.0\n")
    result = rewrite(text, "values.yaml", REG)
    assert f"    name: {REG}/quay/jupyterhub/k8s-hub\n    tag: \"4.0.0\"\n" in result.text
    assert f"    name: {REG}/github/stakater/reloader\n    base: x/y\n" in result.text


@pytest.mark.parametrize("text", [
    "image:\n  name: cert-manager-controller\n  tag: v1\n",  # joined to imageRegistry
    "agents:\n  image:\n    name: agent\n    tag: '7'\n",  # datadog: registry chart-wide
    "app:\n  name: quay.io/acme/app\n",  # not an image map
])
def test_a_name_without_host_or_outside_an_image_map_is_not_an_image(text: str) -> None:
    result = rewrite(text, "values.yaml", REG)
    assert result.text == text and not result.changes


def test_the_cache_prefix_goes_with_the_registry() -> None:
    # A template may join image.registry to other names (a worker's repository, an
    # operand's path): with the prefix in the registry they land under it too.
    text = "image:\n  registry: quay.io\n  repository: acme/api\n  tag: '1.4'\n" \
           "official:\n  image:\n    registry: docker.io\n    repository: nginx\n"
    result = rewrite(text, "values.yaml", REG)
    assert result.text == (
        f"image:\n  registry: {REG}/quay\n  repository: acme/api\n  tag: '1.4'\n"
        f"official:\n  image:\n    registry: {REG}/docker-hub\n    repository: library/nginx\n")
