"""The AWS clients the operations commands (status, lifecycle, doctor) share.

A ``Clients`` holds one botocore session and creates each service client once, through
:func:`ecr.aws.sessions.client` (the one place that says how the tools talk to AWS:
retries, timeouts, connection pool).  botocore clients are thread-safe and keep their
connections alive, so one client per service serves every worker thread of a command;
sessions are not thread-safe: clients are created under a lock (``Clients.get``).
Tests inject their own client per service (a moto-backed client for what moto
implements, a ``Stubber``-wrapped one for what it lacks) through ``overrides``; the
commands never build clients themselves.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ecr import aws

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
    """Lazily created AWS clients on one session; ``overrides`` (service -> client) wins."""

    session: Session | None = None
    overrides: dict[str, Any] = field(default_factory=dict)
    _made: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def region(self) -> str:
        if self.session is not None:
            from ecr.aws import sessions

            region = sessions.region_of(self.session)
            if region:
                return region
        for client in self.overrides.values():
            found = getattr(client.meta, "region_name", None)
            if found:
                return str(found)
        raise aws.AwsSetupError("no AWS region", "pass --region, or set AWS_REGION")

    def botocore_session(self, purpose: str = "a client") -> Session:
        if self.session is None:
            raise aws.AwsSetupError(f"no AWS session to create {purpose}")
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

    # One client per service, made on first use: ``clients.ecr``, ``clients.sts`` ...
    ecr = _Service()
    sts = _Service()
    iam = _Service()
    eks = _Service()


def for_profile(profile: str | None = None, region: str | None = None) -> Clients:
    """Clients for an AWS profile and region (``None``: the environment's).

    The session is made now: ``aws.AwsSetupError`` (a malformed config file, an unknown
    profile, no region or an invalid one) is turned into a usage error by the commands.
    ``sessions.session`` falls back to ``AWS_REGION``, which botocore alone does not read.
    """
    from ecr.aws import sessions

    return Clients(session=sessions.session(profile=profile, region=region))
