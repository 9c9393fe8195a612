"""Walking rendered manifests for every container image (pure)."""

from __future__ import annotations

import pytest

from ecr.images.workload import (
    ManifestError,
    from_manifests,
    from_object,
    from_text,
    unique_images,
)

STREAM = """
apiVersion: v1
kind: Pod
metadata: {name: debug, namespace: ops}
spec:
  containers: [{name: shell, image: busybox:1.36}]
  ephemeralContainers: [{name: dbg, image: "nicolaka/netshoot:v0.13"}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  template:
    spec:
      initContainers: [{name: setup, image: "quay.io/prometheus/busybox:latest"}]
      containers: [{name: agent, image: " ghcr.io/org/agent:1 "}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: backup}
spec:
  schedule: "@daily"
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: dump, image: "postgres:16"}]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: smoke
  annotations: {helm.sh/hook: test}
spec:
  template:
    spec:
      containers: [{name: curl, image: "curlimages/curl:8.10.1"}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {image: "not-a-container:1"}
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: canary}
spec:
  template:
    spec:
      containers: [{name: app, image: "registry.k8s.io/pause:3.10"}]
---
apiVersion: v1
kind: List
items:
  - apiVersion: apps/v1
    kind: ReplicaSet
    metadata: {name: rs}
    spec: {template: {spec: {containers: [{name: c, image: "nginx"}]}}}
"""


def test_every_container_kind_and_workload_shape():
    found = from_text(STREAM, "all.yaml")
    rows = [(f.workload, f.container, f.container_type, f.image) for f in found]
    assert rows == [
        ("Pod/debug", "shell", "containers", "busybox:1.36"),
        ("Pod/debug", "dbg", "ephemeralContainers", "nicolaka/netshoot:v0.13"),
        ("DaemonSet/agent", "setup", "initContainers", "quay.io/prometheus/busybox:latest"),
        ("DaemonSet/agent", "agent", "containers", "ghcr.io/org/agent:1"),
        ("CronJob/backup", "dump", "containers", "postgres:16"),
        ("Job/smoke", "curl", "containers", "curlimages/curl:8.10.1"),
        ("Rollout/canary", "app", "containers", "registry.k8s.io/pause:3.10"),
        ("ReplicaSet/rs", "c", "containers", "nginx"),
    ]
    assert found[0].namespace == "ops"
    assert found[5].hook == "test"
    assert all(f.template == "all.yaml" for f in found)


def test_manifests_by_template_and_unique_images():
    manifests = {
        "a.yaml": "kind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: x, image: nginx}]}",
        "b.yaml": "kind: Pod\nmetadata: {name: b}\nspec: {containers: [{name: y, image: nginx}]}",
        "empty.yaml": "# nothing rendered\n",
    }
    found = from_manifests(manifests)
    assert [f.template for f in found] == ["a.yaml", "b.yaml"]
    assert unique_images(found) == ["nginx"]


def test_invalid_rendered_yaml_names_the_template():
    with pytest.raises(ManifestError, match=r"broken\.yaml"):
        from_manifests({"broken.yaml": "kind: Pod\n  spec: [\n"})


OPERATOR = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: op}
spec:
  template:
    spec:
      containers:
        - name: op
          image: quay.io/acme/op:1.0
          args: ["--reloader=quay.io/acme/reloader:v1", "--port=8080", --exec-image, "a/b:1"]
          env:
            - {name: IMAGES, value: "a=docker.io/x/a:1\\nb=ghcr.io/y/b:2"}
            - {name: FROM_SECRET, valueFrom: {secretKeyRef: {name: s, key: k}}}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata: {name: prom}
spec:
  image: quay.io/prometheus/prometheus:v3.0.1
  thanos: {baseImage: quay.io/thanos/thanos:v0.37.2, version: v0.37.2}
  containers: [{name: sidecar, image: quay.io/acme/sidecar:1}]  # merged by the operator
