"""``ecr convert --files``: exact bytes after --write, --check, the diff, the summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ecr.cli.main import main

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
SHA = "sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3"

ROCKETCHAT_BEFORE = """\
# Rocket.Chat values  (prod)
image:
  repository: registry.rocket.chat/rocketchat/rocket.chat   # no tag: appVersion
  pullPolicy: IfNotPresent

mongodb:
  enabled: true
  image:
    registry: "docker.io"
    repository: 'bitnami/mongodb'
    tag: 7.0.14
    digest: ""

  auth:
    rootPassword: "{{ .Values.secret }}"
"""

ROCKETCHAT_AFTER = f"""\
# Rocket.Chat values  (prod)
image:
  repository: {REG}/docker-hub/rocketchat/rocket.chat   # no tag: appVersion
  pullPolicy: IfNotPresent

mongodb:
  enabled: true
  image:
    registry: "{REG}/docker-hub"
    repository: 'bitnami/mongodb'
    tag: 7.0.14
    digest: ""

  auth:
    rootPassword: "{{{{ .Values.secret }}}}"
global:
  security:
    allowInsecureImages: true
"""

INGRESS_BEFORE = f"""\
controller:
    image:
        registry: registry.k8s.io
        image: ingress-nginx/controller
        tag: "v1.11.2"
        digest: {SHA}
    admissionWebhooks:
        patch:
            image: {{registry: registry.k8s.io, image: ingress-nginx/certgen, tag: v1.4.3}}
"""

INGRESS_AFTER = f"""\
controller:
    image:
        registry: {REG}/k8s
        image: ingress-nginx/controller
        tag: "v1.11.2"
        digest: {SHA}
    admissionWebhooks:
        patch:
            image: {{registry: {REG}/k8s, image: ingress-nginx/certgen, tag: v1.4.3}}
"""

MANIFEST_BEFORE = """\
---
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: busybox:1.36          # keep me
      containers:
      - name: app
        image: "ghcr.io/org/app:v2"
      - name: proxy
        image: mcr.microsoft.com/oss/envoy:v1
      - name: tmpl
        image: "{{ .Values.image }}"
...
---
apiVersion: v1
kind: Pod
spec:
  containers:
""" + f"  - image: 'quay.io/prometheus/node-exporter@{SHA}'\n"

MANIFEST_AFTER = f"""\
---
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
      - name: init
        image: {REG}/docker-hub/library/busybox:1.36          # keep me
      containers:
      - name: app
        image: "{REG}/github/org/app:v2"
      - name: proxy
        image: mcr.microsoft.com/oss/envoy:v1
      - name: tmpl
        image: "{{{{ .Values.image }}}}"
...
---
apiVersion: v1
kind: Pod
spec:
  containers:
  - image: '{REG}/quay/prometheus/node-exporter@{SHA}'
