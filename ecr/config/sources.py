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

from collections.abc import Callable, Iterable, Mapping
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


_ABSENT = object()  # an entry that holds no value


def _collect(items: Iterable[tuple[object, object]],
             read: Callable[[object], tuple[bool, object]], region: object) -> RawConfig:
    """RawConfig from ``(full key, entry)`` pairs; ``read`` says whether an entry is a secret
    and what value it holds (``_ABSENT``: none)."""
    values: dict[str, object] = {}
    secrets: set[str] = set()
    for full_key, entry in items:
        key = _split(str(full_key))
        if key is None:
            continue
        secret, value = read(entry)
        if secret:
            values[key] = SECRET_PLACEHOLDER
            secrets.add(str(full_key))
        elif value is not _ABSENT:
            values[key] = value
    return RawConfig(values, frozenset(secrets), region if isinstance(region, str) else None)


def _stack_file_entry(value: object) -> tuple[bool, object]:
    return (True, _ABSENT) if isinstance(value, Mapping) and "secure" in value else (False, value)


def _config_json_entry(entry: object) -> tuple[bool, object]:
    if not isinstance(entry, Mapping):
        return False, _ABSENT
    if entry.get("secret") is True:
        return True, _ABSENT
    if "objectValue" in entry:
        return False, entry["objectValue"]
    return False, entry.get("value", _ABSENT)


def from_stack_file(data: object) -> RawConfig:
    """The config of a parsed ``Pulumi.<stack>.yaml`` (a mapping with a ``config`` block)."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SourceError("not a Pulumi stack file (expected a mapping)")
    config = data.get("config") or {}
    if not isinstance(config, Mapping):
        raise SourceError("'config' must be a mapping")
    return _collect(config.items(), _stack_file_entry, config.get("aws:region"))


def from_config_json(data: object) -> RawConfig:
    """The output of ``pulumi config --json`` (without ``--show-secrets``)."""
    if not isinstance(data, Mapping):
        raise SourceError("pulumi config --json did not print a JSON object")
    region_entry = data.get("aws:region")
    region = region_entry.get("value") if isinstance(region_entry, Mapping) else None
    return _collect(data.items(), _config_json_entry, region)
