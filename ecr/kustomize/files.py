"""``convert --files`` over Kustomize trees: each tree found under the paths is converted
as one unit (:mod:`ecr.kustomize.convert`), reported with the ``--files`` structures
(:class:`ecr.values.files.FileOutcome`) and written atomically when asked."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ecr.kustomize.convert import RootOutcome, Target, convert_tree
from ecr.kustomize.render import KubectlMissing, find_kubectl
from ecr.kustomize.tree import find_trees
from ecr.values.files import FileChanged, FileOutcome, atomic_write
from ecr.values.rewrite import Rewrite

__all__ = ["Converted", "convert_trees"]


@dataclass
class Converted:
    outcomes: list[FileOutcome] = field(default_factory=list)  # one per root
    files: set[Path] = field(default_factory=set)  # every file the trees read (real paths)

    def reads(self, path: Path) -> bool:
        """A tree reads ``path``: it is converted with its tree, never on its own."""
        return Path(os.path.realpath(path)) in self.files


def convert_trees(paths: Iterable[str | Path], target: Target, *, write: bool,
                  progress: Callable[[str], None] | None = None) -> Converted:
    """Convert every Kustomize tree under ``paths``; with ``write``, write each root whose
    tree was proven."""
    result = Converted()
    trees = find_trees(Path(p) for p in paths if os.path.exists(p))
    if not trees:
        return result
    for tree in trees:
        result.files |= tree.files
    try:
        kubectl = find_kubectl()
    except KubectlMissing as exc:
        result.outcomes = [FileOutcome(tree.kustomizations[root].file, error=str(exc))
                           for tree in trees for root in tree.roots]
        return result
    for tree in trees:
        for root in convert_tree(tree, target, kubectl, progress):
            result.outcomes.append(_outcome(root, write))
    return result


def _outcome(root: RootOutcome, write: bool) -> FileOutcome:
    if root.error is not None:
        return FileOutcome(root.file, error=root.error)
    rewrite = Rewrite(str(root.file), root.original, root.text, root.changes, root.skips,
                      notes=root.notes)
    outcome = FileOutcome(root.file, rewrite=rewrite)
    if write and outcome.changed:
        try:
            outcome.warnings = atomic_write(root.file, root.text.encode("utf-8"),
                                            expected=root.original.encode("utf-8"))
        except FileChanged as exc:
            outcome.error = exc.strerror
        except OSError as exc:
            outcome.error = f"cannot write: {exc.strerror or exc}"
        else:
            outcome.written = True
    return outcome