"""


@pytest.fixture(autouse=True)
def registry_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ECR_REGISTRY", REG)
    monkeypatch.delenv("ECR_IMAGE_ALIASES", raising=False)


def tree(tmp_path: Path) -> dict[str, Path]:
    files = {
        "rocketchat": tmp_path / "apps" / "rocketchat" / "values.yaml",
        "ingress": tmp_path / "apps" / "ingress" / "values.yml",
        "manifest": tmp_path / "apps" / "raw" / "deploy.yaml",
    }
    contents = {"rocketchat": ROCKETCHAT_BEFORE, "ingress": INGRESS_BEFORE,
                "manifest": MANIFEST_BEFORE}
    for name, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[name].encode())
    return files


def test_write_gives_exact_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = tree(tmp_path)
    code = main(["convert", "--files", str(tmp_path / "apps"), "--write",
                 "--alias", "registry.rocket.chat=docker.io", "--allow-insecure-images"])
    out = capsys.readouterr().out
    assert files["rocketchat"].read_bytes().decode() == ROCKETCHAT_AFTER
    assert files["ingress"].read_bytes().decode() == INGRESS_AFTER
    assert files["manifest"].read_bytes().decode() == MANIFEST_AFTER
    assert code == 3  # mcr.microsoft.com cannot be cached (a note); everything else converted
    assert "summary: 3 files, 3 written, 0 could not be read, parsed or written" in out
    assert (
        "7 images converted, 0 already in the registry, 2 skipped (1 templated, 1 unsupported)"
        in out
    )
    assert "mcr.microsoft.com cannot be cached" in out
    assert "global.security.allowInsecureImages: true" in out
    # idempotent: a second run changes nothing
    code = main(["convert", "--files", str(tmp_path / "apps"), "--check",
                 "--alias", "registry.rocket.chat=docker.io"])
    out = capsys.readouterr().out
    assert "3 files, 0 would change" in out
    assert "0 images converted, 7 already in the registry" in out
    assert code == 3  # still the uncacheable image: left with a note


def test_default_prints_a_diff_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tree(tmp_path)
    code = main(["convert", "--files", str(files["ingress"])])
    captured = capsys.readouterr()
    assert code == 0
    assert files["ingress"].read_text() == INGRESS_BEFORE
    name = str(files["ingress"])
    assert captured.out == (
        f"--- {name}\n+++ {name}\n@@ -1,9 +1,9 @@\n controller:\n     image:\n"
        f"-        registry: registry.k8s.io\n+        registry: {REG}/k8s\n"
        f"         image: ingress-nginx/controller\n"
        f"         tag: \"v1.11.2\"\n         digest: {SHA}\n     admissionWebhooks:\n"
        f"         patch:\n"
        "-            image: {registry: registry.k8s.io, image: ingress-nginx/certgen, "
        "tag: v1.4.3}\n"
        f"+            image: {{registry: {REG}/k8s, image: ingress-nginx/certgen, "
        "tag: v1.4.3}\n"
    )
    assert "summary: 1 files, 1 would change" in captured.err
    assert "nothing written: rerun with --write" in captured.err


def test_diff_applies_with_patch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import shutil
    import subprocess

    if shutil.which("patch") is None:
        pytest.skip("patch(1) not installed")
    files = tree(tmp_path)
    code = main(["convert", "--files", str(files["manifest"])])
    diff = capsys.readouterr().out
    assert code == 3  # the manifest's uncacheable image is left with a note
    subprocess.run(["patch", "-p0", "-s"], input=diff, text=True, check=True, cwd="/")
    assert files["manifest"].read_text() == MANIFEST_AFTER


def test_check_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = tree(tmp_path)
    assert main(["convert", "--files", str(files["ingress"]), "--check"]) == 1
    out = capsys.readouterr().out
    assert f"would change: {files['ingress']}" in out
    assert files["ingress"].read_text() == INGRESS_BEFORE
    assert main(["convert", "--files", str(files["ingress"]), "--write"]) == 0
    capsys.readouterr()
    assert main(["convert", "--files", str(files["ingress"]), "--check"]) == 0


def test_unparseable_file_is_reported_and_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = tree(tmp_path)
    bad = tmp_path / "apps" / "broken.yaml"
    bad_bytes = b"image:\n  repository: nginx\n   tag: [oops\n"
    bad.write_bytes(bad_bytes)
    latin = tmp_path / "apps" / "latin1.yaml"
    latin.write_bytes(b"image: caf\xe9\n")
    code = main(["convert", "--files", str(tmp_path / "apps"), "--write"])
    out = capsys.readouterr().out
    assert code == 2
    assert bad.read_bytes() == bad_bytes
    assert latin.read_bytes() == b"image: caf\xe9\n"
    assert f"{bad}" in out and "not valid YAML, left untouched" in out
    assert "not UTF-8" in out
    assert "5 files, 3 written, 2 could not be read, parsed or written" in out
    assert files["ingress"].read_text() == INGRESS_AFTER  # the others were still converted


def test_global_image_registry_is_cleared_and_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wordpress.yaml"
    # the quick-start's approach: global.imageRegistry pointed at the cache
    path.write_text(
        f"global:\n  imageRegistry: {REG}\n  security:\n    allowInsecureImages: false\n"
        "image:\n  registry: docker.io\n  repository: bitnami/wordpress\n  tag: latest\n"
    )
    code = main(["convert", "--files", str(path), "--write", "--allow-insecure-images"])
    out = capsys.readouterr().out
    assert code == 0
    assert path.read_text() == (
        'global:\n  imageRegistry: ""\n  security:\n    allowInsecureImages: true\n'
        f"image:\n  registry: {REG}/docker-hub\n  repository: bitnami/wordpress\n  tag: latest\n"
    )
    assert "global.imageRegistry" in out and "misses the cache prefix" in out


def test_global_image_registry_left_alone_without_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("global:\n  imageRegistry: docker.io\n")
    assert main(["convert", "--files", str(path), "--check"]) == 0
    out = capsys.readouterr().out
    assert "left alone. Do not point it at the cache" in out


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # no global: appended at the end of the document, before the next one
        ("image:\n  repository: bitnami/nginx\n---\nx: 1\n",
         f"image:\n  repository: {REG}/docker-hub/bitnami/nginx\nglobal:\n  security:\n"
         "    allowInsecureImages: true\n---\nx: 1\n"),
        # global without security, 4-space indent, no final newline
        ("global:\n    storageClass: gp3\nimage:\n    registry: docker.io\n"
         "    repository: bitnami/nginx",
         f"global:\n    storageClass: gp3\n    security:\n        allowInsecureImages: true\n"
         f"image:\n    registry: {REG}/docker-hub\n    repository: bitnami/nginx"),
        # security without the flag
        ("global:\n  security:\n    other: 1  # c\nimage: bitnami/nginx:1\n",
         "global:\n  security:\n    other: 1  # c\n    allowInsecureImages: true\n"
         f"image: {REG}/docker-hub/bitnami/nginx:1\n"),
        # already true: nothing to add
        ("global: {security: {allowInsecureImages: true}}\nimage: bitnami/nginx:1\n",
         "global: {security: {allowInsecureImages: true}}\n"
         f"image: {REG}/docker-hub/bitnami/nginx:1\n"),
        # CRLF stays CRLF
        ("image:\r\n  repository: bitnami/nginx\r\n",
         f"image:\r\n  repository: {REG}/docker-hub/bitnami/nginx\r\nglobal:\r\n"
         "  security:\r\n    allowInsecureImages: true\r\n"),
    ],
)
def test_allow_insecure_images_insertion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], before: str, after: str
) -> None:
    path = tmp_path / "v.yaml"
    path.write_bytes(before.encode())
    assert main(["convert", "--files", str(path), "--write", "--allow-insecure-images"]) == 0
    assert path.read_bytes().decode() == after
    capsys.readouterr()


def test_bitnami_without_flag_only_advises(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "v.yaml"
    path.write_text("image:\n  repository: bitnami/nginx\n")
    assert main(["convert", "--files", str(path), "--write"]) == 0
    out = capsys.readouterr().out
    assert path.read_text() == f"image:\n  repository: {REG}/docker-hub/bitnami/nginx\n"
    assert "rerun with --allow-insecure-images" in out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = tree(tmp_path)
    code = main(["convert", "--files", str(files["manifest"]), "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 3  # the manifest's uncacheable image is left with a note
    assert data["registry"] == REG
    [entry] = data["files"]
    assert entry["changed"] and not entry["written"]
    assert [c["to"] for c in entry["converted"]] == [
        f"{REG}/docker-hub/library/busybox:1.36", f"{REG}/github/org/app:v2",
        f"{REG}/quay/prometheus/node-exporter@{SHA}",
    ]
    assert {s["kind"] for s in entry["skipped"]} == {"unsupported", "templated"}
    assert entry["diff"].startswith("--- ")
    assert data["summary"]["images_converted"] == 3
    assert files["manifest"].read_text() == MANIFEST_BEFORE


def test_write_keeps_mode_and_follows_symlinks(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("image: nginx\n")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert main(["convert", "--files", str(link), "--write"]) == 0
    assert link.is_symlink()
    assert real.read_text() == f"image: {REG}/docker-hub/library/nginx\n"
    assert real.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.yaml", "real.yaml"]


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", "--files"]) == 2
    assert main(["convert", "--write", "nginx"]) == 2
    assert main(["convert", "--files", str(tmp_path / "nope")]) == 2
    assert main(["convert", "--alias", "nonsense", "nginx"]) == 2
    err = capsys.readouterr().err
    assert "--files needs at least one file" in err
    assert "go with --files" in err
    assert "no such file or directory" in err
    assert "must be HOST=HOST" in err


def test_istio_hub_and_cert_manager_prefixes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "v.yaml"
    path.write_text(
        "global:\n  hub: docker.io/istio   # istio images\n  tag: 1.23.2\n"
        "pilot:\n  image: pilot\n  hub: '{{ .Values.x }}'\n"
        "proxy:\n  image: gcr.io/istio-release/proxyv2:1.23.2\n"
        'imageRegistry: "quay.io"\nimageNamespace: jetstack\n'
        "image:\n  name: cert-manager-controller\n"
    )
    code = main(["convert", "--files", str(path), "--write"])
    out = capsys.readouterr().out
    assert code == 3  # gcr.io cannot be cached: left with a note
    assert path.read_text() == (
        f"global:\n  hub: {REG}/docker-hub/istio   # istio images\n  tag: 1.23.2\n"
        "pilot:\n  image: pilot\n  hub: '{{ .Values.x }}'\n"
        "proxy:\n  image: gcr.io/istio-release/proxyv2:1.23.2\n"
        f'imageRegistry: "{REG}"\nimageNamespace: quay/jetstack\n'
        "image:\n  name: cert-manager-controller\n"
    )
    assert "image name under hub docker.io/istio" in out
    assert "2 images converted, 0 already in the registry, 3 skipped " \
           "(1 templated, 1 under-hub, 1 unsupported)" in out
    assert main(["convert", "--files", str(path), "--check"]) == 3
    assert "0 images converted, 2 already in the registry" in capsys.readouterr().out
