"""Real Helm, behind one small adapter: fetch a chart, render it, read its values.

Two backends do the same job:

* the ``helm`` CLI when it is on PATH (platform teams have it, with their
  repositories and registry logins already set up);
* otherwise PyPI's ``helm-python-sdk`` (``import helm_python``), Helm's Go SDK
  bundled as a native library, so nothing needs downloading.

``ECR_HELM_BACKEND=cli|sdk`` forces one.  Callers never see which one ran:
every failure becomes a :class:`HelmFailure` whose message is Helm's own error
plus what to do about it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.charts.source import ChartSource

Values = dict[str, Any]

# Helm renders NOTES.txt too; it is text for people, never a manifest.
_NOTES = "NOTES.txt"
_SOURCE_LINE = re.compile(r"^# Source: (.+)$")
# Helm's own document separator (pkg/releaseutil SplitManifests): "---" at the start of
# a line and the blanks after it; "---# comment" leaves "# comment" to the next document.
_HELM_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")
_VALUES_PATH = re.compile(r"\.Values((?:\.[A-Za-z0-9_-]+)+)")


class HelmFailure(Exception):
    """Helm could not fetch, load or render a chart; the message says what to do."""


class MissingDependencies(HelmFailure):
    """A chart declares dependencies that are not in its ``charts/`` directory."""

    def __init__(self, chart: Path, missing: Sequence[Mapping[str, Any]]) -> None:
        self.chart = chart
        self.missing = [str(dep.get("name", "?")) for dep in missing]
        lines = [f"{chart}: missing chart dependencies (not in {chart}/charts/):"]
        for dep in missing:
            repo = dep.get("repository") or "a local path"
            lines.append(f"  - {dep.get('name')} {dep.get('version', '')} from {repo}".rstrip())
        lines.append(
            f"fetch them first: helm dependency build {chart}   (uses Chart.lock; "
            f"helm dependency update {chart} re-resolves versions), or without the helm CLI: "
            f"python -c 'import helm_python; helm_python.dependency_build(\"{chart}\")'; "
            "or rerun with --dependency-build (fetches them into a temporary copy)"
        )
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ValuesLayer:
    """One input to a render, in Helm's order: a values file, or one ``--set``."""

    origin: str  # "values.yaml", "--set image.tag=1", "Application wp (valuesObject)"
    values: Values


def backend() -> str:
    """``cli`` when the helm CLI is used, ``sdk`` for helm-python-sdk."""
    forced = os.environ.get("ECR_HELM_BACKEND", "").strip().lower()
    if forced in ("cli", "sdk"):
        return forced
    return "cli" if shutil.which("helm") else "sdk"


def _sdk() -> Any:
    try:
        import helm_python
    except ImportError as exc:  # pragma: no cover - depends on the machine
        raise HelmFailure(
            "no Helm available: install the helm CLI, or pip install helm-python-sdk "
            "(scripts/ecr installs it from requirements.txt)"
        ) from exc
    return helm_python


# ---------------------------------------------------------------- values


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> Values:
    """Helm's values merge: maps merge key by key, anything else is replaced."""
    out: Values = dict(base)
    for key, value in override.items():
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            out[key] = merge(current, value)
        else:
            out[key] = value
    return out


def merge_layers(layers: Iterable[ValuesLayer]) -> Values:
    merged: Values = {}
    for layer in layers:
        merged = merge(merged, layer.values)
    return merged


def values_file(path: Path) -> ValuesLayer:
    """A ``-f`` values file; an empty file is empty values, as in Helm."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise HelmFailure(f"cannot read values file {path}: {exc.strerror or exc}") from exc
    return values_text(text, str(path))


def values_text(text: str, origin: str) -> ValuesLayer:
    try:
        data = yaml_loader.load(text)
    except yaml.YAMLError as exc:
        raise HelmFailure(f"{origin}: not valid YAML: {yaml_problem(exc)}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise HelmFailure(f"{origin}: values must be a YAML mapping, got {type(data).__name__}")
    return ValuesLayer(origin, data)


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error as its line, column and problem: never the text around it (a
    values file may hold a secret on the line that fails)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        return where + str(exc.problem or exc.context or "cannot be parsed")
    return type(exc).__name__


def set_value(expression: str, *, force_string: bool = False) -> ValuesLayer:
    """One ``--set a.b=c`` (or ``--set-string``) expression, parsed by Helm's strvals."""
    helm = _sdk()
    try:
        if force_string:
            parsed = helm.parse_set_string_values(expression)
        else:
            parsed = helm.parse_set_string(expression)
    except helm.HelmError as exc:
        raise HelmFailure(f"--set {expression}: {exc}") from exc
    return ValuesLayer(f"--set {expression}", parsed)


