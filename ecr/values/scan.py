"""Finding image references in Helm values files and Kubernetes manifests.  SHARED API.

``find_images(text, source)`` reports every image a file names, in the shapes popular
charts use, with the full reference a node would pull assembled from the pieces:

- ``registry+repository``: ``image.{registry, repository, tag, digest}`` (Bitnami and
  most charts; ``image.sha`` bare hex as in grafana counts as the digest);
- ``repository``: ``image.repository`` alone, often holding the host
  (``registry.rocket.chat/rocketchat/rocket.chat``);
- ``registry+image``: ``image.{registry, image, tag, digest}`` (ingress-nginx);
- ``kustomize``: a Kustomization's ``images:`` entries (``name``, ``newName``,
  ``newTag``, ``digest``); a conversion writes ``newName``;
- ``image-string``: ``image: "repo:tag"`` anywhere (containers, initContainers,
  sidecars, raw manifests), and ``fooImage: "repo:tag"`` keys whose value looks like a
  reference.  In a document with an istio ``hub``, ``image: pilot`` (no ``/``) is a
  name under the hub, noted as such.

``global.imageRegistry`` (Bitnami) replaces the registry of ``registry+repository``
images, as those charts do.  A ``note`` marks values that are not usable references
(templated, empty, multi-line, invalid, names under a hub).

``scan(text, source)`` returns the same plus what a rewrite needs: each value's exact
character range, quoting style, and per-document facts (``global.imageRegistry``,
``global.security.allowInsecureImages``), and the registry *prefixes* images are built
under (istio ``hub``, cert-manager ``imageRegistry`` + ``imageNamespace``).  Positions
come from libyaml (PyYAML's C composer), which is as fast as parsing gets in Python;
nothing is re-serialised, so a rewrite can splice new values into the original text
and leave every other byte alone.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from ecr.images.reference import InvalidReference, parse
from ecr.yaml_loader import LOADER

__all__ = [
    "AliasedImage",
    "Candidate",
    "Collected",
    "Document",
    "DuplicateKey",
    "FoundImage",
    "ImageSite",
    "Scalar",
    "Scan",
    "UnparseableYaml",
    "collect_files",
    "find_images",
    "gather",
    "scan",
    "yaml_problem",
]

_STR_TAG = "tag:yaml.org,2002:str"
_BOOL_TAG = "tag:yaml.org,2002:bool"
# libyaml's line breaks (YAML 1.1): \r\n counts once, and NEL/LS/PS are breaks too.
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_HEX = re.compile(r"[a-f0-9]{64}")


class UnparseableYaml(ValueError):
    """The text is not YAML; the message says where and why."""


@dataclass(frozen=True)
class FoundImage:
    """One image reference found in a file."""

    file: str
    line: int  # 1-based line of the repository/image value
    key_path: str  # "mongodb.image" or "spec.template.spec.containers[0].image"
    reference: str  # what a node would pull, assembled from the shape's values
    shape: str  # registry+repository | repository | registry+image | image-string
    note: str | None  # why it is not a usable reference (templated, empty, ...)


@dataclass(frozen=True)
class Scalar:
    """A scalar value and where its text sits in the source."""

    value: str
    start: int  # character offset of the scalar's text (quotes included)
    end: int
    style: str | None  # None (plain), "'", '"', "|" or ">"
    line: int  # 1-based
    tag: str
    multiline: bool
    flow: bool = False  # inside a flow collection ([...] or {...}): plain text is riskier

    @property
    def is_str(self) -> bool:
        return self.tag == _STR_TAG

    @property
    def templated(self) -> bool:
        return "{{" in self.value

    @property
    def is_true(self) -> bool:
        return self.tag == _BOOL_TAG and self.value.lower() in ("true", "yes", "on", "y")


@dataclass
class ImageSite:
    """An image found in a file, with the scalars that spell it (by role)."""

    found: FoundImage
    fields: dict[str, Scalar]  # role -> scalar: registry, repository, image, tag, digest, sha
    document: int
    overridden_by_global: bool = False  # global.imageRegistry replaced fields["registry"]
    # roles whose value comes through a YAML merge key (<<: *base): writing them means
    # adding the key to this mapping, never editing the shared base
    merged: frozenset[str] = frozenset()
    mapping: yaml.MappingNode | None = None  # the mapping that holds the fields
    # the name has no host and its registry may be joined from elsewhere (a chart-wide
    # key, a commented-out registry): why, or None
    registry_elsewhere: str | None = None


@dataclass
class Document:
    """Per-document facts a rewrite needs (Helm values live in one document)."""

    index: int
    root: yaml.Node | None
    is_manifest: bool  # has apiVersion + kind: a Kubernetes object, not Helm values
    global_registry: Scalar | None = None  # global.imageRegistry
    # chart-wide registry keys with a value (global.imageRegistry, global.image.registry,
    # imageRegistry): key path -> value
    chart_registries: dict[str, str] = field(default_factory=dict)
    # chart-wide registry keys present but null or empty (global.imageRegistry: ""): the
    # chart then joins each image's own registry, which may be a default of the chart
    empty_registries: list[str] = field(default_factory=list)
    allow_insecure: Scalar | None = None  # global.security.allowInsecureImages


@dataclass(frozen=True)
class DuplicateKey:
    """A key given twice in one mapping: YAML loaders differ on which wins (Helm takes
    the last), so nothing under it can be rewritten with certainty."""

    key: str
    key_path: str  # the duplicated key's path, "app.image.repository"
    first_line: int  # 1-based line of the first occurrence
    line: int  # of the second (the one Helm uses, when there are two)
    mapping: yaml.MappingNode


@dataclass(frozen=True)
class AliasedImage:
    """An image reached through a YAML alias (``image: *base``) whose anchor is not an
    image where it is defined: rewriting it means editing the anchor, left to a person."""

    line: int  # 1-based line of the key holding the alias
    key_path: str
    reference: str
    anchor_line: int


@dataclass
class Scan:
    source: str
    text: str
    sites: list[ImageSite] = field(default_factory=list)
    documents: list[Document] = field(default_factory=list)
    # Registry prefixes that images are built under (istio ``hub``, cert-manager
    # ``imageRegistry`` + ``imageNamespace``): not images themselves, so not in ``sites``.
    prefixes: list[ImageSite] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # things seen but not handled
    duplicates: list[DuplicateKey] = field(default_factory=list)
    aliased: list[AliasedImage] = field(default_factory=list)
    _line_starts: list[int] | None = None

    def offset(self, line0: int, column: int) -> int:
        """Character offset of a libyaml (line, column) mark in ``text``."""
        if self._line_starts is None:
            self._line_starts = [0] + [m.end() for m in _BREAKS.finditer(self.text)]
        base = self._line_starts[line0] if line0 < len(self._line_starts) else len(self.text)
        # libyaml does not count a leading byte-order mark.
        bom = 1 if line0 == 0 and self.text.startswith("\ufeff") else 0
        return base + column + bom


@dataclass(frozen=True)
class Candidate:
    """A file to convert and the tree it was found in (the directory given, or an
    explicit file's own directory), both as given and as real paths."""

    path: Path
    root: str  # os.path.realpath of the tree


@dataclass
class Collected:
    files: list[Candidate] = field(default_factory=list)
    problems: list[tuple[Path, str]] = field(default_factory=list)  # not searched, and why


def gather(paths: Sequence[str | Path]) -> Collected:
    """Files as given, and ``*.yaml``/``*.yml`` under directories (sorted, recursive),
    with what could not be searched (unreadable directories, symlink loops).

    Hidden directories (``.git``) and a chart's ``templates/`` (Go templates, not
    YAML) are not searched; symlinked directories are not followed.  A path that does
    not exist, or an empty one, raises FileNotFoundError.
    """
    result = Collected()
    seen: set[str] = set()
    for raw in paths:
        if str(raw) == "":
            raise FileNotFoundError("an empty path names no file: give a file or directory")
        path = Path(raw)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            if os.path.islink(path):
                result.problems.append((path, "a symlink to a missing file"))
                continue
            raise FileNotFoundError(f"{path}: no such file or directory") from None
        except OSError as exc:
            result.problems.append((path, _os_reason(exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            root = os.path.realpath(path)
            candidates = sorted(_walk(path, result.problems))
        else:
            root = os.path.realpath(path.parent)
            candidates = [path]
        for candidate in candidates:
            key = os.path.realpath(candidate)
            if key not in seen:
                seen.add(key)
                result.files.append(Candidate(candidate, root))
    return result


def collect_files(paths: Sequence[str | Path]) -> list[Path]:
    """The files :func:`gather` finds (what it could not search is left out)."""
    return [candidate.path for candidate in gather(paths).files]


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return exc.strerror or str(exc)


def _walk(top: Path, problems: list[tuple[Path, str]]) -> Iterator[Path]:
    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else top
        problems.append((where, f"directory not searched: {_os_reason(exc)}"))

    for dirpath, dirnames, filenames in os.walk(top, onerror=unreadable):
        here = Path(dirpath)
        is_chart = "Chart.yaml" in filenames
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and not (is_chart and d == "templates")
        )
        for name in filenames:
            if name.endswith((".yaml", ".yml")):
                yield here / name


def find_images(text: str, source: str = "<text>") -> list[FoundImage]:
    """Every image reference in ``text`` (all documents); UnparseableYaml if not YAML."""
    return [site.found for site in scan(text, source).sites]


def scan(text: str, source: str = "<text>") -> Scan:
    """Images and per-document facts, with positions; UnparseableYaml if not YAML."""
    result = Scan(source, text)
    try:
        roots = list(yaml.compose_all(text, Loader=LOADER))
    except yaml.YAMLError as exc:
        raise UnparseableYaml(yaml_problem(exc, source)) from None
    except RecursionError:
        raise UnparseableYaml(f"{source}: nested too deeply to read") from None
    try:
        for index, root in enumerate(roots):
            document = Document(index, root, _is_manifest(root))
            result.documents.append(document)
            _document_facts(result, document)
            if _is_kustomization(root, source):
                document.is_manifest = True  # no Helm values here
                _kustomize_images(result, document)
            _Walker(result, document).walk(root, [])
            _names_under_hub(result, document)
    except RecursionError:
        raise UnparseableYaml(f"{source}: nested too deeply to read") from None
    return result


def yaml_problem(exc: yaml.YAMLError, source: str = "") -> str:
    """``source:line:column: problem (context at line:column)`` for a YAML error, and
    never the text around it: PyYAML's own message quotes the offending line (a values
    file's secret, say) when libyaml is not there to read it."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f"{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "not valid YAML"
        started = exc.context_mark
        if exc.problem and exc.context and started is not None and started is not mark:
            problem += f" ({exc.context} at {started.line + 1}:{started.column + 1})"
    else:  # a reader error: an unacceptable byte, named by its code and position
        where, problem = "", " ".join(str(exc).replace('"<unicode string>", ', "").split())
    prefix = ":".join(part for part in (source, where) if part)
    return f"{prefix}: {problem}" if prefix else problem


def _names_under_hub(result: Scan, document: Document) -> None:
    """Istio-style ``image: pilot`` is a name under ``hub``, not a Docker Hub image."""
    hubs = [p for p in result.prefixes if p.document == document.index and p.found.shape == "hub"]
    if not hubs:
        return
    hub = hubs[0].fields["hub"].value
    for site in result.sites:
        value = site.fields.get("image")
        if (
            site.document == document.index
            and site.found.shape == "image-string"
            and value is not None
            and value.value
            and "/" not in value.value
            and site.found.note is None
        ):
            site.found = replace(
                site.found,
                reference=f"{hub}/{value.value}",
                note=f"image name under hub {hub}: converted with the hub",
            )


_KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


def _is_kustomization(root: yaml.Node | None, source: str) -> bool:
    if not isinstance(root, yaml.MappingNode):
        return False
    kind = child(root, "kind")
    if isinstance(kind, yaml.ScalarNode) and kind.value in ("Kustomization", "Component"):
        api = child(root, "apiVersion")
        return isinstance(api, yaml.ScalarNode) and api.value.startswith("kustomize.config.k8s.io")
    return os.path.basename(source) in _KUSTOMIZATION_NAMES and kind is None


def _kustomize_images(result: Scan, document: Document) -> None:
    """Kustomize ``images:`` entries: ``name`` (matched against the resources' image
    names, tag excluded), ``newName``, ``newTag``, ``digest``.  The image a node pulls
    is ``(newName or name)[:newTag][@digest]``; a conversion writes ``newName``."""
    entries = child(document.root, "images")
    if not isinstance(entries, yaml.SequenceNode):
        return
    for index, entry in enumerate(entries.value):
        if not isinstance(entry, yaml.MappingNode):
            continue
        fields: dict[str, Scalar] = {}
        for key, value in entry.value:
            if (
                isinstance(key, yaml.ScalarNode)
                and key.value in ("name", "newName", "newTag", "digest")
                and isinstance(value, yaml.ScalarNode)
            ):
                fields[key.value] = _scalar(result, value, bool(entry.flow_style))
        original = fields.get("name")
        if original is None or not original.value:
            continue
        new_name = fields.get("newName")
        name = new_name if new_name is not None and new_name.value else original
        reference = name.value
        tag, digest = fields.get("newTag"), fields.get("digest")
        if tag is not None and tag.value:
            reference += f":{tag.value}"
        if digest is not None and digest.value:
            reference += f"@{digest.value}"
        note = None
        if name.multiline or name.style in ("|", ">"):
            note = "multi-line value left alone"
        else:
            try:
                reference = str(parse(reference))
            except InvalidReference as exc:
                note = f"invalid reference: {exc}"
        found = FoundImage(result.source, name.line, f"images[{index}]", reference,
                           "kustomize", note)
        result.sites.append(ImageSite(found, fields, document.index, mapping=entry))


def _is_manifest(root: yaml.Node | None) -> bool:
    if not isinstance(root, yaml.MappingNode):
        return False
    keys = {k.value for k, _ in root.value if isinstance(k, yaml.ScalarNode)}
    return "apiVersion" in keys and "kind" in keys


def child(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value under ``key`` in a mapping node (the last one wins, as in YAML loaders)."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = None
    for k, v in node.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            found = v
    return found


_NULL_TAG = "tag:yaml.org,2002:null"
# Keys beside a name from which charts build its registry host (an EKS add-on's
# <account>.dkr.<endpoint>.<region>.<domain>).
_HOST_PART_KEYS = frozenset(
    {"account", "accountid", "account_id", "region", "domain", "endpoint", "ecrregion"}
)

_COMMENTED_REGISTRY = re.compile(r"#[ \t]*(?:registry|imageRegistry)[ \t]*:")


def _document_facts(result: Scan, document: Document) -> None:
    glob = child(document.root, "global")
    registry = child(glob, "imageRegistry")
    if isinstance(registry, yaml.ScalarNode):
        document.global_registry = _scalar(result, registry)
    root = document.root
    wide = {
        "global.imageRegistry": registry,
        "global.image.registry": child(child(glob, "image"), "registry"),
        "imageRegistry": None if child(root, "imageNamespace") else child(root, "imageRegistry"),
    }
    if not document.is_manifest:  # registry/hub keys at the top or under global
        for prefix, holder in (("", root), ("global.", glob)):
            if isinstance(holder, yaml.MappingNode):
                for key_node, node in holder.value:
                    name = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else ""
                    if "registry" in name.lower() or name.lower() == "hub":
                        wide.setdefault(prefix + name, node)
    for key, node in wide.items():
        if not isinstance(node, yaml.ScalarNode):
            continue
        if node.tag == _STR_TAG and node.value.strip():
            document.chart_registries[key] = node.value.strip()
        elif key.lower().endswith("imageregistry") and (
                node.tag == _NULL_TAG or not node.value.strip()):
            document.empty_registries.append(key)
    allow = child(child(glob, "security"), "allowInsecureImages")
    if isinstance(allow, yaml.ScalarNode):
        document.allow_insecure = _scalar(result, allow)


def _scalar(result: Scan, node: yaml.ScalarNode, flow: bool = False) -> Scalar:
    start = result.offset(node.start_mark.line, node.start_mark.column)
    end = result.offset(node.end_mark.line, node.end_mark.column)
    text = result.text
    # Skip node properties (&anchor, !tag) that libyaml includes in the start mark.
    while start < end and text[start] in "&!":
        while start < end and not text[start].isspace():
            start += 1
        while start < end and text[start] in " \t":
            start += 1
    style = node.style or None
    value = "" if node.tag == _NULL_TAG else node.value  # null is no value, not "null"
    multiline = node.end_mark.line != node.start_mark.line
    if style is None and not multiline and text[start:end] != node.value:
        multiline = True  # plain text that does not read back as the value: don't touch
    return Scalar(value, start, end, style, node.start_mark.line + 1, node.tag, multiline, flow)


def _join(path: list[str]) -> str:
    out = ""
    for part in path:
        out += part if part.startswith("[") or not out else f".{part}"
    return out


def is_image_key(key: str) -> bool:
    return key == "image" or (key.endswith("Image") and key[:1].islower())


class _Walker:
    def __init__(self, result: Scan, document: Document) -> None:
        self.result = result
        self.document = document
        self.seen: set[int] = set()
        self.scalars: set[int] = set()  # scalar values met (met again: an alias)
        self._starts: set[int] = set()  # see _known
        self._mappings: set[int] = set()
        self._indexed = 0

    def walk(self, node: yaml.Node, path: list[str]) -> None:
        if id(node) in self.seen:  # an alias of a node already visited
            return
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            self._duplicates(node, path)
            claimed = self._mapping_shapes(node, path)
            for key_node, value in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "?"
                if id(value) in self.seen and not _is_merge_key(key_node):
                    self._alias(key_node, value, [*path, key])
                    continue
                if isinstance(value, yaml.ScalarNode):
                    again = id(value) in self.scalars  # the first use is its anchor
                    self.scalars.add(id(value))
                    if is_image_key(key) and key not in claimed:
                        if not (again and self._scalar_alias(key_node, value, [*path, key],
                                                             node)):
                            self._image_string(key, value, [*path, key], node)
                    elif key == "values" and value.style in ("|", ">") and "image" in value.value:
                        self.result.notes.append(
                            f"{self.result.source}:{value.start_mark.line + 1}: "
                            f"{_join([*path, key])} holds Helm values as a string; images in it "
                            "are not rewritten (use valuesObject, a values file, or --apps)"
                        )
                elif isinstance(value, yaml.MappingNode | yaml.SequenceNode):
                    self.walk(value, [*path, key])
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                if isinstance(item, yaml.ScalarNode):
                    self.scalars.add(id(item))
                if isinstance(item, yaml.MappingNode | yaml.SequenceNode):
                    self.walk(item, [*path, f"[{i}]"])

    def _duplicates(self, node: yaml.MappingNode, path: list[str]) -> None:
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or _is_merge_key(key_node):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first:
                self.result.duplicates.append(DuplicateKey(
                    key_node.value, _join([*path, key_node.value]), first[key_node.value],
                    line, node,
                ))
            else:
                first[key_node.value] = line

    def _scalar_alias(
        self, key_node: yaml.Node, node: yaml.ScalarNode, path: list[str],
        parent: yaml.MappingNode,
    ) -> bool:
        """``image: *name`` where the anchored scalar is not an image where it is defined
        (``name: &name nginx``): rewriting it would change that other key too, so it is
        reported and left; True when so."""
        start = _scalar(self.result, node).start
        if start in self._known()[0]:
            return False  # an image at its anchor too: converted there, for both
        probe = Scan(self.result.source, self.result.text)
        probe._line_starts = self.result._line_starts
        _Walker(probe, self.document)._image_string(path[-1], node, path, parent)
        self._report_aliased(key_node, node, probe)
        return True

    def _known(self) -> tuple[set[int], set[int]]:
        """Where the images found so far sit: their values' offsets and their mappings'
        ids (kept up to date as sites are added, so aliases cost no rescans)."""
        for site in self.result.sites[self._indexed:]:
            self._starts.update(f.start for f in site.fields.values())
            if site.mapping is not None:
                self._mappings.add(id(site.mapping))
        self._indexed = len(self.result.sites)
        return self._starts, self._mappings

    def _report_aliased(self, key_node: yaml.Node, node: yaml.Node, probe: Scan) -> None:
        for site in probe.sites:
            self.result.aliased.append(AliasedImage(
                key_node.start_mark.line + 1, site.found.key_path, site.found.reference,
                node.start_mark.line + 1,
            ))

    def _alias(self, key_node: yaml.Node, node: yaml.Node, path: list[str]) -> None:
        """``image: *base``: the mapping was read where its anchor is; when it was not an
        image there, what it is here is reported, not rewritten."""
        if not isinstance(node, yaml.MappingNode) or "image" not in path[-1].lower():
            return
        if id(node) in self._known()[1]:
            return  # an image at its anchor too: converted there, for both
        probe = Scan(self.result.source, self.result.text)
        probe._line_starts = self.result._line_starts
        _Walker(probe, self.document)._mapping_shapes(node, path)
        self._report_aliased(key_node, node, probe)

    def _fields(self, node: yaml.MappingNode) -> tuple[dict[str, Scalar], frozenset[str]]:
        """The image fields of a mapping, merge keys (``<<: *base``) included as YAML
        loaders see them (own keys win), and which of them come from a merge."""
        fields: dict[str, Scalar] = {}
        merged: set[str] = set()
        for k, v, own, flow in _entries(node):
            if (
                isinstance(k, yaml.ScalarNode)
                and k.value in ("registry", "repository", "image", "tag", "digest", "sha")
                and isinstance(v, yaml.ScalarNode)
                and k.value not in fields
            ):
                scalar = _scalar(self.result, v, flow)
                # tag: 1.0 is a float to YAML but a tag to Helm; the rest must be strings
                if scalar.is_str or k.value == "tag" or scalar.tag == _NULL_TAG or (
                    scalar.value == "" and v.style is None
                ):
                    fields[k.value] = scalar
                    if not own:
                        merged.add(k.value)
        return fields, frozenset(merged)

    def _mapping_shapes(self, node: yaml.MappingNode, path: list[str]) -> set[str]:
        """Image mappings (``image: {registry, repository, ...}``); returns claimed keys."""
        fields, merged = self._fields(node)
        key = path[-1] if path else ""
        imageish = "image" in key.lower() or "registry" in fields
        if "repository" in fields and imageish and (
            fields["repository"].value or "image" not in fields
        ):
            shape = "registry+repository" if "registry" in fields else "repository"
            fields.pop("image", None)
            self._add(shape, fields, path, fields["repository"], node, merged)
            return {"repository", "image"}
        if "image" in fields and "registry" in fields:
            fields.pop("repository", None)
            self._add("registry+image", fields, path, fields["image"], node, merged)
            return {"image"}
        name = self._hosted_name(node) if "image" in key.lower() and not (
            {"repository", "image", "registry"} & fields.keys()) else None
        if name is not None:  # zero-to-jupyterhub / Reloader: image.name with its host
            fields["repository"] = name
            self._add("repository", fields, path, name, node, merged)
            return {"name"}
        self._prefix_shapes(node, path)
        return set()

    def _hosted_name(self, node: yaml.MappingNode) -> Scalar | None:
        """An image map's own ``name`` holding a reference with its host
        (``name: quay.io/jupyterhub/k8s-hub`` beside ``tag``); a ``name`` without host
        (cert-manager's, datadog's) is joined to a registry elsewhere: not this."""
        for k, v in node.value:
            if (isinstance(k, yaml.ScalarNode) and k.value == "name"
                    and isinstance(v, yaml.ScalarNode) and v.tag == _STR_TAG):
                first, slash, _ = v.value.partition("/")
                if slash and ("." in first or ":" in first or first == "localhost"):
                    return _scalar(self.result, v, bool(node.flow_style))
        return None

    def _prefix_shapes(self, node: yaml.MappingNode, path: list[str]) -> None:
        """``hub: docker.io/istio`` and cert-manager's ``imageRegistry`` + ``imageNamespace``."""
        found: dict[str, Scalar] = {}
        for k, v in node.value:
            if (
                isinstance(k, yaml.ScalarNode)
                and k.value in ("hub", "imageRegistry", "imageNamespace")
                and isinstance(v, yaml.ScalarNode)
                and v.tag == _STR_TAG
            ):
                found[k.value] = _scalar(self.result, v, bool(node.flow_style))
        if "hub" in found:
            self._add_prefix("hub", {"hub": found["hub"]}, [*path, "hub"], found["hub"].value)
        # (global.imageRegistry is Bitnami's, handled per document: see Document)
        if "imageRegistry" in found and "imageNamespace" in found and path != ["global"]:
            registry, namespace = found["imageRegistry"], found["imageNamespace"]
            fields = {"registry": registry, "namespace": namespace}
            base = f"{registry.value}/{namespace.value}"
            shape = "imageRegistry+imageNamespace"
            self._add_prefix(shape, fields, [*path, "imageRegistry"], base)

    def _add_prefix(
        self, shape: str, fields: dict[str, Scalar], path: list[str], base: str
    ) -> None:
        note = None
        if any(f.templated for f in fields.values()):
            note = "templated value ({{ }}) left alone"
        elif not all(f.value for f in fields.values()):
            note = "empty value left alone"
        elif any(f.multiline or f.style in ("|", ">") for f in fields.values()):
            note = "multi-line value left alone"
        line = next(iter(fields.values())).line
        found = FoundImage(self.result.source, line, _join(path), f"{base}/*", shape, note)
        self.result.prefixes.append(ImageSite(found, fields, self.document.index))

    def _image_string(
        self, key: str, node: yaml.ScalarNode, path: list[str], parent: yaml.MappingNode
    ) -> None:
        scalar = _scalar(self.result, node, bool(parent.flow_style))
        if not scalar.is_str:
            return  # image: null / true: not a reference
        if key != "image":
            # fooImage keys are images only when the value looks like one; "true",
            # "Always" or "" under useCustomImage/pullImage are options, not references.
            if not any(c in scalar.value for c in "/:@"):
                return
            if not scalar.templated:
                try:
                    parse(scalar.value)
                except InvalidReference:
                    return
        # In Helm values a chart may join a registry in front of the name; a manifest
        # is what runs.
        holder = None if self.document.is_manifest else parent
        self._add("image-string", {"image": scalar}, path, scalar, holder)

    def _registry_elsewhere(
        self, shape: str, fields: dict[str, Scalar], node: yaml.MappingNode | None
    ) -> str | None:
        """Why a host-less name may get its registry from somewhere this file cannot
        show: a chart-wide registry key, or a ``registry`` only present as a comment."""
        if node is None or shape not in ("repository", "image-string", "registry+image",
                                         "registry+repository"):
            return None
        registry = fields.get("registry")
        if registry is not None and registry.value:
            return None
        main = fields["repository"] if "repository" in shape else fields["image"]
        first, slash, _ = main.value.partition("/")
        if slash and (any(c in first for c in ".:") or first == "localhost"):
            return None  # the name has its own host
        for key, value in node.value:  # kyverno's image.defaultRegistry
            if (isinstance(key, yaml.ScalarNode) and key.value != "registry"
                    and "registry" in key.value.lower() and isinstance(value, yaml.ScalarNode)
                    and value.tag == _STR_TAG and value.value.strip()):
                return f"its registry may be {key.value} ({value.value.strip()})"
            # aws-vpc-cni: <account>.dkr.<endpoint>.<region>.<domain> built by the template
            if (isinstance(key, yaml.ScalarNode) and key.value.lower() in _HOST_PART_KEYS
                    and isinstance(value, yaml.ScalarNode) and value.value.strip()):
                return (f"its host may be built from {key.value} ({value.value.strip()}) "
                        "by the chart's template")
        if registry is not None:
            return ("its registry is empty here (null or \"\"), so the chart's template "
                    "supplies one")
        wide = self.document.chart_registries
        if wide:
            key, value = next(iter(wide.items()))
            return f"its registry may be the chart-wide {key} ({value})"
        if self.document.empty_registries and registry is None and shape == "repository":
            key = self.document.empty_registries[0]
            return (f"this file has the chart-wide {key} (empty), so the chart joins a "
                    "registry of its own to this name")
        text = self.result.text
        start = self.result.offset(node.start_mark.line, 0)
        end = self.result.offset(node.end_mark.line, node.end_mark.column)
        if node.flow_style:  # a comment after a flow mapping, on its last line
            newline = text.find("\n", end)
            end = len(text) if newline < 0 else newline
        while start > 0:  # comment lines right above the first key belong to it
            previous = text.rfind("\n", 0, start - 1) + 1
            if not text[previous:start].lstrip().startswith("#"):
                break
            start = previous
        if _COMMENTED_REGISTRY.search(text[start:end]):
            return "its registry key is only a comment here, so the chart supplies one"
        return None

    def _add(
        self,
        shape: str,
        fields: dict[str, Scalar],
        path: list[str],
        at: Scalar,
        node: yaml.MappingNode | None = None,
        merged: frozenset[str] = frozenset(),
    ) -> None:
        overridden = False
        glob = self.document.global_registry
        # Charts that honour global.imageRegistry (Bitnami, grafana, ...) let it win over
        # image.registry; ingress-nginx's registry+image shape ignores it.
        if (
            shape == "registry+repository"
            and glob is not None
            and glob.value
            and not glob.templated
        ):
            overridden = True
        reference, note = assemble(shape, fields, glob.value if overridden and glob else None)
        if note is None:
            try:
                reference = str(parse(reference))
            except InvalidReference as exc:
                note = f"invalid reference: {exc}"
        found = FoundImage(self.result.source, at.line, _join(path), reference, shape, note)
        elsewhere = None if overridden else self._registry_elsewhere(shape, fields, node)
        self.result.sites.append(
            ImageSite(found, fields, self.document.index, overridden_by_global=overridden,
                      merged=merged, mapping=node, registry_elsewhere=elsewhere)
        )


def _is_merge_key(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:merge"


def _entries(
    node: yaml.MappingNode, depth: int = 0
) -> Iterator[tuple[yaml.Node, yaml.Node, bool, bool]]:
    """(key, value, own, in a flow mapping) as a YAML loader merges them: own entries
    first, then those of ``<<`` merge keys (a mapping, or a list of them, earlier first)."""
    merges: list[yaml.Node] = []
    for key, value in node.value:
        if _is_merge_key(key):
            merges.extend(value.value if isinstance(value, yaml.SequenceNode) else [value])
        else:
            yield key, value, depth == 0, bool(node.flow_style)
    if depth > 20:
        return
    for base in merges:
        if isinstance(base, yaml.MappingNode):
            for key, value, _, flow in _entries(base, depth + 1):
                yield key, value, False, flow


def assemble(
    shape: str, fields: dict[str, Scalar], registry_override: str | None = None
) -> tuple[str, str | None]:
    """The reference a node pulls for these values, and a note when it is not usable."""
    main = fields["image"] if shape in ("image-string", "registry+image") else fields["repository"]
    registry = fields.get("registry")
    registry_value = registry_override or (registry.value if registry else "")
    parts = [registry_value, main.value]
    tag = fields.get("tag")
    digest = fields.get("digest")
    sha = fields.get("sha")
    text = f"{registry_value}/{main.value}" if registry_value else main.value
    if tag is not None and tag.value:
        text += f":{tag.value}"
        parts.append(tag.value)
    if digest is not None and digest.value:
        value = digest.value
        text += f"@{value}" if ":" in value or not _HEX.fullmatch(value) else f"@sha256:{value}"
        parts.append(value)
    elif sha is not None and sha.value:
        text += f"@sha256:{sha.value}" if ":" not in sha.value else f"@{sha.value}"
        parts.append(sha.value)
    if any("{{" in part for part in parts):
        return text, "templated value ({{ }}) left alone"
    if not main.value:
        return text, "empty value left alone"
    if main.multiline or main.style in ("|", ">"):
        return text, "multi-line value left alone"
    return text, None
