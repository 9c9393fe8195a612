"""Add keys to a YAML values file without touching any other byte of it.

``set_keys(text, ["mariadb", "image"], {"registry": ..., "repository": ...})``
finds the deepest part of ``mariadb.image`` the file already has and writes the
missing keys at the end of that block mapping, at the file's own indentation;
an existing scalar under the same key is replaced in place (quoting kept when
possible).  Comments, key order, blank lines and line endings stay as they were.

Used by ``convert --chart`` to add overrides for images a values file does not
mention yet.  Pure: text in, text out.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import yaml

from ecr.values.scan import child

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+\-]*", re.ASCII)
_RESOLVER = yaml.resolver.Resolver()
_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_STR_TAG = "tag:yaml.org,2002:str"

Scalar = str | bool | int


class InsertError(ValueError):
    """The file's shape does not allow a surgical edit here; the message says where."""


def set_keys(text: str, path: Sequence[str], values: Mapping[str, Scalar]) -> str:
    """``text`` with ``path.<key> = value`` for every item of ``values``."""
    for key, value in values.items():
        text = _set_one(text, [*path, key], value)
    return text


def _set_one(text: str, path: Sequence[str], value: Scalar) -> str:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        raise InsertError(f"not valid YAML: {exc}") from exc
    nl = "\r\n" if "\r\n" in text else "\n"
    if root is None or (isinstance(root, yaml.MappingNode) and not root.value):
        block = _block(path, value, 0, 2, nl)
        return _append(text, block, nl) if text.strip() else block
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise InsertError("the values file is not a block mapping")
    step = indent_step(root)
    node: yaml.MappingNode = root
    for depth, key in enumerate(path):
        found = child(node, key)
        where = ".".join(path[: depth + 1])
        if found is None:
            column = node.value[0][0].start_mark.column
            block = _block(path[depth:], value, column, step, nl)
            return _insert(text, _end_of(text, node), block, nl)
        if depth == len(path) - 1:
            if not isinstance(found, yaml.ScalarNode) or found.style in ("|", ">"):
                raise InsertError(f"{where} is not a plain value; set it by hand")
            start, end = _span(text, found)
            return text[:start] + _render(value, found.style) + text[end:]
        if isinstance(found, yaml.ScalarNode) and found.tag.endswith(":null"):
            raise InsertError(f"{where} is null in the file; replace it with a mapping by hand")
        if not isinstance(found, yaml.MappingNode) or found.flow_style or not found.value:
            raise InsertError(f"{where} is not a block mapping in the file; edit it by hand")
        node = found
    raise AssertionError("unreachable")


def indent_step(root: yaml.MappingNode) -> int:
    """How far this file indents a nested block mapping (2 if it never does)."""
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


def _span(text: str, node: yaml.Node) -> tuple[int, int]:
    start = _offset(text, node.start_mark.line, node.start_mark.column)
    end = _offset(text, node.end_mark.line, node.end_mark.column)
    return start, end


def _end_of(text: str, mapping: yaml.MappingNode) -> int:
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
        lines.append(" " * (column + depth * step) + f"{_key(key)}:")
    indent = " " * (column + (len(path) - 1) * step)
    lines.append(f"{indent}{_key(path[-1])}: {_render(value, None)}")
    return nl.join(lines) + nl


def _insert(text: str, at: int, block: str, nl: str) -> str:
    if at == len(text) and text and not text.endswith(("\n", "\r")):
        block = nl + block
    return text[:at] + block + text[at:]


def _append(text: str, block: str, nl: str) -> str:
    return _insert(text, len(text), block, nl)


def _key(key: str) -> str:
    return key if _plain_ok(key) else '"' + key.replace('"', '\\"') + '"'


def _render(value: Scalar, style: str | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and _plain_ok(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain_ok(value: str) -> bool:
    return bool(_PLAIN_SAFE.fullmatch(value)) and (
        _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG  # type: ignore[no-untyped-call]
    )
