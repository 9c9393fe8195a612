"""``ecr convert IMAGE...`` in-process, and scripts/convert-image-url.sh run for real."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from ecr.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "convert-image-url.sh"
REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
SHA = "sha256:" + "ab" * 32


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("ECR_REGISTRY", raising=False)
    monkeypatch.delenv("ECR_IMAGE_ALIASES", raising=False)
    # no pulumi on PATH unless a test puts a fake one there
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")


def fake_pulumi(tmp_path: Path, outputs: dict[str, object]) -> None:
    """A pulumi stand-in that answers ``stack output --json`` (the CLI is not installable)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    script = bindir / "pulumi"
    script.write_text(
        "#!/bin/sh\n"
        '[ "$1 $2 $3" = "stack output --json" ] || exit 3\n'
        f"cat <<'EOF'\n{json.dumps(outputs)}\nEOF\n"
    )
    script.chmod(0o755)


def test_images_in_order_with_errors_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", "--registry", REG, "nginx:1.27", "gcr.io/x/y:1",
                 "bitnami/wordpress:latest", "Bad/Ref", f"quay.io/a/b@{SHA}", "gcr.io/z"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.splitlines() == [
        f"{REG}/docker-hub/library/nginx:1.27",
        f"{REG}/docker-hub/bitnami/wordpress:latest",
        f"{REG}/quay/a/b@{SHA}",
    ]
    err = captured.err.splitlines()
    assert err[0] == "error: gcr.io/x/y:1: gcr.io cannot be cached: the ECR pull-through cache " \
                     "here fronts only"
    assert "error: Bad/Ref: invalid reference: repository name 'Ref' must be lowercase" in err
    assert "error: gcr.io/z: gcr.io cannot be cached" in err  # explained once, then short


def test_all_good_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--registry", f"https://{REG}/", "ghcr.io/a/b"]) == 0
    assert capsys.readouterr().out == f"{REG}/github/a/b\n"


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ECR_REGISTRY", REG)
    monkeypatch.setattr("sys.stdin", io.StringIO("nginx\n\n# comment\n  redis:7  \n"))
    assert main(["convert", "busybox", "-", "alpine"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"{REG}/docker-hub/library/busybox",
        f"{REG}/docker-hub/library/nginx",
        f"{REG}/docker-hub/library/redis:7",
        f"{REG}/docker-hub/library/alpine",
    ]


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["convert", "--registry", REG, "-o", "json", "k8s.gcr.io/pause:3.1",
                 "mcr.microsoft.com/a"])
    captured = capsys.readouterr()
    assert code == 3  # an uncacheable image: left, with a note
    assert json.loads(captured.out) == [
        {"input": "k8s.gcr.io/pause:3.1", "output": f"{REG}/k8s/pause:3.1",
         "upstream": "registry.k8s.io", "prefix": "k8s",
         "warning": "k8s.gcr.io is frozen since April 2023; the image is taken from "
                    "registry.k8s.io"},
        {"input": "mcr.microsoft.com/a", "error": "mcr.microsoft.com cannot be cached"},
    ]


def test_aliases_flag_and_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    image = "registry.rocket.chat/rocketchat/rocket.chat"
    assert main(["convert", "--registry", REG, "--alias", "registry.rocket.chat=docker.io",
                 image]) == 0
    assert capsys.readouterr().out == f"{REG}/docker-hub/rocketchat/rocket.chat\n"
    aliases = tmp_path / "aliases.conf"
    aliases.write_text("registry.rocket.chat=docker.io\n")
    assert main(["convert", "--registry", REG, "--aliases-file", str(aliases), image]) == 0
    assert capsys.readouterr().out == f"{REG}/docker-hub/rocketchat/rocket.chat\n"
    monkeypatch.setenv("ECR_IMAGE_ALIASES", str(aliases))
    assert main(["convert", "--registry", REG, image]) == 0
    assert capsys.readouterr().out == f"{REG}/docker-hub/rocketchat/rocket.chat\n"
    assert main(["convert", "--registry", REG, "--aliases-file", str(tmp_path / "no"),
                 image]) == 2
    assert "aliases file" in capsys.readouterr().err


def test_no_registry_says_how_to_give_one(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "nginx"]) == 2
    err = capsys.readouterr().err
    assert "--registry" in err and "ECR_REGISTRY" in err and "pulumi stack output" in err


def test_bad_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--registry", "not a host", "nginx"]) == 2
    assert "is not a host name" in capsys.readouterr().err


