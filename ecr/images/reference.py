"""Container image references, parsed like Docker does.  SHARED API: other modules import this.

``parse(text) -> Reference`` follows distribution/reference ``ParseNormalizedNamed``
(the parser behind ``docker pull``, containerd and Kubernetes): a name with no ``/``
gets ``docker.io/library/``; the first component is a host only when it contains
``.`` or ``:``, is ``localhost``, or has uppercase letters; ``index.docker.io`` becomes
``docker.io``; paths are lowercase; tags are ``[\\w][\\w.-]{0,127}``; digests are
``algorithm:hex`` with the algorithm's exact length; a tag and a digest may both be
present; the path is at most 255 characters.

One deliberate difference: distribution accepts a first component that contains a
``.`` but is not a valid host name (``foo_bar.com/x``) as a host-less name, which no
registry can serve; we reject it, naming the bad host.

Errors are :class:`InvalidReference` whose message is the precise reason (Docker's own
message is mostly "invalid reference format").  Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["DIGEST_HEX_LENGTHS", "InvalidReference", "Reference", "parse", "printable"]

DEFAULT_DOMAIN = "docker.io"
LEGACY_DEFAULT_DOMAIN = "index.docker.io"
OFFICIAL_REPO_PREFIX = "library/"
LOCALHOST = "localhost"
PATH_MAX_LENGTH = 255
TAG_MAX_LENGTH = 128

# go-digest's registered algorithms (Docker registers all three) and their hex lengths.
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}

# The grammar, transcribed from distribution/reference regexp.go.  re.ASCII because
# Go's \w is ASCII-only; fullmatch() because Python's $ also matches before "\n".
_ALPHANUMERIC = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_PATH_COMPONENT = _ALPHANUMERIC + r"(?:" + _SEPARATOR + _ALPHANUMERIC + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_HOST = r"(?:" + _DOMAIN_NAME + r"|" + _IPV6 + r")"
_DOMAIN_AND_PORT = _HOST + r"(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME

_REFERENCE_RE = re.compile(
    r"(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?", re.ASCII
)
_ANCHORED_NAME_RE = re.compile(
    r"(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")", re.ASCII
)
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}", re.ASCII)
_TAG_RE = re.compile(_TAG, re.ASCII)
_DIGEST_RE = re.compile(_DIGEST, re.ASCII)
_DOMAIN_RE = re.compile(_DOMAIN_AND_PORT, re.ASCII)
_PATH_COMPONENT_RE = re.compile(_PATH_COMPONENT, re.ASCII)
_SPACE_RE = re.compile(r"\s")


class InvalidReference(ValueError):
    """Text that is not a valid image reference; the message says exactly why."""


@dataclass(frozen=True)
class Reference:
    """A normalised image reference: ``domain/path[:tag][@digest]``."""

    domain: str  # "docker.io", "quay.io", "127.0.0.1:5000", ...
    path: str  # "library/nginx"
    tag: str | None = None
    digest: str | None = None

    @property
    def name(self) -> str:
        """``domain/path``: the repository, without tag or digest."""
        return f"{self.domain}/{self.path}"

    @property
    def suffix(self) -> str:
        """``:tag`` and/or ``@digest``, as written after the repository (may be empty)."""
        return (f":{self.tag}" if self.tag else "") + (f"@{self.digest}" if self.digest else "")

    def __str__(self) -> str:
        text = self.name
        if self.tag is not None:
            text += f":{self.tag}"
        if self.digest is not None:
            text += f"@{self.digest}"
        return text


def split_docker_domain(name: str) -> tuple[str, str]:
    """distribution's ``splitDockerDomain``: (domain, remainder) with Docker Hub defaults."""
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        return DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name
    if maybe_domain == LOCALHOST:
        domain, remote = maybe_domain, maybe_remote
    elif maybe_domain == LEGACY_DEFAULT_DOMAIN:
        domain, remote = DEFAULT_DOMAIN, maybe_remote
    elif any(c in maybe_domain for c in ".:") or maybe_domain.lower() != maybe_domain:
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = DEFAULT_DOMAIN, name
    if domain == DEFAULT_DOMAIN and "/" not in remote:
        remote = OFFICIAL_REPO_PREFIX + remote
    return domain, remote


def embedded_suffix(value: str) -> str:
    """The ``:tag`` and/or ``@digest`` written inside a chart's repository/image value
    itself (``bitnami/nginx:1.27``), kept when the value is rewritten."""
    at = value.find("@")
    name, digest = (value[:at], value[at:]) if at >= 0 else (value, "")
    colon = name.rfind(":")
    tag = name[colon:] if colon > name.rfind("/") else ""
    return tag + digest


def printable(text: str) -> str:
    """``text`` for a terminal or a log line: control and other unprintable characters
    escaped as Python does in a repr (``\\x1b``, ``\\n``), backslashes doubled."""
    if text.isprintable() and "\\" not in text:
        return text
    return "".join(
        char if char.isprintable() and char != "\\" else repr(char)[1:-1]
        for char in text
    )


