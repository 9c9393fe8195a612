"""botocore sessions and clients: how the operations tools talk to AWS, in one place.

Every AWS call the tools make goes through a client made by :func:`client`, with the
settings of :data:`ecr.aws.SETTINGS` (retries, timeouts, the connection pool) and the
standard environment (``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``,
which botocore honours itself).  botocore signs, reads credentials and speaks HTTP; no
module of ours does (tests/test_layout.py keeps it that way).  botocore's *adaptive*
retry mode makes throttling slow a report down instead of failing it.  botocore is used
directly: boto3 adds nothing the tools use.  Importing botocore's session machinery costs
about a tenth of a second of CPU, so this module is imported only where a session is made;
the error path (:mod:`ecr.aws`) needs only ``botocore.exceptions``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from typing import Any, overload

import botocore.session
from botocore import exceptions, loaders
from botocore.config import Config
from botocore.exceptions import BotoCoreError, DataNotFoundError
from botocore.utils import validate_region_name

from ecr import aws
from ecr.aws import endpoint_settings

Session = botocore.session.Session


def config(settings: aws.Settings) -> Config:
    """botocore's configuration for ``settings`` (:data:`ecr.aws.SETTINGS`)."""
    return Config(
        retries={"mode": settings.retry_mode, "max_attempts": settings.max_retries},  # retries
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        max_pool_connections=settings.pool,
    )


class _KnownServices(Sequence[str]):
    """botocore's list of the services with a ``type_name`` model, read only as far as needed.

    ``name in`` looks in that service's own directory; iterating (the message of an
    unknown service, ``get_available_services``) does botocore's full scan.
    """

    def __init__(self, loader: ServiceLoader, type_name: str) -> None:
        self.loader, self.type_name = loader, type_name

    def __contains__(self, name: object) -> bool:
        try:
            return isinstance(name, str) and bool(self.loader.list_api_versions(name,
                                                                                self.type_name))
        except DataNotFoundError:
            return False

    def _all(self) -> list[str]:
        return list(loaders.Loader.list_available_services(self.loader, self.type_name))

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._all())

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())


class ServiceLoader(loaders.Loader):
    """botocore's data loader, without its scan of every service before each model.

    Before loading a service's model, its endpoint rules or its paginators, botocore's
    loader lists all ~400 service directories to check the name is known: ~7 ms of CPU
    each time, three times in a ``status`` run.  This one checks the one service's own
    directories (the same search paths); an unknown service still fails the same way.
    """

    # botocore's callers only test membership, iterate and join: a lazy sequence will do.
    def list_available_services(self, type_name: str) -> Sequence[str]:  # type: ignore[override]
        return _KnownServices(self, type_name)


_LOADERS: dict[tuple[str, ...], ServiceLoader] = {}
_LOADERS_LOCK = threading.Lock()


def _loader(data_path: str | None) -> ServiceLoader:
    """The process's one :class:`ServiceLoader` for these search paths: the models it has
    read (ECR's, STS's, the endpoint rules) are read once, however many sessions (doctor's
    assumed role, the test suite's hundreds) are made."""
    paths = tuple(loaders.create_loader(data_path).search_paths)
    with _LOADERS_LOCK:
        if paths not in _LOADERS:
            _LOADERS[paths] = ServiceLoader(extra_search_paths=list(paths),
                                            include_default_search_paths=False)
        return _LOADERS[paths]


def _new_session(profile: str | None = None) -> Session:
    """A botocore session whose data loader is :class:`ServiceLoader` (same search paths)."""
    sess = Session(profile=profile)
    sess.register_component("data_loader", _loader(sess.get_config_variable("data_path")))
    return sess


def session(profile: str | None = None, region: str | None = None) -> Session:
    """A session for ``profile`` (else ``AWS_PROFILE``) in ``region`` (else ``AWS_REGION``,
    ``AWS_DEFAULT_REGION``, the profile's region).

    Reads the config file now, so a malformed file, an unknown profile, no region or
    a region that is no region name is an :class:`ecr.aws.AwsSetupError` before any call.
    """
    # botocore reads AWS_DEFAULT_REGION; the AWS CLI v2 and SDKs also honour AWS_REGION.
    region = region or os.environ.get("AWS_REGION") or None
    try:
        sess = _new_session(profile)
        sess.get_scoped_config()  # parses the config file; the profile must be in it
        if region:
            sess.set_config_variable("region", region)
        chosen = sess.get_config_variable("region")
        if chosen:
            validate_region_name(chosen)
    except BotoCoreError as exc:
        raise aws.setup_error(exc) from None
    if not chosen:
        raise aws.setup_error(exceptions.NoRegionError())
    return sess


