"""Rewrite the image references of one YAML text to their cache form, surgically.

Only the characters of the values that change are replaced (quoting style kept); every
other character of the input -- comments, indentation, key order, blank lines, document
markers, line endings -- comes out identical.  Values are located with
:func:`ecr.values.scan.scan`; anything we cannot rewrite with certainty (templated,
empty, multi-line, block scalars) is skipped with the reason.

Two per-document settings go with relocating images (``docs/facts.md`` "Helm charts"):

- ``global.imageRegistry`` swaps every image's registry but keeps the repository path
  (``<ecr>/bitnami/x``, missing ``docker-hub/``).  When set, it is what nodes pull from,
  so images are converted from it and it is cleared: each image names the registry.
- Bitnami charts refuse relocated images unless ``global.security.allowInsecureImages``
  is true; we say so, and add it when asked.

Pure: text in, text out.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import yaml

from ecr.images.mapping import CacheImage, UnsupportedRegistry, to_cache
from ecr.images.reference import InvalidReference, embedded_suffix, parse
from ecr.values import embedded
from ecr.values.insert import indent_step
from ecr.values.quoting import render_key, render_value
from ecr.values.scan import (
    Document,
    ImageSite,
    Scalar,
    Scan,
    UnparseableYaml,
    assemble,
    child,
    is_image_key,
    scan,
)

__all__ = ["Change", "Rewrite", "Skip", "rewrite"]


# Skip kinds that mean "this image will not come from the cache": exit status 2.
ERROR_KINDS = frozenset({"invalid", "unsupported", "unproven-rewrite", "duplicate-key", "alias"})


@dataclass(frozen=True)
class Change:
    line: int
    key_path: str
    before: str  # the reference a node pulled
    after: str  # the reference it pulls now
    shape: str
    warning: str | None = None


@dataclass(frozen=True)
class Skip:
    line: int
    key_path: str
    reference: str
    # cached | templated | empty | multiline | invalid | unsupported | unlocatable |
    # unproven (the registry may come from elsewhere) | kustomize-templated |
    # duplicate-key (a key given twice on an image's path: the file is not rewritten) |
    # alias (an image reached through a YAML alias whose anchor is not an image)
    kind: str
    reason: str

    @property
    def is_error(self) -> bool:
        return self.kind in ERROR_KINDS


@dataclass
class Rewrite:
    """What converting one text does: the new text and why each image changed or not."""

    source: str
    original: str
    text: str = ""
    changes: list[Change] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # non-image edits made
    notes: list[str] = field(default_factory=list)  # advice, nothing edited

    @property
    def changed(self) -> bool:
        return self.text != self.original


@dataclass
class _Context:
    registry: str
    host_prefixes: Mapping[str, str] | None
    aliases: Mapping[str, str] | None
    scanned: Scan
    result: Rewrite
    edits: dict[tuple[int, int], str] = field(default_factory=dict)
    # per document: images converted (or found cached) and whether any named a registry
    relocated: dict[int, list[tuple[str, CacheImage]]] = field(default_factory=dict)
    used_registry_field: set[int] = field(default_factory=set)
    # each converted site and the values written for it (for the proof)
    written: list[tuple[ImageSite, dict[str, str], str]] = field(default_factory=list)


def rewrite(
    text: str,
    source: str,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    allow_insecure_images: bool = False,
) -> Rewrite:
    """Convert every image in ``text``; raises UnparseableYaml when it is not YAML.

    Linear in the size of ``text``: edits are collected and spliced in once, and the
    cyclic garbage collector is paused meanwhile (a big file's node tree makes its
    full collections, and so the whole run, grow with the square of the size).
    """
    with _collector_paused():
        return _rewrite(text, source, registry, host_prefixes, aliases, allow_insecure_images)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _rewrite(
    text: str,
    source: str,
    registry: str,
    host_prefixes: Mapping[str, str] | None,
    aliases: Mapping[str, str] | None,
    allow_insecure_images: bool,
) -> Rewrite:
    scanned = scan(text, source)
    result = Rewrite(source, text, notes=list(scanned.notes))
    if _duplicate_keys(scanned, result):
        result.text = text
        return result
    result.skips += [Skip(a.line, a.key_path, a.reference, "alias",
                          f"left: YAML alias; convert the anchor (line {a.anchor_line})")
                     for a in scanned.aliased]
    ctx = _Context(registry, host_prefixes, aliases, scanned, result)
    for site in scanned.sites:
        _convert_site(ctx, site)
    for site in scanned.prefixes:
        _convert_prefix(ctx, site)
    for document in scanned.documents:
        _global_registry(ctx, document)
        _bitnami(ctx, document, allow_insecure_images)
    inner = [_values_string(ctx, block, lambda t, s: _rewrite(
        t, s, registry, host_prefixes, aliases, allow_insecure_images))
        for block in embedded.blocks(scanned)]
    result.text = applied = _apply(text, ctx.edits)
    if result.changed or result.changes:  # a change whose edits came to nothing is wrong
        _prove(ctx)
    if result.text == applied:  # not refused
        for block, converted in filter(None, inner):
            _merge(result, block, converted)
    return result


def _duplicate_keys(scanned: Scan, result: Rewrite) -> bool:
    """Report keys given twice on an image's path; True when there are any (then nothing
    in the text is rewritten: which value counts depends on the reader)."""
    found = False
    for dup in scanned.duplicates:
        sites = [site for site in [*scanned.sites, *scanned.prefixes]
                 if (site.mapping is dup.mapping and dup.key in (*site.fields, "name"))
                 or _under(site.found.key_path, dup.key_path)]
        if not sites and not is_image_key(dup.key):
            continue
        found = True
        result.skips.append(Skip(
            dup.line, dup.key_path, "(ambiguous)", "duplicate-key",
            f"'{dup.key}' is given twice (lines {dup.first_line} and {dup.line}): Helm uses "
            "the last, other tools the first; keep one, then convert. File not written",
        ))
    return found


def _under(key_path: str, prefix: str) -> bool:
    return key_path == prefix or key_path.startswith((prefix + ".", prefix + "["))


def _values_string(
    ctx: _Context, block: embedded.Block, convert: Callable[[str, str], Rewrite]
) -> tuple[embedded.Block, Rewrite] | None:
    """Convert the Helm values of one ``helm.values: |`` string; its edit is added
    only when the file then reads the string back as exactly the new values."""
    try:
        converted = convert(block.value, f"{ctx.result.source}:{block.line} {block.where}")
    except UnparseableYaml:
        return None
    if not converted.changed:
        return block, converted
    lines = embedded.reindent(block, converted.text)
    text = ctx.scanned.text
    if lines is None or not embedded.reads_back(
        text[: block.start] + lines + text[block.end :], block, converted.text
    ):
        return None
    ctx.edits[(block.start, block.end)] = lines
    return block, converted


def _merge(result: Rewrite, block: embedded.Block, converted: Rewrite) -> None:
    """The string's changes, skips and notes, by the file's lines and key paths."""
    def line(n: int) -> int:
        return block.line + n - 1

    result.changes += [dataclasses.replace(c, line=line(c.line),
                                           key_path=f"{block.where}: {c.key_path}")
                       for c in converted.changes]
    result.skips += [dataclasses.replace(s, line=line(s.line),
                                         key_path=f"{block.where}: {s.key_path}")
                     for s in converted.skips]
    result.settings += converted.settings  # each names the string's source
    result.notes = [n for n in result.notes
                    if not n.startswith(f"{result.source}:{block.header_line}: ")]
    result.notes += converted.notes


def _prove(ctx: _Context) -> None:
    """Every converted image must now be exactly its cache reference; when one is not,
    nothing is written and the file is reported.

    When only scalars were replaced in place (the structure unchanged, each value written
    in a style that reads back as itself: see :mod:`ecr.values.quoting`), the new values
    are assembled as the scanner assembles them; otherwise (keys added, a chart-wide
    setting edited, prefixes, Kustomize, merge keys) the new text is scanned again.
    """
    result = ctx.result
    if not _needs_rescan(ctx):
        wrong = []
        for site, values, expected in ctx.written:
            fields = dict(site.fields)
            for role, value in values.items():
                fields[role] = dataclasses.replace(fields[role], value=value)
            reference, note = assemble(site.found.shape, fields)
            try:
                reference = str(parse(reference)) if note is None else reference
            except InvalidReference as exc:
                note = str(exc)
            if note is not None or reference != expected:
                wrong.append(f"{site.found.key_path} would read {reference}, not {expected}")
        _refuse(result, wrong)
        return
    try:
        again = scan(result.text, result.source)
    except UnparseableYaml as exc:
        wrong = [f"the new text does not parse ({exc})"]
    else:
        now: dict[str, list[str]] = {}
        for site in [*again.sites, *again.prefixes]:
            now.setdefault(site.found.key_path, []).append(site.found.reference)
        wrong = [
            f"{change.key_path} would read {now.get(change.key_path)}, not {change.after}"
            for change in result.changes
            if change.after not in now.get(change.key_path, [])
        ]
    _refuse(result, wrong)


def _needs_rescan(ctx: _Context) -> bool:
    if ctx.result.settings or ctx.scanned.prefixes:
        return True
    if any(start == end for start, end in ctx.edits):  # a key added
        return True
    if any(d.global_registry is not None and d.global_registry.value
           for d in ctx.scanned.documents):
        return True
    return any(site.found.shape == "kustomize" or site.merged or site.overridden_by_global
               for site, _, _ in ctx.written)


def _refuse(result: Rewrite, wrong: list[str]) -> None:
    if wrong:
        result.text = result.original
        for change in result.changes:
            result.skips.append(Skip(change.line, change.key_path, change.before,
                                     "unproven-rewrite",
                                     "the rewrite could not be proven; file left untouched"))
        result.changes.clear()
        result.settings.clear()
        result.notes.append(f"{result.source}: not rewritten: " + "; ".join(wrong))


def _skip(ctx: _Context, site: ImageSite, reference: str, kind: str, reason: str) -> None:
    found = site.found
    ctx.result.skips.append(Skip(found.line, found.key_path, reference, kind, reason))


def _convert_site(ctx: _Context, site: ImageSite) -> None:
    found = site.found
    document = ctx.scanned.documents[site.document]
    glob = document.global_registry
    reference, note = found.reference, found.note
    if site.overridden_by_global and glob is not None and _same_host(glob.value, ctx.registry):
        # global.imageRegistry already points at the cache (the quick-start's mistake):
        # the image's own registry says where it really comes from.
        reference, note = assemble(found.shape, site.fields)
    if note is not None:
        kinds = {"templated": "templated", "empty": "empty", "multi-line": "multiline",
                 "image": "under-hub"}
        _skip(ctx, site, reference, kinds.get(note.split()[0], "invalid"), note)
        return
    if site.registry_elsewhere is not None:
        _skip(
            ctx, site, reference, "unproven",
            f"{site.registry_elsewhere}; a file alone cannot show what the chart joins, so "
            "it is left alone (convert --chart renders the chart and proves a rewrite)",
        )
        return
    try:
        image = to_cache(reference, ctx.registry, ctx.host_prefixes, ctx.aliases)
    except InvalidReference as exc:
        _skip(ctx, site, reference, "invalid", f"invalid reference: {exc}")
        return
    except UnsupportedRegistry:
        host = reference.split("/", 1)[0]
        _skip(
            ctx, site, reference, "unsupported",
            f"{host} cannot be cached by ECR (--alias {host}=HOST if it is mirrored on a "
            "cacheable host)",
        )
        return
    if not image.changed:
        ctx.relocated.setdefault(site.document, []).append((found.key_path, image))
        reason = "already in the registry" + (f" ({image.warning})" if image.warning else "")
        _skip(ctx, site, str(image.source), "cached", reason)
        return
    new_values = _new_values(site, image)
    for role in new_values:
        if role not in site.fields:
            continue  # added as a new key below
        problem = _unwritable(site.fields[role])
        if problem:
            _skip(ctx, site, reference, "unlocatable", f"{role}: {problem}; left alone")
            return
    added = {role: value for role, value in new_values.items()
             if role in site.merged or role not in site.fields}
    own = {role: value for role, value in new_values.items() if role not in added}
    for role, value in own.items():
        scalar = site.fields[role]
        ctx.edits[(scalar.start, scalar.end)] = _replacement(ctx, scalar, value)
    if added:
        # A key this mapping lacks (kustomize's newName), or one from a merge key
        # (<<: *base): the base is shared, so the mapping gets its own key, which wins.
        problem = _add_keys(ctx, site.mapping, added)
        if problem:
            for role in own:
                del ctx.edits[(site.fields[role].start, site.fields[role].end)]
            _skip(ctx, site, reference, "unlocatable",
                  f"{', '.join(added)} must be added and {problem}; left alone")
            return
    if "registry" in new_values:
        ctx.used_registry_field.add(site.document)
    elif found.shape == "repository" and image.is_bitnami:
        # Without the chart we cannot know whether it prefixes image.registry (Bitnami
        # charts do, default docker.io): then the full reference written here breaks.
        ctx.result.notes.append(
            f"{ctx.result.source}:{found.line}: {found.key_path}.repository now holds the full "
            "reference; a Bitnami chart puts its image.registry (default docker.io) in front "
            f"of it, so for one write registry: {image.cache.domain}/{image.prefix} and "
            f"repository: {image.cache.path[len(str(image.prefix)) + 1:]} instead, or run "
            "convert --chart to render and prove it"
        )
    ctx.relocated.setdefault(site.document, []).append((found.key_path, image))
    ctx.written.append((site, new_values, str(image.cache)))
    ctx.result.changes.append(
        Change(found.line, found.key_path, str(image.source), str(image.cache), found.shape,
               image.warning)
    )


def _convert_prefix(ctx: _Context, site: ImageSite) -> None:
    """A registry prefix images are built under: ``<prefix>/<name>:<tag>``."""
    found = site.found
    base = found.reference[: -len("/*")]
    if found.note is not None:
        kind = {"templated": "templated", "empty": "empty"}.get(found.note.split()[0], "multiline")
        _skip(ctx, site, found.reference, kind, found.note)
        return
    try:
        # Convert a probe image under the prefix, then take the probe's name off again.
        image = to_cache(f"{base}/probe", ctx.registry, ctx.host_prefixes, ctx.aliases)
    except InvalidReference as exc:
        _skip(ctx, site, found.reference, "invalid", f"invalid registry prefix: {exc}")
        return
    except UnsupportedRegistry:
        host = base.split("/", 1)[0]
        _skip(ctx, site, found.reference, "unsupported",
              f"{host} cannot be cached by ECR (--alias {host}=HOST if it is mirrored on a "
              "cacheable host)")
        return
    if not image.changed:
        _skip(ctx, site, found.reference, "cached", "already in the registry")
        return
    path = image.cache.path[: -len("/probe")]
    if found.shape == "hub":
        new_values = {"hub": f"{image.cache.domain}/{path}"}
    else:
        new_values = {"registry": image.cache.domain, "namespace": path}
    for role in new_values:
        problem = _unwritable(site.fields[role])
        if problem:
            _skip(ctx, site, found.reference, "unlocatable", f"{role}: {problem}; left alone")
            return
    for role, value in new_values.items():
        scalar = site.fields[role]
        ctx.edits[(scalar.start, scalar.end)] = _replacement(ctx, scalar, value)
    ctx.result.changes.append(
        Change(found.line, found.key_path, found.reference,
               f"{image.cache.domain}/{path}/*", found.shape, image.warning)
    )


def _add_keys(
    ctx: _Context, mapping: yaml.MappingNode | None, values: dict[str, str]
) -> str | None:
    """Add ``key: value`` entries at the end of ``mapping``; a problem, or None."""
    if mapping is None or not mapping.value:
        return "the mapping cannot be found"
    text = ctx.scanned.text
    if mapping.flow_style:
        key, last = mapping.value[-1]
        at = ctx.scanned.offset(last.end_mark.line, last.end_mark.column)
        if at < ctx.scanned.offset(key.start_mark.line, key.start_mark.column):
            return "the mapping ends with an alias"
        block = "".join(f", {render_key(k, flow=True)}: {render_value(v, None, True)}"
                        for k, v in values.items())
    else:
        found = _insert_point(ctx.scanned, mapping)
        if found is None:
            return "the end of the mapping cannot be found"
        at = found
        nl = "\r\n" if "\r\n" in text else "\n"
        column = mapping.value[0][0].start_mark.column
        block = "".join(" " * column + f"{render_key(k)}: {render_value(v)}{nl}"
                        for k, v in values.items())
        if at == len(text) and text and not text.endswith(("\n", "\r")):
            block = nl + block
    if (at, at) in ctx.edits:
        return "another key is added at the same place"
    ctx.edits[(at, at)] = block
    return None


def _same_host(a: str, b: str) -> bool:
    return a.strip().rstrip("/").lower() == b.lower()


def _new_values(site: ImageSite, image: CacheImage) -> dict[str, str]:
    fields = site.fields
    if site.found.shape == "image-string":
        return {"image": str(image.cache)}
    if site.found.shape == "kustomize":
        # newName is the name only: kustomize keeps the tag (newTag, or the resource's)
        current = fields.get("newName") or fields["name"]
        return {"newName": image.cache.name + embedded_suffix(current.value)}
    main = "image" if site.found.shape == "registry+image" else "repository"
    suffix = embedded_suffix(fields[main].value)
    registry = fields.get("registry")
    if registry is not None:  # even null or empty: the chart joins it, so write through it
        # The cache prefix goes with the registry (<registry>/quay + acme/app): a template
        # may join this registry to other names too (a sidecar's, an operand's), and
        # those come from the same upstream, so they land under the same prefix.
        prefix, path = image.prefix, image.cache.path
        if prefix and path.startswith(prefix + "/"):
            return {"registry": f"{image.cache.domain}/{prefix}",
                    main: path[len(prefix) + 1:] + suffix}
        return {"registry": image.cache.domain, main: path + suffix}
    return {main: image.cache.name + suffix}


def _unwritable(scalar: Scalar) -> str | None:
    if scalar.multiline:
        return "multi-line value"
    if scalar.style in ("|", ">"):
        return "block scalar"
    return None


def _replacement(ctx: _Context, scalar: Scalar, value: str) -> str:
    """The text that replaces ``scalar``: an empty value (``registry:`` and nothing) has
    no text, so the new one needs its own space after the colon."""
    text = _render(scalar, value)
    if scalar.start == scalar.end and ctx.scanned.text[scalar.start - 1 : scalar.start] == ":":
        return " " + text
    return text


def _render(scalar: Scalar, value: str) -> str:
    """``value`` written in ``scalar``'s quoting style (plain only when it stays a string)."""
    return render_value(value, scalar.style, scalar.flow)


