"""ecr.aws.ecr_json: ECR's JSON reads without botocore, checked against botocore and moto.

* the signature is botocore's own for the same request, and an authenticating
  moto_server (it checks SigV4 against the keys its IAM issued) accepts it and refuses
  a wrong secret;
* every answer equals botocore's for the same call on the same moto_server, pages,
  timestamps and errors included, and the timestamp members come from ECR's model;
* faults from a scripted loopback server: throttling and 5xx retried, other errors
  not, bodies no AWS service sends, a dropped kept-alive connection, a refused port,
  a silent server, a body beyond the cap, TLS with and without the CA bundle.
"""

from __future__ import annotations

import http.server
import json
import os
import ssl
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore import auth, exceptions
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from ecr import aws
from ecr.aws import ecr_json, sessions, transport
from ecr.aws.ecr_json import EcrJsonClient
from ecr.aws.environment import Credentials, StaticEnvironment
from tests.aws.conftest import REGION, add_repo, plain_ecr
from tests.netutil import free_port, moto_server_process

NOW = datetime(2026, 11, 30, 12, 34, 56, tzinfo=UTC)


def _env(endpoint: str, key: str = "AKIDEXAMPLE", secret: str = "secret",
         token: str | None = None, ca: str | None = None) -> StaticEnvironment:
    return StaticEnvironment(REGION, endpoint, Credentials(key, secret, token), ca)


# --- the signature ----------------------------------------------------------------------

@pytest.mark.parametrize("token", [None, "session-token"])
@pytest.mark.parametrize("endpoint", ["https://api.ecr.af-south-1.amazonaws.com",
                                      "http://127.0.0.1:4566", "https://ECR.example.com:443",
                                      "http://[::1]:8080"])
def test_the_signature_is_botocores(endpoint, token, monkeypatch):
    body = b'{"repositoryName":"docker-hub/library/nginx","maxResults":1000}'
    target = ecr_json.TARGET_PREFIX + "DescribeImages"
    ours = ecr_json.sign(_env(endpoint, token=token), ecr_json.signed_host(endpoint), target,
                         body, NOW)
    monkeypatch.setattr(auth, "get_current_datetime", lambda: NOW.replace(tzinfo=None))
    request = AWSRequest("POST", endpoint + "/", data=body,
                         headers={"Content-Type": ecr_json.CONTENT_TYPE, "X-Amz-Target": target})
    auth.SigV4Auth(BotoCredentials("AKIDEXAMPLE", "secret", token), "ecr",
                   REGION).add_auth(request)
    assert ours["authorization"] == request.headers["Authorization"]
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
    assert ours.get("x-amz-security-token") == request.headers.get("X-Amz-Security-Token")


