# ruff: noqa: E501, UP031  (chart templates keep their real one-line shapes; Go templates are full of braces)
"""More synthetic charts (our own files), one per image-composition mechanism seen in
widely used public charts, beyond :mod:`tests.charts.shapes`.

Each function names the chart whose *mechanism* it reproduces; none copies a chart's
files.  The images are written the way those charts write them: helpers with
``if .repository``/``else registry/image``, ``default (default a b) c`` chains,
digests that replace the tag, tags built from ``.Chart.AppVersion`` with a prefix or
a label, ``tpl`` on values, ``merge`` into the image map, a registry prefix with its
own trailing slash, images in a map ranged over, one chart-wide registry shared by
an official image and a namespaced one.
"""

from __future__ import annotations

from pathlib import Path

from tests.charts.charts import write
from tests.charts.shapes import DIGEST


def _pod(kind: str, name: str, containers: str, init: str = "") -> str:
    init_block = f"\n              initContainers:{init}" if init else ""
    return f"""
        apiVersion: apps/v1
        kind: {kind}
        metadata:
          name: {{{{ .Release.Name }}}}-{name}
        spec:
          template:
            spec:{init_block}
              containers:{containers}
    """


def _c(name: str, image: str, indent: int = 16) -> str:
    pad = " " * indent
    return f"\n{pad}- name: {name}\n{pad}  image: {image}"


def repository_or_registry_image(root: Path) -> Path:
    """ingress-nginx's helper: ``repository`` (empty) wins when set, else
    ``registry/image``; ``-chroot`` appended by a flag; ``@digest`` when set."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: ingress\nversion: 4.12.0\nappVersion: 1.12.0\n",
        "values.yaml": """
            controller:
              image:
                chroot: false
                registry: registry.k8s.io
                image: ingress-nginx/controller
                tag: "v1.12.0"
                digest: sha256:%s
                digestChroot: sha256:%s
                repository: ""
              admissionWebhooks:
                patch:
                  image:
                    registry: registry.k8s.io
                    image: ingress-nginx/kube-webhook-certgen
                    tag: v1.5.0
                    digest: ""
            defaultBackend:
              image:
                registry: registry.k8s.io
                image: defaultbackend-amd64
                tag: "1.5"
        """ % (DIGEST, DIGEST[::-1]),
        "templates/_helpers.tpl": """
            {{- define "ing.image" -}}
            {{- if .repository -}}{{ .repository }}{{- else -}}{{ .registry }}/{{ .image }}{{- end -}}
            {{- end -}}
            {{- define "ing.digest" -}}
            {{- if .digest -}}@{{ .digest }}{{- end -}}
            {{- end -}}
        """,
        "templates/controller.yaml": _pod("Deployment", "controller", _c(
            "controller",
            '"{{ with .Values.controller.image }}{{ include "ing.image" . }}{{ if .chroot }}-chroot{{ end }}:{{ .tag }}{{ if .chroot }}{{ with .digestChroot }}@{{ . }}{{ end }}{{ else }}{{ include "ing.digest" . }}{{ end }}{{ end }}"')),
        "templates/job.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-patch
              annotations:
                helm.sh/hook: pre-install
            spec:
              template:
                spec:
                  containers:
                    - name: patch
                      image: "{{ with .Values.controller.admissionWebhooks.patch.image }}{{ include "ing.image" . }}:{{ .tag }}{{ include "ing.digest" . }}{{ end }}"
        """,
        "templates/backend.yaml": _pod("Deployment", "backend", _c(
            "backend", '"{{ .Values.defaultBackend.image.registry }}/{{ .Values.defaultBackend.image.image }}:{{ .Values.defaultBackend.image.tag }}"')),
    })


def repository_with_optional_registry(root: Path) -> Path:
    """cert-manager's older helper: ``registry`` commented out, ``repository`` holds
    the host; ``@digest`` replaces ``:tag``; the tag defaults to appVersion."""
    helper = '"{{ with .Values.%s.image }}{{ if .registry }}{{ printf "%%s/%%s" .registry .repository }}{{ else }}{{ .repository }}{{ end }}{{ if .digest }}{{ printf "@%%s" .digest }}{{ else }}{{ printf ":%%s" (default $.Chart.AppVersion .tag) }}{{ end }}{{ end }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: certs\nversion: v1.15.0\nappVersion: v1.15.0\n",
        "values.yaml": """
            controller:
              image:
                # registry: quay.io
                repository: quay.io/jetstack/cert-manager-controller
                # tag: canary
                # digest: sha256:0e072dddd1f7f8fc8909a2ca6f65e76c5f0d2fcfb8be47935ae3457e8bbceb20
            cainjector:
              image:
                repository: quay.io/jetstack/cert-manager-cainjector
                digest: sha256:%s
            startupapicheck:
              image:
                repository: quay.io/jetstack/cert-manager-startupapicheck
        """ % DIGEST,
        "templates/controller.yaml": _pod("Deployment", "controller", _c("controller", helper % "controller")),
        "templates/cainjector.yaml": _pod("Deployment", "cainjector", _c("cainjector", helper % "cainjector")),
        "templates/check.yaml": _pod("Deployment", "check", _c("check", helper % "startupapicheck")),
    })


