"""An ArgoCD Application whose values are only inline: the overrides go into it.

The usual way to install a chart with ArgoCD is an Application with
``helm.valuesObject`` (or a ``helm.values: |`` string) and no value file.  The inline
values are cut out of the manifest as a values text of their own (a block mapping
dedented, or the string's content), planned and proven like a values file in the
place ArgoCD gives them (after value files, before ``parameters``), and put back at
the same indentation.  The new manifest is read back: its inline values must be
exactly the values the proof rendered, or nothing is written.

Only a block-style ``valuesObject`` or a literal ``values: |`` (of ``spec.source`` or one
of ``spec.sources``, found by the Application's name and the values' content) is
edited; other shapes are reported for a hand edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.charts import overrides
from ecr.charts.argocd import ValuesSpec
from ecr.charts.images import Release
from ecr.charts.overrides import ChartPlan
from ecr.values import embedded, insert
from ecr.values.scan import child
from ecr.values.scan import scan as scan_yaml


class InlineError(ValueError):
    """Inline values this module cannot edit surgically; the message says why."""


@dataclass(frozen=True)
class Inline:
    """Where an Application's inline values sit in its manifest."""

    manifest: Path
    document: int
    path: tuple[str | int, ...]  # to valuesObject or values, from the document's root
    index: int  # position of the inline spec in ``Release.values``
    start: int  # offset of the first line of the values
    end: int  # offset after their last line
    column: int  # their indentation (block mapping), or the string's
    text: str  # the values as a text of their own

    @property
    def key(self) -> str:
        """``valuesObject`` or ``values``."""
        return str(self.path[-1])

    def block(self, values_text: str) -> str:
        """``values_text`` indented as the inline values are (what replaces
        ``start:end`` of the manifest)."""
        rows = []
        for line in values_text.splitlines(keepends=True):
            rows.append(" " * self.column + line if line.strip() else line)
        new = "".join(rows)
        return new if not new or new.endswith("\n") else new + "\n"

    def reads_back(self, manifest_text: str, values_text: str) -> bool:
        """Whether the manifest's inline values are exactly ``values_text``'s values."""
        try:
            documents = yaml_loader.load_all(manifest_text)
            want = yaml_loader.load(values_text) or {}
        except yaml.YAMLError:
            return False
        if self.document >= len(documents):
            return False
        got = _at(documents[self.document], self.path)
        if self.key == "values":
            try:
                got = yaml_loader.load(got) if isinstance(got, str) else None
            except yaml.YAMLError:
                return False
        return bool(got == want)


def locate(release: Release) -> Inline:
    """The inline values of ``release``'s Application; :class:`InlineError` when there
    are none this module can edit."""
    manifest = release.manifest
    if manifest is None:
        raise InlineError("no values file to write the overrides into (give --values FILE)")
    index = next((i for i, spec in enumerate(release.values) if _inline(spec)), None)
    text = manifest.read_text(encoding="utf-8")
    if index is None:
        return _new_values_object(release, manifest, text)
    scanned = scan_yaml(text, str(manifest))
    wanted = release.values[index]
    documents = yaml_loader.load_all(text)
    for document in scanned.documents:
        data = documents[document.index] if document.index < len(documents) else None
        name = data.get("metadata", {}).get("name") if isinstance(data, Mapping) else None
        if name != release.label or not isinstance(data, Mapping):
            continue
        for path, source in embedded.sources(child(document.root, "spec")):
            helm = child(source, "helm")
            obj = child(helm, "valuesObject")
            if wanted.data is not None and isinstance(obj, yaml.MappingNode) \
                    and not obj.flow_style and obj.value \
                    and _at(data, [*path, "helm", "valuesObject"]) == wanted.data:
                start = scanned.offset(obj.start_mark.line, 0)
                last = _last_mark(obj)
                end_line = last.line + (1 if last.column else 0)
                end = scanned.offset(end_line, 0) if end_line < len(text.splitlines()) \
                    else len(text)
                column = obj.start_mark.column
                return Inline(manifest, document.index, (*path, "helm", "valuesObject"),
                              index, start, end, column,
                              _dedent(text[start:end], column, manifest))
    for block in embedded.blocks(scanned):
        doc = documents[block.document] if block.document < len(documents) else None
        if wanted.text is not None and block.value == wanted.text and \
                isinstance(doc, Mapping) and doc.get("kind") == "Application" and \
                (doc.get("metadata") or {}).get("name") == release.label:
            return Inline(manifest, block.document, tuple(block.path), index, block.start,
                          block.end, len(block.indent), block.value)
    raise InlineError(
        f"{manifest}: the Application's inline values are not a block valuesObject or a "
        "'values: |' string: set the overrides listed by hand")


def _new_values_object(release: Release, manifest: Path, text: str) -> Inline:
    """An Application with no values of its own (the chart's defaults, ``parameters``
    perhaps): a ``valuesObject`` to create, before its parameters (ArgoCD's order)."""
    documents = yaml_loader.load_all(text)
    doc = documents[0] if len(documents) == 1 else None
    if not (isinstance(doc, Mapping) and doc.get("kind") == "Application"
            and (doc.get("metadata") or {}).get("name") == release.label
            and isinstance((doc.get("spec") or {}).get("source"), Mapping)):
        raise InlineError(f"{manifest}: the Application has no values file and no inline "
                          "values, and is not alone in a single-source manifest: add "
                          "helm.valuesObject (even {}) and convert again")
    index = sum(1 for spec in release.values if spec.path is not None)
    return Inline(manifest, 0, ("spec", "source", "helm", "valuesObject"), index, -1, -1,
                  0, "")


