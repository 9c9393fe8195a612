"""Converting YAML files on disk: read, rewrite, diff, write atomically, summarise.

The text transformation is :func:`ecr.values.rewrite.rewrite`; this module adds the
file edges.  Files are read and written as UTF-8 bytes with no newline translation, so
CRLF files stay CRLF and a byte-order mark stays put.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ecr.values.rewrite import Rewrite, rewrite
from ecr.values.scan import UnparseableYaml

__all__ = [
    "FileChanged",
    "FileOutcome",
    "NotRegularFile",
    "atomic_write",
    "convert_file",
    "read_only",
    "read_regular",
    "summary",
    "unified_diff",
]


# Bigger than any values file; a cap so a stray huge file cannot exhaust memory.
MAX_FILE_BYTES = 64 * 1024 * 1024


class FileChanged(OSError):
    """The file on disk is no longer what was read: someone else changed it meanwhile."""


@dataclass
class FileOutcome:
    path: Path
    rewrite: Rewrite | None = None
    error: str | None = None  # unreadable, unparseable or not writable: left untouched
    skipped: str | None = None  # not a regular file: nothing done, not an error
    written: bool = False
    warnings: list[str] = field(default_factory=list)  # written, but e.g. owner not kept

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
    root: str | None = None,
    follow_symlinks: bool = False,
) -> FileOutcome:
    """Rewrite one file's images (and write it when ``write``); never raises for bad files.

    ``root`` is the real path of the tree the file was found in: with ``write``, a
    symlink to a file outside it is refused unless ``follow_symlinks``.
    """
    outcome = FileOutcome(path)
    try:
        data = read_regular(path)
    except OSError as exc:
        outcome.error = f"cannot read: {_reason(exc)}"
        return outcome
    except NotRegularFile as exc:
        outcome.skipped = str(exc)
        return outcome
    try:
        text = data.decode("utf-8")
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
    except (RecursionError, MemoryError):
        outcome.error = "too deeply nested or too large to convert; left untouched"
        return outcome
    if write and outcome.changed:
        refusal = write_refusal(path, root, follow_symlinks)
        if refusal:
            outcome.error = refusal
            return outcome
        try:
            outcome.warnings = atomic_write(
                path, outcome.rewrite.text.encode("utf-8"), expected=data
            )
        except FileChanged as exc:
            outcome.error = exc.strerror
            return outcome
        except OSError as exc:
            outcome.error = f"cannot write: {_reason(exc)}"
            return outcome
        outcome.written = True
    return outcome


class NotRegularFile(Exception):
    """A FIFO, device, socket or directory where a file was expected; the message says
    which."""


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "a symlink loop"
    return exc.strerror or str(exc)


def read_regular(path: Path) -> bytes:
    """The bytes of a regular file; FIFOs, devices and sockets are not opened for real.

    O_NONBLOCK keeps a FIFO from blocking the open; the type is checked on the open
    descriptor, so a file swapped in between cannot slip through.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = _kind(info.st_mode)
            raise NotRegularFile(f"not a regular file ({kind}); skipped")
        if info.st_size > MAX_FILE_BYTES:
            raise OSError(errno.EFBIG, f"larger than {MAX_FILE_BYTES // 2**20} MiB")
        chunks = []
        total = 0
        while chunk := os.read(fd, 1 << 20):
            total += len(chunk)
            if total > MAX_FILE_BYTES:
                raise OSError(errno.EFBIG, f"larger than {MAX_FILE_BYTES // 2**20} MiB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a file"


def write_refusal(path: Path, root: str | None, follow_symlinks: bool) -> str | None:
    """Why writing ``path`` would do something the user did not ask for, or None."""
    real = os.path.realpath(path)
    if root is not None and not follow_symlinks:
        inside = real == root or real.startswith(root.rstrip(os.sep) + os.sep)
        if not inside:
            return (f"a symlink to {real}, outside {root}: not written "
                    "(--follow-symlinks writes through it)")
    info = os.stat(real)
    refusal = read_only(real, info.st_mode)
    if refusal:
        return refusal
    links = info.st_nlink
    if links > 1:
        return (f"has {links} hard links: replacing it would break them, so it was not "
                "written (convert a copy, or remove the other links)")
    return None


def read_only(path: str | Path, mode: int | None = None) -> str | None:
    """Why ``path`` must not be replaced although its directory would allow it: the user
    made it read-only (no write bit at all, which binds root too, whom the kernel lets
    write anything), or this user may not write it.  None when it is writable.
    ``mode``: its st_mode when already known (a symlink's target's)."""
    mode = os.stat(path).st_mode if mode is None else mode
    if mode & 0o222 == 0:
        return (f"read-only (mode {stat.S_IMODE(mode):04o}): not written; make it writable "
                "(chmod u+w) to convert it")
    if not os.access(path, os.W_OK):
        return (f"not writable by this user (mode {stat.S_IMODE(mode):04o}): not written; "
                "convert it as its owner, or make it writable")
    return None


def atomic_write(path: Path, data: bytes, expected: bytes | None = None) -> list[str]:
    """Replace ``path``'s content in one step (temp file beside it + os.replace).

    A symlink is followed, so the file it points at is updated and the link stays.
    The file keeps its permission bits, and its owner and group where this user may
    set them (the returned warnings say when not).  With ``expected``, the file is
    compared with it just before the rename: :class:`FileChanged` when it differs.
    """
    target = Path(os.path.realpath(path))
    info = target.stat()
    warnings: list[str] = []
    fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fchmod(handle.fileno(), info.st_mode & 0o7777)
            mine = os.fstat(handle.fileno())
            if (mine.st_uid, mine.st_gid) != (info.st_uid, info.st_gid):
                try:
                    os.fchown(handle.fileno(), info.st_uid, info.st_gid)
                    os.fchmod(handle.fileno(), info.st_mode & 0o7777)  # chown clears setgid
                except PermissionError:
                    warnings.append(
                        f"owner/group {info.st_uid}:{info.st_gid} could not be kept (not "
                        f"permitted); the file now belongs to {mine.st_uid}:{mine.st_gid}"
                    )
            os.fsync(handle.fileno())
        if expected is not None and _current(target) != expected:
            raise FileChanged(
                errno.EAGAIN, "changed on disk while converting (by someone else?); "
                "left as it is now: run convert again"
            )
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    return warnings


def _current(path: Path) -> bytes | None:
    try:
        return read_regular(path)
    except (OSError, NotRegularFile):
        return None


def unified_diff(outcome: FileOutcome, context: int = 3) -> str:
    """``diff -u`` style text for one file (empty when nothing changes)."""
    if outcome.rewrite is None or not outcome.rewrite.changed:
        return ""
    before = lines_of(outcome.rewrite.original)
    after = lines_of(outcome.rewrite.text)
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


def lines_of(text: str) -> list[str]:
    """Lines as diff and ``git apply`` see them: split on ``\\n`` only (str.splitlines
    also splits on U+0085, U+2028, form feeds, ..., and the patch would not apply)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


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
        "files_skipped": sum(1 for o in outcomes if o.skipped),
        "images_converted": converted,
        "images_already_cached": cached,
        "images_skipped": sum(skipped.values()),
        "skipped_by_reason": dict(sorted(skipped.items())),
        "settings_changed": settings,
    }
