"""Chart references and pulling OCI charts through the cache (pure)."""

from __future__ import annotations

import pytest

from ecr.charts.source import ChartRefError, ChartSource, chart_name, oci_ref, to_cache

REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


def test_docker_hub_oci_chart_maps_to_the_docker_hub_cache():
    cached = to_cache("oci://registry-1.docker.io/bitnamicharts/wordpress", REGISTRY)
    assert cached.cache == f"oci://{REGISTRY}/docker-hub/bitnamicharts/wordpress"
    assert cached.prefix == "docker-hub"


def test_tag_kept_and_other_upstreams_use_their_prefix():
    assert (
        to_cache("oci://ghcr.io/org/charts/app:1.2.3", REGISTRY).cache
        == f"oci://{REGISTRY}/github/org/charts/app:1.2.3"
    )
    assert to_cache("oci://public.ecr.aws/karpenter/karpenter", REGISTRY).prefix == "ecr-public"


def test_stack_host_prefixes_are_honoured():
    cached = to_cache("oci://docker.io/bitnamicharts/redis", REGISTRY, {"docker.io": "hub"})
    assert cached.cache == f"oci://{REGISTRY}/hub/bitnamicharts/redis"


@pytest.mark.parametrize(
    ("ref", "why"),
    [
        ("https://charts.bitnami.com/bitnami/wordpress", "only oci://"),
        ("oci://charts.example.com/team/app", "not an upstream"),
        ("oci://registry-1.docker.io", "expected oci://host/path/chart"),
    ],
)
def test_what_cannot_go_through_the_cache(ref, why):
    with pytest.raises(ChartRefError, match=why):
        to_cache(ref, REGISTRY)


def test_reference_kinds(tmp_path):
    (tmp_path / "Chart.yaml").write_text("name: x\n")
    assert not ChartSource(str(tmp_path)).is_remote
    assert not ChartSource("./charts/app-1.0.0.tgz").is_remote
    assert ChartSource("bitnami/wordpress").is_remote
    assert ChartSource("wordpress", repo_url="https://charts.bitnami.com/bitnami").is_remote
    assert ChartSource("oci://registry-1.docker.io/bitnamicharts/wordpress").is_oci
    assert chart_name(ChartSource("oci://ghcr.io/a/app:1.0")) == "app"
    assert chart_name(ChartSource("dist/app-1.0.0.tgz")) == "app-1.0.0"
    assert oci_ref("registry-1.docker.io/bitnamicharts", "wordpress") == (
        "oci://registry-1.docker.io/bitnamicharts/wordpress"
    )
    assert oci_ref("oci://ghcr.io/org/", "app") == "oci://ghcr.io/org/app"