def parse(text: str) -> Reference:
    """Parse ``text`` like ``docker pull`` would; raise :class:`InvalidReference` if it can't."""
    if not isinstance(text, str):
        raise InvalidReference(f"expected text, got {type(text).__name__}")
    return _parse(text)


@lru_cache(maxsize=8192)
def _parse(text: str) -> Reference:
    # Cached: a tree of values files names the same few images over and over.
    if text == "":
        raise InvalidReference("empty reference")
    if _IDENTIFIER_RE.fullmatch(text):
        raise InvalidReference(
            f"{text!r} is a 64-character hexadecimal image ID, not a repository name"
        )
    _reject_obvious(text)
    domain, remainder = split_docker_domain(text)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        raise InvalidReference(f"repository name {remote!r} must be lowercase")
    full = f"{domain}/{remainder}"
    match = _REFERENCE_RE.fullmatch(full)
    if match is None:
        raise InvalidReference(_diagnose(domain, remainder))
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    name_match = _ANCHORED_NAME_RE.fullmatch(name)
    if name_match is None or name_match.group(1) is None:
        # Accepted by distribution as a host-less name, but no registry serves it.
        raise InvalidReference(f"{domain!r} is not a valid registry host name")
    parsed_domain, path = name_match.group(1), name_match.group(2)
    if len(path) > PATH_MAX_LENGTH:
        raise InvalidReference(
            f"repository path is {len(path)} characters long; at most {PATH_MAX_LENGTH} allowed"
        )
    if digest is not None:
        _check_digest(digest)
    return Reference(parsed_domain, path, tag, digest)


def _reject_obvious(text: str) -> None:
    """Clear messages for mistakes people actually make, before the grammar."""
    if text.startswith("@"):
        raise InvalidReference(
            "a digest alone names no image: put the repository in front of it "
            "(e.g. nginx@sha256:<64 hex>)"
        )
    if text.startswith(":"):
        raise InvalidReference("a tag alone names no image: put the repository in front of it "
                               "(e.g. nginx:1.27)")
    if _SPACE_RE.search(text):
        raise InvalidReference("contains whitespace")
    if "://" in text:
        scheme = text.split("://", 1)[0]
        raise InvalidReference(f"an image reference has no URL scheme: drop {scheme + '://'!r}")
    if "{{" in text or "}}" in text:
        raise InvalidReference("contains a template expression ({{ }}); render it first")
    if text.startswith("[") and "/" not in text:
        raise InvalidReference(f"{text!r} is a registry host with no repository path after it")
    if text.count("@") > 1:
        raise InvalidReference("more than one '@' (only one digest allowed)")


def _check_digest(digest: str) -> None:
    """go-digest ``Digest.Validate``: a registered algorithm and its exact hex length."""
    algorithm, _, hexpart = digest.partition(":")
    expected = DIGEST_HEX_LENGTHS.get(algorithm)
    if expected is None:
        known = ", ".join(DIGEST_HEX_LENGTHS)
        raise InvalidReference(f"unsupported digest algorithm {algorithm!r} (known: {known})")
    if len(hexpart) != expected:
        raise InvalidReference(
            f"{algorithm} digest must have {expected} hex characters, not {len(hexpart)}"
        )
    if hexpart.lower() != hexpart:
        raise InvalidReference(f"{algorithm} digest must be lowercase hex")


def _diagnose(domain: str, remainder: str) -> str:
    """Why ``domain/remainder`` fails the grammar, as precisely as we can tell."""
    rest, at, digest = remainder.partition("@")
    if at:
        if not digest:
            return "empty digest after '@'"
        if not _DIGEST_RE.fullmatch(digest):
            return f"digest {digest!r} is not algorithm:hex (e.g. sha256:<64 hex characters>)"
    last_slash = rest.rfind("/")
    colon = rest.rfind(":")
    path = rest
    if colon > last_slash:
        path, tag = rest[:colon], rest[colon + 1 :]
        if not tag:
            return "empty tag after ':'"
        if len(tag) > TAG_MAX_LENGTH:
            return f"tag is {len(tag)} characters long; at most {TAG_MAX_LENGTH} allowed"
        if not _TAG_RE.fullmatch(tag):
            return (
                f"tag {tag!r} may only contain letters, digits, '_', '.' and '-', "
                "and must not start with '.' or '-'"
            )
    if not _DOMAIN_RE.fullmatch(domain):
        return f"{domain!r} is not a valid registry host (host[:port])"
    if ":" in path:
        return f"unexpected ':' in repository {path!r} (a port belongs to the host only)"
    for component in path.split("/"):
        if not component:
            return f"repository {path!r} has an empty path component ('//' or a trailing '/')"
        if not _PATH_COMPONENT_RE.fullmatch(component):
            return (
                f"path component {component!r} must be lowercase letters and digits, "
                "separated by '.', '_', '__' or '-' (not at the start or end)"
            )
    return "invalid reference format"
