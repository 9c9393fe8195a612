"""ecr.config.settings: every key's parsing, defaults and refusal, plus the project files."""

from __future__ import annotations

import json
import shlex
from decimal import Decimal
from typing import Any

import pytest
import yaml

from ecr import catalogue
from ecr.config.settings import (
    KEYS,
    ConfigError,
    SecretText,
    Settings,
    load_settings,
    replication_region_problem,
    set_list_command,
)
from tests.conftest import ROOT

TOKENS = {"dockerHubUsername": "u", "dockerHubAccessToken": "dh-token",
          "githubUsername": "g", "githubToken": "gh-token"}
SECRETS = {"infra-ecr:dockerHubAccessToken", "infra-ecr:githubToken"}


def load(**raw: Any) -> Settings:
    return load_settings({**TOKENS, **raw}, SECRETS)


def problem(**raw: Any) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_settings({**TOKENS, **raw}, SECRETS)
    return caught.value


def test_defaults() -> None:
    s = load()
    assert s.caches == catalogue.DEFAULT_CACHES
    assert s.custom_repositories == ("custom-apps",)
    assert (s.cache_unpulled_days, s.cache_keep_images, s.custom_keep_images) == (90, 0, 30)
    assert s.node_role_names == () and s.eks_cluster_name is None
    assert s.scan_on_push is True and s.dashboard is True
    assert s.pull_account_ids == () and s.organization_id is None and not s.shares_cache
    assert s.replication_regions == () and s.monthly_budget_usd is None
    assert [c.prefix for c in s.credentials] == ["docker-hub", "github"]
    assert any("no node roles" in w for w in s.warnings)


def test_values_as_pulumi_gives_them() -> None:
    s = load(caches='["quay","docker-hub"]', cacheUnpulledDays="14", cacheKeepImages="3",
             customKeepImages="5", scanOnPush="false", dashboard="False",
             nodeRoleNames='["a", "arn:aws:iam::123456789012:role/path/to/b"]',
             eksClusterName="prod-cluster", pullAccountIds='["111111111111", 22222222222]',
             organizationId="o-abcdefghij", replicationRegions='["eu-west-1"]',
             monthlyBudgetUsd="12.50", budgetAlertEmails='["ops@example.com"]')
    assert s.caches == ("quay", "docker-hub")
    assert (s.cache_unpulled_days, s.cache_keep_images, s.custom_keep_images) == (14, 3, 5)
    assert s.scan_on_push is False and s.dashboard is False
    assert s.node_role_names == ("a", "b")
    assert s.eks_cluster_name == "prod-cluster"
    assert s.pull_account_ids == ("111111111111", "022222222222")
    assert s.organization_id == "o-abcdefghij" and s.shares_cache
    assert s.replication_regions == ("eu-west-1",)
    assert s.monthly_budget_usd == Decimal("12.50")
    assert s.budget_alert_emails == ("ops@example.com",)
    assert [c.prefix for c in s.credentials] == ["docker-hub"]  # github not cached


def test_python_values_are_accepted_too() -> None:
    s = load(caches=["k8s"], scanOnPush=False, cacheUnpulledDays=7)
    assert s.caches == ("k8s",) and s.scan_on_push is False and s.cache_unpulled_days == 7


def test_the_token_never_shows_in_repr() -> None:
    s = load()
    assert "dh-token" not in repr(s) and "gh-token" not in repr(s)
    assert s.credentials[0].token == SecretText("dh-token")
    assert s.credentials[0].token.reveal() == "dh-token"


