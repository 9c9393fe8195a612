# ruff: noqa: E501, UP031  (chart templates keep their real one-line shapes; Go templates are full of braces)
"""Small synthetic charts, one per way real charts compose an image (our own files).

Each function writes a chart and returns its directory.  The shapes are those of
docs "Helm charts and the cache": a chart-wide registry joined to per-image names,
``null`` values the template fills in, Bitnami's ``global.imageRegistry``, istio's
``hub``, cert-manager's registry + namespace + name, bare-hex digests, images in
lists, images written in a template, hosts the cache cannot front, official images.
"""

from __future__ import annotations

from pathlib import Path

from tests.charts.charts import write

DIGEST = "4b2d1e3a9c8f7e6d5c4b3a29180716253443526170819a0b1c2d3e4f5a6b7c8d"


def _deployment(name: str, image_expr: str, container: str | None = None) -> str:
    return f"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{{{ .Release.Name }}}}-{name}
        spec:
          template:
            spec:
              containers:
                - name: {container or name}
                  image: {image_expr}
    """


def chart_wide_registry(root: Path) -> Path:
    """ingress-nginx style: ``global.image.registry`` + per-image ``image``; the
    per-image ``registry`` is only a comment; an optional digest."""
    image = '"{{ .Values.%s.image.registry | default .Values.global.image.registry }}/{{ .Values.%s.image.image }}:{{ .Values.%s.image.tag }}{{ with .Values.%s.image.digest }}@{{ . }}{{ end }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: ingress\nversion: 4.0.0\nappVersion: 1.12.0\n",
        "values.yaml": """
            global:
              image:
                registry: registry.k8s.io
            controller:
              image:
                # registry: registry.k8s.io
                image: team/controller
                tag: "v1.12.0"
                digest: ""
            webhook:
              image:
                # registry: registry.k8s.io
                image: team/certgen
                tag: v1.5.0
                digest: "sha256:%s"
        """ % DIGEST,
        "templates/controller.yaml": _deployment("controller", image % (("controller",) * 4)),
        "templates/webhook.yaml": _deployment("webhook", image % (("webhook",) * 4)),
    })


BITNAMI_HELPER = """
{{- define "app.image" -}}
{{- $registry := .image.registry -}}
{{- if .global.imageRegistry -}}{{- $registry = .global.imageRegistry -}}{{- end -}}
{{- printf "%s/%s:%s" $registry .image.repository .image.tag -}}
{{- end -}}
"""


def null_global_registry(root: Path) -> Path:
    """``global.imageRegistry: null`` (not the text "null") with a quay.io sidecar that
    goes through the same helper, and an official image that needs ``library/``."""
    use = '{{ include "app.image" (dict "image" .Values.%s "global" .Values.global) }}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: nullglobal\nversion: 1.0.0\n",
        "values.yaml": """
            global:
              imageRegistry: null
            image:
              registry: docker.io
              repository: bitnami/redis
              tag: "7.4"
            metrics:
              image:
                registry: quay.io
                repository: oliver006/redis_exporter
                tag: v1.66.0
            proxy:
              image:
                registry: docker.io
                repository: nginx
                tag: "1.27"
        """,
        "templates/_helpers.tpl": BITNAMI_HELPER,
        "templates/redis.yaml": """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: {{ .Release.Name }}-redis
            spec:
              template:
                spec:
                  containers:
                    - name: redis
                      image: %s
                    - name: metrics
                      image: %s
                    - name: proxy
                      image: %s
        """ % (use % "image", use % "metrics.image", use % "proxy.image"),
    })


def null_defaults(root: Path) -> Path:
    """``image.registry``/``image.repository`` null in values, filled by the template
    with ``default``; the tag from ``.Chart.AppVersion``."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: nulldefaults\nversion: 2.0.0\nappVersion: 3.3.1\n",
        "values.yaml": """
            image:
              repository: null
              tag: ""
            worker:
              image:
                registry: null
                repository: null
        """,
        "templates/app.yaml": _deployment(
            "app", '"{{ .Values.image.repository | default "docker.io/acme/app" }}:{{ .Values.image.tag | default .Chart.AppVersion }}"'),
        "templates/worker.yaml": _deployment(
            "worker", '"{{ .Values.worker.image.registry | default "quay.io" }}/{{ .Values.worker.image.repository | default "acme/worker" }}:{{ .Chart.AppVersion }}"'),
    })


