"""lifecycle apply: the template's policy on older cached repositories, idempotently."""

from __future__ import annotations

import json

import pytest

from ecr.aws import backfill
from ecr.cli import main
from ecr.config import stackfile
from ecr.policies import lifecycle as lifecycle_policy
from tests.aws.conftest import error_response, inject, moto_clients, plain_ecr

# The stack's default cache policy (cacheMaxAgeDays, cacheKeepImages: ecr/config/keys.py).
TEMPLATE = stackfile.cache_policy_settings(None).policy()
HAND_MADE = json.dumps({"rules": [{
    "rulePriority": 1, "description": "keep 5",
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 5},
    "action": {"type": "expire"}}]})


def policy_of(ecr, name):
    try:
        return ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"]
    except ecr.exceptions.LifecyclePolicyNotFoundException:
        return None


def apply(capsys, *extra):
    code = main.main(["lifecycle", "apply", "-o", "json", *extra])
    captured = capsys.readouterr()
    data = json.loads(captured.out) if captured.out else None
    return code, data, captured.err


def results(data):
    return {r["name"]: r["result"] for r in data["repositories"]}


@pytest.fixture
def registry(lifecycle_env):
    ecr = plain_ecr()
    for name in ("docker-hub/library/nginx", "quay/app", "k8s/pause", "custom-apps"):
        ecr.create_repository(repositoryName=name)
    ecr.put_lifecycle_policy(repositoryName="quay/app",
                             lifecyclePolicyText=lifecycle_policy.to_json(TEMPLATE))
    ecr.put_lifecycle_policy(repositoryName="k8s/pause", lifecyclePolicyText=HAND_MADE)
    return ecr


def test_decide_covers_missing_same_and_different():
    wanted = lifecycle_policy.to_json(TEMPLATE)
    assert backfill.decide(None, wanted, False)[0] == "put"
    spaced = json.dumps(TEMPLATE, indent=4)  # same document, other whitespace and order
    assert backfill.decide(spaced, wanted, False)[0] == "keep"
    assert backfill.decide(HAND_MADE, wanted, False) == (
        "skip", "has a different lifecycle policy; rerun with --force to replace it")
    assert backfill.decide(HAND_MADE, wanted, True)[0] == "put"


def test_dry_run_reports_and_writes_nothing(registry, capsys):
    code, data, _ = apply(capsys, "--dry-run")
    assert code == 0 and data["dry_run"] is True
    assert results(data) == {"docker-hub/library/nginx": "would change",
                             "k8s/pause": "skipped", "quay/app": "already right"}
    assert policy_of(registry, "docker-hub/library/nginx") is None


def test_apply_changes_only_what_lacks_the_policy_and_is_idempotent(registry, capsys):
    code, data, _ = apply(capsys)
    assert code == 0
    assert results(data) == {"docker-hub/library/nginx": "changed",
                             "k8s/pause": "skipped", "quay/app": "already right"}
    assert data["summary"]["changed"] == 1
    written = policy_of(registry, "docker-hub/library/nginx")
    assert lifecycle_policy.same_policy(written, lifecycle_policy.to_json(TEMPLATE))
    assert policy_of(registry, "k8s/pause") == HAND_MADE  # someone's own policy stays
    assert policy_of(registry, "custom-apps") is None  # private repositories are not touched

    code, data, _ = apply(capsys)
    assert code == 0
    assert results(data)["docker-hub/library/nginx"] == "already right"
    assert data["summary"]["changed"] == 0


def test_force_replaces_a_different_policy(registry, capsys):
    code, data, _ = apply(capsys, "--force", "--prefix", "k8s")
    assert code == 0 and results(data) == {"k8s/pause": "changed"}
    assert lifecycle_policy.same_policy(policy_of(registry, "k8s/pause"),
                                        lifecycle_policy.to_json(TEMPLATE))


