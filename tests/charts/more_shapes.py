# ruff: noqa: E501, UP031  (chart templates keep their real one-line shapes; Go templates are full of braces)
"""Synthetic charts (our own files) for whole widely deployed charts, beyond the
single mechanisms of :mod:`tests.charts.real_shapes`, :mod:`tests.charts.operator_shapes`
and :mod:`tests.charts.family_shapes`: kube-prometheus-stack with its hyphenated
subcharts behind conditions, cert-manager's registry + namespace + name split with the
ACME solver passed as an arg, and a Bitnami redis with sentinel, metrics and
volume-permissions images.

Each function names the chart whose *mechanism* it reproduces; none copies a chart's
files.
"""

from __future__ import annotations

from pathlib import Path

from tests.charts.charts import write
from tests.charts.real_shapes import _c, _pod
from tests.charts.shapes import DIGEST


def kube_prometheus_stack_whole(root: Path) -> Path:
    """kube-prometheus-stack: the parent's empty ``global.imageRegistry`` over every
    ``registry``; the operator's ``--prometheus-config-reloader=`` arg with its own
    ``sha``; the admission webhook patch Job (a hook) on registry.k8s.io; and three
    subcharts behind ``condition``s, two with hyphenated names (values reached with
    ``index``), each with its own helper: grafana's ``sha``, kube-state-metrics'
    ``printf`` with a ``v``+appVersion default tag, node-exporter's ``digest``."""
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: kube-prometheus-stack
            version: 66.2.1
            appVersion: v0.78.2
            dependencies:
              - name: grafana
                version: 8.x.x
                condition: grafana.enabled
              - name: kube-state-metrics
                version: 5.x.x
                condition: kubeStateMetrics.enabled
              - name: prometheus-node-exporter
                version: 4.x.x
                condition: nodeExporter.enabled
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
              imagePullSecrets: []
            grafana:
              enabled: true
              adminPassword: prom-operator
            kubeStateMetrics:
              enabled: true
            kube-state-metrics:
              prometheus:
                monitor:
                  enabled: true
            nodeExporter:
              enabled: true
            prometheus-node-exporter:
              hostNetwork: true
            prometheusOperator:
              image:
                registry: quay.io
                repository: prometheus-operator/prometheus-operator
                tag: ""
                sha: ""
              prometheusConfigReloader:
                image:
                  registry: quay.io
                  repository: prometheus-operator/prometheus-config-reloader
                  tag: ""
                  sha: ""
              admissionWebhooks:
                patch:
                  enabled: true
                  image:
                    registry: registry.k8s.io
                    repository: ingress-nginx/kube-webhook-certgen
                    tag: v20221220-controller-v1.5.1-58-g787ea74b6
                    sha: ""
        """,
        "templates/operator.yaml": """
            {{- $r := .Values.global.imageRegistry | default .Values.prometheusOperator.image.registry -}}
            {{- $cr := .Values.global.imageRegistry | default .Values.prometheusOperator.prometheusConfigReloader.image.registry -}}
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-operator
            spec:
              template:
                spec:
                  containers:
                    - name: kube-prometheus-stack
                      {{- with .Values.prometheusOperator.image }}
                      image: "{{ $r }}/{{ .repository }}{{ if .sha }}@sha256:{{ .sha }}{{ else }}:{{ .tag | default $.Chart.AppVersion }}{{ end }}"
                      {{- end }}
                      args:
                        - --kubelet-service=kube-system/{{ .Release.Name }}-kubelet
                        {{- with .Values.prometheusOperator.prometheusConfigReloader.image }}
                        - --prometheus-config-reloader={{ $cr }}/{{ .repository }}{{ if .sha }}@sha256:{{ .sha }}{{ else }}:{{ .tag | default $.Chart.AppVersion }}{{ end }}
                        {{- end }}
        """,
        "templates/patch-job.yaml": """
            {{- if .Values.prometheusOperator.admissionWebhooks.patch.enabled }}
            {{- $r := .Values.global.imageRegistry | default .Values.prometheusOperator.admissionWebhooks.patch.image.registry -}}
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-admission-create
              annotations:
                "helm.sh/hook": pre-install,pre-upgrade
                "helm.sh/hook-delete-policy": before-hook-creation,hook-succeeded
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                    - name: create
                      {{- with .Values.prometheusOperator.admissionWebhooks.patch.image }}
                      image: {{ $r }}/{{ .repository }}:{{ .tag }}{{ if .sha }}@sha256:{{ .sha }}{{ end }}
                      {{- end }}
            {{- end }}
        """,
    })
    write(root / "charts" / "grafana", {
        "Chart.yaml": "apiVersion: v2\nname: grafana\nversion: 8.6.4\nappVersion: 11.3.1\n",
        "values.yaml": """
            global:
              imageRegistry: null
            image:
              registry: docker.io
              repository: grafana/grafana
              tag: ""
              sha: ""
            initChownData:
              enabled: true
              image:
                registry: docker.io
                repository: library/busybox
                tag: "1.31.1"
                sha: ""
            sidecar:
              image:
                registry: quay.io
                repository: kiwigrid/k8s-sidecar
                tag: 1.28.0
                sha: ""
        """,
        "templates/_helpers.tpl": """
            {{- define "grafana.imageRegistry" -}}
            {{- if .root.Values.global.imageRegistry -}}{{ .root.Values.global.imageRegistry }}{{- else -}}{{ .imageRoot.registry }}{{- end -}}
            {{- end -}}
            {{- define "grafana.image" -}}
            {{- $reg := include "grafana.imageRegistry" . -}}
            {{- with .imageRoot -}}{{ $reg }}/{{ .repository }}{{ if .sha }}@sha256:{{ .sha }}{{ else }}:{{ .tag | default $.root.Chart.AppVersion }}{{ end }}{{- end -}}
            {{- end -}}
        """,
        "templates/deployment.yaml": _pod(
            "Deployment", "grafana",
            _c("grafana-sc-dashboard", '"{{ include "grafana.image" (dict "root" . "imageRoot" .Values.sidecar.image) }}"')
            + _c("grafana", '"{{ include "grafana.image" (dict "root" . "imageRoot" .Values.image) }}"'),
            _c("init-chown-data", '"{{ include "grafana.image" (dict "root" . "imageRoot" .Values.initChownData.image) }}"')),
    })
    write(root / "charts" / "kube-state-metrics", {
        "Chart.yaml": "apiVersion: v2\nname: kube-state-metrics\nversion: 5.27.0\nappVersion: 2.14.0\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: registry.k8s.io
              repository: kube-state-metrics/kube-state-metrics
              tag: ""
              sha: ""
        """,
        "templates/_helpers.tpl": """
            {{- define "kube-state-metrics.image" -}}
            {{- $tag := default (printf "v%s" .Chart.AppVersion) .Values.image.tag -}}
            {{- if .Values.image.sha -}}
            {{- if .Values.global.imageRegistry -}}
            {{- printf "%s/%s:%s@%s" .Values.global.imageRegistry .Values.image.repository $tag .Values.image.sha -}}
            {{- else -}}
            {{- printf "%s/%s:%s@%s" .Values.image.registry .Values.image.repository $tag .Values.image.sha -}}
            {{- end -}}
            {{- else -}}
            {{- if .Values.global.imageRegistry -}}
            {{- printf "%s/%s:%s" .Values.global.imageRegistry .Values.image.repository $tag -}}
            {{- else -}}
            {{- printf "%s/%s:%s" .Values.image.registry .Values.image.repository $tag -}}
            {{- end -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/deployment.yaml": _pod("Deployment", "kube-state-metrics", _c(
            "kube-state-metrics", '{{ include "kube-state-metrics.image" . }}')),
    })
    write(root / "charts" / "prometheus-node-exporter", {
        "Chart.yaml": "apiVersion: v2\nname: prometheus-node-exporter\nversion: 4.42.0\nappVersion: 1.8.2\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: quay.io
              repository: prometheus/node-exporter
              tag: ""
              digest: "sha256:%s"
            kubeRBACProxy:
              enabled: false
              image:
                registry: quay.io
                repository: brancz/kube-rbac-proxy
                tag: v0.18.1
                sha: ""
        """ % DIGEST,
        "templates/_helpers.tpl": """
            {{- define "prometheus-node-exporter.image" -}}
            {{- $reg := .Values.global.imageRegistry | default .Values.image.registry -}}
            {{- $tag := default (printf "v%s" .Chart.AppVersion) .Values.image.tag -}}
            {{- if .Values.image.sha -}}
            {{- fail "image.sha forbidden. Use image.digest instead" -}}
            {{- else if .Values.image.digest -}}
            {{- printf "%s/%s:%s@%s" $reg .Values.image.repository $tag .Values.image.digest -}}
            {{- else -}}
            {{- printf "%s/%s:%s" $reg .Values.image.repository $tag -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/daemonset.yaml": _pod("DaemonSet", "node-exporter", _c(
            "node-exporter", '{{ include "prometheus-node-exporter.image" . }}')),
    })
    return root


def cert_manager_namespace_and_name(root: Path) -> Path:
    """cert-manager (newer): chart-wide ``imageRegistry`` + ``imageNamespace`` and a
    per-image ``name``, unless the image's own ``repository`` (empty) is set; per-image
    ``registry`` (commented out) overriding; ``digest`` replacing the tag, which
    defaults to appVersion; the ACME solver image passed through the same helper as
    ``--acme-http01-solver-image=``; a ``values.schema.json`` that refuses unknown
    keys; the startupapicheck Job as a post-install hook."""
    helper = '{{ template "cm.image" (tuple .Values.%s $) }}'
    write(root, {
        "Chart.yaml": "apiVersion: v2\nname: cert-manager\nversion: v1.18.2\nappVersion: v1.18.2\n",
        "values.yaml": """
            imageRegistry: quay.io
            imageNamespace: jetstack
            image:
              # registry: quay.io
              repository: ""
              name: cert-manager-controller
              # tag: canary
              # digest: sha256:0e072dddd1f7f8fc8909a2ca6f65e76c5f0d2fcfb8be47935ae3457e8bbceb20
              pullPolicy: IfNotPresent
            webhook:
              image:
                repository: ""
                name: cert-manager-webhook
            acmesolver:
              image:
                repository: ""
                name: cert-manager-acmesolver
            startupapicheck:
              enabled: true
              image:
                repository: ""
                name: cert-manager-startupapicheck
        """,
        "values.schema.json": """
            {
              "$schema": "http://json-schema.org/schema#",
              "type": "object",
              "additionalProperties": false,
              "$defs": {
                "image": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "registry": {"type": "string"},
                    "repository": {"type": "string"},
                    "name": {"type": "string"},
                    "tag": {"type": "string"},
                    "digest": {"type": "string"},
                    "pullPolicy": {"type": "string"}
                  }
                },
                "component": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {"image": {"$ref": "#/$defs/image"}, "enabled": {"type": "boolean"}}
                }
              },
              "properties": {
                "global": {"type": "object"},
                "imageRegistry": {"type": "string"},
                "imageNamespace": {"type": "string"},
                "image": {"$ref": "#/$defs/image"},
                "webhook": {"$ref": "#/$defs/component"},
                "acmesolver": {"$ref": "#/$defs/component"},
                "startupapicheck": {"$ref": "#/$defs/component"}
              }
            }
        """,
        "templates/_helpers.tpl": """
            {{- define "cm.image" -}}
            {{- $image := index . 0 -}}
            {{- $root := index . 1 -}}
            {{- if $image.repository -}}
            {{- $image.repository -}}
            {{- else -}}
            {{- $name := required "image.name is required" $image.name -}}
            {{- $reg := default $root.Values.imageRegistry $image.registry -}}
            {{- printf "%s/%s/%s" $reg $root.Values.imageNamespace $name -}}
            {{- end -}}
            {{- if $image.digest -}}@{{ $image.digest }}{{- else -}}:{{ default $root.Chart.AppVersion $image.tag }}{{- end -}}
            {{- end -}}
        """,
        "templates/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-cert-manager
            spec:
              template:
                spec:
                  containers:
                    - name: cert-manager-controller
                      image: "%s"
                      args:
                        - --v=2
                        - --acme-http01-solver-image=%s
        """ % (helper % "image", helper % "acmesolver.image"),
        "templates/webhook.yaml": _pod("Deployment", "webhook", _c(
            "cert-manager-webhook", '"%s"' % (helper % "webhook.image"))),
        "templates/startupapicheck-job.yaml": """
            {{- if .Values.startupapicheck.enabled }}
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-startupapicheck
              annotations:
                helm.sh/hook: post-install
                helm.sh/hook-weight: "1"
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                    - name: cert-manager-startupapicheck
                      image: "%s"
                      args: ["check", "api", "--wait=1m"]
            {{- end }}
        """ % (helper % "startupapicheck.image"),
    })
    return root