def cert_manager_style(root: Path) -> Path:
    """``imageRegistry`` + ``imageNamespace`` + per-image ``image.name``."""
    image = '"{{ .Values.imageRegistry }}/{{ .Values.imageNamespace }}/{{ .Values.%s.image.name }}:{{ .Values.%s.image.tag | default (printf "v%%s" .Chart.AppVersion) }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: certs\nversion: 1.16.0\nappVersion: 1.16.2\n",
        "values.yaml": """
            imageRegistry: quay.io
            imageNamespace: jetstack
            controller:
              image:
                name: cert-manager-controller
                tag: ""
            webhook:
              image:
                name: cert-manager-webhook
                tag: ""
        """,
        "templates/controller.yaml": _deployment("controller", image % ("controller", "controller")),
        "templates/webhook.yaml": _deployment("webhook", image % ("webhook", "webhook")),
    })


def istio_hub(root: Path) -> Path:
    """istio: ``hub`` + ``tag`` chart-wide, the image name written in the template."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: mesh\nversion: 1.24.0\n",
        "values.yaml": """
            global:
              hub: docker.io/istio
              tag: 1.24.1
        """,
        "templates/pilot.yaml": _deployment("pilot", "{{ .Values.global.hub }}/pilot:{{ .Values.global.tag }}"),
        "templates/gateway.yaml": _deployment("gateway", "{{ .Values.global.hub }}/proxyv2:{{ .Values.global.tag }}"),
    })


def bare_digest(root: Path) -> Path:
    """grafana style: ``image.sha`` as bare hex, ``@sha256:`` written by the template;
    a Docker Hub and a quay.io image."""
    image = '"{{ .Values.%s.registry }}/{{ .Values.%s.repository }}{{ if .Values.%s.sha }}@sha256:{{ .Values.%s.sha }}{{ else }}:{{ .Values.%s.tag }}{{ end }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: dash\nversion: 8.0.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: grafana/grafana
              tag: 11.3.0
              sha: %s
            sidecar:
              registry: quay.io
              repository: kiwigrid/k8s-sidecar
              tag: 1.28.0
              sha: ""
        """ % DIGEST,
        "templates/dash.yaml": _deployment("dash", image % (("image",) * 5)),
        "templates/sidecar.yaml": _deployment("sidecar", image % (("sidecar",) * 5)),
    })


def lists_literal_uncacheable(root: Path) -> Path:
    """Plain ``image: repo:tag`` strings in an initContainers list; an image written
    in a template; hosts the cache cannot front (gcr.io, registry.rocket.chat); an
    RBAC file whose rendered output has a ``---# comment`` line."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: mixed\nversion: 1.0.0\nappVersion: 6.12.0\n",
        "values.yaml": """
            initContainers:
              - name: wait
                image: "busybox:1.36"
              - name: migrate
                image: ghcr.io/acme/migrate:2.0
            distroless:
              image: gcr.io/distroless/static:nonroot
            chat:
              repository: registry.rocket.chat/rocketchat/rocket.chat
              tag: ""
        """,
        "templates/app.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-app
            spec:
              template:
                spec:
                  initContainers:
                    {{- toYaml .Values.initContainers | nindent 20 }}
                  containers:
                    - name: chat
                      image: "{{ .Values.chat.repository }}:{{ .Values.chat.tag | default .Chart.AppVersion }}"
                    - name: static
                      image: {{ .Values.distroless.image }}
                    - name: exporter
                      image: quay.io/prometheus/statsd-exporter:v0.28.0
        """,
        "templates/rbac.yaml": """
            apiVersion: v1
            kind: ServiceAccount
            metadata:
              name: {{ .Release.Name }}
            ---# the role, as some charts write it
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata:
              name: {{ .Release.Name }}
            rules: []
        """,
    })


