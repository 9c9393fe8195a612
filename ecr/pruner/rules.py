"""Which cached images the pruner deletes: pure functions of one repository's images.

The rules (README "Lifecycle"):

* An image's last use is its ``lastRecordedPullTime``, or its ``imagePushedAt`` (when
  ECR cached it) if it was never pulled.  It is *quiet* when that is more than N days
  before ``now``.  An image with neither time is never judged quiet.
* A multi-arch image is one *unit*: an index (manifest list) plus every manifest it
  lists, transitively; an artifact whose ``subjectManifestDigest`` names an image (a
  signature, an SBOM) belongs to that image's unit too.  A unit goes only when all its
  members are quiet: one platform pulled last week keeps the whole image.
* A member listed by an index that stays is never deleted, so a platform manifest
  shared by two indexes goes only when both indexes go.
* Anything else (a single-platform image, an untagged old index left behind when a
  tag moved upstream, an orphaned platform manifest) is judged on its own unit.

* An index whose manifest cannot be read (empty, ``null``, not JSON, not an index's shape)
  might list any image of its repository: it is taken to list all of them, so nothing
  it might reference goes while anything in the repository is in use.

Tags play no part: a tagged and an untagged image are judged alike by their pulls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_MEDIA_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
# The longest "nobody pulled it for N days" the pruner accepts: a century, longer than any
# registry has existed, and far inside what date arithmetic can hold (``now - N days``).
# The one source of this range: ecr.config.keys and the command's --unpulled-days read it.
MIN_UNPULLED_DAYS, MAX_UNPULLED_DAYS = 1, 36500


@dataclass(frozen=True)
class Image:
    """What the rules need of one ``DescribeImages`` image detail."""

    digest: str
    tags: tuple[str, ...] = ()
    media_type: str | None = None
    size: int = 0
    pushed_at: datetime | None = None
    last_pull: datetime | None = None
    subject: str | None = None  # subjectManifestDigest: the image this artifact refers to

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_MEDIA_TYPES

    @property
    def last_used(self) -> datetime | None:
        """The last pull, else the push (cache) time; None when neither is known."""
        return self.last_pull or self.pushed_at


def from_detail(detail: Mapping[str, Any]) -> Image:
    """An :class:`Image` from one ``imageDetails`` entry (missing size counts as 0).

    An index counts 0 bytes: ECR reports as its ``imageSizeInBytes`` the largest size of
    the manifests it lists (ECR API reference, ``ImageDetail``), which are counted
    themselves; the index manifest alone is a few kilobytes.
    """
    media_type = detail.get("imageManifestMediaType") or detail.get("artifactMediaType")
    is_index = media_type in INDEX_MEDIA_TYPES
    return Image(
        digest=str(detail["imageDigest"]),
        tags=tuple(str(t) for t in detail.get("imageTags") or ()),
        media_type=str(media_type) if media_type else None,
        size=0 if is_index else int(detail.get("imageSizeInBytes") or 0),
        pushed_at=detail.get("imagePushedAt"),
        last_pull=detail.get("lastRecordedPullTime"),
        subject=detail.get("subjectManifestDigest") or None,
    )


def index_children(manifest: object) -> tuple[str, ...] | None:
    """The digests an index (OCI image index or Docker manifest list) lists, or None when
    ``manifest`` is not an index's shape (not an object, no ``manifests`` list, an entry
    without a digest string): then what it lists is unknown."""
    if not isinstance(manifest, dict):
        return None
    entries = manifest.get("manifests")
    if not isinstance(entries, list):
        return None
    found: list[str] = []
    for entry in entries:
        digest = entry.get("digest") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not digest:
            return None
        found.append(digest)
    return tuple(found)


@dataclass(frozen=True)
class Unit:
    """Images that go together: ``head`` and the members deleted with it."""

    head: Image
    members: tuple[Image, ...]  # head first

    @property
    def size(self) -> int:
        return sum(m.size for m in self.members)


@dataclass(frozen=True)
class Decision:
    """What goes from one repository, in deletion order (an index before what it lists)."""

    units: tuple[Unit, ...]
    delete: tuple[Image, ...]
    kept: int
    # ``delete`` split into the images linked by an index or a subject, each in deletion
    # order: what must stay together when one of them changes before it is deleted.
    groups: tuple[tuple[Image, ...], ...] = ()
    unreadable: tuple[str, ...] = ()  # indexes whose manifest could not be read

    @property
    def freed_bytes(self) -> int:
        return sum(i.size for i in self.delete)


def needs_children(images: Iterable[Image], now: datetime, unpulled_days: int) -> bool:
    """Whether the index manifests must be read (``BatchGetImage``) before deciding.

    Only when there is an index and at least one quiet image: with nothing quiet
    nothing goes, and without an index no image lists another.
    """
    cutoff = _cutoff(now, unpulled_days)
    listed = list(images)
    return any(i.is_index for i in listed) and any(_quiet(i, cutoff) for i in listed)


def unpulled_days_problem(days: int) -> str | None:
    """Why ``days`` is not a number of days the pruner can judge by, or None."""
    if not MIN_UNPULLED_DAYS <= days <= MAX_UNPULLED_DAYS:
        return f"must be {MIN_UNPULLED_DAYS}-{MAX_UNPULLED_DAYS} days, got {days}"
    return None


def _cutoff(now: datetime, unpulled_days: int) -> datetime:
    if unpulled_days < MIN_UNPULLED_DAYS:
        raise ValueError(f"unpulled days must be at least 1, got {unpulled_days}")
    problem = unpulled_days_problem(unpulled_days)
    if problem:
        raise ValueError(f"unpulled days {problem}")
    return now - timedelta(days=unpulled_days)


def _quiet(image: Image, cutoff: datetime) -> bool:
    used = image.last_used
    return used is not None and used < cutoff


def decide(
    images: Sequence[Image],
    children: Mapping[str, Sequence[str] | None],
    now: datetime,
    unpulled_days: int,
) -> Decision:
    """The units of one repository nobody pulled within ``unpulled_days`` of ``now``.

    ``children``: for each index digest, the digests its manifest lists (digests not in
    the repository are ignored; ECR may not have cached every platform), or None when its
    manifest could not be read: it is then taken to list every other image.
    """
    cutoff = _cutoff(now, unpulled_days)
    by_digest = {i.digest: i for i in images}
    lists: dict[str, list[str]] = {d: [] for d in by_digest}
    unreadable = tuple(sorted(p for p, listed in children.items()
                              if listed is None and p in by_digest))
    for parent, listed in children.items():
        if parent in by_digest:
            might = by_digest if listed is None else listed
            lists[parent].extend(c for c in might if c in by_digest and c != parent)
    for image in images:  # a referrer (signature, SBOM) goes with its subject
        if image.subject in by_digest and image.subject != image.digest:
            lists[image.subject].append(image.digest)
    parents: dict[str, list[str]] = {d: [] for d in by_digest}
    for parent, listed in lists.items():
        for child in listed:
            parents[child].append(parent)

    def closure(digest: str) -> list[str]:
        seen: list[str] = []
        stack = [digest]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.append(current)
                stack.extend(reversed(lists[current]))
        return seen

    quiet_unit = {d: all(_quiet(by_digest[m], cutoff) for m in closure(d)) for d in by_digest}
    goes: dict[str, bool] = {}

    def can_go(digest: str, path: frozenset[str]) -> bool:
        if digest in goes:
            return goes[digest]
        if digest in path:  # a cycle cannot happen with content digests: keep, to be safe
            return False
        verdict = quiet_unit[digest] and all(
            can_go(p, path | {digest}) for p in parents[digest]
        )
        goes[digest] = verdict
        return verdict

    going = [d for d in by_digest if can_go(d, frozenset())]
    going_set = set(going)

    depth: dict[str, int] = {}

    def depth_of(digest: str, path: frozenset[str]) -> int:
        if digest not in depth:
            above = [p for p in parents[digest] if p in going_set and p not in path]
            depth[digest] = 1 + max((depth_of(p, path | {digest}) for p in above), default=-1)
        return depth[digest]

    order = sorted(going, key=lambda d: (depth_of(d, frozenset()), d))
    units: list[Unit] = []
    assigned: set[str] = set()
    for head in order:
        if depth[head] != 0:
            continue
        members = [m for m in closure(head) if m in going_set and m not in assigned]
        assigned.update(members)
        units.append(Unit(by_digest[head], tuple(by_digest[m] for m in members)))
    return Decision(
        units=tuple(units),
        delete=tuple(by_digest[d] for d in order),
        kept=len(by_digest) - len(order),
        groups=_groups(order, lists, by_digest),
        unreadable=unreadable,
    )


def _groups(order: Sequence[str], lists: Mapping[str, Sequence[str]],
            by_digest: Mapping[str, Image]) -> tuple[tuple[Image, ...], ...]:
    """``order`` (digests that go) split into the sets linked by ``lists`` (either way),
    each in ``order``'s order, the sets in the order of their first member."""
    going = set(order)
    link: dict[str, set[str]] = {d: set() for d in order}
    for parent, listed in lists.items():
        for child in listed:
            if parent in going and child in going:
                link[parent].add(child)
                link[child].add(parent)
    group_of: dict[str, int] = {}
    for number, start in enumerate(order):
        if start in group_of:
            continue
        group_of[start] = number
        stack = [start]
        while stack:
            for other in link[stack.pop()]:
                if other not in group_of:
                    group_of[other] = number
                    stack.append(other)
    members: dict[int, list[Image]] = {}
    for digest in order:
        members.setdefault(group_of[digest], []).append(by_digest[digest])
    return tuple(tuple(group) for group in members.values())
