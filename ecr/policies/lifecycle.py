"""ECR lifecycle policy documents, as pure functions.

The creation templates (Pulumi), the custom repositories (Pulumi) and
``python -m ecr lifecycle apply`` (backfill) all build their policies here, so a
backfilled repository gets exactly what a newly cached one gets.

Why the rules look the way they do (AWS ECR user guide, "Lifecycle policy
properties" and "How lifecycle policies work"):

* ECR applies at most one rule to an image: an image that matches the tagging
  requirements of a higher-priority rule cannot be expired by a lower-priority
  one.  So a rule behind "tagged *" plus "untagged" rules never expires anything,
  and an age limit and a count cap cannot both govern the same images.
* ``sinceImagePulled`` only works with the ``transition`` (to archive) action,
  never with ``expire`` (aws/containers-roadmap#921, closed 2025-11-20 with the
  archive storage class), and archived images cannot be pulled (404; user guide
  "Archiving an image").  Archiving a cached image would break the cache, so
  images nobody pulls are deleted by the pruner (``ecr/pruner``, config
  ``cacheUnpulledDays``), and the cache policy keeps only a safety limit on
  ``sinceImagePushed`` (config ``cacheMaxAgeDays``): an image is deleted N days
  after ECR cached it, pulled or not, and a later pull fetches it again.
* A multi-arch image is a tagged index whose per-platform manifests are untagged
  and are pushed (cached) after their index.  In a cache, one ``tagStatus: any``
  rule judged by push time therefore removes an index before its platform
  manifests, never the other way round.  In a custom repository deleting an
  untagged child breaks the image, so the custom repositories' policy only counts *tagged*
  images and never expires untagged ones.
"""

from __future__ import annotations

import json
from typing import Any

PolicyDocument = dict[str, Any]


class PolicyValueError(ValueError):
    """A lifecycle setting out of range."""


def _expire(priority: int, description: str, selection: dict[str, Any]) -> dict[str, Any]:
    return {
        "rulePriority": priority,
        "description": description,
        "selection": selection,
        "action": {"type": "expire"},
    }


