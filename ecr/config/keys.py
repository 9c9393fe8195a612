"""The stack's config keys: names, types, defaults and the limits AWS puts on them.

``Pulumi.yaml``'s ``config:`` block mirrors ``KEYS`` (a test holds them equal), so this is
the one place a default lives; the program, the tools and ``scripts/setup-ecr.sh`` all
read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecr import catalogue
from ecr.pruner.rules import MAX_UNPULLED_DAYS

NAMESPACE = "infra-ecr"

DEFAULT_CUSTOM_REPOSITORIES: tuple[str, ...] = ("custom-apps",)
# Pruning by last pull (the pruner): cached images nobody pulled for this many days go.
DEFAULT_CACHE_UNPULLED_DAYS = 90
# The lifecycle policy's safety limit by age since caching.  It deletes images in use too, so
# it is a backstop for when the pruner is off or failing, not the way the cache is kept small:
# a year costs one upstream re-fetch per image in use per year and still bounds storage.
DEFAULT_CACHE_MAX_AGE_DAYS = 365
DEFAULT_CACHE_KEEP_IMAGES = 0
DEFAULT_CUSTOM_KEEP_IMAGES = 30
DEFAULT_PRUNE_SCHEDULE = "rate(1 day)"


@dataclass(frozen=True)
class Range:
    """The whole numbers a setting accepts (the config keys and the flags alike)."""

    low: int
    high: int
    unit: str = ""

    def problem(self, value: int) -> str | None:
        """Why ``value`` is outside, or None (``0 (off)`` named when 0 is allowed)."""
        unit = f" {self.unit}" if self.unit else ""
        if value < self.low:
            lowest = "0 (off) or more" if self.low == 0 else f"at least {self.low}"
            return f"must be {lowest}, got {value}"
        if value > self.high:
            return f"must be at most {self.high}{unit}, got {value}"
        return None


# Days: at most a century (the pruner's own limit, ecr.pruner.rules, which the Lambda
# function checks without this package): longer than any registry has existed, and inside
# what date arithmetic holds (``now - N days`` overflowed for 800000).
DAYS_MAX = MAX_UNPULLED_DAYS
# Image counts: at most a million, far more images than one repository holds.
KEEP_IMAGES_MAX = 1_000_000
CACHE_UNPULLED_DAYS = Range(0, DAYS_MAX, "days")  # 0: pruning off
CACHE_MAX_AGE_DAYS = Range(0, DAYS_MAX, "days")  # 0: no age limit
CACHE_KEEP_IMAGES = Range(0, KEEP_IMAGES_MAX, "images")  # 0: no count cap
CUSTOM_KEEP_IMAGES = Range(1, KEEP_IMAGES_MAX, "images")
UNPULLED_DAYS_FLAG = Range(1, DAYS_MAX, "days")  # lifecycle prune --unpulled-days
# lifecycle prune / status --price-per-gb, USD per GB-month: a finite number, 0 to 1000.
PRICE_PER_GB_MAX = 1000.0

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


def _credential_keys() -> tuple[KeySpec, ...]:
    """The user name and token key of every upstream that needs a login (the catalogue's)."""
    specs: list[KeySpec] = []
    for upstream in catalogue.CATALOGUE:
        cred = upstream.credentials
        if cred is None:
            continue
        required = f"required when {upstream.prefix} is cached"
        specs.append(KeySpec(cred.username_key, "string", "",
                             f"{upstream.name} user name; {required}."))
        specs.append(KeySpec(cred.token_key, "string", "",
                             f"{upstream.name} access token (set with --secret); {required}: "
                             f"{cred.how_to_get}.", secret=True))
    return tuple(specs)


def _key_specs() -> tuple[KeySpec, ...]:
    caches = ", ".join(catalogue.DEFAULT_CACHES)
    return (
        KeySpec("caches", "array", list(catalogue.DEFAULT_CACHES),
                f"Upstreams to cache, by cache prefix: {caches}."),
        *_credential_keys(),
        KeySpec("customRepositories", "array", list(DEFAULT_CUSTOM_REPOSITORIES),
                "Custom ECR repositories for your own images."),
        KeySpec("cacheUnpulledDays", "integer", DEFAULT_CACHE_UNPULLED_DAYS,
                "The pruner deletes cached images nobody pulled for this many days (by their "
                "last pull, or caching when never pulled); 0 turns pruning off."),
        KeySpec("cacheMaxAgeDays", "integer", DEFAULT_CACHE_MAX_AGE_DAYS,
                "Safety limit of the cache lifecycle policy: cached images expire this many "
                "days after ECR cached them, pulled or not; 0 means off. Default 365: one "
                "re-fetch a year per image in use, storage bounded if the pruner stops."),
        KeySpec("cacheKeepImages", "integer", DEFAULT_CACHE_KEEP_IMAGES,
                "Keep only the newest N images per cached repository, instead of "
                "cacheMaxAgeDays; 0 means off."),
        KeySpec("pruneSchedule", "string", DEFAULT_PRUNE_SCHEDULE,
                "When the pruner runs: an EventBridge Scheduler rate() or cron() expression."),
        KeySpec("pruneDryRun", "boolean", False,
                "The pruner only logs what it would delete (its JSON line per run); nothing is "
                "deleted. A first deployment's way to see what goes before it goes."),
        KeySpec("customKeepImages", "integer", DEFAULT_CUSTOM_KEEP_IMAGES,
                "Tagged images kept per custom repository (at least 1)."),
        KeySpec("nodeRoleNames", "array", [],
                "IAM role names (or ARNs) of the EKS nodes that pull through the cache."),
        KeySpec("eksClusterName", "string", "",
                "EKS cluster whose node roles (managed node groups, Auto Mode, node access "
                "entries, Fargate profiles) get pull access; empty = none."),
        KeySpec("scanOnPush", "boolean", True,
                "Basic image scanning on push for the registry and the custom repositories."),
        KeySpec("pullAccountIds", "array", [],
                "Other AWS account IDs (12 digits) whose principals may pull through the cache."),
        KeySpec("organizationId", "string", "",
                "AWS Organizations ID (o-...) whose principals may pull through the cache."),
        KeySpec("replicationRegions", "array", [],
                "Regions the custom repositories replicate to (ECR replication)."),
        KeySpec("monthlyBudgetUsd", "string", "",
                "Monthly AWS Budget for ECR in USD (a number, e.g. 25 or 12.50); empty = none."),
        KeySpec("budgetAlertEmails", "array", [],
                "Email addresses the budget alerts (and the pruner's failure alarm) go to; "
                "required with monthlyBudgetUsd."),
        KeySpec("dashboard", "boolean", True,
                "Create a CloudWatch dashboard for the registry."),
    )


KEYS: tuple[KeySpec, ...] = _key_specs()
KEY_NAMES: frozenset[str] = frozenset(k.name for k in KEYS)
SECRET_KEYS: frozenset[str] = frozenset(k.name for k in KEYS if k.secret)


def qualified(key: str) -> str:
    """``infra-ecr:<key>``, as Pulumi names it."""
    return f"{NAMESPACE}:{key}"
