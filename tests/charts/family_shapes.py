# ruff: noqa: E501, UP031  (chart templates keep their real one-line shapes; Go templates are full of braces)
"""Synthetic charts (our own files) for chart families beyond
:mod:`tests.charts.real_shapes` and :mod:`tests.charts.operator_shapes`: argo-cd's
global image inherited by components, grafana's ``sha`` beside the tag, an
external-secrets flavour suffix, karpenter's ``repo:tag@digest``, EKS add-ons on a
regional ECR host (never cacheable here), falco's optional registry, tags YAML reads
as numbers, a single-string image beside image maps, a registry with its own trailing
slash, flux's ``image`` holding the repository alone, metallb's one FRR map feeding
several containers and a postgres operator's images in ConfigMap keys.

Each function names the charts whose *mechanism* it reproduces; none copies a
chart's files.
"""

from __future__ import annotations

from pathlib import Path

from tests.charts.charts import write
from tests.charts.real_shapes import _c, _pod
from tests.charts.shapes import DIGEST


def argo_cd_global_image(root: Path) -> Path:
    """argo-cd: ``global.image.{repository,tag}`` that components with an empty or
    partial ``image`` map inherit (``default global component``), the tag defaulting
    through ``global.image.tag`` to appVersion; the repo server's init container from
    the same global image; dex on ghcr.io, redis and a ``redis-ha`` subchart (haproxy
    too) on ECR Public's ``docker/library``; the redis exporter on ghcr.io."""
    image = '"{{ default .Values.global.image.repository .Values.%s.image.repository }}:{{ default (include "cd.defaultTag" .) .Values.%s.image.tag }}"'
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: cd
            version: 7.7.11
            appVersion: v2.13.2
            dependencies:
              - name: redis-ha
                version: 4.29.4
                condition: redis-ha.enabled
        """,
        "values.yaml": """
            global:
              image:
                repository: quay.io/argoproj/argocd
                tag: ""
                imagePullPolicy: IfNotPresent
            controller:
              image:
                repository: ""
                tag: ""
                imagePullPolicy: ""
            server:
              image: {}
            repoServer:
              image:
                tag: ""
            dex:
              image:
                repository: ghcr.io/dexidp/dex
                tag: v2.41.1
            redis:
              enabled: true
              image:
                repository: public.ecr.aws/docker/library/redis
                tag: 7.4.1-alpine
              exporter:
                image:
                  repository: ghcr.io/oliver006/redis_exporter
                  tag: v1.62.0
            redis-ha:
              enabled: true
        """,
        "templates/_helpers.tpl": """
            {{- define "cd.defaultTag" -}}
            {{- default .Chart.AppVersion .Values.global.image.tag -}}
            {{- end -}}
        """,
        "templates/controller.yaml": _pod("StatefulSet", "controller", _c("controller", image % ("controller", "controller"))),
        "templates/server.yaml": _pod("Deployment", "server", _c("server", image % ("server", "server"))),
        "templates/repo.yaml": _pod("Deployment", "repo", _c("repo-server", image % ("repoServer", "repoServer")),
                                    init=_c("copyutil", image % ("repoServer", "repoServer"))),
        "templates/dex.yaml": _pod("Deployment", "dex", _c("dex", '"{{ .Values.dex.image.repository }}:{{ .Values.dex.image.tag }}"'),
                                   init=_c("copyutil", image % ("server", "server"))),
        "templates/redis.yaml": _pod("Deployment", "redis",
            _c("redis", '{{ .Values.redis.image.repository }}:{{ .Values.redis.image.tag }}')
            + _c("metrics", '{{ .Values.redis.exporter.image.repository }}:{{ .Values.redis.exporter.image.tag }}')),
    })
    write(root / "charts" / "redis-ha", {
        "Chart.yaml": "apiVersion: v2\nname: redis-ha\nversion: 4.29.4\nappVersion: 7.2.4\n",
        "values.yaml": """
            image:
              repository: public.ecr.aws/docker/library/redis
              tag: 7.2.4-alpine
            haproxy:
              image:
                repository: public.ecr.aws/docker/library/haproxy
                tag: 2.9.4-alpine
        """,
        "templates/redis.yaml": _pod("StatefulSet", "redis-ha", _c("redis", '{{ .Values.image.repository }}:{{ .Values.image.tag }}')
                                    + _c("sentinel", '{{ .Values.image.repository }}:{{ .Values.image.tag }}'),
                                    init=_c("config-init", '{{ .Values.image.repository }}:{{ .Values.image.tag }}')),
        "templates/haproxy.yaml": _pod("Deployment", "haproxy", _c("haproxy", '{{ .Values.haproxy.image.repository }}:{{ .Values.haproxy.image.tag }}')),
    })
    return root


def grafana_sha_and_sidecars(root: Path) -> Path:
    """grafana: an ``imageRegistry`` helper (``global.imageRegistry | default
    .imageRegistry``), ``image.sha`` written after the tag as ``:tag@sha256:<sha>``,
    the tag defaulting to appVersion; the sidecar's map on quay.io; ``initChownData``
    busybox as ``library/busybox``; a curl init container; a test pod (bats)."""
    line = '"{{ $r := include "g.registry" (dict "global" .Values.global "imageRegistry" .Values.%s.registry) }}{{ with .Values.%s }}{{ if $r }}{{ $r }}/{{ end }}{{ .repository }}{{ if .sha }}:{{ .tag | default $.Chart.AppVersion }}@sha256:{{ .sha }}{{ else }}:{{ .tag | default $.Chart.AppVersion }}{{ end }}{{ end }}"'
    one = lambda path: line % (path, path)  # noqa: E731
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: dashboards\nversion: 8.8.2\nappVersion: 11.4.0\n",
        "values.yaml": """
            global:
              imageRegistry: null
            image:
              registry: docker.io
              repository: grafana/grafana
              tag: ""
              sha: "%s"
            sidecar:
              image:
                registry: quay.io
                repository: kiwigrid/k8s-sidecar
                tag: 1.28.0
                sha: ""
            initChownData:
              image:
                registry: docker.io
                repository: library/busybox
                tag: "1.31.1"
                sha: ""
            downloadDashboardsImage:
              registry: docker.io
              repository: curlimages/curl
              tag: 8.9.1
              sha: ""
            testFramework:
              image:
                registry: docker.io
                repository: bats/bats
                tag: v1.4.1
        """ % DIGEST,
        "templates/_helpers.tpl": """
            {{- define "g.registry" -}}
            {{- if .global -}}{{- .global.imageRegistry | default .imageRegistry -}}{{- else -}}{{- .imageRegistry -}}{{- end -}}
            {{- end -}}
        """,
        "templates/deployment.yaml": _pod("Deployment", "grafana",
            _c("grafana", one("image")) + _c("grafana-sc-dashboard", one("sidecar.image")),
            init=_c("init-chown-data", one("initChownData.image")) + _c("download-dashboards", one("downloadDashboardsImage"))),
        "templates/tests/test.yaml": """
            apiVersion: v1
            kind: Pod
            metadata:
              name: {{ .Release.Name }}-test
              annotations:
                helm.sh/hook: test
            spec:
              containers:
                - name: bats
                  image: "{{ .Values.global.imageRegistry | default .Values.testFramework.image.registry }}/{{ .Values.testFramework.image.repository }}:{{ .Values.testFramework.image.tag }}"
        """,
    })


def global_registry_over_all(root: Path) -> Path:
    """kube-prometheus-stack users' ``global.imageRegistry: docker.io`` that replaces
    every per-image registry, the quay.io sidecar included (it then runs from Docker
    Hub); an official image as ``library/busybox`` and one without ``library/``."""
    line = '"{{ .Values.global.imageRegistry | default .Values.%s.registry }}/{{ .Values.%s.repository }}:{{ .Values.%s.tag }}"'
    one = lambda path: line % ((path,) * 3)  # noqa: E731
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: allover\nversion: 1.0.0\n",
        "values.yaml": """
            global:
              imageRegistry: docker.io
            app:
              image:
                registry: docker.io
                repository: grafana/grafana
                tag: 11.4.0
            sidecar:
              image:
                registry: quay.io
                repository: kiwigrid/k8s-sidecar
                tag: 1.28.0
            init:
              image:
                registry: docker.io
                repository: library/busybox
                tag: "1.37"
            cache:
              image:
                registry: docker.io
                repository: memcached
                tag: 1.6.33-alpine
        """,
        "templates/app.yaml": _pod("Deployment", "app",
            _c("app", one("app.image")) + _c("sidecar", one("sidecar.image")) + _c("cache", one("cache.image")),
            init=_c("init", one("init.image"))),
    })


def external_secrets_flavour(root: Path) -> Path:
    """external-secrets: the tag ``image.tag | default (printf "v%s" appVersion)``
    followed by ``-<flavour>`` when a flavour is set; three components each with a
    map of their own, one with the ``ubi`` flavour; ghcr.io."""
    line = '"{{ .Values.%s.repository }}:{{ .Values.%s.tag | default (printf "v%%s" .Chart.AppVersion) }}{{ with .Values.%s.flavour }}-{{ . }}{{ end }}"'
    one = lambda path: line % ((path,) * 3)  # noqa: E731
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: secrets\nversion: 0.12.1\nappVersion: 0.12.1\n",
        "values.yaml": """
            image:
              repository: ghcr.io/external-secrets/external-secrets
              pullPolicy: IfNotPresent
              tag: ""
              flavour: ""
            webhook:
              image:
                repository: ghcr.io/external-secrets/external-secrets
                tag: ""
                flavour: ubi
            certController:
              image:
                repository: ghcr.io/external-secrets/external-secrets
                tag: v0.12.0
                flavour: ""
        """,
        "templates/controller.yaml": _pod("Deployment", "controller", _c("controller", one("image"))),
        "templates/webhook.yaml": _pod("Deployment", "webhook", _c("webhook", one("webhook.image"))),
        "templates/cert.yaml": _pod("Deployment", "cert", _c("cert-controller", one("certController.image"))),
    })


def karpenter_tag_and_digest(root: Path) -> Path:
    """karpenter: ``repository:tag@digest`` joined with ``printf`` when a digest is
    set, the tag defaulting to appVersion; public.ecr.aws; a second image whose digest
    is empty (``repository:tag`` only)."""
    helper = """
        {{- define "kp.image" -}}
        {{- if .image.digest -}}
        {{- printf "%s:%s@%s" .image.repository (default .appVersion .image.tag) .image.digest -}}
        {{- else -}}
        {{- printf "%s:%s" .image.repository (default .appVersion .image.tag) -}}
        {{- end -}}
        {{- end -}}
    """
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: nodes\nversion: 1.1.1\nappVersion: 1.1.1\n",
        "values.yaml": """
            controller:
              image:
                repository: public.ecr.aws/karpenter/controller
                tag: 1.1.1
                digest: sha256:%s
            webhook:
              image:
                repository: public.ecr.aws/karpenter/webhook
                tag: ""
                digest: ""
        """ % DIGEST,
        "templates/_helpers.tpl": helper,
        "templates/deploy.yaml": _pod("Deployment", "karpenter",
            _c("controller", '{{ include "kp.image" (dict "image" .Values.controller.image "appVersion" .Chart.AppVersion) }}')
            + _c("webhook", '{{ include "kp.image" (dict "image" .Values.webhook.image "appVersion" .Chart.AppVersion) }}')),
    })


def eks_regional_ecr(root: Path) -> Path:
    """aws-vpc-cni / aws-ebs-csi-driver: the host composed from ``account``,
    ``region``, ``endpoint`` and ``domain`` values (``<account>.dkr.ecr.<region>.
    amazonaws.com``), ``override`` winning when set; a regional ECR image in one
    ``repository`` value; beside them the load balancer controller on public.ecr.aws
    and a sidecar from registry.k8s.io, which are cacheable.  The regional ECR images
    must stay exactly as they are."""
    cni = '"{{ if .Values.%s.override }}{{ .Values.%s.override }}{{ else }}{{ printf "%%s.dkr.%%s.%%s.%%s/%%s:%%s" .Values.%s.account .Values.%s.endpoint .Values.%s.region .Values.%s.domain .Values.%s.repository .Values.%s.tag }}{{ end }}"'
    one = lambda path: cni % ((path,) * 8)  # noqa: E731
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: addons\nversion: 1.19.0\nappVersion: v1.19.0\n",
        "values.yaml": """
            image:
              tag: v1.19.0
              account: "602401143452"
              endpoint: ecr
              region: us-west-2
              domain: amazonaws.com
              repository: amazon-k8s-cni
              override: ""
            init:
              image:
                tag: v1.19.0
                account: "602401143452"
                endpoint: ecr
                region: us-west-2
                domain: amazonaws.com
                repository: amazon-k8s-cni-init
                override: ""
            csi:
              image:
                repository: 602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/aws-ebs-csi-driver
                tag: v1.37.0
            registrar:
              image:
                repository: registry.k8s.io/sig-storage/csi-node-driver-registrar
                tag: v2.12.0
            lbc:
              image:
                repository: public.ecr.aws/eks/aws-load-balancer-controller
                tag: v2.11.0
        """,
        "templates/cni.yaml": _pod("DaemonSet", "aws-node", _c("aws-node", one("image")), init=_c("aws-vpc-cni-init", one("init.image"))),
        "templates/csi.yaml": _pod("DaemonSet", "ebs-csi-node",
            _c("ebs-plugin", '"{{ .Values.csi.image.repository }}:{{ .Values.csi.image.tag }}"')
            + _c("node-driver-registrar", '"{{ .Values.registrar.image.repository }}:{{ .Values.registrar.image.tag }}"')),
        "templates/lbc.yaml": _pod("Deployment", "lbc", _c("controller", '"{{ .Values.lbc.image.repository }}:{{ .Values.lbc.image.tag }}"')),
    })


def falco_optional_registry(root: Path) -> Path:
    """falco: ``{{ with .registry }}{{ . }}/{{ end }}{{ .repository }}:{{ .tag |
    default appVersion }}`` for the main image, the driver loader init container and
    falcoctl, each with its own map (``registry: docker.io`` + ``falcosecurity/...``);
    one map with an empty registry (no host at all)."""
    helper = '"{{ with .Values.%s }}{{ with .registry }}{{ . }}/{{ end }}{{ .repository }}:{{ .tag | default $.Chart.AppVersion }}{{ end }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: runtime\nversion: 4.16.0\nappVersion: 0.39.2\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: falcosecurity/falco
              tag: ""
            driver:
              loader:
                initContainer:
                  image:
                    registry: docker.io
                    repository: falcosecurity/falco-driver-loader
                    tag: ""
            falcoctl:
              image:
                registry: ""
                repository: falcosecurity/falcoctl
                tag: 0.10.1
        """,
        "templates/ds.yaml": _pod("DaemonSet", "falco",
            _c("falco", helper % "image") + _c("falcoctl-artifact-follow", helper % "falcoctl.image"),
            init=_c("falco-driver-loader", helper % "driver.loader.initContainer.image")),
    })