def nested_default_registry(root: Path) -> Path:
    """kyverno's helper: ``default (default defaultRegistry globalRegistry) registry``
    with ``global.image.registry: ~`` and per-image ``registry: ~``; the tag must be
    a string (``typeIs``) and defaults to appVersion; a busybox test image."""
    helper = '"{{ include "k.image" (dict "globalRegistry" .Values.global.image.registry "image" .Values.%s.image "defaultTag" .Chart.AppVersion) }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: policy\nversion: 3.3.0\nappVersion: v1.13.0\n",
        "values.yaml": """
            global:
              image:
                registry: ~
            admissionController:
              image:
                registry: ~
                defaultRegistry: ghcr.io
                repository: kyverno/kyverno
                tag: ~
              initContainer:
                image:
                  registry: ~
                  defaultRegistry: ghcr.io
                  repository: kyverno/kyvernopre
                  tag: ~
            cleanupJobs:
              image:
                registry: ~
                defaultRegistry: docker.io
                repository: bitnami/kubectl
                tag: "1.31.2"
        """,
        "templates/_helpers.tpl": """
            {{- define "k.image" -}}
            {{- $tag := default .defaultTag .image.tag -}}
            {{- if not (typeIs "string" $tag) -}}{{ fail "Image tags must be strings." }}{{- end -}}
            {{- $imageRegistry := default (default .image.defaultRegistry .globalRegistry) .image.registry -}}
            {{- if $imageRegistry -}}
            {{- print $imageRegistry "/" (required "An image repository is required" .image.repository) ":" $tag -}}
            {{- else -}}
            {{- print (required "An image repository is required" .image.repository) ":" $tag -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/admission.yaml": _pod(
            "Deployment", "admission", _c("kyverno", helper % "admissionController"),
            init=_c("kyverno-pre", '"{{ include "k.image" (dict "globalRegistry" .Values.global.image.registry "image" .Values.admissionController.initContainer.image "defaultTag" .Chart.AppVersion) }}"')),
        "templates/cleanup.yaml": _pod("Deployment", "cleanup", _c("cleanup", helper % "cleanupJobs")),
    })


def coalesced_registry_digest_or_tag(root: Path) -> Path:
    """loki's helper: ``global.imageRegistry | default service.registry | default ""``;
    ``ternary`` picks ``:tag`` (default the chart's version) or ``@digest``; the
    joining ``/`` only when both parts are set; an official memcached image whose
    repository has no host at all; nginx-unprivileged as a namespaced image."""
    base = '"{{ include "l.image" (dict "global" .Values.global "service" .Values.%s "defaultVersion" .Chart.AppVersion) }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: logs\nversion: 6.22.0\nappVersion: 3.3.0\n",
        "values.yaml": """
            global:
              image:
                registry: null
            loki:
              image:
                registry: docker.io
                repository: grafana/loki
                tag: null
                digest: null
            gateway:
              image:
                registry: docker.io
                repository: nginxinc/nginx-unprivileged
                tag: 1.27-alpine
                digest: null
            memcached:
              image:
                repository: memcached
                tag: 1.6.32-alpine
        """,
        "templates/_helpers.tpl": """
            {{- define "l.image" -}}
            {{- $registry := .global.image.registry | default .service.registry | default "" -}}
            {{- $repository := .service.repository | default "" -}}
            {{- $ref := ternary (printf ":%s" (.service.tag | default .defaultVersion | toString)) (printf "@%s" .service.digest) (empty .service.digest) -}}
            {{- if and $registry $repository -}}
              {{- printf "%s/%s%s" $registry $repository $ref -}}
            {{- else -}}
              {{- printf "%s%s%s" $registry $repository $ref -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/loki.yaml": _pod("StatefulSet", "loki", _c("loki", base % "loki.image")),
        "templates/gateway.yaml": _pod("Deployment", "gateway", _c("nginx", base % "gateway.image")),
        "templates/memcached.yaml": _pod("StatefulSet", "chunks-cache", _c(
            "memcached", '{{ .Values.memcached.image.repository }}:{{ .Values.memcached.image.tag }}')),
    })


def bitnami_digest_replaces_tag(root: Path) -> Path:
    """bitnami/common's images helper: ``default .imageRoot.registry
    .global.imageRegistry``; a digest replaces the tag; no tag: appVersion; no
    registry: the repository alone; os-shell init container; a sidecar from quay."""
    helper = '{{ include "c.image" (dict "imageRoot" .Values.%s "global" .Values.global "chart" .Chart) }}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: kv\nversion: 20.3.0\nappVersion: 7.4.1\n",
        "values.yaml": """
            global:
              imageRegistry: ""
              security:
                allowInsecureImages: false
            image:
              registry: docker.io
              repository: bitnami/redis
              tag: 7.4.1-debian-12-r2
              digest: ""
            sentinel:
              image:
                registry: docker.io
                repository: bitnami/redis-sentinel
                tag: 7.4.1-debian-12-r2
                digest: "sha256:%s"
            metrics:
              image:
                registry: quay.io
                repository: oliver006/redis_exporter
                tag: ""
                digest: ""
            volumePermissions:
              image:
                registry: docker.io
                repository: bitnami/os-shell
                tag: 12-debian-12-r32
                digest: ""
        """ % DIGEST,
        "templates/_helpers.tpl": """
            {{- define "c.image" -}}
            {{- $registryName := default .imageRoot.registry ((.global).imageRegistry) -}}
            {{- $repositoryName := .imageRoot.repository -}}
            {{- $separator := ":" -}}
            {{- $termination := .imageRoot.tag | toString -}}
            {{- if not .imageRoot.tag -}}{{- if .chart -}}{{- $termination = .chart.AppVersion | toString -}}{{- end -}}{{- end -}}
            {{- if .imageRoot.digest -}}{{- $separator = "@" -}}{{- $termination = .imageRoot.digest | toString -}}{{- end -}}
            {{- if $registryName -}}
            {{- printf "%s/%s%s%s" $registryName $repositoryName $separator $termination -}}
            {{- else -}}
            {{- printf "%s%s%s" $repositoryName $separator $termination -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/master.yaml": _pod(
            "StatefulSet", "master",
            _c("redis", helper % "image") + _c("sentinel", helper % "sentinel.image") + _c("metrics", helper % "metrics.image"),
            init=_c("volume-permissions", helper % "volumePermissions.image", 16)),
    })


def full_repository_v_tag(root: Path) -> Path:
    """metrics-server / external-dns / cluster-autoscaler / aws-load-balancer-
    controller / karpenter: ``image.repository`` holds the host, the tag defaults
    to ``v`` + appVersion; karpenter's ``repository:tag@digest``; ECR Public's
    second host name and Docker Hub's second host name."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: addons\nversion: 3.12.2\nappVersion: 0.7.2\n",
        "values.yaml": """
            image:
              repository: registry.k8s.io/metrics-server/metrics-server
              tag: ""
            addonResizer:
              image:
                repository: registry.k8s.io/autoscaling/addon-resizer
                tag: 1.8.21
            lbc:
              image:
                repository: public.ecr.aws/eks/aws-load-balancer-controller
                tag: v2.11.0
            karpenter:
              image:
                repository: public.ecr.aws/karpenter/controller
                tag: 1.1.0
                digest: sha256:%s
            dualstack:
              image:
                repository: ecr-public.aws.com/docker/library/redis
                tag: "7.4"
            hubname:
              image: registry.hub.docker.com/library/alpine:3.20
        """ % DIGEST,
        "templates/metrics.yaml": _pod("Deployment", "metrics", _c(
            "metrics-server", '"{{ .Values.image.repository }}:{{ .Values.image.tag | default (printf "v%s" .Chart.AppVersion) }}"')
            + _c("resizer", '"{{ .Values.addonResizer.image.repository }}:{{ .Values.addonResizer.image.tag }}"')),
        "templates/lbc.yaml": _pod("Deployment", "lbc", _c(
            "controller", '"{{ .Values.lbc.image.repository }}:{{ .Values.lbc.image.tag }}"')),
        "templates/karpenter.yaml": _pod("Deployment", "karpenter", _c(
            "controller", '{{ with .Values.karpenter.image }}{{ if .digest }}{{ printf "%s:%s@%s" .repository (default $.Chart.AppVersion .tag) .digest }}{{ else }}{{ printf "%s:%s" .repository (default $.Chart.AppVersion .tag) }}{{ end }}{{ end }}')),
        "templates/dual.yaml": _pod("Deployment", "dual", _c(
            "redis", '"{{ .Values.dualstack.image.repository }}:{{ .Values.dualstack.image.tag }}"')
            + _c("alpine", '{{ .Values.hubname.image | quote }}')),
    })


