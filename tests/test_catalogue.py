"""The upstream catalogue: the facts every other module reads (docs/facts.md, first table)."""

from __future__ import annotations

import pytest

from ecr import catalogue

# prefix, upstream URL for the rule, hosts that map to it, needs credentials
EXPECTED = [
    (
        "docker-hub",
        "registry-1.docker.io",
        {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"},
        True,
    ),
    ("quay", "quay.io", {"quay.io"}, False),
    ("github", "ghcr.io", {"ghcr.io"}, True),
    ("k8s", "registry.k8s.io", {"registry.k8s.io"}, False),
    ("ecr-public", "public.ecr.aws", {"public.ecr.aws", "ecr-public.aws.com"}, False),
]


@pytest.mark.parametrize(("prefix", "url", "hosts", "creds"), EXPECTED)
def test_catalogue_matches_the_facts(prefix, url, hosts, creds):
    upstream = catalogue.by_prefix(prefix)
    assert upstream.upstream_url == url
    assert set(upstream.hosts) == hosts
    assert upstream.needs_credentials is creds
    assert upstream.secret_name == f"ecr-pullthroughcache/{prefix}"
    assert catalogue.prefix_problem(prefix) is None


def test_defaults_are_the_whole_catalogue_and_hosts_are_unique():
    assert tuple(e[0] for e in EXPECTED) == catalogue.DEFAULT_CACHES
    hosts = [h for u in catalogue.CATALOGUE for h in u.hosts]
    assert len(hosts) == len(set(hosts))
    assert catalogue.host_to_prefix(["quay"]) == {"quay.io": "quay"}


def test_unknown_cache_names_the_known_ones():
    with pytest.raises(catalogue.UnknownCacheError, match="docker-hub, quay"):
        catalogue.by_prefix("dockerhub")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("123456789012.dkr.ecr.af-south-1.amazonaws.com", ("123456789012", "af-south-1")),
        ("123456789012.dkr.ecr.af-south-1.amazonaws.com:443", ("123456789012", "af-south-1")),
        ("123456789012.DKR.ECR.af-south-1.amazonaws.com", ("123456789012", "af-south-1")),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", ("123456789012", "cn-north-1")),
        ("123456789012.dkr-ecr.eu-west-1.on.aws", ("123456789012", "eu-west-1")),
        ("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", ("123456789012", "us-east-1")),
        ("12345678901.dkr.ecr.af-south-1.amazonaws.com", None),  # 11 digits
        ("public.ecr.aws", None),
        ("123456789012.dkr.ecr.af-south-1.amazonaws.com.evil.example", None),
        ("docker.io", None),
    ],
)
def test_registry_hosts(host, expected):
    assert catalogue.parse_registry_host(host) == expected


def test_registry_host_is_built_for_the_partition():
    assert catalogue.registry_host("123456789012", "af-south-1") == (
        "123456789012.dkr.ecr.af-south-1.amazonaws.com"
    )
    assert catalogue.registry_host("123456789012", "cn-north-1").endswith(".amazonaws.com.cn")


@pytest.mark.parametrize(
    ("prefix", "ok"),
    [("docker-hub", True), ("a", False), ("x" * 31, False), ("Docker", False), ("ROOT", True),
     ("team/cache", True), ("-bad", False)],
)
def test_prefix_rules(prefix, ok):
    assert (catalogue.prefix_problem(prefix) is None) is ok


@pytest.mark.parametrize(
    ("host", "same"),
    [
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", True),
        ("123456789012.DKR.ECR.eu-west-1.amazonaws.com", True),
        ("123456789012.dkr-ecr.eu-west-1.on.aws", True),
        ("123456789012.dkr.ecr-fips.eu-west-1.amazonaws.com", True),
        ("123456789012.dkr-ecr.eu-west-2.on.aws", False),
        ("210987654321.dkr-ecr.eu-west-1.on.aws", False),
        ("public.ecr.aws", False),
    ],
)
def test_same_registry_under_its_second_names(host, same):
    assert catalogue.same_registry(host, "123456789012.dkr.ecr.eu-west-1.amazonaws.com") is same


def test_second_host_names_map_to_their_caches():
    mapping = catalogue.host_to_prefix()
    assert mapping["ecr-public.aws.com"] == "ecr-public"
    assert mapping["registry.hub.docker.com"] == "docker-hub"
    assert mapping["index.docker.io"] == "docker-hub"
    assert catalogue.by_prefix("ecr-public").canonical_host == "public.ecr.aws"
