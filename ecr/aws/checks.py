"""``doctor``'s checks, as data: each says pass/warn/fail/skip, what it saw and the fix.

Every check is a function of boto3 clients (injected, so tests mix moto clients
with stubbed ones) returning ``Check`` rows.  Nothing here prints; the command
renders the rows.  The expectations come from ``ecr.catalogue`` (which rules and
which upstream, which secret) and ``ecr.policies.lifecycle`` (what a template should
hold), the same sources the Pulumi program uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from ecr import aws, catalogue
from ecr.aws import node_roles, pages
from ecr.aws.inventory import list_repositories, prefix_of
from ecr.policies import lifecycle
from ecr.policies.iam import Registry, account_principal

PASS = "pass"
WARN = "warn"
FAIL = "fail"
SKIP = "skip"

# What a principal pulling through the cache needs on repository/<prefix>/* (docs/facts.md,
# "Permissions for the first pull"), and on "*" to log in.
CACHE_ACTIONS = (
    "ecr:BatchImportUpstreamImage",
    "ecr:CreateRepository",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)
LOGIN_ACTION = "ecr:GetAuthorizationToken"
RULE_LIMIT_WARNING = 45  # of the hard limit catalogue.MAX_RULES_PER_REGISTRY
# A repository name the simulation uses: any name under the prefix would do.
PROBE_REPOSITORY = "doctor-probe"


@dataclass(frozen=True)
class Check:
    area: str
    name: str
    status: str
    detail: str
    fix: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def failed(checks: Iterable[Check]) -> bool:
    return any(c.status == FAIL for c in checks)


def one_line(text: str, limit: int = 300) -> str:
    """An error message as one short line (some endpoints answer with an HTML page)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def failure_detail(exc: BaseException, action: str) -> str:
    """What went wrong (``ecr.aws.failure``), as a check's detail; the fix goes apart."""
    return one_line(f"{action}: {aws.failure(exc).what}")


def _api_failure(area: str, name: str, exc: BaseException, action: str, permission: str) -> Check:
    found = aws.failure(exc)
    if aws.error_code(exc) in aws.ACCESS_DENIED_CODES:
        fix = f"grant the caller {permission}"
    else:
        fix = found.fix or "retry; if it persists, check AWS status"
    return Check(area, name, FAIL, failure_detail(exc, action), fix)


def parse_registry(url: str) -> tuple[str, str] | None:
    """(account, region) of ``<account>.dkr.ecr.<region>.amazonaws.com``, else None."""
    return catalogue.parse_registry_host(url)


# --- credentials, region, registry -------------------------------------------------


def check_identity(
    sts: Any, region: str, label: str = "AWS credentials"
) -> tuple[Check, str | None]:
    """Who we are; the account id, or None when the credentials do not work."""
    try:
        ident = pages.call(sts.get_caller_identity, "sts:GetCallerIdentity")
        account = str(pages.value(ident, "sts:GetCallerIdentity", "Account"))
        arn = str(pages.value(ident, "sts:GetCallerIdentity", "Arn"))
    except aws.ERRORS as exc:
        return identity_failure(exc, label), None
    detail = f"{arn} (account {account}, region {region})"
    return Check("aws", label, PASS, detail), account


def identity_failure(exc: BaseException, label: str = "AWS credentials") -> Check:
    """The identity check failed (or its client could not be made): what and the fix
    ``ecr.aws.failure`` gives for that cause (an endpoint, a config file, a login)."""
    found = aws.failure(exc)
    return Check("aws", label, FAIL, failure_detail(exc, "sts get-caller-identity"),
                 found.fix or aws.CREDENTIALS_FIX)


def check_registry(account: str, region: str, expected: str | None, source: str) -> Check:
    """The registry these credentials reach, against the one images point at."""
    actual = catalogue.registry_host(account, region)
    if expected is None:
        return Check("registry", "registry URL", PASS, f"{actual} (from the credentials)")
    if expected == actual:
        return Check("registry", "registry URL", PASS, f"{actual} (matches {source})")
    return Check(
        "registry",
        "registry URL",
        FAIL,
        f"{source} says {expected}, but these credentials and region reach {actual}",
        "use the profile/region of the account that owns the cache (--profile, --region), "
        "or fix the registry in your image references (pulumi stack output ecr_registry_url)",
    )