def _at(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and part < len(data) else None
        else:
            data = data.get(part) if isinstance(data, Mapping) else None
    return data


def _last_mark(node: yaml.Node) -> yaml.Mark:
    """Where the text of ``node`` ends (a block collection's own end mark is the next
    token's start, possibly on a later line)."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _last_mark(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _last_mark(node.value[-1])
    return node.end_mark


def _inline(spec: ValuesSpec) -> bool:
    return spec.path is None and spec.parameter is None and (
        spec.data is not None or spec.text is not None)


def _dedent(text: str, column: int, manifest: Path) -> str:
    rows = []
    for line in text.splitlines(keepends=True):
        if not line.strip():
            rows.append(line.lstrip(" \t") or "\n")
        elif not line[:column].strip():
            rows.append(line[column:])
        elif line.lstrip().startswith("#"):
            rows.append(line.lstrip())
        else:
            raise InlineError(f"{manifest}: valuesObject is not indented evenly; set the "
                              "overrides by hand")
    return "".join(rows)


def plan(release: Release, chart: Path, work: Path, registry: str,
         host_prefixes: Mapping[str, str] | None, aliases: Mapping[str, str] | None,
         ) -> ChartPlan:
    """The overrides of ``release`` written into its Application's inline values,
    proven with those values where ArgoCD passes them; the plan's target is the
    Application manifest."""
    inline = locate(release)
    values_file = work / f"{release.label}-{inline.key}.yaml"
    values_file.write_text(inline.text, encoding="utf-8")
    specs = list(release.values)
    spec = ValuesSpec(origin=f"Application {release.label}: {inline.key}", path=values_file)
    if inline.start < 0:
        specs.insert(inline.index, spec)  # a valuesObject to create
    else:
        specs[inline.index] = spec
    proven = overrides.plan(dataclasses.replace(release, values=tuple(specs)), chart,
                            values_file, registry, host_prefixes, aliases)
    manifest_text = inline.manifest.read_text(encoding="utf-8")
    here = f"{inline.manifest} {'.'.join(map(str, inline.path))}"

    def named(lines: list[str]) -> list[str]:  # the temporary file is the manifest's part
        return [line.replace(str(values_file), here) for line in lines]

    result = dataclasses.replace(
        proven, release=release, target=inline.manifest, original=manifest_text,
        text=manifest_text, left=named(proven.left), settings=named(proven.settings),
        unresolved=named(proven.unresolved),
        error=named([proven.error])[0] if proven.error else None)
    if proven.changed and proven.ok and inline.start < 0:
        try:
            result.text = _created(manifest_text, inline.path, proven.text)
        except (InlineError, insert.InsertError) as exc:
            result.error = f"{inline.manifest}: {exc}"
    elif proven.changed and proven.ok:
        block = inline.block(proven.text)
        result.splices = [(inline.start, inline.end, block)]
        result.reads_back = lambda text: inline.reads_back(text, proven.text)
        result.text = manifest_text[:inline.start] + block + manifest_text[inline.end:]
        if not result.reads_back(result.text):
            result.error = (f"{inline.manifest}: the proven values could not be written "
                            f"into {inline.key} exactly; set them by hand")
    return result


def _created(manifest_text: str, path: Sequence[str | int], values_text: str) -> str:
    """``manifest_text`` with a new ``valuesObject`` holding ``values_text``'s values,
    key by key (:func:`ecr.values.insert.set_keys` reads each edit back)."""
    values = yaml_loader.load(values_text) or {}
    text = manifest_text
    for leaf, value in _leaves(values, ()):
        if any(isinstance(p, int) for p in leaf) or not isinstance(value, str | bool | int):
            raise InlineError("the overrides hold a list: set them by hand")
        keys = [*map(str, path), *map(str, leaf)]
        text = insert.set_keys(text, keys[:-1], {keys[-1]: value})
    return text


def _leaves(values: Any, path: tuple[str | int, ...]) -> list[tuple[tuple[str | int, ...], Any]]:
    if isinstance(values, Mapping):
        return [leaf for k, v in values.items() for leaf in _leaves(v, (*path, str(k)))]
    if isinstance(values, list):
        return [leaf for i, v in enumerate(values) for leaf in _leaves(v, (*path, i))]
    return [(path, values)]


def merge(plans: Sequence[ChartPlan]) -> None:
    """Plans of Applications that share one manifest, each with its inline values: the
    first gets every change (the file is written once), the others say so.  A change
    that does not read back in the merged file is an error for all of them."""
    by_file: dict[Path, list[ChartPlan]] = {}
    for plan in plans:
        if plan.reads_back is not None:
            by_file.setdefault(plan.target.resolve(), []).append(plan)
    for group in by_file.values():
        if len(group) < 2:
            continue
        text = group[0].original
        for start, end, block in sorted((s for p in group for s in p.splices), reverse=True):
            text = text[:start] + block + text[end:]
        good = all(p.reads_back is not None and p.reads_back(text) for p in group)
        for n, plan in enumerate(group):
            if not good:
                plan.error = (f"{plan.target}: the Applications in it could not all take "
                              "their proven values exactly; set them by hand")
                plan.text = plan.original
            elif n:
                plan.text = plan.original
                plan.merged_into = group[0].release.label
            else:
                plan.text = text
