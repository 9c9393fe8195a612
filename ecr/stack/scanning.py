"""Registry-wide basic scanning.  One per registry and region: two stacks in the same
account and region must not both own it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.stack.common import child, type_token


@dataclass(frozen=True)
class RegistryScanningArgs:
    scan_on_push: bool


class RegistryScanning(pulumi.ComponentResource):
    """BASIC scanning; on push for every repository when ``scan_on_push``, else manual only."""

    configuration: aws.ecr.RegistryScanningConfiguration

    def __init__(self, name: str, args: RegistryScanningArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token(RegistryScanning), name, None, opts)
        scan_on_push = args.scan_on_push
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
