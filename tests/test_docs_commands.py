"""Every command in README.md and docs/*.md is one the tools accept; every link resolves.

Commands come from the fenced code blocks (a ``$ `` prompt is dropped; in YAML blocks, the
``run:`` steps of a CI workflow).  Each ``scripts/ecr ...``, ``python -m ecr ...``,
``scripts/convert-image-url.sh ...`` or ``ecr ...`` in them is parsed by the real parser
(``ecr.cli.main.build_parser``): the command exists, every flag exists, the arguments are
valid.  A synopsis line (``[--flag N]``, ``PATH...``) is checked flag by flag.  The safe
ones run for real: ``--help``, ``convert`` of references (with ``ECR_REGISTRY`` set to the
docs' registry), and ``convert --files`` on fixture values files made under the paths the
doc names; where the doc shows the output (``$ command`` followed by lines), it must match.

Links: every relative link's file exists, every ``#anchor`` names a heading there (GitHub's
slugs), and every page under docs/ is reachable from README.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest

from ecr.cli.main import COMMANDS, build_parser
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
REGISTRY = "123456789012.dkr.ecr.af-south-1.amazonaws.com"  # the docs' example registry
# how a doc calls the tools -> the words that go before the command's own arguments
PREFIXES: dict[tuple[str, ...], tuple[str, ...]] = {
    ("scripts/ecr",): (), ("./scripts/ecr",): (), ("infra-ecr/scripts/ecr",): (),
    ("ecr",): (), ("python", "-m", "ecr"): (), ("python3", "-m", "ecr"): (),
    ("venv/bin/python", "-m", "ecr"): (),
    ("scripts/convert-image-url.sh",): ("convert",),
    ("./scripts/convert-image-url.sh",): ("convert",),
}
OPERATORS = {"|", "||", "&&", ";", "(", ")", "&", ";;"}
SYNOPSIS = re.compile(r"\[|\.\.\.|\bIMAGE\b\s*\|")
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


@dataclass
class Command:
    doc: str  # "docs/ci.md:42"
    line: str  # the text as written
    argv: list[str]  # the command's own words (after scripts/ecr; convert added for the .sh)
    synopsis: bool
    output: list[str] | None = None  # what the doc shows it prints, when it shows it


@dataclass
class Block:
    path: Path
    start: int  # line number of the opening fence
    lang: str
    lines: list[str] = field(default_factory=list)


def code_blocks(path: Path) -> Iterator[Block]:
    block: Block | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        fence = re.match(r"^\s*```(\S*)", line)
        if fence and block is None:
            block = Block(path, number, fence.group(1))
        elif fence and block is not None:
            yield block
            block = None
        elif block is not None:
            block.lines.append(line)


def shell_lines(block: Block) -> Iterator[tuple[int, str, list[str] | None]]:
    """(line number, shell text, output shown after it) for each command of a block."""
    if block.lang in ("yaml", "yml"):
        yield from _yaml_run_steps(block)
        return
    if block.lang not in ("", "bash", "sh", "shell", "console"):
        return
    lines = block.lines
    i = 0
    while i < len(lines):
        text, number = lines[i], block.start + 1 + i
        prompt = text.startswith("$ ")
        text = text[2:] if prompt else text
        while i + 1 < len(lines) and (
                text.endswith("\\")  # a continued line
                or re.match(r"^\s+\[", lines[i + 1])):  # a synopsis's next line of [options]
            i += 1
            text = text.removesuffix("\\") + " " + lines[i].strip()
        output = None
        if prompt:
            output = []
            while i + 1 < len(lines) and not lines[i + 1].startswith("$ "):
                i += 1
                output.append(lines[i])
        yield number, text, output
        i += 1


def _yaml_run_steps(block: Block) -> Iterator[tuple[int, str, list[str] | None]]:
    lines = block.lines
    for i, line in enumerate(lines):
        step = re.match(r"^(\s*)(?:- )?run: (.*)$", line)
        if not step:
            continue
        if step.group(2).strip() not in ("|", ">"):
            yield block.start + 1 + i, step.group(2), None
            continue
        indent = len(step.group(1))
        for j in range(i + 1, len(lines)):
            body = lines[j]
            if body.strip() and len(body) - len(body.lstrip()) <= indent:
                break
            yield block.start + 1 + j, body.strip(), None


PLACEHOLDER = "__PLACEHOLDER__"  # what a doc's <account>, <a role you can assume> stand for


def segments(text: str) -> Iterator[list[str]]:
    """The simple commands of a shell line: split at pipes, lists and subshells."""
    text = re.sub(r"<[A-Za-z][^<>]*>", PLACEHOLDER, text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote in prose-like text: not a command
        return
    current: list[str] = []
    for token in [*tokens, ";"]:
        if token in OPERATORS:
            if current:
                yield current
            current = []
        else:
            current.append(token)


def tool_argv(words: list[str]) -> list[str] | None:
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):  # VAR=value cmd
        words = words[1:]
    for prefix, head in PREFIXES.items():
        if tuple(words[: len(prefix)]) == prefix:
            return [*head, *words[len(prefix):]]
    return None


def commands() -> list[Command]:
    found = []
    for path in DOCS:
        name = path.relative_to(ROOT).as_posix()
        for block in code_blocks(path):
            for number, text, output in shell_lines(block):
                for words in segments(text):
                    argv = tool_argv(words)
                    if argv is None:
                        continue
                    found.append(Command(f"{name}:{number}", text, argv,
                                         bool(SYNOPSIS.search(text)), output))
    return found


COMMANDS_IN_DOCS = commands()


def command_parser(argv: list[str]) -> tuple[argparse.ArgumentParser, list[str]]:
    """The (sub)parser the leading words of ``argv`` select, and the words left."""
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    words = list(argv)
    while words:
        choices = [action for action in parser._actions
                   if isinstance(action, argparse._SubParsersAction)]
        if not choices or words[0] not in choices[0].choices:
            break
        parser = choices[0].choices[words.pop(0)]
    return parser, words


def parse_error(argv: list[str]) -> str | None:
    """argparse's complaint about ``argv``, or None when it parses."""
    parser = build_parser(argv[0] if argv and argv[0] in COMMANDS else None)
    messages: list[str] = []

    def error(message: str) -> NoReturn:
        messages.append(message)
        raise SystemExit(2)

    for sub in _all_parsers(parser):
        sub.error = error  # type: ignore[method-assign]
        sub.allow_abbrev = False  # the docs spell every option out
    if any(word in ("-h", "--help") for word in argv):
        return None  # --help exits before checking the rest; it is run below
    try:
        parser.parse_args(argv)
    except SystemExit:
        return messages[0] if messages else "exited while parsing"
    return None


