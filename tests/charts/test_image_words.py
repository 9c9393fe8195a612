"""Which words of args, env and custom resources convert treats as images."""

from __future__ import annotations

import pytest

from ecr.charts.provenance import image_word
from ecr.images.workload import WorkloadImage


def _word(text: str, field: str = "op args[0]#1") -> WorkloadImage:
    return WorkloadImage(text, "Deployment", "op", None, field, "args", "t.yaml")


@pytest.mark.parametrize(("text", "field"), [
    ("quay.io/prometheus-operator/prometheus-config-reloader:v0.79.2", "op args[1]#1"),
    ("localhost:5000/acme/x:1", "op env.X#0"),
    ("hashicorp/vault:1.18.1", "op env.AGENT_INJECT_VAULT_IMAGE#0"),
    ("busybox/x@sha256:" + "a" * 64, "op args(--helper-image)#1"),
    ("quay.io/prometheus/prometheus:v3.0.1", "spec.image"),
    ("nginx:1.27", "op env.RELATED_IMAGE_NGINX#0"),  # a field that says image
    ("alpine:3.20", "spec.kubernetesConfig.image"),
    ("quay.io/prometheus/prometheus", "op args(--prometheus-default-base-image)#1"),
])
def test_images(text, field):
    assert image_word(_word(text, field))


@pytest.mark.parametrize(("text", "field"), [
    ("kube-system/r-kubelet", "op args[0]#1"),  # no tag: a namespace/name
    ("default/r-webhook:443", "op args[0]#1"),  # no host, field says nothing of images
    ("0.0.0.0:8080", "op env.LISTEN_IMAGE#0"),  # host:port
    ("localhost:5000", "op args(--image-registry)#1"),
    ("http://svc:8080/x", "op env.IMAGE_URL#0"),  # not a reference
    ("quay.io/acme/app", "op env.UPSTREAM#0"),  # a repository, no tag, nothing says image
    ("prometheus/prometheus", "op args(--base-image)#1"),  # no tag and no host
    ("nginx:1.27", "op env.UPSTREAM#0"),  # no "/" and nothing says image
    ("backend:443", "op args(--upstream)#1"),
])
def test_not_images(text, field):
    assert not image_word(_word(text, field))
