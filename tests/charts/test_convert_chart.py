"""``convert --chart`` / ``--apps``: overrides for every image, proven by rendering again."""

from __future__ import annotations

import json

import yaml

from tests.charts import charts, exact, gitops
from tests.charts.conftest import REGISTRY

# The quick-start's WordPress values, "Before".
WORDPRESS_BEFORE = """\
# WordPress (builder-space-argocd/environments/prod/spruch/values.yaml)
image:
  registry: docker.io
  repository: bitnami/wordpress
  tag: latest

mariadb:
  auth:
    database: spruch   # keep this comment
"""


def convert(run_cli, *argv):
    return run_cli("convert", "--registry", REGISTRY, *argv)


def images_check(run_cli, *argv):
    return run_cli("images", "--registry", REGISTRY, "--check", "-o", "json", *argv)


def test_wordpress_gets_subchart_init_and_cronjob_overrides_and_passes(run_cli, webapp, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text(WORDPRESS_BEFORE)
    before = images_check(run_cli, "--chart", str(webapp), "-f", str(values))
    assert before.code == 1  # subchart, init container and CronJob images bypass the cache

    dry = convert(run_cli, "--chart", str(webapp), "--values", str(values))
    assert dry.code == 0, dry.err
    assert values.read_text() == WORDPRESS_BEFORE  # a dry run writes nothing
    assert f"+  imageRegistry: {REGISTRY}/docker-hub" in dry.out  # the diff, for review
    rendered_before = exact.rendered(run_cli, webapp, "-f", str(values))

    result = convert(run_cli, "--chart", str(webapp), "--values", str(values), "--write")
    assert result.code == 0, result.out + result.err
    text = values.read_text()
    data = yaml.safe_load(text)
    # Bitnami's global.imageRegistry replaces the registry and keeps the path: one
    # override for the parent, its init container and the aliased subchart
    assert data["global"] == {
        "imageRegistry": f"{REGISTRY}/docker-hub", "security": {"allowInsecureImages": True}
    }
    assert data["backup"]["image"] == f"{REGISTRY}/docker-hub/library/busybox:1.36"
    assert data["mariadb"] == {"auth": {"database": "spruch"}}
    # surgical: every original line is still there, in order
    assert text.startswith(WORDPRESS_BEFORE)
    assert "proof: rendered again, container by container: 4 of 4 exactly" in result.out
    exact.assert_exact(rendered_before, exact.rendered(run_cli, webapp, "-f", str(values)))

    after = images_check(run_cli, "--chart", str(webapp), "-f", str(values))
    assert after.code == 0, after.out
    assert {i["status"] for i in json.loads(after.out)["images"]} == {"cached"}

    again = convert(run_cli, "--chart", str(webapp), "--values", str(values), "--check")
    assert again.code == 0 and "nothing to change" in again.out  # idempotent


def test_allow_insecure_images_only_when_the_render_needs_it(run_cli, chat, webapp, tmp_path):
    values = tmp_path / "chat.yaml"
    values.write_text("image:\n  tag: '6.13.1'\n")
    result = convert(run_cli, "--chart", str(chat), "-f", str(values), "--write",
                     "--alias", "registry.rocket.chat=docker.io")
    assert result.code == 0, result.out + result.err
    assert values.read_text() == (
        "image:\n  tag: '6.13.1'\n"
        f"  repository: {REGISTRY}/docker-hub/rocketchat/rocket.chat\n"
    )

    explicit = tmp_path / "wp.yaml"
    explicit.write_text("global:\n  security:\n    allowInsecureImages: false\n")
    result = convert(run_cli, "--chart", str(webapp), "-f", str(explicit), "--write")
    assert result.code == 0, result.out + result.err
    assert explicit.read_text().startswith("global:\n  security:\n    allowInsecureImages: true\n")


def test_uncacheable_images_are_reported_not_overridden(run_cli, chat, tmp_path):
    values = tmp_path / "chat.yaml"
    values.write_text("")
    result = convert(run_cli, "--chart", str(chat), "-f", str(values), "--write")
    assert result.code == 3  # done, with images left (each with a note)
    assert "cannot be cached" in result.out and "registry.rocket.chat" in result.out
    assert values.read_text() == ""  # nothing to write


def test_a_missing_values_file_is_an_error_never_created(run_cli, chat, tmp_path):
    """A typo in -f must not create a new file nobody reads (QA finding)."""
    values = tmp_path / "env" / "chat.yaml"
    values.parent.mkdir()
    for mode in ((), ("--write",)):
        result = convert(run_cli, "--chart", str(chat), "-f", str(values), *mode,
                         "--alias", "registry.rocket.chat=docker.io")
        assert result.code == 2
        assert result.err.strip() == (
            f"error: {values} does not exist; create it first (touch {values}) if you want "
            "the overrides written there")
        assert not values.exists() and result.out == ""
    earlier = tmp_path / "typo.yaml"
    result = convert(run_cli, "--chart", str(chat), "-f", str(earlier), "-f", str(values))
    assert result.code == 2 and f"{earlier} does not exist; check the --values path" in result.err
    result = convert(run_cli, "--chart", str(chat), "-f", str(values.parent))
    assert result.code == 2 and "is not a file" in result.err

    values.touch()  # what the message says to do: now the overrides go there
    result = convert(run_cli, "--chart", str(chat), "-f", str(values), "--write",
                     "--alias", "registry.rocket.chat=docker.io")
    assert result.code == 0, result.err
    assert yaml.safe_load(values.read_text())["image"]["repository"].startswith(REGISTRY)


def test_an_image_written_in_a_template_is_left_named_with_its_file(run_cli, webapp, tmp_path):
    charts.write(webapp, {"templates/hardcoded.yaml": """
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{ .Release.Name }}-exporter
        spec:
          containers:
            - name: exporter
              image: quay.io/prometheus/mysqld-exporter:v0.15.1
    """})
    values = tmp_path / "values.yaml"
    values.write_text(WORDPRESS_BEFORE)
    before = exact.rendered(run_cli, webapp, "-f", str(values))
    result = convert(run_cli, "--chart", str(webapp), "-f", str(values), "--write", "-o", "json")
    assert result.code == 3  # something is left for the user (with a note)
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and plan["written"]  # the rest is proven and written
    (left,) = plan["left"]
    assert "mysqld-exporter" in left and "webapp/templates/hardcoded.yaml" in left
    exact.assert_exact(before, exact.rendered(run_cli, webapp, "-f", str(values)),
                       left={"exporter"})


def test_a_value_a_later_input_sets_is_left_saying_where_to_convert_it(run_cli, webapp,
                                                                       tmp_path):
    """--set (like an Application's valuesObject/parameters) wins over the values file:
    the image it sets is left, with where to convert it; the rest is written."""
    values = tmp_path / "values.yaml"
    values.write_text(WORDPRESS_BEFORE)
    result = convert(run_cli, "--chart", str(webapp), "-f", str(values),
                     "--set", "backup.image=busybox:1.36", "--write", "-o", "json")
    assert result.code == 3
    (plan,) = json.loads(result.out)["releases"]
    assert plan["ok"] and plan["written"] and not plan["unresolved"]
    (why,) = plan["left"]
    assert "CronJob/webapp-backup container backup" in why
    assert "backup.image is set by --set backup.image=busybox:1.36" in why
    assert "backup" not in yaml.safe_load(values.read_text())


def test_failed_proof_writes_nothing(run_cli, tmp_path):
    """A chart whose render is not the same twice cannot be proven: nothing is written."""
    chart = charts.write(tmp_path / "random", {
        "Chart.yaml": "apiVersion: v2\nname: random\nversion: 1.0.0\n",
        "values.yaml": "image: nginx:1.27\n",
        "templates/pod.yaml": """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
                - name: web
                  image: {{ .Values.image }}
                - name: side
                  image: "busybox:{{ randAlphaNum 20 | lower }}"
        """,
    })
    values = tmp_path / "values.yaml"
    values.write_text("")
    result = convert(run_cli, "--chart", str(chart), "-f", str(values), "--write", "-o", "json")
    assert result.code == 2  # a proof that failed is an error
    (plan,) = json.loads(result.out)["releases"]
    assert not plan["ok"] and not plan["written"]
    (why,) = plan["unresolved"]
    assert why.startswith("Pod/p container side") and "would run busybox:" in why
    assert values.read_text() == ""


def test_render_failure_writes_nothing_and_says_why(run_cli, webapp, tmp_path):
    values = tmp_path / "values.yaml"
    values.write_text("image: nginx:1.27\n")
    result = convert(run_cli, "--chart", str(webapp), "-f", str(values), "--write")
    assert result.code == 2
    assert "ERROR, nothing written" in result.out and "can't evaluate field" in result.out
    assert values.read_text() == "image: nginx:1.27\n"


def test_images_in_lists_are_written_whole_or_in_place(run_cli, tmp_path):
    chart = charts.write(tmp_path / "sidecars", {
        "Chart.yaml": "apiVersion: v2\nname: sidecars\nversion: 1.0.0\n",
        "values.yaml": "sidecars:\n  - name: log\n    image: fluent/fluent-bit:3.1\n",
        "templates/pod.yaml": """
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              {{- range .Values.sidecars }}
                - name: {{ .name }}
                  image: {{ .image }}
              {{- end }}
        """,
    })
    values = tmp_path / "v.yaml"
    values.write_text("")
    before = exact.rendered(run_cli, chart, "-f", str(values))
    result = convert(run_cli, "--chart", str(chart), "-f", str(values), "--write")
    assert result.code == 0, result.out
    # Helm replaces a list whole: the chart's list is written with the image converted
    assert values.read_text() == ("sidecars:\n  - name: log\n"
                                  f"    image: {REGISTRY}/docker-hub/fluent/fluent-bit:3.1\n")
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(values)))
    # the list in the values file: the item is rewritten in place
    values.write_text("sidecars:\n  - name: log   # keep\n    image: fluent/fluent-bit:3.1\n")
    result = convert(run_cli, "--chart", str(chart), "-f", str(values), "--write")
    assert result.code == 0, result.out
    assert values.read_text() == ("sidecars:\n  - name: log   # keep\n"
                                  f"    image: {REGISTRY}/docker-hub/fluent/fluent-bit:3.1\n")


