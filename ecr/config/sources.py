"""Where raw config comes from, turned into what ``ecr.config.settings.validate`` reads.

Three readers hand the same validator the same raw values:

* the program: ``ecr/stack/config_source.py`` (Pulumi's runtime config: strings, arrays
  as JSON text);
* the tools: ``Pulumi.<stack>.yaml`` (``from_stack_file``: YAML scalars and lists,
  secrets as ``{secure: <ciphertext>}``);
* ``scripts/setup-ecr.sh``: ``pulumi config --json`` (``from_config_json``: ``value`` text,
  ``objectValue`` for arrays, secrets without their value).

Secret values are never read: a secret key stands in with ``SECRET_PLACEHOLDER``, so the
validator sees that the key is set, and set as a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ecr.config.keys import NAMESPACE

SECRET_PLACEHOLDER = "[secret]"


class SourceError(ValueError):
    """The config container itself is malformed (not the values in it)."""


@dataclass(frozen=True)
class RawConfig:
    """``infra-ecr`` keys without the namespace -> raw value; the secret keys, qualified."""

    values: dict[str, object]
    secret_keys: frozenset[str]
    region: str | None = None


def _split(full_key: str) -> str | None:
    namespace, sep, key = full_key.partition(":")
    return key if sep and namespace == NAMESPACE else None


def from_stack_file(data: object) -> RawConfig:
    """The config of a parsed ``Pulumi.<stack>.yaml`` (a mapping with a ``config`` block)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SourceError("not a Pulumi stack file (expected a mapping)")
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise SourceError("'config' must be a mapping")
    values: dict[str, object] = {}
    secrets: set[str] = set()
    for full_key, value in config.items():
        key = _split(str(full_key))
        if key is None:
            continue
        if isinstance(value, Mapping) and "secure" in value:
            values[key] = SECRET_PLACEHOLDER
            secrets.add(str(full_key))
        else:
            values[key] = value
    region = config.get("aws:region")
    return RawConfig(values, frozenset(secrets), region if isinstance(region, str) else None)


def from_config_json(data: object) -> RawConfig:
    """The output of ``pulumi config --json`` (without ``--show-secrets``)."""
    if not isinstance(data, Mapping):
        raise SourceError("pulumi config --json did not print a JSON object")
    values: dict[str, object] = {}
    secrets: set[str] = set()
    for full_key, entry in data.items():
        key = _split(str(full_key))
        if key is None or not isinstance(entry, Mapping):
            continue
        if entry.get("secret") is True:
            secrets.add(str(full_key))
            values[key] = SECRET_PLACEHOLDER
        elif "objectValue" in entry:
            values[key] = entry["objectValue"]
        elif "value" in entry:
            values[key] = entry["value"]
    region_entry = data.get("aws:region")
    region = region_entry.get("value") if isinstance(region_entry, Mapping) else None
    return RawConfig(values, frozenset(secrets), region if isinstance(region, str) else None)
