"""``convert --files --write`` and a file the user made read-only (issue 20): replacing it
through its directory (temp file + rename) would succeed, so the tool must refuse on its
own: a clear message, exit 2, the file as it was.  Writable files are still written
atomically with their mode kept, and symlinks behave as before."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from ecr.cli.main import main
from tests.values.test_files_hostile import CONVERTED, REG, needs_other_user, run, shared_dir

__all__ = ["shared_dir"]  # the fixture, used below by name

ORIGINAL = "image: nginx\n"
pytestmark = pytest.mark.usefixtures("checkout_reachable_by_others")


@pytest.fixture(autouse=True)
def registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECR_REGISTRY", REG)
    monkeypatch.delenv("ECR_IMAGE_ALIASES", raising=False)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o555])
def test_a_read_only_file_is_refused_not_replaced(
    mode: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked.yaml"
    locked.write_text(ORIGINAL)
    locked.chmod(mode)
    other = tmp_path / "other.yaml"
    other.write_text(ORIGINAL)
    inode = locked.stat().st_ino
    assert main(["convert", "--files", str(tmp_path), "--write"]) == 2
    out = capsys.readouterr().out
    assert f"read-only (mode {mode:04o}): not written; make it writable" in out
    assert locked.read_text() == ORIGINAL
    assert locked.stat().st_ino == inode and _mode(locked) == mode  # the same file, untouched
    assert other.read_text() == CONVERTED  # the others are still converted
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_a_symlink_to_a_read_only_file_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(ORIGINAL)
    real.chmod(0o444)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert main(["convert", "--files", str(link), "--write"]) == 2
    assert "read-only (mode 0444)" in capsys.readouterr().out
    assert link.is_symlink() and real.read_text() == ORIGINAL


def test_check_and_diff_do_not_mind_read_only_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "values.yaml"
    locked.write_text(ORIGINAL)
    locked.chmod(0o444)
    assert main(["convert", "--files", str(locked), "--check"]) == 1
    assert "read-only" not in capsys.readouterr().out


def test_writable_files_keep_their_mode_and_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text(ORIGINAL)
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert main(["convert", "--files", str(link), "--write"]) == 0
    assert link.is_symlink() and real.read_text() == CONVERTED and _mode(real) == 0o640


def test_a_file_another_user_owns_in_a_shared_directory_is_refused(shared_dir: Path) -> None:
    """The directory lets nobody rename over the file; the file itself is root's 0644."""
    needs_other_user()
    shared_dir.chmod(0o777)
    theirs = shared_dir / "values.yaml"
    theirs.write_text(ORIGINAL)
    theirs.chmod(0o644)
    result = run("--files", str(theirs), "--write", user="nobody")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "not writable by this user (mode 0644): not written" in result.stdout
    assert theirs.read_text() == ORIGINAL and theirs.stat().st_uid == os.geteuid()