def check_login(ecr: Any, registry: str, region: str, label: str = "registry login") -> Check:
    """The quick-start's "Unauthorized: authentication required": can we get a token?"""
    try:
        pages.call(ecr.get_authorization_token, "ecr:GetAuthorizationToken")
    except aws.ERRORS as exc:
        return _api_failure("registry", label, exc, "ecr get-authorization-token", LOGIN_ACTION)
    return Check(
        "registry",
        label,
        PASS,
        "ecr:GetAuthorizationToken works; 'Unauthorized: authentication required' from docker "
        "means the login expired (tokens last 12 hours): "
        f"aws ecr get-login-password --region {region} | "
        f"docker login --username AWS --password-stdin {registry}",
    )


# --- pull-through cache rules ----------------------------------------------------


def _rules(ecr: Any) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    # a handful of rules: ECR's default page (100) holds them, so no page size is sent
    for found in pages.pages(ecr.describe_pull_through_cache_rules,
                             "DescribePullThroughCacheRules", "pullThroughCacheRules",
                             ("ecrRepositoryPrefix",), size=None):
        rules.extend(found)
    return rules


def credential_fix(upstream: catalogue.Upstream) -> str:
    """The exact commands that put new upstream credentials into the rule's secret."""
    spec = upstream.credentials
    if spec is None:
        return "pulumi up"
    return (
        f"put new credentials in the secret {upstream.secret_name}: "
        f"pulumi config set infra-ecr:{spec.username_key} <username> && "
        f"pulumi config set --secret infra-ecr:{spec.token_key} (paste the token when asked) "
        f"&& pulumi up   # token: {spec.how_to_get}"
    )


def check_rules(ecr: Any, caches: Sequence[str]) -> list[Check]:
    """Each expected rule exists, points upstream right, and validates."""
    try:
        rules = _rules(ecr)
    except aws.ERRORS as exc:
        return [
            _api_failure(
                "rule", "pull-through cache rules", exc, "describe pull-through cache rules",
                "ecr:DescribePullThroughCacheRules",
            )
        ]
    found = {str(r["ecrRepositoryPrefix"]): r for r in rules}
    checks: list[Check] = []
    for prefix in caches:
        name = f"rule {prefix}"
        try:
            upstream = catalogue.by_prefix(prefix)
        except catalogue.UnknownCacheError as exc:
            checks.append(Check("rule", name, FAIL, str(exc), "fix infra-ecr:caches"))
            continue
        rule = found.get(prefix)
        if rule is None:
            checks.append(
                Check(
                    "rule", name, FAIL,
                    f"no pull-through cache rule for {prefix}/ (upstream {upstream.upstream_url}); "
                    f"pulls of <registry>/{prefix}/... fail with 'repository does not exist'",
                    "pulumi up (the stack creates one rule per entry of infra-ecr:caches)",
                )
            )
            continue
        url = str(rule.get("upstreamRegistryUrl", ""))
        if url != upstream.upstream_url:
            checks.append(
                Check(
                    "rule", name, FAIL,
                    f"points at {url}, expected {upstream.upstream_url}",
                    "pulumi up (changing the upstream URL replaces the rule)",
                )
            )
            continue
        if upstream.needs_credentials and not rule.get("credentialArn"):
            checks.append(
                Check(
                    "rule", name, FAIL,
                    f"{upstream.name} needs credentials but the rule has none",
                    credential_fix(upstream),
                )
            )
            continue
        checks.append(_validate(ecr, prefix, upstream))
    unmanaged = sorted(set(found) - set(caches))
    if unmanaged:
        checks.append(
            Check(
                "rule", "other rules", PASS,
                f"rules not declared by this stack (left alone): {', '.join(unmanaged)}",
            )
        )
    if len(rules) >= RULE_LIMIT_WARNING:
        checks.append(
            Check(
                "rule", "rule count", WARN,
                f"{len(rules)} of at most {catalogue.MAX_RULES_PER_REGISTRY} rules per registry",
                "remove unused rules before adding more",
            )
        )
    return checks


