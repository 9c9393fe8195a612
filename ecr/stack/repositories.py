"""The custom repositories for the user's own images.

Protected twice against accidental loss: ``protect`` (``pulumi destroy`` refuses)
and ``retain_on_delete`` (removing one from config leaves it in AWS), and never
``force_delete`` (ECR refuses to delete a repository that still has images).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.stack.common import TYPE_PREFIX, child, renamed, type_token

# What existing stacks registered before "custom" became the one word for these repositories.
OLD_TYPE = f"{TYPE_PREFIX}:PrivateRepositories"
OLD_NAME = "private-repositories"


@dataclass(frozen=True)
class CustomRepositoriesArgs:
    names: Sequence[str]
    lifecycle_policy_json: str
    repository_policy_json: str | None  # the cross-account pull policy, when shared
    scan_on_push: bool
    tags: Mapping[str, str]


class CustomRepositories(pulumi.ComponentResource):
    """``Repository`` + ``LifecyclePolicy`` (+ ``RepositoryPolicy`` when shared) per name."""

    repositories: dict[str, aws.ecr.Repository]
    urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: CustomRepositoriesArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token(CustomRepositories), name, None,
                         renamed(opts, old_type=OLD_TYPE, old_name=OLD_NAME))
        self.repositories = {}
        for repo_name in args.names:
            logical = repo_name.replace("/", "-")
            repository = aws.ecr.Repository(
                f"{logical}-repository",
                name=repo_name,
                image_tag_mutability="MUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=args.scan_on_push,
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
                ],
                force_delete=False,
                tags=dict(args.tags),
                opts=child(self, protect=True, retain_on_delete=True),
            )
            aws.ecr.LifecyclePolicy(
                f"{logical}-lifecycle",
                repository=repository.name,
                policy=args.lifecycle_policy_json,
                opts=child(self),
            )
            if args.repository_policy_json is not None:
                aws.ecr.RepositoryPolicy(
                    f"{logical}-policy",
                    repository=repository.name,
                    policy=args.repository_policy_json,
                    opts=child(self),
                )
            self.repositories[repo_name] = repository
        self.urls = {n: r.repository_url for n, r in self.repositories.items()}
        self.register_outputs({"repository_urls": self.urls})
