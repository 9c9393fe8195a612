# ruff: noqa: E501, UP031  (chart templates keep their real one-line shapes; Go templates are full of braces)
"""Synthetic charts (our own files) for image mechanisms beyond
:mod:`tests.charts.real_shapes`: operators that pass images to what they launch in
container ``args`` and ``env`` values, cilium's ``useDigest``/``override``, images
in value lists ranged over, and the many spellings of a registry host.

Each function names the charts whose *mechanism* it reproduces; none copies a
chart's files.
"""

from __future__ import annotations

from pathlib import Path

from tests.charts.charts import write
from tests.charts.real_shapes import _c, _pod
from tests.charts.shapes import DIGEST


def operator_args_images(root: Path) -> Path:
    """kube-prometheus-stack's operator: ``global.imageRegistry`` (empty) over
    per-image ``registry`` values; the config-reloader image (its own map) and a
    thanos image passed to the operator as container *args*, and a base image with
    no tag (the operator adds the version); the admission
    webhook's certgen job from registry.k8s.io; tags default to ``v``+appVersion."""
    image = '{{ $r := .Values.global.imageRegistry | default .Values.%s.registry }}{{ printf "%%s/%%s:%%s" $r .Values.%s.repository (.Values.%s.tag | default (printf "v%%s" .Chart.AppVersion)) }}'
    one = lambda path: image % ((path,) * 3)  # noqa: E731
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: promop\nversion: 66.3.0\nappVersion: 0.79.2\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            prometheusOperator:
              image:
                registry: quay.io
                repository: prometheus-operator/prometheus-operator
                tag: ""
              prometheusConfigReloader:
                image:
                  registry: quay.io
                  repository: prometheus-operator/prometheus-config-reloader
                  tag: ""
              thanosImage:
                registry: quay.io
                repository: thanos/thanos
                tag: v0.37.2
              prometheusDefaultBaseImageRegistry: quay.io
              prometheusDefaultBaseImage: prometheus/prometheus
              admissionWebhooks:
                patch:
                  image:
                    registry: registry.k8s.io
                    repository: ingress-nginx/kube-webhook-certgen
                    tag: v20221220-controller-v1.5.1-58-g787ea74b6
        """,
        "templates/operator.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-operator
            spec:
              template:
                spec:
                  containers:
                    - name: kube-prometheus-stack
                      image: "%s"
                      args:
                        - --kubelet-service=kube-system/{{ .Release.Name }}-kubelet
                        - --prometheus-config-reloader=%s
                        - --thanos-default-base-image=%s
                        - --prometheus-default-base-image={{ .Values.global.imageRegistry | default .Values.prometheusOperator.prometheusDefaultBaseImageRegistry }}/{{ .Values.prometheusOperator.prometheusDefaultBaseImage }}
        """ % (one("prometheusOperator.image"), one("prometheusOperator.prometheusConfigReloader.image"),
               one("prometheusOperator.thanosImage")),
        "templates/patch.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-admission-patch
              annotations:
                helm.sh/hook: post-install,post-upgrade
            spec:
              template:
                spec:
                  containers:
                    - name: patch
                      image: "%s"
        """ % one("prometheusOperator.admissionWebhooks.patch.image"),
    })


def operator_env_images(root: Path) -> Path:
    """strimzi / cnpg / vault: an operator whose Deployment names the images it will
    launch in ``env`` values.  strimzi's chart-wide ``defaultImageRegistry`` +
    ``defaultImageRepository`` + ``defaultImageTag`` feed both the operator
    container and the operand images in env (one of them a multi-line list);
    vault's ``injector.agentImage`` map feeds only an env value; cnpg's operand
    image is written in the template."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: operands\nversion: 0.45.0\nappVersion: 0.45.0\n",
        "values.yaml": """
            defaultImageRegistry: quay.io
            defaultImageRepository: strimzi
            defaultImageTag: 0.45.0
            image:
              registry: ""
              repository: ""
              name: operator
              tag: ""
            kafka:
              image:
                registry: ""
                repository: ""
                name: kafka
                tagPrefix: ""
            injector:
              image:
                repository: hashicorp/vault-k8s
                tag: 1.5.0
              agentImage:
                repository: hashicorp/vault
                tag: 1.18.1
        """,
        "templates/_helpers.tpl": """
            {{- define "s.image" -}}
            {{ default .root.Values.defaultImageRegistry .image.registry }}/{{ default .root.Values.defaultImageRepository .image.repository }}/{{ .image.name }}
            {{- end -}}
        """,
        "templates/operator.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-cluster-operator
            spec:
              template:
                spec:
                  containers:
                    - name: strimzi-cluster-operator
                      image: "{{ include "s.image" (dict "root" . "image" .Values.image) }}:{{ default .Values.defaultImageTag .Values.image.tag }}"
                      env:
                        - name: STRIMZI_KAFKA_IMAGES
                          value: |
                            3.8.0={{ include "s.image" (dict "root" . "image" .Values.kafka.image) }}:{{ .Values.defaultImageTag }}-kafka-3.8.0
                            3.9.0={{ include "s.image" (dict "root" . "image" .Values.kafka.image) }}:{{ .Values.defaultImageTag }}-kafka-3.9.0
                        - name: STRIMZI_DEFAULT_TLS_SIDECAR_ENTITY_OPERATOR_IMAGE
                          value: "{{ include "s.image" (dict "root" . "image" .Values.kafka.image) }}:{{ .Values.defaultImageTag }}-kafka-3.9.0"
                        - name: POSTGRES_IMAGE_NAME
                          value: ghcr.io/cloudnative-pg/postgresql:17.2
        """,
        "templates/injector.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-injector
            spec:
              template:
                spec:
                  containers:
                    - name: sidecar-injector
                      image: "{{ .Values.injector.image.repository }}:{{ .Values.injector.image.tag }}"
                      env:
                        - name: AGENT_INJECT_VAULT_IMAGE
                          value: "{{ .Values.injector.agentImage.repository }}:{{ .Values.injector.agentImage.tag }}"
        """,
    })


