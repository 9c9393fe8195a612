"""``convert --chart``: make every image a release runs go through the cache, and prove it.

A values file names only the images someone overrode; the chart also runs the
images its subcharts and defaults set (the quick-start's WordPress still pulls
``docker.io/bitnami/mariadb`` from the mariadb subchart).  For one release:

1. rewrite the images the values file mentions (:mod:`ecr.values.rewrite`);
2. render the chart with real Helm and find every image that still bypasses the cache;
3. find which default value spells each one, in the chart's own values with
   subcharts under their alias keys (``mariadb.image``), and add an override for
   it to the values file, surgically (:mod:`ecr.values.insert`);
4. for Bitnami charts, add ``global.security.allowInsecureImages: true`` when,
   and only when, the render refuses the relocated images without it;
5. render again: the proof.  Only a plan whose proof passes may be written.

Images whose host the cache cannot front are reported, not overridden.
"""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecr.charts import helm as helm_render
from ecr.charts import images as chart_images
from ecr.charts.helm import HelmFailure, ValuesLayer
from ecr.charts.images import BROKEN, BYPASS, UNCACHEABLE, Found, Release
from ecr.images import mapping
from ecr.images.reference import InvalidReference, embedded_suffix, parse
from ecr.values import insert, scan
from ecr.values import rewrite as values_rewrite

ALLOW_INSECURE = ("global", "security", "allowInsecureImages")
_ALLOW_LAYER = ValuesLayer(
    "(discovery only) global.security.allowInsecureImages=true",
    {"global": {"security": {"allowInsecureImages": True}}},
)


@dataclass(frozen=True)
class Override:
    """Keys added to the values file so a default image goes through the cache."""

    key_path: str  # "mariadb.image"
    before: str
    after: str
    values: Mapping[str, str]  # dotted key path written -> value


@dataclass
class ChartPlan:
    release: Release
    target: Path
    original: str
    text: str = ""
    rewrite: values_rewrite.Rewrite | None = None
    overrides: list[Override] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)  # still bypassing: the proof fails
    uncacheable: list[str] = field(default_factory=list)
    proof: list[Found] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.unresolved

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def as_dict(self) -> dict[str, Any]:
        changes = self.rewrite.changes if self.rewrite else []
        return {
            "release": self.release.label,
            "values_file": str(self.target),
            "ok": self.ok,
            "changed": self.changed,
            "rewritten": [
                {"line": c.line, "key_path": c.key_path, "before": c.before, "after": c.after}
                for c in changes
            ],
            "overrides": [
                {"key_path": o.key_path, "before": o.before, "after": o.after,
                 "values": dict(o.values)}
                for o in self.overrides
            ],
            "settings": self.settings,
            "unresolved": self.unresolved,
            "uncacheable": self.uncacheable,
            "proof": [item.as_dict() for item in self.proof],
            "error": self.error,
        }


# ------------------------------------------------------------ chart defaults


def chart_defaults(chart: Path) -> dict[str, Any]:
    """The chart's default values with each subchart's defaults under its alias key.

    (helm-python-sdk's merge puts subcharts under their chart name, not the alias a
    parent's values use, so the chart files are read directly.)
    """
    with tempfile.TemporaryDirectory(prefix="ecr-chart-") as work:
        return _defaults(_as_dir(chart, Path(work)), Path(work))


