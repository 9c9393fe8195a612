"""``ecr-pre-commit``: the entry of the pre-commit hooks (``.pre-commit-hooks.yaml``).

``ecr-pre-commit --write FILE...`` is ``ecr convert --files --write FILE...`` (hook
``ecr-convert``: pre-commit fails the commit when a file changed, as for a formatter);
``ecr-pre-commit --check FILE...`` is ``ecr convert --files --check FILE...`` and, when
something would change, the unified diff of it (hook ``ecr-convert-check``).

Two differences from ``ecr convert``, both for a repository that is not this project:
the registry comes from ``--registry`` (the hook's ``args``) or ``ECR_REGISTRY``, never
from a Pulumi stack; and exit status 3 (images left with a note: an uncacheable host, a
templated value) passes, since no commit can change it.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Sequence

from ecr.cli.main import main as ecr_main

LEFT_WITH_A_NOTE = 3

NO_REGISTRY = """\
ecr-pre-commit: no registry. Give it in .pre-commit-config.yaml:
    hooks:
      - id: ecr-convert
        args: [--registry, <account>.dkr.ecr.<region>.amazonaws.com]
or export ECR_REGISTRY=<account>.dkr.ecr.<region>.amazonaws.com before git commit.
(The hook never reads a Pulumi stack.)"""


def _registry_given(argv: Sequence[str]) -> bool:
    return any(arg == "--registry" or arg.startswith("--registry=") for arg in argv) or bool(
        os.environ.get("ECR_REGISTRY"))


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not _registry_given(args):
        print(NO_REGISTRY, file=sys.stderr)
        return 2
    code = ecr_main(["convert", "--files", *args])
    if code == 1 and "--check" in args:
        # --check reports which files would change; the diff itself is diff mode's output
        print("\nthe change ecr-convert (or ecr convert --files --write) would make:")
        with contextlib.redirect_stderr(io.StringIO()):
            ecr_main(["convert", "--files", *(arg for arg in args if arg != "--check")])
    return 0 if code == LEFT_WITH_A_NOTE else code
