"""The static environment: when the environment alone decides keys, region and endpoint.

Table-driven: each case is an environment and the files' text, and either the static
environment it gives or None (botocore decides).  Every case that gives one is also
checked against botocore itself (``test_botocore_agrees``): the same keys, region,
endpoint and CA bundle, so "exactly as botocore would" is tested, not assumed.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import botocore
import pytest
from botocore.httpsession import get_cert_path

from ecr.aws import environment, sessions
from ecr.aws.environment import AwsFiles, Credentials, StaticEnvironment, static_environment

KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
BASE = {**KEYS, "AWS_REGION": "af-south-1"}
AF = "https://api.ecr.af-south-1.amazonaws.com"


@dataclass(frozen=True)
class Case:
    environ: dict[str, str]
    endpoint: str | None  # None: no static environment
    config: str | None = None
    credentials: str | None = None
    profile: str | None = None  # --profile
    region: str | None = None  # --region
    expect_region: str = "af-south-1"
    token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    "keys and AWS_REGION": Case(BASE, AF),
    "AWS_DEFAULT_REGION alone": Case({**KEYS, "AWS_DEFAULT_REGION": "af-south-1"}, AF),
    "AWS_REGION wins over AWS_DEFAULT_REGION": Case(
        {**BASE, "AWS_DEFAULT_REGION": "eu-west-1"}, AF),
    "--region wins": Case(BASE, "https://api.ecr.eu-west-1.amazonaws.com", region="eu-west-1",
                          expect_region="eu-west-1"),
    "China": Case({**KEYS, "AWS_REGION": "cn-north-1"},
                  "https://api.ecr.cn-north-1.amazonaws.com.cn", expect_region="cn-north-1"),
    "GovCloud": Case({**KEYS, "AWS_REGION": "us-gov-west-1"},
                     "https://api.ecr.us-gov-west-1.amazonaws.com",
                     expect_region="us-gov-west-1"),
    "session token": Case({**BASE, "AWS_SESSION_TOKEN": "tok"}, AF, token="tok"),
    "the legacy token name first": Case(
        {**BASE, "AWS_SECURITY_TOKEN": "old", "AWS_SESSION_TOKEN": "new"}, AF, token="old"),
    "AWS_ENDPOINT_URL": Case({**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566"},
                             "http://127.0.0.1:4566"),
    "AWS_ENDPOINT_URL_ECR wins": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ENDPOINT_URL_ECR":
         "http://localhost:4566/"}, "http://localhost:4566"),
    "endpoint URLs ignored": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
         "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, AF),
    "an https endpoint on its default port": Case(
        {**BASE, "AWS_ENDPOINT_URL": "https://ecr.example.com:443"},
        "https://ecr.example.com:443"),
    "an IPv6 endpoint": Case({**BASE, "AWS_ENDPOINT_URL": "http://[::1]:4566"},
                             "http://[::1]:4566"),
    "AWS_CA_BUNDLE is carried": Case({**BASE, "AWS_CA_BUNDLE": "/etc/ssl/certs/ca.pem"}, AF,
                                     extra={"ca_bundle": "/etc/ssl/certs/ca.pem"}),
    "REQUESTS_CA_BUNDLE is carried too": Case(
        {**BASE, "REQUESTS_CA_BUNDLE": "/r.pem"}, AF, extra={"ca_bundle": "/r.pem"}),
    "AWS_CA_BUNDLE first": Case({**BASE, "REQUESTS_CA_BUNDLE": "/r.pem", "AWS_CA_BUNDLE":
                                 "/a.pem"}, AF, extra={"ca_bundle": "/a.pem"}),
    "NO_PROXY alone changes nothing": Case({**BASE, "NO_PROXY": "localhost"}, AF),
    "FIPS set to false": Case({**BASE, "AWS_USE_FIPS_ENDPOINT": "false"}, AF),
    "a profile of only ignored keys": Case(
        BASE, AF, config="[default]\nregion = eu-west-1\noutput = json\ncli_pager =\n"
        "[profile other]\nendpoint_url = http://127.0.0.1:1\n"),
    "AWS_PROFILE names a profile of ignored keys": Case(
        {**BASE, "AWS_PROFILE": "dev"}, AF,
        config="[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\n"
        "[sso-session corp]\nsso_start_url = https://x\nsso_region = eu-west-1\n"),
    "AWS_PROFILE in the credentials file only": Case(
        {**BASE, "AWS_PROFILE": "dev"}, AF,
        credentials="[dev]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = s\n"),
    "AWS_DEFAULT_PROFILE is read before AWS_PROFILE": Case(
        {**BASE, "AWS_DEFAULT_PROFILE": "dev", "AWS_PROFILE": "ops"}, AF,
        config="[profile dev]\nregion = eu-west-1\n[profile ops]\nca_bundle = /x.pem\n"),
    "a loosely true AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is false to botocore": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://127.0.0.1:4566",
         "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": " true"}, "http://127.0.0.1:4566"),
    "a quoted profile section of ignored keys": Case(
        {**BASE, "AWS_PROFILE": "dev"}, AF, config='[profile  "dev"]\nregion = eu-west-1\n'),
    "an empty port": Case({**BASE, "AWS_ENDPOINT_URL": "http://localhost:"},
                          "http://localhost:"),
    # botocore decides
    "--profile": Case(BASE, None, profile="dev", config="[profile dev]\nregion = af-south-1\n"),
    "no secret key": Case({"AWS_ACCESS_KEY_ID": "AKID", "AWS_REGION": "af-south-1"}, None),
    "an empty access key": Case({**BASE, "AWS_ACCESS_KEY_ID": ""}, None),
    "refreshable keys": Case({**BASE, "AWS_CREDENTIAL_EXPIRATION": "2030-01-01T00:00:00Z"},
                             None),
    "no region": Case(KEYS, None),
    "no region name": Case({**KEYS, "AWS_REGION": "../x"}, None),
    "a region ending in a line break": Case({**KEYS, "AWS_REGION": "af-south-1\n"}, None),
    "--region ending in a line break": Case(BASE, None, region="eu-west-1\n"),
    "a partition not known here": Case({**KEYS, "AWS_REGION": "us-iso-east-1"}, None),
    "an endpoint URL botocore refuses": Case({**BASE, "AWS_ENDPOINT_URL": "http://[x"}, None),
    "an endpoint URL with a path": Case({**BASE, "AWS_ENDPOINT_URL": "http://h:1/ecr"}, None),
    "an endpoint URL with no scheme": Case({**BASE, "AWS_ENDPOINT_URL": "localhost:4566"},
                                           None),
    "an endpoint port out of range": Case({**BASE, "AWS_ENDPOINT_URL": "http://h:99999"},
                                          None),
    "an empty endpoint URL": Case({**BASE, "AWS_ENDPOINT_URL": ""}, None),
    "HTTPS_PROXY": Case({**BASE, "HTTPS_PROXY": "http://proxy:3128"}, None),
    "https_proxy": Case({**BASE, "https_proxy": "http://proxy:3128"}, None),
    "ALL_PROXY": Case({**BASE, "ALL_PROXY": "socks5://proxy:1080"}, None),
    "FIPS": Case({**BASE, "AWS_USE_FIPS_ENDPOINT": "true"}, None),
    "dual-stack": Case({**BASE, "AWS_USE_DUALSTACK_ENDPOINT": "TRUE"}, None),
    "AWS_DATA_PATH": Case({**BASE, "AWS_DATA_PATH": "/models"}, None),
    "endpoint_url in the default profile": Case(
        BASE, None, config="[default]\nendpoint_url = http://127.0.0.1:1\n"),
    "a services section": Case(
        BASE, None, config="[default]\nservices = local\n[services local]\necr =\n"
        "  endpoint_url = http://127.0.0.1:1\n"),
    "ca_bundle in the profile": Case(BASE, None, config="[default]\nca_bundle = /x.pem\n"),
    "a setting in the credentials file": Case(
        BASE, None, credentials="[default]\nuse_fips_endpoint = true\n"),
    "AWS_PROFILE names no profile": Case({**BASE, "AWS_PROFILE": "nope"}, None,
                                         config="[default]\nregion = af-south-1\n"),
    "an empty AWS_PROFILE": Case({**BASE, "AWS_PROFILE": ""}, None),
    "an empty REQUESTS_CA_BUNDLE": Case({**BASE, "REQUESTS_CA_BUNDLE": ""}, None),
    "a config file botocore cannot parse": Case(BASE, None, config="[default\nregion = x\n"),
    "a duplicate section": Case(BASE, None, config="[default]\na = 1\n[default]\nb = 2\n"),
    # botocore refuses these endpoint URLs (or reads them otherwise than this client would)
    "an endpoint host name that is none": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://my_host:4566"}, None),
    "an endpoint URL ending in a line break": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://localhost:4566\n"}, None),
    "a tab in the endpoint URL": Case({**BASE, "AWS_ENDPOINT_URL": "http://h:45\t66"}, None),
    "an endpoint URL with a password": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://:pw@localhost:4566"}, None),
    "an endpoint URL with an IPv6 zone": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://[fe80::1%25lo]:4566"}, None),
    "an endpoint URL with an empty query": Case(
        {**BASE, "AWS_ENDPOINT_URL": "http://localhost:4566?"}, None),
    "AWS_PROFILE's section with two spaces": Case(
        {**BASE, "AWS_PROFILE": "dev"}, None, config="[profile  dev]\nendpoint_url = http://h:9\n",
        credentials="[dev]\nregion = eu-west-1\n"),
    "AWS_PROFILE's section quoted": Case(
        {**BASE, "AWS_PROFILE": "dev"}, None, config='[profile "dev"]\nendpoint_url = http://h:9\n',
        credentials="[dev]\nregion = eu-west-1\n"),
    "a nested value botocore cannot parse": Case(
        BASE, None, config="[default]\nregion = af-south-1\ns3 =\n  no equals sign\n"),
    "a nested value botocore cannot parse, in another profile": Case(
        BASE, None, config="[profile other]\ns3 =\n  no equals sign\n"),
    "a nested value botocore cannot parse, in the credentials file": Case(
        BASE, None, credentials="[other]\ns3 =\n  no equals sign\n"),
}


def _found(case: Case) -> StaticEnvironment | None:
    return static_environment(case.environ, AwsFiles(case.config, case.credentials),
                              case.profile, case.region)


@pytest.mark.parametrize("name", CASES)
def test_static_environment(name):
    case = CASES[name]
    found = _found(case)
    if case.endpoint is None:
        assert found is None
        return
    assert found == StaticEnvironment(
        case.expect_region, case.endpoint,
        Credentials(case.environ["AWS_ACCESS_KEY_ID"], case.environ["AWS_SECRET_ACCESS_KEY"],
                    case.token), case.extra.get("ca_bundle"))


def test_the_secret_and_token_never_show_in_its_repr():
    found = _found(CASES["session token"])
    assert found is not None
    assert "secret" not in repr(found) and "tok" not in repr(found)


def _botocore_view(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                   ) -> tuple[Any, str | None, str, Any]:
    """What botocore resolves in ``case``: frozen keys, region, ECR endpoint, CA bundle."""
    for key in list(__import__("os").environ):
        if key.startswith("AWS_") or key.lower().endswith("_proxy") or key in (
                "REQUESTS_CA_BUNDLE",):
            monkeypatch.delenv(key)
    config, shared = tmp_path / "config", tmp_path / "credentials"
    config.write_text(case.config or "")
    shared.write_text(case.credentials or "")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    for key, value in case.environ.items():
        monkeypatch.setenv(key, value)
    sess = sessions.session(case.profile, case.region)
    client = sessions.client(sess, "ecr")
    verify = get_cert_path(client._endpoint.http_session._verify)  # True: botocore's default
    creds = sess.get_credentials()
    assert creds is not None
    return (creds.get_frozen_credentials(), sessions.region_of(sess),
            client.meta.endpoint_url.rstrip("/"), verify)


@pytest.mark.parametrize("name", [n for n, c in CASES.items() if c.endpoint is not None])
def test_botocore_agrees(name, tmp_path, monkeypatch):
    case = CASES[name]
    found = _found(case)
    assert found is not None
    keys, region, endpoint, verify = _botocore_view(case, tmp_path, monkeypatch)
    assert (keys.access_key, keys.secret_key, keys.token) == (
        found.credentials.access_key, found.credentials.secret_key, found.credentials.token)
    assert region == found.region
    assert endpoint == found.endpoint
    from ecr.aws.transport import ca_bundle

    assert verify == (found.ca_bundle or ca_bundle())


def _partitions() -> list[dict[str, Any]]:
    path = Path(botocore.__file__).parent / "data" / "partitions.json"
    return list(json.loads(path.read_text())["partitions"])


def _regions() -> dict[str, list[str]]:
    return {p["id"]: list(p["regions"]) for p in _partitions()}


def _region_regex() -> dict[str, str]:
    return {p["id"]: str(p["regionRegex"]) for p in _partitions()}


@pytest.mark.parametrize("partition", sorted(_regions()))
def test_every_region_botocore_knows_has_botocores_endpoint_or_none(partition, monkeypatch):
    """The partitions table against botocore's own ECR endpoint rules, region by region."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_ECR", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    sess = botocore.session.Session()
    known = partition in ("aws", "aws-cn", "aws-us-gov")
    pattern = re.compile(_region_regex()[partition])
    for region in _regions()[partition]:
        ours = environment.default_endpoint(region)
        if not known or not pattern.match(region):  # another partition, or aws-global
            assert ours is None, region
            continue
        theirs = sess.create_client("ecr", region_name=region, aws_access_key_id="a",
                                    aws_secret_access_key="b").meta.endpoint_url
        assert ours == theirs, region