@pytest.mark.parametrize(("raw", "key", "fix"), [
    ({"caches": '["dockerhub"]'}, "caches",
     "pulumi config rm infra-ecr:caches && pulumi config set --path 'infra-ecr:caches[0]' "
     "docker-hub"),
    ({"caches": '["quay", "quay"]'}, "caches",
     "pulumi config rm infra-ecr:caches && pulumi config set --path 'infra-ecr:caches[0]' quay"),
    ({"caches": "quay"}, "caches",
     "pulumi config rm infra-ecr:caches && pulumi config set --path 'infra-ecr:caches[0]' quay"),
    ({"caches": '{"a": 1}'}, "caches", "pulumi config rm infra-ecr:caches"),
    ({"caches": "[1]"}, "caches", "pulumi config rm infra-ecr:caches"),
    ({"dockerHubUsername": ""}, "dockerHubUsername",
     "pulumi config set infra-ecr:dockerHubUsername '<your user name>'"),
    ({"githubToken": None}, "githubToken", "pulumi config set --secret infra-ecr:githubToken"),
    ({"customRepositories": '["Apps"]'}, "customRepositories",
     "pulumi config rm infra-ecr:customRepositories"),
    ({"customRepositories": '["ok-repo", "a"]'}, "customRepositories",
     "pulumi config rm infra-ecr:customRepositories && pulumi config set --path "
     "'infra-ecr:customRepositories[0]' ok-repo"),
    ({"customRepositories": '["x", "x"]'}, "customRepositories", "pulumi config rm"),
    ({"customRepositories": '["k8s/mine"]'}, "customRepositories", "pulumi config rm"),
    ({"cacheUnpulledDays": "-1"}, "cacheUnpulledDays",
     "pulumi config set infra-ecr:cacheUnpulledDays 90"),
    ({"cacheUnpulledDays": "1.5"}, "cacheUnpulledDays",
     "pulumi config set infra-ecr:cacheUnpulledDays 90"),
    ({"cacheUnpulledDays": True}, "cacheUnpulledDays", "pulumi config set"),
    ({"cacheKeepImages": "-2"}, "cacheKeepImages", "pulumi config set infra-ecr:cacheKeepImages 0"),
    ({"customKeepImages": "0"}, "customKeepImages",
     "pulumi config set infra-ecr:customKeepImages 30"),
    ({"scanOnPush": "maybe"}, "scanOnPush", "pulumi config set infra-ecr:scanOnPush true"),
    ({"dashboard": "1"}, "dashboard", "pulumi config set infra-ecr:dashboard true"),
    ({"nodeRoleNames": '["has space"]'}, "nodeRoleNames", "pulumi config rm"),
    ({"eksClusterName": "_bad"}, "eksClusterName", "pulumi config rm infra-ecr:eksClusterName"),
    ({"pullAccountIds": '["12345"]'}, "pullAccountIds", "pulumi config rm"),
    ({"pullAccountIds": '["111111111111", "111111111111"]'}, "pullAccountIds",
     "pulumi config set --path 'infra-ecr:pullAccountIds[0]' --type string 111111111111"),
    ({"organizationId": "o-SHOUTING12"}, "organizationId", "pulumi config rm"),
    ({"replicationRegions": '["mars-1"]'}, "replicationRegions", "pulumi config rm"),
    ({"replicationRegions": '["eu-west-1", "eu-west-1"]'}, "replicationRegions",
     "pulumi config set --path 'infra-ecr:replicationRegions[0]' eu-west-1"),
    ({"replicationRegions": '["eu-west-1"]', "customRepositories": "[]"},
     "replicationRegions", "pulumi config rm infra-ecr:replicationRegions"),
    # PREFIX_MATCH "ecr" would replicate the cache's "ecr-public/..." repositories too.
    ({"replicationRegions": '["eu-west-1"]', "customRepositories": '["ecr", "web"]'},
     "customRepositories", "pulumi config rm infra-ecr:customRepositories && pulumi config "
     "set --path 'infra-ecr:customRepositories[0]' web"),
    ({"monthlyBudgetUsd": "lots", "budgetAlertEmails": '["a@b.co"]'}, "monthlyBudgetUsd",
     "pulumi config set infra-ecr:monthlyBudgetUsd 25"),
    ({"monthlyBudgetUsd": "0", "budgetAlertEmails": '["a@b.co"]'}, "monthlyBudgetUsd",
     "pulumi config rm infra-ecr:monthlyBudgetUsd"),
    ({"monthlyBudgetUsd": "NaN", "budgetAlertEmails": '["a@b.co"]'}, "monthlyBudgetUsd",
     "pulumi config set"),
    ({"monthlyBudgetUsd": "25"}, "budgetAlertEmails",
     "pulumi config set --path 'infra-ecr:budgetAlertEmails[0]' you@example.com"),
    ({"monthlyBudgetUsd": "25", "budgetAlertEmails": '["ops"]'}, "budgetAlertEmails",
     "pulumi config rm"),
    ({"scanOnPsuh": "true"}, "scanOnPsuh", "pulumi config rm infra-ecr:scanOnPsuh"),
])
def test_every_bad_value_names_its_key_and_fix(raw: dict[str, Any], key: str, fix: str) -> None:
    error = problem(**raw)
    assert error.key == key
    assert error.fix.startswith(fix) or fix in error.fix, error.fix
    assert f"infra-ecr:{key}:" in str(error)
    assert "dh-token" not in str(error) and "gh-token" not in str(error)


