"""The pruning rules, table-driven: which units of one repository go (pure, no AWS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from ecr.pruner import rules
from ecr.pruner.rules import Image

NOW = datetime(2026, 11, 30, tzinfo=UTC)
DAYS = 90
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def ago(days: int) -> datetime:
    return NOW - timedelta(days=days)


def img(digest: str, pushed: int | None, pulled: int | None = None, *, tags: tuple[str, ...] = (),
        index: bool = False, size: int = 10, subject: str | None = None) -> Image:
    """An image pushed (cached) ``pushed`` days ago and last pulled ``pulled`` days ago."""
    return Image(
        digest=digest, tags=tags, media_type=rules.OCI_INDEX if index else MANIFEST, size=size,
        pushed_at=None if pushed is None else ago(pushed),
        last_pull=None if pulled is None else ago(pulled), subject=subject,
    )


@dataclass
class Case:
    name: str
    images: list[Image]
    children: dict[str, tuple[str, ...]] = field(default_factory=dict)
    gone: set[str] = field(default_factory=set)
    units: list[tuple[str, ...]] | None = None  # the units that go, head first (when checked)


CASES = [
    Case("single image pulled yesterday stays", [img("a", 400, 1, tags=("1.0",))]),
    Case("single image last pulled 91 days ago goes", [img("a", 400, 91, tags=("1.0",))],
         gone={"a"}, units=[("a",)]),
    Case("never pulled: judged by its push time", [img("old", 91), img("new", 89)],
         gone={"old"}),
    Case("pulled 89 days ago stays even when cached long ago", [img("a", 1000, 89)]),
    Case("exactly at the limit is not older than N days", [img("a", 90)]),
    Case("no times at all: never judged quiet", [img("a", None)]),
    Case(
        "index and children all quiet: one unit goes, index first",
        [img("idx", 200, 100, tags=("1.0",), index=True), img("amd", 200, 100),
         img("arm", 200)],
        {"idx": ("amd", "arm")}, gone={"idx", "amd", "arm"}, units=[("idx", "amd", "arm")],
    ),
    Case(
        "one platform pulled last week keeps the whole index",
        [img("idx", 200, 100, tags=("1.0",), index=True), img("amd", 200, 7),
         img("arm", 200)],
        {"idx": ("amd", "arm")},
    ),
    Case(
        "index pulled recently keeps never-pulled platforms",
        [img("idx", 200, 3, tags=("1.0",), index=True), img("amd", 200, 3), img("s390x", 200)],
        {"idx": ("amd", "s390x")},
    ),
    Case(
        "child shared by two indexes stays while one of them stays",
        [img("old", 300, 200, index=True), img("new", 100, 2, tags=("1.0",), index=True),
         img("shared", 300, 200), img("old-only", 300, 200), img("new-only", 100, 2)],
        {"old": ("shared", "old-only"), "new": ("shared", "new-only")},
        # every member of the old unit is quiet, so it goes; "shared" stays with "new"
        gone={"old", "old-only"}, units=[("old", "old-only")],
    ),
    Case(
        "child shared by two quiet indexes goes with both, after both",
        [img("i1", 300, 200, index=True), img("i2", 300, 150, index=True),
         img("shared", 300, 200), img("c1", 300), img("c2", 300)],
        {"i1": ("shared", "c1"), "i2": ("shared", "c2")},
        gone={"i1", "i2", "shared", "c1", "c2"}, units=[("i1", "shared", "c1"), ("i2", "c2")],
    ),
    Case(
        "tag moved upstream: the untagged old index is its own unit and goes",
        [img("old", 300, 120, index=True), img("old-amd", 300, 120), img("old-arm", 300),
         img("new", 20, 1, tags=("latest",), index=True), img("new-amd", 20, 1),
         img("new-arm", 20)],
        {"old": ("old-amd", "old-arm"), "new": ("new-amd", "new-arm")},
        gone={"old", "old-amd", "old-arm"}, units=[("old", "old-amd", "old-arm")],
    ),
    Case(
        "tag moved upstream recently: the old index stays until quiet for N days",
        [img("old", 300, 30, index=True), img("old-amd", 300, 30),
         img("new", 20, 1, tags=("latest",), index=True), img("new-amd", 20, 1)],
        {"old": ("old-amd",), "new": ("new-amd",)},
    ),
    Case(
        "tag moved upstream, platform unchanged and still pulled: the old index stays",
        [img("old", 300, 120, index=True), img("same-amd", 300, 1),
         img("new", 20, 1, tags=("latest",), index=True)],
        {"old": ("same-amd",), "new": ("same-amd",)},
    ),
    Case(
        "plain single-manifest images, tagged and untagged, each their own unit",
        [img("t-old", 200, 100, tags=("1",)), img("u-old", 200), img("t-new", 200, 10,
                                                                       tags=("2",))],
        gone={"t-old", "u-old"}, units=[("t-old",), ("u-old",)],
    ),
    Case(
        "orphaned platform manifest (its index already gone) is judged alone",
        [img("amd", 200, 95)], gone={"amd"},
    ),
    Case(
        "children not cached are ignored",
        [img("idx", 200, 100, index=True), img("amd", 200, 100)],
        {"idx": ("amd", "arm-never-cached")}, gone={"idx", "amd"},
        units=[("idx", "amd")],
    ),
    Case(
        "nested index: the grandchild's recent pull keeps the whole unit",
        [img("top", 200, 100, index=True), img("mid", 200, 100, index=True),
         img("leaf", 200, 5)],
        {"top": ("mid",), "mid": ("leaf",)},
    ),
    Case(
        "a signature goes with its subject, and keeps it alive when pulled",
        [img("app", 200, 100, tags=("1",)), img("sig", 200, 100, subject="app"),
         img("app2", 200, 100, tags=("2",)), img("sig2", 200, 3, subject="app2")],
        gone={"app", "sig"}, units=[("app", "sig")],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_rules(case: Case) -> None:
    decision = rules.decide(case.images, case.children, NOW, DAYS)
    assert {i.digest for i in decision.delete} == case.gone
    assert decision.kept == len(case.images) - len(case.gone)
    assert decision.freed_bytes == 10 * len(case.gone)
    if case.units is not None:
        assert [tuple(m.digest for m in u.members) for u in decision.units] == case.units
    assert sum(len(u.members) for u in decision.units) == len(case.gone)
    # deletion order: nothing is deleted before an index that lists it
    position = {i.digest: n for n, i in enumerate(decision.delete)}
    for parent, listed in case.children.items():
        for child in listed:
            if parent in position and child in position:
                assert position[parent] < position[child], (parent, child)


def test_needs_children_only_with_an_index_and_something_quiet() -> None:
    fresh = [img("idx", 10, 1, index=True), img("amd", 10, 1)]
    assert not rules.needs_children(fresh, NOW, DAYS)
    assert not rules.needs_children([img("a", 400)], NOW, DAYS)  # quiet, but no index
    assert rules.needs_children([*fresh, img("old", 400)], NOW, DAYS)


def test_from_detail_reads_describe_images_fields() -> None:
    detail = {
        "imageDigest": "sha256:" + "a" * 64, "imageTags": ["1.0", "latest"],
        "imageManifestMediaType": rules.DOCKER_MANIFEST_LIST, "imagePushedAt": ago(5),
        "lastRecordedPullTime": ago(1), "subjectManifestDigest": "sha256:" + "b" * 64,
        "imageSizeInBytes": 900,  # an index's size is its biggest platform's: not its own
    }
    image = rules.from_detail(detail)
    assert image.is_index and image.size == 0 and image.tags == ("1.0", "latest")
    assert image.last_used == ago(1) and image.subject == "sha256:" + "b" * 64
    plain = rules.from_detail({"imageDigest": "d", "imageSizeInBytes": 7,
                               "imagePushedAt": ago(3)})
    assert not plain.is_index and plain.last_used == ago(3) and plain.size == 7


def test_index_children_reads_oci_and_docker_lists() -> None:
    manifest = {"mediaType": rules.OCI_INDEX, "manifests": [
        {"digest": "sha256:1", "platform": {"architecture": "amd64"}}, {"digest": "sha256:2"}]}
    assert rules.index_children(manifest) == ("sha256:1", "sha256:2")
    assert rules.index_children({"mediaType": rules.DOCKER_MANIFEST_LIST, "manifests": []}) == ()


@pytest.mark.parametrize("manifest", [
    None, [], "text", 7, {}, {"layers": []}, {"manifests": None}, {"manifests": "sha256:1"},
    {"manifests": [{"digest": "sha256:1"}, {"mediaType": "x"}]},  # an entry without a digest
    {"manifests": [{"digest": "sha256:1"}, "junk"]}, {"manifests": [{"digest": 7}]},
])
def test_an_index_of_the_wrong_shape_lists_unknown_children(manifest: object) -> None:
    assert rules.index_children(manifest) is None


def test_an_unreadable_index_keeps_everything_it_might_list() -> None:
    """Its children are unknown: nothing in the repository goes while anything is in use
    (the old platform, the orphan, the other index all stay); the readable index's unit
    still goes when nothing else could hold it."""
    images = [img("bad", 400, index=True), img("amd", 400), img("orphan", 400),
              img("used", 400, 1), img("idx", 400, index=True), img("arm", 400)]
    decision = rules.decide(images, {"bad": None, "idx": ("arm",)}, NOW, DAYS)
    assert decision.delete == () and decision.unreadable == ("bad",)
    quiet = [i for i in images if i.digest != "used"]
    decision = rules.decide(quiet, {"bad": None, "idx": ("arm",)}, NOW, DAYS)
    assert {i.digest for i in decision.delete} == {i.digest for i in quiet}  # all quiet: all go
    assert decision.delete[0].digest == "bad"  # the index that might list them goes first
    assert [[i.digest for i in g] for g in decision.groups] == [
        [i.digest for i in decision.delete]]


def test_groups_hold_what_is_linked_by_an_index_or_a_subject() -> None:
    images = [img("i1", 400, index=True), img("a", 400), img("shared", 400),
              img("i2", 400, index=True), img("b", 400), img("sig", 400, subject="single"),
              img("single", 400), img("lone", 400)]
    children = {"i1": ("a", "shared"), "i2": ("shared", "b")}
    decision = rules.decide(images, children, NOW, DAYS)
    groups = sorted(sorted(i.digest for i in g) for g in decision.groups)
    assert groups == [["a", "b", "i1", "i2", "shared"], ["lone"], ["sig", "single"]]
    order = [i.digest for i in decision.delete]
    for group in decision.groups:  # each group keeps the deletion order
        assert [i.digest for i in group] == [d for d in order if d in {i.digest for i in group}]


def test_days_below_one_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        rules.decide([], {}, NOW, 0)


def test_days_beyond_the_range_are_refused_not_overflowed() -> None:
    with pytest.raises(ValueError, match="1-36500 days, got 800000"):
        rules.decide([img("a", 400)], {}, NOW, 800000)
    assert rules.unpulled_days_problem(rules.MAX_UNPULLED_DAYS) is None
