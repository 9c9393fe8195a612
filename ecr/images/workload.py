"""Every container image a set of rendered Kubernetes manifests would run.

Values files show only what someone overrode; the rendered manifests show what
will really run.  This walks them for pod specs wherever Kubernetes puts one
(a Pod; the ``spec.template`` of Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs and look-alike custom resources such as Argo Rollouts; a
CronJob's ``spec.jobTemplate``) and reports each container, init container and
ephemeral container with the workload that runs it.

Pure: text in, records out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from ecr import yaml_loader

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
HOOK_ANNOTATION = "helm.sh/hook"
# Words of a container's ``args`` and ``env`` values (``--flag=IMAGE``, ``3.9=IMAGE``),
# ``*image``/``imageName`` strings in a custom resource's ``spec`` (``Prometheus``, a
# CloudNativePG ``Cluster``) and ``image: X`` lines in a ConfigMap's text (a CI agent's
# pod template): operators name there the images they will launch.
EMBEDDED = ("args", "env", "resource", "config")
_WORD = re.compile(r"[^\s=,;\"']+")
_FLAG = re.compile(r"(-{1,2}[A-Za-z0-9][\w.-]*)=")
_ALONE = re.compile(r"(-{1,2}[A-Za-z0-9][\w.-]*)")
# the key's length is bounded: "a-a-a-..." must not cost a scan of the rest per "a"
_CONFIG_IMAGE = re.compile(
    r"""\b([\w.-]{0,60}?(?:[Ii]mage|IMAGE))["']?[ \t]*[:=][ \t]*["']?([^\s"',}\]]+)""")


class ManifestError(ValueError):
    """A rendered template that is not valid YAML."""


@dataclass(frozen=True)
class WorkloadImage:
    image: str
    kind: str  # Deployment, CronJob, Pod, ...
    name: str  # the workload's metadata.name
    namespace: str | None
    container: str
    container_type: str  # containers | initContainers | ephemeralContainers
    template: str  # the chart template that rendered it
    hook: str | None = None  # helm.sh/hook (e.g. "test"): runs only on that hook

    @property
    def workload(self) -> str:
        return f"{self.kind}/{self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "image": self.image,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "container": self.container,
            "container_type": self.container_type,
            "template": self.template,
            "hook": self.hook,
        }


def from_manifests(
    manifests: Mapping[str, str], *, embedded: bool = False
) -> list[WorkloadImage]:
    """Images of every rendered template (template path -> YAML stream).

    ``embedded``: also every word of each container's ``args`` and ``env`` values
    (``container_type`` ``args`` or ``env``, ``container`` ``<name> <field>#<word>``)
    each image string of a custom resource's spec (``resource``, ``spec.image``) and each
    ``image: X`` in a ConfigMap's text (``config``, ``data.KEY(image)#0``), after all
    the containers; the caller decides which words are images."""
    found: list[WorkloadImage] = []
    words: list[WorkloadImage] = []
    for template, text in manifests.items():
        for doc in _documents(text, template):
            found.extend(from_object(doc, template))
            if embedded:
                words.extend(from_object(doc, template, words=True))
    return found + words


def from_text(text: str, template: str = "-") -> list[WorkloadImage]:
    found: list[WorkloadImage] = []
    for doc in _documents(text, template):
        found.extend(from_object(doc, template))
    return found


def _documents(text: str, template: str) -> list[Mapping[str, Any]]:
    try:
        documents = yaml_loader.load_all(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{template}: rendered output is not valid YAML: {exc}") from exc
    return [doc for doc in documents if isinstance(doc, Mapping)]


def from_object(
    obj: Mapping[str, Any], template: str = "-", *, words: bool = False
) -> Iterator[WorkloadImage]:
    """Each container's image; ``words``: instead each word of its args and env values,
    each image a custom resource's spec names, each ``image: X`` of a ConfigMap's text."""
    kind = str(obj.get("kind") or "")
    if kind.endswith("List") and isinstance(obj.get("items"), list):
        for item in obj["items"]:
            if isinstance(item, Mapping):
                yield from from_object(item, template, words=words)
        return
    metadata = _map(obj.get("metadata"))
    name = str(metadata.get("name") or "")
    namespace = metadata.get("namespace")
    hook = _map(metadata.get("annotations")).get(HOOK_ANNOTATION)
    if words:
        found: list[tuple[str, str, str]] = []
        if kind == "ConfigMap":
            found = list(_config_images(_map(obj.get("data"))))
        elif kind not in _CORE and not any(True for _ in pod_specs(obj)):
            found = [(where, value, "resource")
                     for where, value in _resource_images(_map(obj.get("spec")), "spec")]
        for where, value, field_type in found:
            yield WorkloadImage(
                image=value, kind=kind or "?", name=name,
                namespace=str(namespace) if namespace else None,
                container=where, container_type=field_type, template=template,
                hook=str(hook) if hook else None,
            )
    for pod_spec in pod_specs(obj):
        for list_name in CONTAINER_LISTS:
            containers = pod_spec.get(list_name)
            if not isinstance(containers, list):
                continue
            for container in containers:
                if not isinstance(container, Mapping):
                    continue
                if words:
                    for field_type, where, word in _words(container):
                        yield WorkloadImage(
                            image=word, kind=kind or "?", name=name,
                            namespace=str(namespace) if namespace else None,
                            container=f"{container.get('name') or ''} {where}",
                            container_type=field_type, template=template,
                            hook=str(hook) if hook else None,
                        )
                    continue
                image = container.get("image")
                if not isinstance(image, str) or not image.strip():
                    continue
                yield WorkloadImage(
                    image=image.strip(),
                    kind=kind or "?",
                    name=name,
                    namespace=str(namespace) if namespace else None,
                    container=str(container.get("name") or ""),
                    container_type=list_name,
                    template=template,
                    hook=str(hook) if hook else None,
                )


# Kinds whose spec names no image an operator runs (a CRD's schema is large, too).
_CORE = {"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob",
         "ConfigMap", "Secret", "Service", "ServiceAccount", "CustomResourceDefinition",
         "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "Ingress",
         "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "NetworkPolicy",
         "PodDisruptionBudget", "PersistentVolumeClaim", "HorizontalPodAutoscaler"}


def _config_images(data: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(``data.KEY(image)#0``, value, ``config``) for each ``image: X`` / ``image = "X"`` /
    ``"agentImage": "X"`` / ``CSI_IMAGE=X`` in a ConfigMap's text (a CI agent's pod
    template, a runner's ``config.toml``), and (``data.KEY``, value, ``config``) for a key
    that names an image and holds one word (postgres-operator's ``docker_image``, rook's
    ``ROOK_CSI_CEPH_IMAGE``): images an operator or controller launches."""
    for key, text in data.items():
        if isinstance(text, str):
            word = text.strip()
            if "image" in str(key).lower() and word and not any(c.isspace() for c in word):
                # the key names the image: docker_image, ROOK_CSI_CEPH_IMAGE
                yield f"data.{key}", word, "config"
                continue
            for n, match in enumerate(_CONFIG_IMAGE.finditer(text)):
                yield f"data.{key}({match.group(1)})#{n}", match.group(2), "config"


def _resource_images(node: Any, where: str) -> Iterator[tuple[str, str]]:
    """(``spec.kafka.image``, value) for each string under a key that names an image."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f"{where}.{key}"
            lowered = str(key).lower()
            if isinstance(value, str) and (lowered.endswith("image") or lowered == "imagename"):
                yield path, value.strip()
            else:
                yield from _resource_images(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _resource_images(value, f"{where}[{index}]")


def _words(container: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(``args``|``env``, ``args[1]#0``|``env.NAME#2``, word) for every word; an arg
    ``--flag=...``, or one after a ``--flag`` alone, is named by that flag instead of
    its position (``args(--thanos-image)#1``)."""
    fields: list[tuple[str, str, Any]] = []
    for key in ("command", "args"):
        items = container.get(key)
        if isinstance(items, list):
            for i, arg in enumerate(items):
                flag = _FLAG.match(arg) if isinstance(arg, str) else None
                before = items[i - 1] if i else None  # ["--executor-image", IMAGE]
                if flag is None and isinstance(before, str) and _ALONE.fullmatch(before):
                    flag = _ALONE.fullmatch(before)
                # by flag, not position: an arg a value switches on must not move them
                where = f"{key}({flag.group(1)})" if flag else f"{key}[{i}]"
                fields.append(("args", where, arg))
    env = container.get("env")
    if isinstance(env, list):
        fields += [("env", f"env.{item.get('name')}", item.get("value"))
                   for item in env if isinstance(item, Mapping)]
    for field_type, where, value in fields:
        if isinstance(value, str):
            for n, match in enumerate(_WORD.finditer(value)):
                yield field_type, f"{where}#{n}", match.group(0)


def pod_specs(obj: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The pod spec(s) of a Kubernetes object, wherever its kind keeps them."""
    spec = _map(obj.get("spec"))
    if obj.get("kind") == "Pod":
        yield spec
        return
    template = _map(_map(spec.get("template")).get("spec"))
    if template:
        yield template
    job = _map(_map(spec.get("jobTemplate")).get("spec"))
    job_pod = _map(_map(job.get("template")).get("spec"))
    if job_pod:
        yield job_pod


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def unique_images(found: list[WorkloadImage]) -> list[str]:
    """Distinct image references in first-seen order."""
    seen: dict[str, None] = {}
    for item in found:
        seen.setdefault(item.image, None)
    return list(seen)
