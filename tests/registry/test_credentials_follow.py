"""Where credentials go (issue 20): only to the registry's own origin -- same scheme, host
and port -- whether Basic or a Bearer token, after any redirect; to a token realm only
over https (or plain http from a plain-http registry on the same host); never to object
storage a blob redirects to.  A scripted registry over TLS records what each request
carried."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ecr.registry.auth import Credentials
from ecr.registry.client import CredentialsWithheld, RegistryClient, origin
from tests.registry.scripted import Reply, Scripted, Seen, scripted_registry

USER, PASSWORD = "alice", "pa55-word"
BODY = b'{"architecture": "amd64", "os": "linux"}'
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
BASIC = Credentials(USER, PASSWORD).basic_header()
BLOB = f"/v2/team/app/blobs/{DIGEST}"


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Callable[[Scripted], None]:
    def use(server: Scripted) -> None:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))

    return use


def _basic_registry(location: Callable[[], str]) -> Callable[[Seen], Reply]:
    """Basic auth on the registry's https paths; its blob redirects to ``location()``."""

    def route(seen: Seen) -> Reply:
        if seen.path.startswith("/v2/"):
            if seen.scheme == "https" and seen.authorization != BASIC:
                return 401, {"WWW-Authenticate": 'Basic realm="registry"'}, b""
            if seen.path == BLOB:
                return 307, {"Location": location()}, b""
        return 200, {"Content-Type": "application/octet-stream"}, BODY

    return route


def _read(server: Scripted) -> None:
    with RegistryClient(server.url("https"), Credentials(USER, PASSWORD)) as client:
        assert client.read_blob("team/app", DIGEST) == BODY


def _redirected_to_itself(
    folder: Path, trust: Callable[[Scripted], None], scheme: str, path: str
) -> list[Seen]:
    """What a Basic-auth registry saw when its blob redirects to ``scheme``://itself``path``."""
    holder: list[Scripted] = []
    with scripted_registry(folder, _basic_registry(
        lambda: f"{holder[0].url(scheme)}{path}"
    )) as server:
        holder.append(server)
        trust(server)
        _read(server)
    return server.seen


def test_basic_does_not_follow_https_to_http_on_the_same_host_and_port(
    tmp_path: Path, trust: Callable[[Scripted], None]
) -> None:
    seen = _redirected_to_itself(tmp_path, trust, "http", f"/plain/{DIGEST}")
    plain = [s for s in seen if s.scheme == "http"]
    assert [s.path for s in plain] == [f"/plain/{DIGEST}"]
    assert plain[0].authorization is None  # not in clear text
    assert [s.authorization for s in seen if s.path == BLOB] == [None, BASIC]


def test_basic_follows_a_redirect_within_the_registry(
    tmp_path: Path, trust: Callable[[Scripted], None]
) -> None:
    seen = _redirected_to_itself(tmp_path, trust, "https", f"/v2/team/app/moved/{DIGEST}")
    moved = [s for s in seen if "/moved/" in s.path]
    assert len(moved) == 1 and moved[0].authorization == BASIC


def test_presigned_storage_on_another_port_gets_no_authorization(
    tmp_path: Path, trust: Callable[[Scripted], None]
) -> None:
    def storage_route(seen: Seen) -> Reply:
        return 200, {}, BODY

    with scripted_registry(tmp_path, storage_route) as storage:
        route = _basic_registry(
            lambda: f"{storage.url('https')}/bucket/{DIGEST}?X-Amz-Signature=abc"
        )
        with scripted_registry(tmp_path, route) as server:
            trust(server)
            _read(server)
    assert [(s.scheme, s.authorization) for s in storage.seen] == [("https", None)]


def _bearer_registry(realm: Callable[[], str], location: Callable[[], str]
                     ) -> Callable[[Seen], Reply]:
    def route(seen: Seen) -> Reply:
        if seen.path.startswith("/token"):
            if seen.authorization != BASIC:
                return 401, {}, b""
            return 200, {"Content-Type": "application/json"}, json.dumps(
                {"token": "T0KEN", "expires_in": 300}).encode()
        if seen.path.startswith("/v2/") and seen.scheme == "https":
            if seen.authorization != "Bearer T0KEN":
                challenge = f'Bearer realm="{realm()}",service="reg"'
                return 401, {"WWW-Authenticate": challenge}, b""
            return 307, {"Location": location()}, b""
        return 200, {}, BODY

    return route


def test_a_bearer_token_does_not_follow_https_to_http(
    tmp_path: Path, trust: Callable[[Scripted], None]
) -> None:
    holder: list[Scripted] = []
    route = _bearer_registry(lambda: f"{holder[0].url('https')}/token",
                             lambda: f"{holder[0].url('http')}/plain/{DIGEST}")
    with scripted_registry(tmp_path, route) as server:
        holder.append(server)
        trust(server)
        _read(server)
    assert [s.scheme for s in server.seen if s.path.startswith("/token")] == ["https"]
    plain = [s for s in server.seen if s.scheme == "http"]
    assert len(plain) == 1 and plain[0].authorization is None


def test_credentials_never_go_to_a_plain_http_token_realm_of_an_https_registry(
    tmp_path: Path, trust: Callable[[Scripted], None]
) -> None:
    holder: list[Scripted] = []
    route = _bearer_registry(lambda: f"{holder[0].url('http')}/token",
                             lambda: f"{holder[0].url('https')}/plain/{DIGEST}")
    with scripted_registry(tmp_path, route) as server:
        holder.append(server)
        trust(server)
        with RegistryClient(server.url("https"), Credentials(USER, PASSWORD)) as client, \
                pytest.raises(CredentialsWithheld, match="plain http") as caught:
            client.read_blob("team/app", DIGEST)
    assert PASSWORD not in str(caught.value)
    assert not [s for s in server.seen if s.path.startswith("/token")]  # nothing sent


def test_origins_fill_in_default_ports_and_ignore_case() -> None:
    assert origin("https://Registry.example") == origin("https://registry.example:443/v2/")
    assert origin("http://registry.example") == ("http", "registry.example", 80)
    assert origin("http://registry.example:443") != origin("https://registry.example")
    assert origin("https://registry.example:99999") == ("https", "registry.example", -1)
