"""Cached images on moto for the pruner's tests and benchmark: real manifests, real indexes.

moto stores images pushed with ``PutImage`` (digest = sha256 of the manifest, as in
ECR), answers ``DescribeImages``, ``BatchGetImage`` and ``BatchDeleteImage``, but it
records no pulls (no ``lastRecordedPullTime``) and stamps ``imagePushedAt`` with the
time of the test.  :func:`record_times` fills those two fields into the parsed
``DescribeImages`` answers of one client, as ECR would report them; everything else
comes from moto as it is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


def digest_of(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def manifest(seed: str, size: int) -> str:
    """A platform manifest whose config size moto reports as the image size."""
    return json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": size,
                   "digest": digest_of(seed + "config")},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "size": size,
                    "digest": digest_of(seed + "layer")}],
    })


def put(ecr: Any, repo: str, text: str, tag: str | None = None) -> str:
    """Push ``text`` as an image (untagged when ``tag`` is None); returns its digest."""
    digest = digest_of(text)
    kwargs: dict[str, Any] = {"repositoryName": repo, "imageManifest": text,
                              "imageDigest": digest}
    if tag:
        kwargs["imageTag"] = tag
    ecr.put_image(**kwargs)
    return digest


def put_single(ecr: Any, repo: str, seed: str, size: int = 1000, tag: str | None = None) -> str:
    return put(ecr, repo, manifest(seed, size), tag)


def put_index(ecr: Any, repo: str, children: list[str], tag: str | None = None,
              seed: str = "") -> str:
    """An OCI index listing ``children`` (digests already pushed)."""
    text = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_INDEX,
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": d, "size": 500,
                       "platform": {"architecture": f"arch{n}", "os": "linux"}}
                      for n, d in enumerate(children)],
        "annotations": {"seed": seed},
    })
    return put(ecr, repo, text, tag)


def put_multiarch(ecr: Any, repo: str, seed: str, tag: str | None, platforms: int = 2,
                  size: int = 1000) -> tuple[str, list[str]]:
    """Platform manifests, then the index listing them: (index digest, child digests)."""
    children = [put_single(ecr, repo, f"{repo}:{seed}:{n}", size) for n in range(platforms)]
    return put_index(ecr, repo, children, tag, seed), children


def record_times(client: Any, pushed: Mapping[str, datetime] | datetime,
                 pulls: Mapping[str, datetime]) -> None:
    """Make ``client``'s DescribeImages report these push times and last pulls.

    ``pushed``: one time for every image, or per digest (others keep moto's).
    """
    def fill(parsed: dict[str, Any], **_: Any) -> None:
        details = parsed.get("imageDetails")
        for detail in details if isinstance(details, list) else []:
            digest = detail.get("imageDigest") if isinstance(detail, dict) else None
            if not (isinstance(digest, str) and len(digest) == 71):
                continue  # not an image moto holds (a test's odd answer): left as it came
            if isinstance(pushed, datetime):
                detail["imagePushedAt"] = pushed
            elif digest in pushed:
                detail["imagePushedAt"] = pushed[digest]
            if digest in pulls:
                detail["lastRecordedPullTime"] = pulls[digest]

    client.meta.events.register("after-call.ecr.DescribeImages", fill)


def digests(ecr: Any, repo: str) -> set[str]:
    """What the repository holds now (straight from moto)."""
    found: set[str] = set()
    for page in ecr.get_paginator("describe_images").paginate(repositoryName=repo):
        found.update(d["imageDigest"] for d in page["imageDetails"])
    return found


class PullLog:
    """What ECR's ``DescribeImages`` would report of pulls, recorded per digest and
    changeable while a prune runs: moto keeps the images and answers every call, but
    records no pulls, so ``client``'s answers get these times filled in (``record_times``
    on this live mapping).  ``when_rereading(action)`` runs ``action`` once, right before
    the first ``DescribeImages`` by digest (the re-read before a delete): anything it does
    happened after the plan and before the delete."""

    def __init__(self, client: Any, pushed: datetime) -> None:
        self.pulls: dict[str, datetime] = {}
        self.client = client
        record_times(client, pushed, self.pulls)

    def pull(self, digest: str, when: datetime) -> None:
        self.pulls[digest] = when

    def when_rereading(self, action: Any, repository: str | None = None) -> None:
        """``action()`` once, right before the first re-read (of ``repository``, when
        given: repositories are deleted concurrently)."""
        done: list[bool] = []

        def before(params: dict[str, Any], **_: Any) -> None:
            if ("imageIds" in params and not done
                    and repository in (None, params.get("repositoryName"))):
                done.append(True)
                action()

        self.client.meta.events.register("before-parameter-build.ecr.DescribeImages", before)


def route_clients(monkeypatch: Any, client: Any) -> list[object]:
    """Make the commands' AWS clients (``ecr.aws.clients.for_profile``) use ``client`` for
    ECR; returns the list of ``(profile, region)`` each command asked for (empty: no AWS
    client was made)."""
    from ecr.aws import clients as ops_clients
    from ecr.aws import sessions
    from tests.aws.conftest import REGION

    made: list[object] = []

    def for_profile(profile: str | None, region: str | None) -> ops_clients.Clients:
        made.append((profile, region))
        return ops_clients.Clients(session=sessions.session(region=REGION),
                                   overrides={"ecr": client})

    monkeypatch.setattr(ops_clients, "for_profile", for_profile)
    return made
