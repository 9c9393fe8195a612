"""Command-line entry point: ``python -m ecr <command>`` and ``scripts/ecr <command>``.

Each command lives in its own module under ``ecr.cli.commands`` exposing
``add_arguments(parser)`` and ``run(args) -> int`` (and optionally ``EPILOG``, text
shown as written after the options); it is imported only when
chosen, so ``--help`` stays fast and a command's dependencies load on demand.
Exit status: 0 success, 1 a check or verdict failed, 2 bad usage or input.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from ecr.cli import output
from ecr.errors import UsageError

_COMMANDS = "ecr.cli.commands."

# command name -> (module, one-line help).  Order is the order in --help.
COMMANDS: dict[str, tuple[str, str]] = {
    "convert": (_COMMANDS + "convert", "rewrite image references to their ECR cache form"),
    "images": (_COMMANDS + "images", "list every image a Helm release or ArgoCD app runs"),
    "verify": (_COMMANDS + "verify", "prove every image resolves through the cache (and warm it)"),
    "status": (_COMMANDS + "status", "what is cached, and what it costs"),
    "lifecycle": (_COMMANDS + "lifecycle",
                  "prune cached images nobody pulls; backfill lifecycle policies"),
    "doctor": (_COMMANDS + "doctor", "check the cache end to end and explain failures"),
}


def _available() -> dict[str, tuple[str, str]]:
    found = {}
    for name, (module, text) in COMMANDS.items():
        if importlib.util.find_spec(module) is not None:
            found[name] = (module, text)
    return found


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, just that command's (its siblings are not imported)."""
    parser = argparse.ArgumentParser(
        prog="ecr",
        description="Operations tools for the infra-ecr pull-through cache.",
        epilog="Run 'ecr COMMAND --help' for a command's options (scripts/ecr is the same "
        "as python -m ecr). Exit status: 0 done, 1 a check or verdict failed, 2 bad usage.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module, text) in _available().items():
        if only is not None and name != only:
            continue
        loaded = importlib.import_module(module)
        command = sub.add_parser(name, help=text, description=text)
        _set_epilog(command, loaded)
        loaded.add_arguments(command)
        command.set_defaults(_module=module, _parser=command)
    return parser


def _set_epilog(parser: argparse.ArgumentParser, module: object) -> None:
    """A command module's ``EPILOG`` (examples, exit status), shown as written."""
    epilog = getattr(module, "EPILOG", None)
    if epilog is not None:
        parser.epilog = epilog
        parser.formatter_class = argparse.RawDescriptionHelpFormatter


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; stdout that cannot be written (closed, EPIPE) fails it, once,
    whichever command it is (:func:`ecr.cli.output.guarded_stdout`)."""
    with output.guarded_stdout() as stdout:
        try:
            code = _main(argv)
            stdout.flush()
        except output.OutputError as exc:
            return output.report_output_error(exc)
        except SystemExit:  # argparse: --help, usage errors
            try:
                stdout.flush()
            except output.OutputError as exc:
                return output.report_output_error(exc)
            raise
    return code


def _main(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # Importing every command costs ~1 s (boto3, charts); a known command needs only its own.
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    if extra:  # name the command and show its usage, not the top-level one
        command_parser = getattr(args, "_parser", parser)
        command_parser.error(f"unrecognized arguments: {' '.join(extra)}")
    module = importlib.import_module(args._module)
    try:
        return int(module.run(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if _is_garbled_aws_response(exc):
            print(
                "error: the AWS endpoint answered with something that is not an AWS response "
                f"({_first_line(exc)}); check AWS_ENDPOINT_URL, HTTPS_PROXY and the network "
                "path to AWS, then retry",
                file=sys.stderr,
            )
            return 1
        raise


def _is_garbled_aws_response(exc: Exception) -> bool:
    """botocore's ResponseParserError (an HTML error page from a proxy or a non-AWS
    endpoint) is not a BotoCoreError, so the commands' AWS error handling misses it."""
    if "botocore" not in sys.modules:
        return False
    from botocore.parsers import ResponseParserError

    return isinstance(exc, ResponseParserError)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