def test_from_os_reads_the_files_botocore_reads(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[default]\nendpoint_url = http://127.0.0.1:1\n")
    for key, value in BASE.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "missing"))
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert environment.from_os() is None  # the config file's endpoint_url: botocore's call
    config.write_text("[default]\nregion = eu-west-1\n")
    found = environment.from_os()
    assert found is not None and found.endpoint == AF
    config.write_bytes(b"[default]\nregion = \xe9u-west-1\n")  # not UTF-8: botocore refuses
    assert environment.from_os() is None
    monkeypatch.setenv("AWS_PROFILE", "dev")
    assert environment.from_os(profile="dev") is None  # --profile: never static


def test_no_home_directory_leaves_it_to_botocore(monkeypatch):
    for key in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(os.path, "expanduser", lambda path: path)  # what it does without one
    assert environment.read_files({}) is None


def _agree(monkeypatch: pytest.MonkeyPatch, **env: str) -> StaticEnvironment | None:
    """from_os() in ``env`` (over BASE), checked against botocore's endpoint there."""
    for key in list(os.environ):
        if key.startswith("AWS_") or key.lower().endswith("_proxy") or key == "REQUESTS_CA_BUNDLE":
            monkeypatch.delenv(key)
    for key, value in {**BASE, **env}.items():
        monkeypatch.setenv(key, value)
    found = environment.from_os()
    theirs = sessions.client(sessions.session(), "ecr").meta.endpoint_url.rstrip("/")
    assert found is None or found.endpoint == theirs
    return found