def numeric_tags(root: Path) -> Path:
    """Tags YAML reads as numbers: ``1.10`` and ``1.20`` (floats, which Helm renders
    as ``1.1`` and ``1.2``), ``8`` (an integer), ``2024.01``; rendered bare, through
    ``toString`` and through ``quote``; one quoted ``"1.10"`` string for contrast.
    Each container must run the cache reference of exactly the text it ran before."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: numbers\nversion: 1.0.0\n",
        "values.yaml": """
            redis:
              image:
                repository: redis
                tag: 1.10
            postgres:
              image:
                registry: docker.io
                repository: postgres
                tag: 8
            app:
              image:
                repository: acme/app
                tag: 1.20
            calver:
              image:
                repository: quay.io/acme/calver
                tag: 2024.01
            quoted:
              image:
                repository: nginx
                tag: "1.10"
        """,
        "templates/all.yaml": _pod("Deployment", "numbers",
            _c("redis", '"{{ .Values.redis.image.repository }}:{{ .Values.redis.image.tag }}"')
            + _c("postgres", '{{ printf "%s/%s:%s" .Values.postgres.image.registry .Values.postgres.image.repository (toString .Values.postgres.image.tag) }}')
            + _c("app", '{{ printf "%s:%v" .Values.app.image.repository .Values.app.image.tag | quote }}')
            + _c("calver", '"{{ .Values.calver.image.repository }}:{{ .Values.calver.image.tag | toString }}"')
            + _c("quoted", '"{{ .Values.quoted.image.repository }}:{{ .Values.quoted.image.tag }}"')),
    })


def string_image_beside_maps(root: Path) -> Path:
    """One chart mixing ``image: {{ .Values.proxy.image }}`` (a single string with
    host, one without) and image maps: ``printf "%s/%s:%s"``, a registry value with
    its own trailing slash joined with no ``/`` in the template, and a repository
    that already starts with ``docker.io/``."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: mixed\nversion: 1.0.0\n",
        "values.yaml": """
            proxy:
              image: envoyproxy/envoy:v1.32.3
            shell:
              image: docker.io/library/alpine:3.21
            app:
              image:
                registry: quay.io
                repository: acme/app
                tag: "2.0"
            slash:
              image:
                registry: ghcr.io/
                repository: acme/slash
                tag: v1
            kubectl:
              image:
                repository: docker.io/bitnami/kubectl
                tag: "1.31"
        """,
        "templates/all.yaml": _pod("Deployment", "mixed",
            _c("proxy", "{{ .Values.proxy.image }}")
            + _c("app", '{{ printf "%s/%s:%s" .Values.app.image.registry .Values.app.image.repository .Values.app.image.tag }}')
            + _c("slash", '"{{ .Values.slash.image.registry }}{{ .Values.slash.image.repository }}:{{ .Values.slash.image.tag }}"')
            + _c("kubectl", '"{{ .Values.kubectl.image.repository }}:{{ .Values.kubectl.image.tag }}"'),
            init=_c("shell", "{{ .Values.shell.image | quote }}")),
    })