def _validate(ecr: Any, prefix: str, upstream: catalogue.Upstream) -> Check:
    name = f"rule {prefix}"
    try:
        answer = pages.call(ecr.validate_pull_through_cache_rule,
                            "ecr:ValidatePullThroughCacheRule", ecrRepositoryPrefix=prefix)
    except aws.ERRORS as exc:
        return Check(
            "rule", name, WARN,
            "exists, but could not be validated: "
            + failure_detail(exc, "validate pull-through cache rule"),
            "grant the caller ecr:ValidatePullThroughCacheRule to check the upstream login",
        )
    if answer.get("isValid"):
        return Check("rule", name, PASS, f"-> {upstream.upstream_url}: upstream reachable"
                     + (", credentials accepted" if upstream.needs_credentials else ""))
    failure = str(answer.get("failure") or "no reason given")
    if upstream.needs_credentials:
        return Check(
            "rule", name, FAIL,
            f"upstream login to {upstream.upstream_url} failed: {failure} "
            f"(secret {upstream.secret_name})",
            credential_fix(upstream),
        )
    return Check(
        "rule", name, FAIL,
        f"ECR cannot use {upstream.upstream_url}: {failure}",
        "check the upstream's status page; the first pull needs the cache's internet route",
    )


# --- repository creation templates -------------------------------------------------


def check_templates(
    ecr: Any, caches: Sequence[str], wanted_policy: lifecycle.PolicyDocument | None
) -> list[Check]:
    """Each cache prefix has a template that keeps tags mutable and sets a lifecycle."""
    try:
        templates: dict[str, dict[str, Any]] = {}
        for found in pages.pages(ecr.describe_repository_creation_templates,
                                 "DescribeRepositoryCreationTemplates",
                                 "repositoryCreationTemplates", ("prefix",), size=None,
                                 prefixes=list(caches)):
            for item in found:
                templates[str(item["prefix"])] = item
    except aws.ERRORS as exc:
        return [
            _api_failure(
                "template", "creation templates", exc, "describe repository creation templates",
                "ecr:DescribeRepositoryCreationTemplates",
            )
        ]
    checks = []
    for prefix in caches:
        checks.append(_template_check(prefix, templates.get(prefix), wanted_policy))
    return checks


def _template_check(
    prefix: str, template: dict[str, Any] | None, wanted: lifecycle.PolicyDocument | None
) -> Check:
    name = f"template {prefix}"
    if template is None:
        return Check(
            "template", name, FAIL,
            f"no creation template for {prefix}/: cached repositories get no lifecycle policy "
            "and keep every image forever",
            f"pulumi up; then python -m ecr lifecycle apply --prefix {prefix} "
            "(repositories cached before the template)",
        )
    if "PULL_THROUGH_CACHE" not in template.get("appliedFor", []):
        return Check(
            "template", name, FAIL, "exists but is not applied for PULL_THROUGH_CACHE", "pulumi up"
        )
    if template.get("imageTagMutability", "MUTABLE") != "MUTABLE":
        return Check(
            "template", name, FAIL,
            f"tags are {template['imageTagMutability']}: cached tags would stop updating",
            "pulumi up (the stack's templates keep tags MUTABLE)",
        )
    encryption = (template.get("encryptionConfiguration") or {}).get("encryptionType", "AES256")
    if (encryption != "AES256" or template.get("resourceTags")) and not template.get(
        "customRoleArn"
    ):
        return Check(
            "template", name, FAIL,
            "uses KMS or resource tags without a customRoleArn: the cache cannot create "
            "repositories",
            "pulumi up (or give the template a role trusted by ecr.amazonaws.com)",
        )
    text = template.get("lifecyclePolicy")
    if not text:
        return Check(
            "template", name, WARN, "no lifecycle policy: cached images are kept forever",
            "pulumi up",
        )
    if wanted is not None and not lifecycle.same_policy(
        str(text), lifecycle.to_json(wanted)
    ):
        return Check(
            "template", name, WARN,
            "lifecycle policy differs from the stack settings (cacheUnpulledDays/cacheKeepImages)",
            f"pulumi up; then python -m ecr lifecycle apply --prefix {prefix} --force",
        )
    return Check("template", name, PASS, "PULL_THROUGH_CACHE, MUTABLE tags, lifecycle policy set")


# --- node roles ----------------------------------------------------------------------