def merged_image_map(root: Path) -> Path:
    """fluent-bit / keda: ``merge .Values.image (dict "tag" ...)`` before a helper
    (``merge`` changes the values map in place); keda's nested ``image.keda``
    with ``global.image.registry`` taking over; a host the cache cannot front."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: events\nversion: 2.16.0\nappVersion: 2.16.0\n",
        "values.yaml": """
            global:
              image:
                registry: null
            image:
              keda:
                registry: ghcr.io
                repository: kedacore/keda
                tag: ""
              webhooks:
                registry: ghcr.io
                repository: kedacore/keda-admission-webhooks
                tag: ""
            logs:
              image:
                repository: cr.fluentbit.io/fluent/fluent-bit
                tag: ""
                digest: ""
            shipper:
              image:
                repository: fluent/fluent-bit
                tag: "3.2.2"
                digest: ""
        """,
        "templates/_helpers.tpl": """
            {{- define "fb.image" -}}
            {{- if .digest -}}{{ .repository }}:{{ .tag }}@{{ .digest }}{{- else -}}{{ .repository }}:{{ .tag }}{{- end -}}
            {{- end -}}
        """,
        "templates/keda.yaml": _pod("Deployment", "keda", _c(
            "keda", '"{{ .Values.global.image.registry | default .Values.image.keda.registry }}/{{ .Values.image.keda.repository }}:{{ .Values.image.keda.tag | default .Chart.AppVersion }}"')
            + _c("webhooks", '"{{ .Values.global.image.registry | default .Values.image.webhooks.registry }}/{{ .Values.image.webhooks.repository }}:{{ .Values.image.webhooks.tag | default .Chart.AppVersion }}"')),
        "templates/logs.yaml": _pod("DaemonSet", "logs", _c(
            "fluent-bit", '"{{ include "fb.image" (merge .Values.logs.image (dict "tag" (default .Chart.AppVersion .Values.logs.image.tag))) }}"')
            + _c("shipper", '"{{ include "fb.image" (merge .Values.shipper.image (dict "tag" (default .Chart.AppVersion .Values.shipper.image.tag))) }}"')),
    })


def tag_label_and_sidecars(root: Path) -> Path:
    """jenkins / grafana: the tag built as ``appVersion-tagLabel``; a sidecar with
    ``registry`` + ``repository``; images in a map ranged over (extra containers by
    name); vault's helper that emits the whole ``image:`` line, tag optional."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: ci\nversion: 5.7.0\nappVersion: 2.479.1\n",
        "values.yaml": """
            controller:
              image:
                registry: docker.io
                repository: jenkins/jenkins
                tag: ""
                tagLabel: jdk17
              sidecars:
                configAutoReload:
                  image:
                    registry: docker.io
                    repository: kiwigrid/k8s-sidecar
                    tag: 1.28.0
            extras:
              curl:
                image: curlimages/curl:8.11.0
              shell:
                image: alpine:3.20
            server:
              image:
                repository: hashicorp/vault
                tag: "1.18.1"
            injector:
              image:
                repository: hashicorp/vault-k8s
                tag: ""
        """,
        "templates/_helpers.tpl": """
            {{- define "v.image" -}}
            {{- if .tag -}}
            image: "{{ .repository }}:{{ .tag }}"
            {{- else -}}
            image: "{{ .repository }}"
            {{- end -}}
            {{- end -}}
        """,
        "templates/controller.yaml": """
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: {{ .Release.Name }}-controller
            spec:
              template:
                spec:
                  containers:
                    - name: jenkins
                      image: "{{ .Values.controller.image.registry }}/{{ .Values.controller.image.repository }}:{{ .Values.controller.image.tag | default (printf "%s-%s" .Chart.AppVersion .Values.controller.image.tagLabel) }}"
                    {{- with .Values.controller.sidecars.configAutoReload.image }}
                    - name: config-reload
                      image: "{{ .registry }}/{{ .repository }}:{{ .tag }}"
                    {{- end }}
                    {{- range $name, $c := .Values.extras }}
                    - name: {{ $name }}
                      image: {{ $c.image | quote }}
                    {{- end }}
                    - name: vault
                      {{- include "v.image" .Values.server.image | nindent 10 }}
                    - name: injector
                      {{- include "v.image" .Values.injector.image | nindent 10 }}
        """,
    })


