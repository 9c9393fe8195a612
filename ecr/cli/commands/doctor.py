"""``ecr doctor``: check the cache end to end and explain why pulls fail.

Credentials and region, the registry URL, every expected pull-through cache rule
(existence, upstream, ``ValidatePullThroughCacheRule``), the creation templates,
the node roles (IAM ``SimulatePrincipalPolicy``: inline, managed and boundary
policies all count) and repository names that show a wrong image path.  Each check
prints pass/warn/fail/skip and, when it is not a pass, the exact fix.  Exit 1 when
any check fails.

Cross-account: run with the cache account's credentials and ``--role-arn`` of a
role in the consuming (cluster) account; node roles and EKS are then read there.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecr import aws, catalogue
from ecr.aws import checks as ops_checks
from ecr.aws import clients, sessions
from ecr.aws.checks import FAIL, PASS, SKIP, WARN, Check
from ecr.cli import image_options, ops_options
from ecr.cli.output import add_output_argument, print_json
from ecr.config import outputs, stackfile
from ecr.errors import UsageError
from ecr.policies import iam, lifecycle


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Exit status: 0 when no check fails (warnings allowed), 1 when any check fails, 2 for"
        " bad usage. Checks: credentials and region, registry URL and login, each pull-"
        "through cache rule (exists, upstream, ValidatePullThroughCacheRule), creation "
        "templates, node roles (IAM SimulatePrincipalPolicy), repository names (library/ and "
        "host mistakes)."
    )
    parser.add_argument(
        "--node-role",
        action="append",
        default=[],
        metavar="ROLE",
        help="IAM role name or ARN of the nodes that pull (repeatable)",
    )
    parser.add_argument(
        "--cluster", action="append", default=[], metavar="NAME",
        help="EKS cluster whose node roles are checked: managed node groups, Auto Mode, node "
        "access entries (Karpenter, self-managed), Fargate profiles (repeatable)",
    )
    parser.add_argument(
        "--cache",
        action="append",
        metavar="PREFIX",
        help="expected cache prefix (repeatable; default: the stack file's caches, else "
        + ", ".join(catalogue.DEFAULT_CACHES) + ")",
    )
    ops_options.add_stack_file_argument(
        parser, "caches, nodeRoleNames, eksClusterName and the cache lifecycle"
    )
    image_options.add_registry_arguments(
        parser,
        registry_help="the registry images point at (default: $ECR_REGISTRY, else the stack "
        "output ecr_registry_url)",
        stack_help="stack to read outputs and (without --stack-file) Pulumi.<NAME>.yaml from "
        "(default: the selected stack's outputs, and Pulumi.prod.yaml)",
    )
    parser.add_argument(
        "--role-arn",
        metavar="ARN",
        help="assume this role in the consuming (cluster) account and check its node roles "
        "and login from there",
    )
    ops_options.add_aws_arguments(parser)
    add_output_argument(parser)


@dataclass
class Options:
    caches: list[str]
    node_roles: list[str] = field(default_factory=list)
    clusters: list[str] = field(default_factory=list)
    expected_registry: str | None = None
    registry_source: str = ""
    wanted_policy: lifecycle.PolicyDocument | None = None
    stack_file: Path | None = None  # the Pulumi.<stack>.yaml the settings came from


def options(args: argparse.Namespace) -> Options:
    stack = ops_options.stack_settings(args)
    caches = list(args.cache or (stack.caches if stack else catalogue.DEFAULT_CACHES))
    ops_options.validate_prefixes("--cache", caches)
    roles = list(args.node_role)
    clusters = list(args.cluster)
    wanted = None
    if stack:
        if not roles and not clusters:
            roles = list(stack.node_role_names)
            clusters = [stack.eks_cluster_name] if stack.eks_cluster_name else []
        try:
            wanted = stackfile.cache_policy_settings(stack).policy()
        except lifecycle.PolicyValueError as exc:
            raise UsageError(f"{stack.path}: {exc}") from None
    opts = Options(caches=caches, node_roles=roles, clusters=clusters, wanted_policy=wanted,
                   stack_file=stack.path if stack else None)
    if args.registry or os.environ.get("ECR_REGISTRY") or args.stack:
        try:
            target = outputs.resolve(args.registry, args.stack)
        except outputs.BadRegistry as exc:  # given, but not a registry: say so
            raise UsageError(str(exc)) from None
        except outputs.RegistryNotFound:
            target = None
        if target:
            if ops_checks.parse_registry(target.registry) is None:
                raise UsageError(
                    f"registry {target.registry!r} ({target.source}) is not "
                    "<account>.dkr.ecr.<region>.amazonaws.com"
                )
            opts.expected_registry, opts.registry_source = target.registry, target.source
    else:
        url = outputs.stack_outputs().get("ecr_registry_url")
        if isinstance(url, str) and ops_checks.parse_registry(url):
            opts.expected_registry, opts.registry_source = url, "pulumi stack output"
    return opts


def run(args: argparse.Namespace) -> int:
    opts = options(args)
    base, region = ops_options.aws_clients(args)
    consumer: clients.Clients | None = None
    pre: list[Check] = []
    if opts.stack_file is not None:
        pre.append(Check("stack", "stack file", PASS, f"settings from {opts.stack_file}"))
    if args.role_arn:
        try:
            assumed = sessions.assume_role_session(base.botocore_session(), args.role_arn,
                                                   "infra-ecr-doctor")
            consumer = clients.Clients(session=assumed)
            pre.append(Check("aws", "assume consuming role", PASS, args.role_arn))
        except aws.ERRORS as exc:
            pre.append(Check(
                "aws", "assume consuming role", FAIL,
                ops_checks.failure_detail(exc, f"sts assume-role {args.role_arn}"),
                aws.failure(exc).fix or "the role must trust the caller (sts:AssumeRole), or "
                "run with --profile of the consuming account",
            ))
    assume_failed = ops_checks.failed(pre)
    checks = pre + diagnose(base, region, opts, consumer, skip_consumer=assume_failed)
    print_report(checks, args.output)
    return 1 if ops_checks.failed(checks) else 0


def _identity(side: clients.Clients, region: str,
              label: str = "AWS credentials") -> tuple[Check, str | None]:
    """``check_identity``, and a failing check too when the STS client cannot even be made
    (making it resolves the credentials: a credential_process or profile chain fails here)."""
    try:
        sts = side.sts
    except aws.ERRORS as exc:
        return ops_checks.identity_failure(exc, label), None
    return ops_checks.check_identity(sts, region, label)


def diagnose(
    base: clients.Clients,
    region: str,
    opts: Options,
    consumer: clients.Clients | None = None,
    skip_consumer: bool = False,
) -> list[Check]:
    """Every check, in the order a person would debug: who, where, rules, roles."""
    checks: list[Check] = []
    ident, account = _identity(base, region)
    checks.append(ident)
    if account is None:
        checks.append(Check("registry", "everything else", SKIP, "needs working AWS credentials"))
        return checks
    checks.append(
        ops_checks.check_registry(account, region, opts.expected_registry, opts.registry_source)
    )
    registry_account = account
    if opts.expected_registry:
        parsed = ops_checks.parse_registry(opts.expected_registry)
        if parsed:
            registry_account = parsed[0]
    registry = catalogue.registry_host(registry_account, region)
    owner = registry_account == account
    # The side the nodes live on: the assumed role's account, else the caller's.
    side = consumer or base
    if consumer is not None:
        consumer_ident, _ = _identity(consumer, region, "consuming account credentials")
        checks.append(consumer_ident)
    if not skip_consumer:
        checks.append(ops_checks.check_login(side.ecr, registry, region))
    registry_policy: str | None = None
    if owner:
        checks += ops_checks.check_rules(base.ecr, opts.caches)
        checks += ops_checks.check_templates(base.ecr, opts.caches, opts.wanted_policy)
        checks += ops_checks.check_repository_names(base.ecr, opts.caches)
        registry_policy, problem = ops_checks.registry_policy_text(base.ecr)
        if problem:
            checks.append(problem)
    else:
        checks.append(Check(
            "rule", "rules and templates", SKIP,
            f"the registry is in account {registry_account}, these credentials are account "
            f"{account}",
            "run with the cache account's profile (--profile) and --role-arn for this account",
        ))
    if skip_consumer:
        checks.append(Check("node-role", "node roles", SKIP, "the consuming role was not assumed"))
        return checks
    checks += node_role_checks(side, opts, registry_account, region, registry_policy)
    return checks


def node_role_checks(
    side: clients.Clients,
    opts: Options,
    registry_account: str,
    region: str,
    registry_policy: str | None,
) -> list[Check]:
    refs = [ops_checks.role_from_name(side.iam, name) for name in opts.node_roles]
    found: list[Check] = []
    for cluster in opts.clusters:
        cluster_refs, cluster_checks = ops_checks.roles_from_cluster(side.eks, side.iam, cluster)
        refs += cluster_refs
        found += cluster_checks
    if not refs:
        return [Check(
            "node-role", "node roles", SKIP,
            "no node roles given, so the first-pull permissions were not checked",
            "pass --node-role ROLE or --cluster NAME, or set nodeRoleNames or eksClusterName "
            "in the stack (Pulumi.<stack>.yaml, read by default)",
        )]
    seen: set[str] = set()
    checks: list[Check] = found
    for ref in refs:
        key = ref.arn or ref.label
        if key in seen:
            continue
        seen.add(key)
        checks += ops_checks.check_role(
            side.iam, ref, opts.caches, iam.registry_in(region, registry_account), registry_policy
        )
    return checks


def print_report(checks: list[Check], output: str) -> None:
    counts = Counter(c.status for c in checks)
    if output == "json":
        data: dict[str, Any] = {
            "ok": not ops_checks.failed(checks),
            "summary": {s: counts.get(s, 0) for s in (PASS, WARN, FAIL, SKIP)},
            "checks": [c.as_dict() for c in checks],
            "explanations": [
                {"symptom": s, "explanation": e} for s, e in ops_checks.EXPLANATIONS
            ],
        }
        print_json(data)
        return
    print(format_report(checks))


def format_report(checks: list[Check]) -> str:
    counts = Counter(c.status for c in checks)
    area_w = max((len(c.area) for c in checks), default=4)
    name_w = max((len(c.name) for c in checks), default=4)
    lines = []
    for check in checks:
        lines.append(
            f"{check.status.upper():<4}  {check.area:<{area_w}}  {check.name:<{name_w}}  "
            f"{check.detail}"
        )
        if check.fix and check.status != PASS:
            lines.append(f"{'':<4}  {'':<{area_w}}  {'fix:':<{name_w}}  {check.fix}")
    lines.append("")
    lines.append(
        f"{counts.get(PASS, 0)} passed, {counts.get(WARN, 0)} warnings, "
        f"{counts.get(FAIL, 0)} failed, {counts.get(SKIP, 0)} skipped"
    )
    lines.append("")
    lines.append("Common symptoms:")
    for symptom, explanation in ops_checks.EXPLANATIONS:
        lines.append(f"- \"{symptom}\": {explanation}")
    return "\n".join(lines)
