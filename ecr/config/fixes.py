"""The ``pulumi config`` commands a problem message offers as its fix."""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from ecr.config.keys import NAMESPACE


def set_command(key: str, value: str, *, secret: bool = False) -> str:
    flag = "--secret " if secret else ""
    return f"pulumi config set {flag}{NAMESPACE}:{key} {shlex.quote(value)}"


def rm_command(key: str) -> str:
    return f"pulumi config rm {NAMESPACE}:{key}"


def set_list_command(key: str, values: Iterable[str]) -> str:
    """Replace a whole array: top-level ``config set`` stores strings, so use ``--path``."""
    parts = [rm_command(key)]
    parts += [
        f"pulumi config set --path {shlex.quote(f'{NAMESPACE}:{key}[{i}]')} "
        f"{'--type string ' if v.isdigit() else ''}{shlex.quote(v)}"
        for i, v in enumerate(values)
    ]
    return " && ".join(parts)


def set_secret_prompt(key: str, why: str = "prompts for the token, so it stays out of your "
                      "shell history") -> str:
    return f"pulumi config set --secret {NAMESPACE}:{key}  # {why}"
