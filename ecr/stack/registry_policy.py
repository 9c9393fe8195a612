"""The registry permissions policy that lets other accounts fill the cache.

ECR has exactly one registry policy per registry and region, so this stack owns
it only when it shares the cache (``pullAccountIds`` / ``organizationId``);
otherwise it creates none and leaves any existing one alone.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecr.stack.common import TYPE_PREFIX, child


class SharedRegistryPolicy(pulumi.ComponentResource):
    policy: aws.ecr.RegistryPolicy

    def __init__(self, name: str, policy_json: str,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:RegistryPolicy", name, None, opts)
        self.policy = aws.ecr.RegistryPolicy(f"{name}-policy", policy=policy_json,
                                             opts=child(self))
        self.register_outputs({})