def registry_shared_with_arg_image(root: Path) -> Path:
    """One chart-wide ``imageRegistry: docker.io`` joined both to the operator's
    namespaced image and, in an arg, to an official image (``busybox``) the
    operator launches: a chart-wide ``<registry>/docker-hub`` would make the
    container right and the arg a broken reference (no ``library/``)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: sharedarg\nversion: 1.0.0\nappVersion: 2.3.0\n",
        "values.yaml": """
            imageRegistry: docker.io
            operator:
              repository: acme/operator
            helperImage:
              repository: busybox
              tag: "1.37"
        """,
        "templates/operator.yaml": _pod("Deployment", "operator", _c(
            "operator", '"{{ .Values.imageRegistry }}/{{ .Values.operator.repository }}:{{ .Chart.AppVersion }}"')
            + "\n                  args:\n                    - --helper-image={{ .Values.imageRegistry }}/{{ .Values.helperImage.repository }}:{{ .Values.helperImage.tag }}"
            + "\n                  env:\n                    - name: HELPER_IMAGE\n                      value: {{ .Values.imageRegistry }}/{{ .Values.helperImage.repository }}:{{ .Values.helperImage.tag }}"),
    })


def cilium_use_digest(root: Path) -> Path:
    """cilium: ``override`` replaces everything when set, else ``repository`` +
    ``suffix`` + ``:tag`` + ``@digest`` only when ``useDigest``; hubble-relay and
    the operator (``-generic`` suffix) the same way; envoy with ``useDigest: false``."""
    helper = '"{{ include "cilium.image" .Values.%s }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: cni\nversion: 1.16.4\nappVersion: 1.16.4\n",
        "values.yaml": """
            image:
              override: ~
              repository: quay.io/cilium/cilium
              tag: v1.16.4
              digest: sha256:%s
              useDigest: true
              pullPolicy: IfNotPresent
            operator:
              image:
                override: ~
                repository: quay.io/cilium/operator
                tag: v1.16.4
                suffix: ""
                genericDigest: sha256:%s
                useDigest: true
            hubble:
              relay:
                image:
                  override: ~
                  repository: quay.io/cilium/hubble-relay
                  tag: v1.16.4
                  digest: ""
                  useDigest: false
            envoy:
              image:
                override: ~
                repository: quay.io/cilium/cilium-envoy
                tag: v1.30.7-1731393961-9d9a8d8b0b2bf6f4c5d2cd2a6a47cfe9c8cb8e1a
                digest: sha256:%s
                useDigest: false
        """ % (DIGEST, DIGEST[::-1], DIGEST),
        "templates/_helpers.tpl": """
            {{- define "cilium.image" -}}
            {{- if .override -}}{{- .override -}}
            {{- else -}}
            {{- $digest := (.useDigest | default false) | ternary (printf "@%s" .digest) "" -}}
            {{- printf "%s:%s%s" .repository .tag $digest -}}
            {{- end -}}
            {{- end -}}
            {{- define "cilium.operator.image" -}}
            {{- if .override -}}{{- .override -}}
            {{- else -}}
            {{- $digest := (.useDigest | default false) | ternary (printf "@%s" .genericDigest) "" -}}
            {{- printf "%s-generic%s:%s%s" .repository .suffix .tag $digest -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/agent.yaml": _pod("DaemonSet", "cilium", _c("cilium-agent", helper % "image"),
            init=_c("mount-cgroup", helper % "image", 16)),
        "templates/operator.yaml": _pod("Deployment", "cilium-operator", _c(
            "cilium-operator", '"{{ include "cilium.operator.image" .Values.operator.image }}"')),
        "templates/relay.yaml": _pod("Deployment", "hubble-relay", _c("hubble-relay", helper % "hubble.relay.image")),
        "templates/envoy.yaml": _pod("DaemonSet", "cilium-envoy", _c("cilium-envoy", helper % "envoy.image")),
    })


