"""ArgoCD ``Application`` manifests -> the chart and values Helm would render.

One command should cover a whole GitOps repository, so this reads the
Applications in it and turns each Helm source into a chart reference plus its
values in ArgoCD's order of precedence (lowest first): ``valueFiles``, then
``values`` (or ``valuesObject``, which replaces it), then ``parameters``.

Multi-source Applications are supported: a source with ``ref: values`` lends
its repository to ``$values/...`` entries in another source's ``valueFiles``.
Repositories are not cloned: a ``$ref`` or a chart ``path`` resolves inside the
local checkout that holds the Application (its git top level), or the
``repo_root`` the caller gives.

ApplicationSets are read too: their ``spec.template`` is an Application.  The parts
ArgoCD fills in per generator element (``{{...}}`` in the chart, path, version,
values files or values) are left alone with a note; sources without them render as
any Application does.

Pure apart from reading the manifests and checking paths exist.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.charts.source import ChartRefError, ChartSource, oci_ref

API_GROUP = "argoproj.io/"
SKIP_DIRS = {".git", "venv", ".venv", "node_modules", "__pycache__"}


class ApplicationError(ValueError):
    """An Application whose Helm source cannot be resolved; says which and why."""


@dataclass(frozen=True)
class ValuesSpec:
    """One values input of an Application, in precedence order (lowest first)."""

    origin: str  # for messages: "env/prod/values.yaml", "wp: values", "--set a=b"
    path: Path | None = None  # a local values file
    text: str | None = None  # inline YAML (spec.source.helm.values)
    data: Mapping[str, Any] | None = None  # spec.source.helm.valuesObject
    parameter: str | None = None  # a --set expression
    force_string: bool = False
    optional: bool = False  # ignoreMissingValueFiles


@dataclass(frozen=True)
class AppChart:
    """One Helm source of one Application, ready to render."""

    app: str
    manifest: Path
    chart: ChartSource
    release: str
    namespace: str
    values: tuple[ValuesSpec, ...] = field(default_factory=tuple)

    @property
    def value_files(self) -> list[Path]:
        """The local values files a conversion would edit."""
        return [spec.path for spec in self.values if spec.path is not None]


def find_manifests(paths: Iterable[Path]) -> Iterator[Path]:
    """YAML files under ``paths`` (files given directly are always read)."""
    for path in paths:
        if path.is_file():
            yield path
            continue
        if not path.is_dir():
            raise ApplicationError(f"{path}: no such file or directory")
        for candidate in sorted(path.rglob("*")):
            rel = candidate.relative_to(path).parts
            if any(part in SKIP_DIRS for part in rel[:-1]):
                continue
            if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
                yield candidate


def load_applications(path: Path) -> list[Mapping[str, Any]]:
    """The ``Application`` and ``ApplicationSet`` documents in one file; non-YAML
    (templates) yields none."""
    try:
        documents = yaml_loader.load_all(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    return [
        doc
        for doc in documents
        if isinstance(doc, Mapping)
        and doc.get("kind") in ("Application", "ApplicationSet")
        and str(doc.get("apiVersion", "")).startswith(API_GROUP)
    ]


def repo_root_of(path: Path) -> Path | None:
    """The git checkout holding ``path`` (a directory with ``.git``), if any."""
    for parent in [path.resolve(), *path.resolve().parents]:
        if (parent / ".git").exists():
            return parent
    return None


def discover(
    paths: Sequence[Path], repo_root: Path | None = None, notes: list[str] | None = None
) -> tuple[list[AppChart], list[str]]:
    """Every Helm source of every Application under ``paths``, and the problems found.

    ``notes`` collects what was left alone on purpose (templated ApplicationSet parts).
    """
    charts: list[AppChart] = []
    problems: list[str] = []
    for manifest in find_manifests(paths):
        root = repo_root or repo_root_of(manifest) or _scan_root(manifest, paths)
        for app in load_applications(manifest):
            try:
                if app.get("kind") == "ApplicationSet":
                    found, left = from_application_set(app, manifest, root)
                    charts.extend(found)
                    if notes is not None:
                        notes.extend(f"{manifest}: {note}" for note in left)
                else:
                    charts.extend(from_application(app, manifest, root))
            except (ApplicationError, ChartRefError) as exc:
                problems.append(f"{manifest}: {exc}")
    return charts, problems


def _templated(value: Any) -> bool:
    """Whether ``value`` (or anything in it) holds a ``{{...}}`` ArgoCD fills in."""
    if isinstance(value, str):
        return "{{" in value
    if isinstance(value, Mapping):
        return any(_templated(v) for v in value.values())
    if isinstance(value, list):
        return any(_templated(v) for v in value)
    return False


def from_application_set(
    appset: Mapping[str, Any], manifest: Path, root: Path
) -> tuple[list[AppChart], list[str]]:
    """The Helm sources of an ApplicationSet's template that need no generator, and a
    note for each templated part left alone."""
    name = str(_map(appset.get("metadata")).get("name") or manifest.stem)
    template = _map(_map(appset.get("spec")).get("template"))
    metadata = dict(_map(template.get("metadata")))
    spec = dict(_map(template.get("spec")))
    notes: list[str] = []
    label = f"ApplicationSet {name}"
    if _templated(metadata.get("name")):
        metadata["name"] = name
    destination = dict(_map(spec.get("destination")))
    if _templated(destination.get("namespace")):
        notes.append(f"{label}: destination.namespace is templated; rendered in 'default'")
        destination.pop("namespace")
    spec["destination"] = destination
    sources: list[Any] = []
    if isinstance(spec.get("sources"), list):
        sources = spec["sources"]
    elif isinstance(spec.get("source"), Mapping):
        sources = [spec["source"]]
    kept = []
    for source in map(_map, sources):
        if source.get("ref") and not _templated(source.get("ref")):
            kept.append(source)
            continue
        fields = [key for key in ("repoURL", "chart", "path", "targetRevision", "helm")
                  if _templated(source.get(key))]
        if fields:
            notes.append(
                f"{label}: source {source.get('chart') or source.get('path') or '?'} left "
                f"alone: {', '.join(fields)} templated ({{{{...}}}}, filled per generator "
                "element by ArgoCD); check a generated Application instead "
                "(argocd appset generate, or kubectl get applications -o yaml)"
            )
            continue
        kept.append(source)
    if not any(s.get("chart") or (s.get("path") is not None and not s.get("ref"))
               for s in kept):
        return [], notes
    spec.pop("source", None)
    spec["sources"] = kept
    app = {"kind": "Application", "metadata": metadata, "spec": spec}
    try:
        return from_application(app, manifest, root), notes
    except ApplicationError as exc:
        if "no Helm chart among its sources" in str(exc):
            return [], notes
        raise ApplicationError(f"{label}: {exc}") from exc


def _scan_root(manifest: Path, paths: Sequence[Path]) -> Path:
    for path in paths:
        base = path if path.is_dir() else path.parent
        if manifest.resolve().is_relative_to(base.resolve()):
            return base.resolve()
    return manifest.resolve().parent


def from_application(app: Mapping[str, Any], manifest: Path, root: Path) -> list[AppChart]:
    """The Helm sources of one Application document."""
    metadata = _map(app.get("metadata"))
    name = str(metadata.get("name") or manifest.stem)
    spec = _map(app.get("spec"))
    namespace = str(_map(spec.get("destination")).get("namespace") or "default")
    sources: list[Mapping[str, Any]]
    if isinstance(spec.get("sources"), list):
        sources = [_map(s) for s in spec["sources"]]
    elif isinstance(spec.get("source"), Mapping):
        sources = [spec["source"]]
    else:
        raise ApplicationError(f"Application {name}: no spec.source or spec.sources")
    refs = {str(s["ref"]): root for s in sources if s.get("ref")}
    charts = []
    for source in sources:
        chart = _chart_of(source, root, name)
        if chart is None:
            continue
        chart_dir = Path(chart.ref) if not chart.is_remote else None
        helm = _map(source.get("helm"))
        charts.append(
            AppChart(
                app=name,
                manifest=manifest,
                chart=chart,
                release=str(helm.get("releaseName") or name),
                namespace=namespace,
                values=tuple(_values_of(helm, refs, chart_dir, name, (root, manifest))),
            )
        )
    if not charts:
        raise ApplicationError(f"Application {name}: no Helm chart among its sources")
    return charts


def _chart_of(source: Mapping[str, Any], root: Path, app: str) -> ChartSource | None:
    repo_url = str(source.get("repoURL") or "")
    version = str(source["targetRevision"]) if source.get("targetRevision") else None
    if source.get("chart"):
        chart = str(source["chart"])
        if repo_url.startswith(("http://", "https://")):
            return ChartSource(chart, version=version, repo_url=repo_url)
        return ChartSource(oci_ref(repo_url, chart), version=version)
    if source.get("path") is not None and not source.get("ref"):
        directory = (root / str(source["path"])).resolve()
        if not (directory / "Chart.yaml").is_file():
            if directory.is_dir() and not source.get("helm"):
                return None  # plain manifests or kustomize: not a Helm source
            raise ApplicationError(
                f"Application {app}: chart path {source['path']!r} of {repo_url or 'its repo'} "
                f"is not a chart in the local checkout {root} (clone that repository and "
                "pass --repo-root DIR)"
            )
        return ChartSource(str(directory))
    return None


def _values_of(
    helm: Mapping[str, Any], refs: Mapping[str, Path], chart_dir: Path | None, app: str,
    where: tuple[Path, Path],
) -> Iterator[ValuesSpec]:
    """``where``: the repository root and the Application's manifest (for messages)."""
    optional = bool(helm.get("ignoreMissingValueFiles"))
    for entry in helm.get("valueFiles") or []:
        path = _value_file(str(entry), refs, chart_dir, app, optional, where[0])
        if path is not None:
            _inside_repository(path, str(entry), app, *where)
        yield ValuesSpec(origin=str(entry), path=path, optional=optional)
    if isinstance(helm.get("valuesObject"), Mapping):
        yield ValuesSpec(origin=f"Application {app}: valuesObject", data=helm["valuesObject"])
    elif isinstance(helm.get("values"), str) and helm["values"].strip():
        yield ValuesSpec(origin=f"Application {app}: values", text=helm["values"])
    elif isinstance(helm.get("values"), Mapping):  # older manifests: values as a map
        yield ValuesSpec(origin=f"Application {app}: values", data=helm["values"])
    for param in helm.get("parameters") or []:
        param = _map(param)
        if "name" not in param:
            continue
        expression = f"{param['name']}={param.get('value', '')}"
        yield ValuesSpec(
            origin=f"--set {expression}",
            parameter=expression,
            force_string=bool(param.get("forceString")),
        )