def test_all_problems_are_reported_at_once() -> None:
    error = problem(caches='["nope"]', cacheUnpulledDays="-1", organizationId="x")
    assert [p.key for p in error.problems] == ["caches", "cacheUnpulledDays", "organizationId"]


def test_a_plaintext_token_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(TOKENS, {"infra-ecr:githubToken"})
    assert caught.value.key == "dockerHubAccessToken"
    assert "plain text" in str(caught.value) and "dh-token" not in str(caught.value)


def test_missing_credentials_only_matter_for_chosen_caches() -> None:
    s = load_settings({"caches": '["quay", "k8s", "ecr-public"]'})
    assert s.credentials == ()
    error = problem(caches='["github"]', githubUsername="")
    assert error.key == "githubUsername"
    assert "read:packages" not in str(error)  # only the token's message explains the token
    error = problem(caches='["github"]', githubToken="")
    assert "read:packages" in str(error)


def test_fix_commands_are_shell_safe() -> None:
    command = set_list_command("nodeRoleNames", ["role; rm -rf /", "012345678901"])
    parts = [shlex.split(c) for c in command.split(" && ")]
    assert parts[0] == ["pulumi", "config", "rm", "infra-ecr:nodeRoleNames"]
    assert parts[1][-1] == "role; rm -rf /"
    assert parts[2] == ["pulumi", "config", "set", "--path", "infra-ecr:nodeRoleNames[1]",
                        "--type", "string", "012345678901"]


def test_replication_to_the_stack_region_is_refused() -> None:
    s = load(replicationRegions='["eu-west-1", "af-south-1"]')
    assert replication_region_problem(s, "eu-central-1") is None
    found = replication_region_problem(s, "af-south-1")
    assert found is not None and found.key == "replicationRegions"
    assert found.fix.endswith("'infra-ecr:replicationRegions[0]' eu-west-1")


def test_budget_emails_without_budget_only_warn() -> None:
    s = load(budgetAlertEmails='["ops@example.com"]')
    assert s.monthly_budget_usd is None
    assert any("no budget is created" in w for w in s.warnings)


# --- the project files agree with the settings ------------------------------------------------

def _project() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_pulumi_yaml_project() -> None:
    project = _project()
    assert project["name"] == "infra-ecr"
    assert project["runtime"] == {"name": "python",
                                  "options": {"toolchain": "pip", "virtualenv": "venv"}}


def test_pulumi_yaml_declares_every_key_with_type_description_default() -> None:
    config = _project()["config"]
    assert list(config) == [k.name for k in KEYS]
    for key in KEYS:
        declared = config[key.name]
        assert declared["type"] == key.type
        assert declared["description"] == key.description
        assert declared["default"] == key.default
        if key.type == "array":
            assert declared["items"] == {"type": "string"}
        # Pulumi would require a value for a key without default, or refuse a plain default
        # for a 'secret: true' key; the program checks secretness itself.
        assert "secret" not in declared


def test_pulumi_yaml_defaults_are_the_program_defaults() -> None:
    defaults = {name: (json.dumps(d["default"]) if isinstance(d["default"], list)
                       else str(d["default"]).lower() if isinstance(d["default"], bool)
                       else str(d["default"]))
                for name, d in _project()["config"].items()}
    with_defaults = load_settings({**defaults, **TOKENS}, SECRETS)
    assert with_defaults == load()


@pytest.mark.parametrize(("file", "region"), [("Pulumi.prod.yaml", "af-south-1"),
                                              ("Pulumi.prod-eu-west-1.yaml", "eu-west-1")])
def test_stack_files_are_valid(file: str, region: str) -> None:
    config = yaml.safe_load((ROOT / file).read_text())["config"]
    assert config["aws:region"] == region
    ours = {k.split(":", 1)[1]: (json.dumps(v) if isinstance(v, list) else v)
            for k, v in config.items() if k.startswith("infra-ecr:")}
    # The tokens are per stack secrets, set by hand; everything else must validate.
    s = load_settings({**TOKENS, **ours}, SECRETS)
    assert s.caches == catalogue.DEFAULT_CACHES


def test_a_private_name_that_prefixes_a_cache_is_fine_without_replication() -> None:
    # Only replication filters match by name prefix; a plain repository is harmless.
    assert load(customRepositories='["ecr", "git", "k8"]').custom_repositories == (
        "ecr", "git", "k8")
    error = problem(customRepositories='["git", "k8", "web"]',
                    replicationRegions='["eu-west-1"]')
    assert "'git' would also replicate the cache's 'github/...'" in str(error)
    assert "'k8' would also replicate the cache's 'k8s/...'" in str(error)