def _all_parsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _all_parsers(sub)


def unknown_flags(command: Command) -> list[str]:
    """For a synopsis line: the flags it names that its command does not have."""
    parser, _ = command_parser(command.argv)
    known = {option for action in parser._actions for option in action.option_strings}
    after_command = " ".join(command.argv)
    return [flag for flag in FLAG.findall(after_command) if flag not in known]


def test_the_docs_have_commands_of_every_kind() -> None:
    kinds = {c.argv[0] for c in COMMANDS_IN_DOCS if c.argv}
    assert {"convert", "images", "verify", "status", "lifecycle", "doctor"} <= kinds
    assert any(c.synopsis for c in COMMANDS_IN_DOCS)
    assert any(c.output for c in COMMANDS_IN_DOCS)
    assert any(c.doc.startswith("docs/ci.md") for c in COMMANDS_IN_DOCS)


@pytest.mark.parametrize("command", COMMANDS_IN_DOCS, ids=lambda c: c.doc)
def test_command_is_accepted_by_the_parser(command: Command) -> None:
    assert command.argv and command.argv[0] in COMMANDS, (
        f"{command.doc}: `{command.line}`: not one of the tools' commands {sorted(COMMANDS)}")
    if command.synopsis:
        unknown = unknown_flags(command)
        assert not unknown, f"{command.doc}: `{command.line}`: no such option(s) {unknown}"
    else:
        error = parse_error(command.argv)
        assert error is None, f"{command.doc}: `{command.line}`: {error}"


