"""The Lambda handler run in-process on moto, and the archive the stack deploys."""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecr.pruner import ecr_api, handler, package
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, error_response, inject, plain_ecr

ROOT = Path(__file__).resolve().parents[2]
OLD = datetime.now(UTC) - timedelta(days=200)
RECENT = datetime.now(UTC) - timedelta(days=1)
REAL_CLIENT = ecr_api.client


@pytest.fixture
def registry(aws_env: object, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Cached images on moto; the handler's own client reports ECR's times for them."""
    ecr = plain_ecr()
    for name in ("docker-hub/library/redis", "quay/tool", "custom-apps"):
        ecr.create_repository(repositoryName=name)
    index, children = seed.put_multiarch(ecr, "docker-hub/library/redis", "7", "7.4")
    used = seed.put_single(ecr, "quay/tool", "used", tag="1")
    quiet = seed.put_single(ecr, "quay/tool", "quiet", tag="0")
    custom = seed.put_single(ecr, "custom-apps", "app", tag="1")
    made: list[Any] = []

    def client(region: str | None = None) -> Any:
        made.append(region)
        real = REAL_CLIENT(region)
        seed.record_times(real, OLD, {used: RECENT})
        return real

    monkeypatch.setattr(ecr_api, "client", client)
    for key in ("CACHE_PREFIXES", "UNPULLED_DAYS", "DRY_RUN"):
        monkeypatch.delenv(key, raising=False)
    return {"ecr": ecr, "index": index, "children": children, "used": used, "quiet": quiet,
            "custom": custom, "clients": made}


def test_handler_prunes_and_logs_one_json_line(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CACHE_PREFIXES", "docker-hub, quay")
    monkeypatch.setenv("UNPULLED_DAYS", "90")
    result = handler.handler({"source": "aws.scheduler"}, None)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and json.loads(lines[0]) == result
    for key in ("deleted_images", "freed_bytes", "repositories", "dry_run", "failures"):
        assert key in result
    assert (result["deleted_images"], result["freed_bytes"]) == (4, 3000)
    assert (result["repositories"], result["dry_run"], result["failures"]) == (2, False, [])
    ecr = registry["ecr"]
    assert seed.digests(ecr, "docker-hub/library/redis") == set()
    assert seed.digests(ecr, "quay/tool") == {registry["used"]}
    assert seed.digests(ecr, "custom-apps") == {registry["custom"]}


def test_handler_dry_run_deletes_nothing(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CACHE_PREFIXES", "quay")
    monkeypatch.setenv("UNPULLED_DAYS", "90")
    monkeypatch.setenv("DRY_RUN", "true")
    result = handler.handler({}, None)
    assert result["dry_run"] is True
    assert (result["selected_images"], result["deleted_images"], result["freed_bytes"]) == (
        1, 0, 0)
    assert seed.digests(registry["ecr"], "quay/tool") == {registry["used"], registry["quiet"]}


@pytest.mark.parametrize(("env", "message"), [
    ({"UNPULLED_DAYS": "90"}, "CACHE_PREFIXES is empty or unset"),
    ({"CACHE_PREFIXES": "Docker Hub", "UNPULLED_DAYS": "90"}, "is not a cache prefix"),
    ({"CACHE_PREFIXES": "quay"}, "UNPULLED_DAYS must be a whole number >= 1, got ''"),
    ({"CACHE_PREFIXES": "quay", "UNPULLED_DAYS": "ninety"}, "got 'ninety'"),
    ({"CACHE_PREFIXES": "quay", "UNPULLED_DAYS": "0"}, "UNPULLED_DAYS must be at least 1"),
    ({"CACHE_PREFIXES": "quay", "UNPULLED_DAYS": "9", "DRY_RUN": "maybe"},
     "DRY_RUN must be true or false"),
])
def test_a_bad_environment_fails_the_invocation_before_any_call(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
    message: str,
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(handler.ConfigError, match=message):
        handler.handler({}, None)
    assert registry["clients"] == []  # not even a client was made
    assert len(seed.digests(registry["ecr"], "quay/tool")) == 2


def test_failed_deletes_are_logged_then_fail_the_invocation(
    registry: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = ecr_api.client()  # the fixture's: ECR's times on moto
    inject(client, "BatchDeleteImage",
           lambda body: error_response("AccessDeniedException", "denied"))
    with pytest.raises(handler.PruneFailed, match=r"1 image.*AccessDeniedException"):
        handler.run(client, {"CACHE_PREFIXES": "quay", "UNPULLED_DAYS": "90"})
    logged = json.loads(capsys.readouterr().out)
    assert logged["failed"] == 1 and logged["deleted_images"] == 0
    assert logged["failures"][0]["repository"] == "quay/tool"


# --- the archive -------------------------------------------------------------------------


def test_archive_is_ecr_init_and_the_pruner_modules_only() -> None:
    files = package.archive_files(ROOT)
    expected = {"ecr/__init__.py"} | {
        f"ecr/pruner/{p.name}" for p in (ROOT / "ecr" / "pruner").glob("*.py")}
    assert set(files) == expected
    assert {"ecr/pruner/handler.py", "ecr/pruner/rules.py", "ecr/pruner/__init__.py"} <= set(files)
    assert all(path == ROOT / name for name, path in files.items())


def test_archive_leaves_out_caches_and_other_files(tmp_path: Path) -> None:
    (tmp_path / "ecr" / "pruner" / "__pycache__").mkdir(parents=True)
    (tmp_path / "ecr" / "__init__.py").write_text("")
    (tmp_path / "ecr" / "catalogue.py").write_text("")
    for name in ("__init__.py", "handler.py", "notes.txt", "__pycache__/handler.cpython-311.pyc"):
        (tmp_path / "ecr" / "pruner" / name).write_text("")
    assert sorted(package.archive_files(tmp_path)) == [
        "ecr/__init__.py", "ecr/pruner/__init__.py", "ecr/pruner/handler.py"]
    with pytest.raises(FileNotFoundError, match="not an infra-ecr checkout"):
        package.archive_files(tmp_path / "nowhere")


def test_pruner_imports_only_itself_the_stdlib_and_boto3() -> None:
    allowed = set(sys.stdlib_module_names) | {"boto3", "botocore"}
    for path in package.archive_files(ROOT).values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                top = name.split(".")[0]
                if top == "ecr":
                    assert name == "ecr.pruner" or name.startswith("ecr.pruner."), (path, name)
                else:
                    assert top in allowed, (path, name)


def test_the_archive_alone_imports_and_runs_the_handler(tmp_path: Path) -> None:
    """Unpacked on its own, as Lambda would: the handler imports and checks its settings."""
    for name, path in package.archive_files(ROOT).items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    code = ("import sys, ecr.pruner.handler as h\n"
            "try:\n    h.handler({}, None)\nexcept h.ConfigError as e:\n    print('refused:', e)\n"
            "print(sorted(m for m in sys.modules if m.startswith('ecr')))\n"
            "print('from', h.__file__)\n")
    env = {"PATH": "/usr/bin:/bin", "AWS_REGION": REGION, "PYTHONPATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "refused: CACHE_PREFIXES is empty or unset" in done.stdout
    assert "['ecr', 'ecr.pruner', 'ecr.pruner.ecr_api', 'ecr.pruner.handler'," in done.stdout
    assert f"from {tmp_path}/ecr/pruner/handler.py" in done.stdout


# The pruner may not import ecr.catalogue or ecr.aws (the archive holds only ecr.pruner), so it
# keeps its own copies of two small rules: they must agree with the originals.
PREFIX_SAMPLES = ["docker-hub", "quay", "k8s", "ecr-public", "team/a", "a", "Docker", "x" * 31,
                  "my_cache", "a..b", "-ab", "ab-", "a/b/c", "ab/", "ROOT", "ok.name", ""]


@pytest.mark.parametrize("prefix", PREFIX_SAMPLES)
def test_handler_prefix_check_agrees_with_the_catalogue(prefix: str) -> None:
    from ecr import catalogue

    expected = catalogue.prefix_problem(prefix) is None and prefix != "ROOT"
    try:
        handler.settings({"CACHE_PREFIXES": prefix, "UNPULLED_DAYS": "9"})
        accepted = True
    except handler.ConfigError:
        accepted = False
    assert accepted == expected


@pytest.mark.parametrize("name", ["docker-hub/library/nginx", "docker-hubx/y", "team/a/img",
                                  "team/b", "custom-apps", "quay", "quay/"])
def test_prefix_of_agrees_with_the_inventory(name: str) -> None:
    from ecr.aws import inventory

    prefixes = ["docker-hub", "quay", "team", "team/a/"]
    assert ecr_api.prefix_of(name, prefixes) == inventory.prefix_of(name, prefixes)