def flux_image_is_repository(root: Path) -> Path:
    """flux: each controller's ``image`` value holds the repository alone (host
    included, no tag) and ``tag`` sits beside it; a ``cli`` job image the same way;
    ``imagePullPolicy`` in the same map."""
    line = '"{{ .Values.%s.image }}:{{ .Values.%s.tag }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: gitops\nversion: 2.14.0\nappVersion: 2.4.0\n",
        "values.yaml": """
            helmController:
              image: ghcr.io/fluxcd/helm-controller
              tag: v1.1.0
              imagePullPolicy: ""
            sourceController:
              image: ghcr.io/fluxcd/source-controller
              tag: v1.4.1
            cli:
              image: ghcr.io/fluxcd/flux-cli
              tag: v2.4.0
        """,
        "templates/helm.yaml": _pod("Deployment", "helm-controller", _c("manager", line % ("helmController", "helmController"))),
        "templates/source.yaml": _pod("Deployment", "source-controller", _c("manager", line % ("sourceController", "sourceController"))),
        "templates/job.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-pre-delete
              annotations:
                helm.sh/hook: pre-delete
            spec:
              template:
                spec:
                  restartPolicy: Never
                  containers:
                    - name: cli
                      image: %s
        """ % (line % ("cli", "cli")),
    })


def one_map_many_containers(root: Path) -> Path:
    """metallb's speaker: one ``frr.image`` map (quay.io) runs four containers and two
    init containers; the speaker's own tag defaults to ``v``+appVersion."""
    frr = '"{{ .Values.speaker.frr.image.repository }}:{{ .Values.speaker.frr.image.tag }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: lb\nversion: 0.14.9\nappVersion: 0.14.9\n",
        "values.yaml": """
            speaker:
              image:
                repository: quay.io/metallb/speaker
                tag: ""
              frr:
                enabled: true
                image:
                  repository: quay.io/frrouting/frr
                  tag: 9.1.0
        """,
        "templates/speaker.yaml": _pod("DaemonSet", "speaker",
            _c("speaker", '"{{ .Values.speaker.image.repository }}:{{ .Values.speaker.image.tag | default (printf "v%s" .Chart.AppVersion) }}"')
            + _c("frr", frr) + _c("reloader", frr) + _c("frr-metrics", frr),
            init=_c("cp-frr-files", frr) + _c("cp-reloader", '"{{ .Values.speaker.image.repository }}:{{ .Values.speaker.image.tag | default (printf "v%s" .Chart.AppVersion) }}"')),
    })


