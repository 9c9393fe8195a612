"""Convert one kustomization tree, proven by real kustomize.

Every root (a kustomization no other one includes) is rendered with ``kubectl
kustomize``.  For each image a container runs, the root's own ``images:`` transformer
gets the relocation: the last entry that gives that name has its ``newName`` set to the
cache name (``newTag`` and ``digest`` stay, so the tag or pin it applied stays), and a
name no entry gives gets an entry ``{name, newName}`` of its own.  Bases, components and
resources are never edited, so an overlay's ``name:`` still matches what its bases
render, and no overlay changes anything but the registry.

The proof renders each root again from a temporary copy of the tree with the edits
applied and compares the two renders object by object: every container (keyed by kind,
namespace, name, container list and container name) must run exactly the cache reference
of what it ran before (or the same image when its host cannot be cached), and nothing
else may differ.  When a root fails its proof, nothing of the tree is written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecr.images.mapping import CacheImage, UnsupportedRegistry, to_cache
from ecr.images.reference import InvalidReference, parse
from ecr.kustomize import edit
from ecr.kustomize.render import Container, RenderFailed, containers, documents, render
from ecr.kustomize.tree import Tree
from ecr.values.rewrite import Change, Skip

__all__ = ["Copy", "RootOutcome", "Target", "convert_tree", "expectations", "image_name",
           "prove"]

SHAPE = "kustomize"
MAX_ROUNDS = 4


@dataclass(frozen=True)
class Target:
    registry: str
    host_prefixes: Mapping[str, str] | None = None
    aliases: Mapping[str, str] | None = None

    def cache(self, image: str) -> CacheImage:
        return to_cache(image, self.registry, self.host_prefixes, self.aliases)


@dataclass
class RootOutcome:
    """One root: its kustomization file, the text before and after, and why."""

    directory: Path
    file: Path
    original: str
    text: str
    changes: list[Change] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # cannot be read at all

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def refuse(self, why: str) -> None:
        """Nothing written for this root: every planned change becomes a skip."""
        self.text = self.original
        for change in self.changes:
            self.skips.append(Skip(change.line, change.key_path, change.before,
                                   "unproven-rewrite", why))
        self.changes.clear()


def image_name(image: str) -> str:
    """The name kustomize matches an ``images:`` entry against: the text without its tag
    and digest, as written (kustomize compares the text, it does not normalise it)."""
    name = image.split("@", 1)[0]
    colon = name.rfind(":")
    return name[:colon] if colon > name.rfind("/") else name


def convert_tree(tree: Tree, target: Target, kubectl: str,
                 progress: Callable[[str], None] | None = None) -> list[RootOutcome]:
    """Every root of ``tree``, converted and proven (or left, each with its reason)."""
    outcomes: list[RootOutcome] = []
    with tempfile.TemporaryDirectory(prefix="ecr-kustomize-") as scratch:
        try:
            copy = Copy(tree, Path(scratch))
        except (OSError, shutil.Error) as exc:
            return [_uncopied(tree, root, exc) for root in tree.roots]
        for root in tree.roots:
            if progress is not None:
                progress(f"{root}: rendering with kubectl kustomize")
            outcomes.append(_convert_root(tree, root, target, kubectl, copy))
    failed = [o for o in outcomes if any(s.kind == "unproven-rewrite" for s in o.skips)]
    if failed:
        names = ", ".join(str(o.directory) for o in failed)
        for outcome in outcomes:
            if outcome not in failed and outcome.changes:
                outcome.refuse(f"not written: the tree's proof failed for {names}")
                outcome.notes.append(f"{outcome.file}: not written: {names} (same tree) "
                                     "failed its proof")
    return outcomes


def _uncopied(tree: Tree, root: Path, exc: Exception) -> RootOutcome:
    file = tree.kustomizations[root].file
    outcome = RootOutcome(root, file, "", "")
    _leave(outcome, f"the tree cannot be copied to prove a conversion ({exc})")
    return outcome


class Copy:
    """A temporary copy of every kustomization directory of a tree, laid out as on disk."""

    def __init__(self, tree: Tree, scratch: Path) -> None:
        directories = sorted(tree.kustomizations)
        self.top = Path(os.path.commonpath([str(d) for d in directories]))
        self.scratch = scratch
        done: list[Path] = []
        for directory in directories:
            if any(directory.is_relative_to(d) for d in done):
                continue
            # links stay links: a link to its own directory must not copy forever
            shutil.copytree(directory, self.where(directory), symlinks=True,
                            dirs_exist_ok=True, ignore=shutil.ignore_patterns(".*"))
            done.append(directory)

    def where(self, path: Path) -> Path:
        return self.scratch / "tree" / path.relative_to(self.top)

    def put(self, path: Path, text: str) -> Path:
        """Write ``text`` as the copy of ``path`` (a file of its own: a link copied as a
        link is replaced, never written through to what it points at)."""
        where = self.where(path)
        where.unlink(missing_ok=True)
        where.write_text(text, encoding="utf-8")
        return where


def _convert_root(tree: Tree, root: Path, target: Target, kubectl: str,
                  copy: Copy) -> RootOutcome:
    kustomization = tree.kustomizations[root]
    try:
        original = kustomization.file.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return RootOutcome(root, kustomization.file, "", "", error=f"cannot read: {exc}")
    outcome = RootOutcome(root, kustomization.file, original, original)
    if kustomization.is_component:
        outcome.notes.append(f"{root}: a Component that no kustomization given includes: "
                             "nothing renders it, nothing converted")
        return outcome
    blockers = tree.blockers(root)
    if kustomization.included_by:
        names = ", ".join(map(str, kustomization.included_by))
        blockers.append(f"{names} (not given) include it: converting it alone would change "
                        "what they run; give their directories too, or the whole repository")
    if blockers:
        _leave(outcome, "; ".join(blockers))
        return outcome
    try:
        before = render(root, kubectl)
    except RenderFailed as exc:
        _leave(outcome, f"kubectl kustomize cannot render it: {exc}")
        return outcome
    _Proof(outcome, target, kubectl, copy, kustomization.file, before).run()
    return outcome


def _leave(outcome: RootOutcome, why: str) -> None:
    outcome.skips.append(Skip(1, str(outcome.directory), str(outcome.directory),
                              "unrendered", f"left unconverted: {why}"))


class _Proof:
    """Plan the edits of one root, render them from the copy, and prove them."""

    def __init__(self, outcome: RootOutcome, target: Target, kubectl: str, copy: Copy,
                 file: Path, before: str) -> None:
        self.outcome = outcome
        self.target = target
        self.kubectl = kubectl
        self.copy = copy
        self.file = file
        self.before_text = before
        self.before = containers(before)
        self.expected: dict[tuple[str, ...], CacheImage] = {}  # key -> conversion
        self.new_names: dict[int, str] = {}
        self.added: list[tuple[str, str]] = []

    def run(self) -> None:
        outcome = self.outcome
        wanted = self._wanted()
        existing = edit.entries(outcome.original)
        rendered = {image_name(c.image) for c in self.before}
        outcome.notes += [
            f"{outcome.file}:{e.line}: images[{e.index}] ({e.name}) matches no container "
            f"{outcome.directory.name} renders; left as it is"
            for e in existing if e.name not in rendered and e.output not in rendered]
        if not wanted:
            return
        for name, cache_name in wanted.items():
            owners = [e for e in existing if e.output == name]
            if owners:
                self.new_names[owners[-1].index] = cache_name
            else:
                self.added.append((name, cache_name))
        for _ in range(MAX_ROUNDS):
            try:
                text = edit.apply(outcome.original, self.new_names, self.added)
            except edit.EditError as exc:
                self._fail("unlocatable", f"{outcome.file}: {exc}; left alone")
                return
            copied = self.copy.put(self.file, text)
            try:
                after = render(copied.parent, self.kubectl)
            except RenderFailed as exc:
                self._fail("unproven-rewrite", f"the converted tree does not render: {exc}")
                return
            missing, wrong = prove(self.before_text, self.before, self.expected, after,
                                   self.target, self.outcome.directory.name)
            if wrong:
                self._fail("unproven-rewrite", "; ".join(wrong[:5]))
                return
            if missing and all(item in self.added for item in missing.items()):
                # an entry for the name is there and did not move it: kustomize's images
                # transformer does not reach that field
                _, wrong = prove(self.before_text, self.before, self.expected, after,
                                 self.target, self.outcome.directory.name, upstream_ok=True)
                if wrong:
                    self._fail("unproven-rewrite", "; ".join(wrong[:5]))
                    return
                self._unreached(after)
                needed = {image_name(c.image) for c in self.before if c.key in self.expected}
                if any(name not in needed for name, _ in self.added):
                    # entries that move nothing are dropped, and the rest proven again
                    self.added = [(n, c) for n, c in self.added if n in needed]
                    continue
                missing = {}
            if not missing:
                outcome.text = text
                self._report(text)
                return
            self.added.extend((n, c) for n, c in missing.items()
                              if (n, c) not in self.added)
        self._fail("unproven-rewrite", "the images: entries do not converge")

    def _unreached(self, after: str) -> None:
        """Containers an ``images:`` entry cannot move: left, each with a note."""
        now = {c.key: c.image for c in containers(after)}
        for container in self.before:
            if container.key in self.expected and now.get(container.key) == container.image:
                del self.expected[container.key]
                self._skip(container, "unreachable",
                           "kustomize's images: transformer does not reach this field; "
                           "left as it is (set it with a patch in the overlay)")

    def _wanted(self) -> dict[str, str]:
        """Rendered image name -> cache name, for every image that must move; what
        cannot move is reported here."""
        self.expected, left = expectations(self.before, self.target)
        for container, kind, reason in left:
            self._skip(container, kind, reason)
        return {image_name(c.image): self.expected[c.key].cache.name
                for c in self.before if c.key in self.expected}

    def _where(self, container: Container) -> str:
        return f"{self.outcome.directory.name}: {container.label}"

    def _skip(self, container: Container, kind: str, reason: str) -> None:
        self.outcome.skips.append(Skip(1, self._where(container), container.image, kind,
                                       reason))

    def _fail(self, kind: str, why: str) -> None:
        outcome = self.outcome
        for container in self.before:
            if container.key in self.expected:
                self._skip(container, kind, f"not converted: {why}")
        outcome.notes.append(f"{outcome.file}: not written: {why}")

    def _report(self, text: str) -> None:
        lines = {e.output: e.line for e in edit.entries(text)}
        for container in self.before:
            image = self.expected.get(container.key)
            if image is not None:
                self.outcome.changes.append(
                    Change(lines.get(image.cache.name, 1), self._where(container),
                           container.image, str(image.cache), SHAPE, image.warning))


def expectations(before: list[Container], target: Target
                 ) -> tuple[dict[tuple[str, ...], CacheImage], list[tuple[Container, str, str]]]:
    """What each container must run once converted (by key), and the containers that
    stay as they are: (container, skip kind, reason)."""
    expected: dict[tuple[str, ...], CacheImage] = {}
    left: list[tuple[Container, str, str]] = []
    for container in before:
        try:
            image = target.cache(container.image)
        except InvalidReference as exc:
            left.append((container, "invalid", f"invalid reference: {exc}"))
            continue
        except UnsupportedRegistry:
            host = container.image.split("/", 1)[0]
            left.append((container, "unsupported",
                         f"{host} cannot be cached by ECR (--alias {host}=HOST if it is "
                         "mirrored on a cacheable host); left as it is"))
            continue
        if not image.changed:
            left.append((container, "cached", "already in the registry"))
            continue
        expected[container.key] = image
    return expected, left


def prove(before_text: str, before: list[Container],
          expected: Mapping[tuple[str, ...], CacheImage], after_text: str, target: Target,
          label: str, *, upstream_ok: bool = False) -> tuple[dict[str, str], list[str]]:
    """Compare two renders: (names still upstream -> their cache name, what is wrong).

    Each container of ``before`` must run its ``expected`` cache reference after (or the
    same image when it has none), no container may appear or go, and nothing else in
    the objects may change but images moving to their cache references.  With
    ``upstream_ok``, a container that still runs its upstream image is no failure (it is
    returned with the rest still upstream)."""
    now = {c.key: c.image for c in containers(after_text)}
    missing: dict[str, str] = {}
    wrong: list[str] = []
    for container in before:
        image = now.pop(container.key, None)
        where = f"{label}: {container.label}"
        if image is None:
            wrong.append(f"{where} is gone after the conversion")
            continue
        cache = expected.get(container.key)
        if cache is None:
            if image != container.image:
                wrong.append(f"{where} runs {image} instead of {container.image}")
        elif image == container.image:
            missing[image_name(image)] = cache.cache.name
        elif _parsed(image) != cache.cache:
            wrong.append(f"{where} would run {image}, not {cache.cache} (the cache form of "
                         f"{container.image})")
    wrong += [f"{label}: {'/'.join(k)} appears after the conversion" for k in now]
    if not wrong and (upstream_ok or not missing):
        wrong = _differences(documents(before_text), documents(after_text), target)
    return missing, wrong


def _parsed(image: str) -> Any:
    try:
        return parse(image)
    except InvalidReference:
        return None


def _differences(before: list[Any], after: list[Any], target: Target) -> list[str]:
    """Where two renders differ other than by an image moving to its cache reference."""
    def key(doc: Any) -> tuple[str, ...]:
        if not isinstance(doc, dict):
            return ("?", repr(doc))
        meta = doc.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        return (str(doc.get("apiVersion")), str(doc.get("kind")),
                str(meta.get("namespace") or ""), str(meta.get("name")))

    old = {key(d): d for d in before}
    new = {key(d): d for d in after}
    if old.keys() != new.keys():
        gone = ", ".join("/".join(k[1:]) for k in sorted(old.keys() - new.keys()))
        added = ", ".join("/".join(k[1:]) for k in sorted(new.keys() - old.keys()))
        return [f"the objects differ (before only: {gone or '-'}; after only: {added or '-'})"]
    wrong: list[str] = []
    for name, doc in old.items():
        _walk(doc, new[name], "/".join(name[1:]), target, wrong)
    return wrong


def _walk(old: Any, new: Any, where: str, target: Target, wrong: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        if old.keys() != new.keys():
            wrong.append(f"{where}: keys {sorted(map(str, old.keys() ^ new.keys()))} differ")
            return
        for k in old:
            _walk(old[k], new[k], f"{where}.{k}", target, wrong)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _walk(a, b, f"{where}[{i}]", target, wrong)
    elif old != new and not _moved(old, new, target):
        wrong.append(f"{where}: {old!r} became {new!r}")


def _moved(old: Any, new: Any, target: Target) -> bool:
    """``new`` is exactly the cache reference of the image ``old``."""
    if not isinstance(old, str) or not isinstance(new, str):
        return False
    try:
        return target.cache(old).cache == parse(new)
    except (InvalidReference, UnsupportedRegistry, ValueError):
        return False
