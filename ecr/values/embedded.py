"""Helm values held as a literal block string: an ArgoCD Application's
``spec.source(s).helm.values: |``, which wins over its value files.

Each such string is converted as values text of its own (by the caller's rewrite) and
put back at the same indentation; the edit is kept only when the new file reads the
string back as exactly the new values text.  Folded (``>``) strings and those with an
explicit indentation indicator are left (with the scanner's note).

Pure: text in, edits out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from ecr.values.scan import Scan, child
from ecr.yaml_loader import LOADER

__all__ = ["Block", "blocks", "reads_back", "reindent"]

_KINDS = frozenset({"Application", "ApplicationSet"})
_HEADER = re.compile(r"\|[+-]?[ \t]*(#.*)?")


@dataclass(frozen=True)
class Block:
    """One literal block string of Helm values, and where its content lines sit."""

    path: list[str | int]  # keys and list indices from the document root
    document: int
    value: str  # the string YAML reads
    start: int  # offset of its first content line
    end: int  # offset after its last line that holds text (its line break included)
    indent: str
    line: int  # 1-based line of its first content line
    header_line: int  # 1-based line of the ``values: |`` key
    newline: str

    @property
    def where(self) -> str:
        return "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in self.path)[1:]


def blocks(scanned: Scan) -> Iterator[Block]:
    """Each ``helm.values: |`` literal string of an ArgoCD Application document."""
    for document in scanned.documents:
        kind = child(document.root, "kind")
        if not isinstance(kind, yaml.ScalarNode) or kind.value not in _KINDS:
            continue
        spec = child(document.root, "spec")
        base: tuple[str | int, ...] = ("spec",)
        template = child(child(spec, "template"), "spec")
        if kind.value == "ApplicationSet" and template is not None:
            spec, base = template, ("spec", "template", "spec")
        for path, source in sources(spec, base):
            node = child(child(source, "helm"), "values")
            if isinstance(node, yaml.ScalarNode) and node.style == "|":
                block = _block(scanned, document.index, [*path, "helm", "values"], node)
                if block is not None:
                    yield block


def sources(spec: yaml.Node | None, base: tuple[str | int, ...] = ("spec",)
            ) -> list[tuple[tuple[str | int, ...], yaml.MappingNode]]:
    """An Application spec's sources as YAML nodes, each with its key path from the
    document (``base``: the spec's own): ``source``, then each of ``sources``."""
    found: list[tuple[tuple[str | int, ...], yaml.MappingNode]] = []
    single = child(spec, "source")
    if isinstance(single, yaml.MappingNode):
        found.append(((*base, "source"), single))
    many = child(spec, "sources")
    if isinstance(many, yaml.SequenceNode):
        found += [((*base, "sources", i), node) for i, node in enumerate(many.value)
                  if isinstance(node, yaml.MappingNode)]
    return found


def _block(scanned: Scan, document: int, path: list[str | int],
           node: yaml.ScalarNode) -> Block | None:
    text = scanned.text
    header_start = scanned.offset(node.start_mark.line, node.start_mark.column)
    header_end = text.find("\n", header_start)
    if header_end < 0 or not _HEADER.fullmatch(text[header_start:header_end].rstrip("\r")):
        return None  # an indentation indicator (|2) or content on the header line
    lines = node.value.rstrip("\n").split("\n")
    first = node.start_mark.line + 1
    start = scanned.offset(first, 0)
    end = scanned.offset(first + len(lines), 0)
    raw = text[start:end]
    content = [line for line in raw.splitlines() if line.strip()]
    if not content or not node.value.strip():
        return None
    indent = content[0][: len(content[0]) - len(content[0].lstrip(" "))]
    if not indent:
        return None
    newline = "\r\n" if "\r\n" in raw else "\n"
    return Block(path, document, node.value, start, end, indent, first + 1,
                 node.start_mark.line + 1, newline)


def reindent(block: Block, new_value: str) -> str | None:
    """The content lines for ``new_value`` (what replaces ``block.start:block.end``), or
    None when its trailing line breaks differ (the chomping would read it otherwise)."""
    tail = len(block.value) - len(block.value.rstrip("\n"))
    if len(new_value) - len(new_value.rstrip("\n")) != tail:
        return None
    out = []
    for line in new_value.rstrip("\n").split("\n"):
        out.append((block.indent + line if line.strip() else "") + block.newline)
    return "".join(out)


def reads_back(text: str, block: Block, expected: str) -> bool:
    """Whether ``text`` (with the new content lines) reads the string as ``expected``."""
    try:
        roots = list(yaml.compose_all(text, Loader=LOADER))
    except yaml.YAMLError:
        return False
    if block.document >= len(roots):
        return False
    node: yaml.Node | None = roots[block.document]
    for part in block.path:
        if isinstance(part, int):
            node = node.value[part] if isinstance(node, yaml.SequenceNode) and \
                part < len(node.value) else None
        else:
            node = child(node, part)
    return isinstance(node, yaml.ScalarNode) and node.style == "|" and node.value == expected

