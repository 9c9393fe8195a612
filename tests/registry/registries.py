"""Real registries on loopback: Debian's ``docker-registry`` (distribution 2.8).

Two shapes, as in docs/facts.md: an open *upstream* (like anonymous Docker Hub) and
a *proxy* in pull-through mode in front of it with htpasswd auth (like ECR).  Used
by tests/registry/conftest.py and bench/verify.py.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

import bcrypt

from tests.netutil import free_port, wait_for_http


@dataclass
class Registry:
    name: str
    port: int
    root: Path
    proc: subprocess.Popen[bytes]

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_registry(
    exe: str,
    root: Path,
    name: str,
    users: dict[str, str] | None = None,
    remote_url: str | None = None,
    remote_user: tuple[str, str] | None = None,
) -> Registry:
    """Start ``docker-registry serve`` with a config written under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "error", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(root / "data")},
            "delete": {"enabled": True},
        },
        "http": {"addr": f"127.0.0.1:{port}", "secret": "test-only-secret"},
    }
    if users:
        htpasswd = root / "htpasswd"
        htpasswd.write_text(
            "".join(
                f"{user}:{bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"
                for user, pw in users.items()
            )
        )
        config["auth"] = {"htpasswd": {"realm": f"{name}-realm", "path": str(htpasswd)}}
    if remote_url:
        proxy: dict[str, str] = {"remoteurl": remote_url}
        if remote_user:
            proxy["username"], proxy["password"] = remote_user
        config["proxy"] = proxy
    config_path = root / "config.yml"
    config_path.write_text(json.dumps(config))  # JSON is YAML
    log = (root / "registry.log").open("wb")
    proc = subprocess.Popen([exe, "serve", str(config_path)], stdout=log, stderr=log)
    registry = Registry(name, port, root, proc)
    try:
        wait_for_http(f"{registry.url}/v2/")
    except OSError:
        registry.stop()
        raise
    return registry