def config_map_image_keys(root: Path) -> Path:
    """zalando postgres-operator / rook-ceph: the images the operator launches as
    ConfigMap keys (``docker_image``, ``logical_backup_docker_image``,
    ``connection_pooler_image``, ``ROOK_CSI_CEPH_IMAGE``) filled from values, and an
    env-file text (``CSI_REGISTRAR_IMAGE=...``); the operator's own image from
    ``image.{registry,repository,tag}``."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: pgop\nversion: 1.14.0\nappVersion: 1.14.0\n",
        "values.yaml": """
            image:
              registry: ghcr.io
              repository: zalando/postgres-operator
              tag: v1.14.0
            configGeneral:
              docker_image: ghcr.io/zalando/spilo-17:4.0-p2
            configLogicalBackup:
              logical_backup_docker_image: ghcr.io/zalando/postgres-operator/logical-backup:v1.14.0
            configConnectionPooler:
              connection_pooler_image: registry.opensource.zalan.do/acid/pgbouncer:master-32
            csi:
              cephcsi:
                repository: quay.io/cephcsi/cephcsi
                tag: v3.12.3
              registrar:
                repository: registry.k8s.io/sig-storage/csi-node-driver-registrar
                tag: v2.12.0
        """,
        "templates/configmap.yaml": """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-pgop
            data:
              docker_image: {{ .Values.configGeneral.docker_image }}
              logical_backup_docker_image: {{ .Values.configLogicalBackup.logical_backup_docker_image | quote }}
              connection_pooler_image: {{ .Values.configConnectionPooler.connection_pooler_image | quote }}
              workers: "8"
            ---
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{ .Release.Name }}-operator-config
            data:
              ROOK_CSI_CEPH_IMAGE: "{{ .Values.csi.cephcsi.repository }}:{{ .Values.csi.cephcsi.tag }}"
              ROOK_CSI_IMAGE_PULL_POLICY: IfNotPresent
              csi.env: |
                CSI_REGISTRAR_IMAGE={{ .Values.csi.registrar.repository }}:{{ .Values.csi.registrar.tag }}
                CSI_LOG_LEVEL=0
        """,
        "templates/operator.yaml": _pod("Deployment", "operator", _c(
            "postgres-operator", '"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })


def operator_env_registry_and_name(root: Path) -> Path:
    """mongodb community operator: the operand's image given as two env values the
    operator joins (``MONGODB_REPO_URL: quay.io/mongodb`` + ``MONGODB_IMAGE:
    mongodb-community-server``: a name, not a Docker Hub image); ``registry.*``
    values (host and namespace) shared by the operator's own image and
    ``AGENT_IMAGE``-style env images."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: mdbop\nversion: 0.12.0\nappVersion: 0.12.0\n",
        "values.yaml": """
            operator:
              operatorImageName: mongodb-kubernetes-operator
              version: 0.12.0
            agent:
              name: mongodb-agent-ubi
              version: 108.0.2.8729-1
            versionUpgradeHook:
              name: mongodb-kubernetes-operator-version-upgrade-post-start-hook
              version: 1.0.9
            mongodb:
              name: mongodb-community-server
              repo: quay.io/mongodb
            registry:
              agent: quay.io/mongodb
              versionUpgradeHook: quay.io/mongodb
              operator: quay.io/mongodb
              pullPolicy: Always
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
                    - name: operator
                      image: {{ .Values.registry.operator }}/{{ .Values.operator.operatorImageName }}:{{ .Values.operator.version }}
                      env:
                        - name: AGENT_IMAGE
                          value: "{{ .Values.registry.agent }}/{{ .Values.agent.name }}:{{ .Values.agent.version }}"
                        - name: VERSION_UPGRADE_HOOK_IMAGE
                          value: "{{ .Values.registry.versionUpgradeHook }}/{{ .Values.versionUpgradeHook.name }}:{{ .Values.versionUpgradeHook.version }}"
                        - name: MONGODB_IMAGE
                          value: {{ .Values.mongodb.name }}
                        - name: MONGODB_REPO_URL
                          value: {{ .Values.mongodb.repo }}
        """,
    })


