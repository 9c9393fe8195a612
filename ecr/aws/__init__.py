"""The one error path of the operations tools' AWS work.

Sessions and clients are made in :mod:`ecr.aws.sessions` (botocore, with this module's
:data:`SETTINGS`: retries, timeouts, pool); this module imports only
``botocore.exceptions`` (cheap), so the settings and the error path cost nothing to
import (``status --help`` never loads botocore's session machinery).

One place says what went wrong.  :func:`failure` turns anything AWS work raises
for a reason outside this program (:data:`ERRORS`: a broken config file, a profile
loop, a failing ``credential_process``, an unreachable or non-AWS endpoint, a
refused call) into what is wrong and what to do; :func:`explain` makes that one
line.  ``status``, ``lifecycle`` and ``doctor`` all go through it, so the same
broken environment reads the same everywhere and never as a traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Literal

from botocore import exceptions
from botocore.exceptions import BotoCoreError, ClientError

# The error codes AWS services answer "not allowed" with (IAM/STS, ECR, EC2-style).
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# The credentials themselves were refused (wrong key, wrong secret, a deleted user).
REJECTED_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
    "AuthFailure", "InvalidAccessKeyId", "IncompleteSignature",
})
CREDENTIALS_FIX = "run 'aws configure' or 'aws sso login', or set AWS_PROFILE"


# How the tools talk to AWS, in one place: ecr.aws.sessions makes every client with
# SETTINGS (botocore's Config), ecr.aws.pages reads PAGE_SIZE items a page.
@dataclass(frozen=True)
class Settings:
    """How patient the tools are with AWS, and how many calls they keep in flight.

    ``max_retries``: throttling and transient errors get that many retries after the
    first attempt; a call whose connection cannot be made at all (refused, unresolvable,
    timed out connecting) gets ``connect_attempts`` attempts in all, not half a minute or
    more of backoff before doctor or status can say the endpoint is unreachable.
    ``pool``: kept-alive connections per client, one per worker thread (``--concurrency``
    goes up to :data:`MAX_CONCURRENCY`): a pool smaller than the threads drops
    connections and opens (TLS) new ones.
    """

    max_retries: int = 10
    connect_attempts: int = 3
    connect_timeout: float = 10
    read_timeout: float = 30
    pool: int = 64
    retry_mode: Literal["adaptive", "standard", "legacy"] = "adaptive"


SETTINGS = Settings()
# --concurrency: calls in flight.  Against ECR each call is a network round trip, so the
# default is sized for latency, not for the CPU (bench/status.py measured 8, 16 and 32).
DEFAULT_CONCURRENCY = 32
MAX_CONCURRENCY = 64
PAGE_SIZE = 1000  # the most DescribeRepositories / DescribeImages and the others return


class AwsSetupError(Exception):
    """The AWS environment cannot be used as it is (profile, region, config file,
    endpoint): ``what`` is wrong, ``fix`` says what to do."""

    def __init__(self, what: str, fix: str = "") -> None:
        super().__init__(f"{what}: {fix}" if fix else what)
        self.what = what
        self.fix = fix


class NotAwsResponse(BotoCoreError):
    """An endpoint answered a call with a body no AWS service sends (an HTML page, bytes)."""

    fmt = "{endpoint} answered {operation} with HTTP {status} {content}, not an AWS response"


# Everything AWS work raises for a reason outside this program.  Catch these, and only
# these, around AWS calls; pass the exception to ``failure`` or ``explain``.
ERRORS: tuple[type[Exception], ...] = (ClientError, BotoCoreError, AwsSetupError)


@dataclass(frozen=True)
class Failure:
    """What went wrong with AWS, and the fix (None: nothing better than retrying)."""

    what: str
    fix: str | None = None
    environment: bool = False  # the setup (config, credentials, endpoint), not this call


def endpoint_settings() -> str:
    """The endpoint variables set in the environment, as the fix should name them."""
    found = [f"{k}={v}" for k, v in sorted(os.environ.items())
             if k == "AWS_ENDPOINT_URL" or k.startswith("AWS_ENDPOINT_URL_")]
    return ", ".join(found)


def endpoint_fix() -> str:
    """What to check when the endpoint cannot be reached or is not AWS."""
    settings = endpoint_settings()
    if settings:
        return (f"check {settings}: it must be the AWS (or a compatible) endpoint; unset it "
                "to use AWS itself")
    return ("check the network path to AWS (proxy settings HTTPS_PROXY/NO_PROXY, firewall, "
            "VPC endpoints) and any endpoint_url in the AWS config file, then retry")


def _config_file() -> str:
    return os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"


def _client_error(exc: ClientError) -> Failure:
    code = error_code(exc)
    message = str(exc.response.get("Error", {}).get("Message", "")) or str(exc)
    if code in ACCESS_DENIED_CODES:
        return Failure(f"access denied ({exc})", "the caller needs that permission")
    if code in EXPIRED_CODES:
        return Failure("AWS credentials expired", "log in again (aws sso login) or refresh "
                       "the credentials", environment=True)
    if code in REJECTED_CODES:
        return Failure(f"AWS refused the credentials ({code}: {message})",
                       "check which credentials are used (aws sts get-caller-identity, "
                       "AWS_PROFILE, AWS_ACCESS_KEY_ID), or log in again (aws sso login)",
                       environment=True)
    return Failure(str(exc))


class _Fields(dict[str, Any]):
    """An exception's fields for a message template; a field it lacks reads as None."""

    def __missing__(self, key: str) -> None:
        return None