@dataclass(frozen=True)
class RoleRef:
    arn: str | None  # None when the role could not be found
    label: str  # what the user gave: a name, an ARN, or cluster/nodegroup
    problem: str | None = None
    fix: str | None = None  # what to do about ``problem`` (a generic hint when None)


# --- EKS clusters: node roles from ecr.aws.node_roles (the stack uses the same discovery) ---

AWS_AUTH_CHECK = (
    "kubectl -n kube-system get configmap aws-auth -o yaml: every mapRoles entry whose groups "
    "include system:nodes (Fargate: system:node-proxier) is a node role"
)


def cluster_problem(error: node_roles.DiscoveryError) -> RoleRef:
    """Why ``cluster``'s node roles could not be read, and the fix for that cause.

    A missing cluster or a missing EKS permission is not fixed by ``--node-role`` alone; a
    cluster whose roles cannot be seen from AWS is (see ``roles_from_cluster``).
    """
    label = f"cluster {error.cluster}"
    if error.reason == "not_found":
        return RoleRef(
            None, label, f"{error} (this account)",
            f"{error.fix}; a cluster in another region needs --region, one in another "
            "account --role-arn; or fix infra-ecr:eksClusterName",
        )
    if error.reason == "denied":
        return RoleRef(None, label, one_line(str(error)),
                       f"{error.fix}; or name the node roles directly with --node-role ROLE")
    return RoleRef(None, label, one_line(str(error)), error.fix)


def roles_from_cluster(eks: Any, iam: Any, cluster: str) -> tuple[list[RoleRef], list[Check]]:
    """Every role that pulls for ``cluster`` (``ecr.aws.node_roles.discover``), and checks
    saying where each was found and what discovery cannot see (the aws-auth ConfigMap)."""
    try:
        found = node_roles.discover(eks, cluster, iam)
    except node_roles.DiscoveryError as error:
        return [cluster_problem(error)], []
    if not found.roles:
        return [
            RoleRef(
                None, f"cluster {cluster}",
                f"EKS cluster {cluster} has no managed node groups, no Auto Mode node role, no "
                "node access entries and no Fargate profiles (searched: "
                f"{node_roles.sources_searched(found.facts)}): its nodes are self-managed or "
                "Karpenter's, mapped only in the aws-auth ConfigMap, which AWS APIs cannot see",
                "pass the nodes' IAM role with --node-role ROLE (Karpenter: the role of its "
                f"EC2NodeClass; {AWS_AUTH_CHECK}), or set infra-ecr:nodeRoleNames",
            )
        ], []
    refs: list[RoleRef] = []
    for role in found.roles:
        refs.append(RoleRef(role.arn, role.name) if role.arn else role_from_name(iam, role.name))
    detail = "; ".join(f"{r.name} ({r.describe()})" for r in found.roles)
    if found.notes:
        detail += "; notes: " + "; ".join(found.notes)
    checks = [Check("node-role", f"cluster {cluster} node roles", PASS,
                    f"{len(found.roles)} found: {detail}")]
    caveat = node_roles.aws_auth_caveat(
        found, "pulumi config set --path 'infra-ecr:nodeRoleNames[0]' <role>")
    if caveat:
        checks.append(Check(
            "node-role", f"cluster {cluster} aws-auth", WARN, caveat,
            f"check with {AWS_AUTH_CHECK}; check each such role with --node-role ROLE",
        ))
    return refs, checks


def role_from_name(iam: Any, name: str) -> RoleRef:
    if name.startswith("arn:"):
        return RoleRef(name, name.rsplit("/", 1)[-1])
    try:
        answer = pages.call(iam.get_role, "iam:GetRole", RoleName=name)
        return RoleRef(str(pages.value(answer, "iam:GetRole", "Role", "Arn")), name)
    except aws.ERRORS as exc:
        if aws.error_code(exc) == "NoSuchEntity":
            return RoleRef(None, name, f"IAM role {name} does not exist in this account")
        return RoleRef(None, name, failure_detail(exc, f"iam get-role {name}"),
                       aws.failure(exc).fix)


