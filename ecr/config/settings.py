"""The stack's configuration: parse and validate ``infra-ecr:*`` config values.

Pure on purpose (no Pulumi import): ``__main__.py`` reads the raw values and
hands them here, so every bad value fails *before* a single resource is
registered, and tests can check every rule without a Pulumi runtime.

Raw values arrive the way Pulumi gives them to a program: strings, with arrays
as JSON text (``pulumi config set --path 'infra-ecr:caches[0]' quay`` stores an
array), booleans as ``"true"``/``"false"``.  Already-parsed Python values (lists,
bools, ints) are accepted too.

Every problem is reported at once, each naming its key and the exact
``pulumi config`` command that fixes it.
"""

from __future__ import annotations

import difflib
import json
import re
import shlex
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from ecr import catalogue

NAMESPACE = "infra-ecr"

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

DEFAULT_CUSTOM_REPOSITORIES: tuple[str, ...] = ("custom-apps",)
DEFAULT_CACHE_UNPULLED_DAYS = 90
DEFAULT_CACHE_KEEP_IMAGES = 0
DEFAULT_CUSTOM_KEEP_IMAGES = 30
# AWS Budgets: one notification has at most 10 email subscribers.
MAX_BUDGET_EMAILS = 10
# ECR replication: at most 25 destinations per registry.
MAX_REPLICATION_REGIONS = 25


@dataclass(frozen=True)
class KeySpec:
    """One config key as users see it (Pulumi.yaml's ``config:`` block mirrors this)."""

    name: str
    type: str  # Pulumi project config type: string, integer, boolean, array (of string)
    default: object
    description: str
    secret: bool = False


def _key_specs() -> tuple[KeySpec, ...]:
    caches = ", ".join(catalogue.DEFAULT_CACHES)
    return (
        KeySpec("caches", "array", list(catalogue.DEFAULT_CACHES),
                f"Upstreams to cache, by cache prefix: {caches}."),
        KeySpec("dockerHubUsername", "string", "",
                "Docker Hub user name; required when docker-hub is cached."),
        KeySpec("dockerHubAccessToken", "string", "",
                "Docker Hub access token (set with --secret); required when docker-hub is cached.",
                secret=True),
        KeySpec("githubUsername", "string", "",
                "GitHub user name; required when github is cached."),
        KeySpec("githubToken", "string", "",
                "GitHub token with read:packages (set with --secret); required when github is "
                "cached.", secret=True),
        KeySpec("customRepositories", "array", list(DEFAULT_CUSTOM_REPOSITORIES),
                "Private ECR repositories for your own images."),
        # ECR lifecycle rules cannot expire on the last pull time, and one rule at most
        # applies to an image (ecr/policies/lifecycle.py says why).
        KeySpec("cacheUnpulledDays", "integer", DEFAULT_CACHE_UNPULLED_DAYS,
                "Cached images expire this many days after ECR cached them (at least 1); "
                "a later pull fetches them again from upstream."),
        KeySpec("cacheKeepImages", "integer", DEFAULT_CACHE_KEEP_IMAGES,
                "Keep only the newest N images per cached repository, instead of expiring "
                "them by age; 0 means off."),
        KeySpec("customKeepImages", "integer", DEFAULT_CUSTOM_KEEP_IMAGES,
                "Tagged images kept per private repository (at least 1)."),
        KeySpec("nodeRoleNames", "array", [],
                "IAM role names (or ARNs) of the EKS nodes that pull through the cache."),
        KeySpec("eksClusterName", "string", "",
                "EKS cluster whose managed node groups' roles get pull access; empty = none."),
        KeySpec("scanOnPush", "boolean", True,
                "Basic image scanning on push for the registry and the private repositories."),
        KeySpec("pullAccountIds", "array", [],
                "Other AWS account IDs (12 digits) whose principals may pull through the cache."),
        KeySpec("organizationId", "string", "",
                "AWS Organizations ID (o-...) whose principals may pull through the cache."),
        KeySpec("replicationRegions", "array", [],
                "Regions the private repositories replicate to (ECR replication)."),
        KeySpec("monthlyBudgetUsd", "string", "",
                "Monthly AWS Budget for ECR in USD (a number, e.g. 25 or 12.50); empty = none."),
        KeySpec("budgetAlertEmails", "array", [],
                "Email addresses the budget alerts go to; required with monthlyBudgetUsd."),
        KeySpec("dashboard", "boolean", True,
                "Create a CloudWatch dashboard for the registry."),
    )


