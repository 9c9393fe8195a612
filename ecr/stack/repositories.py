"""The private repositories for the user's own images.

Protected twice against accidental loss: ``protect`` (``pulumi destroy`` refuses)
and ``retain_on_delete`` (removing one from config leaves it in AWS), and never
``force_delete`` (ECR refuses to delete a repository that still has images).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ecr.stack.common import TYPE_PREFIX, child


class PrivateRepositories(pulumi.ComponentResource):
    """``Repository`` + ``LifecyclePolicy`` (+ ``RepositoryPolicy`` when shared) per name."""

    repositories: dict[str, aws.ecr.Repository]
    urls: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, names: Sequence[str], lifecycle_policy_json: str,
                 repository_policy_json: str | None, scan_on_push: bool,
                 tags: dict[str, str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:PrivateRepositories", name, None, opts)
        self.repositories = {}
        for repo_name in names:
            logical = repo_name.replace("/", "-")
            repository = aws.ecr.Repository(
                f"{logical}-repository",
                name=repo_name,
                image_tag_mutability="MUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=scan_on_push,
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
                ],
                force_delete=False,
                tags=tags,
                opts=child(self, protect=True, retain_on_delete=True),
            )
            aws.ecr.LifecyclePolicy(
                f"{logical}-lifecycle",
                repository=repository.name,
                policy=lifecycle_policy_json,
                opts=child(self),
            )
            if repository_policy_json is not None:
                aws.ecr.RepositoryPolicy(
                    f"{logical}-policy",
                    repository=repository.name,
                    policy=repository_policy_json,
                    opts=child(self),
                )
            self.repositories[repo_name] = repository
        self.urls = {n: r.repository_url for n, r in self.repositories.items()}
        self.register_outputs({"repository_urls": self.urls})
