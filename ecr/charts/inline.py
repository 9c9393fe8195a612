"""An ArgoCD Application whose values are only inline: the overrides go into it.

The usual way to install a chart with ArgoCD is an Application with
``helm.valuesObject`` (or a ``helm.values: |`` string) and no value file.  The inline
values are cut out of the manifest as a values text of their own (a block mapping
dedented, or the string's content), planned and proven like a values file in the
place ArgoCD gives them (after value files, before ``parameters``), and put back at
the same indentation.  The new manifest is read back: its inline values must be
exactly the values the proof rendered, or nothing is written.

Only a block-style ``valuesObject`` or a literal ``values: |`` of a single-source
Application (``spec.source``) is edited; other shapes are reported for a hand edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecr.charts import overrides
from ecr.charts.argocd import ValuesSpec
from ecr.charts.images import Release
from ecr.charts.overrides import ChartPlan
from ecr.values import embedded
from ecr.values.scan import child
from ecr.values.scan import scan as scan_yaml


class InlineError(ValueError):
    """Inline values this module cannot edit surgically; the message says why."""


@dataclass(frozen=True)
class Inline:
    """Where an Application's inline values sit in its manifest."""

    manifest: Path
    document: int
    key: str  # "valuesObject" or "values"
    index: int  # position of the inline spec in ``Release.values``
    start: int  # offset of the first line of the values
    end: int  # offset after their last line
    column: int  # their indentation (block mapping), or the string's
    text: str  # the values as a text of their own

    def splice(self, manifest_text: str, values_text: str) -> str:
        """``manifest_text`` with ``values_text`` in place of the inline values."""
        rows = []
        for line in values_text.splitlines(keepends=True):
            rows.append(" " * self.column + line if line.strip() else line)
        new = "".join(rows)
        if new and not new.endswith("\n"):
            new += "\n"
        return manifest_text[:self.start] + new + manifest_text[self.end:]

    def reads_back(self, manifest_text: str, values_text: str) -> bool:
        """Whether the manifest's inline values are exactly ``values_text``'s values."""
        try:
            documents = list(yaml.safe_load_all(manifest_text))
            want = yaml.safe_load(values_text) or {}
        except yaml.YAMLError:
            return False
        if self.document >= len(documents):
            return False
        helm = _helm_of(documents[self.document])
        got = helm.get(self.key) if isinstance(helm, Mapping) else None
        if self.key == "values":
            try:
                got = yaml.safe_load(got) if isinstance(got, str) else None
            except yaml.YAMLError:
                return False
        return bool(got == want)


def _helm_of(document: Any) -> Any:
    spec = document.get("spec") if isinstance(document, Mapping) else None
    source = spec.get("source") if isinstance(spec, Mapping) else None
    return source.get("helm") if isinstance(source, Mapping) else None


def locate(release: Release) -> Inline:
    """The inline values of ``release``'s Application; :class:`InlineError` when there
    are none this module can edit."""
    manifest = release.manifest
    index = next((i for i, spec in enumerate(release.values) if _inline(spec)), None)
    if manifest is None or index is None:
        raise InlineError("no values file and no inline values to write the overrides into "
                          "(add helm.valuesObject or valueFiles to the Application)")
    text = manifest.read_text(encoding="utf-8")
    scanned = scan_yaml(text, str(manifest))
    for document in scanned.documents:
        spec = child(document.root, "spec")
        if child(spec, "sources") is not None or child(spec, "source") is None:
            continue
        helm = child(child(spec, "source"), "helm")
        obj = child(helm, "valuesObject")
        if isinstance(obj, yaml.MappingNode) and not obj.flow_style and obj.value:
            start = scanned.offset(obj.start_mark.line, 0)
            last = _last_mark(obj)
            end_line = last.line + (1 if last.column else 0)
            end = scanned.offset(end_line, 0) if end_line < len(text.splitlines()) \
                else len(text)
            column = obj.start_mark.column
            return Inline(manifest, document.index, "valuesObject", index, start, end,
                          column, _dedent(text[start:end], column, manifest))
    for block in embedded.blocks(scanned):
        if block.path == ["spec", "source", "helm", "values"]:
            return Inline(manifest, block.document, "values", index, block.start,
                          block.end, len(block.indent), block.value)
    raise InlineError(
        f"{manifest}: the Application's inline values are not a block valuesObject or a "
        "'values: |' string of spec.source: set the overrides listed by hand")


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
    specs[inline.index] = ValuesSpec(origin=f"Application {release.label}: {inline.key}",
                                     path=values_file)
    proven = overrides.plan(dataclasses.replace(release, values=tuple(specs)), chart,
                            values_file, registry, host_prefixes, aliases)
    manifest_text = inline.manifest.read_text(encoding="utf-8")
    result = dataclasses.replace(proven, release=release, target=inline.manifest,
                                 original=manifest_text, text=manifest_text)
    if proven.changed and proven.ok:
        new = inline.splice(manifest_text, proven.text)
        if inline.reads_back(new, proven.text):
            result.text = new
        else:
            result.error = (f"{inline.manifest}: the proven values could not be written "
                            f"into {inline.key} exactly; set them by hand")
    return result
