"""doctor's repository-name checks (QA findings) on the mistakes docs/operations.md names."""

from __future__ import annotations

from ecr.aws import checks as ops_checks
from tests.aws.conftest import moto_clients, plain_ecr

CACHES = ["docker-hub", "quay"]


def test_host_kept_under_a_cache_prefix_is_flagged(aws_env: object) -> None:
    # docs/operations.md (doctor): "paths that kept the upstream host (docker-hub/docker.io/...)"
    ecr = plain_ecr()
    for name in ("docker-hub/docker.io/bitnami/redis", "quay/quay.io/org/app",
                 "docker-hub/bitnami/wordpress", "custom-apps"):
        ecr.create_repository(repositoryName=name)
    checks = {c.name: c for c in ops_checks.check_repository_names(moto_clients().ecr, CACHES)}
    kept = checks["upstream host in path"]
    assert kept.status == "warn"
    assert "docker-hub/docker.io/bitnami/redis" in kept.detail
    assert "quay/quay.io/org/app" in kept.detail
    assert "docker-hub/bitnami/wordpress" not in kept.detail
    assert "scripts/convert-image-url.sh" in str(kept.fix)


def test_clean_names_raise_no_host_warning(aws_env: object) -> None:
    ecr = plain_ecr()
    for name in ("docker-hub/library/nginx", "quay/jetstack/cert-manager-controller"):
        ecr.create_repository(repositoryName=name)
    checks = {c.name for c in ops_checks.check_repository_names(moto_clients().ecr, CACHES)}
    assert "upstream host in path" not in checks
