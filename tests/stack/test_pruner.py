"""CachePruner through the real ``__main__.py`` under mocks: every input of every resource it
declares, in every scenario; the off switch; the archive; the schedule and alarm wiring."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ecr.config.settings import Settings
from ecr.policies import iam
from ecr.pruner.package import archive_files
from ecr.stack.pruner import code_archive, function_name
from tests.conftest import ROOT
from tests.stack.harness import (
    ACCOUNT,
    ProgramRun,
    Resource,
    prefetch,
    run_program,
    settings_of,
    shutdown,
)
from tests.stack.scenarios import GOOD

pytestmark = pytest.mark.timeout(300)

COMPONENT = "infra-ecr:stack:CachePruner"
T_LOGS = "aws:cloudwatch/logGroup:LogGroup"
T_ROLE = "aws:iam/role:Role"
T_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
T_FUNCTION = "aws:lambda/function:Function"
T_SCHEDULE = "aws:scheduler/schedule:Schedule"
T_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
T_TOPIC = "aws:sns/topic:Topic"
T_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ASSET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.fixture(scope="module", autouse=True)
def _runs_in_parallel() -> Iterator[None]:
    prefetch(GOOD.values())
    yield
    shutdown()


def fn_name(run: ProgramRun) -> str:
    return f"infra-ecr-{run.scenario.get('stack', 'prod')}-cache-pruner"


def registry_of(run: ProgramRun) -> iam.Registry:
    return iam.Registry(run.scenario.get("partition", "aws"), run.scenario["region"], ACCOUNT)


def tags_of(run: ProgramRun) -> dict[str, str]:
    return {"managed-by": "pulumi", "pulumi-project": "infra-ecr",
            "pulumi-stack": run.scenario.get("stack", "prod")}


def children(run: ProgramRun) -> list[Resource]:
    [component] = run.of_type(COMPONENT)
    return [r for r in run.resources if r.parent == component.urn]


def child(run: ProgramRun, name: str) -> Resource:
    [found] = [r for r in children(run) if r.name == name]
    return found


def arn_of(run: ProgramRun, name: str) -> str:
    state = child(run, name).state
    assert state is not None
    return str(state["arn"])


def assert_logs(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.name == "cache-pruner-logs"
    assert r.inputs == {"name": f"/aws/lambda/{fn_name(run)}", "retentionInDays": 30,
                        "tags": tags_of(run)}


def assert_role(run: ProgramRun, s: Settings, r: Resource) -> None:
    trust = {"cache-pruner-role": iam.lambda_assume_role_policy(),
             "cache-pruner-schedule-role": iam.scheduler_assume_role_policy(ACCOUNT)}[r.name]
    assert r.json_input("assumeRolePolicy") == trust
    assert set(r.inputs) == {"assumeRolePolicy", "description", "tags"}
    assert r.inputs["tags"] == tags_of(run)


def assert_role_policy(run: ProgramRun, s: Settings, r: Resource) -> None:
    if r.name == "cache-pruner-role-policy":
        assert r.inputs["role"] == "cache-pruner-role-id"
        assert r.inputs["name"] == "prune-cached-images"
        assert r.json_input("policy") == iam.pruner_role_policy(
            registry_of(run), s.caches, f"/aws/lambda/{fn_name(run)}")
    else:
        assert r.name == "cache-pruner-schedule-policy"
        assert r.inputs["role"] == "cache-pruner-schedule-role-id"
        assert r.inputs["name"] == "invoke-cache-pruner"
        # Invoke this function only: its ARN, resolved through Output.apply in the run.
        assert r.json_input("policy") == iam.invoke_function_policy(
            arn_of(run, "cache-pruner-function"))
    assert set(r.inputs) == {"role", "name", "policy"}


def assert_function(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.inputs["name"] == fn_name(run)
    assert r.inputs["runtime"] == "python3.13"
    assert r.inputs["handler"] == "ecr.pruner.handler.handler"
    assert r.inputs["role"] == arn_of(run, "cache-pruner-role")
    assert r.inputs["timeout"] == 900 and r.inputs["memorySize"] == 256
    assert r.inputs["environment"] == {"variables": {
        "CACHE_PREFIXES": ",".join(s.caches), "UNPULLED_DAYS": str(s.cache_unpulled_days),
        "DRY_RUN": "true" if s.prune_dry_run else "false"}}
    assets = r.raw_inputs["code"]["assets"]
    assert {path: Path(a["path"]) for path, a in assets.items()} == archive_files(ROOT)
    assert r.inputs["tags"] == tags_of(run)
    assert str(s.cache_unpulled_days) in r.inputs["description"]
    assert {child(run, "cache-pruner-logs").urn,
            child(run, "cache-pruner-role-policy").urn} <= set(r.dependencies)
    assert set(r.inputs) == {"name", "description", "runtime", "handler", "role", "code",
                             "timeout", "memorySize", "environment", "tags"}


def assert_schedule(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.inputs == {
        "name": fn_name(run),
        "description": f"Runs the infra-ecr cache pruner ({s.prune_schedule})",
        "scheduleExpression": s.prune_schedule,
        "flexibleTimeWindow": {"mode": "OFF"},
        "target": {"arn": arn_of(run, "cache-pruner-function"),
                   "roleArn": arn_of(run, "cache-pruner-schedule-role"),
                   "retryPolicy": {"maximumRetryAttempts": 0}},
        "state": "ENABLED",
    }
    assert child(run, "cache-pruner-schedule-policy").urn in r.dependencies


def assert_alarm(run: ProgramRun, s: Settings, r: Resource) -> None:
    actions = [arn_of(run, "cache-pruner-alerts")] if s.budget_alert_emails else []
    expected = {
        "name": f"{fn_name(run)}-errors",
        "alarmDescription": "The infra-ecr cache pruner failed: see its log group "
                            f"/aws/lambda/{fn_name(run)}",
        "namespace": "AWS/Lambda", "metricName": "Errors",
        "dimensions": {"FunctionName": fn_name(run)}, "statistic": "Sum", "period": 3600,
        "evaluationPeriods": 1, "threshold": 0, "comparisonOperator": "GreaterThanThreshold",
        "treatMissingData": "notBreaching", "tags": tags_of(run),
        "alarmActions": actions, "okActions": actions}
    assert r.inputs == expected


def assert_topic(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert s.budget_alert_emails
    assert r.inputs == {"name": f"{fn_name(run)}-alerts", "tags": tags_of(run)}


def assert_subscription(run: ProgramRun, s: Settings, r: Resource) -> None:
    assert r.inputs["endpoint"] in s.budget_alert_emails
    assert r.name == f"cache-pruner-alert-{r.inputs['endpoint']}"
    assert r.inputs == {"topic": arn_of(run, "cache-pruner-alerts"), "protocol": "email",
                        "endpoint": r.inputs["endpoint"]}


CHECKERS: dict[str, Callable[[ProgramRun, Settings, Resource], None]] = {
    T_LOGS: assert_logs, T_ROLE: assert_role, T_ROLE_POLICY: assert_role_policy,
    T_FUNCTION: assert_function, T_SCHEDULE: assert_schedule, T_ALARM: assert_alarm,
    T_TOPIC: assert_topic, T_SUBSCRIPTION: assert_subscription,
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_every_pruner_input_is_checked(name: str) -> None:
    run = run_program(GOOD[name]).expect_ok()
    s = settings_of(run)
    if not s.prunes:
        assert not run.of_type(COMPONENT)
        assert not [r for r in run.resources if r.type in CHECKERS and r.type != T_ROLE_POLICY]
        assert "pruner_function_name" not in run.outputs
        return
    found = children(run)
    for resource in found:
        assert resource.type in CHECKERS, f"no checker for {resource.type}: add one"
        CHECKERS[resource.type](run, s, resource)
    counts = {t: sum(r.type == t for r in found) for t in CHECKERS}
    emails = len(s.budget_alert_emails)
    assert counts == {T_LOGS: 1, T_ROLE: 2, T_ROLE_POLICY: 2, T_FUNCTION: 1, T_SCHEDULE: 1,
                      T_ALARM: 1, T_TOPIC: 1 if emails else 0, T_SUBSCRIPTION: emails}
    assert run.outputs["pruner_function_name"] == fn_name(run)


def test_the_off_switch() -> None:
    run = run_program(GOOD["pruning-off"]).expect_ok()
    assert settings_of(run).cache_unpulled_days == 0
    assert not run.of_type(COMPONENT) and not run.of_type(T_FUNCTION)
    assert not run.of_type(T_SCHEDULE) and not run.of_type(T_ALARM)


def test_alarm_wiring_with_and_without_emails() -> None:
    without = run_program(GOOD["defaults"]).expect_ok()
    assert without.one(T_ALARM).inputs["alarmActions"] == []
    assert not without.of_type(T_TOPIC)
    with_budget = run_program(GOOD["budget"]).expect_ok()
    assert with_budget.one(T_ALARM).inputs["alarmActions"] == [
        f"arn:aws:sns:af-south-1:{ACCOUNT}:infra-ecr-prod-cache-pruner-alerts"]
    alone = run_program(GOOD["alerts-without-budget"]).expect_ok()
    assert sorted(r.inputs["endpoint"] for r in alone.of_type(T_SUBSCRIPTION)) == [
        "dev@example.com", "ops@example.com"]
    assert alone.one(T_SCHEDULE).inputs["scheduleExpression"] == "rate(12 hours)"


def test_the_archive_holds_the_pruner_and_nothing_else() -> None:
    files = archive_files(ROOT)
    assert "ecr/__init__.py" in files and "ecr/pruner/package.py" in files
    assert all(p == "ecr/__init__.py" or (p.startswith("ecr/pruner/") and p.endswith(".py")
                                          and p.count("/") == 2) for p in files)
    assert all(path.is_file() and path == ROOT / name for name, path in files.items())
    archive = code_archive(ROOT)
    assert sorted(archive.assets) == sorted(files)
    # Every .py under ecr/pruner is shipped (the handler imports its siblings).
    assert {f"ecr/pruner/{p.name}" for p in (ROOT / "ecr" / "pruner").glob("*.py")} <= set(files)


def test_function_name_fits_lambda() -> None:
    assert function_name("infra-ecr", "prod") == "infra-ecr-prod-cache-pruner"
    name = function_name("infra-ecr", "team.eu/" + "x" * 80)
    assert len(name) == 64 and set(name) <= set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def test_inputs_were_resolved_in_the_run() -> None:
    """The schedule's policy is built in Output.apply: the run resolved it to the ARN."""
    run = run_program(GOOD["defaults"]).expect_ok()
    policy = json.loads(run.one(T_ROLE_POLICY, "cache-pruner-schedule-policy").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == [
        f"arn:aws:lambda:af-south-1:{ACCOUNT}:function:infra-ecr-prod-cache-pruner"]


def test_a_stack_that_set_the_old_key_keeps_working() -> None:
    """cacheUnpulledDays used to be the policy's age since caching: such a stack deploys, the
    value now drives the pruner, and the templates' policy takes the cacheMaxAgeDays default
    (an in-place update of their lifecyclePolicy: their URNs do not change, test_aliases.py)."""
    run = run_program(GOOD["config-from-environment"]).expect_ok()
    assert run.scenario["config"]["cacheUnpulledDays"] == "45"
    assert "cacheMaxAgeDays" not in run.scenario["config"]
    variables = run.one(T_FUNCTION).inputs["environment"]["variables"]
    assert variables["UNPULLED_DAYS"] == "45"
    for template in run.of_type("aws:ecr/repositoryCreationTemplate:RepositoryCreationTemplate"):
        (rule,) = template.json_input("lifecyclePolicy")["rules"]
        assert rule["selection"]["countNumber"] == 365
        assert rule["description"].startswith("Safety limit: expire cached images 365 days")


def test_a_dry_run_stack_deploys_a_pruner_that_deletes_nothing() -> None:
    run = run_program(GOOD["prune-dry-run"]).expect_ok()
    variables = run.one(T_FUNCTION).inputs["environment"]["variables"]
    assert variables["DRY_RUN"] == "true" and variables["UNPULLED_DAYS"] == "30"
    default = run_program(GOOD["defaults"]).expect_ok()
    assert default.one(T_FUNCTION).inputs["environment"]["variables"]["DRY_RUN"] == "false"
