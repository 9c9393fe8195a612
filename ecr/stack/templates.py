"""Repository creation templates: what every repository the cache creates gets.

Without a template a cached repository gets no lifecycle policy and no
repository policy.  Templates only apply to repositories created after them;
``scripts/ecr lifecycle apply`` backfills older ones with the same policy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.stack.common import child, type_token


@dataclass(frozen=True)
class CreationTemplatesArgs:
    prefixes: Sequence[str]
    lifecycle_policy_json: str | None  # None: cacheMaxAgeDays and cacheKeepImages both off
    repository_policy_json: str | None  # the cross-account pull policy, when shared


class CreationTemplates(pulumi.ComponentResource):
    """One ``PULL_THROUGH_CACHE`` template per cache prefix: tags MUTABLE (cached tags must
    keep updating), AES256 (KMS would need a custom role), the cache lifecycle policy and,
    when the cache is shared, the cross-account pull policy."""

    templates: dict[str, aws.ecr.RepositoryCreationTemplate]

    def __init__(self, name: str, args: CreationTemplatesArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token(CreationTemplates), name, None, opts)
        self.templates = {}
        for prefix in args.prefixes:
            self.templates[prefix] = aws.ecr.RepositoryCreationTemplate(
                f"{prefix}-template",
                prefix=prefix,
                applied_fors=["PULL_THROUGH_CACHE"],
                description=f"Repositories the '{prefix}' pull-through cache creates "
                "(managed by Pulumi, infra-ecr)",
                image_tag_mutability="MUTABLE",
                encryption_configurations=[
                    aws.ecr.RepositoryCreationTemplateEncryptionConfigurationArgs(
                        encryption_type="AES256",
                    )
                ],
                lifecycle_policy=args.lifecycle_policy_json,
                repository_policy=args.repository_policy_json,
                opts=child(self),
            )
        self.register_outputs({"prefixes": sorted(self.templates)})
