"""ArgoCD Applications whose source is a local kustomization with ``kustomize.images``.

ArgoCD runs ``kustomize edit set image ARG...`` in the source's ``path`` before it
builds, so each ``images`` string *replaces* the kustomization's entry of the same name
(``nginx:1.28`` drops that entry's ``newName``) and the list ends sorted by name.  That
edit is emulated here on a temporary copy of the tree (:func:`set_images`, kustomize's
own rules, ``*`` keeps a field); the renderer stays real (``kubectl kustomize``).

Each string is converted so that it names the cache: ``nginx:1.28`` ->
``nginx=<registry>/docker-hub/library/nginx:1.28`` (the tag and digest kept).  Proof:
the source rendered with the strings as they were, and again with the converted ones
(over the kustomization as this run converts it): every container must run the cache
reference of what it ran, or what it ran; nothing else may change.  What cannot be
proven is left with a note.
"""

from __future__ import annotations

import copy as copying
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.charts.argocd import load_applications, repo_root_of
from ecr.images.mapping import UnsupportedRegistry
from ecr.images.reference import InvalidReference
from ecr.kustomize.convert import Copy, Target, expectations, prove
from ecr.kustomize.render import RenderFailed, containers, render
from ecr.kustomize.tree import kustomization_file, tree_of
from ecr.values.insert import span_of
from ecr.values.quoting import render_value
from ecr.values.rewrite import Change, Rewrite, Skip
from ecr.values.scan import child
from ecr.yaml_loader import LOADER

__all__ = ["SetImage", "applications", "convert_application", "parse_set_image",
           "set_images"]

SHAPE = "argocd-kustomize"
PRESERVE = "*"


@dataclass(frozen=True)
class SetImage:
    """One ``kustomize edit set image`` argument, parsed as kustomize parses it."""

    name: str
    new_name: str = ""
    tag: str = ""
    digest: str = ""

    def text(self, explicit: bool) -> str:
        """The argument again (``name=newName...`` when ``explicit`` or renamed)."""
        value = self.new_name if self.new_name else self.name
        head = f"{self.name}={value}" if explicit or self.new_name else value
        return head + (f":{self.tag}" if self.tag else "") + (
            f"@{self.digest}" if self.digest else "")


def _split_image_name(image: str) -> tuple[str, str, str]:
    """kustomize's ``util.SplitImageName``: (name, tag, digest), a host's port kept."""
    slash = image.find("/")
    offset = slash if slash > 0 else 0
    search = image[offset:]
    at, colon = search.find("@"), search.find(":")
    if colon < 0 and at < 0:
        return image, "", ""
    if at >= 0 and (at < colon or colon < 0):
        return image[: offset + at], "", image[offset + at + 1:]
    if at >= 0:
        return (image[: offset + colon], image[offset + colon + 1: offset + at],
                image[offset + at + 1:])
    return image[: offset + colon], image[offset + colon + 1:], ""


def parse_set_image(arg: str) -> SetImage:
    """``<image>=<new>[:tag][@digest]`` or ``<image>[:tag][@digest]``; ValueError else."""
    key, sep, value = arg.partition("=")
    if not sep:
        key, value = "", arg
    name, tag, digest = _split_image_name(value)
    if name == arg:
        raise ValueError(f"{arg!r} is no kustomize image argument (give name:tag, "
                         "name@digest or name=newName[:tag])")
    if key:
        return SetImage(key, name, tag, digest)
    return SetImage(name, "", tag, digest)


def set_images(images: Sequence[Mapping[str, Any]], args: Sequence[SetImage]
               ) -> list[dict[str, str]]:
    """A kustomization's ``images:`` after ``kustomize edit set image ARGS`` (v5 rules:
    an argument replaces the entry of its name, ``*`` keeps that entry's field, the list
    ends sorted by name)."""
    table: dict[str, dict[str, str]] = {a.name: _entry(a) for a in args}
    for old in images:
        name = str(old.get("name") or "")
        if name in table:
            merged = table[name]
            for key in ("newName", "newTag", "digest"):
                if merged.get(key) == PRESERVE:
                    merged[key] = str(old.get(key) or "")
            table[name] = merged
            continue
        table[name] = {k: str(v) for k, v in old.items() if v not in (None, "")}
    result = []
    for entry in table.values():
        result.append({k: v for k, v in entry.items() if v and v != PRESERVE})
    return sorted(result, key=lambda e: e.get("name", ""))