def registry_prefix_with_slash(root: Path) -> Path:
    """longhorn: a ``registry_url`` helper that returns ``<registryUrl>/`` or
    ``<systemDefaultRegistry>/`` or nothing, joined to Docker Hub repositories that
    have no host; harbor's component literally named ``registry``."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: storage\nversion: 1.7.2\nappVersion: v1.7.2\n",
        "values.yaml": """
            global:
              cattle:
                systemDefaultRegistry: ""
            privateRegistry:
              registryUrl: ~
            image:
              longhorn:
                manager:
                  repository: longhornio/longhorn-manager
                  tag: v1.7.2
                ui:
                  repository: longhornio/longhorn-ui
                  tag: v1.7.2
            registry:
              registry:
                image:
                  repository: goharbor/registry-photon
                  tag: v2.12.0
              controller:
                image:
                  repository: goharbor/harbor-registryctl
                  tag: v2.12.0
        """,
        "templates/_helpers.tpl": """
            {{- define "system_default_registry" -}}
            {{- if .Values.global.cattle.systemDefaultRegistry -}}{{- printf "%s/" .Values.global.cattle.systemDefaultRegistry -}}{{- else -}}{{- "" -}}{{- end -}}
            {{- end -}}
            {{- define "registry_url" -}}
            {{- if .Values.privateRegistry.registryUrl -}}{{- printf "%s/" .Values.privateRegistry.registryUrl -}}{{- else -}}{{ include "system_default_registry" . }}{{- end -}}
            {{- end -}}
        """,
        "templates/manager.yaml": _pod("DaemonSet", "manager", _c(
            "manager", '{{ template "registry_url" . }}{{ .Values.image.longhorn.manager.repository }}:{{ .Values.image.longhorn.manager.tag }}')
            + _c("ui", '{{ template "registry_url" . }}{{ .Values.image.longhorn.ui.repository }}:{{ .Values.image.longhorn.ui.tag }}')),
        "templates/registry.yaml": _pod("Deployment", "registry", _c(
            "registry", '{{ .Values.registry.registry.image.repository }}:{{ .Values.registry.registry.image.tag }}')
            + _c("registryctl", '{{ .Values.registry.controller.image.repository }}:{{ .Values.registry.controller.image.tag }}')),
    })


def shared_registry_official_image(root: Path) -> Path:
    """One chart-wide ``image.registry: docker.io`` shared by a namespaced image and
    an official one (``busybox`` needs ``library/``), plus gitlab-runner's
    ``image.image`` with an optional registry from a host the cache does not front
    by default, and traefik's official image via ``registry`` + ``repository``."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: shared\nversion: 1.0.0\nappVersion: 17.6.0\n",
        "values.yaml": """
            registry: docker.io
            app:
              repository: acme/app
              tag: "2.1"
            init:
              repository: busybox
              tag: "1.37"
            runner:
              image:
                registry: registry.gitlab.com
                image: gitlab-org/gitlab-runner
                tag: ""
            proxy:
              image:
                registry: docker.io
                repository: traefik
                tag: ""
        """,
        "templates/app.yaml": _pod(
            "Deployment", "app",
            _c("app", '"{{ .Values.registry }}/{{ .Values.app.repository }}:{{ .Values.app.tag }}"')
            + _c("proxy", '"{{ printf "%s/%s:%s" .Values.proxy.image.registry .Values.proxy.image.repository (.Values.proxy.image.tag | default "v3.2.1") }}"'),
            init=_c("init", '"{{ .Values.registry }}/{{ .Values.init.repository }}:{{ .Values.init.tag }}"', 16)),
        "templates/runner.yaml": _pod("Deployment", "runner", _c(
            "runner", '{{ $image := printf "%s:%s" .Values.runner.image.image (.Values.runner.image.tag | default (printf "alpine-v%s" .Chart.AppVersion)) }}{{ if .Values.runner.image.registry }}{{ $image = printf "%s/%s" .Values.runner.image.registry $image }}{{ end }}{{ $image }}')),
    })


