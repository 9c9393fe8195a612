"""A non-AWS answer (an HTML error page from a proxy) is an error message, not a traceback."""

from __future__ import annotations

import argparse

import pytest
from botocore.parsers import ResponseParserError

from ecr.cli import main
from ecr.cli.commands import status


def test_garbled_response_is_exit_1_with_advice(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def garbled(args: argparse.Namespace) -> int:
        raise ResponseParserError(
            "Unable to parse response (syntax error: line 1, column 0), invalid XML received."
            "\nb'<!doctype html><title>500 Internal Server Error</title>'")

    monkeypatch.setattr(status, "run", garbled)
    assert main.main(["status"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: the AWS endpoint answered with something that is not an AWS")
    assert "AWS_ENDPOINT_URL" in err and "doctype" not in err and "Traceback" not in err


def test_real_bugs_still_raise(monkeypatch: pytest.MonkeyPatch) -> None:
    def bug(args: argparse.Namespace) -> int:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(status, "run", bug)
    with pytest.raises(ZeroDivisionError):
        main.main(["status"])
