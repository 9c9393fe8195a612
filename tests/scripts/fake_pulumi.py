"""A recording test double of the ``pulumi`` CLI, for the setup-ecr.sh tests.

The real CLI cannot be installed where these tests run, so ``tests/fakes/pulumi`` (a shell
wrapper) runs this file.  It implements only the commands setup-ecr.sh uses, with the real
CLI's argument shapes and failure modes (checked against pulumi/pulumi's ``pkg/cmd``), and:

* records every invocation (argv, and stdin when the command reads it) as one JSON line in
  ``$FAKE_PULUMI_LOG`` (default ``$FAKE_PULUMI_STATE/log.jsonl``);
* keeps stacks, their config and outputs in ``$FAKE_PULUMI_STATE/state.json``, so a second run
  of the script sees what the first one set.  Like the real CLI it reads the project in its
  working directory: a new stack starts from ``Pulumi.<stack>.yaml`` (read only; the fake
  never writes into the project), and ``config``/``up`` apply ``Pulumi.yaml``'s defaults.

Knobs: ``FAKE_PULUMI_LOGGED_OUT=1`` (whoami fails), ``FAKE_PULUMI_BACKEND_URL`` (default
Pulumi Cloud), ``FAKE_PULUMI_FAIL=<command>`` (that command exits 255),
``FAKE_PULUMI_ACCOUNT`` (the account in the registry URL).

Unknown commands and flags fail with exit 2, like cobra, so a script calling pulumi wrongly
fails its tests instead of passing against a forgiving fake.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# Flags that take a value, and boolean flags, per command path.  Anything else is an error.
VALUE_FLAGS = {"--stack": "stack", "-s": "stack", "--color": "color", "--cwd": "cwd", "-C": "cwd"}
BOOL_FLAGS = {
    "--non-interactive": "non_interactive",
    "--json": "json",
    "-j": "json",
    "--yes": "yes",
    "-y": "yes",
    "--skip-preview": "skip_preview",
    "--secret": "secret",
    "--plaintext": "plaintext",
    "--path": "path",
    "--create": "create",
    "-c": "create",
    "--show-secrets": "show_secrets",
    "--verbose": "verbose",
    "-v": "verbose",
    "--diff": "diff",
}
ALLOWED = {
    "version": set(),
    "whoami": {"json", "verbose", "non_interactive", "color"},
    "stack select": {"create", "stack", "non_interactive", "color"},
    "stack output": {"json", "show_secrets", "stack", "non_interactive", "color"},
    "config": {"json", "show_secrets", "stack", "non_interactive", "color"},
    "config get": {"json", "path", "stack", "non_interactive", "color"},
    "config set": {"secret", "plaintext", "path", "stack", "non_interactive", "color"},
    "preview": {"stack", "diff", "non_interactive", "color", "json"},
    "up": {"stack", "yes", "skip_preview", "diff", "non_interactive", "color"},
}


class Fail(Exception):
    def __init__(self, message: str, code: int = 255) -> None:
        super().__init__(message)
        self.code = code


def state_dir() -> Path:
    path = os.environ.get("FAKE_PULUMI_STATE")
    if not path:
        raise Fail("fake pulumi: FAKE_PULUMI_STATE is not set", 2)
    return Path(path)


def load_state() -> dict[str, Any]:
    path = state_dir() / "state.json"
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    return {"current": None, "stacks": {}}


def save_state(state: dict[str, Any]) -> None:
    path = state_dir() / "state.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True))
    os.replace(tmp, path)


def record(argv: list[str], stdin: str | None, extra: dict[str, Any] | None = None) -> None:
    log = Path(os.environ.get("FAKE_PULUMI_LOG") or state_dir() / "log.jsonl")
    entry: dict[str, Any] = {
        "argv": argv,
        # Only whether a passphrase reached pulumi; its value stays out of the log.
        "passphrase_set": "PULUMI_CONFIG_PASSPHRASE" in os.environ,
    }
    if stdin is not None:
        entry["stdin"] = stdin
    if extra:
        entry.update(extra)
    with log.open("a") as handle:
        handle.write(json.dumps(entry) + "\n")


def parse(argv: list[str]) -> tuple[str, list[str], dict[str, Any]]:
    flags: dict[str, Any] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        name, _, inline = arg.partition("=")
        if name in VALUE_FLAGS:
            if inline:
                flags[VALUE_FLAGS[name]] = inline
            else:
                if i + 1 >= len(argv):
                    raise Fail(f"flag needs an argument: {arg}", 2)
                flags[VALUE_FLAGS[name]] = argv[i + 1]
                i += 1
        elif arg in BOOL_FLAGS:
            flags[BOOL_FLAGS[arg]] = True
        elif arg.startswith("-") and arg != "-":
            raise Fail(f"unknown flag: {arg}", 2)
        else:
            positional.append(arg)
        i += 1
    if not positional:
        raise Fail("fake pulumi: no command", 2)
    command = positional[0]
    rest = positional[1:]
    if command in ("stack", "config") and rest and f"{command} {rest[0]}" in ALLOWED:
        command = f"{command} {rest[0]}"
        rest = rest[1:]
    if command not in ALLOWED:
        raise Fail(f"fake pulumi: unsupported command {' '.join(positional)!r}", 2)
    bad = set(flags) - ALLOWED[command]
    if bad:
        raise Fail(f"unknown flag for {command}: {sorted(bad)}", 2)
    return command, rest, flags


def config_value(value: Any) -> dict[str, Any]:
    """A YAML value as Pulumi stores it: scalars as text, lists and maps as JSON objects."""
    if isinstance(value, dict) and set(value) == {"secure"}:
        return {"value": str(value["secure"]), "secret": True}
    if isinstance(value, list | dict):
        return {"value": json.dumps(value), "secret": False, "object": True}
    if isinstance(value, bool):
        return {"value": "true" if value else "false", "secret": False}
    return {"value": str(value), "secret": False}


def read_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    import yaml  # the fake runs on the project venv's python (FAKE_PULUMI_PYTHON)

    data = yaml.load(path.read_text(), Loader=yaml.CSafeLoader) or {}
    return data if isinstance(data, dict) else {}


def namespaced(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def stack_file_config(name: str, project_dir: Path = Path()) -> dict[str, Any]:
    """A new stack starts from the committed ``Pulumi.<stack>.yaml`` (read, never written)."""
    project = str(read_yaml(project_dir / "Pulumi.yaml").get("name", "infra-ecr"))
    stack_yaml = read_yaml(project_dir / f"Pulumi.{name.split('/')[-1]}.yaml")
    config = stack_yaml.get("config") or {}
    return {namespaced(str(k), project): config_value(v) for k, v in config.items()}


def effective_config(name: str, stack: dict[str, Any]) -> dict[str, Any]:
    """Stack config plus Pulumi.yaml's defaults, as ``ApplyProjectConfig`` merges them.

    Like the real CLI, a project key with neither a default nor a stack value is an error.
    """
    project_yaml = read_yaml(Path("Pulumi.yaml"))
    project = str(project_yaml.get("name", "infra-ecr"))
    merged = dict(stack["config"])
    missing = []
    for key, spec in (project_yaml.get("config") or {}).items():
        full = namespaced(str(key), project)
        if full in merged:
            continue
        if isinstance(spec, dict) and ("default" in spec or "value" in spec):
            merged[full] = config_value(spec.get("default", spec.get("value")))
        elif isinstance(spec, dict):
            missing.append(str(key))
        else:  # shorthand `key: value`
            merged[full] = config_value(spec)
    if missing:
        raise Fail(f"error: Stack '{name}' is missing configuration value(s) {sorted(missing)}")
    return merged


def stack_of(state: dict[str, Any], flags: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name = flags.get("stack") or state.get("current")
    if not name:
        raise Fail(
            "error: no stack selected; please use `pulumi stack select` or `pulumi stack init`"
        )
    stacks: dict[str, Any] = state["stacks"]
    if name not in stacks:
        raise Fail(f"error: no stack named '{name}' found")
    return str(name), stacks[name]


def interactive(flags: dict[str, Any]) -> bool:
    return not flags.get("non_interactive") and sys.stdin.isatty() and sys.stdout.isatty()


def registry_url(stack: dict[str, Any]) -> str:
    region = stack["config"].get("aws:region", {}).get("value")
    if not region:
        raise Fail("error: aws:region is not set (the fake program needs it)")
    account = os.environ.get("FAKE_PULUMI_ACCOUNT", "123456789012")
    return f"{account}.dkr.ecr.{region}.amazonaws.com"


def run(argv: list[str]) -> int:
    command, args, flags = parse(argv)
    stdin: str | None = None
    extra: dict[str, Any] = {}
    failing = os.environ.get("FAKE_PULUMI_FAIL", "")
    try:
        if command == failing:
            raise Fail(f"error: {command} failed (FAKE_PULUMI_FAIL)")
        state = load_state()

        if command == "version":
            print("v3.205.0")
        elif command == "whoami":
            if os.environ.get("FAKE_PULUMI_LOGGED_OUT") == "1":
                raise Fail(
                    "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive "
                    "CLI sessions"
                )
            url = os.environ.get("FAKE_PULUMI_BACKEND_URL", "https://api.pulumi.com")
            if flags.get("json"):
                print(json.dumps({"user": "tester", "url": url}, indent=4))
            elif flags.get("verbose"):
                print(f"User: tester\nOrganizations: tester\nBackend URL: {url}")
            else:
                print("tester")
        elif command == "stack select":
            name = args[0] if args else flags.get("stack")
            if not name or len(args) > 1:
                raise Fail("error: a stack name is required in non-interactive mode", 255)
            if name not in state["stacks"]:
                if not flags.get("create"):
                    raise Fail(f"error: no stack named '{name}' found")
                state["stacks"][name] = {
                    "config": stack_file_config(name),
                    "outputs": {},
                    "updates": 0,
                }
                print(f"Created stack '{name}'")
            state["current"] = name
            save_state(state)
        elif command == "config":
            name, stack = stack_of(state, flags)
            listing: dict[str, Any] = {}
            for key, item in sorted(effective_config(name, stack).items()):
                shown: dict[str, Any] = {"secret": item["secret"]}
                if not item["secret"] or flags.get("show_secrets"):
                    shown["value"] = item["value"]
                    if item.get("object"):
                        shown["objectValue"] = json.loads(item["value"])
                listing[key] = shown
            if flags.get("json"):
                print(json.dumps(listing, indent=4))
            else:
                print("KEY  VALUE")
                for key, shown in listing.items():
                    print(f"{key}  {shown.get('value', '[secret]')}")
        elif command == "config get":
            name, stack = stack_of(state, flags)
            if len(args) != 1:
                raise Fail("error: accepts 1 arg(s), received " + str(len(args)), 2)
            item = effective_config(name, stack).get(namespaced(args[0], "infra-ecr"))
            if item is None:
                raise Fail(f"error: configuration key '{args[0]}' not found for stack '{name}'")
            if flags.get("json"):
                out: dict[str, Any] = {"value": item["value"], "secret": item["secret"]}
                if item.get("object"):
                    out["objectValue"] = json.loads(item["value"])
                print(json.dumps(out, indent=2))
            else:
                print(item["value"])
        elif command == "config set":
            name, stack = stack_of(state, flags)
            if len(args) == 2:
                key, value = args
            elif len(args) == 1:
                key = args[0]
                if sys.stdin.isatty():
                    raise Fail("fake pulumi: config set from a terminal is not supported", 2)
                stdin = sys.stdin.read()
                value = stdin[:-1] if stdin.endswith("\n") else stdin
            else:
                raise Fail("error: accepts between 1 and 2 arg(s)", 2)
            if ":" not in key:
                key = f"infra-ecr:{key}"
            stack["config"][key] = {"value": value, "secret": bool(flags.get("secret"))}
            save_state(state)
        elif command == "stack output":
            name, stack = stack_of(state, flags)
            outputs = stack["outputs"]
            if args:
                if args[0] not in outputs:
                    raise Fail(f"error: current stack does not have output property '{args[0]}'")
                value = outputs[args[0]]
                print(json.dumps(value) if flags.get("json") else value)
            else:
                print(json.dumps(outputs, indent=2))
        elif command == "preview":
            name, stack = stack_of(state, flags)
            effective_config(name, stack)
            registry_url(stack)
            print(f"Previewing update ({name}):\n\nResources:\n    + 20 to create")
        elif command == "up":
            name, stack = stack_of(state, flags)
            if not flags.get("yes") and not flags.get("skip_preview"):
                if not interactive(flags):
                    raise Fail(
                        "error: --yes or --skip-preview must be passed in to proceed when "
                        "running in non-interactive mode"
                    )
                print("Do you want to perform this update? [yes/no]: ", end="", flush=True)
                stdin = sys.stdin.readline()
                if stdin.strip() != "yes":
                    raise Fail("error: confirmation declined, not proceeding with the update")
            effective_config(name, stack)
            url = registry_url(stack)
            extra["config_keys"] = sorted(stack["config"])
            stack["updates"] += 1
            stack["outputs"] = {"ecr_registry_url": url, "aws_region": url.split(".")[3]}
            save_state(state)
            print(f"Updating ({name}):\n\nResources:\n    20 unchanged\n\nDuration: 1s")
    except Fail:
        record(argv, stdin, extra)
        raise
    record(argv, stdin, extra)
    return 0


def main() -> int:
    try:
        return run(sys.argv[1:])
    except Fail as exc:
        print(exc, file=sys.stderr)
        return exc.code


if __name__ == "__main__":
    sys.exit(main())