def region_of(sess: Session) -> str | None:
    region = sess.get_config_variable("region")
    return str(region) if region else None


def _check_response(endpoint: str) -> Any:
    """A ``before-parse`` handler: a 2xx body that is no AWS answer is
    :class:`ecr.aws.NotAwsResponse`.

    Without it botocore takes an HTML page for an empty JSON answer (``status`` would
    report an empty registry), or fails inside its parser with ``KeyError`` or
    ``UnicodeDecodeError``.  Error statuses are left to botocore, which reads non-AWS
    error pages as errors already.
    """

    def check(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        status = int(response_dict.get("status_code") or 0)
        body = response_dict.get("body")
        if not 200 <= status < 300 or not isinstance(body, bytes) or not body:
            return
        protocol = operation_model.service_model.protocol
        head = body[:512].lstrip()
        if protocol in ("json", "rest-json"):
            # the json protocol answers an object, always; rest-json may answer a list
            ok = head.startswith(b"{" if protocol == "json" else (b"{", b"["))
            if ok:
                try:
                    body.decode("utf-8")
                except UnicodeDecodeError:
                    ok = False
        elif protocol in ("query", "ec2"):
            ok = f"<{operation_model.name}Response".encode() in head
        else:
            return
        if not ok:
            headers = response_dict.get("headers") or {}
            kind = str(headers.get("content-type") or headers.get("Content-Type") or "")
            raise aws.NotAwsResponse(endpoint=endpoint, operation=operation_model.name,
                                 status=status, content=f"({kind or 'no content type'})")

    return check


def _give_up_when_unreachable(attempts: int, caught_exception: BaseException | None = None,
                              **_: Any) -> bool | None:
    """A ``needs-retry`` handler, first in line: False (no more attempts) once a connection
    failed ``aws.SETTINGS.connect_attempts`` times (botocore's retry mode would give it every
    retry of ``max_retries``); None leaves the decision to botocore."""
    # ConnectTimeoutError is no EndpointConnectionError in botocore's class tree: both named
    unreachable = (exceptions.EndpointConnectionError, exceptions.ConnectTimeoutError)
    if isinstance(caught_exception, unreachable) and attempts >= aws.SETTINGS.connect_attempts:
        return False
    return None


def client(sess: Session, service: str) -> Any:
    """A client with :data:`ecr.aws.SETTINGS` that rejects non-AWS answers and gives up on
    an endpoint it cannot connect to after ``SETTINGS.connect_attempts``; ``AWS_ENDPOINT_URL``
    is honoured by botocore.  Creating it resolves the credentials, so a failing
    ``credential_process`` or profile chain raises here (one of :data:`ecr.aws.ERRORS`)."""
    try:
        made = sess.create_client(service, config=config(aws.SETTINGS))
    except BotoCoreError:
        raise
    except ValueError as exc:  # botocore's URL parsing: AWS_ENDPOINT_URL=http://[x
        settings = endpoint_settings() or "endpoint_url in the AWS config file"
        raise aws.AwsSetupError(f"the AWS endpoint URL is not valid ({exc}; from {settings})",
                            "fix or unset it") from None
    made.meta.events.register_first("before-parse", _check_response(made.meta.endpoint_url))
    # on the service's own event name: botocore's retry handler sits there, and the more
    # specific name is asked first
    service_id = made.meta.service_model.service_id.hyphenize()
    handler: Any = _give_up_when_unreachable  # its stubs want handlers to return None
    made.meta.events.register_first(f"needs-retry.{service_id}", handler)
    return made


def assume_role_session(base: Session, role_arn: str, session_name: str = "infra-ecr") -> Session:
    """A session in another account (the consuming cluster's), from ``role_arn``."""
    creds = client(base, "sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name)[
        "Credentials"
    ]
    assumed = _new_session()
    assumed.set_credentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                            creds["SessionToken"])
    region = region_of(base)
    if region:
        assumed.set_config_variable("region", region)
    return assumed
