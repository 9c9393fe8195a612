# ruff: noqa: E501  (chart templates keep their real one-line shapes)
"""Charts whose images depend on what is turned on, written for these tests.

* :func:`rbac_proxy_sidecar`: a chart-wide ``global.imageRegistry`` that every image
  falls back from, and a quay.io kube-rbac-proxy sidecar behind
  ``kubeRbacProxy.enabled: false``;
* :func:`memcached_subchart`: an official Docker Hub image (``memcached``, which needs
  ``library/``) in a subchart behind a ``condition``, sharing the parent's
  ``global.imageRegistry``; a ``tags`` dependency too;
* :func:`needs_a_value`: a template with ``required`` (and a ``fail``), so the chart does
  not render from its defaults;
* :func:`random_names`: test pods and jobs named with ``randAlphaNum``, ``uuidv4`` and
  ``now``, a container named at random too;
* :func:`exclusive_switches`: two switches that ``fail`` together.
"""

from __future__ import annotations

from pathlib import Path

from tests.charts.charts import write

REGISTRY_OF = '{{ .Values.global.imageRegistry | default %s.registry }}/{{ %s.repository }}:{{ %s.tag }}'


def _image(values: str) -> str:
    return REGISTRY_OF % (values, values, values)


def rbac_proxy_sidecar(root: Path) -> Path:
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: exporter\nversion: 1.0.0\n",
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: docker.io
              repository: acme/exporter
              tag: "2.1"
            kubeRbacProxy:
              enabled: false
              image:
                registry: quay.io
                repository: brancz/kube-rbac-proxy
                tag: v0.18.0
        """,
        "templates/deployment.yaml": f"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{{{ .Release.Name }}}}
            spec:
              template:
                spec:
                  containers:
                    - name: exporter
                      image: "{_image('.Values.image')}"
                    {{{{- if .Values.kubeRbacProxy.enabled }}}}
                    - name: kube-rbac-proxy
                      image: "{_image('.Values.kubeRbacProxy.image')}"
                    {{{{- end }}}}
        """,
    })


def memcached_subchart(root: Path) -> Path:
    write(root / "charts" / "memcached", {
        "Chart.yaml": "apiVersion: v2\nname: memcached\nversion: 0.1.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: memcached
              tag: "1.6.29"
        """,
        "templates/deployment.yaml": f"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{{{ .Release.Name }}}}-memcached
            spec:
              template:
                spec:
                  containers:
                    - name: memcached
                      image: "{_image('.Values.image')}"
        """,
    })
    write(root / "charts" / "redis", {
        "Chart.yaml": "apiVersion: v2\nname: redis\nversion: 0.1.0\n",
        "values.yaml": """
            image:
              registry: docker.io
              repository: redis
              tag: "7.4"
        """,
        "templates/statefulset.yaml": f"""
            apiVersion: apps/v1
            kind: StatefulSet
            metadata:
              name: {{{{ .Release.Name }}}}-redis
            spec:
              template:
                spec:
                  containers:
                    - name: redis
                      image: "{_image('.Values.image')}"
        """,
    })
    return write(root, {
        "Chart.yaml": """
            apiVersion: v2
            name: webshop
            version: 1.0.0
            dependencies:
              - name: memcached
                version: 0.1.0
                condition: memcached.enabled
              - name: redis
                version: 0.1.0
                tags: [cache]
        """,
        "values.yaml": """
            global:
              imageRegistry: ""
            image:
              registry: docker.io
              repository: acme/webshop
              tag: "3.0"
            memcached:
              enabled: false
            tags:
              cache: false
        """,
        "templates/deployment.yaml": f"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{{{ .Release.Name }}}}
            spec:
              template:
                spec:
                  containers:
                    - name: shop
                      image: "{_image('.Values.image')}"
        """,
    })


def needs_a_value(root: Path) -> Path:
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: portal\nversion: 1.0.0\n",
        "values.yaml": """
            host: ""
            image:
              repository: ghcr.io/acme/portal
              tag: "5.2"
            worker:
              enabled: false
              image: docker.io/acme/worker:1.1
        """,
        "templates/deployment.yaml": """
            {{- $host := required "host is required: set it to the portal's public host name" .Values.host }}
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}
              annotations:
                host: {{ $host }}
            spec:
              template:
                spec:
                  containers:
                    - name: portal
                      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        """,
        "templates/worker.yaml": """
            {{- if .Values.worker.enabled }}
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}-worker
            spec:
              template:
                spec:
                  containers:
                    - name: worker
                      image: {{ .Values.worker.image }}
            {{- end }}
        """,
    })


def random_names(root: Path) -> Path:
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: dice\nversion: 1.0.0\n",
        "values.yaml": """
            image:
              repository: quay.io/acme/dice
              tag: "0.9"
            test:
              image: busybox:1.36
        """,
        "templates/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}
            spec:
              template:
                spec:
                  containers:
                    - name: dice
                      image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
        """,
        "templates/tests/test-pod.yaml": """
            apiVersion: v1
            kind: Pod
            metadata:
              name: {{ .Release.Name }}-test-{{ randAlphaNum 6 | lower }}
              annotations:
                helm.sh/hook: test
            spec:
              containers:
                - name: probe-{{ randAlpha 4 | lower }}
                  image: {{ .Values.test.image }}
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: {{ .Release.Name }}-{{ uuidv4 }}
            spec:
              template:
                spec:
                  containers:
                    - name: check-{{ now | unixEpoch }}
                      image: {{ .Values.test.image }}
        """,
    })


def exclusive_switches(root: Path) -> Path:
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: storage\nversion: 1.0.0\n",
        "values.yaml": """
            s3:
              enabled: false
              image: docker.io/minio/mc:RELEASE.2024-01-01
            gcs:
              enabled: false
              image: quay.io/acme/gcs-sync:2.0
            image: docker.io/acme/storage:1.0
        """,
        "templates/deployment.yaml": """
            {{- if and .Values.s3.enabled .Values.gcs.enabled }}
            {{- fail "s3.enabled and gcs.enabled cannot both be true" }}
            {{- end }}
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}
            spec:
              template:
                spec:
                  containers:
                    - name: storage
                      image: {{ .Values.image }}
                    {{- if .Values.s3.enabled }}
                    - name: s3
                      image: {{ .Values.s3.image }}
                    {{- end }}
                    {{- if .Values.gcs.enabled }}
                    - name: gcs
                      image: {{ .Values.gcs.image }}
                    {{- end }}
        """,
    })


def switch_needing_a_value(root: Path) -> Path:
    """``backup.enabled`` renders only with ``backup.bucket`` set: not coverable."""
    return write(root, {
        "Chart.yaml": "apiVersion: v2\nname: vault\nversion: 1.0.0\n",
        "values.yaml": """
            image: docker.io/acme/vault:1.0
            backup:
              enabled: false
              bucket: ""
              image: docker.io/amazon/aws-cli:2.17.0
        """,
        "templates/deployment.yaml": """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{ .Release.Name }}
            spec:
              template:
                spec:
                  containers:
                    - name: vault
                      image: {{ .Values.image }}
                    {{- if .Values.backup.enabled }}
                    - name: backup
                      image: {{ .Values.backup.image }}
                      args: [{{ required "backup.bucket is required when backup.enabled is true" .Values.backup.bucket | quote }}]
                    {{- end }}
        """,
    })
