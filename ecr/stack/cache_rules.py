"""One pull-through cache rule per chosen upstream (facts from ``ecr.catalogue``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ecr import catalogue
from ecr.stack.common import child, type_token
from ecr.stack.credentials import UpstreamCredentialsSecret


@dataclass(frozen=True)
class CacheRulesArgs:
    upstreams: Sequence[catalogue.Upstream]
    # cache prefix -> its credentials secret (for the upstreams that need one)
    credentials: Mapping[str, UpstreamCredentialsSecret] = field(default_factory=dict)


class CacheRules(pulumi.ComponentResource):
    """``PullThroughCacheRule`` per upstream; rules needing credentials wait for the secret
    version (a secret without a version counts as missing to ECR)."""

    rules: dict[str, aws.ecr.PullThroughCacheRule]

    def __init__(self, name: str, args: CacheRulesArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token(CacheRules), name, None, opts)
        self.rules = {}
        for upstream in args.upstreams:
            secret = args.credentials.get(upstream.prefix)
            if upstream.needs_credentials and secret is None:
                raise ValueError(f"cache {upstream.prefix!r} needs credentials")
            self.rules[upstream.prefix] = aws.ecr.PullThroughCacheRule(
                f"{upstream.prefix}-rule",
                ecr_repository_prefix=upstream.prefix,
                upstream_registry_url=upstream.upstream_url,
                credential_arn=secret.secret.arn if secret else None,
                opts=child(self, depends_on=[secret.version] if secret else []),
            )
        self.register_outputs({
            "prefixes": sorted(self.rules),
        })
