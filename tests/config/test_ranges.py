"""issue 20: numbers are checked against one range each, in the config and the flags alike
(``ecr.config.keys``), so nothing reaches date arithmetic or a report out of range."""

from __future__ import annotations

import pytest

from ecr.config import keys
from ecr.config.settings import validate
from ecr.pruner import rules


@pytest.mark.parametrize(("key", "value", "message"), [
    ("cacheUnpulledDays", 800000, "must be at most 36500 days, got 800000"),
    ("cacheUnpulledDays", "999999999", "must be at most 36500 days, got 999999999"),
    ("cacheMaxAgeDays", 10**12, "must be at most 36500 days"),
    ("cacheKeepImages", 10**30, "must be at most 1000000 images"),
    ("customKeepImages", 2**63, "must be at most 1000000 images"),
    ("cacheUnpulledDays", -1, "must be 0 (off) or more, got -1"),
    ("customKeepImages", 0, "must be at least 1, got 0"),
])
def test_config_numbers_out_of_range_are_problems(key: str, value: object, message: str) -> None:
    found = validate({"caches": ["quay"], key: value}).problems
    assert [p.key for p in found] == [key]
    assert message in found[0].message


@pytest.mark.parametrize(("key", "value"), [
    ("cacheUnpulledDays", 36500), ("cacheUnpulledDays", 0), ("cacheMaxAgeDays", 36500),
    ("cacheKeepImages", 1000000), ("customKeepImages", 1),
])
def test_the_ends_of_each_range_are_accepted(key: str, value: int) -> None:
    assert validate({"caches": ["quay"], key: value}).problems == ()


def test_the_pruner_and_the_config_share_the_days_limit() -> None:
    assert keys.CACHE_UNPULLED_DAYS.high == keys.UNPULLED_DAYS_FLAG.high == rules.MAX_UNPULLED_DAYS
    assert rules.unpulled_days_problem(keys.CACHE_UNPULLED_DAYS.high) is None


def test_empty_caches_is_no_caches_and_a_missing_key_every_cache() -> None:
    empties: list[object] = [[], "[]"]
    for empty in empties:
        settings = validate({"caches": empty}).settings
        assert settings.caches == () and not settings.prunes and settings.upstreams == ()
    for missing in ({}, {"caches": None}, {"caches": ""}):
        assert len(validate(missing).settings.caches) == 5
