"""Values that YAML readers disagree on, or that live elsewhere (issue 20).

- A key given twice on an image's path (``repository: busybox`` then ``repository:
  nginx``): Helm takes the last, PyYAML's composer hands us both; the file is reported
  (file:line) and not written, and ``--check`` fails.
- An image reached through an alias (``image: *base``) whose anchor is not an image
  where it is defined: reported (file:line, "left: YAML alias; convert the anchor"), and
  ``--check`` says something was left.  An alias of an anchor that is an image itself is
  converted through the anchor, as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ecr.cli.main import main
from ecr.values.rewrite import rewrite

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
DUPLICATED = 'app:\n  image:\n    repository: busybox\n    tag: "1.36"\n    repository: nginx\n'


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["convert", "--registry", REG, "-o", "json", "--files", *args])
    return code, json.loads(capsys.readouterr().out)


def _skips(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [skip for f in data["files"] for skip in f["skipped"] or []]


@pytest.mark.parametrize("flag", ["--check", "--write"])
def test_a_duplicate_key_on_an_image_is_reported_and_not_written(
    flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(DUPLICATED)
    code, data = _json(capsys, str(path), flag)
    assert code == 2
    assert path.read_text() == DUPLICATED
    assert data["summary"]["images_converted"] == 0
    [skip] = _skips(data)
    assert skip["kind"] == "duplicate-key" and skip["line"] == 5
    assert skip["key"] == "app.image.repository"
    assert "lines 3 and 5" in skip["reason"] and "Helm uses the last" in skip["reason"]


def test_a_duplicate_key_is_named_with_file_and_line_in_the_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(DUPLICATED)
    assert main(["convert", "--registry", REG, "--files", str(path), "--check"]) == 2
    out = capsys.readouterr().out
    assert f"{path}:5" in out and "skipped (duplicate-key)" in out
    assert "would change: " not in out


def test_duplicate_parents_of_images_count_too() -> None:
    text = "a:\n  image: nginx:1\na:\n  image: redis:7\n"
    result = rewrite(text, "v.yaml", REG)
    assert result.text == text and not result.changes
    assert [(s.kind, s.line, s.key_path) for s in result.skips] == [("duplicate-key", 3, "a")]


def test_a_duplicate_key_away_from_images_does_not_stop_the_conversion() -> None:
    text = "replicas: 1\nreplicas: 2\nimage: nginx:1.27\n"
    result = rewrite(text, "v.yaml", REG)
    assert [c.after for c in result.changes] == [f"{REG}/docker-hub/library/nginx:1.27"]
    assert not result.skips


@pytest.mark.parametrize("text, line, anchor", [
    # a mapping anchored where it is not an image
    ('defaults: &img\n  repository: busybox\n  tag: "1.36"\napp:\n  image: *img\n', 5, 1),
    # a scalar anchored under another key: rewriting it would change that key too
    ("base: &base nginx:1.27\napp:\n  image: *base\n", 3, 1),
    ("names:\n  - &n nginx:1.27\napp:\n  image: *n\n", 4, 2),
])
def test_an_alias_is_reported_and_check_fails(
    text: str, line: int, anchor: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text(text)
    code, data = _json(capsys, str(path), "--check")
    assert code == 3  # an image left with a note: --check says so
    [skip] = _skips(data)
    assert skip["kind"] == "alias" and skip["line"] == line
    assert skip["reason"] == f"left: YAML alias; convert the anchor (line {anchor})"
    assert path.read_text() == text


def test_an_alias_of_an_image_is_converted_through_its_anchor() -> None:
    text = "sidecar:\n  image: &side busybox:1.36\nother:\n  image: *side\n"
    result = rewrite(text, "v.yaml", REG)
    assert result.text == text.replace("busybox:1.36", f"{REG}/docker-hub/library/busybox:1.36")
    assert not result.skips


def test_merge_keys_keep_working() -> None:
    text = ('x: &common\n  repository: redis\n  tag: "7"\ncache:\n  image:\n    <<: *common\n'
            "    pullPolicy: Always\n")
    result = rewrite(text, "v.yaml", REG)
    assert [c.after for c in result.changes] == [f"{REG}/docker-hub/library/redis:7"]
    assert not [s for s in result.skips if s.kind in ("alias", "duplicate-key")]
