"""AWS reads, believed only once checked: one call, and every page of a paginated one.

botocore turns an answer into a dict without checking what it holds: an empty 200 body
is ``{}`` (an empty registry, read naively), an item without its name or digest goes
through, and a timestamp out of range or an item of the wrong type breaks its parser
with ``ValueError`` or ``AttributeError``, a traceback.  And a paginated listing
trusts the service's token: botocore's paginator stops a token repeated twice in a row,
but one that alternates (``a``, ``b``, ``a``, ...) loops forever, as does a hand-written
``nextToken`` loop.  The token guard is the pruner's (``ecr.pruner.ecr_api.follow``), so
every listing of ours stops the same way.  Every read of ``ecr.aws`` goes through :func:`call` or
:func:`pages`, which raise :class:`BadAnswer` (one of :data:`ecr.aws.ERRORS`, so the
commands report it like any failed call) naming the call and what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError

from ecr.aws import PAGE_SIZE
from ecr.pruner.ecr_api import follow

# What botocore's response parser raises on an answer of the wrong shape or with a
# timestamp out of range (its own errors are BotoCoreError, handled as failed calls).
PARSER_ERRORS = (ValueError, TypeError, AttributeError, KeyError, RuntimeError, OverflowError)


class BadAnswer(BotoCoreError):
    """An AWS call answered something that cannot be believed: nothing is concluded
    from it (no empty registry, nothing deleted)."""

    fmt = "{operation} answered {problem}; {fix}"

    def __init__(self, operation: str, problem: str,
                 fix: str = "retry; if it persists, the endpoint is not a working AWS API "
                 "(check AWS_ENDPOINT_URL and proxies)") -> None:
        super().__init__(operation=operation, problem=problem, fix=fix)


def call(method: Callable[..., Any], operation: str, **kwargs: Any) -> dict[str, Any]:
    """``method(**kwargs)``: a botocore client method; :class:`BadAnswer` instead of a
    parser's traceback or an answer that is no JSON object."""
    try:
        answer = method(**kwargs)
    except PARSER_ERRORS as exc:
        raise BadAnswer(operation, f"something botocore cannot read ({type(exc).__name__}: "
                        f"{str(exc)[:160]})") from None
    if not isinstance(answer, dict):
        raise BadAnswer(operation, f"a {type(answer).__name__}, not a JSON object")
    return answer


def value(answer: dict[str, Any], operation: str, *path: str) -> Any:
    """``answer[path[0]][path[1]]...``, present and not empty; else :class:`BadAnswer`."""
    found: Any = answer
    for depth, key in enumerate(path):
        if not isinstance(found, dict) or found.get(key) in (None, "", {}, []):
            raise BadAnswer(operation, f"no {'.'.join(path[:depth + 1])}")
        found = found[key]
    return found


def items(answer: dict[str, Any], operation: str, key: str,
          required: Sequence[str] = (), kind: type = dict) -> list[Any]:
    """``answer[key]``: a list of ``kind`` (objects, each holding ``required``, or names:
    ``str``); else :class:`BadAnswer`.

    A missing list is no empty list: ECR always sends it, so its absence (an empty body
    parsed as ``{}``) means the answer is not what it seems.
    """
    found = answer.get(key)
    if not isinstance(found, list):
        what = "no " + key if found is None else f"{key} as a {type(found).__name__}"
        raise BadAnswer(operation, f"{what}, not a list")
    for item in found:
        if not isinstance(item, kind):
            raise BadAnswer(operation, f"an item of {key} that is a {type(item).__name__}")
        missing = [name for name in required if isinstance(item, dict) and not item.get(name)]
        if missing:
            raise BadAnswer(operation, f"an item of {key} without {', '.join(missing)}")
    return found


def pages(method: Callable[..., Any], operation: str, key: str,
          required: Sequence[str] = (), *, kind: type = dict, continuation: str = "nextToken",
          size: tuple[str, int] | None = ("maxResults", PAGE_SIZE),
          **kwargs: Any) -> Iterator[list[Any]]:
    """The items (``key``) of every page of ``method``, ``size`` a page.

    ``continuation``: the name the call sends and answers its continuation under (``nextToken``;
    IAM's ``Marker``).  A token seen before, repeated or alternating, is :class:`BadAnswer`:
    the listing would never end.
    """
    if size is not None:
        kwargs[size[0]] = size[1]

    def bad_token(token: object, seen_before: bool) -> BadAnswer:
        if seen_before:
            return BadAnswer(operation, f"a {continuation} it had answered before: the "
                             "listing would never end", "retry later; the service is misbehaving")
        return BadAnswer(operation, f"a {continuation} that is a {type(token).__name__}")

    for answer in follow(lambda args: call(method, operation, **args), kwargs, bad_token,
                         continuation):
        yield items(answer, operation, key, required, kind)
