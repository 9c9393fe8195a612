"""The registry permissions policy that lets other accounts fill the cache.

ECR has exactly one registry policy per registry and region, so this stack owns
it only when it shares the cache (``pullAccountIds`` / ``organizationId``);
otherwise it creates none and leaves any existing one alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.stack.common import TYPE_PREFIX, child, renamed, type_token


@dataclass(frozen=True)
class SharedRegistryPolicyArgs:
    policy_json: str  # ecr.policies.iam.registry_policy, as JSON


class SharedRegistryPolicy(pulumi.ComponentResource):
    policy: aws.ecr.RegistryPolicy

    def __init__(self, name: str, args: SharedRegistryPolicyArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        # Registered as "RegistryPolicy" before the tokens matched the class names.
        super().__init__(type_token(SharedRegistryPolicy), name, None,
                         renamed(opts, old_type=f"{TYPE_PREFIX}:RegistryPolicy"))
        self.policy = aws.ecr.RegistryPolicy(f"{name}-policy", policy=args.policy_json,
                                             opts=child(self))
        self.register_outputs({})
