"""Secret values in the settings: wrapped so ``repr``, logs and reports never show them."""

from __future__ import annotations

from dataclasses import dataclass


class SecretText:
    """A secret string whose ``repr``/``str`` never show the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretText('[secret]')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretText) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class UpstreamCredentials:
    """Credentials for one cache prefix; the token stays wrapped."""

    prefix: str
    username: str
    token: SecretText
