"""One reader per group of keys: parse, validate, and name the fix for each problem.

Each function reads its keys from the raw config (``ecr.config.values`` does the value
types), records problems and warnings in the ``Collector`` and returns what
``ecr.config.settings.Settings`` holds; an unusable value comes back empty, so every
problem of the config is found in one pass.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation

from ecr import catalogue
from ecr.config import keys, names, values
from ecr.config.fixes import rm_command, set_command, set_list_command, set_secret_prompt
from ecr.config.keys import NAMESPACE
from ecr.config.problems import MISSING_CREDENTIAL, PLAINTEXT_CREDENTIAL, Collector
from ecr.config.secrets import SecretText, UpstreamCredentials


def _closest_caches(items: list[str]) -> list[str]:
    known = catalogue.DEFAULT_CACHES
    fixed = [item if item in known else next(iter(difflib.get_close_matches(item, known, n=1)), "")
             for item in items]
    return values.unique(f for f in fixed if f)


def caches(raw: Mapping[str, object], out: Collector) -> tuple[str, ...]:
    items = values.string_list(raw, "caches", catalogue.DEFAULT_CACHES, out,
                               correct=_closest_caches)
    if items is None:
        return ()
    known = catalogue.DEFAULT_CACHES
    bad = [item for item in items if item not in known]
    fixed = values.unique(_closest_caches(list(items)))
    if bad:
        unsupported = ", ".join(catalogue.OTHER_ECR_UPSTREAMS)
        out.add("caches",
                f"unknown cache(s) {', '.join(map(repr, bad))}; known caches: {', '.join(known)} "
                f"(ECR also supports {unsupported}, not declared in this stack)",
                set_list_command("caches", fixed))
    dupes = values.duplicates(items)
    if dupes:
        out.add("caches", f"listed more than once: {', '.join(dupes)}",
                set_list_command("caches", fixed))
    if len(items) > catalogue.MAX_RULES_PER_REGISTRY:
        out.add("caches", f"at most {catalogue.MAX_RULES_PER_REGISTRY} pull-through cache rules "
                "per registry", set_list_command("caches", fixed))
    return tuple(items) if not bad and not dupes else ()


def credentials(raw: Mapping[str, object], chosen: tuple[str, ...],
                secret_keys: Collection[str], out: Collector) -> tuple[UpstreamCredentials, ...]:
    found: list[UpstreamCredentials] = []
    for upstream in catalogue.CATALOGUE:
        spec = upstream.credentials
        if spec is None:
            continue
        username = values.string(raw, spec.username_key, out)
        token = values.string(raw, spec.token_key, out)
        if upstream.prefix not in chosen:
            if username or token:
                out.warnings.append(
                    f"{NAMESPACE}:{spec.username_key}/{spec.token_key} are set but "
                    f"{upstream.prefix!r} is not in {NAMESPACE}:caches; they are ignored")
            continue
        why = f"{upstream.name} needs credentials for the pull-through cache"
        if not username:
            out.add(spec.username_key, f"missing: {why}",
                    set_command(spec.username_key, "<your user name>"), MISSING_CREDENTIAL)
        if not token:
            out.add(spec.token_key, f"missing: {why} ({spec.how_to_get})",
                    set_secret_prompt(spec.token_key), MISSING_CREDENTIAL)
        elif keys.qualified(spec.token_key) not in secret_keys:
            out.add(spec.token_key, "is stored in plain text; it must be a Pulumi secret",
                    set_secret_prompt(spec.token_key, "prompts for the token; then rotate the "
                                      "exposed one"), PLAINTEXT_CREDENTIAL)
        if username and token:
            found.append(UpstreamCredentials(upstream.prefix, username, SecretText(token)))
    return tuple(found)


def custom_repositories(raw: Mapping[str, object], out: Collector) -> tuple[str, ...]:
    """Custom repository names; none may sit under a cache prefix of the catalogue (chosen
    or not), where the pull-through cache creates its repositories."""
    items = values.string_list(raw, "customRepositories", keys.DEFAULT_CUSTOM_REPOSITORIES, out)
    if items is None:
        return ()
    good: list[str] = []
    problems: list[str] = []
    for name in items:
        problem = names.repository_name_problem(name)
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
                set_list_command("customRepositories", values.unique(good)))
    dupes = values.duplicates(items)
    if dupes:
        out.add("customRepositories", f"listed more than once: {', '.join(dupes)}",
                set_list_command("customRepositories", values.unique(good)))
    return tuple(items) if not problems and not dupes else ()


def node_roles(raw: Mapping[str, object], out: Collector) -> tuple[str, ...]:
    """Role names; a role ARN (what the EKS console shows) counts as its name."""
    items = values.string_list(raw, "nodeRoleNames", (), out)
    if items is None:
        return ()
    found = [names.role_name(item) for item in items]
    bad = [item for item, name in zip(items, found, strict=True) if name is None]
    good = values.unique(name for name in found if name is not None)
    if bad:
        out.add("nodeRoleNames",
                f"not IAM role names or role ARNs: {', '.join(map(repr, bad))}",
                set_list_command("nodeRoleNames", good or ["<node role name>"]))
        return ()
    return tuple(good)


def eks_cluster(raw: Mapping[str, object], out: Collector) -> str | None:
    name = values.string(raw, "eksClusterName", out)
    if name is not None and not names.CLUSTER_NAME_PATTERN.match(name):
        out.add("eksClusterName", f"{name!r} is not a valid EKS cluster name",
                set_command("eksClusterName", "<cluster name>") + "  # or: "
                + rm_command("eksClusterName"))
        return None
    return name


def account_ids(raw: Mapping[str, object], out: Collector) -> tuple[str, ...]:
    items = values.string_list(raw, "pullAccountIds", (), out, allow_ints=True)
    if items is None:
        return ()
    ids = [item for item in items if names.ACCOUNT_ID_PATTERN.match(item)]
    bad = [item for item in items if not names.ACCOUNT_ID_PATTERN.match(item)]
    if bad:
        out.add("pullAccountIds",
                f"not 12-digit AWS account IDs: {', '.join(map(repr, bad))}",
                set_list_command("pullAccountIds", values.unique(ids) or
                                 ["<12-digit account id>"]))
        return ()
    dupes = values.duplicates(ids)
    if dupes:
        out.add("pullAccountIds", f"listed more than once: {', '.join(dupes)}",
                set_list_command("pullAccountIds", values.unique(ids)))
        return ()
    return tuple(ids)


def organization(raw: Mapping[str, object], out: Collector) -> str | None:
    org = values.string(raw, "organizationId", out)
    if org is not None and not names.ORGANIZATION_ID_PATTERN.match(org):
        out.add("organizationId",
                f"{org!r} is not an AWS Organizations ID (o- followed by 10-32 lowercase "
                "letters or digits; see `aws organizations describe-organization`)",
                set_command("organizationId", "o-<id>") + "  # or: " + rm_command("organizationId"))
        return None
    return org


def replication(raw: Mapping[str, object], custom: tuple[str, ...],
                out: Collector) -> tuple[str, ...]:
    items = values.string_list(raw, "replicationRegions", (), out)
    if items is None:
        return ()
    bad = [r for r in items if not names.REGION_PATTERN.match(r)]
    good = values.unique(r for r in items if names.REGION_PATTERN.match(r))
    if bad:
        out.add("replicationRegions", f"not AWS region names: {', '.join(map(repr, bad))}",
                set_list_command("replicationRegions", good))
        return ()
    if values.duplicates(items):
        out.add("replicationRegions",
                f"listed more than once: {', '.join(values.duplicates(items))}",
                set_list_command("replicationRegions", good))
        return ()
    if len(items) > keys.MAX_REPLICATION_REGIONS:
        out.add("replicationRegions", f"at most {keys.MAX_REPLICATION_REGIONS} destinations",
                set_list_command("replicationRegions", good[:keys.MAX_REPLICATION_REGIONS]))
        return ()
    if items and not custom and not out.has_problem("customRepositories"):
        out.add("replicationRegions",
                "replication copies the custom repositories, but customRepositories is empty",
                rm_command("replicationRegions"))
        return ()
    # ECR replication filters (PREFIX_MATCH) match the start of a repository name, so a
    # custom repository named "ecr" would also replicate every "ecr-public/..." repository
    # the cache creates to every region.
    overlapping = {name: cache for name in custom for cache in catalogue.DEFAULT_CACHES
                   if f"{cache}/".startswith(name)}
    if items and overlapping:
        out.add("customRepositories",
                "with replicationRegions, ECR replicates every repository whose name starts "
                "with a custom repository's name: "
                + "; ".join(f"{n!r} would also replicate the cache's '{c}/...' repositories"
                            for n, c in overlapping.items()) + "; rename it",
                set_list_command("customRepositories",
                                 [n for n in custom if n not in overlapping]))
        return ()
    return tuple(items)


def budget(raw: Mapping[str, object], out: Collector) -> tuple[Decimal | None, tuple[str, ...]]:
    text = values.string(raw, "monthlyBudgetUsd", out)
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
    emails = values.string_list(raw, "budgetAlertEmails", (), out)
    if emails is None:
        return amount, ()
    bad = [e for e in emails if not names.EMAIL_PATTERN.match(e)]
    if bad:
        out.add("budgetAlertEmails", f"not email addresses: {', '.join(map(repr, bad))}",
                set_list_command("budgetAlertEmails",
                                 [e for e in emails if names.EMAIL_PATTERN.match(e)]
                                 or ["you@example.com"]))
        return amount, ()
    distinct = values.unique(emails)
    if len(distinct) > keys.MAX_BUDGET_EMAILS:
        out.add("budgetAlertEmails",
                f"AWS Budgets allows {keys.MAX_BUDGET_EMAILS} email subscribers per alert, got "
                f"{len(distinct)}: use a mailing list address",
                set_list_command("budgetAlertEmails", distinct[:keys.MAX_BUDGET_EMAILS]))
        return amount, ()
    if amount is not None and not emails:
        out.add("budgetAlertEmails", "monthlyBudgetUsd is set, but nobody would get its alerts",
                set_list_command("budgetAlertEmails", ["you@example.com"]))
    return amount, tuple(distinct)


def cache_expiry(raw: Mapping[str, object], out: Collector) -> tuple[int, int, int]:
    """(cacheUnpulledDays, cacheMaxAgeDays, cacheKeepImages): pruning by last pull, and the
    lifecycle policy's safety limit by age or by count (ECR applies one rule per image)."""
    unpulled = values.integer(raw, "cacheUnpulledDays", keys.DEFAULT_CACHE_UNPULLED_DAYS,
                              keys.CACHE_UNPULLED_DAYS, out)
    max_age = values.integer(raw, "cacheMaxAgeDays", keys.DEFAULT_CACHE_MAX_AGE_DAYS,
                             keys.CACHE_MAX_AGE_DAYS, out)
    keep = values.integer(raw, "cacheKeepImages", keys.DEFAULT_CACHE_KEEP_IMAGES,
                          keys.CACHE_KEEP_IMAGES, out)
    if keep and max_age:
        out.warnings.append(
            f"{NAMESPACE}:cacheKeepImages is set, so cached repositories keep their newest "
            f"{keep} images and {NAMESPACE}:cacheMaxAgeDays does not apply (ECR applies "
            "one lifecycle rule to an image)")
    elif unpulled and max_age and max_age <= unpulled:
        out.warnings.append(
            f"{NAMESPACE}:cacheMaxAgeDays ({max_age}) is not longer than "
            f"{NAMESPACE}:cacheUnpulledDays ({unpulled}): the lifecycle policy deletes cached "
            "images, pulled or not, before the pruner would judge them unused")
    if not unpulled and not max_age and not keep:
        out.warnings.append(
            f"{NAMESPACE}:cacheUnpulledDays, cacheMaxAgeDays and cacheKeepImages are all 0: "
            "nothing ever removes cached images")
    return unpulled, max_age, keep


def prune_schedule(raw: Mapping[str, object], out: Collector) -> str:
    expression = values.string(raw, "pruneSchedule", out)
    if expression is None:
        return keys.DEFAULT_PRUNE_SCHEDULE
    problem = names.schedule_problem(expression)
    if problem is not None:
        out.add("pruneSchedule", f"{expression!r}: {problem}",
                set_command("pruneSchedule", keys.DEFAULT_PRUNE_SCHEDULE))
        return keys.DEFAULT_PRUNE_SCHEDULE
    return expression


def unknown_keys(raw: Mapping[str, object], out: Collector) -> None:
    for key in sorted(raw):
        if key in keys.KEY_NAMES:
            continue
        close = difflib.get_close_matches(key, sorted(keys.KEY_NAMES), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        out.add(key, f"is not a setting of this stack; {hint}known: "
                f"{', '.join(sorted(keys.KEY_NAMES))}", rm_command(key))