def images_in_value_lists(root: Path) -> Path:
    """velero: plugin init containers given verbatim as a list of maps in values
    (``toYaml``); a list of plugins ranged over with ``image: {repository, tag}``
    maps; grafana-like ``extraInitContainers`` with a full ``docker.io/library/``
    image; a sidecar list whose items carry only ``image: name`` strings; a
    ``nameOverride`` whose text is also the image's (it names, never pulls)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: backups\nversion: 8.1.0\nappVersion: 1.15.0\n",
        "values.yaml": """
            nameOverride: velero
            fullnameOverride: ""
            image:
              repository: velero/velero
              tag: v1.15.0
            initContainers:
              - name: velero-plugin-for-aws
                image: velero/velero-plugin-for-aws:v1.11.0
                imagePullPolicy: IfNotPresent
                volumeMounts:
                  - mountPath: /target
                    name: plugins
              - name: velero-plugin-for-csi
                image: "docker.io/velero/velero-plugin-for-csi:v0.7.1"
                volumeMounts:
                  - mountPath: /target
                    name: plugins
            plugins:
              - name: gcp
                image:
                  repository: velero/velero-plugin-for-gcp
                  tag: v1.11.0
              - name: azure
                image:
                  repository: velero/velero-plugin-for-microsoft-azure
                  tag: v1.11.0
            extraInitContainers:
              - name: chown
                image: docker.io/library/busybox:1.37
                command: ["chown", "-R", "1000:1000", "/data"]
            sidecars:
              - name: shell
                image: alpine
        """,
        "templates/velero.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Values.fullnameOverride | default (printf "%s-%s" .Release.Name .Values.nameOverride) }}
            spec:
              template:
                spec:
                  initContainers:
                    {{- toYaml .Values.initContainers | nindent 8 }}
                    {{- range .Values.plugins }}
                    - name: plugin-{{ .name }}
                      image: "{{ .image.repository }}:{{ .image.tag }}"
                    {{- end }}
                    {{- with .Values.extraInitContainers }}
                    {{- toYaml . | nindent 8 }}
                    {{- end }}
                  containers:
                    - name: velero
                      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
                    {{- range .Values.sidecars }}
                    - name: {{ .name }}
                      image: {{ .image }}
                    {{- end }}
        """,
    })


