"""The stack's settings, and the one function that reads and validates them.

Pure on purpose (no Pulumi import): the program (``ecr/stack/config_source.py``), the
tools (``ecr/config/stackfile.py``) and ``scripts/setup-ecr.sh`` (``python -m ecr.config``)
hand their raw ``infra-ecr:*`` values to ``validate``/``load_settings``, so all three judge
a config the same way, and every bad value fails before a single resource is registered.

Every problem is reported at once, each naming its key and the exact ``pulumi config``
command that fixes it.  The pieces: ``keys`` (the key table and defaults), ``values``
(value types), ``names`` (AWS name shapes), ``groups`` (one reader per key group),
``fixes`` (fix commands), ``problems`` (problems and ``ConfigError``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ecr import catalogue
from ecr.config import groups, values
from ecr.config.fixes import rm_command, set_command, set_list_command
from ecr.config.keys import (
    CUSTOM_KEEP_IMAGES,
    DEFAULT_CACHE_KEEP_IMAGES,
    DEFAULT_CACHE_MAX_AGE_DAYS,
    DEFAULT_CACHE_UNPULLED_DAYS,
    DEFAULT_CUSTOM_KEEP_IMAGES,
    DEFAULT_CUSTOM_REPOSITORIES,
    DEFAULT_PRUNE_SCHEDULE,
    KEY_NAMES,
    KEYS,
    NAMESPACE,
    SECRET_KEYS,
    KeySpec,
)
from ecr.config.names import ROLE_ARN_PATTERN, repository_name_problem
from ecr.config.problems import Collector, ConfigError, Problem
from ecr.config.secrets import SecretText, UpstreamCredentials

# Names other packages import from here (kept so their imports stay short and stable).
__all__ = [
    "DEFAULT_CACHE_KEEP_IMAGES", "DEFAULT_CACHE_MAX_AGE_DAYS", "DEFAULT_CACHE_UNPULLED_DAYS",
    "DEFAULT_CUSTOM_KEEP_IMAGES", "DEFAULT_CUSTOM_REPOSITORIES", "DEFAULT_PRUNE_SCHEDULE",
    "KEYS", "KEY_NAMES", "NAMESPACE", "ROLE_ARN_PATTERN", "SECRET_KEYS", "ConfigError",
    "KeySpec", "Problem", "SecretText", "Settings", "UpstreamCredentials", "Validation",
    "load_settings", "replication_region_problem", "repository_name_problem", "rm_command",
    "set_command", "set_list_command", "validate",
]


@dataclass(frozen=True)
class Settings:
    """Validated stack settings.  Field docs: see ``ecr.config.keys.KEYS``."""

    caches: tuple[str, ...] = catalogue.DEFAULT_CACHES
    credentials: tuple[UpstreamCredentials, ...] = ()
    custom_repositories: tuple[str, ...] = DEFAULT_CUSTOM_REPOSITORIES
    cache_unpulled_days: int = DEFAULT_CACHE_UNPULLED_DAYS
    cache_max_age_days: int = DEFAULT_CACHE_MAX_AGE_DAYS
    cache_keep_images: int = DEFAULT_CACHE_KEEP_IMAGES
    prune_schedule: str = DEFAULT_PRUNE_SCHEDULE
    prune_dry_run: bool = False
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

    @property
    def prunes(self) -> bool:
        """True when the pruner is deployed: cacheUnpulledDays > 0 and something is cached."""
        return bool(self.cache_unpulled_days and self.caches)

    def credentials_for(self, prefix: str) -> UpstreamCredentials | None:
        for creds in self.credentials:
            if creds.prefix == prefix:
                return creds
        return None


@dataclass(frozen=True)
class Validation:
    """What ``validate`` found: the settings (bad values left at their empty or default
    value), every problem, and the warnings."""

    settings: Settings
    problems: tuple[Problem, ...]

    def fatal(self, *, credentials_required: bool = True) -> tuple[Problem, ...]:
        """The problems that stop a reader; tools and the setup script pass
        ``credentials_required=False`` (they never read tokens; setup asks for them)."""
        return tuple(p for p in self.problems if credentials_required or not p.about_credentials)

    def settings_or_raise(self, *, credentials_required: bool = True) -> Settings:
        fatal = self.fatal(credentials_required=credentials_required)
        if fatal:
            raise ConfigError(fatal)
        return self.settings


def validate(raw: Mapping[str, object], secret_keys: Collection[str] = ()) -> Validation:
    """Read raw ``infra-ecr`` config (keys without the namespace) into ``Settings``.

    ``secret_keys`` are the fully qualified keys Pulumi marks secret
    (``infra-ecr:dockerHubAccessToken``); a token outside it is a problem.
    """
    out = Collector()
    groups.unknown_keys(raw, out)
    caches = groups.caches(raw, out)
    credentials = groups.credentials(raw, caches, secret_keys, out)
    custom = groups.custom_repositories(raw, out)
    unpulled, max_age, cache_keep = groups.cache_expiry(raw, out)
    schedule = groups.prune_schedule(raw, out)
    dry_run = values.boolean(raw, "pruneDryRun", False, out)
    custom_keep = values.integer(raw, "customKeepImages", DEFAULT_CUSTOM_KEEP_IMAGES,
                                 CUSTOM_KEEP_IMAGES, out)
    roles = groups.node_roles(raw, out)
    cluster = groups.eks_cluster(raw, out)
    scan = values.boolean(raw, "scanOnPush", True, out)
    accounts = groups.account_ids(raw, out)
    org = groups.organization(raw, out)
    regions = groups.replication(raw, custom, out)
    budget, emails = groups.budget(raw, out)
    dashboard = values.boolean(raw, "dashboard", True, out)
    settings = Settings(
        caches=caches,
        credentials=credentials,
        custom_repositories=custom,
        cache_unpulled_days=unpulled,
        cache_max_age_days=max_age,
        cache_keep_images=cache_keep,
        prune_schedule=schedule,
        prune_dry_run=dry_run,
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
    )
    warnings = list(out.warnings)
    if emails and budget is None and not out.has_problem("monthlyBudgetUsd"):
        warnings.append(f"{NAMESPACE}:budgetAlertEmails is set but monthlyBudgetUsd is not: "
                        "no budget is created" + (" (the addresses get the pruner's failure "
                                                  "alarm only)" if settings.prunes else ""))
    if not roles and not cluster:
        warnings.append(
            f"no node roles: set {NAMESPACE}:nodeRoleNames or {NAMESPACE}:eksClusterName so the "
            "nodes get the permissions the first pull through the cache needs "
            "(ecr:CreateRepository, ecr:BatchImportUpstreamImage)")
    return Validation(
        settings=replace(settings, warnings=tuple(warnings)),
        problems=tuple(out.problems),
    )


def load_settings(raw: Mapping[str, object], secret_keys: Collection[str] = ()) -> Settings:
    """``validate``, raising ``ConfigError`` listing every problem (what the program needs)."""
    return validate(raw, secret_keys).settings_or_raise()


def replication_region_problem(settings: Settings, region: str) -> Problem | None:
    """The stack's own region cannot be a replication destination (needs the region)."""
    if region in settings.replication_regions:
        return Problem("replicationRegions",
                       f"{region} is this stack's own region (aws:region); replicate elsewhere",
                       set_list_command("replicationRegions",
                                        [r for r in settings.replication_regions if r != region]))
    return None