def test_registry_and_prefixes_from_the_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path, {"ecr_registry_url": f"{REG}",
                           "cache_prefixes": {"docker.io": "hub", "quay.io": "quay"}})
    assert main(["convert", "nginx", "quay.io/a/b", "ghcr.io/a/b"]) == 3  # one left, noted
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [f"{REG}/hub/library/nginx", f"{REG}/quay/a/b"]
    assert "ghcr.io cannot be cached" in captured.err


def test_env_beats_stack(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pulumi(tmp_path, {"ecr_registry_url": "999999999999.dkr.ecr.eu-west-1.amazonaws.com"})
    monkeypatch.setenv("ECR_REGISTRY", REG)
    assert main(["convert", "nginx"]) == 0
    assert capsys.readouterr().out == f"{REG}/docker-hub/library/nginx\n"


def test_no_arguments_prints_usage_and_caches(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert"]) == 0
    out = capsys.readouterr().out
    assert "usage: convert-image-url.sh" in out
    assert "Configured caches in <registry>:" in out
    for line in ("docker.io, index.docker.io, registry-1.docker.io, registry.hub.docker.com  "
                 "docker-hub/", "public.ecr.aws, ecr-public.aws.com",
                 "quay.io", "ghcr.io", "registry.k8s.io", "public.ecr.aws"):
        assert line in out
    assert main(["convert", "--registry", REG]) == 0
    assert f"nginx:1.27 -> {REG}/docker-hub/library/nginx:1.27" in capsys.readouterr().out


# --- the shell wrapper, for real ------------------------------------------------------


def run_script(*args: str, stdin: str = "", env: dict[str, str] | None = None,
               cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run([str(SCRIPT), *args], input=stdin, capture_output=True, text=True,
                          env={**base, **(env or {})}, cwd=cwd, timeout=60, check=False)


def test_script_converts_images() -> None:
    done = run_script("nginx:1.27", "gcr.io/a/b", "-", stdin="quay.io/x/y:1\n",
                      env={"ECR_REGISTRY": REG})
    assert done.returncode == 3  # an uncacheable host is left with a note
    assert done.stdout.splitlines() == [f"{REG}/docker-hub/library/nginx:1.27",
                                        f"{REG}/quay/x/y:1"]
    assert "error: gcr.io/a/b: gcr.io cannot be cached" in done.stderr


def test_script_without_arguments_and_help() -> None:
    done = run_script(env={"ECR_REGISTRY": REG})
    assert done.returncode == 0
    assert f"{REG}/docker-hub/library/nginx:1.27" in done.stdout
    done = run_script("--help")
    assert done.returncode == 0 and "--files" in done.stdout and "exit status" in done.stdout


def test_script_rewrites_files(tmp_path: Path) -> None:
    values = tmp_path / "values.yaml"
    values.write_text("image:\n  registry: docker.io   # hub\n  repository: frappe/erpnext\n"
                      "  tag: latest\n")
    done = run_script("--files", str(tmp_path), "--check", env={"ECR_REGISTRY": REG},
                      cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"would change: {values}" in done.stdout
    done = run_script("--files", str(values), "--write", env={"ECR_REGISTRY": REG})
    assert done.returncode == 0, done.stderr
    assert values.read_text() == (
        f"image:\n  registry: {REG}/docker-hub   # hub\n  repository: frappe/erpnext\n"
        "  tag: latest\n"
    )
    assert "1 images converted" in done.stdout


def test_exit_status_precedence_error_then_check_then_noted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """0 all converted; 1 --check found changes; 2 an error; 3 done with images left
    with a note (an uncacheable host); 2 > 1 > 3 > 0."""
    noted = tmp_path / "noted.yaml"
    noted.write_text("image: mcr.microsoft.com/dotnet/runtime:8.0\nsidecar:\n  image: nginx:1.27\n")
    base = ["convert", "--registry", REG, "--files"]
    assert main([*base, str(noted), "--check"]) == 1  # changes beat the note
    assert main([*base, str(noted), "--write"]) == 3  # written, one image left (noted)
    assert f"{REG}/docker-hub/library/nginx:1.27" in noted.read_text()
    assert main([*base, str(noted), "--check"]) == 3  # nothing to change, still noted
    bad = tmp_path / "bad.yaml"
    bad.write_text("image: [oops\n")
    assert main([*base, str(noted), str(bad), "--check"]) == 2  # an error beats all
    good = tmp_path / "good.yaml"
    good.write_text("image: nginx:1.27\n")
    assert main([*base, str(good), "--write"]) == 0
    assert main([*base, str(good), "--check"]) == 0
    capsys.readouterr()


def test_help_has_the_exit_status_table(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["convert", "--help"])
    text = capsys.readouterr().out
    for line in ("0  everything converted", "1  --check", "2  an error",
                 "3  done, but some images were left"):
        assert line in text
