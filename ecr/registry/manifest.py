"""OCI / Docker manifests: media types, parsing, and picking a platform from an index.

Pure functions and data only.  A node pulling ``nginx:1.27`` asks for the tag with
an Accept header listing every manifest format it understands; when the answer is
an index (multi-arch), it then pulls the manifest for its own platform.  ``verify``
does the same, so a tag that exists but lacks the cluster's platform is caught.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_V2 = "application/vnd.docker.distribution.manifest.v2+json"
IMAGE_CONFIG_TYPES = frozenset({
    "application/vnd.oci.image.config.v1+json",
    "application/vnd.docker.container.image.v1+json",
})

INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
IMAGE_TYPES = frozenset({OCI_MANIFEST, DOCKER_V2})

# What containerd sends: indexes first, then single-platform manifests.
MANIFEST_ACCEPT = ", ".join((OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_V2))

# containerd refuses manifests larger than 4 MiB; so do we (a manifest is read whole).
MAX_MANIFEST_BYTES = 4 * 1024 * 1024

# containerd's platform normalisation (containerd/platforms): architecture aliases,
# and the variant each architecture means when none is given.
_ARCH_ALIASES = {"x86_64": ("amd64", None), "x86-64": ("amd64", None),
                 "aarch64": ("arm64", None), "armhf": ("arm", "v7"), "armel": ("arm", "v6"),
                 "i386": ("386", None)}
_DEFAULT_VARIANT = {"amd64": "v1", "arm64": "v8", "arm": "v7"}


class ManifestError(ValueError):
    """A manifest that is not JSON, of an unknown type, or does not match its digest."""


class UnsupportedManifest(ManifestError):
    """A well-formed manifest in a format nodes no longer pull (Docker schema 1)."""


_SCHEMA1_BODY = re.compile(rb'"schemaVersion"\s*:\s*1\s*[,}]')
SCHEMA1_TYPES = frozenset({
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
})


@dataclass(frozen=True)
class Platform:
    os: str
    architecture: str
    variant: str | None = None

    @classmethod
    def parse(cls, text: str) -> Platform:
        """``linux/amd64``, ``linux/arm64/v8``; raises ValueError with the expected shape."""
        parts = text.strip().lower().split("/")
        if len(parts) not in (2, 3) or not all(parts):
            raise ValueError(
                f"platform {text!r} is not OS/ARCH[/VARIANT], e.g. linux/amd64 or linux/arm64"
            )
        return cls(parts[0], parts[1], parts[2] if len(parts) == 3 else None)

    def matches(self, other: Platform) -> bool:
        """Does ``other`` (from an index or an image config) run on a node of this platform?"""
        return self.rank(other) is not None

    def rank(self, other: Platform) -> int | None:
        """How well ``other`` serves a node of this platform: 0 is an exact match, higher
        is a fallback, None is no match.

        As containerd's ``platforms.Only`` (platformVector): an amd64/vN node also runs
        amd64 v(N-1)..v1 and then 386, but never a higher level (``linux/amd64`` is v1,
        so an ``amd64/v3``-only image does not run there); an arm/vN node runs arm
        v(N-1)..v5; an arm64 node runs arm64 (v8), then 32-bit arm v8..v5.
        """
        node_os, node_arch, node_var = _normalise(self)
        os_, arch, var = _normalise(other)
        if node_os != os_:
            return None
        if (node_arch, node_var) == (arch, var):
            return 0
        level, have = _level(node_var), _level(var)
        if node_arch in ("amd64", "arm") and arch == node_arch:
            floor = 1 if arch == "amd64" else 5
            if level is not None and have is not None and floor <= have < level:
                return level - have
            return None
        if node_arch == "amd64" and arch == "386":
            return (level or 1) + 1
        arm32 = node_arch == "arm64" and node_var == "v8" and arch == "arm"
        if arm32 and have is not None and 5 <= have <= 8:
            return 1 + 8 - have
        return None

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True)
class Descriptor:
    """A pointer to content: a child manifest of an index, a config or a layer."""

    media_type: str
    digest: str
    size: int
    platform: Platform | None = None


@dataclass(frozen=True)
class Manifest:
    media_type: str
    digest: str
    size: int
    children: tuple[Descriptor, ...] = ()  # for an index
    config: Descriptor | None = None  # for an image manifest
    layers: tuple[Descriptor, ...] = field(default=())

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def blobs(self) -> list[Descriptor]:
        """Config then layers: everything a pull downloads after the manifest."""
        return ([self.config] if self.config else []) + list(self.layers)

    def platforms(self) -> list[Platform]:
        """Runnable platforms of an index: buildx's attestation manifests
        (``unknown/unknown``) are not images and are left out."""
        return [
            c.platform for c in self.children
            if c.platform is not None and c.platform.os != "unknown"
        ]

    def select(self, platform: Platform) -> Descriptor | None:
        """The child manifest a node of ``platform`` would pull (containerd's best match:
        exact first, then the closest fallback; index order breaks ties), or None."""
        best: tuple[int, int, Descriptor] | None = None
        for position, child in enumerate(self.children):
            rank = platform.rank(child.platform) if child.platform is not None else None
            if rank is not None and (best is None or (rank, position) < best[:2]):
                best = (rank, position, child)
        return best[2] if best else None


def _normalise(platform: Platform) -> tuple[str, str, str | None]:
    os_, arch = platform.os.lower(), platform.architecture.lower()
    variant = platform.variant.lower() if platform.variant else None
    if arch in _ARCH_ALIASES:
        arch, implied = _ARCH_ALIASES[arch]
        variant = variant or implied
    if variant and variant[0].isdigit():
        variant = "v" + variant
    if variant == "v8.0":
        variant = "v8"
    return os_, arch, variant or _DEFAULT_VARIANT.get(arch)


def _level(variant: str | None) -> int | None:
    """The number in a ``vN`` variant, or None."""
    if variant and variant[0] == "v" and variant[1:].isdigit():
        return int(variant[1:])
    return None


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(raw: Any, where: str) -> Descriptor:
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} is not an object")
    digest, size = raw.get("digest"), raw.get("size")
    if not isinstance(digest, str) or ":" not in digest or not isinstance(size, int):
        raise ManifestError(f"{where} lacks a digest or size")
    platform = None
    plat = raw.get("platform")
    if isinstance(plat, dict) and plat.get("os") and plat.get("architecture"):
        platform = Platform(
            str(plat["os"]), str(plat["architecture"]), plat.get("variant") or None
        )
    return Descriptor(str(raw.get("mediaType", "")), digest, size, platform)


def parse_manifest(body: bytes, content_type: str, expected_digest: str | None) -> Manifest:
    """Parse a manifest body, checking it against ``expected_digest`` when one is known.

    The media type comes from the body's ``mediaType`` when present (it is
    authoritative for OCI), else from the response's Content-Type.
    """
    digest = sha256_digest(body)
    _refuse_schema1(body, content_type)
    if expected_digest and expected_digest.startswith("sha256:") and expected_digest != digest:
        raise ManifestError(f"manifest content is {digest}, not the expected {expected_digest}")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ManifestError(f"manifest is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ManifestError("manifest is not a JSON object")
    media_type = str(data.get("mediaType") or content_type.split(";")[0].strip())
    if media_type not in INDEX_TYPES and media_type not in IMAGE_TYPES:
        if isinstance(data.get("manifests"), list):
            media_type = OCI_INDEX  # OCI allows the field to be absent
        elif isinstance(data.get("layers"), list):
            media_type = OCI_MANIFEST
        else:
            raise UnsupportedManifest(
                f"unsupported manifest type {media_type!r}: not an OCI or Docker v2 image or index"
            )
    if media_type in INDEX_TYPES:
        raw_children = data.get("manifests")
        if not isinstance(raw_children, list):
            raise ManifestError("index has no manifests list")
        children = tuple(
            _descriptor(c, f"manifests[{i}]") for i, c in enumerate(raw_children)
        )
        return Manifest(media_type, digest, len(body), children=children)
    raw_layers = data.get("layers")
    if not isinstance(raw_layers, list):
        raise ManifestError("image manifest has no layers list")
    config = _descriptor(data.get("config"), "config")
    layers = tuple(_descriptor(layer, f"layers[{i}]") for i, layer in enumerate(raw_layers))
    return Manifest(media_type, digest, len(body), config=config, layers=layers)


def _refuse_schema1(body: bytes, content_type: str) -> None:
    """Docker schema 1 first: its signed body never hashes to its Docker-Content-Digest
    (the digest covers the payload without signatures), so the digest check would
    misreport it as corrupt content."""
    media_type = content_type.split(";")[0].strip()
    if media_type in SCHEMA1_TYPES or _SCHEMA1_BODY.search(body[:4096]):
        raise UnsupportedManifest(
            "Docker schema 1 manifest: a deprecated format that containerd 2.x refuses to pull"
        )


def config_platform(body: bytes) -> Platform | None:
    """The platform an image config declares, or None if it does not say."""
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise ManifestError(f"image config is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not data.get("os") or not data.get("architecture"):
        return None
    return Platform(str(data["os"]), str(data["architecture"]), data.get("variant") or None)
