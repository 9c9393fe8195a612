"""ECR replication of the custom repositories to other regions (same account).

One replication configuration per registry and region, like the registry policy.
Replicas are created by ECR in each destination region; a repository filter of
type PREFIX_MATCH per custom repository keeps cached repositories out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ecr.stack.common import child, type_token

Rule = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleArgs
Destination = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleDestinationArgs
RepositoryFilter = aws.ecr.ReplicationConfigurationReplicationConfigurationRuleRepositoryFilterArgs


@dataclass(frozen=True)
class ReplicationArgs:
    account_id: str
    regions: Sequence[str]
    repositories: Sequence[str]  # the custom repositories


class Replication(pulumi.ComponentResource):
    configuration: aws.ecr.ReplicationConfiguration

    def __init__(self, name: str, args: ReplicationArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(type_token(Replication), name, None, opts)
        rule = Rule(
            destinations=[Destination(region=region, registry_id=args.account_id)
                          for region in args.regions],
            repository_filters=[RepositoryFilter(filter=repository, filter_type="PREFIX_MATCH")
                                for repository in args.repositories],
        )
        self.configuration = aws.ecr.ReplicationConfiguration(
            f"{name}-configuration",
            replication_configuration=aws.ecr.ReplicationConfigurationReplicationConfigurationArgs(
                rules=[rule],
            ),
            opts=child(self),
        )
        self.register_outputs({"regions": list(args.regions)})
