"""Value types: read one raw config value as a string, whole number, boolean or list.

Raw values arrive the way Pulumi gives them to a program: strings, with arrays as JSON
text (``pulumi config set --path 'infra-ecr:caches[0]' quay`` stores an array), booleans as
``"true"``/``"false"``.  Already-parsed values (lists, bools, ints, as a stack file's YAML
holds them) are accepted too.  A bad value is recorded in the ``Collector`` with its fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping

from ecr.config.fixes import set_command, set_list_command
from ecr.config.keys import Range
from ecr.config.problems import Collector


def blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def string(raw: Mapping[str, object], key: str, out: Collector) -> str | None:
    value = raw.get(key)
    if blank(value):
        return None
    if not isinstance(value, str):
        out.add(key, f"must be a string, got {value!r}", set_command(key, "<value>"))
        return None
    return value.strip()


def integer(raw: Mapping[str, object], key: str, default: int, allowed: Range,
            out: Collector) -> int:
    value = raw.get(key)
    if blank(value):
        return default
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        number = int(value.strip())
    if number is None:
        out.add(key, f"must be a whole number, got {value!r}", set_command(key, str(default)))
        return default
    problem = allowed.problem(number)
    if problem:
        out.add(key, problem, set_command(key, str(default)))
        return default
    return number


def boolean(raw: Mapping[str, object], key: str, default: bool, out: Collector) -> bool:
    value = raw.get(key)
    if blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    out.add(key, f"must be true or false, got {value!r}", set_command(key, str(default).lower()))
    return default


def string_list(raw: Mapping[str, object], key: str, default: tuple[str, ...],
                out: Collector, *, allow_ints: bool = False,
                correct: Callable[[list[str]], list[str]] = list) -> tuple[str, ...] | None:
    """The array's items as strings, or None (with a problem recorded) when unusable.

    ``correct`` turns guessed items into the ones the fix command should set.
    """
    value = raw.get(key)
    if blank(value):
        return default
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            # ``pulumi config set infra-ecr:caches quay,k8s`` stores one plain string.
            guess = [part for part in re.split(r"[,\s]+", value) if part]
            out.add(key, f"must be a list of strings, got the plain string {value!r}",
                    set_list_command(key, correct(guess)))
            return None
    if not isinstance(value, list):
        out.add(key, f"must be a list of strings, got {value!r}", set_list_command(key, default))
        return None
    items: list[str] = []
    for item in value:
        if isinstance(item, str):
            items.append(item.strip())
        elif allow_ints and isinstance(item, int) and not isinstance(item, bool) and item >= 0:
            # ``config set --path ... 012345678901`` stores a number and drops the leading
            # zero; account IDs are always 12 digits, so pad it back.
            items.append(f"{item:012d}")
        else:
            out.add(key, f"every item must be a string, got {item!r}",
                    set_list_command(key, [str(i) for i in value]))
            return None
    return tuple(items)


def duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for item in items:
        if item in seen and item not in dupes:
            dupes.append(item)
        seen.add(item)
    return dupes


def unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))
