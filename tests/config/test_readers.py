"""One reader per fact: the program, the tools and setup-ecr.sh judge a config alike.

The same stack config, as each reader receives it: the Pulumi runtime (strings, arrays as
JSON text; what ``ecr/stack/config_source.py`` reads), ``Pulumi.<stack>.yaml`` (YAML
values, ``secure:`` secrets; ``ecr/config/stackfile.py``) and ``pulumi config --json``
(``value``/``objectValue``, secrets without a value; ``python -m ecr.config plan`` in
setup-ecr.sh).  Each must give the same ``Settings``, or the same problems.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ecr.config import sources, stackfile
from ecr.config.__main__ import main as config_main
from ecr.config.problems import ConfigError
from ecr.config.settings import Settings, load_settings, validate
from tests.conftest import ROOT

TOKEN_KEYS = ("dockerHubAccessToken", "githubToken")


def as_runtime(config: dict[str, Any]) -> tuple[dict[str, object], set[str]]:
    """How the Pulumi runtime hands config to the program."""
    raw: dict[str, object] = {k: json.dumps(v) if isinstance(v, list) else
           (str(v).lower() if isinstance(v, bool) else str(v)) for k, v in config.items()}
    return raw, {f"infra-ecr:{k}" for k in TOKEN_KEYS if k in config}


def as_stack_file(config: dict[str, Any]) -> Any:
    """``Pulumi.<stack>.yaml`` after ``pulumi config set`` (scalars stored as strings)."""
    body: dict[str, Any] = {"aws:region": "af-south-1"}
    for key, value in config.items():
        if key in TOKEN_KEYS:
            body[f"infra-ecr:{key}"] = {"secure": "v1:AAAAciphertext"}
        elif isinstance(value, list):
            body[f"infra-ecr:{key}"] = value
        else:
            body[f"infra-ecr:{key}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return yaml.safe_load(yaml.safe_dump({"config": body}))


def as_config_json(config: dict[str, Any]) -> dict[str, Any]:
    """``pulumi config --json`` without --show-secrets."""
    out: dict[str, Any] = {"aws:region": {"value": "af-south-1", "secret": False}}
    for key, value in config.items():
        if key in TOKEN_KEYS:
            out[f"infra-ecr:{key}"] = {"secret": True}
        elif isinstance(value, list):
            out[f"infra-ecr:{key}"] = {"value": json.dumps(value), "objectValue": value,
                                       "secret": False}
        else:
            out[f"infra-ecr:{key}"] = {"value": str(value), "secret": False}
    return out


def without_tokens(settings: Settings) -> Settings:
    """Tools and setup never read a secret's value: compare everything else."""
    from dataclasses import replace
    return replace(settings, credentials=tuple(
        replace(c, token=type(c.token)("")) for c in settings.credentials))


CREDENTIALS = {"dockerHubUsername": "dh", "dockerHubAccessToken": "t1",
               "githubUsername": "gh", "githubToken": "t2"}
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": dict(CREDENTIALS),
    "everything": {**CREDENTIALS, "caches": ["docker-hub", "quay", "github"],
                   "customRepositories": ["team-a/api", "web"], "cacheUnpulledDays": 30,
                   "cacheMaxAgeDays": 400, "cacheKeepImages": 0, "customKeepImages": 12,
                   "pruneSchedule": "cron(0 3 * * ? *)", "eksClusterName": "platform",
                   "scanOnPush": False, "pullAccountIds": ["111111111111"],
                   "organizationId": "o-a1b2c3d4e5", "replicationRegions": ["eu-west-1"],
                   "monthlyBudgetUsd": "12.50", "budgetAlertEmails": ["ops@example.com"],
                   "dashboard": False},
    # A role ARN (what the EKS console shows) means its role name, for every reader.
    "role-arns": {"caches": ["quay", "k8s"],
                  "nodeRoleNames": ["arn:aws:iam::123456789012:role/eks/nodes-a", "nodes-b",
                                    "arn:aws-cn:iam::123456789012:role/nodes-b"]},
    "pruning-off": {"caches": ["quay"], "cacheUnpulledDays": 0, "cacheMaxAgeDays": 0,
                    "cacheKeepImages": 100},
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_the_three_readers_give_the_same_settings(name: str) -> None:
    config = CONFIGS[name]
    program = load_settings(*as_runtime(config))
    tools = stackfile.parse(as_stack_file(config), Path("Pulumi.prod.yaml")).settings
    setup = sources.from_config_json(as_config_json(config))
    via_setup = validate(setup.values, setup.secret_keys).settings_or_raise()
    assert without_tokens(tools) == without_tokens(program)
    assert without_tokens(via_setup) == without_tokens(program)
    assert tools.warnings == program.warnings == via_setup.warnings
    assert setup.region == "af-south-1"


