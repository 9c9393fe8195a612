"""The few stack settings the operations commands read from ``Pulumi.<stack>.yaml``.

``lifecycle apply`` needs the cache lifecycle settings, ``status`` the caches and
``doctor`` the caches and node roles, so they can check a deployment against what the
stack declares without the pulumi CLI.  Without ``--stack-file`` they read
``Pulumi.<stack>.yaml`` from the project directory (stack from ``--stack``, default
``prod``) when that file exists, as ``pulumi`` itself would.  ``pulumi config set``
stores scalars as strings ("90"), so numbers are parsed here, with a message naming
the key when one is not a number.  Secrets (``secure:`` values) are never read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecr import catalogue

NAMESPACE = "infra-ecr"
DEFAULT_STACK = "prod"
# The directory holding Pulumi.yaml (this package's parent); tests point it elsewhere.
PROJECT_DIR = Path(__file__).resolve().parent.parent


class StackFileError(ValueError):
    """The stack file is missing or a value in it is not what the stack expects."""


@dataclass(frozen=True)
class StackSettings:
    path: Path
    region: str | None
    caches: tuple[str, ...]
    unpulled_days: int | None
    keep_images: int | None
    node_role_names: tuple[str, ...]
    eks_cluster_name: str | None


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


def _int(config: dict[str, Any], name: str, path: Path) -> int | None:
    value = config.get(_key(name))
    if value is None:
        return None
    if isinstance(value, bool):
        raise StackFileError(f"{path}: {_key(name)} must be a whole number, got {value!r}")
    try:
        return int(str(value).strip())
    except ValueError:
        raise StackFileError(
            f"{path}: {_key(name)} must be a whole number, got {value!r}; "
            f"fix it with: pulumi config set {_key(name)} <number>"
        ) from None


def _strings(config: dict[str, Any], name: str, path: Path) -> tuple[str, ...] | None:
    value = config.get(_key(name))
    if value is None:
        return None
    if isinstance(value, str):  # a JSON array given as a plain string still counts
        text = value.strip()
        value = yaml.safe_load(text) if text.startswith("[") else [text]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise StackFileError(f"{path}: {_key(name)} must be a list of strings, got {value!r}")
    return tuple(value)


def parse(data: Any, path: Path) -> StackSettings:
    """Settings from a parsed stack file (pure; ``load`` does the reading)."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise StackFileError(f"{path}: not a Pulumi stack file (expected a mapping)")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise StackFileError(f"{path}: 'config' must be a mapping")
    region = config.get("aws:region")
    cluster = config.get(_key("eksClusterName"))
    return StackSettings(
        path=path,
        region=str(region) if isinstance(region, str) else None,
        caches=_strings(config, "caches", path) or catalogue.DEFAULT_CACHES,
        unpulled_days=_int(config, "cacheUnpulledDays", path),
        keep_images=_int(config, "cacheKeepImages", path),
        node_role_names=_strings(config, "nodeRoleNames", path) or (),
        eks_cluster_name=str(cluster) if isinstance(cluster, str) and cluster else None,
    )


def load(path: str | Path) -> StackSettings:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise StackFileError(
            f"cannot read stack file {file}: {exc.strerror or exc}; pass the path of "
            "Pulumi.<stack>.yaml, e.g. --stack-file Pulumi.prod.yaml"
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StackFileError(f"{file}: not valid YAML: {exc}") from None
    return parse(data, file)


def default_path(stack: str | None = None, project_dir: Path | None = None) -> Path:
    """``Pulumi.<stack>.yaml`` in the project directory (stack default ``prod``)."""
    return (project_dir or PROJECT_DIR) / f"Pulumi.{stack or DEFAULT_STACK}.yaml"


def resolve(stack_file: str | None, stack: str | None = None) -> StackSettings | None:
    """The settings of ``--stack-file``, else of the project's ``Pulumi.<stack>.yaml``.

    An explicit ``--stack-file`` must be readable; the default one is used only when it
    exists (a checkout without it, or a tool run elsewhere, just uses the defaults).
    """
    if stack_file:
        return load(stack_file)
    path = default_path(stack)
    return load(path) if path.is_file() else None
