"""Where the tools learn the registry: ``--registry``, ``ECR_REGISTRY``, or the stack.

The one resolver (``convert``, ``images``, ``verify``, ``doctor`` and the chart tools
use :func:`resolve`; the CLI layer adds the host-name grammar in
:func:`ecr.cli.image_options.registry_target`).  A value is a registry host
(``<account>.dkr.ecr.<region>.amazonaws.com``, ``host:port``), optionally as
``https://HOST[:PORT]`` or, for a local test registry, ``http://HOST[:PORT]``.

The helper scripts read the deployed stack's outputs (``ecr_registry_url``,
``cache_prefixes``) with the ``pulumi`` CLI, so they never import pulumi.  json and
subprocess are imported only then: ``convert IMAGE`` must start fast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ecr import catalogue
from ecr.config.project import PROJECT_DIR
from ecr.images import mapping


class RegistryNotFound(Exception):
    """No registry given and none could be read from the stack."""


class BadRegistry(RegistryNotFound):
    """A registry was given, but it is not one (a path, a bad port, a bare name).

    A subclass of :class:`RegistryNotFound`, so every caller that handles a missing
    registry also reports a bad one instead of failing on it.
    """


@dataclass(frozen=True)
class Target:
    registry: str  # host[:port], as in cache references: <account>.dkr.ecr.<region>.amazonaws.com
    host_prefixes: dict[str, str] = field(default_factory=catalogue.host_to_prefix)
    source: str = "--registry"
    scheme: str = "https"  # "http" only when given as http://HOST (a local test registry)

    @property
    def url(self) -> str:
        """``scheme://host[:port]``, what a registry client talks to."""
        return f"{self.scheme}://{self.registry}"


def stack_outputs(stack: str | None = None, cwd: Path = PROJECT_DIR) -> dict[str, object]:
    """``pulumi stack output --json`` as a dict; empty when pulumi is absent or fails."""
    import json
    import shutil
    import subprocess

    if shutil.which("pulumi") is None:
        return {}
    cmd = ["pulumi", "stack", "output", "--json", "--non-interactive"]
    if stack:
        cmd += ["--stack", stack]
    try:
        done = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return {}
    if done.returncode != 0:
        return {}
    try:
        data = json.loads(done.stdout or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def normalise_registry(value: str) -> str:
    """Strip a scheme and trailing slashes: ``https://x/`` -> ``x``."""
    return _split(value)[1]


def _split(value: str) -> tuple[str, str]:
    """(scheme, rest without trailing slashes); the scheme is "https" when none is given."""
    value = value.strip()
    scheme = "https"
    for prefix in ("https://", "http://"):
        if value.lower().startswith(prefix):
            scheme, value = prefix[:-3], value[len(prefix) :]
            break
    return scheme, value.rstrip("/")


def parse_registry(value: str, source: str = "--registry") -> tuple[str, str]:
    """``(scheme, host[:port])`` of a registry value; :class:`BadRegistry` says what is wrong.

    Refused: another scheme, a path (``host/x``), a port outside 1-65535, and a single
    name without a dot or a port (``nginx``: an image, not a registry; ``localhost`` is
    the exception, as for Docker), and a host name that is not one.
    """
    given = value.strip()
    scheme, rest = _split(given)
    what = f"{source} {given!r}"
    if "://" in rest:
        raise BadRegistry(f"{what}: only https:// (or http:// for a local test registry) "
                          "is understood")
    if not rest:
        raise BadRegistry(f"{what}: empty; give <account>.dkr.ecr.<region>.amazonaws.com")
    if "/" in rest:
        raise BadRegistry(f"{what} is not a host name: give a host[:port], without a path")
    host, port = rest, ""
    if rest.startswith("["):  # [IPv6]:port
        host, _, tail = rest.partition("]")
        host += "]"
        port = tail[1:] if tail.startswith(":") else tail
    elif ":" in rest:
        host, _, port = rest.rpartition(":")
    bad_port = not port.isascii() or not port.isdigit() or not 1 <= int(port) <= 65535
    if (port or rest.endswith(":")) and bad_port:
        raise BadRegistry(f"{what}: the port must be a number from 1 to 65535")
    try:  # the host grammar and the single-name rule (``nginx``) have one home: mapping
        mapping.validated_registry(rest)
    except mapping.InvalidRegistry as exc:
        raise BadRegistry(f"{source}: {exc}") from None
    return scheme, rest


def resolve(registry: str | None = None, stack: str | None = None) -> Target:
    """The registry to convert to, in order: argument, ``ECR_REGISTRY``, stack output."""
    if registry is not None and registry.strip() == "":
        raise BadRegistry("--registry '': empty; give <account>.dkr.ecr.<region>.amazonaws.com")
    if registry:
        return _target(registry, "--registry")
    env = os.environ.get("ECR_REGISTRY")
    if env:
        return _target(env, "ECR_REGISTRY")
    outputs = stack_outputs(stack)
    url = outputs.get("ecr_registry_url")
    if isinstance(url, str) and url:
        prefixes = outputs.get("cache_prefixes")
        if isinstance(prefixes, dict) and prefixes:
            mapping = {str(k): str(v) for k, v in prefixes.items()}
        else:
            mapping = catalogue.host_to_prefix()
        return _target(url, "pulumi stack output", mapping)
    raise RegistryNotFound(
        "no registry: pass --registry <account>.dkr.ecr.<region>.amazonaws.com, "
        "or export ECR_REGISTRY, or run from the deployed stack's directory with the "
        "pulumi CLI logged in (pulumi stack output ecr_registry_url)"
    )


def _target(value: str, source: str, host_prefixes: dict[str, str] | None = None) -> Target:
    scheme, host = parse_registry(value, source)
    prefixes = catalogue.host_to_prefix() if host_prefixes is None else host_prefixes
    return Target(host, prefixes, source, scheme)
