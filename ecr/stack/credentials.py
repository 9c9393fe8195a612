"""Upstream credentials in Secrets Manager, in the shape ECR requires.

ECR reads a pull-through cache rule's credentials from a secret that must be
named ``ecr-pullthroughcache/<...>``, live in the same account and region, use
the default ``aws/secretsmanager`` key (so no ``kms_key_id`` here) and hold
``{"username", "accessToken"}``.  A secret with no version counts as missing,
so the rule depends on ``version``, not just on the secret.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr import catalogue
from ecr.config.settings import UpstreamCredentials
from ecr.stack.common import TYPE_PREFIX, child, renamed, type_token


@dataclass(frozen=True)
class UpstreamCredentialsSecretArgs:
    credentials: UpstreamCredentials
    tags: Mapping[str, str]


class UpstreamCredentialsSecret(pulumi.ComponentResource):
    """The secret and its (secret-in-state) version for one cache prefix."""

    secret: aws.secretsmanager.Secret
    version: aws.secretsmanager.SecretVersion

    def __init__(self, name: str, args: UpstreamCredentialsSecretArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Registered as "UpstreamCredentials" before the tokens matched the class names.
        super().__init__(type_token(UpstreamCredentialsSecret), name, None,
                         renamed(opts, old_type=f"{TYPE_PREFIX}:UpstreamCredentials"))
        credentials = args.credentials
        upstream = catalogue.by_prefix(credentials.prefix)
        self.secret = aws.secretsmanager.Secret(
            f"{name}-secret",
            name=upstream.secret_name,
            description=f"{upstream.name} credentials for the ECR pull-through cache "
            f"'{upstream.prefix}' (managed by Pulumi; change them with pulumi config set --secret)",
            # The source of truth is the stack's encrypted config, so nothing is lost on
            # delete, and a re-deploy can reuse the name at once.
            recovery_window_in_days=0,
            tags=dict(args.tags),
            opts=child(self),
        )
        # The token is wrapped as a Pulumi secret before it reaches any resource input,
        # so state holds only ciphertext.
        secret_string = pulumi.Output.secret(credentials.token.reveal()).apply(
            lambda token: json.dumps({"username": credentials.username, "accessToken": token})
        )
        self.version = aws.secretsmanager.SecretVersion(
            f"{name}-version",
            secret_id=self.secret.id,
            secret_string=secret_string,
            opts=child(self),
        )
        self.register_outputs({"secret_arn": self.secret.arn})
