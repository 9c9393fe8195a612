"""The AWS clients the operations commands (status, lifecycle, doctor) share.

A ``Clients`` holds one botocore session and creates each service client once, with
``ecr.aws.sessions``' adaptive retries.  In a static environment (the environment
alone names keys, region and endpoint: :mod:`ecr.aws.environment`) the session is made
only when a command first needs one, and ``ecr_reader`` is :mod:`ecr.aws.ecr_json`'s
client: ``status`` then never imports botocore's session machinery.  Tests inject
their own client per service (a moto-backed client for what moto implements, a
``Stubber``-wrapped one for what it lacks) through ``overrides``; the commands never
build clients themselves.  botocore clients are thread-safe, sessions are not: create
clients on the main thread (``Clients.get``) before handing them to worker threads.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecr import aws
from ecr.aws import environment
from ecr.aws.environment import StaticEnvironment

if TYPE_CHECKING:
    from ecr.aws.sessions import Session


class _Service:
    """``Clients.<service>``: that service's client (``Clients.get``), named by the attribute."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.service = name

    def __get__(self, clients: Clients, owner: type | None = None) -> Any:
        return clients.get(self.service)


@dataclass
class Clients:
    """Lazily created AWS clients; ``overrides`` (service -> client) wins.

    ``session``: the botocore session; with ``static`` and no session, one is made (for
    ``static.region``) on first use.
    """

    session: Session | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    static: StaticEnvironment | None = None
    _made: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def region(self) -> str:
        region: str | None = None
        if self.static is not None:
            return self.static.region
        if self.session is not None:
            from ecr.aws import sessions

            region = sessions.region_of(self.session)
            if region:
                return region
        for client in self.overrides.values():
            region = getattr(client.meta, "region_name", None)
            if region:
                return str(region)
        raise aws.AwsSetupError("no AWS region", "pass --region, or set AWS_REGION")

    def botocore_session(self, purpose: str = "a client") -> Session:
        """The botocore session, made now in a static environment."""
        if self.session is None:
            if self.static is None:
                raise aws.AwsSetupError(f"no AWS session to create {purpose}")
            from ecr.aws import sessions

            self.session = sessions.session(region=self.static.region)
        return self.session

    def get(self, service: str) -> Any:
        if service in self.overrides:
            return self.overrides[service]
        with self._lock:
            if service not in self._made:
                session = self.botocore_session(f"a {service} client")
                from ecr.aws import sessions

                self._made[service] = sessions.client(session, service)
            return self._made[service]

    @property
    def ecr_reader(self) -> Any:
        """A client for ECR's reads (DescribeRepositories, DescribeImages, BatchGetImage):
        :class:`~ecr.aws.ecr_json.EcrJsonClient` in a static environment, else ``ecr``."""
        if "ecr" in self.overrides or self.static is None:
            return self.ecr
        with self._lock:
            if "ecr-json" not in self._made:
                from ecr.aws.ecr_json import EcrJsonClient

                self._made["ecr-json"] = EcrJsonClient(self.static)
            return self._made["ecr-json"]

    # One client per service, made on first use: ``clients.ecr``, ``clients.sts`` ...
    ecr = _Service()
    sts = _Service()
    iam = _Service()
    eks = _Service()


def for_profile(profile: str | None = None, region: str | None = None) -> Clients:
    """Clients for an AWS profile and region (``None``: the environment's).

    A static environment (:func:`ecr.aws.environment.from_os`) needs no botocore session
    yet.  Otherwise the session is made now: ``aws.AwsSetupError`` (a malformed config
    file, an unknown profile, no region or an invalid one) is turned into a usage error
    by the commands.  ``sessions.session`` falls back to ``AWS_REGION``, which botocore
    alone does not read.
    """
    static = environment.from_os(profile, region)
    if static is not None:
        return Clients(static=static)
    from ecr.aws import sessions

    return Clients(session=sessions.session(profile=profile, region=region))
