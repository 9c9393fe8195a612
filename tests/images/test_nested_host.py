"""A registry host inside an image path never passes for a cached image (QA finding).

A Bitnami-style chart puts ``image.registry`` (default docker.io) in front of
``image.repository``; a repository holding our full reference then renders as
``docker.io/<registry>/docker-hub/bitnami/x``, which pulls nothing.
"""

from __future__ import annotations

import pytest

from ecr.charts import images
from ecr.images.mapping import to_cache
from ecr.images.reference import InvalidReference
from ecr.values.rewrite import rewrite

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


def test_registry_inside_a_docker_hub_path_is_invalid() -> None:
    with pytest.raises(InvalidReference, match=r"registry host .* inside its path"):
        to_cache(f"docker.io/{REG}/docker-hub/bitnami/wordpress:6.7.1", REG)
    with pytest.raises(InvalidReference, match="registry host"):
        to_cache("docker.io/quay.io/jetstack/cert-manager:v1", REG)


def test_ordinary_namespaces_still_convert() -> None:
    assert str(to_cache("bitnami/wordpress:6.7.1", REG).cache) == \
        f"{REG}/docker-hub/bitnami/wordpress:6.7.1"
    assert str(to_cache("quay.io/my.org/app:1", REG).cache) == f"{REG}/quay/my.org/app:1"


@pytest.mark.parametrize("image", [
    f"docker.io/{REG}/docker-hub/bitnami/wordpress:6.7.1",  # chart registry + our reference
    f"{REG}/docker-hub/docker.io/bitnami/redis:7",  # the upstream host kept in the path
    f"{REG}/docker-hub/{REG}/docker-hub/bitnami/wordpress:6.7.1",  # converted twice
])
def test_classify_calls_nested_hosts_broken(image: str) -> None:
    verdict = images.classify(image, REG)
    assert verdict.status == images.BROKEN
    assert verdict.note and "registry host" in verdict.note


def test_cached_image_stays_cached() -> None:
    verdict = images.classify(f"{REG}/docker-hub/bitnami/wordpress:6.7.1", REG)
    assert verdict.status == images.CACHED


def test_files_mode_warns_about_repository_only_bitnami_values() -> None:
    result = rewrite("image:\n  repository: bitnami/wordpress\n  tag: 6.7.1\n", "v.yaml", REG)
    assert f"repository: {REG}/docker-hub/bitnami/wordpress" in result.text
    assert any("now holds the full reference" in n and f"registry: {REG}" in n
               for n in result.notes)


def test_no_warning_when_the_values_name_the_registry() -> None:
    text = "image:\n  registry: docker.io\n  repository: bitnami/wordpress\n"
    assert not any("full reference" in n for n in rewrite(text, "v.yaml", REG).notes)


def test_uncacheable_note_says_what_to_do() -> None:
    verdict = images.classify("registry.rocket.chat/rocketchat/rocket.chat:6.13.1", REG)
    assert verdict.status == images.UNCACHEABLE
    assert verdict.note and "--alias registry.rocket.chat=docker.io" in verdict.note
