"""``scripts/ecr lifecycle prune`` end to end on moto_server: dry run, --yes, JSON, asking,
refusing without a terminal, custom repositories untouched, multi-arch units."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecr.aws.inventory import monthly_cost
from ecr.cli import main
from ecr.cli.commands import lifecycle
from ecr.cli.commands.status import DEFAULT_PRICE
from ecr.pruner import ecr_api
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, error_response, inject, plain_ecr

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)
NGINX, QUAY, CUSTOM = "docker-hub/library/nginx", "quay/app", "custom-apps"


@pytest.fixture
def cache(aws_env: object, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """nginx: an old multi-arch 1.25 (pulled 200 days ago) and 1.27 (one platform pulled
    yesterday); quay/app: 1.0 pulled 60 days ago, 2.0 never pulled but cached 100 days ago;
    custom-apps: a custom repository nobody pulled for a year."""
    ecr = plain_ecr()
    for name in (NGINX, QUAY, CUSTOM):
        ecr.create_repository(repositoryName=name)
    old_index, old_children = seed.put_multiarch(ecr, NGINX, "1.25", "1.25", platforms=3)
    new_index, new_children = seed.put_multiarch(ecr, NGINX, "1.27", "1.27")
    app1 = seed.put_single(ecr, QUAY, "1.0", size=5000, tag="1.0")
    app2 = seed.put_single(ecr, QUAY, "2.0", size=7000, tag="2.0")
    custom = seed.put_single(ecr, CUSTOM, "mine", tag="1")
    client = ecr_api.client(REGION)
    seed.record_times(client, NOW - timedelta(days=100), {
        old_index: NOW - timedelta(days=200), new_children[1]: NOW - timedelta(days=1),
        app1: NOW - timedelta(days=60), custom: NOW - timedelta(days=365)})
    made = seed.route_clients(monkeypatch, client)
    return {"ecr": ecr, "client": client, "made": made, "old": {old_index, *old_children},
            "new": {new_index, *new_children}, "app1": app1, "app2": app2, "custom": custom}


def held(cache: dict[str, Any]) -> dict[str, set[str]]:
    return {name: seed.digests(cache["ecr"], name) for name in (NGINX, QUAY, CUSTOM)}


def prune(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main.main(["lifecycle", "prune", *flags])
    out, err = capsys.readouterr()
    return code, out, err


def test_dry_run_json_shows_units_and_deletes_nothing(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    before = held(cache)
    code, out, _ = prune(capsys, "--dry-run", "-o", "json")
    data = json.loads(out)
    assert code == 0 and held(cache) == before
    assert data["dry_run"] is True and data["unpulled_days"] == 90
    assert (data["selected_images"], data["selected_units"], data["deleted_images"]) == (5, 2, 0)
    assert data["selected_bytes"] == 3 * 1000 + 7000
    assert data["estimated_monthly_saving_usd"] == round(monthly_cost(10000, DEFAULT_PRICE), 4)
    details = {d["repository"]: d for d in data["details"]}
    assert set(details) == {NGINX, QUAY}  # nothing from the custom repository
    [unit] = details[NGINX]["units"]
    assert unit["index"] is True and unit["tags"] == ["1.25"]
    assert set(unit["members"]) == cache["old"] and unit["members"][0] == unit["digest"]
    assert [u["digest"] for u in details[QUAY]["units"]] == [cache["app2"]]


def test_yes_deletes_the_quiet_units_and_prints_the_table(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = prune(capsys, "--yes")
    assert code == 0 and err == ""
    after = held(cache)
    assert after[NGINX] == cache["new"]  # 1.27 stays whole: one platform was pulled
    assert after[QUAY] == {cache["app1"]}
    assert after[CUSTOM] == {cache["custom"]}  # custom repositories are never touched
    lines = out.splitlines()
    assert lines[0].split() == ["REPOSITORY", "PREFIX", "UNITS", "DELETED", "OF", "IMAGES",
                                "SIZE", "SAVED", "USD/MO", "FAILED"]
    nginx = next(line for line in lines if line.startswith(NGINX)).split()
    assert nginx[:5] == [NGINX, "docker-hub", "1", "4", "7"]
    assert ("Deleted 5 images in 2 of 2 cached repositories under docker-hub/, quay/, github/, "
            "k8s/, ecr-public/ (nobody pulled them for 90 days): 9.8 KiB") in out
    assert "Dry run" not in out


def test_yes_json_reports_what_went(cache: dict[str, Any],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = prune(capsys, "--yes", "-o", "json", "--prefix", "quay",
                         "--price-per-gb", "0.5")
    data = json.loads(out)
    assert code == 0 and data["dry_run"] is False
    assert (data["deleted_images"], data["freed_bytes"], data["repositories"]) == (1, 7000, 1)
    assert data["prefixes"] == ["quay"] and data["failures"] == []
    assert data["estimated_monthly_saving_usd"] == round(monthly_cost(7000, 0.5), 4)
    assert held(cache)[NGINX] == cache["old"] | cache["new"]  # other prefixes untouched


def test_unpulled_days_flag_and_stack_file(cache: dict[str, Any], tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = prune(capsys, "--dry-run", "-o", "json", "--unpulled-days", "30",
                         "--prefix", "quay")
    assert code == 0 and json.loads(out)["selected_images"] == 2  # 1.0 was pulled 60 days ago
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  infra-ecr:cacheUnpulledDays: '30'\n")
    code, out, _ = prune(capsys, "--dry-run", "-o", "json", "--stack-file", str(stack),
                         "--prefix", "quay")
    assert code == 0 and json.loads(out)["unpulled_days"] == 30


def test_pruning_off_in_the_stack_needs_the_flag(cache: dict[str, Any], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  infra-ecr:cacheUnpulledDays: '0'\n")
    code, _, err = prune(capsys, "--dry-run", "--stack-file", str(stack))
    assert code == 2
    assert f"pruning is off: cacheUnpulledDays is 0 in {stack}; pass --unpulled-days N" in err
    code, _, _ = prune(capsys, "--dry-run", "--stack-file", str(stack), "--unpulled-days", "9")
    assert code == 0


def test_without_a_terminal_it_refuses_before_any_call(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    before = held(cache)
    code, out, err = prune(capsys)
    assert code == 2 and out == ""
    assert err == ("error: no terminal to ask for confirmation: pass --dry-run to see what "
                   "would be deleted, or --yes to delete it\n")
    assert cache["made"] == [] and held(cache) == before
    code, _, err = prune(capsys, "-o", "json")
    assert code == 2 and "-o json needs --dry-run or --yes" in err


@pytest.mark.parametrize(("answer", "deleted"), [("n", False), ("", False), ("yes", True)])
def test_on_a_terminal_it_shows_then_asks(
    cache: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], answer: str, deleted: bool,
) -> None:
    monkeypatch.setattr(lifecycle, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda: answer)
    before = held(cache)
    code, out, err = prune(capsys)
    assert code == 0
    assert "Delete 5 images (9.8 KiB) from 2 repositories? [y/N]" in err
    assert "WOULD DELETE" in out.splitlines()[0]  # what would go, shown before the question
    if deleted:
        assert held(cache)[QUAY] == {cache["app1"]}
        assert "Deleted 5 images" in out
    else:
        assert held(cache) == before and "Nothing was deleted." in out


def test_bad_values_are_usage_errors(cache: dict[str, Any],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert prune(capsys, "--dry-run", "--unpulled-days", "0")[0] == 2
    assert prune(capsys, "--dry-run", "--prefix", "Not A Prefix")[0] == 2
    assert prune(capsys, "--dry-run", "--price-per-gb", "-1")[0] == 2
    with pytest.raises(SystemExit) as exc:
        main.main(["lifecycle", "prune", "--dry-run", "--yes"])
    assert exc.value.code == 2
    assert cache["made"] == []


def test_failed_deletes_exit_1_and_name_the_images(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    inject(cache["client"], "BatchDeleteImage",
           lambda body: error_response("AccessDeniedException", "no ecr:BatchDeleteImage"))
    code, out, err = prune(capsys, "--yes", "--prefix", "quay")
    assert code == 1
    assert f"error: {QUAY}@{cache['app2']}: AccessDeniedException: no ecr:BatchDeleteImage" in err
    row = next(line for line in out.splitlines() if line.startswith(QUAY)).split()
    assert row[3] == "0" and row[-1] == "1"  # nothing deleted, one failure


def test_scripts_ecr_refuses_without_a_terminal_and_dry_runs(aws_env: object) -> None:
    """The real entry point, in its own process (stdin is not a terminal there)."""
    ecr = plain_ecr()
    ecr.create_repository(repositoryName=QUAY)
    seed.put_single(ecr, QUAY, "just-cached", tag="1")  # moto: cached now, so it stays
    env = {**os.environ, "PYTHONPATH": str(ROOT), "VENV": str(Path(sys.executable).parent.parent)}
    script = str(ROOT / "scripts" / "ecr")
    done = subprocess.run([script, "lifecycle", "prune"], env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and "pass --dry-run" in done.stderr and done.stdout == ""
    done = subprocess.run([script, "lifecycle", "prune", "--dry-run", "-o", "json"], env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert (data["repositories"], data["images"], data["selected_images"]) == (1, 1, 0)
