"""One registry resolver for ``convert``, ``images`` and ``verify`` (issue 11, issue 14).

The same value is accepted or refused by all three, with the same message and exit 2,
before anything is contacted.
"""

from __future__ import annotations

import pytest

from ecr.cli import main
from ecr.config import outputs

COMMANDS = {
    "convert": ["convert", "nginx:1.27"],
    "images": ["images", "--chart", "./no-such-chart"],
    "verify": ["verify", "nginx:1.27"],
}
ECR = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ECR_REGISTRY", raising=False)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no pulumi: the stack is never asked


@pytest.mark.parametrize(("value", "says"), [
    ("nginx", "'nginx' is a single name, not a registry host"),
    ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
    ("127.0.0.1:0", "the port must be a number from 1 to 65535"),
    (f"{ECR}:", "the port must be a number from 1 to 65535"),
    (f"https://{ECR}/docker-hub", "without a path"),
    (f"ftp://{ECR}", "only https://"),
    ("not a host", "is not a host name"),
    ("", "empty"),
])
def test_every_command_refuses_the_same_values_alike(
    value: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = set()
    for name, argv in COMMANDS.items():
        code = main.main([argv[0], "--registry", value, *argv[1:]])
        captured = capsys.readouterr()
        assert code == 2, (name, captured)
        assert captured.out == ""
        assert says in captured.err, (name, captured.err)
        messages.add(captured.err)
    assert len(messages) == 1  # word for word


def test_the_environment_is_checked_and_named(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECR_REGISTRY", "nginx")
    assert main.main(["convert", "nginx:1.27"]) == 2
    err = capsys.readouterr().err
    assert "ECR_REGISTRY: registry 'nginx' is a single name" in err, err


@pytest.mark.parametrize(("value", "scheme", "host"), [
    (ECR, "https", ECR),
    (f"https://{ECR}/", "https", ECR),
    ("http://127.0.0.1:5000", "http", "127.0.0.1:5000"),
    ("HTTP://127.0.0.1:5000/", "http", "127.0.0.1:5000"),
    ("localhost:5000", "https", "localhost:5000"),
    ("localhost", "https", "localhost"),
    ("[::1]:5000", "https", "[::1]:5000"),
    ("registry:5000", "https", "registry:5000"),  # a name with a port is a host, as for Docker
])
def test_accepted_values(value: str, scheme: str, host: str) -> None:
    target = outputs.resolve(value)
    assert (target.scheme, target.registry) == (scheme, host)
    assert target.url == f"{scheme}://{host}"


def test_convert_and_verify_map_to_the_same_host(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ECR_REGISTRY", "http://127.0.0.1:1/")
    assert main.main(["convert", "nginx:1.27"]) == 0
    converted = capsys.readouterr().out.strip()
    main.main(["verify", "-o", "json", "--retries", "0", "nginx:1.27"])
    assert f'"cache_reference": "{converted}"' in capsys.readouterr().out


def test_doctor_refuses_a_bad_registry_too(capsys: pytest.CaptureFixture[str]) -> None:
    """A value given but not a registry is not silently ignored (doctor resolves it alone)."""
    assert main.main(["doctor", "--registry", "nginx"]) == 2
    assert "'nginx' is a single name, not a registry host" in capsys.readouterr().err
