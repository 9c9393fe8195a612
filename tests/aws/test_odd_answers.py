"""Odd answers from ECR (issue 20): tokens seen before, answers of the wrong shape.

``status`` runs whole (``ecr.cli.main.main``) against a scripted ECR endpoint on
127.0.0.1 (tests/aws/scripted_ecr.py), through botocore as always: a loop would end at
the script's call limit, a traceback would fail the test.  doctor's paginated reads are
answered by a Stubber (their answers keep the model's shape; only the tokens are odd).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from ecr.aws import checks, inventory, pages, sessions
from ecr.aws import clients as ops_clients
from ecr.cli import main
from ecr.cli.commands import status as status_cmd
from tests.aws.scripted_ecr import Answer, ScriptedEcr, cycling, ok

REGION = "af-south-1"
ACCOUNT = "123456789012"
DIGEST = "sha256:" + "a" * 64
PUSHED = 1_700_000_000  # 2023-11-14, seconds since the epoch as ECR sends them


def repo(name: str) -> dict[str, Any]:
    return {"repositoryName": name, "registryId": ACCOUNT,
            "repositoryArn": f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{name}"}


def image(digest: str = DIGEST, **extra: Any) -> dict[str, Any]:
    return {"registryId": ACCOUNT, "imageDigest": digest, "imageSizeInBytes": 1000,
            "imagePushedAt": PUSHED, "imageTags": ["v1"], **extra}


def images_of(details: list[dict[str, Any]]) -> Any:
    return lambda body: ok({"imageDetails": details})


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """Start a ScriptedEcr with the given scripts, the AWS environment pointing at it."""
    started: list[ScriptedEcr] = []
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pulumi: the stack outputs stay empty

    def start(scripts: dict[str, Any]) -> ScriptedEcr:
        server = ScriptedEcr(scripts).__enter__()
        started.append(server)
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.url)
        return server

    yield start
    for server in started:
        server.__exit__()


def run_status(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main.main(["status", "--output", "json"])
    out, err = capsys.readouterr()
    return code, out, err


# --- tokens seen before ----------------------------------------------------------------

@pytest.mark.parametrize("answers", [
    [([repo("quay/a")], "t")],  # the same token every time
    [([repo("quay/a")], "t1"), ([repo("quay/b")], "t2")],  # alternating: t1, t2, t1 ...
], ids=["repeating", "alternating"])
def test_a_listing_token_seen_before_is_an_error_naming_the_call(scripted, capsys, answers):
    server = scripted({"DescribeRepositories": cycling(answers, "repositories"),
                       "DescribeImages": images_of([image()])})
    code, out, err = run_status(capsys)
    assert code == 1
    # no report of a listing that never ended: a document that says so
    assert json.loads(out) == {"error": err.removeprefix("error: ").rstrip("\n"),
                               "repositories": []}
    assert "DescribeRepositories answered a nextToken it had answered before" in err
    assert err.count("error:") == 1
    assert server.operations().count("DescribeRepositories") == len(answers) + 1


def test_an_images_token_seen_before_fails_that_repository_only(scripted, capsys):
    looping = cycling([([image("sha256:" + "b" * 64)], "x"), ([image()], "y")], "imageDetails")
    server = scripted({
        "DescribeRepositories": lambda body: ok({"repositories": [repo("quay/loop"),
                                                                  repo("quay/fine")]}),
        "DescribeImages": lambda body: (looping(body) if body["repositoryName"] == "quay/loop"
                                        else ok({"imageDetails": [image()]})),
    })
    code, out, err = run_status(capsys)
    assert code == 1
    assert err.count("error:") == 1 and "quay/loop" in err
    found = {r["name"]: r for r in json.loads(out)["repositories"]}
    assert found["quay/fine"]["images"] == 1 and found["quay/fine"]["error"] is None
    assert "DescribeImages answered a nextToken it had answered before" in (
        found["quay/loop"]["error"])
    loop_calls = [b for op, b in server.calls
                  if op == "DescribeImages" and b["repositoryName"] == "quay/loop"]
    assert len(loop_calls) == 3  # x, y, then x again: stop


def test_pages_are_followed_to_the_end_1000_at_a_time(scripted, capsys):
    server = scripted({
        "DescribeRepositories": cycling([([repo("quay/a")], "p2"), ([repo("quay/b")], None)],
                                        "repositories"),
        "DescribeImages": images_of([image()]),
    })
    code, out, _ = run_status(capsys)
    assert code == 0
    assert [r["name"] for r in json.loads(out)["repositories"]] == ["quay/a", "quay/b"]
    listing = [b for op, b in server.calls if op == "DescribeRepositories"]
    assert listing == [{"maxResults": 1000}, {"maxResults": 1000, "nextToken": "p2"}]


# --- answers of the wrong shape ----------------------------------------------------------

def _listing(answer: Answer) -> Any:
    return lambda body: answer


@pytest.mark.parametrize(("answer", "said"), [
    ((200, b""), "DescribeRepositories answered no repositories, not a list"),
    ((200, b"{}"), "DescribeRepositories answered no repositories, not a list"),
    ((200, b'{"repositories": null}'), "DescribeRepositories answered no repositories"),
    ((200, b"[]"), "answered DescribeRepositories with HTTP 200"),
    ((200, b'{"repositories": [{"registryId": "1"}]}'),
     "DescribeRepositories answered an item of repositories without repositoryName"),
    ((200, b'{"repositories": ["quay/a"]}'), "DescribeRepositories answered"),
    ((200, b'{"repositories": {"repositoryName": "quay/a"}}'), "DescribeRepositories answered"),
], ids=["empty body", "empty object", "null list", "a list", "no name", "names only",
        "an object"])
def test_a_listing_of_the_wrong_shape_is_an_error_not_an_empty_registry(
        scripted, capsys, answer, said):
    scripted({"DescribeRepositories": _listing(answer)})
    code, out, err = run_status(capsys)
    assert code == 1
    assert json.loads(out) == {"error": err.removeprefix("error: ").rstrip("\n"),
                               "repositories": []}
    assert said in err
    assert err.startswith("error: list ECR repositories: ")
    assert "Traceback" not in err


@pytest.mark.parametrize(("details", "said"), [
    ([{"imageSizeInBytes": 10, "imagePushedAt": PUSHED}], "without imageDigest"),
    ([image(imagePushedAt=1e20)], "something botocore cannot read"),
    ([image(imagePushedAt=-1e15)], "something botocore cannot read"),
    ([image(lastRecordedPullTime="yesterday")], "something botocore cannot read"),
    (["sha256:abc"], "DescribeImages answered"),
], ids=["no digest", "pushed in year 3e12", "pushed before year 1", "pull time not a time",
        "digests only"])
def test_images_of_the_wrong_shape_fail_that_repository_with_the_call_named(
        scripted, capsys, details, said):
    scripted({
        "DescribeRepositories": lambda body: ok({"repositories": [repo("quay/odd"),
                                                                  repo("quay/fine")]}),
        "DescribeImages": lambda body: (ok({"imageDetails": details})
                                        if body["repositoryName"] == "quay/odd"
                                        else ok({"imageDetails": [image()]})),
    })
    code, out, err = run_status(capsys)
    assert code == 1
    found = {r["name"]: r for r in json.loads(out)["repositories"]}
    assert found["quay/fine"]["error"] is None and found["quay/fine"]["images"] == 1
    assert found["quay/odd"]["error"].startswith("describe images of quay/odd: DescribeImages")
    assert said in found["quay/odd"]["error"]
    assert "Traceback" not in err


def test_one_kind_of_failure_is_one_error_line_naming_the_repositories(scripted, capsys):
    names = [f"quay/app{i}" for i in range(9)]
    denied = json.dumps({"__type": "AccessDeniedException",
                         "message": "not authorized to perform ecr:DescribeImages"}).encode()
    scripted({
        "DescribeRepositories": lambda body: ok({"repositories": [repo(n) for n in names]}),
        "DescribeImages": lambda body: (400, denied),
    })
    code, out, err = run_status(capsys)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: describe images of quay/app0: access denied")
    assert "(the same for 8 other repositories: quay/app1, quay/app2" in lines[0]
    assert lines[0].endswith("and 3 more)")
    assert all(r["error"] for r in json.loads(out)["repositories"])


# --- the guard itself, and doctor's paginated reads -----------------------------------

def test_botocores_own_paginator_stops_a_repeat_but_not_an_alternation():
    """Why the tools page through ecr.aws.pages: botocore's paginator catches the same
    token twice in a row, not tokens that alternate."""
    client = sessions.client(sessions.session(region=REGION), "ecr")
    with Stubber(client) as stub:
        for token in ("a", "b", "a", "b", "a"):
            stub.add_response("describe_repositories",
                              {"repositories": [repo("quay/a")], "nextToken": token})
        answered = client.get_paginator("describe_repositories").paginate()
        seen = [page["nextToken"] for _, page in zip(range(5), answered, strict=False)]
    assert seen == ["a", "b", "a", "b", "a"]  # it would go on


def test_the_guard_stops_a_token_it_sent_before():
    client = sessions.client(sessions.session(region=REGION), "ecr")
    with Stubber(client) as stub:
        for token in ("a", "b", "a"):
            stub.add_response("describe_repositories",
                              {"repositories": [repo("quay/a")], "nextToken": token})
        with pytest.raises(pages.BadAnswer, match="DescribeRepositories answered a nextToken"):
            inventory.list_repositories(client)
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("tokens", [["t", "t"], ["t1", "t2", "t1"]], ids=["repeating",
                                                                           "alternating"])
def test_doctor_reads_name_the_call_whose_tokens_loop(tokens):
    client = sessions.client(sessions.session(region=REGION), "ecr")
    with Stubber(client) as stub:
        for token in tokens:
            stub.add_response("describe_pull_through_cache_rules",
                              {"pullThroughCacheRules": [], "nextToken": token})
        for token in tokens:
            stub.add_response("describe_repository_creation_templates",
                              {"repositoryCreationTemplates": [], "nextToken": token})
        rules = checks.check_rules(client, ["quay"])
        templates = checks.check_templates(client, ["quay"], None)
    assert [c.status for c in rules + templates] == [checks.FAIL, checks.FAIL]
    assert "DescribePullThroughCacheRules answered a nextToken it had" in rules[0].detail
    assert "DescribeRepositoryCreationTemplates answered a nextToken it had" in (
        templates[0].detail)


def test_simulate_principal_policy_markers_seen_before_are_an_error():
    iam = sessions.client(sessions.session(region=REGION), "iam")
    answer = {"EvaluationResults": [{"EvalActionName": "ecr:BatchGetImage",
                                     "EvalResourceName": "*", "EvalDecision": "allowed"}],
              "IsTruncated": True, "Marker": "m"}
    with Stubber(iam) as stub:
        stub.add_response("simulate_principal_policy", answer)
        stub.add_response("simulate_principal_policy", answer)
        with pytest.raises(pages.BadAnswer, match="iam:SimulatePrincipalPolicy answered a "
                                                  "Marker it had answered before"):
            checks._denied(iam, f"arn:aws:iam::{ACCOUNT}:role/r", ["ecr:BatchGetImage"], "*",
                           None, None)


# --- single calls of the wrong shape: doctor's and status's account ----------------------

def test_an_identity_without_its_account_fails_the_check_naming_the_call():
    sts = sessions.client(sessions.session(region=REGION), "sts")
    with Stubber(sts) as stub:
        stub.add_response("get_caller_identity", {"UserId": "AIDAEXAMPLE"})
        check, account = checks.check_identity(sts, REGION)
    assert (check.status, account) == (checks.FAIL, None)
    assert "sts:GetCallerIdentity answered no Account" in check.detail


@pytest.mark.parametrize(("answer", "said"), [
    ((200, b"{}"), "ecr:GetRegistryPolicy answered no policyText"),
    ((200, b'{"policyText": ""}'), "ecr:GetRegistryPolicy answered no policyText"),
    ((200, b"[]"), "answered GetRegistryPolicy with HTTP 200"),
], ids=["empty", "empty text", "a list"])
def test_a_registry_policy_of_the_wrong_shape_is_a_warning_naming_the_call(
        scripted, answer, said):
    scripted({"GetRegistryPolicy": lambda body: answer})
    ecr = sessions.client(sessions.session(region=REGION), "ecr")
    text, check = checks.registry_policy_text(ecr)
    assert text is None and check is not None
    assert check.status == checks.WARN and said in check.detail


def test_an_empty_registry_whose_account_cannot_be_read_still_reports(scripted, capsys):
    scripted({"DescribeRepositories": lambda body: ok({"repositories": []})})
    sts = sessions.client(sessions.session(region=REGION), "sts")
    made = ops_clients.Clients(session=sessions.session(region=REGION),
                               overrides={"sts": sts})
    with Stubber(sts) as stub:
        stub.add_response("get_caller_identity", {"UserId": "AIDAEXAMPLE"})
        code = status_cmd.status(made, REGION, ["quay"], 30, 0.1, 4, "json", 0,
                                 {"budget_name": None, "dashboard_url": None})
    out, err = capsys.readouterr()
    assert code == 0
    assert json.loads(out)["registry"] is None
    assert "warning: sts get-caller-identity: sts:GetCallerIdentity answered no Account" in err