def tpl_values(root: Path) -> Path:
    """``tpl`` on image values (the value itself is template text naming another
    value), and a digest-only value used as the whole suffix."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: tplchart\nversion: 1.0.0\nappVersion: 1.0.0\n",
        "values.yaml": """
            global:
              registry: quay.io
            image:
              repository: "{{ .Values.global.registry }}/acme/api"
              tag: "1.0.0"
            worker:
              image: "{{ .Values.global.registry }}/acme/worker:{{ .Chart.AppVersion }}"
        """,
        "templates/api.yaml": _pod("Deployment", "api", _c(
            "api", '"{{ tpl .Values.image.repository . }}:{{ .Values.image.tag }}"')
            + _c("worker", '"{{ tpl .Values.worker.image . }}"')),
    })


def istio_full_image(root: Path) -> Path:
    """istio's pilot: ``image`` holding a full reference when it contains ``/``,
    else ``hub/image:tag-variant``; per-chart ``hub``/``tag`` empty, the global
    ones used."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: istiod\nversion: 1.24.1\nappVersion: 1.24.1\n",
        "values.yaml": """
            pilot:
              image: pilot
              hub: ""
              tag: ""
              variant: ""
            global:
              hub: docker.io/istio
              tag: 1.24.1
              variant: distroless
              proxy:
                image: proxyv2
        """,
        "templates/pilot.yaml": _pod("Deployment", "istiod", _c(
            "discovery", '{{ if contains "/" .Values.pilot.image }}"{{ .Values.pilot.image }}"{{ else }}"{{ .Values.pilot.hub | default .Values.global.hub }}/{{ .Values.pilot.image | default "pilot" }}:{{ .Values.pilot.tag | default .Values.global.tag }}{{ with (.Values.pilot.variant | default .Values.global.variant) }}-{{ . }}{{ end }}"{{ end }}')
            + _c("proxy", '{{ if contains "/" .Values.global.proxy.image }}"{{ .Values.global.proxy.image }}"{{ else }}"{{ .Values.global.hub }}/{{ .Values.global.proxy.image }}:{{ .Values.global.tag }}"{{ end }}')),
    })


