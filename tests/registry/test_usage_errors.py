"""Bad command lines for ``verify`` fail fast with exit 2 and say what to give (QA findings)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecr.cli import main

DEAD_REGISTRY = "http://127.0.0.1:1"  # never contacted: usage errors come first


def test_missing_file_is_a_usage_error_not_an_invalid_image(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "values.yaml"
    code = main.main(["verify", "--registry", DEAD_REGISTRY, str(missing)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{missing}: no such file or directory" in err
    assert "empty path component" not in err


@pytest.mark.parametrize("target", ["values.yml", "./apps", "../env/values.yaml"])
def test_relative_missing_paths_are_usage_errors(
    target: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main.main(["verify", "--registry", DEAD_REGISTRY, target]) == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_no_targets_names_chart_and_apps(capsys: pytest.CaptureFixture[str]) -> None:
    assert main.main(["verify", "--registry", DEAD_REGISTRY]) == 2
    err = capsys.readouterr().err
    assert "--chart" in err and "--apps" in err


def test_apps_takes_several_paths_like_convert() -> None:
    # docs/verify.md: verify [--chart CHART -f VALUES... | --apps PATH...]
    args = main.build_parser("verify").parse_args(
        ["verify", "--apps", "apps/a.yaml", "apps/b", "--apps", "more"])
    assert args.app_paths == [Path("apps/a.yaml"), Path("apps/b"), Path("more")]
    assert args.targets == []


def test_help_states_exit_status_and_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main.main(["verify", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "exit status: 0 every image resolved; 1 any image did not; 2 bad usage" in out
    assert "verify --apps ../builder-space-argocd/apps --warm" in out


def test_bad_yaml_in_a_directory_names_the_file_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("image:\n  repository: nginx\n   tag: [unclosed\n")
    assert main.main(["verify", "--registry", DEAD_REGISTRY, str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count(str(tmp_path / "bad.yaml")) == 1
    assert "name the files to verify" in err


def test_empty_image_values_are_not_images(tmp_path: Path) -> None:
    from ecr.cli.commands.verify import collect_inputs

    values = tmp_path / "values.yaml"
    values.write_text('image: ""\nsidecar:\n  image: "{{ .Values.x }}"\nweb:\n  image: nginx:1\n')
    found = {i.image: i.note for i in collect_inputs([str(values)])}
    assert "docker.io/library/nginx:1" in found or "nginx:1" in found
    assert any(note and "templated" in note for note in found.values())
    assert not any(note and note.startswith("empty") for note in found.values())
    assert len(found) == 2


ECR_REGISTRY_HOST = "123456789012.dkr.ecr.af-south-1.amazonaws.com"


@pytest.fixture
def no_aws_profiles(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "REGISTRY_USERNAME", "REGISTRY_PASSWORD",
                "ECR_REGISTRY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


def test_unknown_profile_is_a_usage_error_like_the_ops_tools(
    no_aws_profiles: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not an 'unauthorized' verdict per image (QA finding): exit 2 before any check."""
    code = main.main(["verify", "--registry", ECR_REGISTRY_HOST, "--profile", "nope",
                     "nginx:1.27", "quay.io/jetstack/cert-manager-controller:v1.16.2"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""  # no per-image rows
    assert "unauthorized" not in captured.err
    verify_error = captured.err.strip()
    assert verify_error.startswith("error: AWS profile 'nope' not found")

    assert main.main(["status", "--profile", "nope"]) == 2
    assert capsys.readouterr().err.strip() == verify_error  # the same words as the ops tools


def test_half_of_the_registry_credentials_is_a_usage_error(
    no_aws_profiles: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REGISTRY_USERNAME", "alice")
    assert main.main(["verify", "--registry", DEAD_REGISTRY, "nginx:1.27"]) == 2
    assert "set both REGISTRY_USERNAME and REGISTRY_PASSWORD" in capsys.readouterr().err
