"""What is wrong with a config value, and the error that lists every such problem."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ecr.config.keys import NAMESPACE

# Problem kinds the setup script handles itself (it asks for the credential and sets it as
# a secret) and the tools ignore (they never read credentials); every other problem is fatal.
MISSING_CREDENTIAL = "missing-credential"
PLAINTEXT_CREDENTIAL = "plaintext-credential"


@dataclass(frozen=True)
class Problem:
    key: str
    message: str
    fix: str  # the exact command(s) that fix it
    kind: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{NAMESPACE}:{self.key}: {self.message}\n    fix: {self.fix}"

    @property
    def about_credentials(self) -> bool:
        return self.kind in (MISSING_CREDENTIAL, PLAINTEXT_CREDENTIAL)


class ConfigError(ValueError):
    """One or more bad config values; ``problems`` says which and how to fix each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        if not self.problems:
            raise ValueError("ConfigError needs at least one problem")
        lines = [f"invalid stack configuration ({len(self.problems)} problem(s)):"]
        lines += [f"  {p}" for p in self.problems]
        super().__init__("\n".join(lines))

    @property
    def key(self) -> str:
        return self.problems[0].key

    @property
    def fix(self) -> str:
        return self.problems[0].fix


class Collector:
    """Problems and warnings gathered while reading every key, reported together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def add(self, key: str, message: str, fix: str, kind: str = "") -> None:
        self.problems.append(Problem(key, message, fix, kind))

    def has_problem(self, key: str) -> bool:
        return any(p.key == key for p in self.problems)
