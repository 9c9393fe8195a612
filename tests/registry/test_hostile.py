"""Hostile or broken registries (issue 14): every image still gets a verdict, in bounded
time and memory, with a reason that says what happened.  Real docker-registry processes
behind the loopback gate (tests/registry/gate.py)."""

from __future__ import annotations

import re
import time

import pytest

from ecr.cli import main
from tests.registry.conftest import BEARER_PASSWORD, BEARER_USER, World
from tests.registry.gate import ENDLESS_LIMIT

pytestmark = pytest.mark.registry

NGINX = "/v2/docker-hub/library/nginx/manifests/1.27"


def _sent(gate, path: str) -> int:
    """Bytes the gate sent on an endless answer, once it noticed the client hung up."""
    until = time.monotonic() + 10
    while not gate.state.sent[path] and time.monotonic() < until:
        time.sleep(0.05)
    return int(gate.state.sent[path])


# -- deadlines -----------------------------------------------------------------------


@pytest.mark.parametrize("action", ["drip", "drip-headers"])
def test_a_registry_sending_a_byte_a_second_gets_a_verdict(
    world: World, gate, creds: None, run_verify, action: str
) -> None:
    # 4 kB at 5 bytes/s would take 15 minutes; each read is well within --timeout
    gate.inject(r"/manifests/1\.27$", action, times=10, delay=0.2)
    start = time.monotonic()
    result = run_verify("--registry", gate.url, "-o", "json", "--timeout", "1",
                        "--retries", "1", "nginx:1.27")
    elapsed = time.monotonic() - start
    row = result.rows[0]
    assert row["verdict"] == "error", row
    assert "no complete answer within 1 s" in row["reason"], row["reason"]
    assert "--timeout" in row["fix"]
    assert elapsed < 15  # two attempts of one second each, plus a backoff


def test_the_image_deadline_bounds_retries_and_waits(
    world: World, gate, creds: None, run_verify
) -> None:
    # every answer is quick, but 429 with Retry-After: 1 twenty times is 20 s
    gate.inject(r"/manifests/1\.27$", "429", times=100, delay=1)
    start = time.monotonic()
    result = run_verify("--registry", gate.url, "-o", "json", "--retries", "20",
                        "--image-timeout", "2", "nginx:1.27")
    elapsed = time.monotonic() - start
    row = result.rows[0]
    assert row["verdict"] == "error"
    assert "the deadline for this image passed" in row["reason"], row["reason"]
    assert "--image-timeout" in row["fix"]
    assert elapsed < 10
    assert gate.state.hits[NGINX] <= 4


# -- bounded reads -------------------------------------------------------------------


@pytest.mark.parametrize(("action", "verdict"), [
    ("endless-404", "not_found"), ("endless-500", "error"), ("endless-401", "unauthorized"),
])
def test_an_endless_error_body_is_cut(
    world: World, gate, creds: None, run_verify, action: str, verdict: str
) -> None:
    gate.inject(r"/manifests/1\.27$", action, times=10)
    result = run_verify("--registry", gate.url, "-o", "json", "--retries", "1", "nginx:1.27")
    assert result.rows[0]["verdict"] == verdict, result.rows
    sent = _sent(gate, NGINX)
    assert 0 < sent < 16 * 1024 * 1024, sent  # read up to its cap, then hung up on
    assert sent < ENDLESS_LIMIT


def test_an_endless_token_body_is_cut(
    world: World, bearer, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", BEARER_USER)
    monkeypatch.setenv("REGISTRY_PASSWORD", BEARER_PASSWORD)
    bearer.state.token_action = "endless"
    result = run_verify("--registry", bearer.url, "-o", "json", "nginx:1.27")
    row = result.rows[0]
    assert row["verdict"] == "error", row
    assert "sent more than 1048576 bytes" in row["reason"]
    assert 0 < _sent(bearer, "/token") < 16 * 1024 * 1024


def test_warm_stops_a_blob_served_beyond_its_declared_size(
    world: World, gate, creds: None, run_verify
) -> None:
    layer, size = next((d, n) for d, n in world.blobs("big").items() if n > 100_000)
    gate.inject(re.escape(layer), "oversize", times=10)
    start = time.monotonic()
    result = run_verify("--registry", gate.url, "-o", "json", "--warm", "--retries", "0",
                        "big:1")
    assert time.monotonic() - start < 30
    row = result.rows[0]
    assert row["verdict"] == "error", row
    assert f"longer than the {size} bytes its manifest declares" in row["reason"]
    assert 0 < _sent(gate, f"/v2/docker-hub/library/big/blobs/{layer}") < 16 * 1024 * 1024


# -- bad command lines ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["inf", "nan", "1e308", "0", "-1", "-inf", "soon", "3601"])
@pytest.mark.parametrize("option", ["--timeout", "--image-timeout"])
def test_timeouts_out_of_range_are_usage_errors(
    option: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main.main(["verify", "--registry", "http://127.0.0.1:1", f"{option}={value}",
                   "nginx:1.27"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: '{value}' is not a number of seconds" in err


def test_a_bad_port_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["verify", "--registry", "http://127.0.0.1:99999", "nginx:1.27"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "the port must be a number from 1 to 65535" in captured.err


# -- reasons that say what happened ---------------------------------------------------


def test_a_bare_status_is_named_once(world: World, gate, creds: None, run_verify) -> None:
    gate.inject(r"/manifests/1\.27$", "503-bare", times=10)
    row = run_verify("--registry", gate.url, "-o", "json", "--retries", "1",
                     "nginx:1.27").rows[0]
    assert row["reason"] == "HTTP 503"


def test_a_redirect_loop_is_named(world: World, gate, creds: None, run_verify) -> None:
    gate.inject(r"/manifests/1\.27$", "redirect-self", times=100)
    row = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27").rows[0]
    assert row["verdict"] == "error"
    assert "redirect loop" in row["reason"], row["reason"]


def test_a_token_with_a_bad_expires_in_says_so(
    world: World, bearer, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", BEARER_USER)
    monkeypatch.setenv("REGISTRY_PASSWORD", BEARER_PASSWORD)
    bearer.state.token_action = "bad-expires"
    row = run_verify("--registry", bearer.url, "-o", "json", "nginx:1.27").rows[0]
    assert 'bad expires_in ("soon")' in row["reason"], row["reason"]
    assert "no JSON" not in row["reason"]


def test_credentials_refused_only_when_sent(
    world: World, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("REGISTRY_PASSWORD", raising=False)
    none_given = run_verify("--registry", world.registry, "-o", "json", "nginx:1.27").rows[0]
    assert none_given["verdict"] == "unauthorized"
    assert "needs credentials, and none were given" in none_given["reason"]
    assert "refused" not in none_given["reason"]

    monkeypatch.setenv("REGISTRY_USERNAME", "alice")
    monkeypatch.setenv("REGISTRY_PASSWORD", "wrong")
    wrong = run_verify("--registry", world.registry, "-o", "json", "nginx:1.27").rows[0]
    assert wrong["verdict"] == "unauthorized"
    assert "refused our credentials" in wrong["reason"]
