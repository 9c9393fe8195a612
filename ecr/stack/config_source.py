"""Read the raw ``infra-ecr:*`` config from the Pulumi runtime for ``ecr.config.settings``."""

from __future__ import annotations

import pulumi
from pulumi.runtime import config as runtime_config

from ecr.config.settings import KEY_NAMES, NAMESPACE, ConfigError, Settings, load_settings


def _namespace_keys() -> set[str]:
    """Every key set in our namespace, known or not (so typos are caught)."""
    names = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    prefix = f"{NAMESPACE}:"
    return {n[len(prefix):] for n in names if n.startswith(prefix)} | set(KEY_NAMES)


def read_raw() -> tuple[dict[str, object], set[str]]:
    """(key -> raw value for every set key, fully qualified secret keys)."""
    raw: dict[str, object] = {}
    secrets: set[str] = set()
    for key in _namespace_keys():
        full = f"{NAMESPACE}:{key}"
        value = runtime_config.get_config(full)
        if value is not None:
            raw[key] = value
            if runtime_config.is_config_secret(full):
                secrets.add(full)
    return raw, secrets


def load() -> Settings:
    """Validated settings, or a clean ``RunError`` (no traceback) listing every problem."""
    raw, secrets = read_raw()
    try:
        settings = load_settings(raw, secrets)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None
    for warning in settings.warnings:
        pulumi.log.warn(warning)
    return settings