def _denied(iam: Any, role_arn: str, actions: Sequence[str], resource: str,
            resource_policy: str | None, resource_owner: str | None) -> list[tuple[str, str]]:
    """(action, decision) for every action the role may not do on ``resource``."""
    kwargs: dict[str, Any] = {
        "PolicySourceArn": role_arn,
        "ActionNames": list(actions),
        "ResourceArns": [resource],
    }
    if resource_policy:
        kwargs["ResourcePolicy"] = resource_policy
        if resource_owner:
            kwargs["ResourceOwner"] = resource_owner
    missing = []
    for found in pages.pages(iam.simulate_principal_policy, "iam:SimulatePrincipalPolicy",
                             "EvaluationResults", ("EvalActionName", "EvalDecision"),
                             continuation="Marker", size=None, **kwargs):
        for result in found:
            if result.get("EvalDecision") != "allowed":
                missing.append((str(result["EvalActionName"]), str(result["EvalDecision"])))
    return missing


def role_fix(role: RoleRef, role_account: str | None, registry: Registry,
             prefix: str, actions: Sequence[str]) -> str:
    name = role.arn.rsplit("/", 1)[-1] if role.arn else role.label
    scope = registry.cache_arn(prefix)
    if role_account and role_account != registry.account_id:
        return (
            f"in the cache stack: pulumi config set --path 'infra-ecr:pullAccountIds[0]' "
            f"{role_account} && pulumi up; in account {role_account}: allow {name} "
            f"{', '.join(actions)} on {scope}"
        )
    return (
        f"pulumi config set --path 'infra-ecr:nodeRoleNames[0]' {name} && pulumi up "
        f"(the stack gives the role an inline policy: {', '.join(actions)} on {scope}); "
        "AmazonEC2ContainerRegistryReadOnly lacks BatchImportUpstreamImage and CreateRepository, "
        "PullOnly lacks CreateRepository"
    )


def check_role(
    iam: Any,
    role: RoleRef,
    caches: Sequence[str],
    registry: Registry,
    registry_policy: str | None,
) -> list[Check]:
    """Can the role log in, and pull (first pulls included) under every cache prefix?"""
    name = f"node role {role.label}"
    if role.arn is None:
        return [
            Check("node-role", name, FAIL, role.problem or "not found",
                  role.fix or "pass an existing role with --node-role, or fix "
                  "infra-ecr:nodeRoleNames")
        ]
    role_account = role.arn.split(":")[4] if role.arn.count(":") >= 5 else None
    owner = account_principal(registry.partition, registry.account_id)
    checks: list[Check] = []
    try:
        login = _denied(iam, role.arn, [LOGIN_ACTION], "*", None, None)
        if login:
            checks.append(Check(
                "node-role", f"{name} login", FAIL,
                f"{role.arn} may not {LOGIN_ACTION} ({login[0][1]}): kubelet cannot log in, pods "
                "fail with 'Unauthorized: authentication required' / 'no basic auth credentials'",
                role_fix(role, role_account, registry, caches[0] if caches else "*",
                         [LOGIN_ACTION]),
            ))
        for prefix in caches:
            resource = registry.repository_arn(f"{prefix}/{PROBE_REPOSITORY}")
            missing = _denied(iam, role.arn, CACHE_ACTIONS, resource, registry_policy, owner)
            if missing:
                actions = [a for a, _ in missing]
                detail = ", ".join(f"{a} ({d})" for a, d in missing)
                checks.append(Check(
                    "node-role", f"{name} on {prefix}/", FAIL,
                    f"missing {detail}; pods fail on the first pull of a new image "
                    "('repository does not exist' or 'not authorized to perform')",
                    role_fix(role, role_account, registry, prefix, actions),
                ))
    except aws.ERRORS as exc:
        return [_api_failure("node-role", name, exc, "iam simulate-principal-policy",
                             "iam:SimulatePrincipalPolicy (and iam:GetRole)")]
    if not checks:
        checks.append(Check(
            "node-role", name, PASS,
            f"{role.arn} may log in and pull through every cache prefix "
            f"({', '.join(p + '/' for p in caches)}), first pulls included",
        ))
    return checks


def registry_policy_text(ecr: Any) -> tuple[str | None, Check | None]:
    """The registry permissions policy (it can grant the cache actions too), if any."""
    try:
        answer = pages.call(ecr.get_registry_policy, "ecr:GetRegistryPolicy")
        return str(pages.value(answer, "ecr:GetRegistryPolicy", "policyText")), None
    except aws.ERRORS as exc:
        if aws.error_code(exc) == "RegistryPolicyNotFoundException":
            return None, None
        return None, Check(
            "node-role", "registry policy", WARN,
            failure_detail(exc, "ecr get-registry-policy")
            + "; node-role checks count identity policies only",
            "grant the caller ecr:GetRegistryPolicy",
        )


