"""A conversion is proven over everything a chart can run (issue 19): the release's
render and the renders with its component switches on; proof keys that random names
cannot break; charts that need a value before they render."""

from __future__ import annotations

import json
from pathlib import Path

from tests.charts import exact, switch_shapes
from tests.charts.conftest import REGISTRY


def _convert(run_cli, chart: Path, values: Path, *extra: str):
    return run_cli("convert", "--registry", REGISTRY, "--chart", str(chart),
                   "-f", str(values), "--write", *extra)


def _exact_everywhere(run_cli, chart: Path, values: Path, before_text: str,
                      *switched: str) -> None:
    """Every container, as given and with ``switched`` on, runs exactly the cache
    reference of what it ran before the conversion."""
    after_text = values.read_text()
    for argv in ([], [a for s in switched for a in ("--set", s)]):
        values.write_text(before_text)
        before = exact.rendered(run_cli, chart, "-f", str(values), *argv)
        values.write_text(after_text)
        after = exact.rendered(run_cli, chart, "-f", str(values), *argv)
        exact.assert_exact(before, after)


def test_switches_come_from_the_values_and_templates(tmp_path):
    from ecr.charts import switches
    from ecr.charts.defaults import chart_defaults

    chart = switch_shapes.memcached_subchart(tmp_path / "shop")

    found = {s.name: s.origin for s in switches.find(chart, chart_defaults(chart))}
    assert set(found) == {"memcached.enabled", "tags.cache"}
    assert "condition" in found["memcached.enabled"] and "tags" in found["tags.cache"]
    proxy = switch_shapes.rbac_proxy_sidecar(tmp_path / "proxy")
    found = {s.name: s.origin for s in switches.find(proxy, chart_defaults(proxy))}
    assert found == {"kubeRbacProxy.enabled": "templates/deployment.yaml"}
    # a switch the user's values already turn on is not one to turn on
    assert switches.find(proxy, {"kubeRbacProxy": {"enabled": True}}) == []


def test_a_chart_wide_registry_is_not_written_over_a_quay_sidecar_behind_a_switch(
        run_cli, tmp_path):
    chart = switch_shapes.rbac_proxy_sidecar(tmp_path / "exporter")
    values = tmp_path / "prod.yaml"
    values.write_text("replicas: 1\n")
    result = _convert(run_cli, chart, values)
    assert result.code == 0, result.out + result.err
    written = values.read_text()
    assert "imageRegistry" not in written  # it would send the sidecar to docker-hub/
    assert f"{REGISTRY}/quay" in written
    assert "with every component switch on" in result.out
    _exact_everywhere(run_cli, chart, values, "replicas: 1\n", "kubeRbacProxy.enabled=true")


def test_an_official_image_in_a_subchart_behind_a_condition_keeps_library(
        run_cli, tmp_path):
    chart = switch_shapes.memcached_subchart(tmp_path / "shop")
    values = tmp_path / "prod.yaml"
    values.write_text("{}\n")
    result = _convert(run_cli, chart, values)
    assert result.code == 0, result.out + result.err
    _exact_everywhere(run_cli, chart, values, "{}\n", "memcached.enabled=true",
                      "tags.cache=true")
    document = json.loads(run_cli("convert", "--registry", REGISTRY, "--chart", str(chart),
                                  "-f", str(values), "-o", "json").out)
    assert document["releases"][0]["changed"] is False  # converting again: nothing


def test_switches_that_exclude_each_other_are_proven_in_renders_that_work(
        run_cli, tmp_path):
    chart = switch_shapes.exclusive_switches(tmp_path / "storage")
    values = tmp_path / "v.yaml"
    values.write_text("{}\n")
    result = _convert(run_cli, chart, values)
    assert result.code == 0, result.out + result.err
    assert "with s3.enabled on" in result.out and "with gcs.enabled on" in result.out
    written = values.read_text()
    assert f"{REGISTRY}/docker-hub/minio/mc" in written
    assert f"{REGISTRY}/quay/acme/gcs-sync" in written
    for switch in ("s3.enabled=true", "gcs.enabled=true"):
        _exact_everywhere(run_cli, chart, values, "{}\n", switch)


def test_random_names_cannot_fail_the_proof(run_cli, tmp_path):
    chart = switch_shapes.random_names(tmp_path / "dice")
    values = tmp_path / "v.yaml"
    values.write_text("{}\n")
    result = _convert(run_cli, chart, values)
    assert result.code == 0, result.out + result.err
    assert "marker values" not in result.out + result.err
    assert "PROOF FAILED" not in result.out
    written = values.read_text()
    assert f"{REGISTRY}/docker-hub/library/busybox:1.36" in written
    assert f"{REGISTRY}/quay/acme/dice" in written