def _global_registry(ctx: _Context, document: Document) -> None:
    glob = document.global_registry
    if glob is None or not glob.value:
        return
    where = f"{ctx.result.source}:{glob.line}"
    if glob.templated:
        ctx.result.notes.append(f"{where}: global.imageRegistry is templated; left alone")
        return
    why = (
        "it replaces the registry of every image but keeps the repository path "
        "(bitnami/x), which misses the cache prefix (docker-hub/bitnami/x)"
    )
    if _same_host(glob.value, ctx.registry) or document.index in ctx.used_registry_field:
        problem = _unwritable(glob)
        if problem:
            ctx.result.notes.append(
                f"{where}: global.imageRegistry ({problem}) must be cleared: {why}"
            )
            return
        ctx.edits[(glob.start, glob.end)] = _render(glob, "")
        ctx.result.settings.append(
            f"{where}: global.imageRegistry {glob.value!r} cleared: {why}; "
            "each image now names the registry itself"
        )
    else:
        ctx.result.notes.append(
            f"{where}: global.imageRegistry {glob.value!r} left alone. Do not point it at the "
            f"cache: {why}. Give each image registry + repository instead."
        )


def _bitnami(ctx: _Context, document: Document, add_flag: bool) -> None:
    bitnami = [key for key, image in ctx.relocated.get(document.index, []) if image.is_bitnami]
    if not bitnami:
        return
    where = f"{ctx.result.source}"
    why = (
        "Bitnami charts refuse relocated images unless global.security.allowInsecureImages "
        "is true (bitnami/charts#30850)"
    )
    if document.is_manifest:
        # A Deployment does not care; Helm values inside an ArgoCD Application do.
        embedded = sorted({k.split(".helm.", 1)[0] for k in bitnami if ".helm." in k})
        if embedded:
            ctx.result.notes.append(
                f"{where}: Bitnami images relocated in Helm values of {embedded[0]}.helm: {why}; "
                "set it there by hand"
            )
        return
    allow = document.allow_insecure
    if allow is not None and allow.is_true:
        return
    if not add_flag:
        ctx.result.notes.append(
            f"{where}: Bitnami images relocated: {why}; rerun with --allow-insecure-images "
            "to add it"
        )
        return
    problem = _add_allow_insecure(ctx, document)
    if problem:
        ctx.result.notes.append(f"{where}: {why}; {problem}: add it by hand")
    else:
        ctx.result.settings.append(f"{where}: global.security.allowInsecureImages: true ({why})")


