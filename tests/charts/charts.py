# ruff: noqa: E501  (chart templates keep their real one-line shapes)
"""Small charts the tests write themselves, in the shapes real charts use.

* ``webapp``: a Bitnami-style parent.  ``image.{registry,repository,tag}`` with a
  default registry, ``global.imageRegistry``, an image-verification check that
  fails with Bitnami's "Original containers have been substituted" unless
  ``global.security.allowInsecureImages`` is true, an init container
  (``volumePermissions.image``), a CronJob with a plain ``image: repo:tag`` string,
  a library chart (``common``) holding the image helpers, and a database subchart
  (``db``) under the alias ``mariadb``.
* ``chat``: Rocket.Chat-style ``image.repository`` holding a full reference with
  host and no tag (the chart's appVersion is the tag).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

COMMON_HELPERS = """\
{{/* Bitnami-style image helpers (a library chart, as bitnami/common is). */}}
{{- define "common.images.image" -}}
{{- $registry := .imageRoot.registry -}}
{{- if and .global .global.imageRegistry -}}{{- $registry = .global.imageRegistry -}}{{- end -}}
{{- $ref := printf "%s:%s" .imageRoot.repository (toString .imageRoot.tag) -}}
{{- if .imageRoot.digest -}}{{- $ref = printf "%s@%s" .imageRoot.repository .imageRoot.digest -}}{{- end -}}
{{- if $registry -}}{{- printf "%s/%s" $registry $ref -}}{{- else -}}{{- $ref -}}{{- end -}}
{{- end -}}

{{/* Fails like Bitnami's common.errors.insecureImages when an image is relocated. */}}
{{- define "common.errors.insecureImages" -}}
{{- $allowed := false -}}
{{- if and .context.Values.global .context.Values.global.security -}}
{{- $allowed = .context.Values.global.security.allowInsecureImages -}}
{{- end -}}
{{- $substituted := list -}}
{{- range .images -}}
{{- $registry := .registry -}}
{{- if and $.context.Values.global $.context.Values.global.imageRegistry -}}{{- $registry = $.context.Values.global.imageRegistry -}}{{- end -}}
{{- $name := printf "%s/%s" $registry .repository -}}
{{- if not (contains $name $.context.Chart.Annotations.images) -}}
{{- $substituted = append $substituted $name -}}
{{- end -}}
{{- end -}}
{{- if and $substituted (not $allowed) -}}
{{- fail (printf "\\n\\nERROR: Original containers have been substituted for unrecognized ones. Deploying this chart with non-standard containers is likely to cause degraded security and performance, broken chart features, and missing environment variables.\\n\\nUnrecognized images:\\n  - %s\\n\\nIf you are sure you want to proceed with non-standard containers, you can skip container image verification by setting the global parameter 'global.security.allowInsecureImages' to true." (join "\\n  - " $substituted)) -}}
{{- end -}}
{{- end -}}
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def library_chart(root: Path) -> Path:
    return write(
        root,
        {
            "Chart.yaml": """
                apiVersion: v2
                name: common
                type: library
                version: 2.0.0
            """,
            "templates/_images.tpl": COMMON_HELPERS,
        },
    )


def db_chart(root: Path) -> Path:
    write(
        root,
        {
            "Chart.yaml": """
                apiVersion: v2
                name: db
                version: 11.0.0
                annotations:
                  images: |
                    - name: mariadb
                      image: docker.io/bitnami/mariadb:11.4
                dependencies:
                  - name: common
                    version: 2.x.x
            """,
            "values.yaml": """
                global:
                  imageRegistry: ""
                image:
                  registry: docker.io
                  repository: bitnami/mariadb
                  tag: "11.4"
                  digest: ""
            """,
            "templates/statefulset.yaml": """
                {{- include "common.errors.insecureImages" (dict "images" (list .Values.image) "context" $) }}
                apiVersion: apps/v1
                kind: StatefulSet
                metadata:
                  name: {{ .Release.Name }}-mariadb
                spec:
                  template:
                    spec:
                      containers:
                        - name: mariadb
                          image: {{ include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global) }}
            """,
        },
    )
    library_chart(root / "charts" / "common")
    return root


def webapp_chart(root: Path) -> Path:
    """The WordPress-shaped parent; returns the chart directory."""
    write(
        root,
        {
            "Chart.yaml": """
                apiVersion: v2
                name: webapp
                version: 24.0.0
                appVersion: "6.7.1"
                annotations:
                  images: |
                    - name: wordpress
                      image: docker.io/bitnami/wordpress:6.7.1
                    - name: os-shell
                      image: docker.io/bitnami/os-shell:12
                dependencies:
                  - name: db
                    version: 11.x.x
                    repository: oci://registry-1.docker.io/bitnamicharts
                    alias: mariadb
                    condition: mariadb.enabled
                  - name: common
                    version: 2.x.x
                    repository: oci://registry-1.docker.io/bitnamicharts
            """,
            "values.yaml": """
                # WordPress-like defaults
                global:
                  imageRegistry: ""
                  security:
                    allowInsecureImages: false
                image:
                  registry: docker.io
                  repository: bitnami/wordpress
                  tag: 6.7.1
                  digest: ""
                volumePermissions:
                  enabled: true
                  image:
                    registry: docker.io
                    repository: bitnami/os-shell
                    tag: "12"
                backup:
                  image: busybox:1.36
                  schedule: "0 3 * * *"
                mariadb:
                  enabled: true
            """,
            "templates/deployment.yaml": """
                {{- include "common.errors.insecureImages" (dict "images" (list .Values.image .Values.volumePermissions.image) "context" $) }}
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: {{ .Release.Name }}-wordpress
                  namespace: {{ .Release.Namespace }}
                spec:
                  template:
                    spec:
                      {{- if .Values.volumePermissions.enabled }}
                      initContainers:
                        - name: volume-permissions
                          image: {{ include "common.images.image" (dict "imageRoot" .Values.volumePermissions.image "global" .Values.global) }}
                      {{- end }}
                      containers:
                        - name: wordpress
                          image: {{ include "common.images.image" (dict "imageRoot" .Values.image "global" .Values.global) }}
            """,
            "templates/cronjob.yaml": """
                apiVersion: batch/v1
                kind: CronJob
                metadata:
                  name: {{ .Release.Name }}-backup
                spec:
                  schedule: {{ .Values.backup.schedule | quote }}
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          restartPolicy: OnFailure
                          containers:
                            - name: backup
                              image: {{ .Values.backup.image | quote }}
            """,
            "templates/NOTES.txt": "WordPress is running.\n",
        },
    )
    db_chart(root / "charts" / "db")
    library_chart(root / "charts" / "common")
    return root


def chat_chart(root: Path) -> Path:
    """Rocket.Chat-shaped: repository holds host and path; the tag defaults to appVersion."""
    return write(
        root,
        {
            "Chart.yaml": """
                apiVersion: v2
                name: chat
                version: 6.0.0
                appVersion: "6.12.0"
            """,
            "values.yaml": """
                image:
                  repository: registry.rocket.chat/rocketchat/rocket.chat
                  tag: ""
                  pullPolicy: IfNotPresent
            """,
            "templates/deployment.yaml": """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: {{ .Release.Name }}-rocketchat
                spec:
                  template:
                    spec:
                      containers:
                        - name: rocketchat
                          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
            """,
        },
    )
