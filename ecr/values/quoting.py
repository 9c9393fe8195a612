"""Writing one scalar into YAML text: the one rule for when plain text is safe.

Both the rewrite (values replaced in place) and the key insertion use these, so a value
is quoted the same way whichever tool wrote it.  Pure.
"""

from __future__ import annotations

import re
from functools import lru_cache

import yaml

__all__ = ["double_quoted", "plain_ok", "render_key", "render_value"]

# Characters a plain scalar may hold here: a conservative subset (no spaces, no '#',
# no flow indicators except '[' ']' in block context, nothing that starts an indicator).
_PLAIN_BLOCK = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+\-\[\]]*", re.ASCII)
_PLAIN_FLOW = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/@:+\-]*", re.ASCII)
_RESOLVER = yaml.resolver.Resolver()
_STR_TAG = "tag:yaml.org,2002:str"
# What a double-quoted scalar must escape: YAML's non-printable set plus the breaks.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\n\t]")


@lru_cache(maxsize=4096)
def plain_ok(value: str, flow: bool = False) -> bool:
    """``value`` written plain reads back as this same string (in a flow collection
    when ``flow``): no quoting needed."""
    pattern = _PLAIN_FLOW if flow else _PLAIN_BLOCK
    return (
        bool(pattern.fullmatch(value))
        and not value.endswith(":")
        and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG  # type: ignore[no-untyped-call]
    )


def double_quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar (every unprintable character escaped)."""
    body = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + _UNPRINTABLE.sub(_escape, body) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def render_value(value: str | bool | int, style: str | None = None, flow: bool = False) -> str:
    """``value`` as YAML scalar text, in ``style`` (the style of the value it replaces:
    None plain, ``'`` single, ``"`` double) when that style can hold it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if style == "'" and not _UNPRINTABLE.search(value):
        return "'" + value.replace("'", "''") + "'"
    if style is None and plain_ok(value, flow):
        return value
    return double_quoted(value)


def render_key(key: str, flow: bool = False) -> str:
    """A mapping key, plain when safe."""
    return key if plain_ok(key, flow) else double_quoted(key)