"""


def test_embedded_words_come_after_the_containers_and_only_when_asked():
    plain = from_manifests({"t.yaml": OPERATOR})
    assert [(w.container_type, w.image) for w in plain] == [("containers", "quay.io/acme/op:1.0")]
    words = from_manifests({"t.yaml": OPERATOR}, embedded=True)
    assert words[0] == plain[0]
    got = [(w.kind, w.container_type, w.container, w.image) for w in words[1:]]
    assert got == [
        ("Deployment", "args", "op args(--reloader)#0", "--reloader"),
        ("Deployment", "args", "op args(--reloader)#1", "quay.io/acme/reloader:v1"),
        ("Deployment", "args", "op args(--port)#0", "--port"),
        ("Deployment", "args", "op args(--port)#1", "8080"),
        ("Deployment", "args", "op args[2]#0", "--exec-image"),
        ("Deployment", "args", "op args(--exec-image)#0", "a/b:1"),
        ("Deployment", "env", "op env.IMAGES#0", "a"),
        ("Deployment", "env", "op env.IMAGES#1", "docker.io/x/a:1"),
        ("Deployment", "env", "op env.IMAGES#2", "b"),
        ("Deployment", "env", "op env.IMAGES#3", "ghcr.io/y/b:2"),
        ("Prometheus", "resource", "spec.image", "quay.io/prometheus/prometheus:v3.0.1"),
        ("Prometheus", "resource", "spec.thanos.baseImage", "quay.io/thanos/thanos:v0.37.2"),
        ("Prometheus", "resource", "spec.containers[0].image", "quay.io/acme/sidecar:1"),
    ]


def test_a_crd_schema_is_not_read_for_images():
    crd = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
spec:
  versions:
    - name: v1
      schema: {openAPIV3Schema: {properties: {image: {type: string}, baseImage: "quay.io/x/y:1"}}}
"""
    assert from_manifests({"crd.yaml": crd}, embedded=True) == []


def test_config_map_image_lines():
    config = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data:
  jcasc.yaml: |
    containers:
      - image: "jenkins/inbound-agent:3273"
        imagePullPolicy: Always
  config.toml: |
    image = "ubuntu:22.04"
    helper_image = 'gitlab/gitlab-runner-helper:x86_64-v17.6.0'
  values.json: '{"defaultImage": "busybox:1.37", "hub": "docker.io/istio"}'
"""
    got = [(w.container_type, w.container, w.image)
           for w in from_manifests({"cm.yaml": config}, embedded=True)]
    assert got == [
        ("config", "data.jcasc.yaml(image)#0", "jenkins/inbound-agent:3273"),
        ("config", "data.config.toml(image)#0", "ubuntu:22.04"),
        ("config", "data.config.toml(helper_image)#1",
         "gitlab/gitlab-runner-helper:x86_64-v17.6.0"),
        ("config", "data.values.json(defaultImage)#0", "busybox:1.37"),
    ]


def test_config_map_scan_stays_linear():
    """A key-like run such as ``a-a-a-...`` once cost a scan of the rest per word."""
    import time

    text = "a-" * 20000 + "\nimage: busybox:1.37\n"
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
              "data": {"big": text}}
    started = time.perf_counter()
    found = list(from_object(config, words=True))
    assert time.perf_counter() - started < 1.0
    assert [w.image for w in found] == ["busybox:1.37"]


def test_config_map_keys_that_name_an_image():
    """postgres-operator's ``docker_image`` key, rook's ``ROOK_CSI_CEPH_IMAGE`` and an
    env-file line ``CSI_REGISTRAR_IMAGE=...``: the key says image, the value is it."""
    config = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {
        "docker_image": "ghcr.io/zalando/spilo-17:4.0-p2",
        "ROOK_CSI_CEPH_IMAGE": " quay.io/cephcsi/cephcsi:v3.12.3\n",
        "ROOK_CSI_IMAGE_PULL_POLICY": "IfNotPresent",
        "csi.env": "CSI_REGISTRAR_IMAGE=registry.k8s.io/sig-storage/registrar:v2.12.0\n",
        "imageNote": "two words",
    }}
    found = [(w.container, w.image, w.container_type)
             for w in from_object(config, words=True)]
    assert found == [
        ("data.docker_image", "ghcr.io/zalando/spilo-17:4.0-p2", "config"),
        ("data.ROOK_CSI_CEPH_IMAGE", "quay.io/cephcsi/cephcsi:v3.12.3", "config"),
        ("data.ROOK_CSI_IMAGE_PULL_POLICY", "IfNotPresent", "config"),
        ("data.csi.env(CSI_REGISTRAR_IMAGE)#0",
         "registry.k8s.io/sig-storage/registrar:v2.12.0", "config"),
    ]
