"""issue 20: the pruner deletes only what its plan proved, on answers it understood.

On moto_server (pull times from ``prune_seed.PullLog``, which can change them between the
plan and the delete), with ECR answers of the wrong shape sent as raw HTTP bodies through
botocore's real parser (``conftest.inject``), and Stubber pages for the tokens.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.stub import Stubber

from ecr.pruner import ecr_api, handler, prune
from ecr.pruner.ecr_api import Calls, Repository
from tests.aws import prune_seed as seed
from tests.aws.conftest import REGION, _Body, error_response, inject, plain_ecr

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=200)
RECENT = NOW - timedelta(days=1)
NGINX, APP = "docker-hub/library/nginx", "quay/app"


def json_response(body: object) -> AWSResponse:
    """A 200 answer with this body (``bytes`` as they are, anything else as JSON)."""
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.1"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return AWSResponse("https://test", 200, headers, _Body(data))


@pytest.fixture
def cache(aws_env: object) -> dict[str, Any]:
    """nginx: a multi-arch 1.25 (index + 2 platforms) and a single 1.0; quay/app: 1.0 and
    2.0; every image cached 200 days ago and never pulled: a prune deletes all of them."""
    ecr = plain_ecr()
    for name in (NGINX, APP):
        ecr.create_repository(repositoryName=name)
    index, children = seed.put_multiarch(ecr, NGINX, "1.25", "1.25")
    single = seed.put_single(ecr, NGINX, "1.0", tag="1.0")
    app1 = seed.put_single(ecr, APP, "1", tag="1.0")
    app2 = seed.put_single(ecr, APP, "2", tag="2.0")
    client = ecr_api.client(REGION)
    return {"ecr": ecr, "client": client, "log": seed.PullLog(client, OLD), "index": index,
            "children": children, "single": single, "app1": app1, "app2": app2}


def held(cache: dict[str, Any]) -> set[str]:
    return seed.digests(cache["ecr"], NGINX) | seed.digests(cache["ecr"], APP)


def run(cache: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    outcome = prune.prune(cache["client"], ["docker-hub", "quay"], 90, dry_run=False, now=NOW,
                          **kwargs)
    return prune.summary(outcome)


# --- a stale plan: re-read right before each delete batch -------------------------------


def test_an_image_pulled_after_the_plan_is_kept_with_its_unit(cache: dict[str, Any]) -> None:
    """A platform of 1.25 and quay's 2.0 are pulled between the plan and the delete: the
    whole 1.25 unit stays (index and both platforms), 2.0 stays, the rest goes."""
    log = cache["log"]
    log.when_rereading(lambda: log.pull(cache["children"][1], NOW), NGINX)
    log.when_rereading(lambda: log.pull(cache["app2"], NOW), APP)
    summary = run(cache)
    assert held(cache) == {cache["index"], *cache["children"], cache["app2"]}
    assert summary["selected_images"] == 6 and summary["deleted_images"] == 2
    assert summary["kept_changed"] == 4 and summary["failed"] == 0


def test_an_image_retagged_after_the_plan_is_kept(cache: dict[str, Any]) -> None:
    ecr = cache["ecr"]
    text = seed.manifest("1", 1000)  # quay/app 1.0's manifest, given a second tag
    cache["log"].when_rereading(lambda: ecr.put_image(repositoryName=APP, imageManifest=text,
                                                      imageTag="stable"), APP)
    summary = run(cache)
    assert held(cache) == {cache["app1"]}
    assert summary["kept_changed"] == 1 and summary["deleted_images"] == 5


def test_a_plan_unchanged_is_deleted_whole_after_the_reread(cache: dict[str, Any]) -> None:
    reread = inject(cache["client"], "DescribeImages", lambda body: None)
    summary = run(cache)
    assert held(cache) == set() and summary["kept_changed"] == 0
    by_digest = [a for a in reread if "imageIds" in a]
    assert sorted(len(a["imageIds"]) for a in by_digest) == [2, 4]  # one re-read per batch


def test_a_reread_that_fails_deletes_nothing_of_its_batch(cache: dict[str, Any]) -> None:
    inject(cache["client"], "DescribeImages",
           lambda body: error_response("AccessDeniedException", "no ecr:DescribeImages")
           if "imageIds" in body and body["repositoryName"] == APP else None)
    summary = run(cache)
    assert held(cache) == {cache["app1"], cache["app2"]}
    assert summary["deleted_images"] == 4 and summary["failed"] == 2
    assert "re-reading it failed" in summary["failures"][0]["reason"]


def test_many_images_are_reread_in_batches_of_100(aws_env: object) -> None:
    ecr = plain_ecr()
    ecr.create_repository(repositoryName=APP)
    made = {seed.put_single(ecr, APP, f"i{n}", tag=f"t{n}") for n in range(230)}
    client = ecr_api.client(REGION)
    log = seed.PullLog(client, OLD)
    last = sorted(made)[-1]
    log.when_rereading(lambda: log.pull(last, NOW))
    seen = inject(client, "DescribeImages", lambda body: None)
    summary = prune.summary(prune.prune(client, ["quay"], 90, False, NOW))
    assert [len(a["imageIds"]) for a in seen if "imageIds" in a] == [100, 100, 30]
    assert summary["deleted_images"] == 229 and seed.digests(ecr, APP) == {last}


# --- gone is success ---------------------------------------------------------------------


def test_a_repository_deleted_after_the_plan_is_not_a_failure(cache: dict[str, Any]) -> None:
    ecr = cache["ecr"]
    cache["log"].when_rereading(lambda: ecr.delete_repository(repositoryName=APP, force=True),
                                APP)
    summary = run(cache)
    assert summary["failed"] == 0 and summary["already_gone"] == 2
    assert summary["deleted_images"] == 4


def test_repository_not_found_on_delete_counts_as_gone(cache: dict[str, Any]) -> None:
    inject(cache["client"], "BatchDeleteImage",
           lambda body: error_response("RepositoryNotFoundException", "gone")
           if body["repositoryName"] == APP else None)
    summary = run(cache)
    assert summary["failed"] == 0 and summary["already_gone"] == 2
    assert seed.digests(cache["ecr"], NGINX) == set()
    result = handler.run(cache["client"], {"CACHE_PREFIXES": "quay", "UNPULLED_DAYS": "90"})
    assert result["failed"] == 0  # the function's alarm stays quiet


# --- an index that cannot be read ------------------------------------------------------------


@pytest.mark.parametrize("manifest", [
    "", "null", "not json {", "[]", '{"manifests": "sha256:x"}', '{"manifests": [{}]}', None,
])
def test_an_unreadable_index_keeps_what_it_might_list(
    cache: dict[str, Any], manifest: str | None
) -> None:
    """The 1.0 single image was pulled yesterday: with the index unreadable, it might be
    listed by it, so nothing in nginx goes; quay is pruned as usual; no failure."""
    cache["log"].pull(cache["single"], RECENT)
    image: dict[str, Any] = {"imageId": {"imageDigest": cache["index"]}}
    if manifest is not None:
        image["imageManifest"] = manifest
    inject(cache["client"], "BatchGetImage",
           lambda body: json_response({"images": [image], "failures": []}))
    summary = run(cache)
    assert seed.digests(cache["ecr"], NGINX) == {cache["index"], *cache["children"],
                                                 cache["single"]}
    assert seed.digests(cache["ecr"], APP) == set()
    assert summary["unreadable_indexes"] == 1 and summary["failed"] == 0


def test_a_readable_index_still_lets_its_quiet_unit_go(cache: dict[str, Any]) -> None:
    """The control for the test above: same pull, the index read from moto."""
    cache["log"].pull(cache["single"], RECENT)
    summary = run(cache)
    assert seed.digests(cache["ecr"], NGINX) == {cache["single"]}
    assert summary["unreadable_indexes"] == 0


# --- pagination and answers of the wrong shape -------------------------------------------


def stubbed() -> tuple[Any, Stubber]:
    client = ecr_api.client(REGION)
    stub = Stubber(client)
    stub.activate()
    return client, stub


@pytest.mark.parametrize("tokens", [["t", "t"], ["a", "b", "a"]])
def test_a_next_token_seen_before_is_an_error_naming_the_call(tokens: list[str]) -> None:
    client, stub = stubbed()
    for token in tokens:
        stub.add_response("describe_repositories", {"repositories": [], "nextToken": token})
    with pytest.raises(ecr_api.BadAnswer, match=f"DescribeRepositories: the nextToken "
                       f"'{tokens[-1]}' came back a second time"):
        ecr_api.list_repositories(client, ["quay"], Calls())
    client, stub = stubbed()
    for token in tokens:
        stub.add_response("describe_images", {"imageDetails": [], "nextToken": token})
    with pytest.raises(ecr_api.BadAnswer, match="DescribeImages of quay/a: the nextToken"):
        ecr_api.describe_images(client, Repository("quay/a", "quay", None), Calls())


@pytest.mark.parametrize(("body", "message"), [
    (b"[]", "DescribeRepositories: the answer could not be read"),
    (b"null", "DescribeRepositories: the answer could not be read"),
    (b"", "DescribeRepositories: the answer has no repositories list"),
    ({"repositories": [{"registryId": "123456789012"}]},
     "DescribeRepositories: an entry without a repositoryName string"),
])
def test_a_listing_of_the_wrong_shape_stops_the_prune(
    cache: dict[str, Any], body: object, message: str
) -> None:
    before = held(cache)
    inject(cache["client"], "DescribeRepositories", lambda _: json_response(body))
    with pytest.raises(ecr_api.BadAnswer, match=message):
        run(cache)
    assert held(cache) == before


@pytest.mark.parametrize(("details", "message"), [
    ([{"imageTags": ["1"]}], "an entry without a imageDigest string"),
    ({"imageDigest": "sha256:1"}, "the answer could not be read"),
    ([{"imageDigest": "sha256:1", "imagePushedAt": 1e20}], "the answer could not be read"),
    ([{"imageDigest": "sha256:1", "imagePushedAt": 253402300800}],
     "the answer could not be read"),
    ([{"imageDigest": "sha256:1", "imagePushedAt": 0}], "imagePushedAt of sha256:1 is out of "
     "range: 1970-01-01"),
    ([{"imageDigest": "sha256:1", "lastRecordedPullTime": 1}], "out of range"),
])
def test_an_image_listing_of_the_wrong_shape_spares_its_repository(
    cache: dict[str, Any], details: object, message: str
) -> None:
    inject(cache["client"], "DescribeImages",
           lambda body: json_response({"imageDetails": details})
           if body["repositoryName"] == APP and "imageIds" not in body else None)
    summary = run(cache)
    assert seed.digests(cache["ecr"], APP) == {cache["app1"], cache["app2"]}
    assert seed.digests(cache["ecr"], NGINX) == set()
    [failure] = summary["failures"]
    assert failure["code"] == "BadAnswer" and f"DescribeImages of {APP}" in failure["reason"]
    assert message in failure["reason"]


def test_a_reread_of_the_wrong_shape_deletes_nothing_of_its_batch(
    cache: dict[str, Any]
) -> None:
    inject(cache["client"], "DescribeImages",
           lambda body: json_response({"imageDetails": [{"imageDigest": None}]})
           if body["repositoryName"] == APP and "imageIds" in body else None)
    summary = run(cache)
    assert seed.digests(cache["ecr"], APP) == {cache["app1"], cache["app2"]}
    assert summary["failed"] == 2 and summary["failures"][0]["code"] == "BadAnswer"


def test_a_delete_answer_of_the_wrong_shape_stops_deleting_there(
    cache: dict[str, Any]
) -> None:
    inject(cache["client"], "BatchDeleteImage",
           lambda body: json_response({"failures": [{"failureCode": "X"}]})
           if body["repositoryName"] == APP else None)
    summary = run(cache)
    assert summary["failed"] == 2
    assert "BatchDeleteImage of quay/app: an entry without an imageId" in (
        summary["failures"][0]["reason"])