def digests_in_odd_places(root: Path) -> Path:
    """A tag value that carries its digest (``v1.2.3@sha256:...``), a digest-only
    string, a full ``name:tag@digest`` string, the frozen ``k8s.gcr.io`` host and
    ``index.docker.io`` as a registry; an image that is a map or a string
    (``kindIs "string"``)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: odd\nversion: 1.0.0\n",
        "values.yaml": """
            agent:
              image:
                repository: quay.io/cilium/cilium
                tag: "v1.16.4@sha256:%s"
            pause:
              image: "busybox@sha256:%s"
            full:
              image: "nginx:1.27@sha256:%s"
            legacy:
              image:
                repository: k8s.gcr.io/pause
                tag: "3.9"
            hub:
              image:
                registry: index.docker.io
                repository: grafana/agent
                tag: v0.43.4
            either:
              image: ghcr.io/acme/either:1.0
        """ % (DIGEST, DIGEST, DIGEST),
        "templates/odd.yaml": _pod("Deployment", "odd",
            _c("agent", '"{{ .Values.agent.image.repository }}:{{ .Values.agent.image.tag }}"')
            + _c("pause", "{{ .Values.pause.image }}")
            + _c("full", "{{ .Values.full.image }}")
            + _c("legacy", '"{{ .Values.legacy.image.repository }}:{{ .Values.legacy.image.tag }}"')
            + _c("hub", '"{{ .Values.hub.image.registry }}/{{ .Values.hub.image.repository }}:{{ .Values.hub.image.tag }}"')
            + _c("either", '{{ if kindIs "string" .Values.either.image }}{{ .Values.either.image }}{{ else }}{{ .Values.either.image.repository }}:{{ .Values.either.image.tag }}{{ end }}')),
    })


def hooks_tests_cronjobs(root: Path) -> Path:
    """Images only hooks and tests run (a ``kind: Pod`` helm test, a pre-upgrade Job
    whose tag comes from ``.Capabilities``) and a CronJob; a plain Pod."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: backup\nversion: 8.1.0\nappVersion: 1.15.0\n",
        "values.yaml": """
            image:
              repository: velero/velero
              tag: ""
              digest: ""
            kubectl:
              image:
                repository: docker.io/bitnami/kubectl
            schedule:
              image: alpine:3.20
            tests:
              image: busybox
        """,
        "templates/deploy.yaml": _pod("Deployment", "velero", _c(
            "velero", '"{{ .Values.image.repository }}{{ if .Values.image.digest }}@{{ .Values.image.digest }}{{ else }}:{{ default (printf "v%s" .Chart.AppVersion) .Values.image.tag }}{{ end }}"')),
        "templates/upgrade.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-upgrade-crds
              annotations:
                helm.sh/hook: pre-upgrade
            spec:
              template:
                spec:
                  containers:
                    - name: kubectl
                      image: "{{ .Values.kubectl.image.repository }}:{{ .Capabilities.KubeVersion.Major }}.{{ .Capabilities.KubeVersion.Minor | trimSuffix "+" }}"
        """,
        "templates/cron.yaml": """
            apiVersion: batch/v1
            kind: CronJob
            metadata:
              name: {{ .Release.Name }}-cleanup
            spec:
              schedule: "0 * * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      containers:
                        - name: cleanup
                          image: {{ .Values.schedule.image }}
        """,
        "templates/tests/test.yaml": """
            apiVersion: v1
            kind: Pod
            metadata:
              name: {{ .Release.Name }}-test
              annotations:
                helm.sh/hook: test
            spec:
              containers:
                - name: test
                  image: {{ .Values.tests.image }}
        """,
    })


def aliased_subcharts_twice(root: Path) -> Path:
    """One subchart used twice under two aliases (each with its own image values)
    with a Bitnami-like ``global.imageRegistry`` the parent leaves empty."""
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: pair
            version: 1.0.0
            dependencies:
              - name: kv
                version: 1.x.x
                alias: cache
              - name: kv
                version: 1.x.x
                alias: queue
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
            queue:
              image:
                repository: bitnami/valkey
                tag: "8.0"
        """,
    })
    write(root / "charts" / "kv", {
        "Chart.yaml": "apiVersion: v2\nname: kv\nversion: 1.2.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: bitnami/redis
              tag: "7.4"
        """,
        "templates/kv.yaml": _pod("StatefulSet", "kv-{{ .Chart.Name }}-{{ .Values.image.repository | base }}", _c(
            "kv", '"{{ .Values.global.imageRegistry | default .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })
    return root


def value_names_the_container(root: Path) -> Path:
    """An operator-style chart that names the container after the same value that
    picks the image (``component``), and a registry key missing from values that the
    template defaults (``.Values.image.registry | default "docker.io"``)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: op\nversion: 0.9.0\nappVersion: 0.9.0\n",
        "values.yaml": """
            registry: quay.io
            component: operator
            image:
              repository: acme/app
              tag: "1.0"
        """,
        "templates/op.yaml": _pod("Deployment", "op", _c(
            "{{ .Values.component }}", '"{{ .Values.registry }}/acme/{{ .Values.component }}:{{ .Chart.AppVersion }}"')
            + _c("app", '"{{ .Values.image.registry | default "docker.io" }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })


def schema_limits_registry(root: Path, repository_pattern: str = "") -> Path:
    """A ``values.schema.json`` that allows only a host name in ``image.registry``:
    ``<registry>/<prefix>`` is refused by Helm, so the conversion must go through
    the repository (or, when a pattern refuses that too, write nothing)."""
    repository = '{"type": "string"%s}' % (
        f', "pattern": "{repository_pattern}"' if repository_pattern else "")
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: strict\nversion: 1.0.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: acme/strict
              tag: "1.0"
        """,
        "values.schema.json": """
            {
              "$schema": "http://json-schema.org/draft-07/schema#",
              "type": "object",
              "properties": {
                "image": {
                  "type": "object",
                  "properties": {
                    "registry": {"type": "string", "pattern": "^[a-z0-9.-]+(:[0-9]+)?$"},
                    "repository": %s,
                    "tag": {"type": "string"}
                  }
                }
              }
            }
        """ % repository,
        "templates/strict.yaml": _pod("Deployment", "strict", _c(
            "strict", '"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })


def extra_containers_as_text(root: Path) -> Path:
    """``extraContainers`` given as a YAML string run through ``tpl`` (the image is
    inside text, not a value of its own), beside an ordinary image."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: extras\nversion: 1.0.0\n",
        "values.yaml": """
            image:
              repository: acme/main
              tag: "1.0"
            extraContainers: |
              - name: sidecar
                image: busybox:1.37
        """,
        "templates/main.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-main
            spec:
              template:
                spec:
                  containers:
                    - name: main
                      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
                    {{- with .Values.extraContainers }}
                    {{- tpl . $ | nindent 8 }}
                    {{- end }}
        """,
    })


def internal_defaults(root: Path) -> Path:
    """istio 1.22+: every default sits under ``_internal_defaults_do_not_set`` and a
    template merges it under ``.Values`` (``deepCopy`` + ``merge``) before use."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: istiod\nversion: 1.24.1\nappVersion: 1.24.1\n",
        "values.yaml": """
            _internal_defaults_do_not_set:
              pilot:
                image: pilot
                hub: ""
                tag: ""
              global:
                hub: docker.io/istio
                tag: 1.24.1
                proxy:
                  image: proxyv2
        """,
        "templates/zzz_profile.yaml": """
            {{- $defaults := $.Values._internal_defaults_do_not_set }}
            {{- $_ := unset $.Values "_internal_defaults_do_not_set" }}
            {{- $merged := deepCopy $defaults | merge $.Values }}
            {{- $_ := set $ "Values" $merged }}
        """,
        "templates/pilot.yaml": _pod("Deployment", "istiod", _c(
            "discovery", '"{{ .Values.pilot.hub | default .Values.global.hub }}/{{ .Values.pilot.image | default "pilot" }}:{{ .Values.pilot.tag | default .Values.global.tag }}"')
            + _c("proxy", '"{{ .Values.global.hub }}/{{ .Values.global.proxy.image }}:{{ .Values.global.tag }}"')),
    })


def full_image_name_override(root: Path) -> Path:
    """nats: ``repository:tag`` with an optional per-image or global registry put in
    front, and ``fullImageName`` that replaces everything when set; official
    ``nats`` (needs ``library/``) beside namespaced images."""
    helper = '"{{ include "n.image" (merge (pick .Values.%s "registry" "repository" "tag" "fullImageName") (dict "global" .Values.global)) }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: msg\nversion: 1.2.6\nappVersion: 2.10.22\n",
        "values.yaml": """
            global:
              image:
                registry:
            container:
              image:
                repository: nats
                tag: 2.10.22-alpine
                fullImageName:
            reloader:
              image:
                repository: natsio/nats-server-config-reloader
                tag: 0.16.0
            natsBox:
              container:
                image:
                  repository: natsio/nats-box
                  tag: 0.14.5
                  registry: docker.io
        """,
        "templates/_helpers.tpl": """
            {{- define "n.image" }}
            {{- $image := printf "%s:%s" .repository .tag }}
            {{- if or .registry .global.image.registry }}
            {{- $image = printf "%s/%s" (.registry | default .global.image.registry) $image }}
            {{- end -}}
            {{- if .fullImageName }}{{- $image = .fullImageName }}{{- end }}
            {{- $image }}
            {{- end }}
        """,
        "templates/nats.yaml": _pod("StatefulSet", "nats",
            _c("nats", helper % "container.image") + _c("reloader", helper % "reloader.image")),
        "templates/box.yaml": _pod("Deployment", "box", _c("box", helper % "natsBox.container.image")),
    })