def setup_script_lines() -> list[tuple[str, list[str]]]:
    found = []
    for path in DOCS:
        for block in code_blocks(path):
            for number, text, _ in shell_lines(block):
                for words in segments(text):
                    if words and words[0] in ("./scripts/setup-ecr.sh", "scripts/setup-ecr.sh"):
                        found.append((f"{path.relative_to(ROOT).as_posix()}:{number}", words[1:]))
    return found


def test_setup_ecr_sh_options_in_the_docs_exist() -> None:
    """setup-ecr.sh is no argparse program: its options are read from its --help."""
    lines = setup_script_lines()
    assert lines
    usage = subprocess.run([str(ROOT / "scripts" / "setup-ecr.sh"), "--help"], capture_output=True,
                           text=True, timeout=60, check=True).stdout
    offered = set(FLAG.findall(usage))
    for doc, words in lines:
        unknown = [flag for flag in FLAG.findall(" ".join(words)) if flag not in offered]
        assert not unknown, f"{doc}: setup-ecr.sh has no {unknown}"


# ------------------------------------------------------------------------- running the safe ones

FIXTURE_VALUES = "image:\n  repository: nginx\n  tag: \"1.27\"\n"


def runnable(command: Command) -> bool:
    argv = command.argv
    if command.synopsis or any(PLACEHOLDER in word or "$" in word for word in argv):
        return False
    if "--help" in argv or "-h" in argv:
        return True
    # convert of references or of --files; rendering charts is the chart tests' work
    return argv[0] == "convert" and not any(
        w in argv for w in ("--chart", "--apps", "--values", "-f"))


RUNNABLE = [c for c in COMMANDS_IN_DOCS if runnable(c)]


def make_fixtures(command: Command, work: Path) -> None:
    """The files and directories ``convert --files`` names: a values file at each."""
    if "--files" not in command.argv:
        return
    for word in command.argv[1:]:
        if word.startswith("-"):
            continue
        target = work / word
        if target.suffix in (".yaml", ".yml"):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(FIXTURE_VALUES)
        else:
            target.mkdir(parents=True, exist_ok=True)
            (target / "values.yaml").write_text(FIXTURE_VALUES)


