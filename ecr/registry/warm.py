"""Warm a pull-through cache: pull every config and layer blob once.

A manifest pull makes the cache create the repository and record the image, but a
node's first pull still waits for the layers to come through from upstream.  Pulling
each blob once before the rollout moves that wait (and any upstream failure) to a
moment when nobody is paging.

- Blobs are deduplicated by digest over all images: a base layer shared by thirty
  images is fetched once (through the first image's repository that has it).
- Downloads run in a bounded thread pool sharing one connection pool, and start as
  soon as an image's manifest has resolved (while other images are still checked).
- Each blob is streamed and hashed chunk by chunk, never held in memory, and its
  sha256 checked against the digest; a blob served longer than its manifest declares
  is cut there and fails.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from ecr.registry.client import BlobResult, RegistryClient
from ecr.registry.manifest import Descriptor


@dataclass(frozen=True)
class BlobJob:
    repository: str  # where to fetch it from
    blob: Descriptor


@dataclass
class WarmReport:
    blobs: int = 0  # unique blobs asked for
    unique_bytes: int = 0  # sum of their sizes (from the manifests)
    transferred: int = 0  # bytes actually read, retries included
    seconds: float = 0.0
    failures: dict[str, BaseException] = field(default_factory=dict)  # digest -> error


class Warmer:
    """Fetch blobs in the background as images are added; ``wait()`` for the report.

    ``add`` is thread-safe and skips digests already added, so a layer shared by
    many images is fetched once (through the first image's repository that has it).
    """

    def __init__(self, client: RegistryClient, concurrency: int = 8) -> None:
        self._client = client
        self._pool = ThreadPoolExecutor(max_workers=max(1, concurrency))
        self._lock = threading.Lock()
        self._futures: dict[Future[BlobResult], BlobJob] = {}
        self._seen: set[str] = set()
        self._started: float | None = None
        self.report = WarmReport()

    def add(
        self,
        repository: str,
        blobs: Iterable[Descriptor],
        fetched: Iterable[tuple[str, int]] = (),
    ) -> None:
        """Queue ``blobs``; ``fetched`` (digest, bytes) were already read whole and verified
        (an image's config, by the platform check): counted, not fetched again."""
        done = dict(fetched)
        with self._lock:
            if self._started is None:
                self._started = time.monotonic()
            for blob in blobs:
                if blob.digest in self._seen:
                    continue
                self._seen.add(blob.digest)
                self.report.blobs += 1
                self.report.unique_bytes += blob.size
                if blob.digest in done:
                    self.report.transferred += done[blob.digest]
                    continue
                job = BlobJob(repository, blob)
                future = self._pool.submit(
                    self._client.fetch_blob, repository, blob.digest, None, blob.size
                )
                self._futures[future] = job

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._futures)

    def wait(self, on_done: Callable[[BlobJob], None] | None = None) -> WarmReport:
        """Wait for every blob; failures are collected per digest, not raised."""
        with self._lock:
            futures = dict(self._futures)
        for future in as_completed(futures):
            job = futures[future]
            try:
                self.report.transferred += future.result().transferred
            except Exception as exc:  # every failure is reported per blob
                self.report.failures[job.blob.digest] = exc
            if on_done:
                on_done(job)
        self._pool.shutdown(wait=True)
        if self._started is not None:
            self.report.seconds = time.monotonic() - self._started
        return self.report


def warm(
    client: RegistryClient,
    images: Iterable[tuple[str, Iterable[Descriptor]]],
    concurrency: int = 8,
    on_done: Callable[[BlobJob], None] | None = None,
) -> WarmReport:
    """Fetch every blob of (repository, blobs) pairs once; see :class:`Warmer`."""
    warmer = Warmer(client, concurrency)
    for repository, blobs in images:
        warmer.add(repository, blobs)
    return warmer.wait(on_done)