# The setup errors botocore raises, first match wins: (types, what, fix).  Templates read
# the exception (``{exc}``), its fields (``{profile}``, ``{path}``, ``{region_name}``) and
# the AWS config file in use (``{config}``).
_SETUP_ERRORS: tuple[tuple[type[Exception] | tuple[type[Exception], ...], str, str], ...] = (
    (exceptions.NoCredentialsError, "no AWS credentials found", CREDENTIALS_FIX),
    (exceptions.PartialCredentialsError, "incomplete AWS credentials ({exc})",
     "set both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or use a profile (AWS_PROFILE)"),
    (exceptions.ProfileNotFound, "AWS profile {profile!r} not found",
     "check --profile / AWS_PROFILE against 'aws configure list-profiles'"),
    (exceptions.ConfigParseError, "the AWS config file {path} cannot be parsed",
     "fix its syntax ([profile NAME] sections of 'key = value' lines) or point "
     "AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE at a valid file"),
    (exceptions.InfiniteLoopConfigError,
     "the AWS profiles' source_profile settings form a loop ({exc})",
     "fix source_profile in {config}: the chain must end at a profile with credentials"),
    (exceptions.InvalidConfigError, "the AWS profile configuration is broken ({exc})",
     "fix the profile in {config} (aws configure list-profiles lists the profiles)"),
    ((exceptions.SSOError, exceptions.TokenRetrievalError),
     "the AWS SSO login is missing or expired ({exc})", "log in again: aws sso login"),
    (exceptions.InvalidRegionError, "{region_name!r} is not an AWS region name",
     "pass --region or set AWS_REGION to a region such as af-south-1"),
    (exceptions.NoRegionError, "no AWS region",
     "pass --region, or set AWS_REGION (the stack uses af-south-1)"),
)


def _credential_process_error(kwargs: dict[str, Any]) -> Failure:
    provider = str(kwargs.get("provider", ""))
    reason = str(kwargs.get("error_msg", "")).strip() or "no message"
    if provider == "custom-process":
        return Failure(f"the profile's credential_process failed ({reason})",
                       "run that command by hand to see why (aws configure get "
                       "credential_process), then fix it or log in again", environment=True)
    return Failure(f"could not get AWS credentials from {provider or 'the profile'} "
                   f"({reason})", CREDENTIALS_FIX, environment=True)


def _botocore_error(exc: BotoCoreError) -> Failure:
    kwargs: dict[str, Any] = getattr(exc, "kwargs", {}) or {}
    if isinstance(exc, exceptions.CredentialRetrievalError):
        return _credential_process_error(kwargs)
    for types, what, fix in _SETUP_ERRORS:
        if isinstance(exc, types):
            fields = _Fields(kwargs, exc=exc, config=_config_file())
            return Failure(what.format_map(fields), fix.format_map(fields), environment=True)
    if isinstance(exc, NotAwsResponse):
        return Failure(str(exc), endpoint_fix(), environment=True)
    if isinstance(exc, (exceptions.ConnectionError, exceptions.HTTPClientError)):
        return Failure(f"cannot reach the AWS endpoint ({exc})", endpoint_fix(),
                       environment=True)
    return Failure(str(exc))


def failure(exc: BaseException) -> Failure:
    """What ``exc`` (one of :data:`ERRORS`, or botocore's ``ResponseParserError``) means."""
    if isinstance(exc, AwsSetupError):
        return Failure(exc.what, exc.fix or None, environment=True)
    if isinstance(exc, ClientError):
        return _client_error(exc)
    if isinstance(exc, BotoCoreError):
        return _botocore_error(exc)
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:160]
    if type(exc).__name__ == "ResponseParserError":  # not a BotoCoreError
        return Failure(f"the AWS endpoint answered with something that is not an AWS "
                       f"response ({first})", endpoint_fix(), environment=True)
    return Failure(first)


def explain(exc: BaseException, action: str) -> str:
    """One line a person can act on, for a failed AWS call: action, what, fix."""
    found = failure(exc)
    return f"{action}: {found.what}" + (f"; {found.fix}" if found.fix else "")


def setup_error(exc: BaseException) -> AwsSetupError:
    found = failure(exc)
    return AwsSetupError(found.what, found.fix or "")


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    if isinstance(exc, exceptions.NoCredentialsError):
        return "NoCredentials"
    if isinstance(exc, exceptions.NoRegionError):
        return "NoRegion"
    return type(exc).__name__
