"""ECR replication of the private repositories to other regions (same account).

One replication configuration per registry and region, like the registry policy.
Replicas are created by ECR in each destination region; a repository filter of
type PREFIX_MATCH per private repository keeps cached repositories out.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ecr.stack.common import TYPE_PREFIX, child

R = aws.ecr  # short alias for the long Args names


class Replication(pulumi.ComponentResource):
    configuration: aws.ecr.ReplicationConfiguration

    def __init__(self, name: str, account_id: str, regions: Sequence[str],
                 repositories: Sequence[str], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Replication", name, None, opts)
        rule = R.ReplicationConfigurationReplicationConfigurationRuleArgs(
            destinations=[
                R.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs(
                    region=region, registry_id=account_id,
                )
                for region in regions
            ],
            repository_filters=[
                R.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs(
                    filter=repository, filter_type="PREFIX_MATCH",
                )
                for repository in repositories
            ],
        )
        self.configuration = aws.ecr.ReplicationConfiguration(
            f"{name}-configuration",
            replication_configuration=R.ReplicationConfigurationReplicationConfigurationArgs(
                rules=[rule],
            ),
            opts=child(self),
        )
        self.register_outputs({"regions": list(regions)})
