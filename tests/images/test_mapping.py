"""ecr.images.mapping: upstream image <-> cache form, aliases, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr import catalogue
from ecr.images.mapping import (
    CacheImage,
    InvalidRegistry,
    UnsupportedRegistry,
    cacheable_hosts_text,
    expand_host_prefixes,
    from_cache,
    load_aliases,
    parse_alias,
    to_cache,
    validated_registry,
)
from ecr.images.reference import InvalidReference, parse

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
SHA = "sha256:" + "a" * 64

# input -> (cache reference, prefix, upstream URL)
TABLE: dict[str, tuple[str, str, str]] = {
    "nginx:1.27": (f"{REG}/docker-hub/library/nginx:1.27", "docker-hub", "registry-1.docker.io"),
    "nginx": (f"{REG}/docker-hub/library/nginx", "docker-hub", "registry-1.docker.io"),
    "library/nginx": (f"{REG}/docker-hub/library/nginx", "docker-hub", "registry-1.docker.io"),
    "docker.io/nginx": (f"{REG}/docker-hub/library/nginx", "docker-hub", "registry-1.docker.io"),
    "index.docker.io/nginx:1": (
        f"{REG}/docker-hub/library/nginx:1", "docker-hub", "registry-1.docker.io",
    ),
    "registry-1.docker.io/nginx:1": (
        f"{REG}/docker-hub/library/nginx:1", "docker-hub", "registry-1.docker.io",
    ),
    "registry-1.docker.io/bitnami/redis": (
        f"{REG}/docker-hub/bitnami/redis", "docker-hub", "registry-1.docker.io",
    ),
    "bitnami/wordpress:latest": (
        f"{REG}/docker-hub/bitnami/wordpress:latest", "docker-hub", "registry-1.docker.io",
    ),
    "docker.io/bitnami/mongodb:7.0": (
        f"{REG}/docker-hub/bitnami/mongodb:7.0", "docker-hub", "registry-1.docker.io",
    ),
    f"quay.io/a/b@{SHA}": (f"{REG}/quay/a/b@{SHA}", "quay", "quay.io"),
    f"quay.io/a/b:1.0@{SHA}": (f"{REG}/quay/a/b:1.0@{SHA}", "quay", "quay.io"),
    "ghcr.io/dexidp/dex:v2.41.1": (f"{REG}/github/dexidp/dex:v2.41.1", "github", "ghcr.io"),
    "registry.k8s.io/ingress-nginx/controller:v1.11.2": (
        f"{REG}/k8s/ingress-nginx/controller:v1.11.2", "k8s", "registry.k8s.io",
    ),
    "public.ecr.aws/docker/library/nginx:1.27": (
        f"{REG}/ecr-public/docker/library/nginx:1.27", "ecr-public", "public.ecr.aws",
    ),
    "QUAY.IO/a/b": (f"{REG}/quay/a/b", "quay", "quay.io"),
}


@pytest.mark.parametrize("image", list(TABLE))
def test_to_cache_table(image: str) -> None:
    cache, prefix, upstream = TABLE[image]
    result = to_cache(image, REG)
    assert str(result.cache) == cache
    assert (result.prefix, result.upstream, result.warning) == (prefix, upstream, None)
    assert result.source == parse(image)
    assert result.changed
    # converting twice changes nothing
    again = to_cache(str(result.cache), REG)
    assert again.cache == result.cache and again.prefix is None and not again.changed


def test_reference_object_input() -> None:
    assert str(to_cache(parse("nginx"), REG).cache) == f"{REG}/docker-hub/library/nginx"


@pytest.mark.parametrize(
    "image",
    ["gcr.io/google-containers/pause:3.2", "registry.rocket.chat/rocketchat/rocket.chat",
     "mcr.microsoft.com/dotnet/runtime:8.0", "localhost:5000/x", "Foo/bar"],
)
def test_unsupported_hosts_are_refused_with_what_can_be_cached(image: str) -> None:
    with pytest.raises(UnsupportedRegistry) as info:
        to_cache(image, REG)
    message = str(info.value)
    host = parse(image).domain
    assert message.startswith(f"{host} cannot be cached")
    for upstream in catalogue.CATALOGUE:
        assert f"-> {upstream.prefix}/" in message
    assert f"--alias {host}=" in message
    assert "cgr.dev" in message  # what ECR could also front


def test_alias_maps_an_uncacheable_host() -> None:
    aliases = {"registry.rocket.chat": "docker.io"}
    result = to_cache("registry.rocket.chat/rocketchat/rocket.chat", REG, aliases=aliases)
    assert str(result.cache) == f"{REG}/docker-hub/rocketchat/rocket.chat"
    assert result.source == parse("registry.rocket.chat/rocketchat/rocket.chat")
    # single-component path gets library/ once it is on Docker Hub
    mirror = {"mirror.example.com": "docker.io"}
    result = to_cache("mirror.example.com/nginx:1", REG, aliases=mirror)
    assert str(result.cache) == f"{REG}/docker-hub/library/nginx:1"
    # aliases are case-insensitive hosts
    result = to_cache("Mirror.Example.com/x/y", REG, aliases={"MIRROR.example.com": "quay.io"})
    assert str(result.cache) == f"{REG}/quay/x/y"


def test_frozen_k8s_gcr_io_maps_with_a_warning() -> None:
    result = to_cache("k8s.gcr.io/pause:3.1", REG)
    assert str(result.cache) == f"{REG}/k8s/pause:3.1"
    assert result.warning is not None and "frozen" in result.warning


def test_already_in_registry_is_unchanged_and_warns_about_mistakes() -> None:
    good = to_cache(f"{REG}/docker-hub/library/nginx:1", REG)
    assert not good.changed and good.warning is None and good.prefix is None
    missing_library = to_cache(f"{REG}/docker-hub/nginx:1", REG)
    assert not missing_library.changed
    assert missing_library.warning is not None and "library/" in missing_library.warning
    private = to_cache(f"{REG}/custom-apps/api:1", REG)
    assert private.warning is not None and "under no cache prefix" in private.warning


def test_custom_prefixes_from_the_stack() -> None:
    # the stack may name only one host per cache; every host of that upstream follows
    prefixes = {"registry-1.docker.io": "hub", "quay.io": "q"}
    assert str(to_cache("nginx", REG, prefixes).cache) == f"{REG}/hub/library/nginx"
    assert str(to_cache("quay.io/a/b", REG, prefixes).cache) == f"{REG}/q/a/b"
    with pytest.raises(UnsupportedRegistry):
        to_cache("ghcr.io/a/b", REG, prefixes)  # not deployed in this stack
    assert expand_host_prefixes(prefixes)["index.docker.io"] == "hub"
    assert from_cache(f"{REG}/hub/library/nginx", REG, prefixes) == parse("nginx")


def test_ecr_repository_name_rules_give_a_warning() -> None:
    result = to_cache("dock__er/x", REG)
    assert result.warning is not None and "may not be cacheable" in result.warning


def test_cache_path_too_long() -> None:
    with pytest.raises(InvalidReference, match="at most 255"):
        to_cache("a/" * 120 + "b" * 10, REG)


@pytest.mark.parametrize("registry", ["https://x.example.com", "", "a b", "x.example.com/path"])
def test_bad_registry(registry: str) -> None:
    with pytest.raises(InvalidRegistry, match="not a host name"):
        to_cache("nginx", registry)
    with pytest.raises(InvalidRegistry):
        validated_registry(registry)


def test_from_cache_inverts_to_cache() -> None:
    for image in TABLE:
        result = to_cache(image, REG)
        upstream = from_cache(result.cache, REG)
        canonical_host = catalogue.for_host(result.source.domain.lower())
        assert canonical_host is not None
        assert upstream.domain == canonical_host.canonical_host
        assert (upstream.tag, upstream.digest) == (result.source.tag, result.source.digest)
    with pytest.raises(InvalidReference, match="not under any cache prefix"):
        from_cache(f"{REG}/custom/app", REG)
    with pytest.raises(InvalidReference, match="not in registry"):
        from_cache("quay.io/a/b", REG)


def test_bitnami_detection() -> None:
    assert to_cache("bitnami/mongodb", REG).is_bitnami
    assert to_cache("bitnamilegacy/mongodb:7.0", REG).is_bitnami
    assert to_cache(f"{REG}/docker-hub/bitnami/mongodb", REG).is_bitnami
    assert not to_cache("mongo:7", REG).is_bitnami
    assert isinstance(to_cache("nginx", REG), CacheImage)


def test_parse_alias() -> None:
    assert parse_alias("Registry.Rocket.Chat=docker.io") == ("registry.rocket.chat", "docker.io")
    for bad in ["registry.rocket.chat", "=docker.io", "a=", "a/b=docker.io", "a=https://x"]:
        with pytest.raises(ValueError, match="alias"):
            parse_alias(bad)


def test_load_aliases_file(tmp_path: Path) -> None:
    path = tmp_path / "aliases.conf"
    path.write_text(
        "# mirrors\nregistry.rocket.chat = docker.io  # same images\n\nmirror.gcr.io: docker.io\n"
    )
    assert load_aliases(path) == {"registry.rocket.chat": "docker.io", "mirror.gcr.io": "docker.io"}
    path.write_text("ok.example.com=docker.io\nnot an alias\n")
    with pytest.raises(ValueError, match=r"aliases.conf:2"):
        load_aliases(path)


def test_cacheable_hosts_text_lists_every_cache() -> None:
    text = cacheable_hosts_text()
    for upstream in catalogue.CATALOGUE:
        assert f"-> {upstream.prefix}/" in text
        for host in upstream.hosts:
            assert host in text


def test_alias_to_an_uncacheable_host_is_explained() -> None:
    with pytest.raises(UnsupportedRegistry, match=r"^gcr\.io \(alias of mirror\.example\.com\)"):
        to_cache("mirror.example.com/a/b", REG, aliases={"mirror.example.com": "gcr.io"})


SECOND_REG = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("ecr-public.aws.com/docker/library/redis:7",
         f"{SECOND_REG}/ecr-public/docker/library/redis:7"),
        ("registry.hub.docker.com/bitnami/nginx:1.27",
         f"{SECOND_REG}/docker-hub/bitnami/nginx:1.27"),
        ("registry.hub.docker.com/library/nginx:1.27",
         f"{SECOND_REG}/docker-hub/library/nginx:1.27"),
        ("index.docker.io/nginx:1.27", f"{SECOND_REG}/docker-hub/library/nginx:1.27"),
        # already in the registry under its dual-stack name: unchanged
        ("123456789012.dkr-ecr.eu-west-1.on.aws/docker-hub/library/nginx:1.27",
         "123456789012.dkr-ecr.eu-west-1.on.aws/docker-hub/library/nginx:1.27"),
    ],
)
def test_second_host_names(image: str, expected: str) -> None:
    assert str(to_cache(image, SECOND_REG).cache) == expected
    assert str(to_cache(expected, SECOND_REG).cache) == expected  # idempotent


def test_dual_stack_name_inside_a_path_is_a_nested_registry() -> None:
    with pytest.raises(InvalidReference, match="inside its path"):
        to_cache("docker.io/123456789012.dkr-ecr.eu-west-1.on.aws/docker-hub/x", SECOND_REG)
