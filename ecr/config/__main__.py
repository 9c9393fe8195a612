"""``python -m ecr.config help|plan``: the stack config as ``scripts/setup-ecr.sh`` sees it.

``help`` prints the credential variables for the script's ``--help``; ``plan`` reads
``pulumi config --json`` on stdin and prints ``ecr.config.setup_plan`` records (exit 3 with
every problem on stderr when the config is not usable).  Standard library only, so any
python3 can print the help before the virtualenv exists.
"""

from __future__ import annotations

import json
import sys

from ecr.config import setup_plan
from ecr.config.sources import SourceError, from_config_json

USAGE = "usage: python -m ecr.config help|plan  (plan reads `pulumi config --json` on stdin)"


def main(argv: list[str]) -> int:
    if argv == ["help"]:
        print("\n".join(setup_plan.credential_help()))
        return 0
    if argv != ["plan"]:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        raw = from_config_json(json.load(sys.stdin))
    except (ValueError, SourceError) as error:
        print(f"error: cannot read the stack's configuration: {error}", file=sys.stderr)
        return 3
    records, warnings, fatal = setup_plan.plan(raw)
    for warning in warnings:
        print(warning, file=sys.stderr)
    if fatal:
        print(f"invalid stack configuration ({len(fatal)} problem(s)):", file=sys.stderr)
        for problem in fatal:
            print(f"  {problem}", file=sys.stderr)
        return 3
    print("\n".join(records))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