def transformed_values(root: Path) -> Path:
    """Templates that transform values: ``lower`` on the registry, ``trimPrefix "v"``
    on the tag, and a ``semverCompare`` on the tag that refuses marker text."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: transformed\nversion: 1.0.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: acme/server
              tag: v2.4.1
        """,
        "templates/server.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-server
              labels:
                modern: {{ semverCompare ">=2.0.0" .Values.image.tag | quote }}
            spec:
              template:
                spec:
                  containers:
                    - name: server
                      image: "{{ .Values.image.registry | lower }}/{{ .Values.image.repository }}:{{ .Values.image.tag | trimPrefix "v" }}"
        """,
    })


def branching_value(root: Path) -> Path:
    """A value whose text shows in an image but that also picks a branch
    (``imageFlavor: nginx`` decides whether the proxy container exists at all)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: branching\nversion: 1.0.0\n",
        "values.yaml": """
            imageFlavor: nginx
            proxy:
              image: nginx:1.27
            app:
              image: ghcr.io/acme/app:1.0
        """,
        "templates/app.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-app
            spec:
              template:
                spec:
                  containers:
                    - name: app
                      image: {{ .Values.app.image }}
                    {{- if eq .Values.imageFlavor "nginx" }}
                    - name: proxy
                      image: {{ .Values.proxy.image }}
                    {{- end }}
        """,
    })


def argo_cd_style(root: Path) -> Path:
    """argo-cd style: ``global.image.repository`` with a per-component ``repository: ""``
    that takes over when set, the tag from appVersion; redis from ECR Public; dex from
    ghcr.io."""
    image = '"{{ default .Values.global.image.repository .Values.%s.image.repository }}:{{ default .Chart.AppVersion .Values.%s.image.tag }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: cd\nversion: 7.7.0\nappVersion: v2.13.1\n",
        "values.yaml": """
            global:
              image:
                repository: quay.io/argoproj/argocd
                tag: ""
            server:
              image:
                repository: ""
                tag: ""
            repoServer:
              image:
                repository: ""
                tag: ""
            redis:
              image:
                repository: public.ecr.aws/docker/library/redis
                tag: 7.4.1-alpine
            dex:
              image:
                repository: ghcr.io/dexidp/dex
                tag: v2.41.1
        """,
        "templates/server.yaml": _deployment("server", image % ("server", "server")),
        "templates/repo.yaml": _deployment("repo-server", image % ("repoServer", "repoServer")),
        "templates/redis.yaml": _deployment("redis", '"{{ .Values.redis.image.repository }}:{{ .Values.redis.image.tag }}"'),
        "templates/dex.yaml": _deployment("dex", '"{{ .Values.dex.image.repository }}:{{ .Values.dex.image.tag }}"'),
    })


def prometheus_stack_style(root: Path) -> Path:
    """kube-prometheus-stack style: ``global.imageRegistry`` (empty) over per-image
    ``registry``, ``sha`` digests, and a grafana-like subchart (own values, the
    parent's global) whose init container is ``library/busybox``."""
    reg = '{{ $r := .Values.global.imageRegistry | default .Values.%s.registry }}'
    img = '"' + reg + '{{ $r }}/{{ .Values.%s.repository }}{{ if .Values.%s.sha }}@sha256:{{ .Values.%s.sha }}{{ else }}:{{ .Values.%s.tag }}{{ end }}"'
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: monitoring
            version: 66.0.0
            dependencies:
              - name: dashboards
                version: 8.x.x
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
            operator:
              image:
                registry: quay.io
                repository: prometheus-operator/prometheus-operator
                tag: v0.78.1
                sha: ""
            exporter:
              image:
                registry: registry.k8s.io
                repository: kube-state-metrics/kube-state-metrics
                tag: v2.14.0
                sha: "%s"
        """ % DIGEST,
        "templates/operator.yaml": _deployment("operator", img % (("operator.image",) * 5)),
        "templates/exporter.yaml": _deployment("exporter", img % (("exporter.image",) * 5)),
    })
    sub = '"{{ $r := .Values.global.imageRegistry | default .Values.%s.registry }}{{ $r }}/{{ .Values.%s.repository }}:{{ .Values.%s.tag }}"'
    write(root / "charts" / "dashboards", {
        "Chart.yaml": "apiVersion: v2\nname: dashboards\nversion: 8.6.0\n",
        "values.yaml": """
            global:
              imageRegistry: null
            image:
              registry: docker.io
              repository: grafana/grafana
              tag: 11.3.1
            init:
              image:
                registry: docker.io
                repository: library/busybox
                tag: "1.31.1"
        """,
        "templates/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-dashboards
            spec:
              template:
                spec:
                  initContainers:
                    - name: init-chown
                      image: %s
                  containers:
                    - name: grafana
                      image: %s
        """ % (sub % (("init.image",) * 3), sub % (("image",) * 3)),
    })
    return root
