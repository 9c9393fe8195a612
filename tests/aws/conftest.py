"""Fixtures for the operations commands: moto-backed clients, images, fault injection."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse, HTTPHeaders

from ecr.aws import sessions
from ecr.aws.clients import Clients
from ecr.config import stackfile
from tests.conftest import MotoServer

REGION = "af-south-1"
ACCOUNT = "123456789012"  # moto's default account


def manifest(size: int, seed: str) -> str:
    """A Docker v2 manifest; moto reports ``config.size`` as the image size."""
    digest = "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    layer = "sha256:" + hashlib.sha256((seed + "layer").encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": size,
                "digest": digest,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": size,
                    "digest": layer,
                }
            ],
        }
    )


def add_repo(ecr: Any, name: str, sizes: list[int]) -> None:
    ecr.create_repository(repositoryName=name)
    for i, size in enumerate(sizes):
        ecr.put_image(
            repositoryName=name, imageManifest=manifest(size, f"{name}:{i}"), imageTag=f"v{i}"
        )


def moto_clients() -> Clients:
    """Clients on the moto server the environment points at (adaptive retries included)."""
    return Clients(session=sessions.session(region=REGION))


@pytest.fixture
def clients(aws_env: MotoServer) -> Clients:
    return moto_clients()


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.data


def error_response(code: str, message: str, status: int = 400) -> AWSResponse:
    """An AWS JSON-protocol error as it arrives over HTTP."""
    body = json.dumps({"__type": code, "message": message}).encode()
    headers = HTTPHeaders()
    headers["Content-Type"] = "application/x-amz-json-1.1"
    headers["x-amzn-RequestId"] = "test"
    return AWSResponse("https://test", status, headers, _Body(body))


def inject(
    client: Any, operation: str, decide: Callable[[dict[str, Any]], AWSResponse | None]
) -> list[dict[str, Any]]:
    """Answer some HTTP sends of ``operation`` with a fault, below the retry handler.

    ``before-send`` runs inside botocore's retry loop (unlike a Stubber, which answers
    before it), so a throttling fault injected here is really retried.  Returns the
    list of attempts seen (each the request's JSON body), for assertions.
    """
    attempts: list[dict[str, Any]] = []

    def handler(request: Any, **_: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        if not target.endswith("." + operation):
            return None
        body = json.loads(request.body or b"{}")
        attempts.append(body)
        return decide(body)

    client.meta.events.register_first("before-send.*", handler)
    return attempts


@pytest.fixture
def lifecycle_env(aws_env: MotoServer) -> MotoServer:
    """The moto server for the lifecycle tests: moto's own, unpatched (the cache policy
    expires by age or count, which moto's validator accepts as it is)."""
    return aws_env


def plain_ecr() -> Any:
    """An ECR client for test setup (no retries to wait for)."""
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture(autouse=True)
def project_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """An empty project directory: without --stack-file the commands read
    ``Pulumi.<stack>.yaml`` from there, never from this checkout's own stack files."""
    path = tmp_path_factory.mktemp("project")
    monkeypatch.setattr(stackfile, "PROJECT_DIR", path)
    return path


def is_failed_listing(out: str | dict[str, Any], err: str) -> bool:
    """``status -o json`` when the listing failed: a document with the error (the same
    words as the one ``error:`` line on stderr) and no repositories, never nothing."""
    document = json.loads(out) if isinstance(out, str) else out
    return (document["repositories"] == [] and err.startswith("error: ")
            and document["error"] in err and err.count("error:") == 1)
