"""Which images a Helm release runs, and whether each goes through the cache.

The shared core of ``images``, ``verify --chart`` and ``convert --chart``: a
:class:`Release` (chart + values, from command-line flags or an ArgoCD
Application) is rendered with real Helm (:mod:`ecr.charts.helm`), its manifests
walked for containers (:mod:`ecr.images.workload`) and each image classified
against the registry (:mod:`ecr.images.mapping`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecr.charts import argocd, helm, provenance
from ecr.charts import source as chart_source
from ecr.charts.argocd import AppChart, ValuesSpec
from ecr.charts.defaults import chart_defaults
from ecr.charts.helm import HelmFailure, ValuesLayer
from ecr.charts.source import ChartSource, chart_name
from ecr.images import mapping
from ecr.images.reference import InvalidReference, parse
from ecr.images.workload import EMBEDDED, WorkloadImage, from_manifests

# Verdicts, from good to bad.
CACHED = "cached"  # pulled through the cache
IN_REGISTRY = "registry"  # in the registry, not under a cache prefix (e.g. custom-apps)
BYPASS = "bypass"  # cacheable upstream, but pulled straight from it
UNCACHEABLE = "uncacheable"  # a host the cache cannot front
BROKEN = "broken"  # looks like the cache, but will not resolve (or not a reference)
FAILING = (BYPASS, UNCACHEABLE, BROKEN)


@dataclass(frozen=True)
class Release:
    """One ``helm template``: a chart and its values in Helm's order (lowest first)."""

    label: str  # what the report calls it: the Application or the chart
    chart: ChartSource
    values: tuple[ValuesSpec, ...] = ()
    release: str = "release"
    namespace: str = "default"
    manifest: Path | None = None  # the Application file, when there is one

    @property
    def value_files(self) -> list[Path]:
        return [spec.path for spec in self.values if spec.path is not None]


def from_app(app: AppChart) -> Release:
    return Release(app.app, app.chart, app.values, app.release, app.namespace, app.manifest)


@dataclass(frozen=True)
class ChartRequest:
    """What to render: a chart with its values (``chart`` set), or the Helm Applications
    under ``apps``; and how to fetch charts.  The command line builds it
    (:mod:`ecr.cli.chart_input`); nothing here reads flags."""

    chart: str | None = None
    chart_version: str | None = None
    chart_repo: str | None = None
    values_files: tuple[Path, ...] = ()
    set_values: tuple[str, ...] = ()
    release_name: str | None = None
    namespace: str = "default"
    apps: tuple[Path, ...] = ()  # ArgoCD Application manifests, or directories holding them
    repo_root: Path | None = None  # what $values/... and Application chart paths refer to
    plain_http: bool = False  # fetch oci:// charts over plain HTTP (test registries)
    dependency_build: bool = False  # fetch a chart directory's missing dependencies first
    charts_via_cache: bool = False  # pull oci:// charts through the cache

    @property
    def has_input(self) -> bool:
        return bool(self.chart or self.apps)


class RequestError(ValueError):
    """A :class:`ChartRequest` that describes nothing to render, or two things at once."""


def releases(
    request: ChartRequest, notes: list[str] | None = None
) -> tuple[list[Release], list[str]]:
    """The releases ``request`` describes, and problems with Applications found
    (``notes``: what was left alone on purpose, e.g. templated ApplicationSet parts).

    Raises :class:`RequestError` for a request naming nothing or both a chart and
    Applications, :class:`ecr.charts.argocd.ApplicationError` for a missing path.
    """
    apps = request.apps
    if request.chart and apps:
        raise RequestError("give either --chart or Application paths, not both")
    if request.chart:
        values = [ValuesSpec(origin=str(p), path=p) for p in request.values_files]
        values += [ValuesSpec(origin=f"--set {s}", parameter=s) for s in request.set_values]
        source = ChartSource(request.chart, version=request.chart_version,
                             repo_url=request.chart_repo)
        name = request.release_name or chart_name(source)
        return [Release(name, source, tuple(values), name, request.namespace)], []
    if request.values_files or request.set_values:
        raise RequestError(
            "--values/--set go with --chart (Applications carry their own values)")
    if not apps:
        raise RequestError(
            "nothing to render: give --chart CHART, or paths to ArgoCD Applications")
    found, problems = argocd.discover(list(apps), request.repo_root, notes)
    if not found and not problems and not notes:
        raise RequestError(
            "no ArgoCD Application with a Helm source under " + ", ".join(map(str, apps))
        )
    return [from_app(app) for app in found], problems


def layers(release: Release, overrides: Mapping[Path, str] | None = None) -> list[ValuesLayer]:
    """The release's values as Helm layers; ``overrides`` replaces a file's text (dry runs)."""
    out = []
    for spec in release.values:
        if spec.path is not None:
            if overrides is not None and spec.path in overrides:
                out.append(helm.values_text(overrides[spec.path], str(spec.path)))
            else:
                out.append(helm.values_file(spec.path))
        elif spec.text is not None:
            out.append(helm.values_text(spec.text, spec.origin))
        elif spec.data is not None:
            out.append(ValuesLayer(spec.origin, dict(spec.data)))
        elif spec.parameter is not None:
            out.append(helm.set_value(spec.parameter, force_string=spec.force_string))
    return out


def workloads(
    release: Release,
    chart_path: Path,
    overrides: Mapping[Path, str] | None = None,
    extra: Sequence[ValuesLayer] = (),
    *,
    embedded: bool = False,
) -> list[WorkloadImage]:
    """Every container image of ``release``, rendered by Helm from a fetched chart
    (``embedded``: and every word of the containers' args and env values, and the images
    custom resources name)."""
    manifests = helm.render(
        chart_path,
        [*layers(release, overrides), *extra],
        release=release.release,
        namespace=release.namespace,
    )
    try:
        return from_manifests(manifests, embedded=embedded)
    except ValueError as exc:
        raise HelmFailure(str(exc)) from exc