def test_a_chart_that_needs_a_value_says_which_and_takes_it_from_set(run_cli, tmp_path):
    chart = switch_shapes.needs_a_value(tmp_path / "portal")
    values = chart / "values.yaml"
    original = values.read_text()
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(values), "--write")
    assert result.code == 2
    said = result.out + result.err
    assert "host is required: set it to the portal's public host name" in said
    assert "--set" in said  # says how to give it
    for image in ("ghcr.io/acme/portal:5.2", "docker.io/acme/worker:1.1"):
        assert f"left for you: {image}" in said  # every image value listed, with why
    assert values.read_text() == original

    result = run_cli("convert", "--registry", REGISTRY, "--files", str(values), "--write",
                     "--set", "host=portal.example.com")
    assert result.code == 0, result.out + result.err
    written = values.read_text()
    assert f"{REGISTRY}/github/acme/portal" in written
    assert f"{REGISTRY}/docker-hub/acme/worker:1.1" in written  # behind worker.enabled
    assert "2 images converted" in result.out
    (tmp_path / "host.yaml").write_text("host: portal.example.com\n")
    values.write_text(original)
    before = exact.rendered(run_cli, chart, "-f", str(tmp_path / "host.yaml"),
                            "--set", "worker.enabled=true")
    values.write_text(written)
    after = exact.rendered(run_cli, chart, "-f", str(tmp_path / "host.yaml"),
                           "--set", "worker.enabled=true")
    exact.assert_exact(before, after)



def test_an_image_value_no_render_reads_is_listed_with_its_reason(run_cli, tmp_path):
    chart = switch_shapes.random_names(tmp_path / "dice")
    values = chart / "values.yaml"
    values.write_text(values.read_text() + "legacy:\n  image: docker.io/acme/old:0.1\n")
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(values), "--write")
    assert result.code == 3, result.out + result.err  # done, one image left with a note
    assert (f"left for you: docker.io/acme/old:0.1 ({values}:7 legacy.image): no render "
            "of the chart reads it") in result.out
    assert "docker.io/acme/old:0.1" in values.read_text()  # never rewritten on its own
    assert f"{REGISTRY}/quay/acme/dice" in values.read_text()


def test_a_subchart_values_file_is_proven_inside_the_parent_that_vendors_it(
        run_cli, tmp_path):
    chart = switch_shapes.memcached_subchart(tmp_path / "shop")
    sub = chart / "charts" / "memcached" / "values.yaml"
    original = sub.read_text()
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(sub), "--write")
    assert result.code == 0, result.out + result.err
    assert f"rendering {chart}, which vendors it" in result.err
    (tmp_path / "on.yaml").write_text("memcached:\n  enabled: true\n")
    written = sub.read_text()
    sub.write_text(original)
    before = exact.rendered(run_cli, chart, "-f", str(tmp_path / "on.yaml"))
    sub.write_text(written)
    after = exact.rendered(run_cli, chart, "-f", str(tmp_path / "on.yaml"))
    exact.assert_exact(before, after, left={"shop"})  # the parent's own: not this file's
    assert "memcached" in after[("Deployment", "shop-memcached", "containers", "memcached")]


def test_a_subchart_value_its_parent_sets_is_left_saying_so(run_cli, tmp_path):
    """The parent's values win in the real release: a change in the subchart's own
    file would change nothing there, so it is not written as if it did."""
    chart = switch_shapes.memcached_subchart(tmp_path / "shop")
    parent = chart / "values.yaml"
    parent.write_text(parent.read_text().replace(
        "memcached:\n  enabled: false\n",
        "memcached:\n  enabled: false\n  image:\n    registry: docker.io\n"))
    sub = chart / "charts" / "memcached" / "values.yaml"
    original = sub.read_text()
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(sub), "--write")
    assert result.code == 3, result.out + result.err
    assert "memcached.image.registry is set by the values.yaml of a chart above" in result.out
    assert sub.read_text() == original


def test_a_chart_that_needs_a_value_takes_it_from_the_application_installing_it(
        run_cli, tmp_path):
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    chart = switch_shapes.needs_a_value(repo / "charts" / "portal")
    (repo / "apps").mkdir()
    (repo / "apps" / "portal.yaml").write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: portal\n"
        "spec:\n  source:\n    repoURL: https://github.com/example/gitops.git\n"
        "    path: charts/portal\n    helm:\n      valuesObject:\n"
        "        host: portal.example.com\n")
    values = chart / "values.yaml"
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(values), "--write")
    assert result.code == 0, result.out + result.err
    assert "rendered with the values of Application portal" in result.err
    assert f"{REGISTRY}/github/acme/portal" in values.read_text()


def test_a_switch_that_needs_a_value_is_reported_not_covered(run_cli, tmp_path):
    chart = switch_shapes.switch_needing_a_value(tmp_path / "vault")
    values = tmp_path / "v.yaml"
    values.write_text("{}\n")
    result = _convert(run_cli, chart, values)
    assert result.code == 3, result.out + result.err  # done, with what was not covered
    assert ("not covered by the proof: backup.enabled (templates/deployment.yaml): the "
            "chart does not render with it on: ") in result.out
    assert "backup.bucket is required when backup.enabled is true" in result.out
    assert f"{REGISTRY}/docker-hub/acme/vault:1.0" in values.read_text()


def test_a_chart_and_its_vendored_subchart_in_one_run_convert_through_the_parent(
        run_cli, tmp_path):
    chart = switch_shapes.memcached_subchart(tmp_path / "shop")
    sub = chart / "charts" / "memcached" / "values.yaml"
    original = sub.read_text()
    (tmp_path / "on.yaml").write_text("memcached:\n  enabled: true\n")
    before = exact.rendered(run_cli, chart, "-f", str(tmp_path / "on.yaml"))
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(chart), "--write")
    assert result.code == 0, result.out + result.err
    assert f"note: {sub}: a subchart's own values, left as they are" in result.err
    assert sub.read_text() == original
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(tmp_path / "on.yaml")))