def _as_dir(chart: Path, work: Path) -> Path:
    if chart.is_dir():
        return chart
    dest = Path(tempfile.mkdtemp(dir=work))
    try:
        with tarfile.open(chart) as archive:
            archive.extractall(dest, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise HelmFailure(f"cannot read chart archive {chart}: {exc}") from exc
    tops = [p for p in dest.iterdir() if (p / "Chart.yaml").is_file()]
    if len(tops) != 1:
        raise HelmFailure(f"{chart}: not a chart archive (no single top directory with Chart.yaml)")
    return tops[0]


def _read_yaml(path: Path) -> Any:
    if not path.is_file():
        return None
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise HelmFailure(f"{path}: not valid YAML: {exc}") from exc


def _defaults(directory: Path, work: Path) -> dict[str, Any]:
    values = _read_yaml(directory / "values.yaml")
    values = dict(values) if isinstance(values, dict) else {}
    metadata = _read_yaml(directory / "Chart.yaml")
    declared = metadata.get("dependencies") if isinstance(metadata, dict) else None
    subcharts: dict[str, Path] = {}
    charts_dir = directory / "charts"
    if charts_dir.is_dir():
        for entry in sorted(charts_dir.iterdir()):
            if entry.suffix == ".tgz" or (entry / "Chart.yaml").is_file():
                sub = _as_dir(entry, work)
                meta = _read_yaml(sub / "Chart.yaml")
                if isinstance(meta, dict) and meta.get("name"):
                    subcharts[str(meta["name"])] = sub
    keys: list[tuple[str, str]] = []
    for dep in declared or []:
        if isinstance(dep, dict) and dep.get("name"):
            keys.append((str(dep.get("alias") or dep["name"]), str(dep["name"])))
    for name in subcharts:  # charts/ entries not declared (Helm 2 style) keep their name
        if not any(chart == name for _, chart in keys):
            keys.append((name, name))
    for key, name in keys:
        if name in subcharts:
            own = values.get(key)
            values[key] = helm_render.merge(
                _defaults(subcharts[name], work), own if isinstance(own, dict) else {}
            )
    return values


# ------------------------------------------------------------ planning


def plan(
    release: Release,
    chart: Path,
    target: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
) -> ChartPlan:
    """What writing ``target`` needs so every image of ``release`` goes through the cache."""
    original = target.read_text(encoding="utf-8") if target.exists() else ""
    result = ChartPlan(release, target, original, original)
    try:
        _plan(result, chart, registry, host_prefixes, aliases)
    except (HelmFailure, scan.UnparseableYaml, insert.InsertError) as exc:
        result.error = str(exc)
    return result


def _plan(
    result: ChartPlan,
    chart: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None,
    aliases: Mapping[str, str] | None,
) -> None:
    release, target = result.release, result.target
    rewrite = values_rewrite.rewrite(
        result.original, str(target), registry, host_prefixes, aliases
    )
    result.rewrite = rewrite
    result.settings.extend(rewrite.settings)
    text = rewrite.text

    def found(current: str, extra: tuple[ValuesLayer, ...] = ()) -> list[Found]:
        workloads = chart_images.render(release, chart, {target: current}, extra)
        return [
            Found(release.label, w, chart_images.classify(w.image, registry, host_prefixes,
                                                          aliases))
            for w in workloads
        ]

    bypassing = [f for f in found(text, (_ALLOW_LAYER,))
                 if f.verdict.status == BYPASS or _unnest(f.workload.image, registry)]
    if bypassing:
        effective = helm_render.merge(
            chart_defaults(chart),
            helm_render.merge_layers(chart_images.layers(release, {target: text})),
        )
        text = _add_overrides(result, text, bypassing, effective, registry, host_prefixes,
                              aliases)
    try:
        proof = found(text)
    except HelmFailure as exc:
        if "allowInsecureImages" not in str(exc):
            raise
        text = insert.set_keys(text, ALLOW_INSECURE[:-1], {ALLOW_INSECURE[-1]: True})
        result.settings.append(
            f"{target}: global.security.allowInsecureImages: true (the chart refused the "
            "relocated images without it: Bitnami's image verification, bitnami/charts#30850)"
        )
        proof = found(text)
    result.text = text
    result.proof = proof
    shadows = _shadowing(result, text)
    for item in proof:
        where = f"{item.workload.image} ({item.workload.workload}, container " \
                f"{item.workload.container})"
        if item.verdict.status in (BYPASS, BROKEN):
            reason = item.verdict.note or shadows.get(_name(item.workload.image)) or \
                "still pulled from upstream"
            note = f"{where}: {reason}"
            if note not in result.unresolved:
                result.unresolved.append(note)
        elif item.verdict.status == UNCACHEABLE and where not in result.uncacheable:
            result.uncacheable.append(where)


def _shadowing(result: ChartPlan, text: str) -> dict[str, str]:
    """Image name -> which later input (valuesObject, --set, ...) hides our override.

    ArgoCD's ``valuesObject``/``parameters`` and later ``--values``/``--set`` win over
    the values file we write; an image they set must be converted there instead.
    """
    layers = chart_images.layers(result.release, {result.target: text})
    origins = [layer.origin for layer in layers]
    if str(result.target) not in origins:
        return {}
    later = layers[origins.index(str(result.target)) + 1 :]
    found: dict[str, str] = {}
    for override in result.overrides:
        paths = [dotted.split(".") for dotted in override.values]
        for layer in later:
            if any(helm_render.lookup(layer.values, path) for path in paths):
                found[_name(override.before)] = (
                    f"{override.key_path} is also set by {layer.origin}, which wins over "
                    f"{result.target.name}: convert it there (e.g. convert --files on the "
                    "Application manifest)"
                )
    return found


def _add_overrides(
    result: ChartPlan,
    text: str,
    bypassing: list[Found],
    effective: Mapping[str, Any],
    registry: str,
    host_prefixes: Mapping[str, str] | None,
    aliases: Mapping[str, str] | None,
) -> str:
    """Override every default value that spells a bypassing image."""
    wanted = {_name(f.workload.image) for f in bypassing}
    scanned = scan.scan(yaml.safe_dump(dict(effective), sort_keys=False), "defaults")
    done: set[str] = set()
    for site in scanned.sites:
        found = site.found
        if found.note or _name(found.reference) not in wanted or found.key_path in done:
            continue
        if "[" in found.key_path:
            continue  # a list element: values cannot override one item; the proof reports it
        try:
            cached = mapping.to_cache(found.reference, registry, host_prefixes, aliases)
        except InvalidReference:
            inner = _unnest(found.reference, registry)
            if inner is None:
                continue
            # "docker.io/<registry>/docker-hub/x": the chart puts its default registry in
            # front of a repository that already holds our full reference; override both.
            cached = mapping.to_cache(inner, registry, host_prefixes, aliases)
        except mapping.UnsupportedRegistry:
            continue
        values = _override_values(site, cached)
        path = found.key_path.split(".")
        if found.shape == "image-string":
            path, values = path[:-1], {path[-1]: values["image"]}
        text = insert.set_keys(text, path, values)
        done.add(found.key_path)
        written = {".".join([*path, key]): value for key, value in values.items()}
        result.overrides.append(
            Override(found.key_path, found.reference, str(cached.cache), written)
        )
    return text


def _override_values(site: scan.ImageSite, cached: mapping.CacheImage) -> dict[str, str]:
    shape = site.found.shape
    if shape == "image-string":
        return {"image": str(cached.cache)}
    main = "image" if shape == "registry+image" else "repository"
    suffix = embedded_suffix(site.fields[main].value)
    if shape == "repository":
        return {main: cached.cache.name + suffix}
    return {"registry": cached.cache.domain, main: cached.cache.path + suffix}


def _unnest(image: str, registry: str) -> str | None:
    """``<host>/<registry>/<path>`` -> ``<registry>/<path>``: our reference with a chart's
    own registry put in front of it (a repository-only value in a Bitnami-style chart)."""
    try:
        ref = parse(image)
    except InvalidReference:
        return None
    first, sep, rest = ref.path.partition("/")
    if not sep or first.lower() != registry.lower():
        return None
    return f"{registry}/{rest}{ref.suffix}"


def _name(image: str) -> str:
    try:
        return parse(image).name
    except InvalidReference:
        return image
