"""CachePruner: the pruner (``ecr/pruner``) as an AWS Lambda function on a schedule.

Deletes cached images nobody pulled for ``cacheUnpulledDays`` days (ECR lifecycle policies
cannot: ``ecr/policies/lifecycle.py`` says why).  What it deploys:

* the function: a Python runtime AWS supports, boto3 from the runtime, the code packaged by
  the program from this repository (``ecr.pruner.package.archive_files``: ``ecr/__init__.py``
  and ``ecr/pruner/*.py``, nothing else);
* its role: exactly the four ECR actions on the cache prefixes' repositories and writing to
  its own log group (``ecr.policies.iam.pruner_role_policy``);
* its log group, created by the stack with a retention period (so the role needs no
  ``logs:CreateLogGroup``);
* an EventBridge Scheduler schedule, with a role that may invoke this function only;
* a CloudWatch alarm on the function's ``Errors``, e-mailed (SNS topic + subscriptions) to
  the budget's alert addresses when there are any.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from ecr.policies import iam
from ecr.pruner.package import archive_files
from ecr.stack.common import child, type_token

RUNTIME = "python3.13"
HANDLER = "ecr.pruner.handler.handler"
# A prune of a large cache lists every image of every cached repository: give it the
# Lambda maximum rather than stop half-way.
TIMEOUT_SECONDS = 900
MEMORY_MB = 256
LOG_RETENTION_DAYS = 30
# Lambda reports Errors per minute; one failed run in an hour raises the alarm, which goes
# back to OK on its own (missing data is "not breaching": no run, no error).
ALARM_PERIOD_SECONDS = 3600


def function_name(project: str, stack: str) -> str:
    """``<project>-<stack>-cache-pruner``, in the characters and length Lambda allows."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{project}-{stack}-cache-pruner")[:64]


def code_archive(root: Path) -> pulumi.AssetArchive:
    """The function's code: what ``ecr.pruner.package`` says the pruner needs."""
    return pulumi.AssetArchive({path: pulumi.FileAsset(str(file))
                                for path, file in sorted(archive_files(root).items())})


@dataclass(frozen=True)
class CachePrunerArgs:
    registry: iam.Registry
    cache_prefixes: Sequence[str]
    unpulled_days: int  # cacheUnpulledDays, at least 1
    schedule: str  # pruneSchedule, validated by ecr.config
    function_name: str
    source_root: Path  # the repository root the code is packaged from
    alert_emails: Sequence[str] = ()
    tags: Mapping[str, str] | None = None
    dry_run: bool = False


class CachePruner(pulumi.ComponentResource):
    function: aws.lambda_.Function
    log_group: aws.cloudwatch.LogGroup
    schedule: aws.scheduler.Schedule
    alarm: aws.cloudwatch.MetricAlarm
    alert_topic: aws.sns.Topic | None

    def __init__(self, name: str, args: CachePrunerArgs,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        if args.unpulled_days < 1:
            raise ValueError("the pruner needs cacheUnpulledDays of at least 1")
        role_policy = iam.to_json(iam.pruner_role_policy(
            args.registry, args.cache_prefixes, f"/aws/lambda/{args.function_name}"))
        super().__init__(type_token(CachePruner), name, None, opts)
        tags = dict(args.tags or {})

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{args.function_name}",
            retention_in_days=LOG_RETENTION_DAYS,
            tags=tags,
            opts=child(self),
        )
        role, role_permissions = self._role(
            f"{name}-role", iam.lambda_assume_role_policy(),
            "infra-ecr cache pruner: deletes cached images nobody pulled",
            f"{name}-role-policy", "prune-cached-images", role_policy, tags)
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=args.function_name,
            description=f"Deletes cached images nobody pulled for {args.unpulled_days} days "
            "(infra-ecr)",
            runtime=RUNTIME,
            handler=HANDLER,
            role=role.arn,
            code=code_archive(args.source_root),
            timeout=TIMEOUT_SECONDS,
            memory_size=MEMORY_MB,
            environment=aws.lambda_.FunctionEnvironmentArgs(variables={
                "CACHE_PREFIXES": ",".join(args.cache_prefixes),
                "UNPULLED_DAYS": str(args.unpulled_days),
                "DRY_RUN": "true" if args.dry_run else "false",
            }),
            tags=tags,
            # The log group and the permissions exist before the first run can need them.
            opts=child(self, depends_on=[self.log_group, role_permissions]),
        )

        # Invoke this one function only: its ARN, once known.
        schedule_role, invoke = self._role(
            f"{name}-schedule-role",
            iam.scheduler_assume_role_policy(args.registry.account_id),
            "infra-ecr: lets EventBridge Scheduler invoke the cache pruner",
            f"{name}-schedule-policy", "invoke-cache-pruner",
            self.function.arn.apply(lambda arn: iam.to_json(iam.invoke_function_policy(arn))),
            tags)
        self.schedule = aws.scheduler.Schedule(
            f"{name}-schedule",
            name=args.function_name,
            description=f"Runs the infra-ecr cache pruner ({args.schedule})",
            schedule_expression=args.schedule,
            flexible_time_window=aws.scheduler.ScheduleFlexibleTimeWindowArgs(mode="OFF"),
            target=aws.scheduler.ScheduleTargetArgs(
                arn=self.function.arn,
                role_arn=schedule_role.arn,
                # A failed prune is retried by the next scheduled run, and raises the alarm.
                retry_policy=aws.scheduler.ScheduleTargetRetryPolicyArgs(
                    maximum_retry_attempts=0),
            ),
            state="ENABLED",
            opts=child(self, depends_on=[invoke]),
        )

        self.alert_topic = None
        actions: list[pulumi.Output[str]] = []
        if args.alert_emails:
            self.alert_topic = aws.sns.Topic(
                f"{name}-alerts", name=f"{args.function_name}-alerts", tags=tags,
                opts=child(self))
            for email in args.alert_emails:
                aws.sns.TopicSubscription(
                    f"{name}-alert-{email}",
                    topic=self.alert_topic.arn,
                    protocol="email",
                    endpoint=email,
                    opts=child(self),
                )
            actions = [self.alert_topic.arn]
        self.alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-errors",
            name=f"{args.function_name}-errors",
            alarm_description="The infra-ecr cache pruner failed: see its log group "
            f"/aws/lambda/{args.function_name}",
            namespace="AWS/Lambda",
            metric_name="Errors",
            dimensions={"FunctionName": args.function_name},
            statistic="Sum",
            period=ALARM_PERIOD_SECONDS,
            evaluation_periods=1,
            threshold=0,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
            tags=tags,
            opts=child(self, depends_on=[self.function]),
        )
        self.register_outputs({"function_name": self.function.name,
                               "schedule": args.schedule})

    def _role(self, role_name: str, trust: iam.PolicyDocument, description: str,
              policy_name: str, inline_name: str, policy: pulumi.Input[str],
              tags: Mapping[str, str]) -> tuple[aws.iam.Role, aws.iam.RolePolicy]:
        """A role only ``trust``'s service may assume, with one inline policy."""
        role = aws.iam.Role(
            role_name,
            assume_role_policy=iam.to_json(trust),
            description=description,
            tags=dict(tags),
            opts=child(self),
        )
        permissions = aws.iam.RolePolicy(
            policy_name,
            role=role.id,
            name=inline_name,
            policy=policy,
            opts=child(self),
        )
        return role, permissions
