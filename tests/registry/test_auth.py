"""Bearer token challenges (real registry behind a token gate) and ECR tokens (moto)."""

from __future__ import annotations

import base64

import boto3
import pytest

from ecr.cli.commands.verify import credentials_for
from ecr.registry import auth
from tests.registry.conftest import BEARER_PASSWORD, BEARER_USER, World

ECR_HOST = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


@pytest.mark.registry
def test_bearer_challenge_token_cached_per_scope(
    world: World, bearer, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", BEARER_USER)
    monkeypatch.setenv("REGISTRY_PASSWORD", BEARER_PASSWORD)
    result = run_verify("--registry", bearer.url, "-o", "json", "--warm", "--concurrency", "1",
                        "nginx:1.27", "nginx:1.26", "bitnami/redis:7.4")
    assert result.code == 0, result.rows
    # one token per repository scope, reused for tags, the platform manifest and blobs
    assert sorted(bearer.state.token_requests) == [
        "repository:docker-hub/bitnami/redis:pull",
        "repository:docker-hub/library/nginx:pull",
    ]


@pytest.mark.registry
def test_bearer_wrong_or_missing_credentials_are_unauthorized(
    world: World, bearer, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", BEARER_USER)
    monkeypatch.setenv("REGISTRY_PASSWORD", "not-the-token")
    wrong = run_verify("--registry", bearer.url, "-o", "json", "nginx:1.27")
    assert wrong.rows[0]["verdict"] == "unauthorized"
    assert "not-the-token" not in wrong.out + wrong.err

    monkeypatch.delenv("REGISTRY_USERNAME")
    monkeypatch.delenv("REGISTRY_PASSWORD")
    anonymous = run_verify("--registry", bearer.url, "-o", "json", "nginx:1.27")
    assert anonymous.rows[0]["verdict"] == "unauthorized"
    assert bearer.state.token_requests  # the anonymous token was asked for, and refused


def test_ecr_token_from_get_authorization_token(aws_env, monkeypatch) -> None:
    monkeypatch.delenv("REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("REGISTRY_PASSWORD", raising=False)
    creds = credentials_for(ECR_HOST, profile=None, role_arn=None)
    assert creds is not None
    assert creds.username == "AWS" and creds.password
    assert creds.source == "ecr:GetAuthorizationToken"
    assert creds.password not in repr(creds)


def test_ecr_token_as_the_consuming_account(aws_env) -> None:
    iam = boto3.client("iam", region_name="af-south-1")
    role = iam.create_role(
        RoleName="cluster-nodes",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[]}',
    )["Role"]["Arn"]
    creds = auth.ecr_credentials(ECR_HOST, role_arn=role)
    assert creds.username == "AWS"


def test_ecr_token_failure_explains(aws_env, monkeypatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(auth.CredentialsError, match="no AWS credentials"):
        auth.ecr_credentials(ECR_HOST)


def test_explicit_credentials_win_over_ecr(monkeypatch) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", "AWS")
    monkeypatch.setenv("REGISTRY_PASSWORD", "from-env")
    creds = credentials_for(ECR_HOST, None, None)
    assert creds is not None and creds.password == "from-env"
    monkeypatch.delenv("REGISTRY_PASSWORD")
    with pytest.raises(auth.CredentialsError, match="both"):
        credentials_for(ECR_HOST, None, None)


def test_decode_ecr_token() -> None:
    token = base64.b64encode(b"AWS:pa:ss").decode()
    creds = auth.decode_ecr_token(token)
    assert (creds.username, creds.password) == ("AWS", "pa:ss")
    with pytest.raises(auth.CredentialsError):
        auth.decode_ecr_token(base64.b64encode(b"nocolon").decode())


def test_ecr_host() -> None:
    assert auth.ecr_host(ECR_HOST) == ("123456789012", "af-south-1")
    assert auth.ecr_host("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")
    assert auth.ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")
    # dual-stack (IPv6) endpoints (ECR user guide "Making requests to Amazon ECR registries")
    assert auth.ecr_host("123456789012.dkr-ecr.af-south-1.on.aws") == (
        "123456789012", "af-south-1"
    )
    assert auth.ecr_host("123456789012.dkr-ecr-fips.us-east-1.on.aws")
    assert auth.ecr_host("123456789012.dkr.ecr.af-south-1.example.com") is None
    assert auth.ecr_host("127.0.0.1:5000") is None
    assert auth.ecr_host("public.ecr.aws") is None


def test_cli_reports_credential_problems_per_image(
    aws_env, run_verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An ECR host with no AWS credentials: every image says why, no traceback
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("REGISTRY_USERNAME", raising=False)
    result = run_verify("--registry", ECR_HOST, "-o", "json", "nginx:1.27", "Bad Ref")
    assert result.code == 1
    rows = result.by_image()
    assert rows["nginx:1.27"]["verdict"] == "unauthorized"
    assert "no AWS credentials" in rows["nginx:1.27"]["reason"]
    assert rows["Bad Ref"]["verdict"] == "invalid"


def test_ecr_token_for_a_dual_stack_host(aws_env, monkeypatch) -> None:
    """An IPv6 (dual-stack) registry host still gets an ECR token, not anonymous access."""
    monkeypatch.delenv("REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("REGISTRY_PASSWORD", raising=False)
    host = "123456789012.dkr-ecr.af-south-1.on.aws"
    creds = credentials_for(host, None, None)
    assert creds is not None and creds.username == "AWS"
