"""Add keys to a YAML values file without touching any other byte of it.

``set_keys(text, ["mariadb", "image"], {"registry": ..., "repository": ...})``
finds the deepest part of ``mariadb.image`` the file already has and writes the
missing keys at the end of that mapping: a block mapping gets new lines at the file's
own indentation, a flow mapping (``image: {}``, ``{repository: x}``) new entries
before its closing brace, and a document that is only ``{}`` becomes a block mapping.
An existing scalar under the same key is replaced in place (quoting kept when
possible).  Comments, key order, blank lines and line endings stay as they were.

Every result is read back: when the new text does not hold exactly the values asked
for (and nothing else changed meaning), :class:`InsertError` is raised instead.

Used by ``convert --chart`` to add overrides for images a values file does not
mention yet.  Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ecr import yaml_loader
from ecr.values.quoting import render_key, render_value
from ecr.values.scan import child, yaml_problem
from ecr.yaml_loader import LOADER

_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")

Scalar = str | bool | int


class InsertError(ValueError):
    """The file's shape does not allow a surgical edit here; the message says where."""


def set_keys(text: str, path: Sequence[str], values: Mapping[str, Scalar]) -> str:
    """``text`` with ``path.<key> = value`` for every item of ``values``."""
    for key, value in values.items():
        text = _checked(text, [*path, key], value)
    return text


def _checked(text: str, path: Sequence[str], value: Scalar) -> str:
    """One key set, and proven: the new text loads to the old data plus that value."""
    out = _set_one(text, path, value)
    try:
        before = yaml_loader.load(text) if text.strip() else None
        after = yaml_loader.load(out)
    except yaml.YAMLError as exc:
        raise InsertError(f"{'.'.join(path)}: the edit does not read back "
                          f"({yaml_problem(exc)})") from None
    except (RecursionError, ValueError):  # too deep; a date like 2024-13-45 (ValueError)
        raise InsertError(f"{'.'.join(path)}: the edit does not read back") from None
    expected = _with(before, path, value)
    if after != expected:
        raise InsertError(f"{'.'.join(path)}: the file's shape does not allow a safe edit here; "
                          "set it by hand")
    return out


def _with(data: Any, path: Sequence[str], value: Scalar) -> Any:
    if not path:
        return value
    base = dict(data) if isinstance(data, dict) else {}
    base[path[0]] = _with(base.get(path[0]), path[1:], value)
    return base


def _set_one(text: str, path: Sequence[str], value: Scalar) -> str:
    try:
        root = yaml.compose(text, Loader=LOADER)
    except yaml.YAMLError as exc:
        raise InsertError(f"not valid YAML: {yaml_problem(exc)}") from None
    except RecursionError:
        raise InsertError("the values file nests too deeply to edit") from None
    nl = "\r\n" if "\r\n" in text else "\n"
    if root is None:
        block = _block(path, value, 0, 2, nl)
        return _append(text, block, nl) if text.strip() else block
    if isinstance(root, yaml.MappingNode) and root.flow_style and not root.value:
        replaced = _replace_empty_root(text, root, path, value, nl)
        if replaced is not None:
            return replaced
    if not isinstance(root, yaml.MappingNode):
        raise InsertError("the values file is not a mapping")
    step = indent_step(root)
    node: yaml.MappingNode = root
    for depth, key in enumerate(path):
        found = child(node, key)
        where = ".".join(path[: depth + 1])
        if found is None:
            if node.flow_style:
                return insert_flow(text, node, path[depth:], value)
            column = node.value[0][0].start_mark.column
            block = _block(path[depth:], value, column, step, nl)
            return insert_at(text, end_of(text, node), block, nl)
        if depth == len(path) - 1:
            if not isinstance(found, yaml.ScalarNode) or found.style in ("|", ">"):
                raise InsertError(f"{where} is not a plain value; set it by hand")
            start, end = span_of(text, found)
            flow = bool(node.flow_style)
            return text[:start] + render_value(value, found.style or None, flow) + text[end:]
        if isinstance(found, yaml.ScalarNode) and found.tag.endswith(":null"):
            raise InsertError(f"{where} is null in the file; replace it with a mapping by hand")
        if not isinstance(found, yaml.MappingNode):
            raise InsertError(f"{where} is not a mapping in the file; edit it by hand")
        if not found.flow_style and not found.value:
            raise InsertError(f"{where} is an empty mapping in the file; edit it by hand")
        node = found
    raise AssertionError("unreachable")


