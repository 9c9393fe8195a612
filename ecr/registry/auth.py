"""Registry credentials and ``WWW-Authenticate`` challenges (RFC 7235, Docker token auth).

Pure parsing plus the credential sources ``verify`` accepts:

- explicit ``REGISTRY_USERNAME`` / ``REGISTRY_PASSWORD`` (any OCI registry);
- for an ECR registry host and no explicit credentials, an ECR authorization token
  (``GetAuthorizationToken``: base64 ``AWS:<password>``, used as HTTP Basic auth),
  optionally as another account via ``--role-arn`` / ``--profile``.

Secrets never appear in ``repr`` or messages.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecr import catalogue

_PARAM = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?')


class CredentialsError(Exception):
    """Credentials could not be obtained; the message says how to provide them."""


class CredentialsSetupError(CredentialsError):
    """The command line or environment is wrong (an unknown ``--profile``, half of
    REGISTRY_USERNAME/REGISTRY_PASSWORD): bad usage to fix before anything is checked,
    not an answer from the registry about each image."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    source: str = "REGISTRY_USERNAME/REGISTRY_PASSWORD"

    def basic_header(self) -> str:
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower case: "basic" or "bearer"
    params: Mapping[str, str]


def parse_challenge(header: str | None) -> Challenge | None:
    """``Bearer realm="https://auth",service="x",scope="repository:a:pull"`` -> Challenge.

    Only the first challenge is read; registries send one.
    """
    if not header:
        return None
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    for match in _PARAM.finditer(rest):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        params[match.group(1).lower()] = re.sub(r"\\(.)", r"\1", value or "")
    return Challenge(scheme.lower(), params)


def ecr_host(host: str) -> tuple[str, str] | None:
    """(account, region) when ``host`` is an ECR private registry, else None."""
    return catalogue.parse_registry_host(host)


def from_environment(env: Mapping[str, str] | None = None) -> Credentials | None:
    env = os.environ if env is None else env
    user, password = env.get("REGISTRY_USERNAME"), env.get("REGISTRY_PASSWORD")
    if user and password is not None:
        return Credentials(user, password)
    if user or password:
        raise CredentialsSetupError(
            "set both REGISTRY_USERNAME and REGISTRY_PASSWORD, or neither"
        )
    return None


def decode_ecr_token(token: str) -> Credentials:
    """An ECR ``authorizationToken`` (base64 ``AWS:<password>``) as Basic credentials."""
    try:
        user, sep, password = base64.b64decode(token).decode().partition(":")
    except ValueError as exc:
        raise CredentialsError("ECR returned an authorization token that is not base64") from exc
    if not sep:
        raise CredentialsError("ECR returned an authorization token without a user name")
    return Credentials(user, password, source="ecr:GetAuthorizationToken")


def ecr_credentials(
    host: str, profile: str | None = None, role_arn: str | None = None
) -> Credentials:
    """A token from ``ecr:GetAuthorizationToken`` for the registry ``host``.

    With ``role_arn`` the token is that role's (the consuming account's), which is
    what proves a cross-account cluster can pull.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from ecr import aws
    from ecr.aws import sessions

    found = ecr_host(host)
    if found is None:
        raise CredentialsError(f"{host} is not an ECR registry host")
    account, region = found
    try:
        sess = sessions.session(profile=profile, region=region)
        if role_arn:
            sess = sessions.assume_role_session(sess, role_arn, "infra-ecr-verify")
        ecr: Any = sessions.client(sess, "ecr")
        data = ecr.get_authorization_token(registryIds=[account])["authorizationData"]
    except aws.AwsSetupError as exc:  # a profile that does not exist: the same message and
        raise CredentialsSetupError(str(exc)) from exc  # exit 2 as the operations tools
    except (BotoCoreError, ClientError) as exc:
        raise CredentialsError(aws.explain(exc, "ecr:GetAuthorizationToken")) from exc
    if not data or not data[0].get("authorizationToken"):
        raise CredentialsError("ecr:GetAuthorizationToken returned no token")
    return decode_ecr_token(str(data[0]["authorizationToken"]))
