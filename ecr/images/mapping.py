"""Image reference -> its ECR pull-through cache form.  SHARED API: other modules import this.

``to_cache("nginx:1.27", registry)`` gives ``<registry>/docker-hub/library/nginx:1.27``:
the cache prefix comes from the one upstream catalogue (:mod:`ecr.catalogue`, or the
deployed stack's ``cache_prefixes``), the upstream path is kept (with ``library/`` for
official Docker Hub images, which ECR needs spelled out), and the tag and digest are
kept as they are.  A reference already in the registry comes back unchanged, so
converting twice changes nothing.  ``from_cache`` is the inverse.

Hosts ECR cannot cache raise :class:`UnsupportedRegistry`, unless an alias says which
cacheable host serves the same images (``registry.rocket.chat=docker.io``).
Pure: no I/O, except :func:`load_aliases`, which reads a small config file.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ecr import catalogue
from ecr.images.reference import PATH_MAX_LENGTH, InvalidReference, Reference, parse

__all__ = [
    "CacheImage",
    "InvalidRegistry",
    "UnsupportedRegistry",
    "cacheable_hosts_text",
    "expand_host_prefixes",
    "from_cache",
    "load_aliases",
    "parse_alias",
    "to_cache",
]

# ECR's repositoryName pattern: stricter than Docker's (no "__", no "--").
_ECR_REPOSITORY_RE = re.compile(
    r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*", re.ASCII
)
_HOST_RE = re.compile(
    r"(?:(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
    r"(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?",
    re.ASCII,
)
_BITNAMI_NAMESPACES = ("bitnami", "bitnamilegacy", "bitnamisecure", "bitnamicharts")


class UnsupportedRegistry(ValueError):
    """An image host the ECR pull-through cache cannot front (and no alias for it)."""


class InvalidRegistry(ValueError):
    """The target registry (``--registry``/``ECR_REGISTRY``) is not a host name."""


@dataclass(frozen=True)
class CacheImage:
    """One image and where it lives in the cache."""

    source: Reference  # as parsed (normalised)
    cache: Reference  # domain=<registry>, path=<prefix>/<upstream path>; same tag/digest
    prefix: str | None  # None when the input already was in the registry
    upstream: str | None  # the rule's upstream registry URL, e.g. "registry-1.docker.io"
    warning: str | None  # e.g. k8s.gcr.io is frozen

    @property
    def changed(self) -> bool:
        return self.cache != self.source

    @property
    def is_bitnami(self) -> bool:
        """An image of a Bitnami namespace (those charts refuse relocated images)."""
        if self.prefix is not None:
            candidates = self.cache.path[len(self.prefix) + 1 :].split("/")[:1]
        else:  # already in the registry: <prefix>/bitnami/x (or a one-component prefix)
            candidates = self.cache.path.split("/")[:2]
        return any(part in _BITNAMI_NAMESPACES for part in candidates)


def validated_registry(registry: str) -> str:
    """The registry host, validated; raise :class:`InvalidRegistry` with what to give.

    A single label (``nginx``) is refused: an image reference would read it as a
    Docker Hub name, so a registry host needs a dot, a port or to be ``localhost``.
    """
    if not _HOST_RE.fullmatch(registry):
        raise InvalidRegistry(
            f"registry {registry!r} is not a host name: give "
            "<account>.dkr.ecr.<region>.amazonaws.com (no scheme, no path)"
        )
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry
    if "." not in host and ":" not in registry and host.lower() != "localhost":
        raise InvalidRegistry(
            f"registry {registry!r} is a single name, not a registry host: a registry host "
            "has a dot or a port (<account>.dkr.ecr.<region>.amazonaws.com, or host:port "
            "for a test registry)"
        )
    return registry


def expand_host_prefixes(host_prefixes: Mapping[str, str] | None) -> dict[str, str]:
    """Image host -> cache prefix, with every alias host of a catalogue upstream filled in.

    The stack may name one host per cache (``registry-1.docker.io`` or ``docker.io``);
    images use any of the upstream's hosts, so each gets the same prefix.
    """
    if host_prefixes is None:
        return catalogue.host_to_prefix()
    expanded = {host.lower(): prefix for host, prefix in host_prefixes.items()}
    for upstream in catalogue.CATALOGUE:
        names = {*upstream.hosts, upstream.upstream_url}
        prefix = next((expanded[h] for h in names if h in expanded), None)
        if prefix is not None:
            for host in upstream.hosts:
                expanded.setdefault(host, prefix)
    return expanded


def cacheable_hosts_text(host_prefixes: Mapping[str, str] | None = None) -> str:
    """One line per configured cache: ``docker.io, index.docker.io -> docker-hub/``."""
    by_prefix: dict[str, list[str]] = {}
    for host, prefix in expand_host_prefixes(host_prefixes).items():
        by_prefix.setdefault(prefix, []).append(host)
    return "\n".join(
        f"  {', '.join(hosts)} -> {prefix}/" for prefix, hosts in by_prefix.items()
    )


def _unsupported(host: str, image: str, host_prefixes: Mapping[str, str]) -> UnsupportedRegistry:
    others = "; ".join(catalogue.OTHER_ECR_UPSTREAMS)
    return UnsupportedRegistry(
        f"{host} cannot be cached: the ECR pull-through cache here fronts only\n"
        f"{cacheable_hosts_text(host_prefixes)}\n"
        f"  (ECR could also front: {others}; none is configured.)\n"
        f"  If {image} is also published on a cacheable host, alias it: "
        f"--alias {host}=<that host> (e.g. docker.io)."
    )


def _upstream_url(host: str) -> str:
    for upstream in catalogue.CATALOGUE:
        if host in upstream.hosts:
            return upstream.upstream_url
    return host


def _official_namespace(host: str) -> str | None:
    for upstream in catalogue.CATALOGUE:
        if host in upstream.hosts:
            return upstream.official_namespace
    return None


def to_cache(
    image: str | Reference,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> CacheImage:
    """Where ``image`` lives in the cache of ``registry``.

    Raises :class:`InvalidReference` (bad text), :class:`UnsupportedRegistry` (a host
    ECR cannot cache, and no alias), :class:`InvalidRegistry` (bad ``registry``).
    """
    validated_registry(registry)
    source = parse(image) if isinstance(image, str) else image
    mapping = expand_host_prefixes(host_prefixes)
    if catalogue.same_registry(source.domain, registry):
        return CacheImage(source, source, None, None, _in_registry_warning(source, mapping))
    upstream_ref = source
    warning = None
    host = source.domain.lower()
    alias_map = {k.lower(): v.lower() for k, v in (aliases or {}).items()}
    if host in alias_map:
        upstream_ref = _rehost(source, alias_map[host])
        host = upstream_ref.domain.lower()
    elif host in catalogue.FROZEN_HOSTS and host not in mapping:
        target, why = catalogue.FROZEN_HOSTS[host]
        upstream_ref = _rehost(source, target)
        host = target
        warning = why
    prefix = mapping.get(host)
    if prefix is None:
        if upstream_ref is not source:  # an alias pointed at a host we cannot cache either
            raise UnsupportedRegistry(
                f"{host} (alias of {source.domain}) cannot be cached either:\n"
                f"{cacheable_hosts_text(mapping)}"
            )
        raise _unsupported(source.domain, str(source), mapping)
    path = upstream_ref.path
    nested = _nested_host(path, registry, mapping)
    if nested is not None:
        raise InvalidReference(
            f"{source} has a registry host ({nested}) inside its path: the chart put its "
            f"own registry ({source.domain}) in front of a full reference. Give the registry "
            "and the repository separately (image.registry: <registry>, image.repository: "
            "<prefix>/...)"
        )
    official = _official_namespace(host)
    if official is not None and "/" not in path:
        path = f"{official}/{path}"
    cache_path = f"{prefix}/{path}"
    if len(cache_path) > PATH_MAX_LENGTH:
        raise InvalidReference(
            f"cache path {cache_path!r} would be {len(cache_path)} characters; "
            f"at most {PATH_MAX_LENGTH} allowed"
        )
    if not _ECR_REPOSITORY_RE.fullmatch(cache_path):
        note = (
            f"ECR repository names allow single '.', '_' or '-' separators only; "
            f"{cache_path!r} may not be cacheable"
        )
        warning = f"{warning}; {note}" if warning else note
    cache = Reference(registry, cache_path, source.tag, source.digest)
    return CacheImage(source, cache, prefix, _upstream_url(host), warning)


def _nested_host(path: str, registry: str, mapping: Mapping[str, str]) -> str | None:
    """The first path component when it is a registry host we know (ours, an ECR
    registry, or a cacheable upstream): no upstream namespace looks like one."""
    first, sep, _ = path.partition("/")
    if not sep:
        return None
    name = first.lower()
    known = (
        catalogue.same_registry(name, registry) or name in mapping
        or name in catalogue.FROZEN_HOSTS
    )
    # An ECR registry host inside a path: a chart put its own registry in front of a
    # reference that already named one.
    return first if known or catalogue.parse_registry_host(name) else None


def _rehost(ref: Reference, host: str) -> Reference:
    """``ref`` on another host, normalised again (``docker.io`` adds ``library/``)."""
    try:
        return parse(f"{host}/{ref.path}{ref.suffix}")
    except InvalidReference as exc:
        raise InvalidReference(f"alias target {host!r} gives an invalid reference: {exc}") from exc


def _in_registry_warning(ref: Reference, mapping: Mapping[str, str]) -> str | None:
    """Spot references that are in the registry but cannot be served by the cache."""
    for prefix in sorted(set(mapping.values()), key=len, reverse=True):
        if ref.path.startswith(prefix + "/"):
            rest = ref.path[len(prefix) + 1 :]
            nested = _nested_host(rest, ref.domain, mapping)
            if nested is not None:
                return (
                    f"{ref.name} keeps a registry host ({nested}) after the cache prefix: "
                    f"the cache fetches {prefix}/<path> from its upstream, so this will not "
                    f"resolve; use {ref.domain}/{prefix}/<path without the host>"
                )
            hosts = [h for h, p in mapping.items() if p == prefix]
            official = next((n for h in hosts if (n := _official_namespace(h))), None)
            if official is not None and "/" not in rest:
                return (
                    f"{ref.name} lacks '{official}/': official Docker Hub images are "
                    f"{ref.domain}/{prefix}/{official}/{rest} in the cache"
                )
            return None
    return (
        f"{ref.name} is in the registry but under no cache prefix "
        f"({', '.join(sorted(set(mapping.values())))}): fine for a private repository, "
        "but the pull-through cache will not fill it"
    )


def from_cache(
    cache: str | Reference, registry: str, host_prefixes: Mapping[str, str] | None = None
) -> Reference:
    """The upstream image a cache reference pulls (inverse of :func:`to_cache`).

    Raises :class:`InvalidReference` when ``cache`` is not under a cache prefix of
    ``registry``.
    """
    ref = parse(cache) if isinstance(cache, str) else cache
    if not catalogue.same_registry(ref.domain, registry):
        raise InvalidReference(f"{ref} is not in registry {registry}")
    mapping = expand_host_prefixes(host_prefixes)
    # Longest prefix first: prefixes may contain '/'.
    canonical: dict[str, str] = {}
    for upstream in catalogue.CATALOGUE:
        for host in upstream.hosts:
            if host in mapping:
                canonical.setdefault(mapping[host], upstream.canonical_host)
    for host, prefix in mapping.items():
        canonical.setdefault(prefix, host)
    for prefix in sorted(canonical, key=len, reverse=True):
        if ref.path.startswith(prefix + "/"):
            rest = ref.path[len(prefix) + 1 :]
            return parse(f"{canonical[prefix]}/{rest}{ref.suffix}")
    raise InvalidReference(f"{ref} is in {registry} but not under any cache prefix")


def parse_alias(text: str) -> tuple[str, str]:
    """``from=to`` (two hosts) -> ``("from", "to")``; ValueError saying what is wrong."""
    source, eq, target = text.partition("=")
    source, target = source.strip().lower(), target.strip().lower()
    if not eq or not source or not target:
        raise ValueError(f"alias {text!r} must be HOST=HOST, e.g. registry.rocket.chat=docker.io")
    for host in (source, target):
        if not _HOST_RE.fullmatch(host) or "/" in host:
            raise ValueError(f"alias {text!r}: {host!r} is not a registry host name")
    return source, target


def load_aliases(path: str | Path) -> dict[str, str]:
    """Aliases from a file: one ``from-host = to-host`` per line; ``#`` comments.

    A YAML-style ``from-host: to-host`` line is accepted too.
    """
    aliases: dict[str, str] = {}
    text = Path(path).read_text(encoding="utf-8")
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" not in line and ": " in line:
            line = line.replace(": ", "=", 1)
        elif "=" not in line and line.endswith(":"):
            raise ValueError(f"{path}:{number}: expected HOST=HOST, got {raw.strip()!r}")
        try:
            source, target = parse_alias(line)
        except ValueError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
        aliases[source] = target
    return aliases


ALIASES_ENV = "ECR_IMAGE_ALIASES"  # a default aliases file, for every command


def collect_aliases(flags: Sequence[str], path: str | None = None) -> dict[str, str]:
    """``--aliases-file`` (else ``$ECR_IMAGE_ALIASES``) then ``--alias`` flags, which win.

    One function so convert, images and verify agree on what a host is an alias of.
    Raises ValueError with the place and what to write.
    """
    aliases: dict[str, str] = {}
    path = path or os.environ.get(ALIASES_ENV)
    if path:
        try:
            aliases.update(load_aliases(path))
        except OSError as exc:
            raise ValueError(f"aliases file {path}: {exc.strerror or exc}") from None
    for text in flags:
        source, target = parse_alias(text)
        aliases[source] = target
    return aliases
