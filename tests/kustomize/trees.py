"""Small Kustomize trees of our own (never copied from a public one), written to disk,
and what real kustomize (``kubectl kustomize``) makes of them, container by container."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from ecr.images.mapping import UnsupportedRegistry, to_cache
from ecr.images.reference import parse
from ecr.kustomize.render import find_kubectl

REG = "123456789012.dkr.ecr.af-south-1.amazonaws.com"
SHA = "sha256:5b161f051d017e55d358435f295f5e9a297e66158f136321d9b04520ec6c48a3"


def deployment(name: str, *containers: tuple[str, str], init: tuple[str, str] | None = None
               ) -> str:
    pod: dict[str, Any] = {"containers": [{"name": n, "image": i} for n, i in containers]}
    if init is not None:
        pod["initContainers"] = [{"name": init[0], "image": init[1]}]
    return yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}}, "spec": pod}},
    }, sort_keys=False)


def sidecar_component(container: str, image: str, target: str = "web") -> str:
    patch = yaml.safe_dump({
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": target},
        "spec": {"template": {"spec": {"containers": [{"name": container, "image": image}]}}},
    }, sort_keys=False)
    return yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1alpha1",
                           "kind": "Component", "patches": [{"patch": patch}]},
                          sort_keys=False)


# Base + overlays: every way an overlay changes what the base runs (issue 19 point 1).
OVERLAYS: dict[str, str] = {
    "base/deploy.yaml": deployment("web", ("nginx", "nginx:1.25"),
                                   ("agent", "quay.io/acme/agent:v3"),
                                   init=("setup", "busybox")),
    "base/cron.yaml": """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: report
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers:
          - name: report
            image: ghcr.io/acme/report:2.0   # no images: entry anywhere
          - name: distroless
            image: gcr.io/distroless/static:nonroot
""",
    "base/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- deploy.yaml
- cron.yaml
""",
    "overlays/prod/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
images:
- name: nginx
  newTag: "1.27"    # prod runs 1.27
- name: busybox
  newTag: "1.36"
""",
    "overlays/staging/kustomization.yaml": """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
- ../../base
namePrefix: staging-
images:
  - name: nginx
    newName: nginxinc/nginx-unprivileged
  - name: quay.io/acme/agent
    newTag: v4
""",
    "overlays/pinned/kustomization.yaml": f"""\
resources:
- ../../base
nameSuffix: -pinned
images: [{{name: nginx, digest: "{SHA}"}}]
""",
    "overlays/sidecar/kustomization.yaml": """\
resources:
- ../../base
components:
- ../../components/cache
nameSuffix: -sc
""",
    "components/cache/kustomization.yaml": sidecar_component("cache", "redis:7.2"),
}

# Two levels: a mid layer with its own images: under an overlay that changes it again.
LAYERED: dict[str, str] = {
    "app/base/pod.yaml": """\
apiVersion: v1
kind: Pod
metadata:
  name: tool
spec:
  containers:
  - name: tool
    image: docker.io/acme/tool:1.0
  - image: alpine:3.20
    name: helper
""",
    "app/base/kustomization.yaml": "resources:\n- pod.yaml\n",
    "app/mid/kustomization.yaml": (
        "resources:\n- ../base\nimages:\n- name: docker.io/acme/tool\n  newTag: '1.1'\n"
        "- name: alpine\n  newName: quay.io/acme/alpine\n"),
    "app/top/kustomization.yaml": (
        "resources:\n- ../mid\nnamespace: tools\nimages:\n"
        "- name: docker.io/acme/tool\n  newName: acme/tool-fips\n"),
}

# Two bases, an overlay of an overlay, a JSON patch that changes an image before the
# images: transformer renames it, and one image under two tags in one render.
MULTI: dict[str, str] = {
    "common/api.yaml": deployment("api", ("api", "ghcr.io/acme/api:1.0"),
                                  ("proxy", "nginx:1.25-alpine")),
    "common/worker.yaml": deployment("worker", ("worker", "ghcr.io/acme/api:0.9")),
    "common/kustomization.yaml": "resources: [api.yaml, worker.yaml]\n",
    "db/db.yaml": """\
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16"}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "docker.io/library/busybox:1.36"}]
""",
    "db/kustomization.yaml": "resources:\n- db.yaml\n",
    "env/dev/kustomization.yaml": (
        "resources:\n- ../../common\n- ../../db\nnamespace: dev\n"
        "images:\n- name: ghcr.io/acme/api\n  newTag: 1.1-dev\n"),
    "env/prod/kustomization.yaml": (
        "resources:\n- ../dev\nnamespace: prod\nnamePrefix: p-\n"
        "images:\n- name: ghcr.io/acme/api\n  newTag: '1.1'\n"
        "- name: postgres\n  newName: registry.k8s.io/e2e-test-images/postgres\n"),
    "env/qa/kustomization.yaml": """\
resources:
- ../../common
patches:
- target: {kind: Deployment, name: api}
  patch: |-
    - {op: replace, path: /spec/template/spec/containers/1/image, value: "nginx:1.26"}
images:
- name: nginx
  newName: docker.io/nginxinc/nginx-unprivileged
""",
}

FIXTURES = {"overlays": OVERLAYS, "layered": LAYERED, "multi": MULTI}


def write_tree(top: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = top / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return top


def kustomize(directory: Path) -> str:
    done = subprocess.run([find_kubectl(), "kustomize", str(directory)], capture_output=True,
                          text=True, check=True, timeout=120)
    return done.stdout


def running(directory: Path) -> dict[tuple[str, ...], str]:
    """(kind, namespace, name, list, container) -> image, from a real render."""
    found: dict[tuple[str, ...], str] = {}
    for doc in yaml.load_all(kustomize(directory), Loader=yaml.CSafeLoader):
        if not isinstance(doc, dict):
            continue
        spec = doc.get("spec", {})
        pods = [spec] if doc["kind"] == "Pod" else []
        pods.append(spec.get("template", {}).get("spec", {}))
        pods.append(spec.get("jobTemplate", {}).get("spec", {}).get("template", {})
                    .get("spec", {}))
        meta = doc["metadata"]
        for pod in pods:
            for field in ("initContainers", "containers"):
                for container in pod.get(field) or []:
                    key = (doc["kind"], meta.get("namespace", ""), meta["name"], field,
                           container["name"])
                    found[key] = container["image"]
    return found


def cache_form(image: str) -> str | None:
    """The cache reference of ``image`` (None when its host cannot be cached)."""
    try:
        return str(to_cache(image, REG).cache)
    except UnsupportedRegistry:
        return None


def same_image(a: str, b: str) -> bool:
    return parse(a) == parse(b)
