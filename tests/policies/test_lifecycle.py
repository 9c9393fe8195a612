"""ecr.policies.lifecycle: the documents ECR gets, checked against ECR's own rules.

``ecr_problems`` encodes what the ECR user guide ("Lifecycle policy properties",
"How lifecycle policies work") and aws/containers-roadmap#921 say ECR refuses or
silently never does; the policies the stack and ``lifecycle apply`` send must have none.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecr.config.settings import load_settings
from ecr.policies import lifecycle as lp

SECRETS = {"infra-ecr:dockerHubAccessToken", "infra-ecr:githubToken"}
CREDENTIALS = {"dockerHubUsername": "u", "dockerHubAccessToken": "t",
               "githubUsername": "u", "githubToken": "t"}


def rule(priority: int, selection: dict[str, Any], action: str = "expire") -> dict[str, Any]:
    return {"rulePriority": priority, "description": "d", "selection": selection,
            "action": {"type": action}}


PULLED_90 = {"countType": "sinceImagePulled", "countUnit": "days", "countNumber": 90}
# What the stack used to send for every cached repository (cacheKeepImages 500).
PREVIOUS_CACHE_POLICY = {"rules": [
    rule(1, {"tagStatus": "tagged", "tagPatternList": ["*"], **PULLED_90}),
    rule(2, {"tagStatus": "untagged", **PULLED_90}),
    rule(3, {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 500}),
]}


def test_the_previous_cache_policy_is_refused_and_its_cap_was_dead() -> None:
    problems = lp.ecr_problems(PREVIOUS_CACHE_POLICY)
    assert problems == [
        "rule 1: sinceImagePulled only works with the transition (archive) action, not expire",
        "rule 2: sinceImagePulled only works with the transition (archive) action, not expire",
    ]
    # With a count type ECR accepts, the cap behind "tagged *" + "untagged" does nothing.
    pushed = copy.deepcopy(PREVIOUS_CACHE_POLICY)
    for r in pushed["rules"][:2]:
        r["selection"]["countType"] = "sinceImagePushed"
    assert lp.ecr_problems(pushed) == [
        "rule 3 can never expire anything: earlier rules claim every image it selects"]


@given(days=st.integers(1, 3650), keep=st.integers(0, 100_000))
def test_every_cache_policy_is_valid_and_acts(days: int, keep: int) -> None:
    policy = lp.cache_lifecycle_policy(days, keep)
    assert lp.ecr_problems(policy) == []
    (only,) = policy["rules"]  # one rule: ECR applies one rule per image anyway
    assert only["action"] == {"type": "expire"}
    assert only["selection"]["tagStatus"] == "any"  # index and children judged alike
    assert only["selection"]["countType"] != "sinceImagePulled"


def test_cache_policy_exact() -> None:
    assert lp.cache_lifecycle_policy(90) == {"rules": [{
        "rulePriority": 1,
        "description": "Safety limit: expire cached images 90 days after they were cached, "
                       "pulled or not (the pruner removes unpulled ones sooner; an expired one "
                       "is fetched again from upstream when pulled)",
        "selection": {"tagStatus": "any", "countType": "sinceImagePushed",
                      "countUnit": "days", "countNumber": 90},
        "action": {"type": "expire"},
    }]}
    assert lp.cache_lifecycle_policy(90, 25)["rules"][0]["selection"] == {
        "tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 25}
    # The count cap needs no age limit: 0 turns cacheMaxAgeDays off.
    assert lp.cache_lifecycle_policy(0, 25) == lp.cache_lifecycle_policy(90, 25)


def test_no_cache_policy_when_both_limits_are_off() -> None:
    assert lp.cache_lifecycle_policy_or_none(0, 0) is None
    assert lp.cache_lifecycle_policy_or_none(30, 0) == lp.cache_lifecycle_policy(30)
    with pytest.raises(lp.PolicyValueError, match="both 0"):
        lp.cache_lifecycle_policy(0, 0)


@given(keep=st.integers(1, 100_000))
def test_custom_policy_is_valid_and_never_touches_untagged(keep: int) -> None:
    policy = lp.custom_lifecycle_policy(keep)
    assert lp.ecr_problems(policy) == []
    assert all(r["selection"]["tagStatus"] == "tagged" for r in policy["rules"])


@pytest.mark.parametrize(("call", "text"), [
    (lambda: lp.cache_lifecycle_policy(-1), "max age days must be 0 (off) or more"),
    (lambda: lp.cache_lifecycle_policy(1, -1), "keep images must be 0 (off) or more"),
    (lambda: lp.custom_lifecycle_policy(0), "keep images must be at least 1"),
])
def test_out_of_range_values_are_refused(call: Any, text: str) -> None:
    with pytest.raises(lp.PolicyValueError, match=text.replace("(", r"\(").replace(")", r"\)")):
        call()


AGE = {"countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7}
COUNT = {"countType": "imageCountMoreThan", "countNumber": 3}


@pytest.mark.parametrize(("policy", "text"), [
    ({"rules": []}, "at least one rule"),
    ({"rules": [rule(1, {"tagStatus": "tagged", **AGE})]}, "tagged needs exactly one"),
    ({"rules": [rule(1, {"tagStatus": "untagged", "tagPrefixList": ["v"], **AGE})]},
     "untagged must not have tagPrefixList"),
    ({"rules": [rule(1, {"tagStatus": "tagged", "tagPatternList": ["*a*b*c*d*"], **AGE})]},
     "at most four wildcards"),
    ({"rules": [rule(1, {"tagStatus": "any", "countType": "sinceImagePushed",
                         "countNumber": 7})]}, "needs countUnit days"),
    ({"rules": [rule(1, {"tagStatus": "any", **COUNT, "countUnit": "days"})]},
     "takes no countUnit"),
    ({"rules": [rule(1, {"tagStatus": "any", **AGE}, action="transition")]},
     "transition needs targetStorageClass archive"),
    ({"rules": [rule(1, {"tagStatus": "any", **AGE}), rule(2, {"tagStatus": "untagged",
                                                                 **COUNT})]},
     "it must have the highest rulePriority"),
    ({"rules": [rule(1, {"tagStatus": "untagged", **AGE}),
                rule(2, {"tagStatus": "untagged", **COUNT})]}, "only one rule may select"),
    ({"rules": [rule(1, {"tagStatus": "tagged", "tagPatternList": ["v*"], **AGE}),
                rule(1, {"tagStatus": "untagged", **COUNT})]}, "must be unique"),
    ({"rules": [rule(1, {"tagStatus": "tagged", "tagPatternList": ["*"], **AGE}),
                rule(2, {"tagStatus": "tagged", "tagPatternList": ["v*"], **COUNT})]},
     "rule 2 can never expire anything"),
])
def test_ecr_problems_finds_each_documented_mistake(policy: dict[str, Any], text: str) -> None:
    assert any(text in p for p in lp.ecr_problems(policy)), lp.ecr_problems(policy)


def test_ecr_problems_accepts_documented_shapes() -> None:
    # AWS user guide examples: tagged prefixes then untagged; and archive-then-expire.
    assert lp.ecr_problems({"rules": [
        rule(1, {"tagStatus": "tagged", "tagPatternList": ["prod*"], **COUNT}),
        rule(2, {"tagStatus": "untagged", **AGE}),
        rule(3, {"tagStatus": "any", **COUNT}),
    ]}) == []
    archive = rule(1, {"tagStatus": "any", **PULLED_90}, action="transition")
    archive["action"]["targetStorageClass"] = "archive"
    delete_archived = rule(2, {"tagStatus": "any", "storageClass": "archive",
                               "countType": "sinceImageTransitioned", "countUnit": "days",
                               "countNumber": 365})
    assert lp.ecr_problems({"rules": [archive, delete_archived]}) == []


def test_settings_warn_that_the_cap_replaces_the_age_limit() -> None:
    capped = load_settings({**CREDENTIALS, "cacheKeepImages": "50"}, SECRETS)
    assert any("cacheKeepImages is set" in w and "cacheMaxAgeDays does not apply" in w
               for w in capped.warnings)
    plain = load_settings(dict(CREDENTIALS), SECRETS)
    assert not any("cacheKeepImages" in w for w in plain.warnings)