def kong_unified_repo_tag(root: Path) -> Path:
    """Kong: ``unifiedRepoTag`` (a whole reference) wins when set, else
    ``repository:tag``; the official ``kong`` image with a tag YAML would read as a
    number were it not quoted; the ingress controller's own map; an empty
    ``unifiedRepoTag`` left in the values."""
    helper = """
        {{- define "kong.getRepoTag" -}}
        {{- if .unifiedRepoTag -}}
        {{- .unifiedRepoTag -}}
        {{- else if .repository -}}
        {{- .repository }}:{{ .tag -}}
        {{- end -}}
        {{- end -}}
    """
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: gateway\nversion: 2.46.0\nappVersion: \"3.9\"\n",
        "values.yaml": """
            image:
              repository: kong
              tag: "3.9"
              unifiedRepoTag: ""
            ingressController:
              image:
                repository: kong/kubernetes-ingress-controller
                tag: "3.4"
            waitImage:
              unifiedRepoTag: bash:5
        """,
        "templates/_helpers.tpl": helper,
        "templates/kong.yaml": _pod("Deployment", "kong",
            _c("proxy", '{{ include "kong.getRepoTag" .Values.image }}')
            + _c("ingress-controller", '{{ include "kong.getRepoTag" .Values.ingressController.image }}'),
            init=_c("wait-for-db", '{{ include "kong.getRepoTag" .Values.waitImage }}')),
    })


def trimmed_registry(root: Path) -> Path:
    """A registry value cleaned by the template (``trimSuffix "/"``, as many charts do
    with ``global.imageRegistry``), a repository lowered (``lower``), the tag from
    appVersion with ``v`` trimmed off and put back; and a registry value that has the
    trailing slash the template trims (``ghcr.io/``): the value and the text it renders
    differ by that slash only."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: trimmed\nversion: 1.0.0\nappVersion: v2.3.0\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: quay.io
              repository: Acme/App
              tag: ""
            helper:
              image:
                registry: docker.io
                repository: library/alpine
                tag: "3.21"
            slashed:
              image:
                registry: ghcr.io/
                repository: acme/slashed
                tag: v1
        """,
        "templates/all.yaml": _pod("Deployment", "trimmed",
            _c("app", '"{{ trimSuffix "/" (.Values.global.imageRegistry | default .Values.image.registry) }}/{{ lower .Values.image.repository }}:v{{ .Values.image.tag | default (trimPrefix "v" .Chart.AppVersion) }}"')
            + _c("helper", '"{{ trimSuffix "/" (.Values.global.imageRegistry | default .Values.helper.image.registry) }}/{{ .Values.helper.image.repository }}:{{ .Values.helper.image.tag }}"')
            + _c("slashed", '"{{ trimSuffix "/" .Values.slashed.image.registry }}/{{ .Values.slashed.image.repository }}:{{ .Values.slashed.image.tag }}"')),
    })


