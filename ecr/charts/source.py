"""Where a Helm chart comes from, and where it comes from through the cache.

A chart is named the way ``helm template`` names it: a local directory, a
``.tgz`` archive, ``repo/chart`` or ``chart`` with a repository URL, or an
``oci://host/path/chart`` reference.  Charts published as OCI artifacts on a
registry the cache fronts (Bitnami's ``oci://registry-1.docker.io/bitnamicharts``)
can be pulled through the cache like images: the host becomes the ECR registry
and the path gains the cache prefix.

Pure: no Helm, no network, no filesystem (except telling paths from names).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ecr import catalogue

OCI_SCHEME = "oci://"


class ChartRefError(ValueError):
    """A chart reference that cannot be understood; the message says why."""


@dataclass(frozen=True)
class ChartSource:
    """A chart to render: ``ref`` plus what Helm needs to fetch it."""

    ref: str  # directory, .tgz, chart name, repo/chart, or oci://...
    version: str | None = None  # chart version (--version / targetRevision)
    repo_url: str | None = None  # HTTP chart repository (--repo / repoURL)

    @property
    def is_oci(self) -> bool:
        return self.ref.startswith(OCI_SCHEME)

    @property
    def is_remote(self) -> bool:
        """True when Helm must download the chart (OCI or a chart repository)."""
        return self.is_oci or self.repo_url is not None or not looks_local(self.ref)

    def describe(self) -> str:
        text = self.ref
        if self.repo_url:
            text = f"{self.ref} from {self.repo_url}"
        if self.version:
            text += f" version {self.version}"
        return text


def looks_local(ref: str) -> bool:
    """A path on disk (existing, or spelled like a path or archive)."""
    if ref.startswith(OCI_SCHEME) or "://" in ref:
        return False
    return (
        ref.startswith((".", "/", "~"))
        or ref.endswith((".tgz", ".tar.gz"))
        or Path(ref).exists()
    )


def chart_name(source: ChartSource) -> str:
    """The chart's own name as the reference spells it (for messages and release names)."""
    ref = source.ref.rstrip("/")
    name = ref.rsplit("/", 1)[-1]
    if ":" in name and source.is_oci:
        name = name.split(":", 1)[0]
    for suffix in (".tgz", ".tar.gz"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name or ref


def oci_ref(repo_url: str, chart: str) -> str:
    """An ArgoCD-style OCI repository (``host/path``, with or without ``oci://``) plus chart."""
    base = repo_url[len(OCI_SCHEME) :] if repo_url.startswith(OCI_SCHEME) else repo_url
    base = base.rstrip("/")
    if not base or "://" in base:
        raise ChartRefError(f"not an OCI repository: {repo_url!r}")
    return f"{OCI_SCHEME}{base}/{chart}"


@dataclass(frozen=True)
class CachedChart:
    """The same OCI chart, pulled through the ECR cache."""

    source: str
    cache: str
    prefix: str


def to_cache(
    ref: str,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
) -> CachedChart:
    """``oci://registry-1.docker.io/bitnamicharts/wordpress`` -> ``oci://<registry>/docker-hub/...``.

    Only OCI charts can go through the cache; chart repositories served over
    HTTP (``https://charts.bitnami.com``) cannot.  A tag (``:1.2.3``) is kept.
    """
    if not ref.startswith(OCI_SCHEME):
        raise ChartRefError(
            f"{ref}: only oci:// charts can be pulled through the cache "
            "(HTTP chart repositories are not registries)"
        )
    rest = ref[len(OCI_SCHEME) :]
    host, _, path = rest.partition("/")
    if not host or not path:
        raise ChartRefError(f"{ref}: expected oci://host/path/chart")
    mapping = dict(host_prefixes) if host_prefixes is not None else catalogue.host_to_prefix()
    prefix = mapping.get(host.lower())
    if prefix is None:
        known = ", ".join(sorted(mapping))
        raise ChartRefError(f"{ref}: {host} is not an upstream the cache fronts ({known})")
    upstream = catalogue.for_host(host)
    name = path.split(":", 1)[0]
    if upstream is not None and upstream.official_namespace and "/" not in name:
        path = f"{upstream.official_namespace}/{path}"
    registry = registry.rstrip("/")
    return CachedChart(source=ref, cache=f"{OCI_SCHEME}{registry}/{prefix}/{path}", prefix=prefix)