def cache_lifecycle_policy(max_age_days: int, keep_images: int = 0) -> PolicyDocument:
    """Policy for repositories the pull-through cache creates: one ``tagStatus: any`` rule.

    ``max_age_days`` (config ``cacheMaxAgeDays``, 0 = off): the safety limit, cached images
    expire this many days after ECR cached them, pulled or not (images nobody pulls are the
    pruner's: config ``cacheUnpulledDays``).  ``keep_images`` (config ``cacheKeepImages``,
    0 = off): keep only the newest N images instead.  ECR applies one rule per image, so the
    cap *replaces* the age limit rather than adding to it.  Either way an expired image that
    is still in use is fetched again from upstream on its next pull.  With both off there is
    no policy (``cache_lifecycle_policy_or_none``).
    """
    if max_age_days < 0:
        raise PolicyValueError(f"max age days must be 0 (off) or more, got {max_age_days}")
    if keep_images < 0:
        raise PolicyValueError(f"keep images must be 0 (off) or more, got {keep_images}")
    if keep_images:
        rule = _expire(
            1,
            f"Keep the newest {keep_images} cached images (an expired one is fetched again "
            "from upstream when pulled)",
            {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": keep_images},
        )
    elif max_age_days:
        rule = _expire(
            1,
            f"Safety limit: expire cached images {max_age_days} days after they were cached, "
            "pulled or not (the pruner removes unpulled ones sooner; an expired one is "
            "fetched again from upstream when pulled)",
            {
                "tagStatus": "any",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": max_age_days,
            },
        )
    else:
        raise PolicyValueError("max age days and keep images are both 0 (off): no lifecycle "
                               "policy for the cache")
    return {"rules": [rule]}


def cache_lifecycle_policy_or_none(max_age_days: int, keep_images: int) -> PolicyDocument | None:
    """``cache_lifecycle_policy``, or None when both limits are off (the templates then carry
    no lifecycle policy, and only the pruner removes cached images)."""
    if not max_age_days and not keep_images:
        return None
    return cache_lifecycle_policy(max_age_days, keep_images)


def custom_lifecycle_policy(keep_images: int) -> PolicyDocument:
    """Policy for the custom repositories (custom-apps): keep the last N tagged images.

    Untagged manifests are never expired: they may be the platform manifests of a
    multi-arch image that is still deployed.
    """
    if keep_images < 1:
        raise PolicyValueError(f"keep images must be at least 1, got {keep_images}")
    return {
        "rules": [
            _expire(
                1,
                f"Keep the last {keep_images} tagged images",
                {
                    "tagStatus": "tagged",
                    "tagPatternList": ["*"],
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_images,
                },
            )
        ]
    }


_COUNT_TYPES = ("imageCountMoreThan", "sinceImagePushed", "sinceImagePulled",
                "sinceImageTransitioned")


def _rule_problems(rule: dict[str, Any]) -> list[str]:
    """Problems of one rule on its own (ECR user guide, "Lifecycle policy properties")."""
    where = f"rule {rule.get('rulePriority')!r}"
    problems: list[str] = []
    priority = rule.get("rulePriority")
    if not isinstance(priority, int) or isinstance(priority, bool) or priority < 1:
        problems.append(f"{where}: rulePriority must be a whole number >= 1")
    selection = rule.get("selection") or {}
    status = selection.get("tagStatus")
    lists = [k for k in ("tagPatternList", "tagPrefixList") if selection.get(k)]
    if status not in ("tagged", "untagged", "any"):
        problems.append(f"{where}: tagStatus must be tagged, untagged or any")
    elif status == "tagged" and len(lists) != 1:
        problems.append(f"{where}: tagged needs exactly one of tagPatternList/tagPrefixList")
    elif status != "tagged" and lists:
        problems.append(f"{where}: {status} must not have {lists[0]}")
    for pattern in selection.get("tagPatternList") or []:
        if str(pattern).count("*") > 4:
            problems.append(f"{where}: at most four wildcards per tag pattern ({pattern!r})")
    count_type = selection.get("countType")
    number = selection.get("countNumber")
    if count_type not in _COUNT_TYPES:
        problems.append(f"{where}: countType must be one of {', '.join(_COUNT_TYPES)}")
    elif count_type == "imageCountMoreThan" and "countUnit" in selection:
        problems.append(f"{where}: imageCountMoreThan takes no countUnit")
    elif count_type != "imageCountMoreThan" and selection.get("countUnit") != "days":
        problems.append(f"{where}: {count_type} needs countUnit days")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        problems.append(f"{where}: countNumber must be a whole number >= 1")
    action = rule.get("action") or {}
    if action.get("type") not in ("expire", "transition"):
        problems.append(f"{where}: action type must be expire or transition")
    elif action.get("type") == "transition" and action.get("targetStorageClass") != "archive":
        problems.append(f"{where}: transition needs targetStorageClass archive")
    if count_type == "sinceImagePulled" and action.get("type") != "transition":
        # aws/containers-roadmap#921: sinceImagePulled ships paired with the archive class.
        problems.append(f"{where}: sinceImagePulled only works with the transition (archive) "
                        "action, not expire")
    return problems


def ecr_problems(policy: PolicyDocument) -> list[str]:
    """What ECR would refuse in ``policy``, or silently never do (empty list: fine).

    Checks each rule's shape, unique priorities, at most one ``untagged`` and one
    ``any`` rule with ``any`` last, and *inert* rules: ECR never expires an image
    that matches the tagging requirements of a higher-priority rule, so a rule whose
    images are all claimed by earlier rules does nothing.
    """
    rules = policy.get("rules")
    if not isinstance(rules, list) or not rules:
        return ["a lifecycle policy needs at least one rule"]
    problems = [p for rule in rules for p in _rule_problems(rule)]
    if problems:
        return problems
    ordered = sorted(rules, key=lambda r: int(r["rulePriority"]))
    priorities = [r["rulePriority"] for r in ordered]
    if len(set(priorities)) != len(priorities):
        problems.append("rulePriority values must be unique")
    # Archive-class rules (storageClass archive) select other images than standard ones.
    for storage in sorted({r["selection"].get("storageClass", "standard") for r in ordered}):
        same = [r for r in ordered if r["selection"].get("storageClass", "standard") == storage]
        problems += _ordering_problems(same)
    return problems


def _ordering_problems(ordered: list[dict[str, Any]]) -> list[str]:
    """Problems among rules selecting the same storage class, in priority order."""
    problems: list[str] = []
    statuses = [r["selection"]["tagStatus"] for r in ordered]
    if statuses.count("untagged") > 1:
        problems.append("only one rule may select untagged images")
    if statuses.count("any") > 1 or ("any" in statuses and statuses[-1] != "any"):
        problems.append("one rule at most may have tagStatus any, and it must have the "
                        "highest rulePriority")
    all_tagged = untagged = False  # claimed by an earlier rule
    for rule in ordered:
        selection = rule["selection"]
        status = selection["tagStatus"]
        claimed = {"tagged": all_tagged, "untagged": untagged,
                   "any": all_tagged and untagged}[status]
        if claimed:
            problems.append(f"rule {rule['rulePriority']} can never expire anything: earlier "
                            "rules claim every image it selects")
        if status in ("any", "untagged"):
            untagged = True
        if status == "any" or selection.get("tagPatternList") == ["*"]:
            all_tagged = True
    return problems


def to_json(policy: PolicyDocument) -> str:
    """Canonical JSON text: what Pulumi sends and what backfill compares against."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def same_policy(text_a: str, text_b: str) -> bool:
    """True when two lifecycle policy texts mean the same document (whitespace, key order)."""
    try:
        return bool(json.loads(text_a) == json.loads(text_b))
    except ValueError:
        return False
