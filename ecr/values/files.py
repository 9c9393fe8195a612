"""Converting YAML files on disk: read, rewrite, diff, write atomically, summarise.

The text transformation is :func:`ecr.values.rewrite.rewrite`; this module adds the
file edges.  Files are read and written as UTF-8 bytes with no newline translation, so
CRLF files stay CRLF and a byte-order mark stays put.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ecr.values.rewrite import Rewrite, rewrite
from ecr.values.scan import UnparseableYaml

__all__ = ["FileOutcome", "atomic_write", "convert_file", "summary", "unified_diff"]


@dataclass
class FileOutcome:
    path: Path
    rewrite: Rewrite | None = None
    error: str | None = None  # unreadable or unparseable: the file was left untouched
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.rewrite is not None and self.rewrite.changed


def convert_file(
    path: Path,
    registry: str,
    host_prefixes: Mapping[str, str] | None = None,
    aliases: Mapping[str, str] | None = None,
    allow_insecure_images: bool = False,
    write: bool = False,
) -> FileOutcome:
    """Rewrite one file's images (and write it when ``write``); never raises for bad files."""
    outcome = FileOutcome(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        outcome.error = f"cannot read: {exc.strerror or exc}"
        return outcome
    except UnicodeDecodeError as exc:
        outcome.error = f"not UTF-8 text (byte {exc.start}); left untouched"
        return outcome
    try:
        outcome.rewrite = rewrite(
            text, str(path), registry, host_prefixes, aliases, allow_insecure_images
        )
    except UnparseableYaml as exc:
        outcome.error = f"not valid YAML, left untouched: {exc}"
        return outcome
    if write and outcome.changed:
        try:
            atomic_write(path, outcome.rewrite.text.encode("utf-8"))
        except OSError as exc:
            outcome.error = f"cannot write: {exc.strerror or exc}"
            return outcome
        outcome.written = True
    return outcome


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path``'s content in one step (temp file beside it + os.replace).

    A symlink is followed, so the file it points at is updated and the link stays.
    The file keeps its permission bits.
    """
    target = path.resolve()
    mode = target.stat().st_mode & 0o7777
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def unified_diff(outcome: FileOutcome, context: int = 3) -> str:
    """``diff -u`` style text for one file (empty when nothing changes)."""
    if outcome.rewrite is None or not outcome.rewrite.changed:
        return ""
    before = outcome.rewrite.original.splitlines(keepends=True)
    after = outcome.rewrite.text.splitlines(keepends=True)
    name = str(outcome.path)
    old, new = (name, name) if outcome.path.is_absolute() else (f"a/{name}", f"b/{name}")
    if len(before) == len(after):
        # Values were replaced in place (no lines added): the changed lines are exactly
        # those that differ, so skip difflib's O(n^2)-ish matching.
        diff = _same_length_diff(before, after, old, new, context)
    else:
        diff = difflib.unified_diff(before, after, old, new, n=context)
    lines = []
    for line in diff:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        lines.append(line)
    return "".join(lines)


def _same_length_diff(
    before: list[str], after: list[str], old: str, new: str, context: int
) -> Iterator[str]:
    """difflib.unified_diff output for two texts of equal line count, in O(n)."""
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    if not changed:
        return
    yield f"--- {old}\n"
    yield f"+++ {new}\n"
    groups: list[list[int]] = [[changed[0]]]
    for i in changed[1:]:
        if i - groups[-1][-1] - 1 > 2 * context:
            groups.append([i])
        else:
            groups[-1].append(i)
    total = len(before)
    for group in groups:
        start = max(group[0] - context, 0)
        stop = min(group[-1] + context + 1, total)
        length = stop - start
        where = f"{start + 1},{length}" if length != 1 else f"{start + 1}"
        yield f"@@ -{where} +{where} @@\n"
        members = set(group)
        i = start
        while i < stop:
            if i in members:
                run = i
                while run < stop and run in members:
                    run += 1
                for j in range(i, run):
                    yield f"-{before[j]}"
                for j in range(i, run):
                    yield f"+{after[j]}"
                i = run
            else:
                yield f" {before[i]}"
                i += 1


def summary(outcomes: list[FileOutcome]) -> dict[str, object]:
    """Counts for the end-of-run summary (and ``--output json``)."""
    skipped: Counter[str] = Counter()
    converted = cached = settings = 0
    for outcome in outcomes:
        if outcome.rewrite is None:
            continue
        converted += len(outcome.rewrite.changes)
        settings += len(outcome.rewrite.settings)
        for skip in outcome.rewrite.skips:
            if skip.kind == "cached":
                cached += 1
            else:
                skipped[skip.kind] += 1
    return {
        "files": len(outcomes),
        "files_changed": sum(1 for o in outcomes if o.changed),
        "files_written": sum(1 for o in outcomes if o.written),
        "files_failed": sum(1 for o in outcomes if o.error),
        "images_converted": converted,
        "images_already_cached": cached,
        "images_skipped": sum(skipped.values()),
        "skipped_by_reason": dict(sorted(skipped.items())),
        "settings_changed": settings,
    }
