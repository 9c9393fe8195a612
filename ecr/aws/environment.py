"""When the environment alone says how to reach ECR: the static environment.

botocore decides credentials, region, endpoint and transport from a chain of sources
(arguments, environment variables, the config and credentials files, SSO caches,
instance metadata ...), and importing the machinery that walks it costs ``status`` a
third of its start-up.  Very often, in CI and in shells that exported a role's keys,
the environment answers every question by itself.  :func:`static_environment` says
when that is so, and what the answers are, *exactly as botocore would give them*;
when anything else could change one of them it returns None and the caller uses
botocore, whose chain stays the reference for every other case.

So it returns None (botocore decides) when:

* ``--profile`` is given (botocore then ignores the environment's keys), or
  ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` are not both set, or
  ``AWS_CREDENTIAL_EXPIRATION`` is (refreshable keys);
* no region comes from ``--region``, ``AWS_REGION`` or ``AWS_DEFAULT_REGION``, or it
  is no region name, or no endpoint URL is set and the region's partition is not one
  whose ECR endpoint is known here (aws, aws-cn, aws-us-gov);
* an endpoint URL is set that botocore would refuse or use with a path;
* a setting that changes the endpoint or the transport is present: FIPS or dual-stack
  endpoints, a proxy variable, ``AWS_DATA_PATH`` (``AWS_CA_BUNDLE``, else
  ``REQUESTS_CA_BUNDLE``, which botocore honours too, is carried in
  :attr:`StaticEnvironment.ca_bundle`);
* the config or credentials file cannot be read or parsed, the profile named by
  ``AWS_PROFILE`` is in neither, or that profile holds any key outside
  :data:`IGNORED_KEYS` (``endpoint_url``, ``services``, ``ca_bundle``, ...).

Pure: the environment and the files' text are arguments.
"""

from __future__ import annotations

import configparser
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

# botocore.utils.validate_region_name's pattern.
REGION_NAME = re.compile(r"^[a-zA-Z0-9](?:[a-zA-Z0-9\-]{0,61}[a-zA-Z0-9])?$")

# The partitions whose regions' ECR API endpoint is https://api.ecr.<region>.<suffix>
# (botocore's ECR endpoint rules; tests/aws/test_environment.py compares every region
# botocore knows in them).  Regions of other partitions go through botocore.
PARTITIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^us\-gov\-\w+\-\d+$"), "amazonaws.com"),  # aws-us-gov
    (re.compile(r"^cn\-\w+\-\d+$"), "amazonaws.com.cn"),  # aws-cn
    (re.compile(r"^(us|eu|ap|sa|ca|me|af|il|mx)\-\w+\-\d+$"), "amazonaws.com"),  # aws
)

# Profile keys that cannot change an ECR call when the keys and the region come from the
# environment: other credential sources (the environment's keys win over all of them
# unless --profile is given), the region (the environment's wins), the AWS CLI's own
# settings and other services' settings.
IGNORED_KEYS = frozenset({
    "aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token",
    "aws_account_id", "role_arn", "source_profile", "credential_source", "external_id",
    "mfa_serial", "role_session_name", "duration_seconds", "web_identity_token_file",
    "credential_process", "sso_session", "sso_account_id", "sso_role_name", "sso_region",
    "sso_start_url", "sso_registration_scopes", "region", "output", "cli_pager",
    "cli_timestamp_format", "cli_auto_prompt", "cli_binary_format", "cli_history",
    "cli_follow_urlparam", "sts_regional_endpoints", "s3", "metadata_service_timeout",
    "metadata_service_num_attempts", "ec2_metadata_service_endpoint",
    "ec2_metadata_service_endpoint_mode", "ec2_metadata_v1_disabled",
})

# Variables that change botocore's endpoint or transport for every service.
TRANSPORT_VARIABLES = ("AWS_DATA_PATH",)
CA_VARIABLES = ("AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE")  # botocore's order
PROFILE_VARIABLES = ("AWS_DEFAULT_PROFILE", "AWS_PROFILE")  # botocore's order
BOOLEAN_VARIABLES = ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT")


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StaticEnvironment:
    """What botocore would use for ECR calls, when the environment alone decides it."""

    region: str
    endpoint: str  # scheme://host[:port], no path (as given, or ECR's for the region)
    credentials: Credentials = field(repr=False)
    # AWS_CA_BUNDLE, else REQUESTS_CA_BUNDLE (a file or a directory); None: botocore's default
    ca_bundle: str | None = None


@dataclass(frozen=True)
class AwsFiles:
    """The text of the config and credentials files (None: the file does not exist)."""

    config: str | None = None
    credentials: str | None = None


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"  # botocore's ensure_boolean on text


