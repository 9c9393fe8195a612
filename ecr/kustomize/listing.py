"""What the Kustomize trees under some paths run: every root rendered with ``kubectl
kustomize``, each container with the root that runs it (for ``images`` and ``verify``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ecr.images.workload import WorkloadImage, from_text
from ecr.kustomize.render import KubectlMissing, RenderFailed, find_kubectl, render
from ecr.kustomize.tree import find_trees

__all__ = ["Rendered", "rendered"]


@dataclass
class Rendered:
    containers: list[tuple[Path, WorkloadImage]] = field(default_factory=list)  # (root, ...)
    files: set[Path] = field(default_factory=set)  # every file the trees read (real paths)
    problems: list[str] = field(default_factory=list)  # roots that could not be rendered

    def reads(self, path: Path) -> bool:
        return Path(os.path.realpath(path)) in self.files


def rendered(paths: Iterable[str | Path]) -> Rendered:
    """Every container of every root of the trees under ``paths``; a root that cannot be
    rendered (remote bases, helmCharts, kubectl's refusal, no kubectl) is a problem."""
    result = Rendered()
    trees = find_trees(Path(p) for p in paths if os.path.exists(p))
    kubectl: str | None = None
    for tree in trees:
        result.files |= tree.files
        for root in tree.roots:
            kustomization = tree.kustomizations[root]
            if kustomization.is_component:
                continue
            blockers = tree.blockers(root)
            if blockers:
                result.problems.append(f"{root}: not rendered: {'; '.join(blockers)}")
                continue
            try:
                kubectl = kubectl or find_kubectl()
                text = render(root, kubectl)
            except KubectlMissing as exc:
                result.problems.append(f"{root}: {exc}")
                continue
            except RenderFailed as exc:
                result.problems.append(f"{root}: kubectl kustomize cannot render it: {exc}")
                continue
            result.containers += [(root, item) for item in from_text(text, str(root))]
    return result
