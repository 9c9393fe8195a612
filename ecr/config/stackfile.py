"""The stack settings the operations commands read from ``Pulumi.<stack>.yaml``.

``lifecycle``, ``status`` and ``doctor`` check a deployment against what the stack declares,
without the pulumi CLI.  Without ``--stack-file`` they read ``Pulumi.<stack>.yaml`` from the
project directory (stack from ``--stack``, default ``prod``) when that file exists, as
``pulumi`` itself would.  The values go through the program's own validator
(``ecr.config.settings.validate``), so a value ``pulumi up`` would refuse is refused here with
the same message and fix; a key the file leaves out takes the stack's default from
``ecr.config.keys`` (the one place those numbers live).  Secrets (``secure:`` values) are
never read, and missing credentials are not the tools' concern.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ecr import yaml_loader
from ecr.config import keys
from ecr.config.problems import ConfigError
from ecr.config.project import PROJECT_DIR
from ecr.config.settings import Settings, validate
from ecr.config.sources import SourceError, from_stack_file
from ecr.policies import lifecycle

NAMESPACE = keys.NAMESPACE
DEFAULT_STACK = "prod"
# The directory holding Pulumi.yaml (this package's parent); tests point it elsewhere.


class StackFileError(ValueError):
    """The stack file is missing or a value in it is not what the stack expects."""


@dataclass(frozen=True)
class StackSettings:
    """A stack file's settings: ``settings`` (defaults filled in) and which keys it sets."""

    path: Path
    region: str | None
    settings: Settings = field(default_factory=Settings)
    explicit: frozenset[str] = frozenset()

    @property
    def caches(self) -> tuple[str, ...]:
        return self.settings.caches

    @property
    def node_role_names(self) -> tuple[str, ...]:
        return self.settings.node_role_names

    @property
    def eks_cluster_name(self) -> str | None:
        return self.settings.eks_cluster_name

    @property
    def cache_unpulled_days(self) -> int:
        """cacheUnpulledDays: the pruner's days since the last pull (0 = pruning off)."""
        return self.settings.cache_unpulled_days

    @property
    def unpulled_days(self) -> int | None:
        """cacheUnpulledDays when the file sets it, else None."""
        return self.settings.cache_unpulled_days if "cacheUnpulledDays" in self.explicit else None

    @property
    def max_age_days(self) -> int | None:
        """cacheMaxAgeDays when the file sets it, else None."""
        return self.settings.cache_max_age_days if "cacheMaxAgeDays" in self.explicit else None

    @property
    def keep_images(self) -> int | None:
        """cacheKeepImages when the file sets it, else None."""
        return self.settings.cache_keep_images if "cacheKeepImages" in self.explicit else None


@dataclass(frozen=True)
class CachePolicySettings:
    """What the cache lifecycle policy is built from (cacheMaxAgeDays, cacheKeepImages), and
    the pruner's cacheUnpulledDays beside it."""

    max_age_days: int
    keep_images: int
    cache_unpulled_days: int = keys.DEFAULT_CACHE_UNPULLED_DAYS
    prune_dry_run: bool = False  # pruneDryRun: the scheduled pruner only logs

    @property
    def unpulled_days(self) -> int:
        """cacheUnpulledDays (the name the commands used before cacheMaxAgeDays existed)."""
        return self.cache_unpulled_days

    def policy(self) -> lifecycle.PolicyDocument:
        """The creation templates' policy (``PolicyValueError`` when a value is out of range
        or both limits are off)."""
        return lifecycle.cache_lifecycle_policy(self.max_age_days, self.keep_images)


def default_unpulled_days() -> int:
    """The stack's default cacheUnpulledDays (``ecr.config.keys``, which Pulumi.yaml mirrors),
    read at call time, never copied."""
    return keys.DEFAULT_CACHE_UNPULLED_DAYS


def default_max_age_days() -> int:
    """The stack's default cacheMaxAgeDays (``ecr.config.keys``)."""
    return keys.DEFAULT_CACHE_MAX_AGE_DAYS


def default_keep_images() -> int:
    """The stack's default cacheKeepImages (``ecr.config.keys``)."""
    return keys.DEFAULT_CACHE_KEEP_IMAGES


def _first(*candidates: int | None) -> int:
    return next(c for c in candidates if c is not None)


def cache_policy_settings(
    stack: StackSettings | None,
    max_age_days: int | None = None,
    keep_images: int | None = None,
    unpulled_days: int | None = None,
) -> CachePolicySettings:
    """The flags first, then the stack file, then the stack's defaults (``ecr.config.keys``)."""
    return CachePolicySettings(
        _first(max_age_days, stack.max_age_days if stack else None, default_max_age_days()),
        _first(keep_images, stack.keep_images if stack else None, default_keep_images()),
        _first(unpulled_days, stack.unpulled_days if stack else None, default_unpulled_days()),
        stack.settings.prune_dry_run if stack else False,
    )


def parse(data: object, path: Path) -> StackSettings:
    """Settings from a parsed stack file (pure; ``load`` does the reading)."""
    try:
        raw = from_stack_file(data)
    except SourceError as error:
        raise StackFileError(f"{path}: {error}") from None
    try:
        settings = validate(raw.values, raw.secret_keys).settings_or_raise(
            credentials_required=False)
    except ConfigError as error:
        raise StackFileError(f"{path}: {error}") from None
    return StackSettings(path=path, region=raw.region, settings=settings,
                         explicit=frozenset(raw.values))


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
        data = yaml_loader.load(text)
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
