"""``status`` and ``doctor`` against a broken AWS environment: one error path, no tracebacks.

Each case is a real broken setup: a temporary AWS config file (``AWS_CONFIG_FILE``), an
invalid ``AWS_ENDPOINT_URL``, or a fake endpoint on 127.0.0.1 that answers every call
with HTTP 200 and an HTML page or random bytes.  The commands are run whole
(``ecr.cli.main.main``): a traceback would fail the test as an exception.  Both
commands explain a case in the words of ``ecr.aws.failure``.
"""

from __future__ import annotations

import http.server
import json
import random
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from ecr import aws
from ecr.aws import sessions
from ecr.cli import main
from tests.aws.conftest import is_failed_listing
from tests.netutil import Served, free_port

REGION = "af-south-1"
HTML = b"<html><head><title>Sign in</title></head><body>Welcome</body></html>"
DOCTYPE_HTML = b"<!doctype html><html><body>proxy error</body></html>"
# Not UTF-8 (0xff never is), then noise.
RANDOM_BYTES = b"\xff\xfe" + random.Random(14).randbytes(510)


class FakeEndpoint(Served):
    """An HTTP server on 127.0.0.1 answering every request with ``status`` and ``body``."""

    def __init__(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.body = body
        self.requests = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = do_POST

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No AWS settings of the machine's: an empty config and credentials file, keys in
    the environment, the region set, an endpoint nobody listens on."""
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION",
                "ECR_REGISTRY"):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "config"
    config.write_text("")
    (tmp_path / "credentials").write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    # One attempt: the cases are about the message, not botocore's patience.
    monkeypatch.setattr(aws, "SETTINGS", aws.Settings(
        retry_mode="standard", max_retries=1, connect_attempts=1))
    return tmp_path


def profile_only(aws_home: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Credentials come from the config file alone."""
    (aws_home / "config").write_text(text)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")


def run_status(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    code = main.main(["status", "--output", "json", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def run_doctor(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict[str, Any]]:
    code = main.main(["doctor", "--cache", "quay", "--output", "json", *extra])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


def identity_check(report: dict[str, Any]) -> dict[str, Any]:
    check: dict[str, Any] = report["checks"][0]
    assert check["name"] == "AWS credentials" and check["status"] == "fail", report
    return check


# --- a malformed config file: found before any call, bad usage for both ---------------


@pytest.mark.parametrize("command", ["status", "doctor"])
def test_malformed_config_file(command: str, aws_home: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    (aws_home / "config").write_text("[default\nregion = af-south-1\n")
    assert main.main([command]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: the AWS config file {aws_home / 'config'} cannot be parsed")
    assert "AWS_CONFIG_FILE" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["status", "doctor"])
def test_region_that_is_no_region_name(command: str, aws_home: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main([command, "--region", "../x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: '../x' is not an AWS region name: pass --region")


# --- the endpoint: invalid, unreachable, not AWS -----------------------------------------


def test_status_invalid_endpoint_url(aws_home: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://[bad")
    code, out, err = run_status(capsys)
    assert code == 1 and is_failed_listing(out, err)
    assert err.startswith("error: list ECR repositories: the AWS endpoint URL is not valid")
    assert "AWS_ENDPOINT_URL=http://[bad" in err and "fix or unset it" in err


def test_doctor_invalid_endpoint_url(aws_home: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://[bad")
    code, report = run_doctor(capsys)
    check = identity_check(report)
    assert code == 1
    assert "the AWS endpoint URL is not valid" in check["detail"]
    assert "AWS_ENDPOINT_URL=http://[bad" in check["detail"]
    assert check["fix"] == "fix or unset it"


def test_doctor_unreachable_endpoint_names_the_endpoint_not_a_login(
    aws_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_doctor(capsys)
    check = identity_check(report)
    assert code == 1
    assert "cannot reach the AWS endpoint" in check["detail"]
    assert check["fix"].startswith("check AWS_ENDPOINT_URL=http://127.0.0.1:")
    assert "sso" not in check["fix"]


def test_status_unreachable_endpoint(aws_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_status(capsys)
    assert code == 1
    assert "cannot reach the AWS endpoint" in err and "check AWS_ENDPOINT_URL=" in err


NOT_AWS = [pytest.param(HTML, "text/html", id="html"),
           pytest.param(DOCTYPE_HTML, "text/html", id="doctype-html"),
           pytest.param(RANDOM_BYTES, "application/octet-stream", id="random-bytes")]


@pytest.mark.parametrize(("body", "content_type"), NOT_AWS)
def test_status_endpoint_answering_no_aws_response(
    body: bytes, content_type: str, aws_home: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: HTML was read as an empty registry, then ``KeyError`` from STS; bytes gave
    ``UnicodeDecodeError``."""
    with FakeEndpoint(body, content_type) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        code, out, err = run_status(capsys)
    assert code == 1 and is_failed_listing(out, err)
    assert err.startswith(f"error: list ECR repositories: {fake.url} answered "
                          f"DescribeRepositories with HTTP 200 ({content_type}), not an AWS "
                          "response")
    assert f"check AWS_ENDPOINT_URL={fake.url}" in err and "Traceback" not in err


@pytest.mark.parametrize(("body", "content_type"), NOT_AWS)
def test_doctor_endpoint_answering_no_aws_response(
    body: bytes, content_type: str, aws_home: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: ``KeyError: 'GetCallerIdentityResult'`` for HTML that parses as XML."""
    with FakeEndpoint(body, content_type) as fake:
        monkeypatch.setenv("AWS_ENDPOINT_URL", fake.url)
        code, report = run_doctor(capsys)
    check = identity_check(report)
    assert code == 1
    assert check["detail"] == (f"sts get-caller-identity: {fake.url} answered GetCallerIdentity "
                               f"with HTTP 200 ({content_type}), not an AWS response")
    assert check["fix"].startswith(f"check AWS_ENDPOINT_URL={fake.url}")
    assert report["checks"][1]["status"] == "skip"


# --- credentials from the profile: credential_process, source_profile --------------------

FAILING_PROCESS = "[default]\ncredential_process = /bin/sh -c 'echo token expired >&2; exit 3'\n"
LOOP = """[default]
source_profile = other
role_arn = arn:aws:iam::123456789012:role/a
[profile other]
source_profile = default
role_arn = arn:aws:iam::123456789012:role/b
"""
MISSING_SOURCE = """[default]
source_profile = gone
role_arn = arn:aws:iam::123456789012:role/a
"""
PROFILE_CASES = [
    pytest.param(FAILING_PROCESS, "the profile's credential_process failed",
                 "run that command by hand", id="credential-process"),
    pytest.param(LOOP, "the AWS profiles' source_profile settings form a loop",
                 "fix source_profile in", id="source-profile-loop"),
    pytest.param(MISSING_SOURCE, 'the AWS profile configuration is broken (The source_profile '
                 '"gone" referenced in the profile "default" does not exist.)',
                 "fix the profile in", id="missing-source-profile"),
]


@pytest.mark.parametrize(("config", "what", "fix"), PROFILE_CASES)
def test_doctor_broken_profile_credentials(
    config: str, what: str, fix: str, aws_home: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: a traceback (the STS client is made, and credentials resolved, outside any
    error handling)."""
    profile_only(aws_home, monkeypatch, config)
    code, report = run_doctor(capsys)
    check = identity_check(report)
    assert code == 1
    assert check["detail"].startswith(f"sts get-caller-identity: {what}")
    assert check["fix"].startswith(fix)


@pytest.mark.parametrize(("config", "what", "fix"), PROFILE_CASES)
def test_status_broken_profile_credentials(
    config: str, what: str, fix: str, aws_home: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """status said these without a traceback before, but not what to do (an empty
    message for credential_process): now the same words as doctor."""
    profile_only(aws_home, monkeypatch, config)
    code, _, err = run_status(capsys)
    assert code == 1
    assert err.startswith(f"error: list ECR repositories: {what}")
    assert f"; {fix}" in err


def test_credential_process_reason_is_shown(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    profile_only(aws_home, monkeypatch, FAILING_PROCESS)
    _, _, err = run_status(capsys)
    assert "credential_process failed (" in err and "token expired" in err


# --- doctor's ARNs come from the one Registry helper (ecr.policies.iam) ---------------------


def test_doctor_fix_arns_follow_the_registry_partition() -> None:
    from ecr.aws import checks
    from ecr.policies import iam

    role = checks.RoleRef("arn:aws-iso:iam::123456789012:role/nodes", "nodes")
    registry = iam.registry_in("us-iso-east-1", "123456789012")
    fix = checks.role_fix(role, "123456789012", registry, "quay", ["ecr:CreateRepository"])
    assert "on arn:aws-iso:ecr:us-iso-east-1:123456789012:repository/quay/*" in fix


def test_botocore_gives_up_on_an_unreachable_endpoint_after_connect_attempts(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore's retry mode would try a refused endpoint 10 times (half a minute of
    backoff); the clients give up after CONNECT_ATTEMPTS, throttling keeps its 10."""
    monkeypatch.setattr(aws, "SETTINGS", aws.Settings(retry_mode="standard"))
    client = sessions.client(sessions.session(region=REGION), "ecr")
    attempts: list[int] = []
    client.meta.events.register("before-send", lambda **_: attempts.append(1))
    with pytest.raises(EndpointConnectionError):
        client.describe_repositories()
    assert len(attempts) == aws.SETTINGS.connect_attempts == 3


def test_botocore_still_retries_throttling_ten_times(
    aws_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws, "SETTINGS", aws.Settings(retry_mode="standard"))
    throttled = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"})
    with FakeEndpoint(throttled.encode(), "application/x-amz-json-1.1", 400) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
        client = sessions.client(sessions.session(region=REGION), "ecr")
        with pytest.raises(ClientError):
            client.describe_repositories()
    assert endpoint.requests == 1 + 10  # max_attempts counts the retries after the first


@pytest.mark.parametrize(("error", "attempts", "verdict"), [
    (EndpointConnectionError(endpoint_url="http://h/"), 2, None),
    (EndpointConnectionError(endpoint_url="http://h/"), 3, False),
    (ConnectTimeoutError(endpoint_url="http://h/"), 3, False),  # not an EndpointConnectionError
    (ReadTimeoutError(endpoint_url="http://h/"), 3, None),  # connected: botocore decides
    (None, 5, None),
])
def test_which_failures_stop_after_connect_attempts(
    error: Exception | None, attempts: int, verdict: bool | None
) -> None:
    assert sessions._give_up_when_unreachable(attempts, caught_exception=error) is verdict
