"""``convert --files`` against hostile or careless input (issue 14): no traceback, no
hang, no partial or lost write; each problem named, and the other files still done."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ecr.cli.main import main
from ecr.values.rewrite import rewrite as real_rewrite

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
ROOT = Path(__file__).resolve().parents[2]
CONVERTED = f"image: {REG}/docker-hub/library/nginx\n"
NOBODY = 65534


@pytest.fixture(autouse=True)
def registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECR_REGISTRY", REG)
    monkeypatch.delenv("ECR_IMAGE_ALIASES", raising=False)


def run(*args: str, user: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m ecr convert ...`` in a child (as ``user`` through setpriv), 60 s at most."""
    command = [sys.executable, "-m", "ecr", "convert", *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *command]
    env = {**os.environ, "ECR_REGISTRY": REG, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=cwd, env=env,
                          check=False)


# the tool runs from this checkout as nobody: it must be able to reach it
pytestmark = pytest.mark.usefixtures("checkout_reachable_by_others")


def needs_other_user() -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the tool as another user (nobody)")


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory the user nobody can reach (pytest's tmp_path is root-only)."""
    path = Path(tempfile.mkdtemp(prefix="h4-hostile-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        for dirpath, dirnames, _ in os.walk(path):
            for name in dirnames:
                os.chmod(os.path.join(dirpath, name), 0o755)
        shutil.rmtree(path)


def test_deep_nesting_near_libyaml_limit_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("[" * 1000 + "]" * 1000 + "\n")
    good = tmp_path / "good.yaml"
    good.write_text("image: nginx\n")
    assert main(["convert", "--files", str(tmp_path), "--write"]) == 2
    out = capsys.readouterr().out
    assert "nested too deeply" in out
    assert good.read_text() == CONVERTED


def test_symlink_loop_is_reported_and_the_rest_converted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    good = tmp_path / "good.yaml"
    good.write_text("image: nginx\n")
    assert main(["convert", "--files", str(tmp_path), "--write"]) == 2
    out = capsys.readouterr().out
    assert "a symlink loop" in out
    assert good.read_text() == CONVERTED


def test_symlink_loop_named_explicitly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    assert main(["convert", "--files", str(tmp_path / "a.yaml"), "--check"]) == 2
    captured = capsys.readouterr()
    assert "a symlink loop" in captured.out + captured.err


def test_symlink_to_dev_zero_and_fifo_are_skipped_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe.yaml")
    good = tmp_path / "good.yaml"
    good.write_text("image: nginx\n")
    result = run("--files", str(tmp_path), "--write")  # a hang fails on the timeout
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'zero.yaml'}: not a regular file (a character device); skipped" \
        in result.stdout
    assert f"{tmp_path / 'pipe.yaml'}: not a regular file (a FIFO); skipped" in result.stdout
    assert "2 not regular files (skipped)" in result.stdout
    assert good.read_text() == CONVERTED


def test_empty_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--files", ""]) == 2
    assert "an empty path names no file" in capsys.readouterr().err


def test_explicit_file_in_unreadable_directory(shared_dir: Path) -> None:
    needs_other_user()
    locked = shared_dir / "locked"
    locked.mkdir()
    (locked / "values.yaml").write_text("image: nginx\n")
    good = shared_dir / "good.yaml"
    good.write_text("image: nginx\n")
    good.chmod(0o666)
    locked.chmod(0o000)
    result = run("--files", str(locked / "values.yaml"), str(good), user="nobody")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2
    assert f"{locked / 'values.yaml'}" in result.stderr
    assert "permission denied" in result.stderr
    assert "+image: " + REG in result.stdout  # the other file is still converted (diff)


def test_unreadable_directory_is_reported_and_fails_check(shared_dir: Path) -> None:
    needs_other_user()
    locked = shared_dir / "tree" / "locked"
    locked.mkdir(parents=True)
    (locked / "values.yaml").write_text("image: nginx\n")
    done = shared_dir / "tree" / "done.yaml"
    done.write_text(CONVERTED)
    locked.chmod(0o000)
    result = run("--files", str(shared_dir / "tree"), "--check", user="nobody")
    assert "Traceback" not in result.stderr
    assert result.returncode == 2, result.stdout
    assert f"{locked}" in result.stdout
    assert "directory not searched: permission denied" in result.stdout


def test_file_changed_during_the_run_is_left_as_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("image: nginx\n")
    theirs = "image: nginx  # edited meanwhile\nreplicas: 3\n"

    def rewrite_while_someone_edits(*args: object, **kwargs: object) -> object:
        result = real_rewrite(*args, **kwargs)  # type: ignore[arg-type]
        path.write_text(theirs)
        return result

    monkeypatch.setattr("ecr.values.files.rewrite", rewrite_while_someone_edits)
    assert main(["convert", "--files", str(path), "--write"]) == 2
    assert path.read_text() == theirs
    assert "changed on disk while converting" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["values.yaml"]  # no temp file left


def test_symlink_outside_the_tree_is_not_written_without_the_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = tmp_path / "outside" / "real.yaml"
    outside.parent.mkdir()
    outside.write_text("image: nginx\n")
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "link.yaml").symlink_to(outside)
    assert main(["convert", "--files", str(tree), "--write"]) == 2
    out = capsys.readouterr().out
    assert f"a symlink to {outside}, outside {tree}: not written" in out
    assert "--follow-symlinks" in out
    assert outside.read_text() == "image: nginx\n"
    assert main(["convert", "--files", str(tree), "--write", "--follow-symlinks"]) == 0
    assert outside.read_text() == CONVERTED
    assert (tree / "link.yaml").is_symlink()


def test_symlink_inside_the_tree_is_written(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "values.yaml"
    real.write_text("image: nginx\n")
    (tmp_path / "link.yaml").symlink_to(real)
    assert main(["convert", "--files", str(tmp_path / "link.yaml"), str(tmp_path), "--write"]) \
        == 0
    assert real.read_text() == CONVERTED


def test_owner_and_group_are_kept(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root may give a file to another owner")
    path = tmp_path / "values.yaml"
    path.write_text("image: nginx\n")
    os.chown(path, NOBODY, NOBODY)
    path.chmod(0o664)
    assert main(["convert", "--files", str(path), "--write"]) == 0
    info = path.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o777) == (NOBODY, NOBODY, 0o664)
    assert path.read_text() == CONVERTED


def test_owner_that_cannot_be_kept_is_named(shared_dir: Path) -> None:
    needs_other_user()
    work = shared_dir / "work"
    work.mkdir()
    os.chown(work, NOBODY, NOBODY)
    path = work / "values.yaml"
    path.write_text("image: nginx\n")  # root's file, writable by all, in nobody's directory
    path.chmod(0o666)
    result = run("--files", str(path), "--write", user="nobody")
    assert result.returncode == 0, result.stderr
    assert path.read_text() == CONVERTED
    assert f"warning: {path}: owner/group 0:0 could not be kept (not permitted); the file " \
        f"now belongs to {NOBODY}:{NOBODY}" in result.stdout


def test_hard_links_are_not_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "values.yaml"
    path.write_text("image: nginx\n")
    other = tmp_path / "copy.yml"
    os.link(path, other)
    assert main(["convert", "--files", str(path), "--write"]) == 2
    assert "has 2 hard links: replacing it would break them" in capsys.readouterr().out
    assert path.read_text() == "image: nginx\n"
    assert os.path.samefile(path, other)


def test_diff_of_a_line_with_next_line_character_applies_with_git(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    original = "a: 1 # caf\u00e9\u0085\nimage: nginx # \u0085 \u2028\nb: 1\n"
    path = tmp_path / "values.yaml"
    path.write_text(original, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["convert", "--files", "values.yaml"]) == 0
    diff = capsys.readouterr().out
    subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=tmp_path, check=True)
    assert path.read_text(encoding="utf-8") == original.replace(
        "image: nginx", f"image: {REG}/docker-hub/library/nginx"
    )


def test_file_names_with_control_characters_are_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "a\x1b[31m\nb.yaml"
    odd.write_text("image: nginx\n")
    assert main(["convert", "--files", str(odd), "--check"]) == 1
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert "a\\x1b[31m\\nb.yaml:1" in out
