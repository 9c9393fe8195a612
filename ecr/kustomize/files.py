"""``convert --files`` over Kustomize trees: each tree found under the paths is converted
as one unit (:mod:`ecr.kustomize.convert`), reported with the ``--files`` structures
(:class:`ecr.values.files.FileOutcome`) and written atomically when asked."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ecr.kustomize import argocd
from ecr.kustomize.convert import RootOutcome, Target, convert_tree
from ecr.kustomize.render import KubectlMissing, find_kubectl
from ecr.kustomize.tree import find_trees
from ecr.values.files import (
    FileChanged,
    FileOutcome,
    NotRegularFile,
    atomic_write,
    read_regular,
    write_refusal,
)
from ecr.values.rewrite import Rewrite
from ecr.values.scan import gather

__all__ = ["Converted", "convert_trees"]


@dataclass
class Converted:
    outcomes: list[FileOutcome] = field(default_factory=list)  # one per root
    files: set[Path] = field(default_factory=set)  # every file the trees read (real paths)

    def reads(self, path: Path) -> bool:
        """A tree reads ``path``: it is converted with its tree, never on its own."""
        return Path(os.path.realpath(path)) in self.files


def convert_trees(paths: Iterable[str | Path], target: Target, *, write: bool,
                  follow_symlinks: bool = False,
                  progress: Callable[[str], None] | None = None) -> Converted:
    """Convert every Kustomize tree under ``paths``; with ``write``, write each root whose
    tree was proven (through a symlink that leaves its directory only with
    ``follow_symlinks``, never over a file with other hard links)."""
    result = Converted()
    paths = [p for p in paths if os.path.exists(p)]
    trees = find_trees(Path(p) for p in paths)
    for tree in trees:
        result.files |= tree.files
    try:
        kubectl = find_kubectl()
    except KubectlMissing as exc:
        result.outcomes = [FileOutcome(tree.kustomizations[root].file, error=str(exc))
                           for tree in trees for root in tree.roots]
        return result
    converted: dict[Path, str] = {}
    for tree in trees:
        for root in convert_tree(tree, target, kubectl, progress):
            result.outcomes.append(_outcome(root, write, follow_symlinks))
            if root.changed:
                converted[Path(os.path.realpath(root.file))] = root.text
    _applications(paths, target, kubectl, converted, write, follow_symlinks, result)
    return result


def _applications(paths: Iterable[str | Path], target: Target, kubectl: str,
                  converted: dict[Path, str], write: bool, follow_symlinks: bool,
                  result: Converted) -> None:
    """ArgoCD Applications with ``kustomize.images`` on a local kustomization
    (:mod:`ecr.kustomize.argocd`): each such manifest is converted here, not on its own."""
    for candidate in gather(list(paths)).files:
        try:
            data = read_regular(candidate.path)
            text = data.decode("utf-8")
        except (OSError, NotRegularFile, UnicodeDecodeError):
            continue  # the --files path reports it
        if "kustomize" not in text or "Application" not in text:
            continue
        try:
            found = list(argocd.applications(candidate.path, text, Path(candidate.root)))
        except (yaml.YAMLError, RecursionError):
            continue
        if not found:
            continue
        sources = [s for s in found if isinstance(s, argocd.Source)]
        rewrite = argocd.convert_application(candidate.path, text, sources, target, kubectl,
                                             converted)
        rewrite.notes += [f"{candidate.path}: {note}" for note in found
                          if isinstance(note, str)]
        result.files.add(Path(os.path.realpath(candidate.path)))
        outcome = FileOutcome(candidate.path, rewrite=rewrite)
        if write and outcome.changed:
            _write(outcome, rewrite.text, text, candidate.root, follow_symlinks)
        result.outcomes.append(outcome)


def _outcome(root: RootOutcome, write: bool, follow_symlinks: bool) -> FileOutcome:
    if root.error is not None:
        return FileOutcome(root.file, error=root.error)
    rewrite = Rewrite(str(root.file), root.original, root.text, root.changes, root.skips,
                      notes=root.notes)
    outcome = FileOutcome(root.file, rewrite=rewrite)
    if write and outcome.changed:
        _write(outcome, root.text, root.original, str(root.directory), follow_symlinks)
    return outcome


def _write(outcome: FileOutcome, text: str, original: str, within: str,
           follow_symlinks: bool) -> None:
    refusal = write_refusal(outcome.path, within, follow_symlinks)
    if refusal:
        outcome.error = refusal
        return
    try:
        outcome.warnings = atomic_write(outcome.path, text.encode("utf-8"),
                                        expected=original.encode("utf-8"))
    except FileChanged as exc:
        outcome.error = exc.strerror
    except OSError as exc:
        outcome.error = f"cannot write: {exc.strerror or exc}"
    else:
        outcome.written = True
