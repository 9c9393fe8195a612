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
* an endpoint URL is set that botocore would refuse (a host name that is none) or use
  with a path, or that holds spaces, control characters, ``@``, ``%``, ``?`` or ``#``;
* a setting that changes the endpoint or the transport is present: FIPS or dual-stack
  endpoints, a proxy variable, ``AWS_DATA_PATH`` (``AWS_CA_BUNDLE``, else
  ``REQUESTS_CA_BUNDLE``, which botocore honours too, is carried in
  :attr:`StaticEnvironment.ca_bundle`);
* the config or credentials file cannot be read or parsed (as botocore parses it,
  nested values included) or is larger than :data:`MAX_FILE`, the profile named by
  ``AWS_PROFILE`` is in neither (its section found as botocore finds it:
  ``[profile  "dev"]`` is dev), or that profile holds any key outside
  :data:`IGNORED_KEYS` (``endpoint_url``, ``services``, ``ca_bundle``, ...).

The files are the ones botocore reads: ``AWS_CONFIG_FILE`` and
``AWS_SHARED_CREDENTIALS_FILE`` with ``$VARIABLES`` and ``~`` expanded (set but empty:
no file), and what is not a regular file (a FIFO, a device) is no file, as for botocore.

Pure: the environment and the files' text are arguments.
"""

from __future__ import annotations

import configparser
import ipaddress
import locale
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
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
    # AWS_CA_BUNDLE, else REQUESTS_CA_BUNDLE (a file); None: botocore's default
    ca_bundle: str | None = None


@dataclass(frozen=True)
class AwsFiles:
    """The text of the config and credentials files (None: the file does not exist)."""

    config: str | None = None
    credentials: str | None = None


def _true(value: str | None) -> bool:
    """Loosely true (spaces around it too): where a false negative would be static
    wrongly, a setting botocore may read as true counts."""
    return (value or "").strip().lower() == "true"


def _exactly_true(value: str | None) -> bool:
    return (value or "").lower() == "true"  # botocore's ensure_boolean on text


def _endpoint_url(environ: Mapping[str, str]) -> str | None:
    """``AWS_ENDPOINT_URL_ECR``, else ``AWS_ENDPOINT_URL``, unless ignored ("" when a
    set one is unusable here)."""
    if _exactly_true(environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")):
        return None
    for name in ("AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL"):
        if name in environ:
            return _usable_url(environ[name])
    return None


# botocore.utils.is_valid_endpoint_url's host name pattern.
HOST_NAME = re.compile(r"^((?!-)[A-Z\d-]{1,63}(?<!-)\.)*((?!-)[A-Z\d-]{1,63}(?<!-))$",
                       re.IGNORECASE)


def _valid_host(host: str) -> bool:
    """A host botocore takes (its is_valid_endpoint_url), or an IPv6 address without a zone."""
    if ":" in host:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    return len(host) <= 255 and bool(HOST_NAME.match(host.removesuffix(".")))


def _usable_url(url: str) -> str:
    """An endpoint URL botocore would take as it is (without a trailing ``/``), else "".

    Also "" for what botocore may take but this client would not read the same way:
    spaces or control characters anywhere (``urlsplit`` drops some), user information
    (``@``), a percent sign (an IPv6 zone), a query or a fragment, a path.
    """
    if any(ord(char) <= 32 or ord(char) == 127 or char in "@%\\" for char in url):
        return ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is no number or out of range
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ""
    if parts.path not in ("", "/") or "?" in url or "#" in url:
        return ""
    if not _valid_host(parts.hostname):
        return ""  # botocore: "Invalid endpoint"
    return url.removesuffix("/")


def default_endpoint(region: str) -> str | None:
    """ECR's API endpoint for ``region`` (None: a partition not known here)."""
    for pattern, suffix in PARTITIONS:
        if pattern.fullmatch(region):
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
    for section in parser.sections():  # botocore's nested values: "key =\n  sub = value"
        for option in parser.options(section):
            value = parser.get(section, option)
            if value.startswith("\n") and any(
                    line.strip() and "=" not in line for line in value.splitlines()):
                raise _Unparseable
    found = [name for name in parser.sections() if _profile_of(name, config_file) == profile]
    if not found:
        return None
    return {key.lower() for name in found for key in parser.options(name)}


def _profile_of(section: str, config_file: bool) -> str | None:
    """The profile a section holds, as botocore's build_profile_map reads its name: in
    the config file ``default``, or ``profile NAME`` split as a shell would
    (``[profile  "dev"]`` is dev); in the credentials file the name itself."""
    if not config_file:
        return section
    if section == "default":
        return section
    if not section.startswith("profile"):
        return None
    try:
        parts = shlex.split(section)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None


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
    if not chosen or not REGION_NAME.fullmatch(chosen):  # "$" would take a final "\n"
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


MAX_FILE = 1 << 20  # characters: a larger config file is left to botocore


class _Unreadable(Exception):
    """A file botocore would read that is not read here (too big, no home to find it)."""


def _path(environ: Mapping[str, str], name: str, default: str) -> str:
    """The path botocore reads: the variable when set (even empty), its ``$VARIABLES``
    and then ``~`` expanded (botocore.configloader.raw_config_parse)."""
    path = os.path.expanduser(os.path.expandvars(environ.get(name, default)))
    if path.startswith("~"):
        raise _Unreadable  # no home directory to expand it with
    return path


def _read(path: str) -> str | None:
    """A file's text, decoded as botocore's parser decodes it; None when botocore would
    find no file there (missing, or not a regular file: a FIFO, a device, a directory).
    Anything else unreadable raises."""
    if not os.path.isfile(path):
        return None
    with open(path, encoding=locale.getpreferredencoding(False)) as file:
        text = file.read(MAX_FILE + 1)
    if len(text) > MAX_FILE:
        raise _Unreadable
    return text


def read_files(environ: Mapping[str, str]) -> AwsFiles | None:
    """The config and credentials files botocore would read (None: one is unreadable,
    too big, or there is no home directory to find them in)."""
    try:
        config = _path(environ, "AWS_CONFIG_FILE", "~/.aws/config")
        shared = _path(environ, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
        return AwsFiles(_read(config), _read(shared))
    except (OSError, UnicodeError, _Unreadable):
        return None


def from_os(profile: str | None = None, region: str | None = None) -> StaticEnvironment | None:
    """:func:`static_environment` for this process's environment and files."""
    environ = dict(os.environ)
    if profile is not None or not environ.get("AWS_ACCESS_KEY_ID"):
        return None  # no need to read the files
    files = read_files(environ)
    return static_environment(environ, files, profile, region) if files else None