def _replace_empty_root(
    text: str, root: yaml.MappingNode, path: Sequence[str], value: Scalar, nl: str
) -> str | None:
    """A document that is only ``{}`` (at the start of its line): a block mapping instead."""
    start, end = span_of(text, root)
    if text[start:end] != "{}" or root.start_mark.column != 0:
        return None
    block = _block(path, value, 0, 2, nl)
    rest = text[end:]
    if rest.startswith(("\n", "\r")):
        block = block[: -len(nl)]
    elif rest.strip():
        return None  # a comment after {} on the same line: keep it flow
    return text[:start] + block + rest


def insert_flow(text: str, node: yaml.MappingNode, path: Sequence[str], value: Scalar) -> str:
    """``key: value`` (nested keys as flow mappings) as the last entry of a flow mapping."""
    entry = render_key(path[0], flow=True) + ": " + _flow_value(path[1:], value)
    start, end = span_of(text, node)
    if end <= start or text[end - 1] != "}":
        raise InsertError("cannot find the end of a flow mapping; edit it by hand")
    if not node.value:
        return text[: end - 1] + entry + text[end - 1 :]
    key, last = node.value[-1]
    key_start, _ = span_of(text, key)
    _, last_end = span_of(text, last)
    if not key_start < last_end < end:  # an alias: its marks are the anchor's
        raise InsertError("a flow mapping ends with an alias; edit it by hand")
    return text[:last_end] + ", " + entry + text[last_end:]


def _flow_value(path: Sequence[str], value: Scalar) -> str:
    if not path:
        return render_value(value, None, flow=True)
    return "{" + render_key(path[0], flow=True) + ": " + _flow_value(path[1:], value) + "}"


def indent_step(root: yaml.MappingNode) -> int:
    """How far this file indents a nested block mapping (2 if it never does)."""
    if root.flow_style or not root.value:
        return 2
    base = root.value[0][0].start_mark.column
    for _, value in root.value:
        if isinstance(value, yaml.MappingNode) and value.value and not value.flow_style:
            step = value.value[0][0].start_mark.column - base
            if step > 0:
                return int(step)
    return 2


def _offset(text: str, line: int, column: int) -> int:
    """Character offset of a libyaml mark (libyaml's line breaks; a BOM is not counted)."""
    starts = [0] + [m.end() for m in _BREAKS.finditer(text)]
    base = starts[line] if line < len(starts) else len(text)
    return base + column + (1 if line == 0 and text.startswith("\ufeff") else 0)


def span_of(text: str, node: yaml.Node) -> tuple[int, int]:
    start = _offset(text, node.start_mark.line, node.start_mark.column)
    end = _offset(text, node.end_mark.line, node.end_mark.column)
    # Skip node properties (&anchor, !tag) that libyaml includes in the start mark.
    while start < end and text[start] in "&!":
        while start < end and not text[start].isspace():
            start += 1
        while start < end and text[start] in " \t":
            start += 1
    return start, end


def end_of(text: str, mapping: yaml.MappingNode) -> int:
    """Offset of the line after a block mapping's last entry (nested blocks included)."""
    last: yaml.Node = mapping.value[-1][1]
    while True:
        if isinstance(last, yaml.MappingNode) and last.value:
            last = last.value[-1][1]
        elif isinstance(last, yaml.SequenceNode) and last.value:
            last = last.value[-1]
        else:
            break
    end = _offset(text, last.end_mark.line, last.end_mark.column)
    if end > 0 and text[end - 1] == "\n":
        return end
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _block(path: Sequence[str], value: Scalar, column: int, step: int, nl: str) -> str:
    lines = []
    for depth, key in enumerate(path[:-1]):
        lines.append(" " * (column + depth * step) + f"{render_key(key)}:")
    indent = " " * (column + (len(path) - 1) * step)
    lines.append(f"{indent}{render_key(path[-1])}: {render_value(value)}")
    return nl.join(lines) + nl


def insert_at(text: str, at: int, block: str, nl: str) -> str:
    if at == len(text) and text and not text.endswith(("\n", "\r")):
        block = nl + block
    return text[:at] + block + text[at:]


def _append(text: str, block: str, nl: str) -> str:
    return insert_at(text, len(text), block, nl)
