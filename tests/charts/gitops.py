"""An ArgoCD GitOps repository the tests write: Applications, charts, values."""

from __future__ import annotations

from pathlib import Path

from tests.charts import charts

SINGLE_SOURCE = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: spruch
  namespace: argocd
spec:
  project: default
  destination:
    server: https://kubernetes.default.svc
    namespace: spruch
  source:
    repoURL: https://github.com/example/builder-space-argocd.git
    targetRevision: main
    path: charts/webapp
    helm:
      releaseName: blog
      valueFiles:
        - values-prod.yaml
      valuesObject:
        backup:
          image: alpine:3.20
      parameters:
        - name: volumePermissions.image.tag
          value: "12-debian"
"""

MULTI_SOURCE = """
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: rocketchat
spec:
  destination:
    namespace: rocketchat
  sources:
    - repoURL: https://github.com/example/builder-space-argocd.git
      path: charts/chat
      targetRevision: main
      helm:
        valueFiles:
          - $values/environments/prod/rocketchat/values.yaml
    - repoURL: https://github.com/example/builder-space-argocd.git
      targetRevision: main
      ref: values
"""

PROD_VALUES = """\
# Rocket.Chat production values
image:
  tag: "6.13.1"
"""

WEBAPP_PROD_VALUES = """\
mariadb:
  enabled: true
"""


def write_repo(root: Path) -> Path:
    """A checkout with two Applications (single- and multi-source) and their charts."""
    (root / ".git").mkdir(parents=True)
    charts.webapp_chart(root / "charts" / "webapp")
    (root / "charts" / "webapp" / "values-prod.yaml").write_text(WEBAPP_PROD_VALUES)
    charts.chat_chart(root / "charts" / "chat")
    values = root / "environments" / "prod" / "rocketchat" / "values.yaml"
    values.parent.mkdir(parents=True)
    values.write_text(PROD_VALUES)
    apps = root / "apps"
    apps.mkdir()
    (apps / "spruch.yaml").write_text(SINGLE_SOURCE.lstrip())
    (apps / "rocketchat.yaml").write_text(MULTI_SOURCE.lstrip())
    (apps / "not-an-app.yaml").write_text("kind: ConfigMap\napiVersion: v1\n")
    (apps / "templated.yaml").write_text("name: {{ .Values.name }}\n  bad: [\n")
    return root


def oci_app(name: str, repo_url: str, chart: str, version: str, values_ref: str) -> str:
    """A multi-source Application: an OCI chart plus values from the git repo."""
    return f"""
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: {name}
spec:
  destination:
    namespace: {name}
  sources:
    - repoURL: {repo_url}
      chart: {chart}
      targetRevision: {version}
      helm:
        valueFiles:
          - $values/{values_ref}
    - repoURL: https://github.com/example/builder-space-argocd.git
      targetRevision: main
      ref: values
""".lstrip()