def registry_host_spellings(root: Path) -> Path:
    """Every spelling of Docker Hub as a ``registry`` value (``docker.io``,
    ``index.docker.io``, ``registry-1.docker.io``, none), an explicit ``library/``
    repository, ``public.ecr.aws``, ``ghcr.io``; and hosts the cache cannot front
    (a port-bearing private registry with capitals, ``mcr.microsoft.com``,
    ``gcr.io``, the EKS add-on ECR in another account), which must stay as they are;
    pull-secret keys beside the images."""
    image = '"{{ with .Values.%s }}{{ if .registry }}{{ .registry }}/{{ end }}{{ .repository }}:{{ .tag }}{{ end }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: hosts\nversion: 1.0.0\n",
        "values.yaml": """
            imagePullSecrets:
              - name: regcred
            hub:
              registry: docker.io
              repository: grafana/grafana
              tag: 11.3.1
              pullSecrets: [regcred]
            index:
              registry: index.docker.io
              repository: library/nginx
              tag: "1.27"
            registry1:
              registry: registry-1.docker.io
              repository: bitnami/kubectl
              tag: "1.31"
            bare:
              registry: ""
              repository: redis
              tag: "7.4"
            ecrpublic:
              registry: public.ecr.aws
              repository: eks-distro/kubernetes/pause
              tag: v1.31.0-eks-1-31-latest
            github:
              registry: ghcr.io
              repository: dexidp/dex
              tag: v2.41.1
            private:
              registry: Registry.Example.com:5000
              repository: team/app
              tag: "2.0"
            microsoft:
              registry: mcr.microsoft.com
              repository: dotnet/runtime
              tag: "8.0"
            google:
              registry: gcr.io
              repository: distroless/static
              tag: nonroot
            eks:
              registry: 602401143452.dkr.ecr.us-west-2.amazonaws.com
              repository: amazon/aws-load-balancer-controller
              tag: v2.11.0
        """,
        "templates/all.yaml": _pod("Deployment", "all", "".join(
            _c(name, image % name) for name in (
                "hub", "index", "registry1", "bare", "ecrpublic", "github",
                "private", "microsoft", "google", "eks"))),
    })


def traefik_app_version_tag(root: Path) -> Path:
    """traefik / kube-state-metrics: ``image.registry`` + ``image.repository`` with
    the tag defaulting to an appVersion that already carries its ``v`` (traefik), or
    to ``v`` + appVersion with ``sha`` appended (kube-state-metrics, under
    ``global.imageRegistry``); a numeric tag YAML reads as a float."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: edge\nversion: 33.1.0\nappVersion: v3.2.1\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: docker.io
              repository: traefik
              tag: ""
            ksm:
              image:
                registry: registry.k8s.io
                repository: kube-state-metrics/kube-state-metrics
                tag: ""
                sha: "%s"
            pause:
              image:
                repository: registry.k8s.io/pause
                tag: 3.10
        """ % DIGEST,
        "templates/traefik.yaml": _pod("Deployment", "traefik", _c(
            "traefik", '"{{ printf "%s/%s:%s" .Values.image.registry .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}"')
            + _c("ksm", '"{{ .Values.global.imageRegistry | default .Values.ksm.image.registry }}/{{ .Values.ksm.image.repository }}:{{ .Values.ksm.image.tag | default (printf "v%s" "2.14.0") }}{{ if .Values.ksm.image.sha }}@sha256:{{ .Values.ksm.image.sha }}{{ end }}"')
            + _c("pause", '"{{ .Values.pause.image.repository }}:{{ .Values.pause.image.tag }}"')),
    })


