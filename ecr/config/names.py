"""The shapes AWS accepts for the names and expressions the config holds."""

from __future__ import annotations

import re

# ECR repository names (CreateRepository): 2-256 characters, lowercase path components.
REPOSITORY_NAME_PATTERN = re.compile(
    r"^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$"
)
REPOSITORY_NAME_MAX = 256
# IAM role names (CreateRole): 1-64 of these characters.
ROLE_NAME_PATTERN = re.compile(r"^[\w+=,.@-]{1,64}$")
ROLE_ARN_PATTERN = re.compile(
    r"^arn:aws[\w-]*:iam::\d{12}:role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]{1,64})$"
)
# EKS cluster names (CreateCluster).
CLUSTER_NAME_PATTERN = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
ACCOUNT_ID_PATTERN = re.compile(r"^\d{12}$")
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# EventBridge Scheduler recurring expressions ("Schedule types on EventBridge Scheduler"):
# rate(value unit) with unit minute(s)/hour(s)/day(s), or cron(6 fields).
RATE_PATTERN = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
CRON_PATTERN = re.compile(r"^cron\(([^()]+)\)$")


def repository_name_problem(name: str) -> str | None:
    if not 2 <= len(name) <= REPOSITORY_NAME_MAX:
        return f"must be 2-{REPOSITORY_NAME_MAX} characters long"
    if not REPOSITORY_NAME_PATTERN.match(name):
        return "must be lowercase letters, digits and . _ - separators, '/' between path parts"
    return None


def role_name(item: str) -> str | None:
    """The role name of a role name or role ARN; None when it is neither."""
    arn = ROLE_ARN_PATTERN.match(item)
    if arn:
        return arn.group(1)
    return item if ROLE_NAME_PATTERN.match(item) else None


def schedule_problem(expression: str) -> str | None:
    """Why EventBridge Scheduler would refuse ``expression`` as a recurring schedule."""
    rate = RATE_PATTERN.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1:
            return "a rate needs a value of at least 1"
        if (value == 1) != (not unit.endswith("s")):
            return ("a rate of 1 takes a singular unit (rate(1 day)), any other value a plural "
                    "one (rate(2 days))")
        return None
    cron = CRON_PATTERN.match(expression)
    if cron:
        fields = cron.group(1).split()
        if len(fields) != 6:
            return ("cron() takes six fields: minutes hours day-of-month month day-of-week "
                    "year, e.g. cron(0 3 * * ? *)")
        if "?" not in (fields[2], fields[4]):
            return "cron() needs ? in day-of-month or day-of-week, e.g. cron(0 3 * * ? *)"
        return None
    if expression.startswith("at("):
        return "at() runs once; the pruner needs a recurring rate() or cron() expression"
    return "must be rate(<n> <minutes|hours|days>) or cron(<6 fields>), e.g. rate(1 day)"
