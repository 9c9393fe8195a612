"""The dependency direction of ``ecr/`` (docs/development.md "Layout"), checked with ``ast``.

Nothing is imported or executed: every ``.py`` file under ``ecr/`` and the root ``__main__.py``
is parsed, and every import it can make is collected, including imports inside functions
(the "late import to dodge a cycle" trick), relative imports, ``from ecr import cli`` and
``importlib.import_module("...")`` / ``__import__("...")`` with a constant name.

The rules are data (``RULES``).  A rule names the files it governs and the modules those
files must not import; ``unless`` carves out what they may import after all.  The pattern
``"*"`` means "any module outside the standard library".
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PURE = ("ecr/policies/", "ecr/images/", "ecr/values/", "ecr/config/")
IO_MODULES = ("boto3", "botocore", "urllib3", "helm_python",
              "ecr.aws", "ecr.registry", "ecr.charts")


@dataclass(frozen=True)
class Rule:
    name: str
    why: str
    files: tuple[str, ...]        # path prefixes (relative, "/"-separated) the rule governs
    forbid: tuple[str, ...]       # module patterns those files must not import
    exempt: tuple[str, ...] = ()  # path prefixes inside ``files`` the rule does not govern
    unless: tuple[str, ...] = ()  # module patterns allowed even though ``forbid`` matches


RULES: tuple[Rule, ...] = (
    Rule("cli-is-the-top",
         "argparse and output formatting stop at the CLI layer; lower layers never import it",
         files=("ecr/", "__main__.py"), exempt=("ecr/cli/", "ecr/__main__.py"),
         forbid=("ecr.cli",)),
    Rule("only-the-program-uses-pulumi",
         "tools never import pulumi; only ecr/stack and the Pulumi program do",
         files=("ecr/",), exempt=("ecr/stack/",),
         forbid=("pulumi", "pulumi_*", "ecr.stack")),
    Rule("pruner-stands-alone",
         "the Lambda archive is ecr/__init__.py + ecr/pruner/*.py: stdlib and boto3 only",
         files=("ecr/pruner/",),
         forbid=("*", "ecr"), unless=("ecr.pruner", "boto3", "botocore")),
    Rule("pure-layers-do-no-io",
         "policies, images, values and config are pure: no AWS, network or Helm code",
         files=PURE, forbid=IO_MODULES),
    Rule("argparse-stops-at-the-cli",
         "below the CLI layer functions take typed values or small dataclasses, never an "
         "argparse namespace; options are declared in ecr/cli",
         files=("ecr/",), exempt=("ecr/cli/", "ecr/__main__.py"),
         forbid=("argparse",)),
    Rule("botocore-talks-to-aws",
         "every AWS call goes through botocore (ecr/aws/sessions.py's clients, boto3 in the "
         "pruner): no module of ours signs a request, reads credential files or opens a "
         "connection to AWS itself",
         files=("ecr/aws/", "ecr/pruner/"),
         forbid=("http", "socket", "ssl", "urllib", "urllib3", "requests", "hmac",
                 "configparser", "botocore.auth", "botocore.credentials", "botocore.httpsession",
                 "botocore.awsrequest", "botocore.endpoint")),
    Rule("catalogue-and-errors-are-the-bottom",
         "ecr/catalogue.py, ecr/errors.py and ecr/yaml_loader.py are read by every layer and "
         "import nothing from ecr",
         files=("ecr/catalogue.py", "ecr/errors.py", "ecr/yaml_loader.py"), forbid=("ecr",)),
)



STDLIB = frozenset(sys.stdlib_module_names)


def module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, relative: str) -> set[str]:
    """Every module ``source`` (the file at ``relative``) may import, as absolute dotted names.

    ``from a.b import c`` yields ``a.b.c`` (``c`` may be a submodule; rules match by prefix,
    so a name imported from a module still matches that module's patterns).
    """
    this = module_name(relative)
    package = this if relative.endswith("__init__.py") else this.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source, filename=relative)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            if module == "__future__":
                continue
            found.update(f"{module}.{alias.name}" if module else alias.name
                         for alias in node.names)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (called in {"import_module", "__import__"} and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)):
                found.add(first.value)
    return found


def matches(module: str, pattern: str) -> bool:
    top = module.split(".")[0]
    if pattern == "*":
        return top not in STDLIB
    if "*" in pattern:
        return fnmatch(top, pattern)
    return module == pattern or module.startswith(pattern + ".")


def governed(rule: Rule, relative: str) -> bool:
    def under(prefixes: tuple[str, ...]) -> bool:
        return any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in prefixes)
    return under(rule.files) and not under(rule.exempt)


def violations(rule: Rule, sources: dict[str, str]) -> set[tuple[str, str]]:
    """(file, imported module) pairs in ``sources`` (relative path -> text) breaking ``rule``."""
    broken: set[tuple[str, str]] = set()
    for relative, source in sources.items():
        if not governed(rule, relative):
            continue
        for module in imports_of(source, relative):
            if (any(matches(module, p) for p in rule.forbid)
                    and not any(matches(module, p) for p in rule.unless)):
                broken.add((relative, module))
    return broken


def repository_sources() -> dict[str, str]:
    paths = [*sorted((ROOT / "ecr").rglob("*.py")), ROOT / "__main__.py"]
    return {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in paths}


SOURCES = repository_sources()


def rule_named(name: str) -> Rule:
    return next(rule for rule in RULES if rule.name == name)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_rule_holds(rule: Rule) -> None:
    unexpected = set(violations(rule, SOURCES))
    assert not unexpected, (
        f"{rule.name} ({rule.why}) is broken by:\n"
        + "\n".join(f"  {f} imports {m}" for f, m in sorted(unexpected)))


# What only code that signs AWS requests or reads credential files by hand would hold.
SIGNING = re.compile(r"AWS4-HMAC-SHA256|x-amz-date|x-amz-security-token|aws4_request"
                     r"|\.aws/credentials", re.IGNORECASE)


def signing_code(sources: dict[str, str]) -> set[tuple[str, str]]:
    """(file, what) for every file under ``ecr/`` holding a mark of hand-made AWS signing."""
    return {(relative, found.group(0)) for relative, source in sources.items()
            if relative.startswith("ecr/") for found in SIGNING.finditer(source)}


def test_no_module_signs_aws_requests_or_reads_credential_files() -> None:
    """botocore signs and reads credentials (the botocore-talks-to-aws rule keeps its
    modules out; this keeps the hand-made strings out)."""
    found = signing_code(SOURCES)
    assert not found, "\n".join(f"  {f} holds {what!r}" for f, what in sorted(found))


@pytest.mark.parametrize(("path", "line", "broken"), [
    ("ecr/aws/inventory.py", 'ALGORITHM = "AWS4-HMAC-SHA256"', True),
    ("ecr/aws/sessions.py", 'headers["X-Amz-Date"] = stamp', True),
    ("ecr/aws/sessions.py", 'scope = f"{day}/{region}/ecr/aws4_request"', True),
    ("ecr/cli/commands/status.py", 'Path.home() / ".aws/credentials"', True),
    ("ecr/aws/sessions.py", 'sess.create_client("ecr")', False),
    ("tests/aws/test_x.py", 'ALGORITHM = "AWS4-HMAC-SHA256"', False),
])
def test_the_signing_rule_catches(path: str, line: str, broken: bool) -> None:
    assert bool(signing_code({path: line})) is broken


def test_every_rule_governs_real_files() -> None:
    """A rule whose paths match nothing checks nothing: catch typos in RULES."""
    for rule in RULES:
        assert any(governed(rule, path) for path in SOURCES), rule.name


# --- the checker itself: each import form is seen, and each rule can fail ---------------------

def test_every_import_form_is_seen() -> None:
    source = "\n".join([
        "from __future__ import annotations",
        "import os, pulumi_aws as aws",
        "from ecr import cli",
        "from ..cli.output import table",
        "from . import sibling",
        "from .helm import render",
        "def late():",
        "    from ecr.cli import output",
        "    import importlib",
        "    importlib.import_module('ecr.stack.common')",
        "    __import__('boto3')",
    ])
    assert imports_of(source, "ecr/charts/convert.py") == {
        "os", "pulumi_aws", "ecr.cli", "ecr.cli.output.table", "ecr.charts.sibling",
        "ecr.charts.helm.render", "ecr.cli.output", "importlib", "ecr.stack.common", "boto3"}
    assert imports_of("from . import handler", "ecr/pruner/__init__.py") == {
        "ecr.pruner.handler"}


@pytest.mark.parametrize(("name", "path", "line", "broken"), [
    ("cli-is-the-top", "ecr/charts/images.py", "from ecr.cli import output", True),
    ("cli-is-the-top", "__main__.py", "import ecr.cli.main", True),
    ("cli-is-the-top", "ecr/__main__.py", "from ecr.cli.main import main", False),
    ("cli-is-the-top", "ecr/cli/commands/verify.py", "from ecr.cli import output", False),
    ("only-the-program-uses-pulumi", "ecr/aws/checks.py", "import pulumi", True),
    ("only-the-program-uses-pulumi", "ecr/policies/iam.py", "import pulumi_aws", True),
    ("only-the-program-uses-pulumi", "ecr/cli/main.py", "from ecr.stack import common", True),
    ("only-the-program-uses-pulumi", "ecr/stack/cost.py", "import pulumi_aws", False),
    ("only-the-program-uses-pulumi", "__main__.py", "from ecr.stack import cost", False),
    ("pruner-stands-alone", "ecr/pruner/handler.py", "from ecr import catalogue", True),
    ("pruner-stands-alone", "ecr/pruner/handler.py", "import yaml", True),
    ("pruner-stands-alone", "ecr/pruner/handler.py", "from ..errors import UsageError", True),
    ("pruner-stands-alone", "ecr/pruner/handler.py", "from ecr.pruner import plan", False),
    ("pruner-stands-alone", "ecr/pruner/handler.py", "import boto3, json, os", False),
    ("pruner-stands-alone", "ecr/pruner/handler.py",
     "from botocore.exceptions import ClientError", False),
    ("botocore-talks-to-aws", "ecr/aws/inventory.py", "import http.client", True),
    ("botocore-talks-to-aws", "ecr/aws/sessions.py", "import socket, ssl", True),
    ("botocore-talks-to-aws", "ecr/aws/checks.py", "from urllib.request import urlopen", True),
    ("botocore-talks-to-aws", "ecr/aws/clients.py", "import hmac", True),
    ("botocore-talks-to-aws", "ecr/aws/sessions.py", "from configparser import RawConfigParser",
     True),
    ("botocore-talks-to-aws", "ecr/aws/sessions.py", "from botocore.auth import SigV4Auth",
     True),
    ("botocore-talks-to-aws", "ecr/pruner/ecr_api.py", "import urllib3", True),
    ("botocore-talks-to-aws", "ecr/aws/sessions.py", "import botocore.session", False),
    ("botocore-talks-to-aws", "ecr/aws/__init__.py", "from botocore import exceptions", False),
    ("botocore-talks-to-aws", "ecr/registry/client.py", "import urllib3", False),
    ("pure-layers-do-no-io", "ecr/values/scan.py", "import urllib3", True),
    ("pure-layers-do-no-io", "ecr/config/settings.py", "from ecr.aws import clients", True),
    ("pure-layers-do-no-io", "ecr/images/mapping.py", "import helm_python", True),
    ("pure-layers-do-no-io", "ecr/policies/iam.py", "from botocore import session", True),
    ("pure-layers-do-no-io", "ecr/values/rewrite.py", "from ecr.images import mapping", False),
    ("pure-layers-do-no-io", "ecr/registry/client.py", "import urllib3", False),
    ("argparse-stops-at-the-cli", "ecr/charts/images.py", "import argparse", True),
    ("argparse-stops-at-the-cli", "ecr/registry/check.py",
     "from argparse import Namespace", True),
    ("argparse-stops-at-the-cli", "ecr/cli/chart_options.py", "import argparse", False),
    ("argparse-stops-at-the-cli", "ecr/__main__.py", "import argparse", False),
    ("catalogue-and-errors-are-the-bottom", "ecr/errors.py", "from ecr import catalogue", True),
    ("catalogue-and-errors-are-the-bottom", "ecr/catalogue.py", "import re", False),
    ("catalogue-and-errors-are-the-bottom", "ecr/yaml_loader.py", "from ecr.values import scan",
     True),
])
def test_rule_catches(name: str, path: str, line: str, broken: bool) -> None:
    found = violations(rule_named(name), {path: line})
    assert bool(found) is broken, found