KEYS: tuple[KeySpec, ...] = _key_specs()
KEY_NAMES: frozenset[str] = frozenset(k.name for k in KEYS)
SECRET_KEYS: frozenset[str] = frozenset(k.name for k in KEYS if k.secret)


class SecretText:
    """A secret string whose ``repr``/``str`` never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretText('[secret]')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    fix: str  # the exact command(s) that fix it

    def __str__(self) -> str:
        return f"{NAMESPACE}:{self.key}: {self.message}\n    fix: {self.fix}"


class ConfigError(ValueError):
    """One or more bad config values; ``problems`` says which and how to fix each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        lines = [f"invalid stack configuration ({len(self.problems)} problem(s)):"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def key(self) -> str:
        return self.problems[0].key

    @property
    def fix(self) -> str:
        return self.problems[0].fix


@dataclass(frozen=True)
class UpstreamCredentials:
    """Credentials for one cache prefix; the token stays wrapped."""

    prefix: str
    username: str
    token: SecretText


@dataclass(frozen=True)
class Settings:
    """Validated stack settings.  Field docs: see ``KEYS``."""

    caches: tuple[str, ...] = catalogue.DEFAULT_CACHES
    credentials: tuple[UpstreamCredentials, ...] = ()
    custom_repositories: tuple[str, ...] = DEFAULT_CUSTOM_REPOSITORIES
    cache_unpulled_days: int = DEFAULT_CACHE_UNPULLED_DAYS
    cache_keep_images: int = DEFAULT_CACHE_KEEP_IMAGES
    custom_keep_images: int = DEFAULT_CUSTOM_KEEP_IMAGES
    node_role_names: tuple[str, ...] = ()
    eks_cluster_name: str | None = None
    scan_on_push: bool = True
    pull_account_ids: tuple[str, ...] = ()
    organization_id: str | None = None
    replication_regions: tuple[str, ...] = ()
    monthly_budget_usd: Decimal | None = None
    budget_alert_emails: tuple[str, ...] = ()
    dashboard: bool = True
    # Things worth telling the user that are not errors.
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def upstreams(self) -> tuple[catalogue.Upstream, ...]:
        return tuple(catalogue.by_prefix(p) for p in self.caches)

    @property
    def shares_cache(self) -> bool:
        """True when other accounts or an organisation may pull (issue 6)."""
        return bool(self.pull_account_ids or self.organization_id)

    def credentials_for(self, prefix: str) -> UpstreamCredentials | None:
        for creds in self.credentials:
            if creds.prefix == prefix:
                return creds
        return None


# --- fix commands ---------------------------------------------------------------------------


def set_command(key: str, value: str, *, secret: bool = False) -> str:
    flag = "--secret " if secret else ""
    return f"pulumi config set {flag}{NAMESPACE}:{key} {shlex.quote(value)}"


def rm_command(key: str) -> str:
    return f"pulumi config rm {NAMESPACE}:{key}"


def set_list_command(key: str, values: Iterable[str]) -> str:
    """Replace a whole array: top-level ``config set`` stores strings, so use ``--path``."""
    parts = [rm_command(key)]
    parts += [
        f"pulumi config set --path {shlex.quote(f'{NAMESPACE}:{key}[{i}]')} "
        f"{'--type string ' if v.isdigit() else ''}{shlex.quote(v)}"
        for i, v in enumerate(values)
    ]
    return " && ".join(parts)


# --- parsing helpers --------------------------------------------------------------------------


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def add(self, key: str, message: str, fix: str) -> None:
        self.problems.append(Problem(key, message, fix))


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _string(raw: Mapping[str, object], key: str, out: _Collector) -> str | None:
    value = raw.get(key)
    if _blank(value):
        return None
    if not isinstance(value, str):
        out.add(key, f"must be a string, got {value!r}", set_command(key, "<value>"))
        return None
    return value.strip()


def _integer(raw: Mapping[str, object], key: str, default: int, minimum: int,
             out: _Collector) -> int:
    value = raw.get(key)
    if _blank(value):
        return default
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        number = int(value.strip())
    if number is None:
        out.add(key, f"must be a whole number, got {value!r}", set_command(key, str(default)))
        return default
    if number < minimum:
        lowest = "0 (off) or more" if minimum == 0 else f"at least {minimum}"
        out.add(key, f"must be {lowest}, got {number}",
                set_command(key, str(max(default, minimum))))
        return default
    return number


def _boolean(raw: Mapping[str, object], key: str, default: bool, out: _Collector) -> bool:
    value = raw.get(key)
    if _blank(value):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    out.add(key, f"must be true or false, got {value!r}", set_command(key, str(default).lower()))
    return default


def _string_list(raw: Mapping[str, object], key: str, default: tuple[str, ...],
                 out: _Collector, *, allow_ints: bool = False,
                 correct: Callable[[list[str]], list[str]] = list) -> tuple[str, ...] | None:
    """The array's items as strings, or None (with a problem recorded) when unusable.

    ``correct`` turns guessed items into the ones the fix command should set.
    """
    value = raw.get(key)
    if _blank(value):
        return default
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            # ``pulumi config set infra-ecr:caches quay,k8s`` stores one plain string.
            guess = [part for part in re.split(r"[,\s]+", value) if part]
            out.add(key, f"must be a list of strings, got the plain string {value!r}",
                    set_list_command(key, correct(guess)))
            return None
    if not isinstance(value, list):
        out.add(key, f"must be a list of strings, got {value!r}", set_list_command(key, default))
        return None
    items: list[str] = []
    for item in value:
        if isinstance(item, str):
            items.append(item.strip())
        elif allow_ints and isinstance(item, int) and not isinstance(item, bool) and item >= 0:
            # ``config set --path ... 012345678901`` stores a number and drops the leading
            # zero; account IDs are always 12 digits, so pad it back.
            items.append(f"{item:012d}")
        else:
            out.add(key, f"every item must be a string, got {item!r}",
                    set_list_command(key, [str(i) for i in value]))
            return None
    return tuple(items)


def _duplicates(items: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    dupes: list[str] = []
    for item in items:
        if item in seen and item not in dupes:
            dupes.append(item)
        seen.add(item)
    return dupes


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- one function per key group ---------------------------------------------------------------


def _closest_caches(items: list[str]) -> list[str]:
    known = catalogue.DEFAULT_CACHES
    fixed = [item if item in known else next(iter(difflib.get_close_matches(item, known, n=1)), "")
             for item in items]
    return _unique(f for f in fixed if f)


def _caches(raw: Mapping[str, object], out: _Collector) -> tuple[str, ...]:
    items = _string_list(raw, "caches", catalogue.DEFAULT_CACHES, out, correct=_closest_caches)
    if items is None:
        return ()
    known = catalogue.DEFAULT_CACHES
    bad = [item for item in items if item not in known]
    fixed = _closest_caches(list(items))
    if bad:
        unsupported = ", ".join(catalogue.OTHER_ECR_UPSTREAMS)
        out.add("caches",
                f"unknown cache(s) {', '.join(map(repr, bad))}; known caches: {', '.join(known)} "
                f"(ECR also supports {unsupported}, not declared in this stack)",
                set_list_command("caches", _unique(fixed)))
    dupes = _duplicates(items)
    if dupes:
        out.add("caches", f"listed more than once: {', '.join(dupes)}",
                set_list_command("caches", _unique(fixed)))
    if len(items) > catalogue.MAX_RULES_PER_REGISTRY:
        out.add("caches", f"at most {catalogue.MAX_RULES_PER_REGISTRY} pull-through cache rules "
                "per registry", set_list_command("caches", _unique(fixed)))
    return tuple(items) if not bad and not dupes else ()


def _credentials(raw: Mapping[str, object], caches: tuple[str, ...],
                 secret_keys: Collection[str], out: _Collector) -> tuple[UpstreamCredentials, ...]:
    found: list[UpstreamCredentials] = []
    for upstream in catalogue.CATALOGUE:
        spec = upstream.credentials
        if spec is None:
            continue
        username = _string(raw, spec.username_key, out)
        token = _string(raw, spec.token_key, out)
        if upstream.prefix not in caches:
            if username or token:
                out.warnings.append(
                    f"{NAMESPACE}:{spec.username_key}/{spec.token_key} are set but "
                    f"{upstream.prefix!r} is not in {NAMESPACE}:caches; they are ignored")
            continue
        why = f"{upstream.name} needs credentials for the pull-through cache"
        if not username:
            out.add(spec.username_key, f"missing: {why}",
                    set_command(spec.username_key, "<your user name>"))
        if not token:
            out.add(spec.token_key, f"missing: {why} ({spec.how_to_get})",
                    f"pulumi config set --secret {NAMESPACE}:{spec.token_key}  "
                    "# prompts for the token, so it stays out of your shell history")
        elif f"{NAMESPACE}:{spec.token_key}" not in secret_keys:
            out.add(spec.token_key, "is stored in plain text; it must be a Pulumi secret",
                    f"pulumi config set --secret {NAMESPACE}:{spec.token_key}  "
                    "# prompts for the token; then rotate the exposed one")
        if username and token:
            found.append(UpstreamCredentials(upstream.prefix, username, SecretText(token)))
    return tuple(found)


def repository_name_problem(name: str) -> str | None:
    if not 2 <= len(name) <= REPOSITORY_NAME_MAX:
        return f"must be 2-{REPOSITORY_NAME_MAX} characters long"
    if not REPOSITORY_NAME_PATTERN.match(name):
        return "must be lowercase letters, digits and . _ - separators, '/' between path parts"
    return None


def _custom_repositories(raw: Mapping[str, object], out: _Collector) -> tuple[str, ...]:
    """Private repository names; none may sit under a cache prefix of the catalogue (chosen
    or not), where the pull-through cache creates its repositories."""
    items = _string_list(raw, "customRepositories", DEFAULT_CUSTOM_REPOSITORIES, out)
    if items is None:
        return ()
    good: list[str] = []
    problems: list[str] = []
    for name in items:
        problem = repository_name_problem(name)
        first = name.split("/", 1)[0]
        if problem is None and first in catalogue.DEFAULT_CACHES:
            problem = (f"is inside the cache prefix {first!r}/ (reserved for "
                       "repositories the pull-through cache creates)")
        if problem is None:
            good.append(name)
        else:
            problems.append(f"{name!r} {problem}")
    if problems:
        out.add("customRepositories", "; ".join(problems),
                set_list_command("customRepositories", _unique(good)))
    dupes = _duplicates(items)
    if dupes:
        out.add("customRepositories", f"listed more than once: {', '.join(dupes)}",
                set_list_command("customRepositories", _unique(good)))
    return tuple(items) if not problems and not dupes else ()


def _node_roles(raw: Mapping[str, object], out: _Collector) -> tuple[str, ...]:
    items = _string_list(raw, "nodeRoleNames", (), out)
    if items is None:
        return ()
    names: list[str] = []
    bad: list[str] = []
    for item in items:
        arn = ROLE_ARN_PATTERN.match(item)
        if arn:
            names.append(arn.group(1))
        elif ROLE_NAME_PATTERN.match(item):
            names.append(item)
        else:
            bad.append(item)
    if bad:
        out.add("nodeRoleNames",
                f"not IAM role names or role ARNs: {', '.join(map(repr, bad))}",
                set_list_command("nodeRoleNames", _unique(names) or ["<node role name>"]))
        return ()
    return tuple(_unique(names))


def _eks_cluster(raw: Mapping[str, object], out: _Collector) -> str | None:
    name = _string(raw, "eksClusterName", out)
    if name is not None and not CLUSTER_NAME_PATTERN.match(name):
        out.add("eksClusterName", f"{name!r} is not a valid EKS cluster name",
                set_command("eksClusterName", "<cluster name>") + "  # or: "
                + rm_command("eksClusterName"))
        return None
    return name


def _account_ids(raw: Mapping[str, object], out: _Collector) -> tuple[str, ...]:
    items = _string_list(raw, "pullAccountIds", (), out, allow_ints=True)
    if items is None:
        return ()
    ids: list[str] = []
    bad: list[str] = []
    for item in items:
        (ids if ACCOUNT_ID_PATTERN.match(item) else bad).append(item)
    if bad:
        out.add("pullAccountIds",
                f"not 12-digit AWS account IDs: {', '.join(map(repr, bad))}",
                set_list_command("pullAccountIds", _unique(ids) or ["<12-digit account id>"]))
        return ()
    dupes = _duplicates(ids)
    if dupes:
        out.add("pullAccountIds", f"listed more than once: {', '.join(dupes)}",
                set_list_command("pullAccountIds", _unique(ids)))
        return ()
    return tuple(ids)


def _organization(raw: Mapping[str, object], out: _Collector) -> str | None:
    org = _string(raw, "organizationId", out)
    if org is not None and not ORGANIZATION_ID_PATTERN.match(org):
        out.add("organizationId",
                f"{org!r} is not an AWS Organizations ID (o- followed by 10-32 lowercase "
                "letters or digits; see `aws organizations describe-organization`)",
                set_command("organizationId", "o-<id>") + "  # or: " + rm_command("organizationId"))
        return None
    return org


def _replication(raw: Mapping[str, object], custom: tuple[str, ...],
                 out: _Collector) -> tuple[str, ...]:
    items = _string_list(raw, "replicationRegions", (), out)
    if items is None:
        return ()
    bad = [r for r in items if not REGION_PATTERN.match(r)]
    good = _unique(r for r in items if REGION_PATTERN.match(r))
    if bad:
        out.add("replicationRegions", f"not AWS region names: {', '.join(map(repr, bad))}",
                set_list_command("replicationRegions", good))
        return ()
    if _duplicates(items):
        out.add("replicationRegions", f"listed more than once: {', '.join(_duplicates(items))}",
                set_list_command("replicationRegions", good))
        return ()
    if len(items) > MAX_REPLICATION_REGIONS:
        out.add("replicationRegions", f"at most {MAX_REPLICATION_REGIONS} destinations",
                set_list_command("replicationRegions", good[:MAX_REPLICATION_REGIONS]))
        return ()
    if items and not custom and "customRepositories" not in {p.key for p in out.problems}:
        out.add("replicationRegions",
                "replication copies the private repositories, but customRepositories is empty",
                rm_command("replicationRegions"))
        return ()
    # ECR replication filters (PREFIX_MATCH) match the start of a repository name, so a
    # private repository named "ecr" would also replicate every "ecr-public/..." repository
    # the cache creates to every region.
    overlapping = {name: cache for name in custom for cache in catalogue.DEFAULT_CACHES
                   if f"{cache}/".startswith(name)}
    if items and overlapping:
        out.add("customRepositories",
                "with replicationRegions, ECR replicates every repository whose name starts "
                "with a private repository's name: "
                + "; ".join(f"{n!r} would also replicate the cache's '{c}/...' repositories"
                            for n, c in overlapping.items()) + "; rename it",
                set_list_command("customRepositories",
                                 [n for n in custom if n not in overlapping]))
        return ()
    return tuple(items)


def replication_region_problem(settings: Settings, region: str) -> Problem | None:
    """The stack's own region cannot be a replication destination (needs the region)."""
    if region in settings.replication_regions:
        return Problem("replicationRegions",
                       f"{region} is this stack's own region (aws:region); replicate elsewhere",
                       set_list_command("replicationRegions",
                                        [r for r in settings.replication_regions if r != region]))
    return None


def _budget(raw: Mapping[str, object], out: _Collector) -> tuple[Decimal | None, tuple[str, ...]]:
    text = _string(raw, "monthlyBudgetUsd", out)
    amount: Decimal | None = None
    if text is not None:
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount <= 0:
            out.add("monthlyBudgetUsd", f"must be a positive number of US dollars, got {text!r}",
                    set_command("monthlyBudgetUsd", "25") + "  # or: "
                    + rm_command("monthlyBudgetUsd"))
            amount = None
    emails = _string_list(raw, "budgetAlertEmails", (), out)
    if emails is None:
        return amount, ()
    bad = [e for e in emails if not EMAIL_PATTERN.match(e)]
    if bad:
        out.add("budgetAlertEmails", f"not email addresses: {', '.join(map(repr, bad))}",
                set_list_command("budgetAlertEmails", [e for e in emails if EMAIL_PATTERN.match(e)]
                                 or ["you@example.com"]))
        return amount, ()
    unique = _unique(emails)
    if len(unique) > MAX_BUDGET_EMAILS:
        out.add("budgetAlertEmails",
                f"AWS Budgets allows {MAX_BUDGET_EMAILS} email subscribers per alert, got "
                f"{len(unique)}: use a mailing list address",
                set_list_command("budgetAlertEmails", unique[:MAX_BUDGET_EMAILS]))
        return amount, ()
    if amount is not None and not emails:
        out.add("budgetAlertEmails", "monthlyBudgetUsd is set, but nobody would get its alerts",
                set_list_command("budgetAlertEmails", ["you@example.com"]))
    if emails and text is None:
        out.warnings.append(f"{NAMESPACE}:budgetAlertEmails is set but monthlyBudgetUsd is not: "
                            "no budget is created")
    return amount, tuple(_unique(emails))


def _unknown_keys(raw: Mapping[str, object], out: _Collector) -> None:
    for key in sorted(raw):
        if key in KEY_NAMES:
            continue
        close = difflib.get_close_matches(key, sorted(KEY_NAMES), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        out.add(key, f"is not a setting of this stack; {hint}known: {', '.join(sorted(KEY_NAMES))}",
                rm_command(key))


def load_settings(raw: Mapping[str, object], secret_keys: Collection[str] = ()) -> Settings:
    """Validate raw ``infra-ecr`` config (keys without the namespace) into ``Settings``.

    ``secret_keys`` are the fully qualified keys Pulumi marks secret
    (``infra-ecr:dockerHubAccessToken``); a token outside it is refused.
    Raises ``ConfigError`` listing every problem.
    """
    out = _Collector()
    _unknown_keys(raw, out)
    caches = _caches(raw, out)
    credentials = _credentials(raw, caches, secret_keys, out)
    custom = _custom_repositories(raw, out)
    unpulled = _integer(raw, "cacheUnpulledDays", DEFAULT_CACHE_UNPULLED_DAYS, 1, out)
    cache_keep = _integer(raw, "cacheKeepImages", DEFAULT_CACHE_KEEP_IMAGES, 0, out)
    custom_keep = _integer(raw, "customKeepImages", DEFAULT_CUSTOM_KEEP_IMAGES, 1, out)
    roles = _node_roles(raw, out)
    cluster = _eks_cluster(raw, out)
    scan = _boolean(raw, "scanOnPush", True, out)
    accounts = _account_ids(raw, out)
    org = _organization(raw, out)
    regions = _replication(raw, custom, out)
    budget, emails = _budget(raw, out)
    dashboard = _boolean(raw, "dashboard", True, out)
    if out.problems:
        raise ConfigError(out.problems)
    if cache_keep:
        out.warnings.append(
            f"{NAMESPACE}:cacheKeepImages is set, so cached repositories keep their newest "
            f"{cache_keep} images and {NAMESPACE}:cacheUnpulledDays does not apply (ECR applies "
            "one lifecycle rule to an image)")
    if not roles and not cluster:
        out.warnings.append(
            f"no node roles: set {NAMESPACE}:nodeRoleNames or {NAMESPACE}:eksClusterName so the "
            "nodes get the permissions the first pull through the cache needs "
            "(ecr:CreateRepository, ecr:BatchImportUpstreamImage)")
    return Settings(
        caches=caches,
        credentials=credentials,
        custom_repositories=custom,
        cache_unpulled_days=unpulled,
        cache_keep_images=cache_keep,
        custom_keep_images=custom_keep,
        node_role_names=roles,
        eks_cluster_name=cluster,
        scan_on_push=scan,
        pull_account_ids=accounts,
        organization_id=org,
        replication_regions=regions,
        monthly_budget_usd=budget,
        budget_alert_emails=emails,
        dashboard=dashboard,
        warnings=tuple(out.warnings),
    )