def test_role_arns_become_role_names() -> None:
    settings = load_settings(*as_runtime(CONFIGS["role-arns"]))
    assert settings.node_role_names == ("nodes-a", "nodes-b")


BAD: dict[str, tuple[dict[str, Any], str]] = {
    # `pulumi config set infra-ecr:caches quay,k8s` stores one plain string.
    "plain-string-array": ({"caches": "quay,k8s"},
                           "infra-ecr:caches: must be a list of strings, got the plain string "
                           "'quay,k8s'"),
    "bad-role": ({"caches": ["quay"], "nodeRoleNames": ["arn:aws:iam::1:role/x", "a b"]},
                 "not IAM role names or role ARNs: 'arn:aws:iam::1:role/x', 'a b'"),
    "bad-schedule": ({"caches": ["quay"], "pruneSchedule": "rate(1 days)"},
                     "a rate of 1 takes a singular unit"),
    "negative-max-age": ({"caches": ["quay"], "cacheMaxAgeDays": -1},
                         "infra-ecr:cacheMaxAgeDays: must be 0 (off) or more"),
}


def problems_of(call: Any) -> list[str]:
    with pytest.raises((ConfigError, stackfile.StackFileError)) as caught:
        call()
    return [line.strip() for line in str(caught.value).splitlines()[1:]]


@pytest.mark.parametrize("name", sorted(BAD))
def test_the_three_readers_refuse_alike(name: str, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    config, text = BAD[name]
    program = problems_of(lambda: load_settings(*as_runtime(config)))
    tools = problems_of(lambda: stackfile.parse(as_stack_file(config), Path("Pulumi.x.yaml")))
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(as_config_json(config))))
    assert config_main(["plan"]) == 3
    setup = [line.strip() for line in capsys.readouterr().err.splitlines()[1:]]
    assert program == tools == setup
    assert any(text in line for line in program), program


def test_setup_plan_leaves_missing_and_plaintext_credentials_to_the_script(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = as_config_json({"caches": ["docker-hub", "github", "quay"],
                             "githubUsername": "gh", "nodeRoleNames": ["nodes"]})
    config["infra-ecr:dockerHubAccessToken"] = {"value": "oops", "secret": False}
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(config)))
    assert config_main(["plan"]) == 0
    captured = capsys.readouterr()
    records = [line.split("\t") for line in captured.out.splitlines()]
    assert records[0] == ["region", "af-south-1"]
    assert records[1] == ["caches", "docker-hub,github,quay"]
    creds = {r[1]: (r[-2], r[-1]) for r in records if r[0] == "cred"}
    assert creds == {"docker-hub": ("0", "0"), "github": ("1", "0")}
    assert records[-1] == ["nodes", "1"]
    assert "infra-ecr:dockerHubAccessToken is stored in plaintext" in captured.err


def test_python_m_ecr_config_runs_with_the_standard_library_only() -> None:
    """setup-ecr.sh prints its help with any python3, before the virtualenv exists."""
    code = ("import sys; sys.modules['yaml'] = None; sys.modules['pulumi'] = None\n"
            "import runpy; runpy.run_module('ecr.config', run_name='__main__')")
    result = subprocess.run([sys.executable, "-c", code, "help"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "DOCKERHUB_USERNAME + DOCKERHUB_TOKEN: Docker Hub" in result.stdout


def test_the_tools_find_the_projects_own_stack_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """PROJECT_DIR is the directory holding Pulumi.yaml (it pointed at ecr/ after the move)."""
    monkeypatch.undo()  # this directory's conftest points the tools at an empty project
    assert (stackfile.default_path().parent / "Pulumi.yaml").is_file()
    assert stackfile.default_path() == ROOT / "Pulumi.prod.yaml"