def full_image_name_or_parts(root: Path) -> Path:
    """opencost / node-exporter: ``fullImageName`` (null) wins when set, else
    ``registry/repository:tag`` with the tag ``v``+appVersion; ``image.sha`` that
    makes the render fail when set (``digest`` is the key to use); a
    ``global.imageRegistry`` (empty) over both images; the UI on ghcr.io."""
    main = '{{- if .Values.image.sha }}{{ fail "image.sha forbidden. Use image.digest instead" }}{{ end }}{{ if .Values.exporter.fullImageName }}{{ .Values.exporter.fullImageName }}{{ else }}{{ .Values.global.imageRegistry | default .Values.exporter.image.registry }}/{{ .Values.exporter.image.repository }}:{{ .Values.exporter.image.tag | default (printf "v%s" .Chart.AppVersion) }}{{ with .Values.image.digest }}@{{ . }}{{ end }}{{ end }}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: costs\nversion: 1.43.0\nappVersion: 1.113.0\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              sha: ""
              digest: ""
            exporter:
              fullImageName: null
              image:
                registry: ghcr.io
                repository: opencost/opencost
                tag: ""
            ui:
              fullImageName: null
              image:
                registry: ghcr.io
                repository: opencost/opencost-ui
                tag: "1.113.0"
        """,
        "templates/deploy.yaml": _pod("Deployment", "opencost",
            _c("exporter", '"%s"' % main)
            + _c("ui", '"{{ if .Values.ui.fullImageName }}{{ .Values.ui.fullImageName }}{{ else }}{{ .Values.global.imageRegistry | default .Values.ui.image.registry }}/{{ .Values.ui.image.repository }}:{{ .Values.ui.image.tag }}{{ end }}"')),
    })


def harbor_components_and_hook_job(root: Path) -> Path:
    """harbor / minio: one ``image.{repository,tag}`` map per component (``goharbor/
    harbor-core``, ``goharbor/registry-photon``: Docker Hub namespaced), minio's
    ``quay.io/minio/minio`` beside ``mcImage`` run by a post-install hook Job."""
    line = '"{{ .Values.%s.image.repository }}:{{ .Values.%s.image.tag }}"'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: harbor\nversion: 1.16.1\nappVersion: 2.12.1\n",
        "values.yaml": """
            core:
              image:
                repository: goharbor/harbor-core
                tag: v2.12.1
            registry:
              registry:
                image:
                  repository: goharbor/registry-photon
                  tag: v2.12.1
              controller:
                image:
                  repository: goharbor/harbor-registryctl
                  tag: v2.12.1
            store:
              image:
                repository: quay.io/minio/minio
                tag: RELEASE.2024-12-18T13-15-44Z
            mcImage:
              repository: quay.io/minio/mc
              tag: RELEASE.2024-11-21T17-21-54Z
        """,
        "templates/core.yaml": _pod("Deployment", "core", _c("core", line % ("core", "core"))),
        "templates/registry.yaml": _pod("Deployment", "registry",
            _c("registry", line % ("registry.registry", "registry.registry"))
            + _c("registryctl", line % ("registry.controller", "registry.controller"))),
        "templates/store.yaml": _pod("StatefulSet", "store", _c("minio", line % ("store", "store"))),
        "templates/post.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-post-job
              annotations:
                helm.sh/hook: post-install,post-upgrade
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                    - name: minio-make-bucket
                      image: "{{ .Values.mcImage.repository }}:{{ .Values.mcImage.tag }}"
        """,
    })


def registry_passed_to_operator(root: Path) -> Path:
    """ECK / tigera-operator / mongodb enterprise: one ``registry`` value composes the
    operator's own image and is passed, bare, to the operator (``--container-registry=``,
    an env value) which joins it to the operand names it knows; a second operator whose
    registry is Docker Hub's, passed the same way."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: regop\nversion: 1.0.0\nappVersion: 3.0.0\n",
        "values.yaml": """
            operator:
              registry: quay.io
              repository: acme/operator
              tag: v3.0.0
            other:
              registry: docker.io
              repository: acme/other-operator
              tag: "1.2"
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
                    - name: operator
                      image: "{{ .Values.operator.registry }}/{{ .Values.operator.repository }}:{{ .Values.operator.tag }}"
                      args:
                        - --container-registry={{ .Values.operator.registry }}
                    - name: other
                      image: "{{ .Values.other.registry }}/{{ .Values.other.repository }}:{{ .Values.other.tag }}"
                      env:
                        - name: OPERAND_REGISTRY
                          value: {{ .Values.other.registry | quote }}
        """,
    })


def image_name_and_puller(root: Path) -> Path:
    """zero-to-jupyterhub: ``image.{name,tag}`` maps (``name`` holds host and path);
    the single-user image, which the hub spawns, is also run by an image-puller
    DaemonSet's init container and handed to the hub in a Secret; ``registry.k8s.io``
    pause as the puller's container."""
    line = '"{{ .Values.%s.name }}:{{ .Values.%s.tag }}"'
    one = lambda path: line % (path, path)  # noqa: E731
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: hub\nversion: 4.0.0\nappVersion: 5.2.1\n",
        "values.yaml": """
            hub:
              image:
                name: quay.io/jupyterhub/k8s-hub
                tag: "4.0.0"
            proxy:
              chp:
                image:
                  name: quay.io/jupyterhub/configurable-http-proxy
                  tag: "4.6.2"
            singleuser:
              image:
                name: quay.io/jupyterhub/k8s-singleuser-sample
                tag: "4.0.0"
              networkTools:
                image:
                  name: quay.io/jupyterhub/k8s-network-tools
                  tag: "4.0.0"
            prePuller:
              pause:
                image:
                  name: registry.k8s.io/pause
                  tag: "3.10"
        """,
        "templates/hub.yaml": _pod("Deployment", "hub", _c("hub", one("hub.image"))),
        "templates/proxy.yaml": _pod("Deployment", "proxy", _c("chp", one("proxy.chp.image"))),
        "templates/puller.yaml": _pod("DaemonSet", "continuous-image-puller",
            _c("pause", one("prePuller.pause.image")),
            init=_c("image-pull-singleuser", one("singleuser.image")) + _c("image-pull-metadata-block", one("singleuser.networkTools.image"))),
        "templates/secret.yaml": """
            apiVersion: v1
            kind: Secret
            metadata:
              name: {{ .Release.Name }}-hub
            type: Opaque
            data:
              values.yaml: {{ pick .Values "singleuser" | toYaml | b64enc | quote }}
        """,
    })