def traced(
    release: Release, chart_path: Path, *, launched: bool = False
) -> list[tuple[WorkloadImage, str]]:
    """Every container image of ``release`` with the values that compose it
    (:mod:`ecr.charts.provenance`): ``global.image.registry + controller.image.image``,
    or the template that writes it.  ``launched``: after the containers, the images an
    operator launches (named in args, env, a custom resource or a ConfigMap;
    ``container_type`` in :data:`~ecr.images.workload.EMBEDDED`), traced the same way."""
    # what Helm renders, refusals included
    rendered = workloads(release, chart_path, embedded=launched)
    keys = provenance.keyed(rendered)  # keyed as the tracer keys them: before filtering
    real = {key: item for key, item in keys.items()
            if item.container_type not in EMBEDDED or provenance.image_word(item)}
    try:
        tracer = provenance.Tracer(
            chart_path, layers(release), chart_defaults(chart_path),
            release=release.release, namespace=release.namespace, embedded=launched,
        )
    except (HelmFailure, KeyError, IndexError, TypeError, ValueError) as exc:
        # the listing must not depend on tracing, which only explains it
        return [(item, f"not traced: {exc}") for item in real.values()]
    by_item = {id(item): key for key, item in provenance.pair(
        tracer.baseline, list(real.values()))[0].items()}
    out = []
    for item in real.values():
        key = by_item.get(id(item))
        trace = tracer.traces.get(key) if key is not None else None
        out.append((item, trace.summary() if trace else "not traced"))
    return out


@dataclass(frozen=True)
class Verdict:
    status: str
    cache: str | None = None  # the cache form, when the image is cacheable
    note: str | None = None


def classify(
    image: str,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> Verdict:
    """Whether ``image`` goes through the cache of ``registry``."""
    try:
        ref = parse(image)
    except InvalidReference as exc:
        return Verdict(BROKEN, note=f"not an image reference: {exc}")
    try:
        mapped = mapping.to_cache(ref, registry, host_prefixes, aliases)
    except mapping.UnsupportedRegistry:
        return Verdict(UNCACHEABLE, note=(
            f"{ref.domain} is not an upstream the cache fronts: mirror the image, or "
            f"--alias {ref.domain}=docker.io (or another cacheable host) if it is published "
            "there too"))
    except InvalidReference as exc:
        return Verdict(BROKEN, note=str(exc))
    if mapped.prefix is None:  # already in the registry
        if mapped.warning is None:
            return Verdict(CACHED, str(mapped.cache))
        if "under no cache prefix" in mapped.warning:
            return Verdict(IN_REGISTRY, str(mapped.cache))
        return Verdict(BROKEN, note=mapped.warning)
    return Verdict(BYPASS, str(mapped.cache), mapped.warning)


@dataclass(frozen=True)
class Found:
    """One container of one release, with its verdict."""

    release: str
    workload: WorkloadImage
    verdict: Verdict
    values: str | None = None  # which values compose it (provenance), when traced

    def as_dict(self) -> dict[str, Any]:
        return {
            "release": self.release,
            "status": self.verdict.status,
            **self.workload.as_dict(),
            "cache_image": self.verdict.cache,
            "note": self.verdict.note,
            "values": self.values,
        }


class Fetcher:
    """Fetches each remote chart once, however many Applications use it.

    With ``cache`` (registry, host prefixes), ``oci://`` charts on an upstream the
    cache fronts are pulled through it (``--charts-via-cache``); the chart reference
    in the report stays the upstream one.
    """

    def __init__(
        self,
        workdir: Path,
        plain_http: bool,
        cache: tuple[str, Mapping[str, str]] | None = None,
        dependency_build: bool = False,
    ) -> None:
        self.workdir = workdir
        self.plain_http = plain_http
        self.cache = cache
        self.dependency_build = dependency_build
        self._done: dict[ChartSource, Path] = {}

    def get(self, source: ChartSource) -> Path:
        if source not in self._done:
            fetch = source
            if self.cache is not None and source.is_oci:
                registry, host_prefixes = self.cache
                try:
                    cached = chart_source.to_cache(source.ref, registry, host_prefixes)
                except chart_source.ChartRefError as exc:
                    raise HelmFailure(f"--charts-via-cache: {exc}") from exc
                fetch = ChartSource(cached.cache, version=source.version)
            path = helm.fetch(fetch, self.workdir, plain_http=self.plain_http)
            if self.dependency_build and path.is_dir():
                path = helm.build_dependencies(path, self.workdir)
            self._done[source] = path
        return self._done[source]


# ---------------------------------------------------------------- verify --chart / --apps


def rendered_images(
    found_releases: Sequence[Release],
    request: ChartRequest,
    cache: tuple[str, Mapping[str, str]] | None = None,
) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """Every image ``found_releases`` run, with where each runs (release, workload,
    container and the values composing it), and the releases that could not be
    rendered (one problem each, carrying Helm's message).  ``cache``: (registry, host
    prefixes) to pull ``oci://`` charts through (``--charts-via-cache``), else None."""
    found: dict[str, list[str]] = {}
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ecr-verify-") as work:
        fetcher = Fetcher(Path(work), request.plain_http, cache, request.dependency_build)
        for release in found_releases:
            try:
                images = traced(release, fetcher.get(release.chart))
            except HelmFailure as exc:
                problems.append(f"{release.label}: {exc}")
                continue
            for item, source in images:
                where = f"{release.label}: {item.workload} {item.container} (from {source})"
                found.setdefault(item.image, []).append(where)
    return list(found.items()), problems
