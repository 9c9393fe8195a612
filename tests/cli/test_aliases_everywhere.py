"""convert, images and verify read host aliases the same way: --alias, --aliases-file,
and $ECR_IMAGE_ALIASES (QA finding: images and verify ignored the file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr.cli import main
from ecr.images import mapping

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
ROCKET = "registry.rocket.chat/rocketchat/rocket.chat:6.13.1"


@pytest.fixture
def aliases_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "aliases"
    path.write_text("# mirrors\nregistry.rocket.chat = docker.io\n")
    monkeypatch.setenv("ECR_IMAGE_ALIASES", str(path))
    return path


def test_collect_aliases_file_then_flags(aliases_file: Path) -> None:
    assert mapping.collect_aliases([]) == {"registry.rocket.chat": "docker.io"}
    assert mapping.collect_aliases(["registry.rocket.chat=quay.io"]) == {
        "registry.rocket.chat": "quay.io"}  # a flag wins over the file
    with pytest.raises(ValueError, match="aliases file /nonexistent"):
        mapping.collect_aliases([], "/nonexistent")


def test_verify_uses_the_environment_file(
    aliases_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # unreachable registry: the verdict is "error", not "unsupported", once aliased
    main.main(["verify", "--registry", "http://127.0.0.1:1", "--timeout", "1", "--retries", "0",
              "-o", "json", ROCKET])
    row = json.loads(capsys.readouterr().out)[0]
    assert row["verdict"] != "unsupported"
    assert row["cache_reference"] == "127.0.0.1:1/docker-hub/rocketchat/rocket.chat:6.13.1"


def test_verify_and_images_take_aliases_file_flag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ECR_IMAGE_ALIASES", raising=False)
    for argv in (["verify", "--registry", REG], ["images", "--registry", REG]):
        assert main.main([*argv, "--aliases-file", str(tmp_path / "missing"), ROCKET]) == 2
        assert "aliases file" in capsys.readouterr().err


def test_images_uses_the_environment_file(
    aliases_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.charts import charts

    monkeypatch.setenv("ECR_HELM_BACKEND", "sdk")
    chart = charts.chat_chart(tmp_path / "chat")
    assert main.main(["images", "--registry", REG, "-o", "json", "--chart", str(chart)]) == 0
    rows = json.loads(capsys.readouterr().out)["images"]
    assert [r["status"] for r in rows] == ["bypass"]  # not "uncacheable": aliased
    assert rows[0]["cache_image"].startswith(f"{REG}/docker-hub/rocketchat/rocket.chat")