def test_settings_come_from_flags_then_stack_file(registry, tmp_path, capsys):
    stack = tmp_path / "Pulumi.prod.yaml"
    # cacheUnpulledDays (the pruner's) and cacheMaxAgeDays (the policy's) both set: the
    # policy must follow the age limit whichever of them the stack file reader knows
    stack.write_text("config:\n  infra-ecr:cacheUnpulledDays: '30'\n"
                     "  infra-ecr:cacheMaxAgeDays: '30'\n  infra-ecr:cacheKeepImages: 10\n")
    code, data, _ = apply(capsys, "--stack-file", str(stack), "--prefix", "docker-hub")
    assert code == 0
    assert data["policy"] == lifecycle_policy.cache_lifecycle_policy(30, 10)
    written = json.loads(policy_of(registry, "docker-hub/library/nginx"))
    assert written == lifecycle_policy.cache_lifecycle_policy(30, 10)

    code, data, _ = apply(capsys, "--stack-file", str(stack), "--max-age-days", "45",
                          "--dry-run")
    assert data["policy"] == lifecycle_policy.cache_lifecycle_policy(45, 10)
    # the quay repository has the 90-day policy: not the wanted one now, so it is skipped
    assert results(data)["quay/app"] == "skipped"


def test_table_output_and_summary(registry, capsys):
    assert main.main(["lifecycle", "apply", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "REPOSITORY" in out and "would change" in out
    assert "(dry run: nothing was written)" in out


def test_no_cached_repositories_is_not_an_error(lifecycle_env, capsys):
    assert main.main(["lifecycle", "apply"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_access_denied_on_put_fails_with_a_clear_message(registry, capsys):
    clients = moto_clients()
    inject(clients.ecr, "PutLifecyclePolicy",
           lambda body: error_response("AccessDeniedException", "no ecr:PutLifecyclePolicy"))
    outcomes = backfill.backfill(clients.ecr, ["docker-hub"], TEMPLATE, dry_run=False)
    assert [o.result for o in outcomes] == ["failed"]
    assert "access denied" in outcomes[0].reason
    assert policy_of(registry, "docker-hub/library/nginx") is None


def test_bad_values_are_usage_errors(lifecycle_env, capsys):
    assert main.main(["lifecycle", "apply", "--max-age-days", "-1"]) == 2
    assert "--max-age-days must be 0 (off) or more, got -1" in capsys.readouterr().err
    assert main.main(["lifecycle", "apply", "--keep-images", "-1"]) == 2
    assert main.main(["lifecycle", "apply", "--max-age-days", "0", "--keep-images", "0"]) == 2
    assert "(--max-age-days / --keep-images)" in capsys.readouterr().err  # both off
    with pytest.raises(SystemExit) as exc:
        main.main(["lifecycle"])  # no action given
    assert exc.value.code == 2


def test_failed_writes_make_the_command_exit_1(registry, monkeypatch, capsys):
    from ecr.aws import clients as ops_clients

    clients = moto_clients()
    inject(clients.ecr, "PutLifecyclePolicy",
           lambda body: error_response("AccessDeniedException", "no ecr:PutLifecyclePolicy"))
    monkeypatch.setattr(ops_clients, "for_profile", lambda profile, region: clients)
    assert main.main(["lifecycle", "apply", "--prefix", "docker-hub"]) == 1
    captured = capsys.readouterr()
    assert "failed" in captured.out
    assert "lifecycle policy of docker-hub/library/nginx: access denied" in captured.err


def _with_clients(monkeypatch, clients):
    from ecr.aws import clients as ops_clients

    monkeypatch.setattr(ops_clients, "for_profile", lambda profile, region: clients)


def test_a_listing_that_repeats_its_token_writes_nothing(registry, monkeypatch, capsys):
    """issue 20: a nextToken seen before would list forever; it is an error naming the call."""
    clients = moto_clients()
    clients.ecr.meta.events.register("after-call.ecr.DescribeRepositories",
                                     lambda parsed, **_: parsed.update(nextToken="again"))
    _with_clients(monkeypatch, clients)
    code, data, err = apply(capsys)
    assert code == 1 and "DescribeRepositories: the nextToken 'again' came back" in err
    assert "came back a second time" in data["error"] and data["repositories"] == []
    assert policy_of(registry, "docker-hub/library/nginx") is None


def test_a_policy_answer_without_text_is_a_failure_not_a_crash(registry, monkeypatch, capsys):
    clients = moto_clients()
    clients.ecr.meta.events.register(
        "after-call.ecr.GetLifecyclePolicy",
        lambda parsed, **_: parsed.pop("lifecyclePolicyText", None))
    _with_clients(monkeypatch, clients)
    code, data, err = apply(capsys, "--prefix", "quay")
    assert code == 1 and results(data) == {"quay/app": "failed"}
    assert "GetLifecyclePolicy of quay/app: the answer has no lifecyclePolicyText" in err