_BITNAMI_HELPERS = """
{{- define "common.images.image" -}}
{{- $registryName := default .imageRoot.registry ((.global).imageRegistry) -}}
{{- $separator := ":" -}}
{{- $termination := .imageRoot.tag | toString -}}
{{- if not .imageRoot.tag -}}{{- if .chart -}}{{- $termination = .chart.AppVersion | toString -}}{{- end -}}{{- end -}}
{{- if .imageRoot.digest -}}{{- $separator = "@" -}}{{- $termination = .imageRoot.digest | toString -}}{{- end -}}
{{- if $registryName -}}{{- printf "%s/%s%s%s" $registryName .imageRoot.repository $separator $termination -}}
{{- else -}}{{- printf "%s%s%s" .imageRoot.repository $separator $termination -}}{{- end -}}
{{- end -}}
{{- define "common.errors.insecureImages" -}}
{{- $relocated := list -}}
{{- $globalRegistry := ((.context.Values.global).imageRegistry) -}}
{{- $originalImages := .context.Chart.Annotations.images -}}
{{- range .images -}}
{{- $registryName := default .registry $globalRegistry -}}
{{- $fullImageNameNoTag := printf "%s/%s" $registryName .repository -}}
{{- if not (contains $fullImageNameNoTag $originalImages) -}}
{{- $relocated = append $relocated $fullImageNameNoTag -}}
{{- end -}}
{{- end -}}
{{- if and $relocated (not (((.context.Values.global).security).allowInsecureImages)) -}}
{{- fail (printf "\\n\\nERROR: Original containers have been substituted for unrecognized ones.\\n\\nUnrecognized images:\\n  - %s\\n\\nIf you are sure you want to proceed with non-standard containers, you can skip container image verification by setting the global parameter 'global.security.allowInsecureImages' to true." (join "\\n  - " $relocated)) -}}
{{- end -}}
{{- end -}}
"""