@pytest.fixture(scope="module")
def authenticating_moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto_server that authenticates every request after its first four (which make
    the IAM user and its keys): it verifies SigV4 signatures itself."""
    port = free_port()
    exe = Path(sys.executable).with_name("moto_server")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with moto_server_process(exe, port, log, {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "4"}):
        yield f"http://127.0.0.1:{port}"


def _issued_keys(url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "bootstrap")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "bootstrap")
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    iam = sessions.client(sessions.session(region=REGION), "iam")
    iam.create_user(UserName="status")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}))
    iam.attach_user_policy(UserName="status", PolicyArn=arn["Policy"]["Arn"])
    key = iam.create_access_key(UserName="status")["AccessKey"]
    return str(key["AccessKeyId"]), str(key["SecretAccessKey"])


def test_an_authenticating_server_accepts_the_signature_and_refuses_a_wrong_secret(
        authenticating_moto, monkeypatch):
    key, secret = _issued_keys(authenticating_moto, monkeypatch)
    good = EcrJsonClient(_env(authenticating_moto, key, secret))
    assert good.describe_repositories(maxResults=10)["repositories"] == []
    bad = EcrJsonClient(_env(authenticating_moto, key, secret + "x"))
    with pytest.raises(exceptions.ClientError) as caught:
        bad.describe_repositories(maxResults=10)
    # moto refuses with an XML body, where ECR sends JSON: botocore reads it the same way
    assert aws.error_code(caught.value) == "403"
    assert "SignatureDoesNotMatch" in str(caught.value)


# --- answers equal botocore's -------------------------------------------------------------

def _same(ours: Any, theirs: Any) -> None:
    """Equal, ResponseMetadata aside (request ids and headers differ per call)."""
    ours, theirs = dict(ours), dict(theirs)
    ours.pop("ResponseMetadata"), theirs.pop("ResponseMetadata")
    assert ours == theirs


def test_answers_equal_botocores_on_the_same_server(aws_env):
    ecr = plain_ecr()
    add_repo(ecr, "docker-hub/library/nginx", [10, 20, 30])
    add_repo(ecr, "quay/prometheus/node-exporter", [5])
    theirs = sessions.client(sessions.session(region=REGION), "ecr")
    ours = EcrJsonClient(_env(aws_env.url, "testing", "testing"))
    _same(ours.describe_repositories(maxResults=1000),
          theirs.describe_repositories(maxResults=1000))
    details = ours.describe_images(repositoryName="docker-hub/library/nginx")
    _same(details, theirs.describe_images(repositoryName="docker-hub/library/nginx"))
    pushed = details["imageDetails"][0]["imagePushedAt"]
    assert isinstance(pushed, datetime) and pushed.tzinfo is not None
    ids = [{"imageTag": "v0"}, {"imageTag": "v2"}, {"imageTag": "gone"}]
    _same(ours.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=ids),
          theirs.batch_get_image(repositoryName="docker-hub/library/nginx", imageIds=ids))


def test_pages_follow_next_token(aws_env):
    ecr = plain_ecr()
    for i in range(5):
        ecr.create_repository(repositoryName=f"docker-hub/app-{i}")
    ours = EcrJsonClient(_env(aws_env.url, "testing", "testing"))
    names, token = [], None
    while True:
        page = ours.describe_repositories(maxResults=2, **({"nextToken": token} if token else {}))
        names += [r["repositoryName"] for r in page["repositories"]]
        token = page.get("nextToken")
        if not token:
            break
    assert sorted(names) == [f"docker-hub/app-{i}" for i in range(5)]


def test_a_service_error_is_botocores_client_error(aws_env):
    theirs = sessions.client(sessions.session(region=REGION), "ecr")
    ours = EcrJsonClient(_env(aws_env.url, "testing", "testing"))
    with pytest.raises(exceptions.ClientError) as mine:
        ours.describe_images(repositoryName="docker-hub/none")
    with pytest.raises(exceptions.ClientError) as reference:
        theirs.describe_images(repositoryName="docker-hub/none")
    assert str(mine.value) == str(reference.value)
    assert mine.value.response["Error"] == reference.value.response["Error"]


def _timestamp_members(shape: Any, seen: set[str]) -> set[str]:
    found: set[str] = set()
    if shape.name in seen:
        return found
    seen.add(shape.name)
    members = getattr(shape, "members", None) or {}
    for name, member in members.items():
        if member.type_name == "timestamp":
            found.add(name)
        found |= _timestamp_members(member, seen)
    if shape.type_name == "list":
        found |= _timestamp_members(shape.member, seen)
    if shape.type_name == "map":
        found |= _timestamp_members(shape.value, seen)
    return found


def test_the_timestamp_members_are_the_models():
    model = sessions.client(sessions.session(region=REGION), "ecr").meta.service_model
    found: set[str] = set()
    for operation in ("DescribeRepositories", "DescribeImages", "BatchGetImage"):
        found |= _timestamp_members(model.operation_model(operation).output_shape, set())
    assert found == ecr_json.TIMESTAMPS


ERROR_BODIES = [
    (400, b'{"__type": "RepositoryNotFoundException", "message": "no such"}'),
    (400, b'{"__type": "com.amazonaws.ecr#InvalidParameterException", "Message": "bad"}'),
    (400, b'{"__type": "x#ThrottlingException:http://internal.amazon.com/coral/"}'),
    (403, b'<?xml version="1.0"?><ErrorResponse><Code>Denied</Code></ErrorResponse>'),
    (404, b""),
    (500, b""),
    (502, b"  <html><body>Bad Gateway</body></html>"),
    (503, b"<!doctype html><p>down</p>"),
    (503, b'{"message": "no type"}'),
    (400, b"[1, 2]"),
    (400, b"\xff\xfe not utf-8"),
]


@pytest.mark.parametrize("status, body", ERROR_BODIES)
def test_errors_read_as_botocores_json_parser_reads_them(status, body):
    from botocore.parsers import create_parser

    model = sessions.client(sessions.session(region=REGION), "ecr").meta.service_model
    shape = model.operation_model("DescribeImages").output_shape
    response = {"status_code": status, "headers": {}, "body": body}
    try:
        theirs = create_parser("json").parse(response, shape)["Error"]
    except (UnicodeDecodeError, AttributeError):
        theirs = None  # botocore fails on these; ours still says what came
    code, message = ecr_json.error_of(status, body)
    if theirs is None:
        assert code == str(status)
    else:
        assert {"Code": code, "Message": message} == theirs


# --- faults ---------------------------------------------------------------------------------

Reply = tuple[int, dict[str, str], bytes]


class Scripted:
    """A loopback HTTP/1.1 server answering POSTs from a script (then the last reply)."""

    def __init__(self, replies: list[Reply | Callable[[Any], None]],
                 tls: ssl.SSLContext | None = None) -> None:
        self.replies = list(replies)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.connections = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                outer.connections += 1
                super().setup()

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append((dict(self.headers), body))
                reply = outer.replies.pop(0) if len(outer.replies) > 1 else outer.replies[0]
                if callable(reply):
                    reply(self)
                    return
                status, headers, data = reply
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def scripted() -> Iterator[Callable[..., Scripted]]:
    made: list[Scripted] = []

    def make(replies: list[Any], tls: ssl.SSLContext | None = None) -> Scripted:
        made.append(Scripted(replies, tls))
        return made[-1]

    yield make
    for server in made:
        server.close()


def _json(status: int, body: Any, **headers: str) -> Reply:
    return status, {"Content-Type": ecr_json.CONTENT_TYPE, **headers}, json.dumps(body).encode()


OK = _json(200, {"repositories": []})


def _client(url: str, sleeps: list[float] | None = None, **env: Any) -> EcrJsonClient:
    pauses = sleeps if sleeps is not None else []
    return EcrJsonClient(_env(url, **env), clock=lambda: NOW, sleep=pauses.append)


@pytest.mark.parametrize("reply", [
    _json(400, {"__type": "ThrottlingException", "message": "Rate exceeded"}),
    _json(429, {"message": "slow down"}),
    _json(503, {"__type": "com.amazonaws.ecr#ServerException", "message": "down"}),
    (502, {"Content-Type": "text/html"}, b"<html>bad gateway</html>"),
])
def test_throttling_and_transient_errors_are_retried(reply, scripted):
    server = scripted([reply, reply, OK])
    sleeps: list[float] = []
    answer = _client(server.url, sleeps).describe_repositories()
    assert answer["repositories"] == [] and answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(server.requests) == 3 and len(sleeps) == 2
    assert all(0 <= pause <= ecr_json.MAX_BACKOFF for pause in sleeps)


def test_retries_stop_at_max_attempts_with_the_last_error(scripted, monkeypatch):
    monkeypatch.setattr(ecr_json, "MAX_ATTEMPTS", 4)
    server = scripted([_json(503, {"__type": "ServerException", "message": "down"})])
    with pytest.raises(exceptions.ClientError) as caught:
        _client(server.url).describe_images(repositoryName="x")
    assert len(server.requests) == 4
    assert aws.error_code(caught.value) == "ServerException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503


@pytest.mark.parametrize("reply, code", [
    (_json(400, {"__type": "RepositoryNotFoundException", "message": "no such"}),
     "RepositoryNotFoundException"),
    (_json(400, {"__type": "AccessDeniedException", "Message": "not you"}),
     "AccessDeniedException"),
    (_json(400, {"__type": "com.amazon.coral.service#UnrecognizedClientException:http://x"}),
     "UnrecognizedClientException"),
    ((404, {"Content-Type": "text/plain"}, b"not here"), "404"),
])
def test_other_errors_are_raised_at_once(reply, code, scripted):
    server = scripted([reply])
    with pytest.raises(exceptions.ClientError) as caught:
        _client(server.url).describe_images(repositoryName="x")
    assert aws.error_code(caught.value) == code
    assert len(server.requests) == 1


@pytest.mark.parametrize("body, kind", [
    (b"<html><body>Sign in</body></html>", "text/html"),
    (b"\xff\xfe" + bytes(range(200)), "application/octet-stream"),
    (b"[1, 2]", "application/json"),
    (b"", "application/x-amz-json-1.1"),
])
def test_a_2xx_body_no_aws_service_sends_is_not_an_aws_response(body, kind, scripted):
    server = scripted([(200, {"Content-Type": kind}, body)])
    with pytest.raises(aws.NotAwsResponse) as caught:
        _client(server.url).describe_repositories()
    assert aws.failure(caught.value).environment
    assert "not an AWS response" in str(caught.value) and server.url in str(caught.value)


def test_a_body_beyond_the_cap_is_refused(scripted, monkeypatch):
    monkeypatch.setattr(transport, "MAX_BODY", 1024)
    server = scripted([_json(200, {"repositories": [{"repositoryName": "x" * 2000}]})])
    with pytest.raises(aws.NotAwsResponse, match="more than"):
        _client(server.url).describe_repositories()


def test_the_request_says_what_it_is(scripted):
    server = scripted([OK])
    _client(server.url, token="tok").describe_repositories(maxResults=1000)
    headers, body = server.requests[0]
    lower = {k.lower(): v for k, v in headers.items()}
    assert json.loads(body) == {"maxResults": 1000}
    assert lower["x-amz-target"] == "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"
    assert lower["content-type"] == "application/x-amz-json-1.1"
    assert lower["host"] == server.url.removeprefix("http://")
    assert lower["x-amz-security-token"] == "tok"
    assert "x-amz-security-token" in lower["authorization"]


def test_one_connection_is_kept_alive_and_redialled_when_the_server_drops_it(scripted):
    def close_after(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", ecr_json.CONTENT_TYPE)
        handler.send_header("Content-Length", "2")
        handler.end_headers()
        handler.wfile.write(b"{}")
        handler.close_connection = True  # closed without saying so: the next request finds out

    server = scripted([OK, OK, OK, close_after, OK])
    client = _client(server.url)
    for _ in range(3):
        client.describe_repositories()
    assert server.connections == 1  # kept alive
    client.describe_repositories()  # the server closes after this one
    client.describe_repositories()  # the dead connection is found and redialled
    assert server.connections == 2 and len(server.requests) == 5


def test_a_refused_endpoint_is_tried_connect_attempts_times(monkeypatch):
    sleeps: list[float] = []
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(exceptions.EndpointConnectionError) as caught:
        _client(url, sleeps).describe_repositories()
    assert len(sleeps) == ecr_json.CONNECT_ATTEMPTS - 1
    assert "cannot reach the AWS endpoint" in aws.explain(caught.value, "list")


def test_a_silent_server_is_a_read_timeout(scripted, monkeypatch):
    monkeypatch.setattr(transport, "READ_TIMEOUT", 0.3)
    monkeypatch.setattr(ecr_json, "MAX_ATTEMPTS", 2)
    release = threading.Event()
    server = scripted([lambda handler: release.wait(5)])
    try:
        with pytest.raises(exceptions.ReadTimeoutError):
            _client(server.url).describe_repositories()
        assert len(server.requests) == 2
    finally:
        release.set()


def test_a_body_trickling_in_is_cut_off_at_the_deadline(scripted, monkeypatch):
    monkeypatch.setattr(transport, "BODY_DEADLINE", 0.5)
    monkeypatch.setattr(ecr_json, "MAX_ATTEMPTS", 1)
    stop = threading.Event()

    def trickle(handler: Any) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", ecr_json.CONTENT_TYPE)
        handler.send_header("Content-Length", str(10**6))
        handler.end_headers()
        handler.wfile.write(b'{"repositories": [')
        while not stop.is_set():  # one byte every 50 ms: each read is quick, the whole never
            handler.wfile.write(b" ")
            handler.wfile.flush()
            stop.wait(0.05)

    server = scripted([trickle])
    try:
        with pytest.raises(exceptions.ReadTimeoutError):
            _client(server.url).describe_repositories()
    finally:
        stop.set()


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by its own key (``cryptography``, which moto
    needs too: no openssl binary), and that key."""
    import ipaddress
    from datetime import timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, Path]:
    """A server context for 127.0.0.1 and the self-signed certificate to trust it."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def test_tls_with_the_ca_bundle_and_without_it(scripted, tls_pair):
    context, cert = tls_pair
    server = scripted([OK], tls=context)
    assert _client(server.url, ca=str(cert)).describe_repositories()["repositories"] == []
    with pytest.raises(exceptions.SSLError):  # not trusted: at once, not retried
        _client(server.url).describe_repositories()
    assert len(server.requests) == 1