def repository_or_name_with_suffix(root: Path) -> Path:
    """datadog / tigera-operator: ``registry`` chart-wide + ``image.name`` unless
    ``image.repository`` is set, ``tagSuffix`` appended; tigera's
    ``registry``/``image``/``version`` keys; airflow's ``defaultAirflowRepository``
    shared by several containers, with official redis from the same map."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: agents\nversion: 3.80.0\n",
        "values.yaml": """
            registry: public.ecr.aws/datadog
            agents:
              image:
                name: agent
                tag: 7.59.0
                tagSuffix: ""
                repository:
            clusterAgent:
              image:
                name: cluster-agent
                tag: 7.59.0
                repository:
            tigeraOperator:
              image: tigera/operator
              version: v1.36.2
              registry: quay.io
            defaultAirflowRepository: apache/airflow
            defaultAirflowTag: 2.10.3
            images:
              airflow:
                repository: ~
                tag: ~
              redis:
                repository: redis
                tag: 7.2-bookworm
        """,
        "templates/_helpers.tpl": """
            {{- define "d.image" -}}
            {{- if .image.repository -}}{{ .image.repository }}{{- else -}}{{ .registry }}/{{ .image.name }}{{- end -}}:{{ .image.tag }}{{ if .image.tagSuffix }}-{{ .image.tagSuffix }}{{ end }}
            {{- end -}}
            {{- define "a.image" -}}
            {{ .Values.images.airflow.repository | default .Values.defaultAirflowRepository }}:{{ .Values.images.airflow.tag | default .Values.defaultAirflowTag }}
            {{- end -}}
        """,
        "templates/agent.yaml": _pod("DaemonSet", "agent", _c(
            "agent", '"{{ include "d.image" (dict "image" .Values.agents.image "registry" .Values.registry) }}"')),
        "templates/cluster.yaml": _pod("Deployment", "cluster-agent", _c(
            "cluster-agent", '"{{ include "d.image" (dict "image" .Values.clusterAgent.image "registry" .Values.registry) }}"')
            + _c("operator", '"{{ .Values.tigeraOperator.registry }}/{{ .Values.tigeraOperator.image }}:{{ .Values.tigeraOperator.version }}"')),
        "templates/airflow.yaml": _pod(
            "Deployment", "scheduler",
            _c("scheduler", '"{{ include "a.image" . }}"') + _c("triggerer", '"{{ include "a.image" . }}"')
            + _c("redis", '"{{ .Values.images.redis.repository }}:{{ .Values.images.redis.tag }}"'),
            init=_c("migrate", '"{{ include "a.image" . }}"', 16)),
    })


def strict_schema_image_maps(root: Path) -> Path:
    """A ``values.schema.json`` with ``additionalProperties: false`` on image maps (no
    key may be added), a ``null`` registry the template defaults to quay.io, and an
    official image with no registry key at all."""
    strict = '{"type": "object", "additionalProperties": false, "properties": {%s}}'
    app = strict % '"registry": {"type": ["string", "null"]}, "repository": {"type": "string"}, "tag": {"type": "string"}'
    side = strict % '"repository": {"type": "string"}, "tag": {"type": "string"}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: schemed\nversion: 1.0.0\n",
        "values.yaml": """
            image:
              registry: null
              repository: acme/app
              tag: "1.0"
            sidecar:
              image:
                repository: busybox
                tag: "1.37"
        """,
        "values.schema.json": '{"type": "object", "properties": {"image": %s, "sidecar": {"type": "object", "properties": {"image": %s}}}}' % (app, side),
        "templates/app.yaml": _pod("Deployment", "app", _c(
            "app", '"{{ .Values.image.registry | default "quay.io" }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')
            + _c("sidecar", '"{{ .Values.sidecar.image.repository }}:{{ .Values.sidecar.image.tag }}"')),
    })


def helm2_requirements_alias(root: Path) -> Path:
    """An ``apiVersion: v1`` chart whose dependencies (and the alias its values use)
    are declared in ``requirements.yaml``, as charts written for Helm 2 still do."""
    write(root, {
        "Chart.yaml": "apiVersion: v1\nname: legacy\nversion: 0.5.0\nappVersion: 0.5.0\n",
        "requirements.yaml": """
            dependencies:
              - name: store
                version: 0.x.x
                alias: database
        """,
        "values.yaml": """
            image:
              repository: acme/legacy
              tag: 0.5.0
            database:
              image:
                tag: "16.4"
        """,
        "templates/app.yaml": _pod("Deployment", "legacy", _c(
            "legacy", '"{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })
    write(root / "charts" / "store", {
        "Chart.yaml": "apiVersion: v1\nname: store\nversion: 0.3.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: postgres
              tag: "16"
        """,
        "templates/db.yaml": _pod("StatefulSet", "store", _c(
            "postgres", '"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })
    return root


def schema_refuses_every_way(root: Path) -> Path:
    """:func:`schema_limits_registry` whose schema also allows only ``owner/name`` in
    ``image.repository``: no value change can give the cache reference."""
    return schema_limits_registry(root, "^[a-z0-9-]+/[a-z0-9-]+$")


def shared_value_uncacheable_twin(root: Path) -> Path:
    """One repository value composes a Docker Hub image and, behind a host the cache
    cannot front, a mirror's copy: with a registry value the Docker Hub image is
    converted through it; without one, converting it would change the mirror's
    image, so it is left alone (and says why)."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: twins\nversion: 1.0.0\n",
        "values.yaml": """
            main:
              registry: docker.io
              repository: acme/main
            solo:
              repository: acme/solo
        """,
        "templates/twins.yaml": _pod("Deployment", "twins",
            _c("main", '"{{ .Values.main.registry }}/{{ .Values.main.repository }}:1.0"')
            + _c("main-mirror", '"mirror.gcr.io/{{ .Values.main.repository }}:1.0"')
            + _c("solo", '"{{ .Values.solo.repository }}:2.0"')
            + _c("solo-mirror", '"mirror.gcr.io/{{ .Values.solo.repository }}:2.0"')),
    })


def anchored_values(root: Path) -> Path:
    """Values that share image maps through YAML anchors and merge keys (``<<: *base``),
    in flow style: an override lands once for every image the anchor feeds, or the
    map gets its own key."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: anchors\nversion: 1.0.0\n",
        "values.yaml": """
            base: &base {registry: docker.io, repository: acme/api, tag: "3.1"}
            api:
              image: *base
            worker:
              image:
                <<: *base
                repository: acme/worker
            probe: {image: {registry: quay.io, repository: acme/probe, tag: "1"}}
        """,
        "templates/all.yaml": _pod("Deployment", "all",
            _c("api", '"{{ .Values.api.image.registry }}/{{ .Values.api.image.repository }}:{{ .Values.api.image.tag }}"')
            + _c("worker", '"{{ .Values.worker.image.registry }}/{{ .Values.worker.image.repository }}:{{ .Values.worker.image.tag }}"')
            + _c("probe", '"{{ .Values.probe.image.registry }}/{{ .Values.probe.image.repository }}:{{ .Values.probe.image.tag }}"')),
    })
