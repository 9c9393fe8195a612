"""botocore sessions and clients for the operations tools, and the one error path.

One place decides how the tools talk to AWS: the standard environment
(``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``,
which botocore honours itself) and botocore's *adaptive* retry mode, so throttling
slows a report down instead of failing it.  botocore is used directly: boto3 adds
nothing the tools use and costs a tenth of ``status``'s start-up.

And one place says what went wrong.  :func:`failure` turns anything AWS work raises
for a reason outside this program (:data:`ERRORS`: a broken config file, a profile
loop, a failing ``credential_process``, an unreachable or non-AWS endpoint, a
refused call) into what is wrong and what to do; :func:`explain` makes that one
line.  ``status``, ``lifecycle`` and ``doctor`` all go through it, so the same
broken environment reads the same everywhere and never as a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import botocore.session
from botocore import exceptions, loaders
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, DataNotFoundError
from botocore.utils import validate_region_name

Session = botocore.session.Session

RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=10,
    read_timeout=30,
    # One kept-alive connection per worker thread: --concurrency goes up to 64.
    max_pool_connections=64,
)

# The error codes AWS services answer "not allowed" with (IAM/STS, ECR, EC2-style).
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# The credentials themselves were refused (wrong key, wrong secret, a deleted user).
REJECTED_CODES = frozenset({
    "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch",
    "AuthFailure", "InvalidAccessKeyId", "IncompleteSignature",
})
CREDENTIALS_FIX = "run 'aws configure' or 'aws sso login', or set AWS_PROFILE"


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


def _endpoint_settings() -> str:
    """The endpoint variables set in the environment, as the fix should name them."""
    found = [f"{k}={v}" for k, v in sorted(os.environ.items())
             if k == "AWS_ENDPOINT_URL" or k.startswith("AWS_ENDPOINT_URL_")]
    return ", ".join(found)


def endpoint_fix() -> str:
    """What to check when the endpoint cannot be reached or is not AWS."""
    settings = _endpoint_settings()
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


class _KnownServices(Sequence[str]):
    """botocore's list of the services with a ``type_name`` model, read only as far as needed.

    ``name in`` looks in that service's own directory; iterating (the message of an
    unknown service, ``get_available_services``) does botocore's full scan.
    """

    def __init__(self, loader: ServiceLoader, type_name: str) -> None:
        self.loader, self.type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        try:
            return isinstance(name, str) and bool(self.loader.list_api_versions(name,
                                                                                self.type_name))
        except DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        return list(loaders.Loader.list_available_services(self.loader, self.type_name))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


class ServiceLoader(loaders.Loader):
    """botocore's data loader, without its scan of every service before each model.

    Before loading a service's model, its endpoint rules or its paginators, botocore's
    loader lists all ~400 service directories to check the name is known: ~7 ms of CPU
    each time, three times in a ``status`` run.  This one checks the one service's own
    directories (the same search paths); an unknown service still fails the same way.
    """

    # botocore's callers only test membership, iterate and join: a lazy sequence will do.
    def list_available_services(self, type_name: str) -> Sequence[str]:  # type: ignore[override]
        return _KnownServices(self, type_name)


def _new_session(profile: str | None = None) -> Session:
    """A botocore session whose data loader is :class:`ServiceLoader` (same search paths)."""
    sess = Session(profile=profile)
    default = loaders.create_loader(sess.get_config_variable("data_path"))
    sess.register_component("data_loader", ServiceLoader(
        extra_search_paths=default.search_paths, include_default_search_paths=False))
    return sess


def session(profile: str | None = None, region: str | None = None) -> Session:
    """A session for ``profile`` (else ``AWS_PROFILE``) in ``region`` (else ``AWS_REGION``,
    ``AWS_DEFAULT_REGION``, the profile's region).

    Reads the config file now, so a malformed file, an unknown profile, no region or
    a region that is no region name is an :class:`AwsSetupError` before any call.
    """
    # botocore reads AWS_DEFAULT_REGION; the AWS CLI v2 and SDKs also honour AWS_REGION.
    region = region or os.environ.get("AWS_REGION") or None
    try:
        sess = _new_session(profile)
        sess.get_scoped_config()  # parses the config file; the profile must be in it
        if region:
            sess.set_config_variable("region", region)
        chosen = sess.get_config_variable("region")
        if chosen:
            validate_region_name(chosen)
    except BotoCoreError as exc:
        raise setup_error(exc) from None
    if not chosen:
        raise setup_error(exceptions.NoRegionError())
    return sess


def region_of(sess: Session) -> str | None:
    region = sess.get_config_variable("region")
    return str(region) if region else None


def _check_response(endpoint: str) -> Any:
    """A ``before-parse`` handler: a 2xx body that is no AWS answer is :class:`NotAwsResponse`.

    Without it botocore takes an HTML page for an empty JSON answer (``status`` would
    report an empty registry), or fails inside its parser with ``KeyError`` or
    ``UnicodeDecodeError``.  Error statuses are left to botocore, which reads non-AWS
    error pages as errors already.
    """

    def check(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        status = int(response_dict.get("status_code") or 0)
        body = response_dict.get("body")
        if not 200 <= status < 300 or not isinstance(body, bytes) or not body:
            return
        protocol = operation_model.service_model.protocol
        head = body[:512].lstrip()
        if protocol in ("json", "rest-json"):
            ok = head.startswith((b"{", b"["))
            if ok:
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError:
                    ok = False
        elif protocol in ("query", "ec2"):
            ok = f"<{operation_model.name}Response".encode() in head
        else:
            return
        if not ok:
            headers = response_dict.get("headers") or {}
            kind = str(headers.get("content-type") or headers.get("Content-Type") or "")
            raise NotAwsResponse(endpoint=endpoint, operation=operation_model.name,
                                 status=status, content=f"({kind or 'no content type'})")

    return check


def client(sess: Session, service: str) -> Any:
    """A client with adaptive retries that rejects non-AWS answers; ``AWS_ENDPOINT_URL``
    is honoured by botocore.  Creating it resolves the credentials, so a failing
    ``credential_process`` or profile chain raises here (one of :data:`ERRORS`)."""
    try:
        made = sess.create_client(service, config=RETRY_CONFIG)
    except BotoCoreError:
        raise
    except ValueError as exc:  # botocore's URL parsing: AWS_ENDPOINT_URL=http://[x
        settings = _endpoint_settings() or "endpoint_url in the AWS config file"
        raise AwsSetupError(f"the AWS endpoint URL is not valid ({exc}; from {settings})",
                            "fix or unset it") from None
    made.meta.events.register_first("before-parse", _check_response(made.meta.endpoint_url))
    return made


def assume_role_session(base: Session, role_arn: str, session_name: str = "infra-ecr") -> Session:
    """A session in another account (the consuming cluster's), from ``role_arn``."""
    creds = client(base, "sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)[
        "Credentials"
    ]
    assumed = _new_session()
    assumed.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                            creds["SessionToken"])
    region = region_of(base)
    if region:
        assumed.set_config_variable("region", region)
    return assumed


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    if isinstance(exc, exceptions.NoCredentialsError):
        return "NoCredentials"
    if isinstance(exc, exceptions.NoRegionError):
        return "NoRegion"
    return type(exc).__name__