def custom_resource_images(root: Path) -> Path:
    """kube-prometheus-stack's ``Prometheus`` and ``Alertmanager`` resources whose
    ``spec.image`` the operator runs (``global.imageRegistry`` over per-image
    registries, ``sha`` appended); a CloudNativePG ``Cluster`` whose ``imageName`` is a
    full reference in values; a redis-operator chart whose chart-wide ``registry``
    composes both its own namespaced image and the official ``redis`` in its
    resource (``library/`` must appear there, or the value must not change)."""
    image = '"{{ $r := .Values.global.imageRegistry | default .Values.%s.registry }}{{ $r }}/{{ .Values.%s.repository }}{{ if .Values.%s.sha }}@sha256:{{ .Values.%s.sha }}{{ else }}:{{ .Values.%s.tag }}{{ end }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: crs\nversion: 66.3.0\nappVersion: 0.79.2\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            operator:
              image:
                registry: quay.io
                repository: prometheus-operator/prometheus-operator
                tag: v0.79.2
                sha: ""
            prometheus:
              prometheusSpec:
                image:
                  registry: quay.io
                  repository: prometheus/prometheus
                  tag: v3.0.1
                  sha: ""
            alertmanager:
              alertmanagerSpec:
                image:
                  registry: quay.io
                  repository: prometheus/alertmanager
                  tag: v0.27.0
                  sha: "%s"
            cluster:
              imageName: ghcr.io/cloudnative-pg/postgresql:17.2
            registry: docker.io
            redisOperator:
              repository: ot-container-kit/redis-operator
              tag: v0.18.0
            redis:
              repository: redis
              tag: 7.4.1
        """ % DIGEST,
        "templates/operator.yaml": _pod("Deployment", "operator", _c("operator", image % (("operator.image",) * 5))),
        "templates/prometheus.yaml": """
            apiVersion: monitoring.coreos.com/v1
            kind: Prometheus
            metadata:
              name: {{ .Release.Name }}-prometheus
            spec:
              image: %s
              version: v3.0.1
            ---
            apiVersion: monitoring.coreos.com/v1
            kind: Alertmanager
            metadata:
              name: {{ .Release.Name }}-alertmanager
            spec:
              image: %s
            ---
            apiVersion: postgresql.cnpg.io/v1
            kind: Cluster
            metadata:
              name: {{ .Release.Name }}-db
            spec:
              instances: 3
              imageName: {{ .Values.cluster.imageName }}
        """ % (image % (("prometheus.prometheusSpec.image",) * 5), image % (("alertmanager.alertmanagerSpec.image",) * 5)),
        "templates/redis.yaml": _pod("Deployment", "redis-operator", _c(
            "redis-operator", '"{{ .Values.registry }}/{{ .Values.redisOperator.repository }}:{{ .Values.redisOperator.tag }}"')),
        "templates/redis-cr.yaml": """
            apiVersion: redis.redis.opstreelabs.in/v1beta2
            kind: Redis
            metadata:
              name: {{ .Release.Name }}-redis
            spec:
              kubernetesConfig:
                image: "{{ .Values.registry }}/{{ .Values.redis.repository }}:{{ .Values.redis.tag }}"
        """,
    })


def shared_registry_literal_operand(root: Path) -> Path:
    """A chart-wide ``imageRegistry: docker.io`` joined to the operator's image and, in
    its args, to an official image whose name is written in the template: no value
    change converts the operator without breaking the operand (``<registry>/docker-hub/
    busybox`` has no ``library/``), so the operator is left, with the reason."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: literalarg\nversion: 1.0.0\nappVersion: 2.3.0\n",
        "values.yaml": """
            imageRegistry: docker.io
            operator:
              repository: acme/operator
            sidecar:
              image: quay.io/acme/sidecar:1.0
        """,
        "templates/operator.yaml": _pod("Deployment", "operator", _c(
            "operator", '"{{ .Values.imageRegistry }}/{{ .Values.operator.repository }}:{{ .Chart.AppVersion }}"')
            + "\n                  args:\n                    - --helper-image={{ .Values.imageRegistry }}/busybox:1.37"
            + _c("sidecar", "{{ .Values.sidecar.image }}")),
    })


