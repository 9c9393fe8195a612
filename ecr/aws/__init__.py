"""boto3 clients for the operations tools.

One place decides how the tools talk to AWS: the standard environment
(``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``,
which boto3 honours itself) and botocore's *adaptive* retry mode, so throttling
slows a report down instead of failing it.
"""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError, ProfileNotFound

RETRY_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=10,
    read_timeout=30,
    max_pool_connections=32,
)


# The error codes AWS services answer "not allowed" with (IAM/STS, ECR, EC2-style).
ACCESS_DENIED_CODES = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


class AwsSetupError(Exception):
    """Credentials or region missing: the message says how to provide them."""


def session(profile: str | None = None, region: str | None = None) -> boto3.session.Session:
    # botocore reads AWS_DEFAULT_REGION; the AWS CLI v2 and SDKs also honour AWS_REGION.
    region = region or os.environ.get("AWS_REGION") or None
    try:
        sess = boto3.session.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        raise AwsSetupError(
            f"AWS profile {profile or os.environ.get('AWS_PROFILE')!r} not found: check "
            "--profile / AWS_PROFILE against 'aws configure list-profiles'"
        ) from None
    if not sess.region_name:
        raise AwsSetupError(
            "no AWS region: pass --region, or set AWS_REGION (the stack uses af-south-1)"
        )
    return sess


def client(sess: boto3.session.Session, service: str) -> Any:
    """A client with adaptive retries; ``AWS_ENDPOINT_URL`` is honoured by boto3."""
    return sess.client(service, config=RETRY_CONFIG)  # type: ignore[call-overload]


def assume_role_session(
    base: boto3.session.Session, role_arn: str, session_name: str = "infra-ecr"
) -> boto3.session.Session:
    """A session in another account (the consuming cluster's), from ``role_arn``."""
    creds = client(base, "sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)[
        "Credentials"
    ]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=base.region_name,
    )


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    if isinstance(exc, NoCredentialsError):
        return "NoCredentials"
    if isinstance(exc, NoRegionError):
        return "NoRegion"
    return type(exc).__name__


def explain(exc: BaseException, action: str) -> str:
    """One sentence a person can act on, for a failed AWS call."""
    code = error_code(exc)
    if code == "NoCredentials":
        return (
            f"{action}: no AWS credentials found; run 'aws configure' or 'aws sso login', "
            "or set AWS_PROFILE"
        )
    if code in ACCESS_DENIED_CODES:
        return f"{action}: access denied ({exc}); the caller needs that permission"
    if code in {"ExpiredToken", "ExpiredTokenException", "RequestExpired"}:
        return f"{action}: AWS credentials expired; log in again (aws sso login)"
    return f"{action}: {exc}"