def _entry(arg: SetImage) -> dict[str, str]:
    return {"name": arg.name, "newName": arg.new_name, "newTag": arg.tag,
            "digest": arg.digest}


@dataclass
class Source:
    """One kustomize source of an Application with ``kustomize.images``."""

    document: int
    path: list[str | int]  # spec.source or spec.sources[i]: where in the document
    app: str
    directory: Path  # the kustomization the source builds
    args: list[str]


def applications(manifest: Path, text: str, top: Path) -> Iterator[Source | str]:
    """Each kustomize source with ``images`` in a manifest (or a note why one is left)."""
    if not load_applications(manifest):
        return
    root = repo_root_of(manifest) or top
    for index, doc in enumerate(yaml_loader.load_all(text)):
        if not isinstance(doc, dict) or doc.get("kind") not in ("Application",
                                                                "ApplicationSet"):
            continue
        name = str((doc.get("metadata") or {}).get("name") or "?")
        spec = _spec(doc)
        places: list[tuple[list[str | int], Any]] = []
        if isinstance(spec.get("source"), dict):
            places.append((["spec", "source"], spec["source"]))
        for i, item in enumerate(spec.get("sources") or []):
            if isinstance(item, dict):
                places.append((["spec", "sources", i], item))
        for where, source in places:
            images = (source.get("kustomize") or {}).get("images")
            if not images:
                continue
            if doc["kind"] == "ApplicationSet":
                yield (f"ApplicationSet {name}: the kustomize.images of its template are "
                       "left alone (its generators decide what they build)")
                continue
            if not isinstance(images, list) or not all(isinstance(i, str) for i in images):
                yield f"Application {name}: kustomize.images is not a list of strings"
                continue
            directory = root / str(source.get("path") or "")
            if source.get("path") is None or kustomization_file(directory) is None:
                yield (f"Application {name}: kustomize.images left alone: its path "
                       f"{source.get('path')!r} is no kustomization in {root}")
                continue
            yield Source(index, where, name, directory, list(images))


def _spec(doc: dict[str, Any]) -> dict[str, Any]:
    """An Application's spec, or an ApplicationSet's template spec."""
    spec = _dict(doc.get("spec"))
    if doc.get("kind") == "ApplicationSet":
        spec = _dict(_dict(spec.get("template")).get("spec"))
    return spec


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def convert_application(manifest: Path, text: str, sources: Sequence[Source],
                        target: Target, kubectl: str,
                        converted: Mapping[Path, str]) -> Rewrite:
    """The manifest with each source's ``images`` strings converted and proven.

    ``converted``: kustomization file (real path) -> its text as this run converts it."""
    result = Rewrite(str(manifest), text, text)
    edits: dict[tuple[int, int], str] = {}
    for source in sources:
        _convert_source(manifest, text, source, target, kubectl, converted, result, edits)
    for (start, end), value in sorted(edits.items(), reverse=True):
        result.text = result.text[:start] + value + result.text[end:]
    if result.changed and not _reads_back(result, sources):
        result.text = text
        result.skips += [Skip(c.line, c.key_path, c.before, "unproven-rewrite",
                              "the edited manifest does not read back; left untouched")
                         for c in result.changes]
        result.changes.clear()
    return result


def _reads_back(result: Rewrite, sources: Sequence[Source]) -> bool:
    """Each edited ``images`` list holds exactly the converted strings, nothing else
    changed."""
    try:
        old = yaml_loader.load_all(result.original)
        new = yaml_loader.load_all(result.text)
    except yaml.YAMLError:
        return False
    after = {c.before: c.after for c in result.changes}
    for source in sources:
        node: Any = old[source.document]
        for step in [*source.path, "kustomize"]:
            node = node[step]
        node["images"] = [after.get(arg, arg) for arg in node["images"]]
    return old == new


