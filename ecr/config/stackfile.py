"""The few stack settings the operations commands read from ``Pulumi.<stack>.yaml``.

``lifecycle apply`` needs the cache lifecycle settings, ``status`` the caches and
those settings, ``doctor`` the caches, node roles and those settings, so they can
check a deployment against what the stack declares without the pulumi CLI.  Without
``--stack-file`` they read ``Pulumi.<stack>.yaml`` from the project directory (stack
from ``--stack``, default ``prod``) when that file exists, as ``pulumi`` itself would.
``pulumi config set`` stores scalars as strings ("90"), so numbers are parsed here,
with a message naming the key when one is not a number.  Secrets (``secure:`` values)
are never read.  A key the file leaves out takes the stack's own default from
``ecr.config.settings`` (the one place those numbers live), so the tools judge what
``pulumi up`` would deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ecr import catalogue
from ecr.config import settings
from ecr.policies import lifecycle as lifecycle_policy

NAMESPACE = settings.NAMESPACE
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


@dataclass(frozen=True)
class CachePolicySettings:
    """What the cache lifecycle policy is built from: cacheUnpulledDays, cacheKeepImages."""

    unpulled_days: int
    keep_images: int

    def policy(self) -> lifecycle_policy.PolicyDocument:
        """The creation templates' policy (``PolicyValueError`` when a value is out of range)."""
        return lifecycle_policy.cache_lifecycle_policy(self.unpulled_days, self.keep_images)


def default_unpulled_days() -> int:
    """The stack's default cacheUnpulledDays: ``ecr.config.settings`` (which Pulumi.yaml mirrors)
    is the one place it lives; read at call time, never copied."""
    return settings.DEFAULT_CACHE_UNPULLED_DAYS


def default_keep_images() -> int:
    """The stack's default cacheKeepImages (``ecr.config.settings``)."""
    return settings.DEFAULT_CACHE_KEEP_IMAGES


def cache_policy_settings(
    stack: StackSettings | None, unpulled_days: int | None = None, keep_images: int | None = None
) -> CachePolicySettings:
    """The flags first, then the stack file, then the stack's defaults (``ecr.config.settings``)."""
    if unpulled_days is None:
        unpulled_days = stack.unpulled_days if stack else None
    if keep_images is None:
        keep_images = stack.keep_images if stack else None
    return CachePolicySettings(
        default_unpulled_days() if unpulled_days is None else unpulled_days,
        default_keep_images() if keep_images is None else keep_images,
    )


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