def test_whole_argocd_repository(run_cli, tmp_path):
    repo = gitops.write_repo(tmp_path / "argocd")
    prod = repo / "environments" / "prod" / "rocketchat" / "values.yaml"
    webapp_values = repo / "charts" / "webapp" / "values-prod.yaml"
    app = repo / "apps" / "spruch.yaml"
    argv = ("--apps", str(repo / "apps"), "--write", "--alias", "registry.rocket.chat=docker.io")
    result = convert(run_cli, *argv)
    # rocketchat is written ($values file); so is spruch, but its Application's
    # valuesObject sets backup.image, which wins over the values file: left, saying where
    assert result.code == 3
    assert prod.read_text().startswith(gitops.PROD_VALUES)  # appended, the rest kept
    assert "docker-hub/rocketchat/rocket.chat" in prod.read_text()
    assert webapp_values.read_text().startswith(gitops.WEBAPP_PROD_VALUES)
    assert "backup" not in webapp_values.read_text()
    assert "backup.image is set by Application spruch: valuesObject" in result.out

    # convert the Application manifest itself, as the message says; then it all passes
    assert convert(run_cli, "--files", str(app), "--write").code == 0
    result = convert(run_cli, *argv)
    assert result.code == 0, result.out + result.err
    assert f"imageRegistry: {REGISTRY}/docker-hub" in webapp_values.read_text()
    check = run_cli("images", str(repo), "--registry", REGISTRY, "--check")
    assert check.code == 0, check.out + check.err


