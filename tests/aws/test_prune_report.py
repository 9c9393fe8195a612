"""issue 20: ``lifecycle prune``'s report and edges, end to end on moto_server: numbers
checked at the edge, real durations and ISO times in the JSON, a JSON document when the
listing fails, one line per failed call, and a plan gone stale while the question waited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ecr.cli import main
from ecr.cli.commands import lifecycle
from ecr.pruner import ecr_api, handler
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, error_response, inject, plain_ecr

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=200)
APP, TOOL = "quay/app", "quay/tool"


@pytest.fixture
def cache(aws_env: object, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """quay/app: three images; quay/tool: one; all cached 200 days ago, never pulled."""
    ecr = plain_ecr()
    ecr.create_repository(repositoryName=APP)
    ecr.create_repository(repositoryName=TOOL)
    apps = [seed.put_single(ecr, APP, f"a{n}", size=1000, tag=f"{n}.0") for n in range(3)]
    tool = seed.put_single(ecr, TOOL, "t", size=500, tag="1")
    client = ecr_api.client(REGION)
    log = seed.PullLog(client, OLD)
    made = seed.route_clients(monkeypatch, client)
    return {"ecr": ecr, "client": client, "log": log, "apps": apps, "tool": tool, "made": made}


def prune(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main.main(["lifecycle", "prune", *flags])
    out, err = capsys.readouterr()
    return code, out, err


# --- numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "message"), [
    (["--unpulled-days", "999999999"], "--unpulled-days must be at most 36500 days, got "
     "999999999"),
    (["--unpulled-days", "0"], "--unpulled-days must be at least 1, got 0"),
    (["--price-per-gb", "nan"], "--price-per-gb must be a number of US dollars, got nan"),
    (["--price-per-gb", "inf"], "--price-per-gb must be a number of US dollars, got inf"),
    (["--price-per-gb=-inf"], "--price-per-gb must be a number of US dollars"),
    (["--price-per-gb", "1e300"], "--price-per-gb must be at most 1000 USD per GB-month"),
])
def test_prune_numbers_out_of_range_are_usage_errors(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    code, out, err = prune(capsys, "--dry-run", "-o", "json", *flags)
    assert (code, out) == (2, "") and message in err and cache["made"] == []


def test_a_stack_file_out_of_range_is_refused_before_any_call(
    cache: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = tmp_path / "Pulumi.prod.yaml"
    stack.write_text("config:\n  infra-ecr:cacheUnpulledDays: 800000\n")
    code, _, err = prune(capsys, "--dry-run", "--stack-file", str(stack))
    assert code == 2 and "cacheUnpulledDays: must be at most 36500 days, got 800000" in err
    assert cache["made"] == []


@pytest.mark.parametrize(("flags", "message"), [
    (["--max-age-days", "1000000000"], "--max-age-days must be at most 36500 days"),
    (["--keep-images", str(10**12)], "--keep-images must be at most 1000000 images"),
])
def test_apply_numbers_out_of_range_are_usage_errors(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    assert main.main(["lifecycle", "apply", "--dry-run", *flags]) == 2
    assert message in capsys.readouterr().err and cache["made"] == []


def test_the_function_refuses_days_out_of_range() -> None:
    with pytest.raises(handler.ConfigError, match="UNPULLED_DAYS must be 1-36500 days, got "
                       "800000"):
        handler.settings({"CACHE_PREFIXES": "quay", "UNPULLED_DAYS": "800000"})


# --- the report ----------------------------------------------------------------------------


def test_json_has_the_real_duration_and_iso_times(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    for yes_or_dry in ("--yes", "--dry-run"):
        code, out, _ = prune(capsys, yes_or_dry, "-o", "json")
        data = json.loads(out)
        assert code == 0 and data["seconds"] > 0
        if yes_or_dry == "--yes":
            assert data["deleted_images"] == 4


def test_last_used_is_iso_8601(cache: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = prune(capsys, "--dry-run", "-o", "json")
    assert code == 0
    units = [u for d in json.loads(out)["details"] for u in d["units"]]
    assert len(units) == 4
    for unit in units:
        assert unit["last_used"].endswith("Z") and "T" in unit["last_used"]
        assert abs(datetime.fromisoformat(unit["last_used"]) - OLD) < timedelta(seconds=1)


@pytest.mark.parametrize(("fault", "message"), [
    (lambda body: error_response("AccessDeniedException", "no ecr:DescribeRepositories"),
     "access denied"),
    (lambda body: None, "DescribeRepositories: the nextToken 'again' came back a second time"),
])
def test_a_failed_listing_prints_a_json_document(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str], fault: Any, message: str
) -> None:
    if message.startswith("access"):
        inject(cache["client"], "DescribeRepositories", fault)
    else:  # every page says there is another, with the same token: the listing never ends
        cache["client"].meta.events.register(
            "after-call.ecr.DescribeRepositories",
            lambda parsed, **_: parsed.update(nextToken="again"))
    code, out, err = prune(capsys, "--yes", "-o", "json")
    data = json.loads(out)
    assert code == 1 and message in data["error"] and data["deleted_images"] == 0
    assert message in err
    assert seed.digests(cache["ecr"], APP) == set(cache["apps"])


def test_one_failed_call_is_one_error_line(cache: dict[str, Any],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    inject(cache["client"], "BatchDeleteImage",
           lambda body: error_response("AccessDeniedException", "no ecr:BatchDeleteImage"))
    code, out, err = prune(capsys, "--yes", "-o", "json")
    assert code == 1 and json.loads(out)["failed"] == 4
    assert err.splitlines() == [
        f"error: {APP}: AccessDeniedException: no ecr:BatchDeleteImage (3 images)",
        f"error: {TOOL}@{cache['tool']}: AccessDeniedException: no ecr:BatchDeleteImage"]


# --- a plan gone stale while the question waited ------------------------------------------


def test_an_image_pulled_while_the_question_waits_is_kept(
    cache: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Someone pulls quay/app 1.0 and re-tags quay/tool while [y/N] waits; then "y"."""
    ecr = cache["ecr"]

    def answer() -> str:
        cache["log"].pull(cache["apps"][1], datetime.now(UTC))
        ecr.put_image(repositoryName=TOOL, imageManifest=seed.manifest("t", 500),
                      imageTag="pinned")
        return "y"

    monkeypatch.setattr(lifecycle, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", answer)
    code, out, err = prune(capsys)
    assert code == 0
    assert "Delete 4 images" in err
    assert seed.digests(ecr, APP) == {cache["apps"][1]}
    assert seed.digests(ecr, TOOL) == {cache["tool"]}
    assert "Deleted 2 images" in out
    assert "Kept 2 images pulled, pushed or re-tagged since the plan" in out


def test_the_json_names_what_was_kept(cache: dict[str, Any],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    cache["log"].when_rereading(lambda: cache["log"].pull(cache["tool"], NOW), TOOL)
    code, out, _ = prune(capsys, "--yes", "-o", "json")
    data = json.loads(out)
    assert code == 0 and data["kept_changed"] == 1 and data["deleted_images"] == 3
    tool = next(d for d in data["details"] if d["repository"] == TOOL)
    assert tool["kept_changed"] == [cache["tool"]] and tool["deleted_images"] == 0


def test_ctrl_c_at_the_question_deletes_nothing_and_exits_130(
    cache: dict[str, Any], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted() -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(lifecycle, "interactive", lambda: True)
    monkeypatch.setattr("builtins.input", interrupted)
    code, out, _ = prune(capsys)
    assert code == 130 and out.endswith("Nothing was deleted.\n")
    assert seed.digests(cache["ecr"], APP) == set(cache["apps"])


def test_ctrl_c_while_reading_prints_a_json_document(
    cache: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(**_: Any) -> None:
        raise KeyboardInterrupt

    cache["client"].meta.events.register("before-call.ecr.DescribeImages", interrupted)
    code, out, _ = prune(capsys, "--yes", "-o", "json")
    data = json.loads(out)
    assert code == 130 and data["interrupted"] is True and data["deleted_images"] == 0
