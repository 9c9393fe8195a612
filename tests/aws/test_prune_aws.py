"""The pruner's ECR calls: against a real moto_server where moto implements them, with
botocore's Stubber for what moto does not produce (pull times, pages, per-image throttling)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber

from ecr.pruner import ecr_api, prune, rules
from ecr.pruner.ecr_api import Calls, Repository
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, error_response, inject, plain_ecr

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=200)
RECENT = NOW - timedelta(days=2)
PREFIXES = ["docker-hub", "quay"]


def pruner_client() -> Any:
    return ecr_api.client(REGION)


def stubbed() -> tuple[Any, Stubber]:
    client = ecr_api.client(REGION)
    stub = Stubber(client)
    stub.activate()
    return client, stub


def digest(n: int) -> str:
    return "sha256:" + f"{n:064x}"


# --- listing: only the cache prefixes, every page -----------------------------------------


def test_lists_only_repositories_under_the_prefixes(aws_env: object) -> None:
    ecr = plain_ecr()
    for name in ("docker-hub/library/nginx", "quay/app", "github/org/x", "custom-apps",
                 "docker-hubx/y", "team/docker-hub/z"):
        ecr.create_repository(repositoryName=name)
    calls = Calls()
    found = ecr_api.list_repositories(pruner_client(), PREFIXES, calls)
    assert [(r.name, r.prefix) for r in found] == [("docker-hub/library/nginx", "docker-hub"),
                                                   ("quay/app", "quay")]
    assert found[0].registry_id == "123456789012"
    assert calls.counts == {"DescribeRepositories": 1}


def test_listing_follows_every_page(aws_env: object) -> None:
    client, stub = stubbed()
    repo = {"repositoryName": "quay/a", "registryId": "123456789012"}
    stub.add_response("describe_repositories", {"repositories": [repo], "nextToken": "t"},
                      {"maxResults": 1000})
    stub.add_response("describe_repositories",
                      {"repositories": [{**repo, "repositoryName": "quay/b"},
                                        {**repo, "repositoryName": "custom"}]},
                      {"maxResults": 1000, "nextToken": "t"})
    calls = Calls()
    assert [r.name for r in ecr_api.list_repositories(client, ["quay"], calls)] == [
        "quay/a", "quay/b"]
    assert calls.counts == {"DescribeRepositories": 2}
    stub.assert_no_pending_responses()


# --- describing: moto's fields, and the pull time moto never records ----------------------


def test_describe_images_reads_media_types_and_sizes_from_moto(aws_env: object) -> None:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName="quay/app")
    index, children = seed.put_multiarch(ecr, "quay/app", "v1", "1.0")
    images = {i.digest: i for i in ecr_api.describe_images(
        pruner_client(), Repository("quay/app", "quay", None), Calls())}
    assert set(images) == {index, *children}
    assert images[index].is_index and images[index].tags == ("1.0",)
    assert not images[children[0]].is_index and images[children[0]].size == 1000
    assert images[children[0]].pushed_at is not None


def test_describe_images_reads_last_pull_and_pages(aws_env: object) -> None:
    client, stub = stubbed()
    base = {"registryId": "1", "repositoryName": "quay/a", "imagePushedAt": OLD}
    stub.add_response("describe_images", {
        "imageDetails": [{**base, "imageDigest": digest(1), "lastRecordedPullTime": RECENT,
                          "imageSizeInBytes": 5}],
        "nextToken": "n"}, {"repositoryName": "quay/a", "maxResults": 1000})
    stub.add_response("describe_images", {"imageDetails": [{**base, "imageDigest": digest(2)}]},
                      {"repositoryName": "quay/a", "maxResults": 1000, "nextToken": "n"})
    calls = Calls()
    images = ecr_api.describe_images(client, Repository("quay/a", "quay", None), calls)
    assert [(i.last_pull, i.last_used) for i in images] == [(RECENT, RECENT), (None, OLD)]
    assert calls.counts == {"DescribeImages": 2}


# --- reading indexes: only indexes, 100 per call ------------------------------------------


def test_reads_children_of_indexes_only_in_batches_of_100(aws_env: object) -> None:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName="quay/many")
    child = seed.put_single(ecr, "quay/many", "shared")
    indexes = [seed.put_index(ecr, "quay/many", [child], seed=str(n)) for n in range(150)]
    client = pruner_client()
    seen = inject(client, "BatchGetImage", lambda body: None)
    calls = Calls()
    children = ecr_api.read_children(client, Repository("quay/many", "quay", None), indexes,
                                     calls)
    assert children == {i: (child,) for i in indexes}
    assert [len(a["imageIds"]) for a in seen] == [100, 50]
    assert rules.OCI_INDEX in seen[0]["acceptedMediaTypes"]
    assert calls.counts == {"BatchGetImage": 2}


def test_an_unreadable_index_protects_its_repository(aws_env: object) -> None:
    client, stub = stubbed()
    repo = Repository("quay/a", "quay", None)
    stub.add_response("batch_get_image", {"images": [], "failures": [
        {"imageId": {"imageDigest": digest(1)}, "failureCode": "KmsError",
         "failureReason": "key disabled"},
        {"imageId": {"imageDigest": digest(2)}, "failureCode": "ImageNotFound",
         "failureReason": "gone"}]})
    with pytest.raises(ecr_api.UnreadableIndex, match="KmsError key disabled"):
        ecr_api.read_children(client, repo, [digest(1), digest(2)], Calls())
    stub.add_response("batch_get_image", {"images": [], "failures": [
        {"imageId": {"imageDigest": digest(2)}, "failureCode": "ImageNotFound",
         "failureReason": "gone"}]})
    assert ecr_api.read_children(client, repo, [digest(2)], Calls()) == {digest(2): ()}


# --- deleting: batches of 100, ECR's retries, per-image failures --------------------------


def test_deletes_in_batches_of_100_on_moto(aws_env: object) -> None:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName="docker-hub/big")
    made = [seed.put_single(ecr, "docker-hub/big", f"i{n}", tag=f"t{n}" if n % 2 else None)
            for n in range(250)]
    keep = seed.put_single(ecr, "docker-hub/big", "keep", tag="keep")
    client = pruner_client()
    seen = inject(client, "BatchDeleteImage", lambda body: None)
    calls = Calls()
    batches: list[int] = []
    images = [rules.Image(d, size=1) for d in made]
    done = ecr_api.delete_images(client, Repository("docker-hub/big", "docker-hub", None),
                                 images, calls, on_batch=batches.append)
    assert [len(a["imageIds"]) for a in seen] == [100, 100, 50]
    assert len(done.images) == 250 and not done.failures and not done.gone
    assert batches == [100, 100, 50]
    assert seed.digests(ecr, "docker-hub/big") == {keep}


def test_throttled_calls_are_retried_by_botocore(aws_env: object) -> None:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName="quay/t")
    made = [seed.put_single(ecr, "quay/t", f"i{n}") for n in range(3)]
    client = pruner_client()
    answers = iter([error_response("ThrottlingException", "Rate exceeded"),
                    error_response("ThrottlingException", "Rate exceeded")])
    seen = inject(client, "BatchDeleteImage", lambda body: next(answers, None))
    done = ecr_api.delete_images(client, Repository("quay/t", "quay", None),
                                 [rules.Image(d) for d in made], Calls())
    assert len(seen) == 3  # two throttled attempts, then moto's answer
    assert len(done.images) == 3 and not done.failures
    assert seed.digests(ecr, "quay/t") == set()


def test_a_call_that_keeps_failing_is_reported_per_image(aws_env: object) -> None:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName="quay/d")
    made = [seed.put_single(ecr, "quay/d", f"i{n}") for n in range(2)]
    client = pruner_client()
    inject(client, "BatchDeleteImage",
           lambda body: error_response("AccessDeniedException", "no ecr:BatchDeleteImage"))
    done = ecr_api.delete_images(client, Repository("quay/d", "quay", None),
                                 [rules.Image(d) for d in made], Calls())
    assert [(f.digest, f.code) for f in done.failures] == [
        (d, "AccessDeniedException") for d in made]
    assert "no ecr:BatchDeleteImage" in done.failures[0].reason
    assert seed.digests(ecr, "quay/d") == set(made)


def test_transient_per_image_failures_are_retried_and_the_rest_reported() -> None:
    client, stub = stubbed()
    repo = Repository("quay/a", "quay", None)
    ids = [digest(n) for n in range(4)]

    def failure(n: int, code: str) -> dict[str, Any]:
        return {"imageId": {"imageDigest": ids[n]}, "failureCode": code, "failureReason": code}

    stub.add_response("batch_delete_image", {
        "imageIds": [{"imageDigest": ids[0]}],
        "failures": [failure(1, "ImageReferencedByManifestList"),
                     failure(2, "UpstreamTooManyRequests"), failure(3, "InvalidImageDigest")]},
        {"repositoryName": "quay/a", "imageIds": [{"imageDigest": d} for d in ids]})
    stub.add_response("batch_delete_image", {
        "imageIds": [{"imageDigest": ids[1]}], "failures": [failure(2, "ImageNotFound")]},
        {"repositoryName": "quay/a", "imageIds": [{"imageDigest": ids[1]},
                                                  {"imageDigest": ids[2]}]})
    pauses: list[float] = []
    calls = Calls()
    done = ecr_api.delete_images(client, repo, [rules.Image(d, size=1) for d in ids], calls,
                                 sleep=pauses.append)
    stub.assert_no_pending_responses()
    assert [i.digest for i in done.images] == [ids[0], ids[1]]
    assert [i.digest for i in done.gone] == [ids[2]]
    assert [(f.digest, f.code) for f in done.failures] == [(ids[3], "InvalidImageDigest")]
    assert len(pauses) == 1 and calls.counts == {"BatchDeleteImage": 2}


def test_a_failure_that_stays_transient_is_reported_after_the_last_round() -> None:
    client, stub = stubbed()
    repo = Repository("quay/a", "quay", None)
    for _ in range(ecr_api.DELETE_ROUNDS):
        stub.add_response("batch_delete_image", {"failures": [
            {"imageId": {"imageDigest": digest(1)}, "failureCode": "KmsError",
             "failureReason": "KMS throttled"}]})
    done = ecr_api.delete_images(client, repo, [rules.Image(digest(1))], Calls(),
                                 sleep=lambda s: None)
    stub.assert_no_pending_responses()
    assert [(f.code, f.reason) for f in done.failures] == [("KmsError", "KMS throttled")]


# --- a whole prune on moto ---------------------------------------------------------------


@pytest.fixture
def cache(aws_env: object) -> dict[str, Any]:
    """Cached repositories (multi-arch and single) plus a custom repository, with times."""
    ecr = plain_ecr()
    for name in ("docker-hub/library/nginx", "quay/app", "custom-apps"):
        ecr.create_repository(repositoryName=name)
    nginx_old, nginx_old_children = seed.put_multiarch(ecr, "docker-hub/library/nginx", "old",
                                                       None)
    nginx_new, nginx_new_children = seed.put_multiarch(ecr, "docker-hub/library/nginx", "new",
                                                       "1.27")
    stale_app = seed.put_single(ecr, "quay/app", "stale", tag="1.0")
    used_app = seed.put_single(ecr, "quay/app", "used", tag="2.0")
    custom = seed.put_single(ecr, "custom-apps", "mine", tag="1")
    pulls = {nginx_old: OLD, nginx_new: RECENT, nginx_new_children[0]: RECENT, used_app: RECENT}
    return {
        "ecr": ecr, "pulls": pulls,
        "gone": {nginx_old, *nginx_old_children, stale_app},
        "stays": {nginx_new, *nginx_new_children, used_app},
        "custom": custom,
    }


def test_prune_deletes_exactly_the_quiet_units(cache: dict[str, Any]) -> None:
    client = pruner_client()
    seed.record_times(client, OLD, cache["pulls"])
    progress: list[tuple[str, int, int]] = []
    outcome = prune.prune(client, ["docker-hub", "quay", "ecr-public"], 90, dry_run=False,
                          now=NOW, progress=lambda *a: progress.append(a))
    ecr = cache["ecr"]
    left = seed.digests(ecr, "docker-hub/library/nginx") | seed.digests(ecr, "quay/app")
    assert left == cache["stays"]
    assert seed.digests(ecr, "custom-apps") == {cache["custom"]}
    summary = prune.summary(outcome)
    assert summary["deleted_images"] == len(cache["gone"]) == 4
    assert summary["selected_units"] == 2 and summary["repositories"] == 2
    assert summary["failed"] == 0 and summary["failures"] == []
    assert summary["freed_bytes"] == 3000  # 2 platforms + 1 single of 1000; moto sizes no index
    # DescribeImages: one listing per repository, one re-read (by digest) per delete batch
    assert summary["api_calls"] == {"BatchDeleteImage": 2, "BatchGetImage": 1,
                                    "DescribeImages": 4, "DescribeRepositories": 1}
    assert ("reading", 2, 2) in progress and ("deleting", 4, 4) in progress
    json.dumps(summary)  # one JSON line


def test_dry_run_deletes_nothing_and_reports_the_same_selection(cache: dict[str, Any]) -> None:
    client = pruner_client()
    seed.record_times(client, OLD, cache["pulls"])
    outcome = prune.prune(client, ["docker-hub", "quay"], 90, dry_run=True, now=NOW)
    summary = prune.summary(outcome)
    assert (summary["selected_images"], summary["deleted_images"]) == (4, 0)
    assert "BatchDeleteImage" not in summary["api_calls"]
    assert {i.digest for r in outcome.plan.repositories for i in r.selected} == cache["gone"]
    ecr = cache["ecr"]
    assert seed.digests(ecr, "quay/app") | seed.digests(ecr, "docker-hub/library/nginx") == (
        cache["gone"] | cache["stays"])


def test_nothing_quiet_means_no_index_is_read(cache: dict[str, Any]) -> None:
    client = pruner_client()
    seed.record_times(client, RECENT, {})
    outcome = prune.prune(client, ["docker-hub", "quay"], 90, dry_run=False, now=NOW)
    assert outcome.plan.calls.counts == {"DescribeImages": 2, "DescribeRepositories": 1}


def test_a_repository_that_cannot_be_read_is_reported_and_the_others_pruned(
    cache: dict[str, Any]
) -> None:
    client = pruner_client()
    seed.record_times(client, OLD, cache["pulls"])
    inject(client, "DescribeImages",
           lambda body: error_response("AccessDeniedException", "denied")
           if body["repositoryName"] == "quay/app" else None)
    summary = prune.summary(prune.prune(client, PREFIXES, 90, dry_run=False, now=NOW))
    assert summary["deleted_images"] == 3 and summary["failed"] == 1
    assert summary["failures"][0]["repository"] == "quay/app"
    assert summary["failures"][0]["code"] == "AccessDeniedException"
    assert len(seed.digests(cache["ecr"], "quay/app")) == 2