def explain_values(message: str, layers: Sequence[ValuesLayer]) -> list[str]:
    """Which of the user's inputs set the values Helm's error names.

    Helm names the failing value as ``<.Values.image.registry>``; we report the
    longest such path (or a prefix of it) that one of the layers set, with the
    value and its origin, so the user knows which line to fix.
    """
    found: list[str] = []
    for match in _VALUES_PATH.finditer(message):
        keys = match.group(1).lstrip(".").split(".")
        for end in range(len(keys), 0, -1):
            path = keys[:end]
            hits = [(layer.origin, v) for layer in layers if (v := lookup(layer.values, path))]
            if hits:
                origin, value = hits[-1]
                line = f"{'.'.join(path)} = {json.dumps(value[0])} (from {origin})"
                if line not in found:
                    found.append(line)
                break
    return found


def lookup(values: Mapping[str, Any], path: Sequence[str]) -> tuple[Any] | None:
    """``(value,)`` at ``path`` in nested values, or None when a key is missing."""
    node: Any = values
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return (node,)


def _render_failure(chart: Path, detail: str, layers: Sequence[ValuesLayer]) -> HelmFailure:
    lines = [f"helm could not render {chart}:", _indent(detail.strip())]
    culprits = explain_values(detail, layers)
    if culprits:
        lines.append("values involved:")
        lines.extend(f"  {c}" for c in culprits)
    if "allowInsecureImages" in detail:
        lines.append(
            "a Bitnami chart refuses relocated images unless global.security.allowInsecureImages "
            "is true; `ecr convert --chart ... --write` adds it when the render needs it"
        )
    if "execution error at" in detail or "schema" in detail:
        lines.append(
            "the chart stops on purpose (a required value, a fail, or its values schema): "
            "give what it asks for with --set KEY=VALUE or --values FILE (convert --files "
            "and --chart take both; an Application carries its own values)"
        )
    origins = [layer.origin for layer in layers if not layer.origin.startswith("(")]
    lines.append("values given: " + (", ".join(origins) if origins else "none (chart defaults)"))
    return HelmFailure("\n".join(lines))


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


# ---------------------------------------------------------------- fetch


def fetch(source: ChartSource, workdir: Path, *, plain_http: bool = False) -> Path:
    """A local chart path (directory or ``.tgz``) for ``source``, downloading if remote."""
    if not source.is_remote:
        path = Path(source.ref).expanduser()
        if not path.exists():
            raise HelmFailure(f"chart {source.ref}: no such directory or archive")
        return path
    dest = Path(tempfile.mkdtemp(prefix="chart-", dir=workdir))
    if backend() == "cli":
        _cli_pull(source, dest, plain_http)
    else:
        _sdk_pull(source, dest, plain_http)
    archives = sorted(dest.glob("*.tgz"))
    if not archives:
        raise HelmFailure(f"helm pull {source.describe()} produced no chart archive")
    return archives[0]


def _cli_pull(source: ChartSource, dest: Path, plain_http: bool) -> None:
    cmd = ["helm", "pull", source.ref, "--destination", str(dest)]
    if source.version:
        cmd += ["--version", source.version]
    if source.repo_url:
        cmd += ["--repo", source.repo_url]
    if plain_http:
        cmd.append("--plain-http")
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    if done.returncode != 0:
        raise HelmFailure(_pull_advice(source, done.stderr.strip()))


def _sdk_pull(source: ChartSource, dest: Path, plain_http: bool) -> None:
    helm = _sdk()
    try:
        helm.pull(
            source.ref,
            destination=dest,
            version=source.version,
            repo_url=source.repo_url,
            plain_http=plain_http,
        )
    except helm.HelmError as exc:
        raise HelmFailure(_pull_advice(source, str(exc))) from exc


def _pull_advice(source: ChartSource, detail: str) -> str:
    hint = "check the name and version"
    if source.is_oci:
        hint += ", and log in if the registry is private (helm registry login HOST)"
    elif source.repo_url is None and "/" in source.ref:
        hint = (
            "a repo/chart name needs the repository: pass --repo URL "
            "(or a local directory / .tgz / oci:// reference)"
        )
    return f"cannot fetch chart {source.describe()}:\n{_indent(detail)}\n{hint}"


def build_dependencies(chart: Path, workdir: Path) -> Path:
    """A copy of chart directory ``chart`` with its dependencies fetched into ``charts/``.

    What ArgoCD does before rendering a chart kept in git: ``helm dependency build``
    (from ``Chart.lock``; ``dependency update`` when there is no lock).  The copy
    keeps the user's checkout untouched.
    """
    if not chart.is_dir():
        return chart  # archives carry their dependencies
    copy = Path(tempfile.mkdtemp(prefix="deps-", dir=workdir)) / chart.name
    shutil.copytree(chart, copy, symlinks=False)
    action = "build" if (copy / "Chart.lock").is_file() else "update"
    if _absolute_file_repositories(chart, copy / "Chart.yaml"):
        action = "update"  # the lock names the relative paths; re-resolve in the copy
    if backend() == "cli":
        done = subprocess.run(
            ["helm", "dependency", action, str(copy)],
            capture_output=True, text=True, check=False, timeout=600,
        )
        detail = done.stderr.strip() if done.returncode != 0 else None
    else:
        helm = _sdk()
        detail = None
        try:
            getattr(helm, f"dependency_{action}")(copy)
        except helm.HelmError as exc:
            detail = str(exc)
    if detail is not None:
        raise HelmFailure(f"helm dependency {action} {chart} failed:\n{_indent(detail)}")
    return copy