def system_default_registry(root: Path) -> Path:
    """rancher: ``rancherImage`` (a name without tag under a key ending in ``Image``),
    ``rancherImageTag`` defaulting to appVersion, and a ``systemDefaultRegistry``
    (empty) put in front of every image by a helper that adds the ``/`` (and passed to
    the server in an env value); a post-delete hook Job with the same prefix."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: ranch\nversion: 2.10.1\nappVersion: v2.10.1\n",
        "values.yaml": """
            rancherImage: rancher/rancher
            rancherImageTag: ""
            systemDefaultRegistry: ""
            postDelete:
              image:
                repository: rancher/shell
                tag: v0.3.0
        """,
        "templates/_helpers.tpl": """
            {{- define "system_default_registry" -}}
            {{- if .Values.systemDefaultRegistry -}}{{- printf "%s/" .Values.systemDefaultRegistry -}}{{- end -}}
            {{- end -}}
        """,
        "templates/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-rancher
            spec:
              template:
                spec:
                  containers:
                    - name: rancher
                      image: "{{ include "system_default_registry" . }}{{ .Values.rancherImage }}:{{ default .Chart.AppVersion .Values.rancherImageTag }}"
                      env:
                        - name: CATTLE_SYSTEM_DEFAULT_REGISTRY
                          value: "{{ .Values.systemDefaultRegistry }}"
        """,
        "templates/post-delete.yaml": """
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-post-delete
              annotations:
                helm.sh/hook: post-delete
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  containers:
                    - name: rancher-post-delete
                      image: "{{ include "system_default_registry" . }}{{ .Values.postDelete.image.repository }}:{{ .Values.postDelete.image.tag }}"
        """,
    })


def subchart_global_default(root: Path) -> Path:
    """A subchart whose own values default ``global.imageRegistry: docker.io`` (the
    parent sets no ``global.imageRegistry``) and join it to every repository, while the
    parent's quay.io image takes ``global.imageRegistry`` over its own registry when
    set: a parent-wide value would move the quay.io image to Docker Hub's prefix."""
    write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: parent
            version: 1.0.0
            dependencies:
              - name: cache
                version: 1.x.x
        """,
        "values.yaml": """
            image:
              registry: quay.io
              repository: acme/web
              tag: "2.1"
        """,
        "templates/web.yaml": _pod("Deployment", "web", _c(
            "web", '"{{ (.Values.global).imageRegistry | default .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')),
    })
    write(root / "charts" / "cache", {
        "Chart.yaml": "apiVersion: v2\nname: cache\nversion: 1.2.0\n",
        "values.yaml": """
            global:
              imageRegistry: docker.io
            image:
              repository: bitnami/valkey
              tag: "8.0"
            exporter:
              image:
                repository: oliver006/redis_exporter
                tag: v1.66.0
        """,
        "templates/cache.yaml": _pod("StatefulSet", "cache",
            _c("valkey", '"{{ .Values.global.imageRegistry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')
            + _c("metrics", '"{{ .Values.global.imageRegistry }}/{{ .Values.exporter.image.repository }}:{{ .Values.exporter.image.tag }}"')),
    })
    return root


def container_registry_prefix(root: Path) -> Path:
    """aws-ebs-csi-driver: ``printf "%s%s:%s" (default "" image.containerRegistry)
    repository tag`` for the plugin and every sidecar (the prefix empty, each
    repository on public.ecr.aws, the plugin's tag ``v``+appVersion through
    ``toString``); eks-pod-identity-agent: ``containerRegistry`` (a regional ECR host)
    + a path written in the template, which must stay as it is."""
    line = '{{ printf "%%s%%s:%%s" (default "" .Values.image.containerRegistry) .Values.%s.repository (default (printf "v%%s" .Chart.AppVersion) (toString .Values.%s.tag)) }}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: ebs\nversion: 2.38.1\nappVersion: 1.38.1\n",
        "values.yaml": """
            image:
              containerRegistry: ""
              repository: public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver
              tag: ""
            sidecars:
              nodeDriverRegistrar:
                image:
                  repository: public.ecr.aws/eks-distro/kubernetes-csi/node-driver-registrar
                  tag: v2.12.0-eks-1-31-11
              livenessProbe:
                image:
                  repository: public.ecr.aws/eks-distro/kubernetes-csi/livenessprobe
                  tag: v2.14.0-eks-1-31-11
            agent:
              image:
                containerRegistry: 602401143452.dkr.ecr.us-west-2.amazonaws.com
                tag: 0.1.10
                override: ""
        """,
        "templates/node.yaml": _pod("DaemonSet", "ebs-csi-node",
            _c("ebs-plugin", line % ("image", "image"))
            + _c("node-driver-registrar", line % ("sidecars.nodeDriverRegistrar.image", "sidecars.nodeDriverRegistrar.image"))
            + _c("liveness-probe", line % ("sidecars.livenessProbe.image", "sidecars.livenessProbe.image"))),
        "templates/agent.yaml": _pod("DaemonSet", "pod-identity", _c(
            "agent", '"{{ if .Values.agent.image.override }}{{ .Values.agent.image.override }}{{ else }}{{ printf "%s/eks/eks-pod-identity-agent:%s" .Values.agent.image.containerRegistry .Values.agent.image.tag }}{{ end }}"')),
    })


def registry_checked_by_template(root: Path) -> Path:
    """A template that ``fail``s unless ``image.registry`` is a bare host
    (``regexMatch``), shared by two images of one upstream: the override must be one
    the template accepts (``<registry>`` + a repository under the prefix)."""
    check = '{{- if not (regexMatch "^[a-z0-9.:-]+$" .Values.image.registry) }}{{ fail "image.registry must be a host name, without a path" }}{{- end }}'
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: checked\nversion: 1.0.0\n",
        "values.yaml": """
            image:
              registry: quay.io
              repository: acme/api
              tag: "1.4"
            worker:
              repository: acme/worker
              tag: "1.4"
        """,
        "templates/all.yaml": check + _pod("Deployment", "checked",
            _c("api", '"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag }}"')
            + _c("worker", '"{{ .Values.image.registry }}/{{ .Values.worker.repository }}:{{ .Values.worker.tag }}"')),
    })


def bitnami_check_in_notes(root: Path) -> Path:
    """Bitnami 2024+: the image check runs in ``NOTES.txt`` and tells apart a
    *relocated* image (a registry the chart's ``images`` annotation does not name: a
    warning only) from a *replaced* or *retagged* one (the render fails unless
    ``global.security.allowInsecureImages``); ``global.imageRegistry`` (empty) over each
    image's registry; the tag from appVersion when empty; metrics and
    volumePermissions images."""
    helper = '{{ include "b.image" (dict "imageRoot" .Values.%s "global" .Values.global "chart" .Chart) }}'
    return write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: queue
            version: 15.2.0
            appVersion: 4.0.5
            annotations:
              images: |
                - name: rabbitmq
                  image: docker.io/bitnami/rabbitmq:4.0.5-debian-12-r1
                - name: os-shell
                  image: docker.io/bitnami/os-shell:12-debian-12-r35
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
              security:
                allowInsecureImages: false
            image:
              registry: docker.io
              repository: bitnami/rabbitmq
              tag: 4.0.5-debian-12-r1
              digest: ""
            volumePermissions:
              enabled: true
              image:
                registry: docker.io
                repository: bitnami/os-shell
                tag: 12-debian-12-r35
                digest: ""
        """,
        "templates/_helpers.tpl": """
            {{- define "b.image" -}}
            {{- $registryName := default .imageRoot.registry ((.global).imageRegistry) -}}
            {{- $termination := .imageRoot.tag | toString -}}
            {{- if not .imageRoot.tag -}}{{- $termination = .chart.AppVersion | toString -}}{{- end -}}
            {{- $separator := ":" -}}
            {{- if .imageRoot.digest -}}{{- $separator = "@" -}}{{- $termination = .imageRoot.digest | toString -}}{{- end -}}
            {{- if $registryName -}}{{- printf "%s/%s%s%s" $registryName .imageRoot.repository $separator $termination -}}{{- else -}}{{- printf "%s%s%s" .imageRoot.repository $separator $termination -}}{{- end -}}
            {{- end -}}
            {{- define "b.checkImages" -}}
            {{- $replaced := list -}}
            {{- $globalRegistry := ((.context.Values.global).imageRegistry) -}}
            {{- $original := .context.Chart.Annotations.images -}}
            {{- range .images -}}
            {{- $registryName := default .registry $globalRegistry -}}
            {{- $noTag := printf "%s/%s" $registryName .repository -}}
            {{- $full := printf "%s:%s" $noTag (toString .tag) -}}
            {{- if and (not (contains $full $original)) (contains $registryName $original) -}}
            {{- $replaced = append $replaced $full -}}
            {{- end -}}
            {{- end -}}
            {{- if and $replaced (not ((.context.Values.global).security).allowInsecureImages) -}}
            {{- fail (printf "Original containers have been substituted for unrecognized ones: %s" (join ", " $replaced)) -}}
            {{- end -}}
            {{- end -}}
        """,
        "templates/NOTES.txt": """
            {{- include "b.checkImages" (dict "images" (list .Values.image .Values.volumePermissions.image) "context" $) }}
            RabbitMQ is running.
        """,
        "templates/sts.yaml": _pod("StatefulSet", "rabbitmq", _c("rabbitmq", helper % "image"),
                                   init=_c("volume-permissions", helper % "volumePermissions.image")),
    })


