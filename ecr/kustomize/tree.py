"""The kustomizations under some paths, what each references, and the roots.

A kustomization is a directory holding ``kustomization.yaml``, ``kustomization.yml`` or
``Kustomization`` (kind ``Kustomization`` or ``Component``).  Its ``resources``,
``bases`` and ``components`` name files, directories (other kustomizations) or remote
targets (URLs); ``patches`` & co. name files.  The roots are the kustomizations that no
other one in the tree includes: what a user deploys.  Remote targets and ``helmCharts``
are only noted: they are never fetched or rendered here.

Pure apart from reading the kustomization files and looking at paths.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ecr import yaml_loader

__all__ = ["KUSTOMIZATION_NAMES", "Kustomization", "Tree", "find_trees", "kustomization_file",
           "tree_of"]

# kustomize's own order of preference (konfig.RecognizedKustomizationFileNames)
KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
_INCLUDES = ("resources", "bases", "components")
_FILE_LISTS = ("patchesStrategicMerge", "crds", "configurations", "transformers",
               "generators", "validators")
_PATH_ITEMS = ("patches", "patchesJson6902", "replacements")
_SKIP_DIRS = {"node_modules", "venv", "__pycache__"}
# what kustomize reads as a remote target rather than a local path
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/|gitlab\.com/|"
                     r"bitbucket\.org/)|\?ref=|\.git(?:/|$|\?)|//", re.IGNORECASE)


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of ``directory`` (kustomize's name order), or None."""
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if os.path.isfile(candidate):
            return candidate
    return None


@dataclass
class Kustomization:
    directory: Path
    file: Path
    kind: str = "Kustomization"  # or Component
    includes: list[Path] = field(default_factory=list)  # kustomization directories
    files: list[Path] = field(default_factory=list)  # resource and patch files it reads
    remote: list[str] = field(default_factory=list)  # remote resources/bases/components
    problems: list[str] = field(default_factory=list)  # why it cannot be rendered here
    # kustomizations of the same git checkout, not given, that include this one
    included_by: list[Path] = field(default_factory=list)

    @property
    def is_component(self) -> bool:
        return self.kind == "Component"


@dataclass
class Tree:
    """Kustomizations connected by includes: converted and proven as one unit."""

    kustomizations: dict[Path, Kustomization]  # by resolved directory
    roots: list[Path]

    @property
    def files(self) -> set[Path]:
        """Every file the tree reads (resolved): not converted on their own."""
        found: set[Path] = set()
        for k in self.kustomizations.values():
            found.add(_real(k.file))
            found.update(_real(path) for path in k.files)
        return found

    def blockers(self, root: Path) -> list[str]:
        """Why ``root`` cannot be rendered here (remote targets, helmCharts, missing or
        unreadable files): empty when it can."""
        reached = list(self.reaches(root))
        return ([problem for k in reached for problem in k.problems]
                + [f"{k.file}: remote {entry} is not fetched here"
                   for k in reached for entry in k.remote])

    def reaches(self, root: Path) -> Iterator[Kustomization]:
        """``root`` and every kustomization it includes, each once."""
        seen: set[Path] = set()
        stack = [root]
        while stack:
            here = stack.pop()
            if here in seen or here not in self.kustomizations:
                continue
            seen.add(here)
            yield self.kustomizations[here]
            stack.extend(self.kustomizations[here].includes)


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))  # never raises, even for a symlink loop


def is_remote(entry: str) -> bool:
    return bool(_REMOTE.search(entry))


def find_trees(paths: Iterable[Path]) -> list[Tree]:
    """The kustomization trees under ``paths`` (files named like a kustomization, and
    directories searched for them), with every kustomization they include, even outside
    ``paths``."""
    start: list[Path] = []
    for path in paths:
        if os.path.isdir(path):
            start.extend(_search(path))
        elif path.name in KUSTOMIZATION_NAMES and os.path.isfile(path):
            start.append(path.parent)
    trees = _group(_collect(start))
    _mark_included_elsewhere(trees)
    return trees