# --- repositories: the quick-start's troubleshooting items -------------------------------


def check_repository_names(ecr: Any, caches: Sequence[str]) -> list[Check]:
    """Names that show a wrong image path: official images without library/, hosts kept."""
    try:
        repos, _pages = list_repositories(ecr)
    except aws.ERRORS as exc:
        return [_api_failure("repositories", "cached repositories", exc,
                             "describe repositories", "ecr:DescribeRepositories")]
    names = [str(r["repositoryName"]) for r in repos]
    checks: list[Check] = []
    hub = catalogue.DOCKER_HUB
    if hub.prefix in caches:
        bare = [n for n in names if prefix_of(n, [hub.prefix]) and n.count("/") == 1]
        if bare:
            shown = ", ".join(bare[:5]) + (" ..." if len(bare) > 5 else "")
            example = bare[0].split("/", 1)[1]
            checks.append(Check(
                "repositories", "library/ paths", WARN,
                f"{shown}: official Docker Hub images need library/ in the path; without it "
                "ECR reports the misleading 'authentication to the upstream registry failed'",
                f"pull {hub.prefix}/{hub.official_namespace}/{example} instead "
                "(scripts/convert-image-url.sh rewrites references), then delete the empty "
                "repository",
            ))
    hosts = {h for u in catalogue.CATALOGUE for h in u.hosts} | set(catalogue.FROZEN_HOSTS)
    with_host = [n for n in names if _kept_host(n, caches, hosts)]
    if with_host:
        checks.append(Check(
            "repositories", "upstream host in path", WARN,
            f"{', '.join(with_host[:5])}: the path keeps the upstream host; the cache prefix "
            "replaces it (docker.io/x -> docker-hub/x)",
            "scripts/convert-image-url.sh <image> prints the right reference",
        ))
    cached = sum(1 for n in names if prefix_of(n, caches))
    checks.append(Check(
        "repositories", "cached repositories", PASS,
        f"{cached} cached, {len(names) - cached} custom; a missing cached repository is "
        "normal before the first pull (the cache creates it, given the node-role permissions)",
    ))
    return checks


def _kept_host(name: str, caches: Sequence[str], hosts: set[str]) -> bool:
    """``docker.io/x`` or ``docker-hub/docker.io/x``: an image host left in the path."""
    prefix = prefix_of(name, caches)
    rest = name[len(prefix) + 1:] if prefix else name
    return rest.split("/", 1)[0] in hosts


# Symptoms from the quick-start's troubleshooting section, answered with what is true.
EXPLANATIONS: tuple[tuple[str, str], ...] = (
    (
        "Repository does not exist",
        "Normal before the first pull only if the image path starts with a cache prefix "
        "(<registry>/docker-hub/...) and the puller may ecr:CreateRepository and "
        "ecr:BatchImportUpstreamImage (see the node-role checks). Also check that the rule for "
        "that prefix exists.",
    ),
    (
        "Unauthorized: authentication required / no basic auth credentials",
        "For docker on your machine: the login token lasts 12 hours; log in again "
        "(aws ecr get-login-password | docker login ...). For pods: the node role needs "
        "ecr:GetAuthorizationToken; no imagePullSecret is needed on EKS.",
    ),
    (
        "authentication to the upstream registry failed",
        "Either the rule's upstream credentials are wrong (see the rule checks and the named "
        "ecr-pullthroughcache/<prefix> secret) or an official Docker Hub image lacks library/ "
        "(docker-hub/library/nginx, not docker-hub/nginx).",
    ),
    (
        "Pods cannot pull (ImagePullBackOff)",
        "kubectl describe pod <pod> shows the registry's error. The quick-start's advice "
        "(AmazonEC2ContainerRegistryReadOnly is enough) is wrong for a pull-through cache: the "
        "first pull needs ecr:BatchImportUpstreamImage and ecr:CreateRepository, which the "
        "node-role checks simulate. The first pull also needs the cache's internet route; a "
        "cluster in another account needs the repository policy the creation templates give.",
    ),
)
