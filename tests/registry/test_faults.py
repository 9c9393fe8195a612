"""429 / 503 / dropped connections / slow replies, and registries that are down."""

from __future__ import annotations

import pytest

from ecr.registry.client import RegistryClient, RegistryUnreachable, RetryPolicy
from tests.netutil import free_port
from tests.registry.conftest import PASSWORD, USER, World

pytestmark = pytest.mark.registry

NGINX = "/v2/docker-hub/library/nginx/manifests/1.27"


@pytest.mark.parametrize("action", ["429", "503", "500", "drop"])
def test_transient_faults_are_retried(world: World, gate, creds: None, run_verify, action) -> None:
    gate.inject(r"/manifests/1\.27$", action, times=2)
    result = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27")
    assert result.code == 0, result.rows
    assert result.rows[0]["verdict"] == "ok"
    # two faults, then the proxy's 401 Basic challenge, then the answer with credentials
    assert gate.state.hits[NGINX] == 4
    assert all(f.times == 0 for f in gate.state.faults)


def test_persistent_rate_limit_is_an_error_with_advice(
    world: World, gate, creds: None, run_verify
) -> None:
    gate.inject(r"/manifests/", "429", times=100)
    result = run_verify("--registry", gate.url, "-o", "json", "--retries", "2", "nginx:1.27")
    assert result.code == 1
    row = result.rows[0]
    assert row["verdict"] == "error"
    assert "TOOMANYREQUESTS" in row["reason"] and "rate limited" in row["reason"]
    assert "--concurrency" in row["fix"] and "ECR throttled" in row["fix"]  # "Rate exceeded"
    assert gate.state.hits[NGINX] == 3  # the first try and two retries, no more


def test_slow_reply_within_timeout_is_ok_and_beyond_it_times_out(
    world: World, gate, creds: None, run_verify
) -> None:
    gate.inject(r"/manifests/1\.27$", "slow", times=1, delay=0.3)
    assert run_verify("--registry", gate.url, "-o", "json", "nginx:1.27").code == 0

    gate.inject(r"/manifests/1\.27$", "slow", times=100, delay=2.0)
    result = run_verify("--registry", gate.url, "-o", "json", "--timeout", "0.3",
                        "--retries", "1", "nginx:1.27")
    row = result.rows[0]
    assert row["verdict"] == "error"
    assert "timed out" in row["reason"] and "2 attempts" in row["reason"]


def test_registry_down(creds: None, run_verify) -> None:
    port = free_port()  # nothing listens here
    result = run_verify("--registry", f"http://127.0.0.1:{port}", "-o", "json",
                        "--retries", "1", "nginx:1.27", "quay.io/org/app:v1")
    assert result.code == 1
    for row in result.rows:
        assert row["verdict"] == "error"
        assert "connection refused" in row["reason"]
        assert "network path" in row["fix"]


def test_hung_registry_gives_a_verdict_in_bounded_time(
    creds: None, run_verify, black_hole: int
) -> None:
    result = run_verify("--registry", f"http://127.0.0.1:{black_hole}", "-o", "json",
                        "--timeout", "0.2", "--retries", "1", "nginx:1.27")
    row = result.rows[0]
    assert row["verdict"] == "error" and "timed out" in row["reason"]


def test_client_backoff_honours_retry_after_and_stops(black_hole: int) -> None:
    waits: list[float] = []
    client = RegistryClient(
        f"http://127.0.0.1:{black_hole}",
        timeout=0.1,
        retry=RetryPolicy(attempts=3, backoff=0.5),
        sleep=waits.append,
    )
    with client, pytest.raises(RegistryUnreachable, match="3 attempts"):
        client.get_manifest("x/y", "1")
    assert len(waits) == 2 and 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0


def test_connections_are_reused(world: World, gate) -> None:
    from ecr.registry.auth import Credentials

    client = RegistryClient(gate.url, Credentials(USER, PASSWORD), pool_size=1)
    with client:
        for _ in range(5):
            client.get_manifest("docker-hub/library/nginx", "1.27")
        pool = client._http.connection_from_url(gate.url)
        assert pool.num_connections == 1  # five requests (and a challenge), one connection
        # Basic auth is sent up front after the first challenge: 1 + 5 requests, not 10
        assert client.requests == 6


def test_config_dropped_mid_body_is_read_again(world: World, gate, creds: None,
                                               run_verify) -> None:
    """The image config (read whole for the platform check) gets the same retry as
    manifests and layers when the connection drops half way."""
    config = next(iter(world.blobs("nginx")))  # blobs() lists the config first
    gate.inject(config, "truncate", times=1)
    result = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27")
    assert result.rows[0]["verdict"] == "ok", result.rows
    assert gate.state.hits[f"/v2/docker-hub/library/nginx/blobs/{config}"] == 2


def test_manifest_cut_short_is_read_again(world: World, gate, creds: None,
                                          run_verify) -> None:
    gate.inject(r"/manifests/1\.27$", "truncate", times=2)  # the 401 challenge, then the manifest
    result = run_verify("--registry", gate.url, "-o", "json", "nginx:1.27")
    assert result.rows[0]["verdict"] == "ok", result.rows  # not "broken content"
