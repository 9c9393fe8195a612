"""ECR lifecycle policy documents, as pure functions.

The creation templates (Pulumi), the private repositories (Pulumi) and
``python -m ecr lifecycle apply`` (backfill) all build their policies here, so a
backfilled repository gets exactly what a newly cached one gets.

Why the rules look the way they do (ecr-facts.md, "Lifecycle policies"):

* A multi-arch image is a tagged index whose per-platform manifests are untagged.
  "Expire untagged images" or "keep the last N of any" can delete the children of
  an index that is still in use.  In a private repository that breaks the image,
  so the private policy only ever counts *tagged* images.
* In a cache, expiring on ``sinceImagePulled`` is the natural eviction: a node
  pulling an index also pulls its platform manifest by digest, so children in use
  keep a recent pull time and only unused ones expire (to be re-fetched if needed).
* A rule with ``tagStatus: any`` must have the highest ``rulePriority``, so the
  optional count cap comes last and the age rules split tagged/untagged.
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


def cache_lifecycle_policy(unpulled_days: int, keep_images: int = 0) -> PolicyDocument:
    """Policy for repositories the pull-through cache creates.

    ``unpulled_days``: images nobody pulled for this many days expire (>= 1).
    ``keep_images``: optional cap on images per repository (0 = no cap).
    """
    if unpulled_days < 1:
        raise PolicyValueError(f"unpulled days must be at least 1, got {unpulled_days}")
    if keep_images < 0:
        raise PolicyValueError(f"keep images must be 0 (off) or more, got {keep_images}")
    rules = [
        _expire(
            1,
            f"Expire tagged images not pulled for {unpulled_days} days",
            {
                "tagStatus": "tagged",
                "tagPatternList": ["*"],
                "countType": "sinceImagePulled",
                "countUnit": "days",
                "countNumber": unpulled_days,
            },
        ),
        _expire(
            2,
            f"Expire untagged manifests not pulled for {unpulled_days} days",
            {
                "tagStatus": "untagged",
                "countType": "sinceImagePulled",
                "countUnit": "days",
                "countNumber": unpulled_days,
            },
        ),
    ]
    if keep_images:
        rules.append(
            _expire(
                3,
                f"Keep at most {keep_images} images (an evicted one is re-fetched when pulled)",
                {
                    "tagStatus": "any",
                    "countType": "imageCountMoreThan",
                    "countNumber": keep_images,
                },
            )
        )
    return {"rules": rules}


def private_lifecycle_policy(keep_images: int) -> PolicyDocument:
    """Policy for the private repositories (custom-apps): keep the last N tagged images.

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


def to_json(policy: PolicyDocument) -> str:
    """Canonical JSON text: what Pulumi sends and what backfill compares against."""
    return json.dumps(policy, sort_keys=True, separators=(",", ":"))


def same_policy(text_a: str, text_b: str) -> bool:
    """True when two lifecycle policy texts mean the same document (whitespace, key order)."""
    try:
        return bool(json.loads(text_a) == json.loads(text_b))
    except ValueError:
        return False