def _convert_source(manifest: Path, text: str, source: Source, target: Target,
                    kubectl: str, converted: Mapping[Path, str], result: Rewrite,
                    edits: dict[tuple[int, int], str]) -> None:
    nodes = _image_nodes(text, source)
    key = ".".join(str(p) for p in source.path) + ".kustomize.images"
    new_args: list[str] = []
    planned: list[tuple[Change, yaml.ScalarNode]] = []
    for i, (arg, node) in enumerate(zip(source.args, nodes, strict=True)):
        line = node.start_mark.line + 1
        where = f"Application {source.app}: {key}[{i}]"
        new, skip = _convert_arg(arg, target)
        if skip is not None:
            result.skips.append(Skip(line, where, arg, *skip))
            new_args.append(arg)
            continue
        new_args.append(new)
        if new != arg:
            planned.append((Change(line, where, arg, new, SHAPE), node))
    if not planned:
        return
    wrong = _prove(source, new_args, target, kubectl, converted)
    if wrong:
        why = f"not converted: {'; '.join(wrong[:5])}"
        result.skips += [Skip(c.line, c.key_path, c.before, "unproven-rewrite", why)
                         for c, _ in planned]
        result.notes.append(f"{manifest}: Application {source.app} not written: {why}")
        return
    for change, node in planned:
        start, end = span_of(text, node)
        edits[(start, end)] = render_value(change.after, node.style or None,
                                           bool(getattr(node, "flow", False)))
        result.changes.append(change)


def _convert_arg(arg: str, target: Target) -> tuple[str, tuple[str, str] | None]:
    try:
        parsed = parse_set_image(arg)
    except ValueError as exc:
        return arg, ("invalid", str(exc))
    if PRESERVE in (parsed.new_name, parsed.tag, parsed.digest) or parsed.name == PRESERVE:
        return arg, ("unproven", "a '*' (keep) argument depends on the kustomization "
                                 "ArgoCD edits; left alone")
    image = parsed.new_name or parsed.name
    try:
        cache = target.cache(image)
    except InvalidReference as exc:
        return arg, ("invalid", f"invalid reference: {exc}")
    except UnsupportedRegistry:
        host = image.split("/", 1)[0]
        return arg, ("unsupported", f"{host} cannot be cached by ECR (--alias {host}=HOST "
                                    "if it is mirrored on a cacheable host); left as it is")
    if not cache.changed:
        return arg, ("cached", "already in the registry")
    renamed = SetImage(parsed.name, cache.cache.name, parsed.tag, parsed.digest)
    return renamed.text(explicit=True), None


def _image_nodes(text: str, source: Source) -> list[yaml.ScalarNode]:
    root = list(yaml.compose_all(text, Loader=LOADER))[source.document]
    node: yaml.Node | None = root
    for step in [*source.path, "kustomize", "images"]:
        if isinstance(step, int):
            node = node.value[step] if isinstance(node, yaml.SequenceNode) else None
        else:
            node = child(node, step)
    assert isinstance(node, yaml.SequenceNode)
    items = [n for n in node.value if isinstance(n, yaml.ScalarNode)]
    for item in items:
        item.flow = bool(node.flow_style)  # type: ignore[attr-defined]
    return items


def _prove(source: Source, new_args: list[str], target: Target, kubectl: str,
           converted: Mapping[Path, str]) -> list[str]:
    """What is wrong when ArgoCD builds the source with ``new_args`` (empty: proven)."""
    tree = tree_of(source.directory)
    if tree is None:
        return [f"{source.directory} holds no kustomization"]
    blockers = tree.blockers(tree.roots[0])
    if blockers:
        return blockers
    file = tree.kustomizations[tree.roots[0]].file
    original = file.read_text(encoding="utf-8")
    after_base = converted.get(Path(file).resolve(), original)
    with tempfile.TemporaryDirectory(prefix="ecr-argocd-kustomize-") as scratch:
        copy = Copy(tree, Path(scratch))
        try:
            where = copy.put(file, _edited(original, source.args))
            before = render(where.parent, kubectl)
            copy.put(file, _edited(after_base, new_args))
            after = render(where.parent, kubectl)
        except (ValueError, yaml.YAMLError) as exc:
            return [f"the kustomization cannot be edited as ArgoCD would: {exc}"]
        except RenderFailed as exc:
            return [f"kubectl kustomize cannot render it: {exc}"]
    found = containers(before)
    expected, _ = expectations(found, target)
    _, wrong = prove(before, found, expected, after, target, f"Application {source.app}",
                     upstream_ok=True)
    return wrong


def _edited(text: str, args: Sequence[str]) -> str:
    """The kustomization after ``kustomize edit set image ARGS`` (as data: ArgoCD's
    kustomize rewrites the whole file)."""
    data = yaml_loader.load(text) or {}
    if not isinstance(data, dict):
        raise ValueError("the kustomization is not a mapping")
    data = copying.deepcopy(data)
    images = data.get("images") or []
    data["images"] = set_images([i for i in images if isinstance(i, dict)],
                                [parse_set_image(a) for a in args])
    return yaml.safe_dump(data, sort_keys=False)