def test_the_file_paths_are_expanded_as_botocore_expands_them(tmp_path, monkeypatch):
    (tmp_path / "config").write_text("[default]\nendpoint_url = http://127.0.0.1:1\n")
    monkeypatch.setenv("TEST_HOME_DIR", str(tmp_path))
    assert _agree(monkeypatch, AWS_CONFIG_FILE="$TEST_HOME_DIR/config") is None
    # set but empty: botocore reads no file at all, not ~/.aws/config
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text("[default]\nendpoint_url = http://127.0.0.1:1\n")
    monkeypatch.setenv("HOME", str(home))
    assert _agree(monkeypatch) is None
    found = _agree(monkeypatch, AWS_CONFIG_FILE="")
    assert found is not None and found.endpoint == AF


def test_what_is_no_regular_file_is_no_file_and_never_hangs(tmp_path, monkeypatch):
    """A FIFO, a device or a directory: botocore reads no file there; reading one here
    would block forever (a FIFO) or fill the memory (/dev/zero)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    directory = tmp_path / "dir"
    directory.mkdir()
    for path in (fifo, Path("/dev/zero"), directory):
        answers: list[Any] = []
        worker = threading.Thread(target=lambda p=path, a=answers: a.append(
            _agree(monkeypatch, AWS_CONFIG_FILE=str(p))), daemon=True)
        worker.start()
        worker.join(10)
        if worker.is_alive():
            with open(fifo, "wb"):  # lets a reader blocked on the FIFO go
                pass
            pytest.fail(f"reading {path} hangs")
        assert answers and answers[0] is not None and answers[0].endpoint == AF, path


def test_a_config_file_too_large_to_read_here_is_botocores(tmp_path, monkeypatch):
    config = tmp_path / "config"
    config.write_text("[default]\n" + "# padding\n" * (environment.MAX_FILE // 10))
    assert environment.read_files({"AWS_CONFIG_FILE": str(config)}) is None
