"""Format-preserving edits of one kustomization's ``images:`` list.

Two edits: give an existing entry its ``newName`` (replaced in place, or added as the
entry's last key), and append entries ``{name, newName}`` (the list is created when the
kustomization has none).  Every other byte stays; the result is read back and must load
to exactly the old data with those changes, or :class:`EditError` is raised.

Pure: text in, text out.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from ecr import yaml_loader
from ecr.values.insert import end_of, insert_at, insert_flow, span_of
from ecr.values.quoting import render_key, render_value
from ecr.values.scan import child
from ecr.yaml_loader import LOADER

__all__ = ["EditError", "Entry", "apply", "entries"]


class EditError(ValueError):
    """The kustomization's shape does not allow a safe edit; the message says where."""


@dataclass(frozen=True)
class Entry:
    """One ``images:`` entry as kustomize reads it."""

    index: int
    name: str
    new_name: str | None
    new_tag: str | None
    digest: str | None
    line: int  # 1-based line of the entry

    @property
    def output(self) -> str:
        """The image name this entry gives what it matches."""
        return self.new_name or self.name


def _images(root: yaml.Node | None) -> yaml.Node | None:
    return child(root, "images")


def entries(text: str) -> list[Entry]:
    """The ``images:`` entries with a name (others are left to kustomize)."""
    images = _images(yaml.compose(text, Loader=LOADER))
    if not isinstance(images, yaml.SequenceNode):
        return []
    found = []
    for index, item in enumerate(images.value):
        if not isinstance(item, yaml.MappingNode):
            continue
        values = {k.value: v.value for k, v in item.value
                  if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)}
        name = values.get("name")
        if isinstance(name, str) and name:
            found.append(Entry(index, name, values.get("newName") or None,
                               values.get("newTag") or None, values.get("digest") or None,
                               item.start_mark.line + 1))
    return found


def apply(text: str, new_names: dict[int, str], added: Sequence[tuple[str, str]]) -> str:
    """``text`` with entry ``index``'s newName set for each of ``new_names`` and the
    ``(name, newName)`` entries of ``added`` appended; read back before it is returned."""
    out = text
    # last entry first: an edit never moves the text of the entries before it
    for index in sorted(new_names, reverse=True):
        out = _set_new_name(out, index, new_names[index])
    if added:
        out = _append(out, added)
    expected = copy.deepcopy(yaml_loader.load(text)) or {}
    images = expected.setdefault("images", []) if isinstance(expected, dict) else None
    if not isinstance(images, list):
        raise EditError("images: is not a list; edit it by hand")
    for index, value in new_names.items():
        images[index]["newName"] = value
    images.extend({"name": name, "newName": value} for name, value in added)
    try:
        after = yaml_loader.load(out)
    except yaml.YAMLError as exc:
        raise EditError(f"the edit does not read back ({exc})") from None
    if after != expected:
        raise EditError("the kustomization's shape does not allow a safe edit of images:; "
                        "set the entries by hand")
    return out


def _nl(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _set_new_name(text: str, index: int, value: str) -> str:
    images = _images(yaml.compose(text, Loader=LOADER))
    assert isinstance(images, yaml.SequenceNode)
    item = images.value[index]
    if not isinstance(item, yaml.MappingNode):
        raise EditError(f"images[{index}] is not a mapping")
    current = child(item, "newName")
    if isinstance(current, yaml.ScalarNode):
        if current.style in ("|", ">"):
            raise EditError(f"images[{index}].newName is a block scalar; edit it by hand")
        start, end = span_of(text, current)
        if start == end:  # "newName:" with nothing: the value needs its own space
            return text[:start] + " " + render_value(value) + text[end:]
        return (text[:start] + render_value(value, current.style or None,
                                            bool(item.flow_style)) + text[end:])
    if current is not None:
        raise EditError(f"images[{index}].newName is not a plain value")
    if item.flow_style:
        return str(insert_flow(text, item, ["newName"], value))
    at = end_of(text, item)
    column = int(item.value[0][0].start_mark.column)
    line = " " * column + f"{render_key('newName')}: {render_value(value)}{_nl(text)}"
    if at == len(text) and text and not text.endswith(("\n", "\r")):
        line = _nl(text) + line
    return text[:at] + line + text[at:]


def _append(text: str, added: Sequence[tuple[str, str]]) -> str:
    root = yaml.compose(text, Loader=LOADER)
    nl = _nl(text)
    if root is None or (isinstance(root, yaml.MappingNode) and not root.value):
        if text.strip() and text.strip() != "{}":
            raise EditError("the kustomization is empty but not blank; edit it by hand")
        return "images:" + nl + _block_items(added, 0, 2, nl)
    if not isinstance(root, yaml.MappingNode) or root.flow_style:
        raise EditError("the kustomization is not a block mapping; edit it by hand")
    images = _images(root)
    if images is None:
        column = root.value[0][0].start_mark.column
        block = " " * column + "images:" + nl + _block_items(added, column, 2, nl)
        return insert_at(text, end_of(text, root), block, nl)
    if not isinstance(images, yaml.SequenceNode):
        raise EditError("images: is not a list; edit it by hand")
    if images.flow_style:
        start, end = span_of(text, images)
        if end <= start or text[end - 1] != "]":
            raise EditError("cannot find the end of the images: list; edit it by hand")
        items = ", ".join(
            "{" + f"name: {render_value(n, None, True)}, "
            f"newName: {render_value(v, None, True)}" + "}" for n, v in added)
        if images.value:
            _, last_end = span_of(text, images.value[-1])
            return text[:last_end] + ", " + items + text[last_end:]
        return text[: end - 1] + items + text[end - 1:]
    if not images.value:
        raise EditError("images: is an empty block list")
    dash = images.start_mark.column
    first = images.value[0]
    step = (first.value[0][0].start_mark.column - dash
            if isinstance(first, yaml.MappingNode) and first.value and not first.flow_style
            else 2)
    last = images.value[-1]
    if not isinstance(last, yaml.MappingNode) or last.flow_style or not last.value:
        at = _line_after(text, last)
    else:
        at = end_of(text, last)
    return insert_at(text, at, _block_items(added, dash, step, nl), nl)


def _line_after(text: str, node: yaml.Node) -> int:
    _, end = span_of(text, node)
    newline = text.find("\n", end)
    return len(text) if newline < 0 else newline + 1


def _block_items(added: Sequence[tuple[str, str]], dash: int, step: int, nl: str) -> str:
    pad, inner = " " * dash, " " * (dash + max(step, 2))
    return "".join(
        f"{pad}-{' ' * (max(step, 2) - 1)}name: {render_value(name)}{nl}"
        f"{inner}newName: {render_value(value)}{nl}"
        for name, value in added)