def test_usage_errors(run_cli, webapp, tmp_path):
    assert convert(run_cli, "--chart", str(webapp)).code == 2  # no values file to write
    assert convert(run_cli, "--chart", str(webapp), "x.yaml").code == 2
    assert convert(run_cli, "--apps").code == 2
    assert convert(run_cli, "--chart", str(webapp), "--files", "x").code == 2


def test_argocd_optional_value_files_that_do_not_exist_yet_still_work(run_cli, tmp_path):
    """An Application may list value files that don't exist yet (ignoreMissingValueFiles):
    they are skipped, as ArgoCD does, the overrides go into the last one that exists, and
    the missing one is not created (the -f check is for --chart only)."""
    repo = gitops.write_repo(tmp_path / "argocd")
    (repo / "apps" / "spruch.yaml").unlink()
    manifest = repo / "apps" / "rocketchat.yaml"
    manifest.write_text(manifest.read_text().replace(
        "        valueFiles:\n          - $values/environments/prod/rocketchat/values.yaml\n",
        "        ignoreMissingValueFiles: true\n"
        "        valueFiles:\n          - $values/environments/prod/rocketchat/values.yaml\n"
        "          - $values/environments/prod/rocketchat/values-override.yaml\n"))
    prod = repo / "environments" / "prod" / "rocketchat" / "values.yaml"
    later = prod.with_name("values-override.yaml")
    result = convert(run_cli, "--apps", str(repo / "apps"), "--write",
                     "--alias", "registry.rocket.chat=docker.io")
    assert result.code == 0, result.out + result.err
    assert "docker-hub/rocketchat/rocket.chat" in prod.read_text()
    assert not later.exists()


def test_a_values_file_shared_by_two_applications_is_not_written(run_cli, tmp_path):
    repo = gitops.write_repo(tmp_path / "argocd")
    (repo / "apps" / "spruch.yaml").unlink()
    manifest = repo / "apps" / "rocketchat.yaml"
    (repo / "apps" / "rocketchat-eu.yaml").write_text(
        manifest.read_text().replace("name: rocketchat\n", "name: rocketchat-eu\n", 1))
    prod = repo / "environments" / "prod" / "rocketchat" / "values.yaml"
    result = convert(run_cli, "--apps", str(repo / "apps"), "--write",
                     "--alias", "registry.rocket.chat=docker.io")
    assert result.code == 2
    assert prod.read_text() == gitops.PROD_VALUES
    assert "is the values file of rocketchat-eu, rocketchat:" in result.out