def _endpoint_url(environ: Mapping[str, str]) -> str | None:
    """``AWS_ENDPOINT_URL_ECR``, else ``AWS_ENDPOINT_URL``, unless ignored ("" when a
    set one is unusable here)."""
    if _true(environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")):
        return None
    for name in ("AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL"):
        if name in environ:
            return _usable_url(environ[name])
    return None


def _usable_url(url: str) -> str:
    """An endpoint URL botocore would take as it is (without a trailing ``/``), else ""."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is no number or out of range
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return ""
    return url.removesuffix("/")


def default_endpoint(region: str) -> str | None:
    """ECR's API endpoint for ``region`` (None: a partition not known here)."""
    for pattern, suffix in PARTITIONS:
        if pattern.match(region):
            return f"https://api.ecr.{region}.{suffix}"
    return None


def _profile_keys(text: str | None, profile: str, config_file: bool) -> set[str] | None:
    """The keys of ``profile``'s sections in one file, as botocore's parser reads it.

    None: the file does not exist or the profile is not in it.  A file botocore could
    not parse raises :class:`_Unparseable`.
    """
    if text is None:
        return None
    parser = configparser.RawConfigParser(strict=True, interpolation=None)
    try:
        parser.read_string(text)
    except (configparser.Error, UnicodeError):
        raise _Unparseable from None
    if not config_file:
        names = [profile]
    else:
        names = ["default", "profile default"] if profile == "default" else [f"profile {profile}"]
    found = [name for name in names if parser.has_section(name)]
    if not found:
        return None
    return {key.lower() for name in found for key in parser.options(name)}


class _Unparseable(Exception):
    """A config or credentials file botocore's parser would refuse."""


def static_environment(
    environ: Mapping[str, str], files: AwsFiles, profile: str | None = None,
    region: str | None = None,
) -> StaticEnvironment | None:
    """The static environment ECR calls would see, or None (see the module's rules)."""
    access, secret = environ.get("AWS_ACCESS_KEY_ID", ""), environ.get("AWS_SECRET_ACCESS_KEY", "")
    if profile is not None or not access or not secret or environ.get("AWS_CREDENTIAL_EXPIRATION"):
        return None
    if any(environ.get(name) for name in TRANSPORT_VARIABLES):
        return None
    if any(_true(environ.get(name)) for name in BOOLEAN_VARIABLES):
        return None
    if any(name.lower().endswith("_proxy") and name.lower() != "no_proxy" and value
           for name, value in environ.items()):
        return None
    chosen = region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION")
    if not chosen or not REGION_NAME.match(chosen):
        return None
    if any(environ.get(name) == "" for name in PROFILE_VARIABLES):
        return None  # an empty profile name: botocore's own answer
    named = next((environ[name] for name in PROFILE_VARIABLES if environ.get(name)), None)
    try:
        config = _profile_keys(files.config, named or "default", config_file=True)
        shared = _profile_keys(files.credentials, named or "default", config_file=False)
    except _Unparseable:
        return None
    if named and config is None and shared is None:
        return None  # botocore: the profile could not be found
    if ((config or set()) | (shared or set())) - IGNORED_KEYS:
        return None
    endpoint = _endpoint_url(environ)
    if endpoint == "":
        return None
    endpoint = endpoint or default_endpoint(chosen)
    if endpoint is None:
        return None
    token = environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN") or None
    if any(environ.get(name) == "" for name in CA_VARIABLES):
        return None  # an empty CA bundle setting: botocore's own answer
    bundle = next((environ[name] for name in CA_VARIABLES if environ.get(name)), None)
    return StaticEnvironment(chosen, endpoint, Credentials(access, secret, token), bundle)


def _read(path: Path) -> str | None:
    """A file's text; None when it does not exist.  Anything else unreadable raises."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def read_files(environ: Mapping[str, str]) -> AwsFiles | None:
    """The config and credentials files botocore would read (None: one is unreadable, or
    there is no home directory to find them in)."""
    try:
        config = Path(environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
        shared = Path(environ.get("AWS_SHARED_CREDENTIALS_FILE")
                      or "~/.aws/credentials").expanduser()
        return AwsFiles(_read(config), _read(shared))
    except (OSError, UnicodeError, RuntimeError):  # RuntimeError: no home directory
        return None


def from_os(profile: str | None = None, region: str | None = None) -> StaticEnvironment | None:
    """:func:`static_environment` for this process's environment and files."""
    environ = dict(os.environ)
    if profile is not None or not environ.get("AWS_ACCESS_KEY_ID"):
        return None  # no need to read the files
    files = read_files(environ)
    return static_environment(environ, files, profile, region) if files else None
