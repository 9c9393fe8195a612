"""Single references on the command line (issue 14): messages that say what is wrong."""

from __future__ import annotations

import pytest

from ecr.cli.main import main
from ecr.images.mapping import InvalidRegistry, validated_registry
from ecr.images.reference import InvalidReference, parse, printable

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
HEX = "a" * 64


def test_control_characters_in_the_input_are_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--registry", REG, "a\x1b[31mb\nc", "ok\x07:1"]) == 2
    err = capsys.readouterr().err
    assert "error: a\\x1b[31mb\\nc: invalid reference: contains whitespace\n" in err
    assert "\x1b" not in err and "\x07" not in err
    assert len(err.splitlines()) == 2


def test_printable_escapes_only_what_a_terminal_would_act_on() -> None:
    assert printable("nginx:1.27") == "nginx:1.27"
    assert printable("café") == "café"
    assert printable("a\x1b\n\u2028\\") == "a\\x1b\\n\\u2028\\\\"


@pytest.mark.parametrize("registry", ["nginx", "NGINX", "registry"])
def test_single_label_registry_is_refused(
    registry: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["convert", "--registry", registry, "nginx"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "a registry host has a dot or a port" in captured.err, captured.err
    with pytest.raises(InvalidRegistry):
        validated_registry(registry)


@pytest.mark.parametrize("registry", [REG, "localhost", "localhost:5000", "127.0.0.1:5000",
                                      "registry:5000", "[::1]:5000"])
def test_registry_hosts_still_accepted(registry: str) -> None:
    assert validated_registry(registry) == registry


def test_digest_alone_needs_a_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidReference, match="a digest alone names no image"):
        parse(f"@sha256:{HEX}")
    with pytest.raises(InvalidReference, match="a tag alone names no image"):
        parse(":1.27")
    assert main(["convert", "--registry", REG, f"@sha256:{HEX}"]) == 2
    assert "put the repository in front of it" in capsys.readouterr().err