_FILE_REPO = re.compile(r"""(file://)(?!/)([^\s"']+)""")


def _absolute_file_repositories(chart: Path, chart_yaml: Path) -> bool:
    """``repository: file://../db`` is relative to the chart: make it absolute in the copy."""
    text = chart_yaml.read_text(encoding="utf-8")
    fixed = _FILE_REPO.sub(lambda m: m.group(1) + str((chart / m.group(2)).resolve()), text)
    if fixed == text:
        return False
    chart_yaml.write_text(fixed, encoding="utf-8")
    return True


# ---------------------------------------------------------------- render


def render(
    chart: Path,
    layers: Sequence[ValuesLayer] = (),
    *,
    release: str,
    namespace: str = "default",
) -> dict[str, str]:
    """Rendered manifests by template path (``NOTES.txt`` left out), like ``helm template``."""
    values = merge_layers(layers)
    if backend() == "cli":
        manifests = _cli_render(chart, values, layers, release, namespace)
    else:
        manifests = _sdk_render(chart, values, layers, release, namespace)
    return {
        path: "\n---\n".join(split_manifests(text))
        for path, text in manifests.items()
        if not path.endswith(_NOTES)
    }


def split_manifests(text: str) -> list[str]:
    """The YAML documents of rendered output, split as Helm splits them.

    Helm cuts at every line that starts with ``---``; what follows on that line is not
    part of the marker (``---# comment`` leaves a comment at the top of the next
    document).  Strict YAML parsers reject ``---# comment``, so rendered text is split
    here before any document is parsed.  Blank documents are dropped, as Helm does.
    """
    return [doc for doc in _HELM_SEPARATOR.split(text) if doc.strip()]


def _sdk_render(
    chart: Path, values: Values, layers: Sequence[ValuesLayer], release: str, namespace: str
) -> dict[str, str]:
    helm = _sdk()
    try:
        loaded = helm.Chart.load(chart)
    except helm.HelmError as exc:
        raise HelmFailure(f"cannot load chart {chart}: {exc}") from exc
    with loaded:
        _check_dependencies(chart, loaded.metadata, loaded.dependencies)
        try:
            rendered: dict[str, str] = loaded.render(
                values, name=release, namespace=namespace, is_install=True
            )
        except helm.HelmError as exc:
            raise _render_failure(chart, str(exc), layers) from exc
    return rendered


def _check_dependencies(
    chart: Path, metadata: Mapping[str, Any], loaded: Sequence[Mapping[str, Any]]
) -> None:
    """Helm's CLI refuses a chart whose declared dependencies are absent; so do we.

    (The SDK's render skips them silently, which would hide a subchart's images.)
    """
    present = {str(dep.get("name")) for dep in loaded}
    declared = metadata.get("dependencies") or []
    missing = [dep for dep in declared if str(dep.get("name")) not in present]
    if missing:
        raise MissingDependencies(chart, missing)


def _cli_render(
    chart: Path, values: Values, layers: Sequence[ValuesLayer], release: str, namespace: str
) -> dict[str, str]:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(values, handle)  # JSON is YAML: one merged values file, exactly ours
        values_path = handle.name
    try:
        cmd = ["helm", "template", release, str(chart), "--namespace", namespace]
        cmd += ["--values", values_path]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=300)
    finally:
        os.unlink(values_path)
    if done.returncode != 0:
        detail = done.stderr.strip().removeprefix("Error: ")
        if "missing in charts/ directory" in detail:
            raise HelmFailure(
                f"{chart}: {detail}\nfetch them first: helm dependency build {chart}, or "
                "rerun with --dependency-build (fetches them into a temporary copy)"
            )
        raise _render_failure(chart, detail, layers)
    return split_stream(done.stdout)


def split_stream(stream: str) -> dict[str, str]:
    """``helm template`` output -> template path -> its documents (by ``# Source:``)."""
    out: dict[str, str] = {}
    for document in split_manifests(stream):
        source = "(unnamed)"
        for line in document.splitlines():
            match = _SOURCE_LINE.match(line)
            if match:
                source = match.group(1).strip()
                break
        if document.strip():
            out[source] = out[source] + "\n---\n" + document if source in out else document
    return out