def empty_global_registry_operand(root: Path) -> Path:
    """Bitnami-like ``global.imageRegistry: ""`` that, when set, goes in front of every
    image, the operands named in ``env`` included (``RELATED_IMAGE_SHELL: busybox:1.37``
    with no host while it is empty): a chart-wide ``<registry>/docker-hub`` would break
    the official operand, so each container image is converted through its own values."""
    reg = '{{ with .Values.global.imageRegistry }}{{ . }}/{{ end }}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: emptyglobal\nversion: 1.0.0\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              repository: acme/operator
              tag: "1.0"
            worker:
              image:
                repository: acme/worker
                tag: "1.0"
        """,
        "templates/operator.yaml": _pod("Deployment", "operator", _c(
            "operator", f'"{reg}{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}"')
            + "\n                  env:\n                    - name: RELATED_IMAGE_SHELL\n"
            + f'                      value: "{reg}busybox:1.37"'
            + _c("worker", f'"{reg}{{{{ .Values.worker.image.repository }}}}:{{{{ .Values.worker.image.tag }}}}"')),
    })


def nested_subcharts(root: Path) -> Path:
    """An umbrella chart whose subchart (under an alias) has its own subchart (under
    another alias): the leaf's images are set at ``app.db.image``; a ``global.registry``
    the parent sets and both levels read; a registry value that holds the namespace
    (``docker.io/bitnami`` + ``nginx``), and one value written twice in an image
    (``minio`` + ``/`` + ``minio``)."""
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: umbrella
            version: 1.0.0
            dependencies:
              - name: mid
                version: 1.x.x
                alias: app
        """,
        "values.yaml": """
            global:
              registry: quay.io
            proxy:
              image:
                registry: docker.io/bitnami
                repository: nginx
                tag: "1.27"
            store:
              image:
                name: minio
                tag: RELEASE.2024-11-07T00-52-20Z
        """,
        "templates/proxy.yaml": _pod("Deployment", "proxy", _c(
            "proxy", '"{{ .Values.proxy.image.registry }}/{{ .Values.proxy.image.repository }}:{{ .Values.proxy.image.tag }}"')
            + _c("store", '"{{ .Values.store.image.name }}/{{ .Values.store.image.name }}:{{ .Values.store.image.tag }}"')),
    })
    write(root / "charts" / "mid", {
        "Chart.yaml": """
            apiVersion: v2
            name: mid
            version: 1.2.0
            dependencies:
              - name: leaf
                version: 2.x.x
                alias: db
        """,
        "values.yaml": """
            image:
              repository: acme/mid
              tag: "1.2"
        """,
        "templates/mid.yaml": _pod("Deployment", "mid", _c(
            "mid", '"{{ .Values.global.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })
    write(root / "charts" / "mid" / "charts" / "leaf", {
        "Chart.yaml": "apiVersion: v2\nname: leaf\nversion: 2.0.0\n",
        "values.yaml": """
            image:
              repository: postgres
              tag: "16.4"
            exporter:
              image: quay.io/prometheuscommunity/postgres-exporter:v0.16.0
        """,
        "templates/leaf.yaml": _pod("StatefulSet", "leaf", _c(
            "postgres", '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"')
            + _c("exporter", "{{ .Values.exporter.image }}")),
    })
    return root


def separate_flag_arg_images(root: Path) -> Path:
    """argo-workflows / tekton: the image an operator launches given as the arg *after*
    its flag (``--executor-image``, then the image), the tag from ``images.tag`` or
    appVersion; tekton's ``-shell-image`` with an official image pinned by digest and
    no host, so only the flag before it says it is an image."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: workflows\nversion: 0.45.0\nappVersion: v3.6.2\n",
        "values.yaml": """
            images:
              tag: ""
            controller:
              image:
                registry: quay.io
                repository: argoproj/workflow-controller
                tag: ""
            executor:
              image:
                registry: quay.io
                repository: argoproj/argoexec
                tag: ""
            tekton:
              shellImage: busybox@sha256:%s
        """ % DIGEST,
        "templates/controller.yaml": _pod("Deployment", "workflow-controller", _c(
            "controller", '"{{ .Values.controller.image.registry }}/{{ .Values.controller.image.repository }}:{{ .Values.controller.image.tag | default .Values.images.tag | default .Chart.AppVersion }}"')
            + """
                  args:
                    - --configmap
                    - {{ .Release.Name }}-workflow-controller-configmap
                    - --executor-image
                    - "{{ .Values.executor.image.registry }}/{{ .Values.executor.image.repository }}:{{ .Values.executor.image.tag | default .Values.images.tag | default .Chart.AppVersion }}"
                    - -shell-image
                    - {{ .Values.tekton.shellImage }}"""),
    })


def conditional_operand_args(root: Path) -> Path:
    """opentelemetry-operator: ``--collector-image`` from ``manager.collectorImage``,
    and before it ``--target-allocator-image`` / ``--auto-instrumentation-java-image``
    only when their (empty) ``repository`` is set: tracing sets empty values, which
    switches those args on, and must not lose the others; kube-rbac-proxy beside."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: otelop\nversion: 0.74.0\nappVersion: 0.114.0\n",
        "values.yaml": """
            manager:
              image:
                repository: ghcr.io/open-telemetry/opentelemetry-operator/opentelemetry-operator
                tag: ""
              collectorImage:
                repository: otel/opentelemetry-collector-k8s
                tag: 0.114.0
              targetAllocatorImage:
                repository: ""
                tag: ""
              autoInstrumentationImage:
                java:
                  repository: ""
                  tag: ""
            kubeRBACProxy:
              image:
                repository: quay.io/brancz/kube-rbac-proxy
                tag: v0.18.1
        """,
        "templates/operator.yaml": _pod("Deployment", "operator", _c(
            "manager", '"{{ .Values.manager.image.repository }}:{{ .Values.manager.image.tag | default .Chart.AppVersion }}"')
            + """
                  args:
                    - --metrics-addr=127.0.0.1:8080
                    {{- with .Values.manager.targetAllocatorImage }}{{ if .repository }}
                    - --target-allocator-image={{ .repository }}:{{ .tag | default $.Chart.AppVersion }}
                    {{- end }}{{ end }}
                    {{- with .Values.manager.autoInstrumentationImage.java }}{{ if .repository }}
                    - --auto-instrumentation-java-image={{ .repository }}:{{ .tag | default "2.10.0" }}
                    {{- end }}{{ end }}
                    - --collector-image={{ .Values.manager.collectorImage.repository }}:{{ .Values.manager.collectorImage.tag }}
                    - --enable-leader-election"""
            + _c("kube-rbac-proxy", '"{{ .Values.kubeRBACProxy.image.repository }}:{{ .Values.kubeRBACProxy.image.tag }}"')),
    })


def config_map_agent_images(root: Path) -> Path:
    """jenkins / gitlab-runner / airflow: images a controller launches, written in a
    ConfigMap's text: a JCasC pod template (``image: "{{ agent.image }}"``, the agent's
    own values), a runner's ``config.toml`` from a text value (``image = "ubuntu:22.04"``,
    left: inside text), and a chart-wide ``registry`` that composes both the controller's
    image and, in the ConfigMap, an official image (which must get ``library/``)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: ci\nversion: 5.7.0\nappVersion: 2.479.1\n",
        "values.yaml": """
            registry: docker.io
            controller:
              image:
                repository: jenkins/jenkins
                tag: 2.479.1-jdk17
            agent:
              image:
                repository: jenkins/inbound-agent
                tag: 3273.v4cfe589b_fd83-1
            helper:
              repository: alpine
              tag: "3.20"
            runners:
              config: |
                [[runners]]
                  [runners.kubernetes]
                    image = "ubuntu:22.04"
        """,
        "templates/controller.yaml": _pod("StatefulSet", "controller", _c(
            "jenkins", '"{{ .Values.registry }}/{{ .Values.controller.image.repository }}:{{ .Values.controller.image.tag }}"')),
        "templates/jcasc.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-jcasc
            data:
              jcasc.yaml: |-
                jenkins:
                  clouds:
                    - kubernetes:
                        templates:
                          - name: default
                            containers:
                              - name: jnlp
                                image: "{{ .Values.agent.image.repository }}:{{ .Values.agent.image.tag }}"
                              - name: helper
                                image: {{ .Values.registry }}/{{ .Values.helper.repository }}:{{ .Values.helper.tag }}
              config.toml: |
                {{- .Values.runners.config | nindent 4 }}
        """,
    })