def _mark_included_elsewhere(trees: list[Tree]) -> None:
    """Roots that another kustomization of the same git checkout includes: converting
    one alone would change what the other runs (its ``images:`` names would no longer
    match), so the caller leaves it."""
    by_checkout: dict[Path, dict[Path, list[Path]]] = {}
    for tree in trees:
        for root in tree.roots:
            checkout = _checkout_of(root)
            if checkout is None:
                continue
            if checkout not in by_checkout:
                everything = _collect(_search(checkout))
                includers: dict[Path, list[Path]] = {}
                for directory, k in everything.items():
                    for target in k.includes:
                        includers.setdefault(target, []).append(directory)
                by_checkout[checkout] = includers
            others = [d for d in by_checkout[checkout].get(root, [])
                      if d not in tree.kustomizations]
            tree.kustomizations[root].included_by = sorted(others)


def _checkout_of(directory: Path) -> Path | None:
    for parent in [directory, *directory.parents]:
        if os.path.exists(parent / ".git"):
            return parent
    return None


def tree_of(directory: Path) -> Tree | None:
    """The tree rooted at the kustomization in ``directory`` (None when it has none)."""
    found = _collect([directory])
    real = _real(directory)
    if real not in found:
        return None
    return Tree({d: k for d, k in found.items()}, [real])


def _collect(start: Iterable[Path]) -> dict[Path, Kustomization]:
    """The kustomizations in ``start`` and every one they include."""
    found: dict[Path, Kustomization] = {}
    pending = [_real(d) for d in start]
    while pending:
        directory = pending.pop()
        if directory in found:
            continue
        file = kustomization_file(directory)
        if file is None:
            continue
        kustomization = _read(directory, file)
        found[directory] = kustomization
        pending.extend(kustomization.includes)
    return found


def _search(top: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and d not in _SKIP_DIRS)
        if any(name in KUSTOMIZATION_NAMES for name in filenames):
            yield Path(dirpath)


def _read(directory: Path, file: Path) -> Kustomization:
    result = Kustomization(directory, file)
    try:
        data = yaml_loader.load(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        result.problems.append(f"{file}: cannot be read as YAML ({exc})")
        return result
    if data is None:
        data = {}
    if not isinstance(data, dict):
        result.problems.append(f"{file}: not a mapping")
        return result
    if data.get("kind") == "Component":
        result.kind = "Component"
    for key in _INCLUDES:
        for entry in _strings(data.get(key)):
            _include(result, directory, entry)
    for key in _FILE_LISTS:
        for entry in _strings(data.get(key)):
            _file(result, directory, entry)
    for key in _PATH_ITEMS:
        for item in data.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                _file(result, directory, item["path"])
    for key in ("configMapGenerator", "secretGenerator"):
        for item in data.get(key) or []:
            if isinstance(item, dict):
                for entry in _strings(item.get("files")) + _strings(item.get("envs")):
                    _file(result, directory, entry.rpartition("=")[2])
    if data.get("helmCharts") or data.get("helmChartInflationGenerator"):
        result.problems.append(
            f"{file}: helmCharts need kustomize --enable-helm and the chart from its "
            "repository; convert the chart with --chart instead")
    return result


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _include(result: Kustomization, directory: Path, entry: str) -> None:
    target = directory / entry
    if os.path.isdir(target):
        result.includes.append(_real(target))
    elif os.path.isfile(target):
        result.files.append(target)
    elif is_remote(entry):
        result.remote.append(entry)
    else:
        result.problems.append(f"{result.file}: {entry} does not exist")


def _file(result: Kustomization, directory: Path, entry: str) -> None:
    target = directory / entry
    if os.path.isfile(target):
        result.files.append(target)
    elif "\n" not in entry and is_remote(entry):
        result.remote.append(entry)


def _group(found: dict[Path, Kustomization]) -> list[Tree]:
    """Connected kustomizations, each group with its roots (included by no other)."""
    included = {target for k in found.values() for target in k.includes}
    parent: dict[Path, Path] = {d: d for d in found}

    def top(d: Path) -> Path:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for directory, kustomization in found.items():
        for target in kustomization.includes:
            if target in found:
                parent[top(target)] = top(directory)
    groups: dict[Path, dict[Path, Kustomization]] = {}
    for directory in sorted(found):
        groups.setdefault(top(directory), {})[directory] = found[directory]
    return [Tree(members, sorted(d for d in members if d not in included))
            for members in groups.values()]