def bitnami_subcharts_pair(root: Path) -> Path:
    """An application chart (gitlab, airflow, sentry style) over two Bitnami subcharts,
    postgresql and redis with sentinel: each ships the same ``common`` helpers (one
    template namespace), checks its images against its own ``Chart.yaml``
    ``images`` annotation unless ``global.security.allowInsecureImages``, and composes
    ``default registry global.imageRegistry``, a digest replacing the tag, the tag
    defaulting to appVersion; ``volumePermissions`` (os-shell), ``metrics`` and
    ``sentinel`` images; the parent overrides one subchart's tag and has its own
    image on ghcr.io."""
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: app
            version: 3.0.0
            appVersion: "3.0.0"
            dependencies:
              - name: postgresql
                version: 16.x.x
                condition: postgresql.enabled
              - name: redis
                version: 20.x.x
                condition: redis.enabled
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
              security:
                allowInsecureImages: false
            image:
              repository: ghcr.io/acme/app
              tag: ""
            postgresql:
              enabled: true
              image:
                tag: 17.2.0-debian-12-r5
              volumePermissions:
                enabled: true
            redis:
              enabled: true
              architecture: replication
              sentinel:
                enabled: true
              metrics:
                enabled: true
        """,
        "templates/app.yaml": _pod("Deployment", "app", _c(
            "app", '"{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"')),
    })
    write(root / "charts" / "postgresql", {
        "Chart.yaml": """
            apiVersion: v2
            name: postgresql
            version: 16.3.0
            appVersion: 17.2.0
            annotations:
              images: |
                - name: os-shell
                  image: docker.io/bitnami/os-shell:12-debian-12-r34
                - name: postgres-exporter
                  image: docker.io/bitnami/postgres-exporter:0.16.0-debian-12-r2
                - name: postgresql
                  image: docker.io/bitnami/postgresql:17.2.0-debian-12-r3
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
              security:
                allowInsecureImages: false
            image:
              registry: docker.io
              repository: bitnami/postgresql
              tag: 17.2.0-debian-12-r3
              digest: ""
            volumePermissions:
              enabled: false
              image:
                registry: docker.io
                repository: bitnami/os-shell
                tag: 12-debian-12-r34
                digest: ""
            metrics:
              enabled: false
              image:
                registry: docker.io
                repository: bitnami/postgres-exporter
                tag: 0.16.0-debian-12-r2
                digest: ""
        """,
        "templates/_helpers.tpl": _BITNAMI_HELPERS,
        "templates/primary.yaml": """
            {{- include "common.errors.insecureImages" (dict "images" (list .Values.image .Values.volumePermissions.image .Values.metrics.image) "context" $) }}
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: {{ .Release.Name }}-postgresql
            spec:
              template:
                spec:
                  {{- if .Values.volumePermissions.enabled }}
                  initContainers:
                    - name: init-chmod-data
                      image: {{ include "common.images.image" (dict "imageRoot" .Values.volumePermissions.image "global" .Values.global) }}
                  {{- end }}
                  containers:
                    - name: postgresql
                      image: {{ include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global "chart" .Chart) }}
                    {{- if .Values.metrics.enabled }}
                    - name: metrics
                      image: {{ include "common.images.image" (dict "imageRoot" .Values.metrics.image "global" .Values.global) }}
                    {{- end }}
        """,
    })
    write(root / "charts" / "redis", {
        "Chart.yaml": """
            apiVersion: v2
            name: redis
            version: 20.6.0
            appVersion: 7.4.1
            annotations:
              images: |
                - name: redis
                  image: docker.io/bitnami/redis:7.4.1-debian-12-r3
                - name: redis-exporter
                  image: docker.io/bitnami/redis-exporter:1.67.0-debian-12-r0
                - name: redis-sentinel
                  image: docker.io/bitnami/redis-sentinel:7.4.1-debian-12-r3
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
            architecture: standalone
            image:
              registry: docker.io
              repository: bitnami/redis
              tag: 7.4.1-debian-12-r3
              digest: ""
            sentinel:
              enabled: false
              image:
                registry: docker.io
                repository: bitnami/redis-sentinel
                tag: 7.4.1-debian-12-r3
                digest: ""
            metrics:
              enabled: false
              image:
                registry: docker.io
                repository: bitnami/redis-exporter
                tag: 1.67.0-debian-12-r0
                digest: "sha256:%s"
        """ % DIGEST,
        "templates/_helpers.tpl": _BITNAMI_HELPERS,
        "templates/node.yaml": """
            {{- include "common.errors.insecureImages" (dict "images" (list .Values.image .Values.sentinel.image .Values.metrics.image) "context" $) }}
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: {{ .Release.Name }}-redis-{{ ternary "node" "master" .Values.sentinel.enabled }}
            spec:
              template:
                spec:
                  containers:
                    - name: redis
                      image: {{ include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global "chart" .Chart) }}
                    {{- if .Values.sentinel.enabled }}
                    - name: sentinel
                      image: {{ include "common.images.image" (dict "imageRoot" .Values.sentinel.image "global" .Values.global "chart" .Chart) }}
                    {{- end }}
                    {{- if .Values.metrics.enabled }}
                    - name: metrics
                      image: {{ include "common.images.image" (dict "imageRoot" .Values.metrics.image "global" .Values.global) }}
                    {{- end }}
        """,
    })
    return root


def cert_manager_repository_with_host(root: Path) -> Path:
    """cert-manager v1.16: ``image.registry`` commented out (empty), ``repository``
    holding the host, ``digest`` (commented out) replacing the tag that defaults to
    appVersion; one helper taking ``(tuple image appVersion)`` for the controller, the
    webhook, the startupapicheck hook Job and the ``--acme-http01-solver-image=`` arg."""
    helper = '{{ template "image" (tuple .Values.%s $.Chart.AppVersion) }}'
    write(root, {
        "Chart.yaml": "apiVersion: v2\nname: cert-manager\nversion: v1.16.2\nappVersion: v1.16.2\n",
        "values.yaml": """
            image:
              # registry: quay.io
              repository: quay.io/jetstack/cert-manager-controller
              # tag: canary
              # digest: sha256:0e072dddd1f7f8fc8909a2ca6f65e76c5f0d2fcfb8be47935ae3457e8bbceb20
              pullPolicy: IfNotPresent
            webhook:
              image:
                repository: quay.io/jetstack/cert-manager-webhook
            acmesolver:
              image:
                repository: quay.io/jetstack/cert-manager-acmesolver
            startupapicheck:
              enabled: true
              image:
                repository: quay.io/jetstack/cert-manager-startupapicheck
        """,
        "templates/_helpers.tpl": """
            {{- define "image" -}}
            {{- $defaultTag := index . 1 -}}
            {{- with index . 0 -}}
            {{- if .registry -}}{{ printf "%s/%s" .registry .repository }}{{- else -}}{{- .repository -}}{{- end -}}
            {{- if .digest -}}{{ printf "@%s" .digest }}{{- else -}}{{ printf ":%s" (default $defaultTag .tag) }}{{- end -}}
            {{- end }}
            {{- end }}
        """,
        "templates/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-cert-manager
            spec:
              template:
                spec:
                  containers:
                    - name: cert-manager-controller
                      image: "%s"
                      args:
                        - --v=2
                        - --acme-http01-solver-image=%s
        """ % (helper % "image", helper % "acmesolver.image"),
        "templates/webhook.yaml": _pod("Deployment", "webhook", _c(
            "cert-manager-webhook", '"%s"' % (helper % "webhook.image"))),
        "templates/startupapicheck-job.yaml": """
            {{- if .Values.startupapicheck.enabled }}
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-startupapicheck
              annotations:
                helm.sh/hook: post-install
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                    - name: cert-manager-startupapicheck
                      image: "%s"
            {{- end }}
        """ % (helper % "startupapicheck.image"),
    })
    return root