def _add_allow_insecure(ctx: _Context, document: Document) -> str | None:
    """Edit or insert ``global.security.allowInsecureImages: true``; a problem, or None."""
    allow = document.allow_insecure
    if allow is not None:
        problem = _unwritable(allow)
        if problem:
            return f"global.security.allowInsecureImages is a {problem}"
        ctx.edits[(allow.start, allow.end)] = "true"
        return None
    root = document.root
    if not _block_mapping(root):
        return "the document is not a block mapping"
    assert isinstance(root, yaml.MappingNode)
    text = ctx.scanned.text
    nl = "\r\n" if "\r\n" in text else "\n"
    step = indent_step(root)
    glob = child(root, "global")
    security = child(glob, "security")
    if security is not None:
        if not _block_mapping(security):
            return "global.security is not a block mapping"
        assert isinstance(security, yaml.MappingNode)
        lines = [(0, "allowInsecureImages: true")]
        target = security
    elif glob is not None:
        if not _block_mapping(glob):
            return "global is not a block mapping"
        assert isinstance(glob, yaml.MappingNode)
        lines = [(0, "security:"), (step, "allowInsecureImages: true")]
        target = glob
    else:
        lines = [(0, "global:"), (step, "security:"), (2 * step, "allowInsecureImages: true")]
        target = root
    column = target.value[0][0].start_mark.column
    at = _insert_point(ctx.scanned, target)
    if at is None:
        return "cannot find the end of the mapping"
    block = "".join(" " * (column + extra) + line + nl for extra, line in lines)
    if at == len(text) and text and not text.endswith(("\n", "\r")):
        block = nl + block
    ctx.edits[(at, at)] = block
    return None