def run_tool(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ECR_IMAGE_ALIASES",)}
    env.update(ECR_REGISTRY=REGISTRY, PYTHONPATH=str(ROOT), COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "ecr", *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_some_commands_are_run() -> None:
    ran = {c.argv[0] for c in RUNNABLE}
    assert "convert" in ran
    assert any("--files" in c.argv for c in RUNNABLE)
    assert any(c.output for c in RUNNABLE)


@pytest.mark.parametrize("command", RUNNABLE, ids=lambda c: c.doc)
def test_safe_command_runs_as_documented(command: Command, tmp_path: Path) -> None:
    work = tmp_path / "work"  # `../x` paths land beside it, inside tmp_path
    work.mkdir()
    make_fixtures(command, work)
    done = run_tool(command.argv, work)
    shown = f"{command.doc}: `{command.line}`:\n{done.stdout}{done.stderr}"
    if "--help" in command.argv or "-h" in command.argv:
        assert done.returncode == 0, shown
    elif "--files" in command.argv:
        # the fixtures need converting: 1 with --check, else 0 (the diff, or written)
        assert done.returncode == (1 if "--check" in command.argv else 0), shown
        assert "summary:" in done.stdout + done.stderr, shown
    else:
        assert done.returncode == 0, shown
    if command.output is not None:
        assert done.stdout.splitlines() == command.output, shown


# ----------------------------------------------------------------------------------------- links

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")


def prose(path: Path) -> str:
    """The text outside code blocks and inline code."""
    out, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*```", line):
            fenced = not fenced
            continue
        if not fenced:
            out.append(re.sub(r"`[^`]*`", "", line))
    return "\n".join(out)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    fenced = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\s*```", line):
            fenced = not fenced
        heading = None if fenced else re.match(r"^#{1,6} (.+)$", line)
        if heading:
            base = slug(heading.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[tuple[Path, str]]:
    """(target file, anchor or "") of each relative link in the file's prose."""
    found = []
    for target in LINK.findall(prose(path)):
        if re.match(r"^[a-z]+:", target):  # https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        found.append(((path.parent / file_part).resolve() if file_part else path, anchor))
    return found


def broken_links(path: Path) -> list[str]:
    problems = []
    for target, anchor in links(path):
        if not target.exists():
            shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
            problems.append(f"{shown}: no such file")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            problems.append(f"{target.name}#{anchor}: no such heading "
                            f"(headings: {sorted(anchors(target))})")
    return problems


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_links_resolve(path: Path) -> None:
    assert not broken_links(path)


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".md" or not page.exists():
            continue
        seen.add(page)
        todo.extend(target for target, _ in links(page))
    missing = [p.relative_to(ROOT).as_posix() for p in DOCS if p not in seen]
    assert not missing, f"not reachable from README.md: {missing}"


def test_readme_is_short_and_each_page_says_what_it_is_for() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) < 300
    for path in DOCS[1:]:
        paragraphs = [p for p in path.read_text().split("\n\n") if p.strip()]
        assert paragraphs[0].startswith("# "), path
        opening = paragraphs[1]
        assert not opening.startswith(("#", "|", "```", "-")), (
            f"{path.name} opens with no words on what it is for")


def test_the_two_commands_stay_as_ci_runs_them() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "./scripts/setup-ecr.sh      # clone -> deployed stack" in readme
    assert "./scripts/test.sh           # every check" in readme
    assert "./scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


# ------------------------------------------------------------------- the checks can fail

BAD_DOC = """\
# A page

This page is for testing the test.

```bash
$ scripts/convert-image-url.sh nginx:1.27
123456789012.dkr.ecr.af-south-1.amazonaws.com/docker-hub/nginx:1.27
```

```bash
scripts/ecr status --no-such-flag
scripts/ecr lifecycle prune [--unpulled-days N] [--nonsense]
scripts/ecr verify --platform
scripts/ecr frobnicate
```

See [the setup](setup.md#no-such-heading), [gone](missing.md) and [fine](#a-page).
"""


def test_the_checks_catch_a_bad_page(tmp_path: Path) -> None:
    page = tmp_path / "docs" / "bad.md"
    page.parent.mkdir()
    page.write_text(BAD_DOC)
    (tmp_path / "docs" / "setup.md").write_text("# Setup\n\n## Only this\n")
    found = []
    for block in code_blocks(page):
        for _, text, output in shell_lines(block):
            for words in segments(text):
                argv = tool_argv(words)
                assert argv is not None
                found.append(Command("bad", text, argv, bool(SYNOPSIS.search(text)), output))
    shows, flag, synopsis, missing_value, no_command = found
    # the output shown lacks library/: running it must disagree
    done = run_tool(shows.argv, tmp_path)
    assert done.returncode == 0 and done.stdout.splitlines() != shows.output
    assert "unrecognized arguments: --no-such-flag" in (parse_error(flag.argv) or "")
    assert unknown_flags(synopsis) == ["--nonsense"]
    assert "expected one argument" in (parse_error(missing_value.argv) or "")
    assert no_command.argv[0] not in COMMANDS
    problems = broken_links(page)
    assert len(problems) == 2
    assert "setup.md#no-such-heading: no such heading" in problems[0]
    assert "missing.md: no such file" in problems[1]


def test_slugs_are_githubs() -> None:
    assert slug("The tools' venv: `scripts/ecr`") == "the-tools-venv-scriptsecr"
    assert slug("3. Verify") == "3-verify"
    assert slug("Charts and ArgoCD Applications: `--chart`, `--apps`") == (
        "charts-and-argocd-applications---chart---apps")
