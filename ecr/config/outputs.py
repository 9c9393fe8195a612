"""Where the tools learn the registry: ``--registry``, ``ECR_REGISTRY``, or the stack.

The helper scripts read the deployed stack's outputs (``ecr_registry_url``,
``cache_prefixes``) with the ``pulumi`` CLI, so they never import pulumi.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ecr import catalogue

PROJECT_DIR = Path(__file__).resolve().parent.parent


class RegistryNotFound(Exception):
    """No registry given and none could be read from the stack."""


@dataclass(frozen=True)
class Target:
    registry: str  # e.g. 123456789012.dkr.ecr.af-south-1.amazonaws.com
    host_prefixes: dict[str, str] = field(default_factory=catalogue.host_to_prefix)
    source: str = "--registry"


def stack_outputs(stack: str | None = None, cwd: Path = PROJECT_DIR) -> dict[str, object]:
    """``pulumi stack output --json`` as a dict; empty when pulumi is absent or fails."""
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
    value = value.strip()
    for scheme in ("https://", "http://"):
        if value.startswith(scheme):
            value = value[len(scheme) :]
    return value.rstrip("/")


def resolve(registry: str | None = None, stack: str | None = None) -> Target:
    """The registry to convert to, in order: argument, ``ECR_REGISTRY``, stack output."""
    if registry:
        return Target(normalise_registry(registry), source="--registry")
    env = os.environ.get("ECR_REGISTRY")
    if env:
        return Target(normalise_registry(env), source="ECR_REGISTRY")
    outputs = stack_outputs(stack)
    url = outputs.get("ecr_registry_url")
    if isinstance(url, str) and url:
        prefixes = outputs.get("cache_prefixes")
        if isinstance(prefixes, dict) and prefixes:
            mapping = {str(k): str(v) for k, v in prefixes.items()}
        else:
            mapping = catalogue.host_to_prefix()
        return Target(normalise_registry(url), mapping, source="pulumi stack output")
    raise RegistryNotFound(
        "no registry: pass --registry <account>.dkr.ecr.<region>.amazonaws.com, "
        "or export ECR_REGISTRY, or run from the deployed stack's directory with the "
        "pulumi CLI logged in (pulumi stack output ecr_registry_url)"
    )