def _block_mapping(node: yaml.Node | None) -> bool:
    return isinstance(node, yaml.MappingNode) and not node.flow_style and bool(node.value)


def _insert_point(scanned: Scan, mapping: yaml.MappingNode) -> int | None:
    """Offset of the line after a block mapping's last entry."""
    key, last = mapping.value[-1]
    while True:
        if isinstance(last, yaml.MappingNode) and last.value:
            key, last = last.value[-1]
        elif isinstance(last, yaml.SequenceNode) and last.value:
            last = last.value[-1]
        else:
            break
    end = scanned.offset(last.end_mark.line, last.end_mark.column)
    if end < scanned.offset(key.start_mark.line, key.start_mark.column):
        return None  # the last value is an alias to an earlier node
    text = scanned.text
    if end > 0 and text[end - 1] == "\n":
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _apply(text: str, edits: dict[tuple[int, int], str]) -> str:
    """Splice replacements into ``text`` in one pass; overlapping edits are a bug."""
    pieces = []
    done = 0
    for (start, end), replacement in sorted(edits.items()):
        if start < done:
            raise AssertionError(f"overlapping edits at {start}:{end}")
        pieces.append(text[done:start])
        pieces.append(replacement)
        done = end
    pieces.append(text[done:])
    return "".join(pieces)