def docker_registry_prefix_helper(root: Path) -> Path:
    """opensearch: a ``global.dockerRegistry`` (empty) prefix helper that trims and adds
    the ``/`` (``trimSuffix "/" | printf "%s/"``), put in front of a namespaced image
    and of an init container's official ``busybox`` (``persistence.image``, whose tag
    defaults to ``latest`` in the template): one chart-wide ``<registry>/docker-hub``
    would lose busybox's ``library/``."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: search\nversion: 2.27.1\nappVersion: 2.18.0\n",
        "values.yaml": """
            global:
              dockerRegistry: ""
            image:
              repository: opensearchproject/opensearch
              tag: ""
            persistence:
              enabled: true
              image: busybox
              imageTag: ""
        """,
        "templates/_helpers.tpl": """
            {{- define "os.dockerRegistry" -}}
            {{- if eq .Values.global.dockerRegistry "" -}}{{- .Values.global.dockerRegistry -}}{{- else -}}{{- .Values.global.dockerRegistry | trimSuffix "/" | printf "%s/" -}}{{- end -}}
            {{- end -}}
        """,
        "templates/sts.yaml": _pod("StatefulSet", "opensearch",
            _c("opensearch", '"{{ template "os.dockerRegistry" . }}{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"'),
            init=_c("fsgroup-volume", '"{{ template "os.dockerRegistry" . }}{{ .Values.persistence.image | default "busybox" }}:{{ .Values.persistence.imageTag | default "latest" }}"')),
    })


def insecure_check_flag_refused(root: Path) -> Path:
    """A Bitnami-style check that fails the render whenever an image is substituted
    unless ``global.security.allowInsecureImages``, in a chart whose schema allows no
    ``global.security`` at all: no override renders, so nothing may be written."""
    return write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: locked
            version: 1.0.0
            annotations:
              images: |
                - name: nginx
                  image: docker.io/bitnami/nginx:1.27.3
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: docker.io
              repository: bitnami/nginx
              tag: 1.27.3
        """,
        "values.schema.json": '{"type": "object", "properties": {"global": {"type": "object", "additionalProperties": false, "properties": {"imageRegistry": {"type": "string"}}}}}',
        "templates/deploy.yaml": """
            {{- $reg := default .Values.image.registry .Values.global.imageRegistry }}
            {{- $name := printf "%s/%s:%s" $reg .Values.image.repository .Values.image.tag }}
            {{- if and (not (contains $name .Chart.Annotations.images)) (not ((.Values.global).security).allowInsecureImages) }}
            {{- fail (printf "Original containers have been substituted: %s" $name) }}
            {{- end }}
        """ + _pod("Deployment", "locked", _c("nginx", '"{{ $name }}"')),
    })