def _inside_repository(path: Path, entry: str, app: str, root: Path, manifest: Path) -> None:
    """ArgoCD refuses a value file that resolves outside the repository (``../..``, a
    symlink out of it); so do we, before the file is read: never read, printed or
    written.  The message names the manifest and the line of the entry, not the file's
    content."""
    if path.resolve().is_relative_to(root.resolve()):
        return
    raise ApplicationError(
        f"line {_line_of(manifest, entry)}: Application {app}: value file {entry} resolves "
        f"outside the repository {root}: ArgoCD refuses such value files, so it is not "
        "read (move it into the repository, or give --repo-root)"
    )


def _line_of(manifest: Path, text: str) -> int | str:
    """The first line of ``manifest`` that holds ``text`` ("?" when none does)."""
    try:
        lines = manifest.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return "?"
    return next((n for n, line in enumerate(lines, 1) if text in line), "?")


def _value_file(
    entry: str, refs: Mapping[str, Path], chart_dir: Path | None, app: str, optional: bool,
    root: Path,
) -> Path | None:
    if entry.startswith(("http://", "https://")):
        raise ApplicationError(
            f"Application {app}: remote value file {entry} is not supported; "
            "download it into the repository"
        )
    if entry.startswith("$"):
        ref, _, rest = entry[1:].partition("/")
        if ref not in refs:
            raise ApplicationError(
                f"Application {app}: value file {entry} names ${ref}, but no source has "
                f"ref: {ref}"
            )
        path = (refs[ref] / rest.lstrip("/")).resolve()
    elif entry.startswith("/"):  # ArgoCD: an absolute path is inside the repository
        path = (root / entry.lstrip("/")).resolve()
    elif chart_dir is not None:
        path = (chart_dir / entry).resolve()
    else:
        raise ApplicationError(
            f"Application {app}: value file {entry} lives inside a remote chart; "
            "use a $ref source (multi-source Application) for values kept in git"
        )
    if not path.is_file():
        if optional:
            return None
        raise ApplicationError(f"Application {app}: value file {entry} not found at {path}")
    return path


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
