"""Registry-wide basic scanning.  One per registry and region: two stacks in the same
account and region must not both own it."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from ecr.stack.common import TYPE_PREFIX, child


class RegistryScanning(pulumi.ComponentResource):
    """BASIC scanning; on push for every repository when ``scan_on_push``, else manual only."""

    configuration: aws.ecr.RegistryScanningConfiguration

    def __init__(self, name: str, scan_on_push: bool,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:RegistryScanning", name, None, opts)
        rules = [
            aws.ecr.RegistryScanningConfigurationRuleArgs(
                scan_frequency="SCAN_ON_PUSH",
                repository_filters=[
                    aws.ecr.RegistryScanningConfigurationRuleRepositoryFilterArgs(
                        filter="*", filter_type="WILDCARD",
                    )
                ],
            )
        ] if scan_on_push else []
        self.configuration = aws.ecr.RegistryScanningConfiguration(
            f"{name}-configuration",
            scan_type="BASIC",
            rules=rules,
            opts=child(self),
        )
        self.register_outputs({"scan_on_push": scan_on_push})
