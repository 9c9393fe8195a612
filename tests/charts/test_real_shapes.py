"""Adversarial shapes modelled on the image mechanisms of widely used public charts
(:mod:`tests.charts.real_shapes`), converted three ways and checked container by
container with :mod:`tests.charts.exact`:

* ``convert --chart DIR --values FILE --write`` with an empty values file (the
  chart's own defaults);
* the same with the values file a copy of the chart's ``values.yaml`` (the user
  keeps the defaults in their own file: changed in place);
* ``convert --files`` on a copy of ``values.yaml`` with no chart beside it: what a
  file alone can prove; every container must then be exactly its cache reference
  or unchanged (never a third image).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ecr.images.reference import parse
from tests.charts import (
    charts,
    exact,
    family_shapes,
    more_shapes,
    operator_shapes,
    real_shapes,
    shapes,
)
from tests.charts.conftest import REGISTRY


@dataclass
class Shape:
    chart: Callable[[Path], Path]
    left: set[str] = field(default_factory=set)  # containers no value composes
    proven: bool = True  # False: the conversion cannot be proven: nothing is written
    # a registry passed bare to an operator (an env value, a flag), by the end of its
    # key: what --chart makes of it (the prefix kept, so the operand it names is cached)
    bare: dict[str, str] = field(default_factory=dict)


SHAPES = {
    "repository_or_registry_image": Shape(real_shapes.repository_or_registry_image),
    "repository_with_optional_registry": Shape(real_shapes.repository_with_optional_registry),
    "nested_default_registry": Shape(real_shapes.nested_default_registry),
    "coalesced_registry_digest_or_tag": Shape(real_shapes.coalesced_registry_digest_or_tag),
    "bitnami_digest_replaces_tag": Shape(real_shapes.bitnami_digest_replaces_tag),
    "full_repository_v_tag": Shape(real_shapes.full_repository_v_tag),
    "merged_image_map": Shape(real_shapes.merged_image_map),
    "tag_label_and_sidecars": Shape(real_shapes.tag_label_and_sidecars),
    "registry_prefix_with_slash": Shape(real_shapes.registry_prefix_with_slash),
    "shared_registry_official_image": Shape(real_shapes.shared_registry_official_image),
    "tpl_values": Shape(real_shapes.tpl_values),
    "istio_full_image": Shape(real_shapes.istio_full_image),
    "digests_in_odd_places": Shape(real_shapes.digests_in_odd_places),
    "hooks_tests_cronjobs": Shape(real_shapes.hooks_tests_cronjobs),
    "aliased_subcharts_twice": Shape(real_shapes.aliased_subcharts_twice),
    "value_names_the_container": Shape(real_shapes.value_names_the_container),
    # Helm refuses <registry>/<prefix> in image.registry: registry + repository instead
    "schema_limits_registry": Shape(real_shapes.schema_limits_registry),
    # ... and only owner/name in image.repository: nothing can be written, and why
    "schema_refuses_every_way": Shape(real_shapes.schema_refuses_every_way, left={"strict"}),
    # the sidecar's image is inside a string value rendered with tpl: left, and where
    "extra_containers_as_text": Shape(real_shapes.extra_containers_as_text, left={"sidecar"}),
    "internal_defaults": Shape(real_shapes.internal_defaults),
    "full_image_name_override": Shape(real_shapes.full_image_name_override),
    "repository_or_name_with_suffix": Shape(real_shapes.repository_or_name_with_suffix),
    "strict_schema_image_maps": Shape(real_shapes.strict_schema_image_maps),
    "helm2_requirements_alias": Shape(real_shapes.helm2_requirements_alias),
    "shared_value_uncacheable_twin": Shape(real_shapes.shared_value_uncacheable_twin,
                                           left={"solo"}),
    "anchored_values": Shape(real_shapes.anchored_values),
    # images the operator launches, named in container args and env values
    "operator_args_images": Shape(operator_shapes.operator_args_images),
    "operator_env_images": Shape(operator_shapes.operator_env_images),
    "registry_shared_with_arg_image": Shape(operator_shapes.registry_shared_with_arg_image),
    "cilium_use_digest": Shape(operator_shapes.cilium_use_digest),
    "images_in_value_lists": Shape(operator_shapes.images_in_value_lists),
    "registry_host_spellings": Shape(operator_shapes.registry_host_spellings),
    "traefik_app_version_tag": Shape(operator_shapes.traefik_app_version_tag),
    "custom_resource_images": Shape(operator_shapes.custom_resource_images),
    # the operand's name is in the template: the shared registry cannot change
    "shared_registry_literal_operand": Shape(operator_shapes.shared_registry_literal_operand,
                                             left={"operator"}),
    "empty_global_registry_operand": Shape(operator_shapes.empty_global_registry_operand),
    # one value twice in an image (minio/minio from image.name): no value change does it
    "nested_subcharts": Shape(operator_shapes.nested_subcharts, left={"store"}),
    "separate_flag_arg_images": Shape(operator_shapes.separate_flag_arg_images),
    "conditional_operand_args": Shape(operator_shapes.conditional_operand_args),
    "config_map_agent_images": Shape(operator_shapes.config_map_agent_images),
    # chart families: argo-cd, grafana, external-secrets, karpenter, EKS add-ons, falco, ...
    "argo_cd_global_image": Shape(family_shapes.argo_cd_global_image),
    "grafana_sha_and_sidecars": Shape(family_shapes.grafana_sha_and_sidecars),
    "global_registry_over_all": Shape(family_shapes.global_registry_over_all),
    "external_secrets_flavour": Shape(family_shapes.external_secrets_flavour),
    "karpenter_tag_and_digest": Shape(family_shapes.karpenter_tag_and_digest),
    "eks_regional_ecr": Shape(family_shapes.eks_regional_ecr),
    "falco_optional_registry": Shape(family_shapes.falco_optional_registry),
    "numeric_tags": Shape(family_shapes.numeric_tags),
    "string_image_beside_maps": Shape(family_shapes.string_image_beside_maps),
    "flux_image_is_repository": Shape(family_shapes.flux_image_is_repository),
    "one_map_many_containers": Shape(family_shapes.one_map_many_containers),
    "config_map_image_keys": Shape(family_shapes.config_map_image_keys),
    "operator_env_registry_and_name": Shape(family_shapes.operator_env_registry_and_name),
    "kong_unified_repo_tag": Shape(family_shapes.kong_unified_repo_tag),
    "trimmed_registry": Shape(family_shapes.trimmed_registry),
    "full_image_name_or_parts": Shape(family_shapes.full_image_name_or_parts),
    "harbor_components_and_hook_job": Shape(family_shapes.harbor_components_and_hook_job),
    "subchart_global_default": Shape(family_shapes.subchart_global_default),
    "container_registry_prefix": Shape(family_shapes.container_registry_prefix),
    "registry_checked_by_template": Shape(family_shapes.registry_checked_by_template),
    "bitnami_check_in_notes": Shape(family_shapes.bitnami_check_in_notes),
    "docker_registry_prefix_helper": Shape(family_shapes.docker_registry_prefix_helper),
    # every other value is refused by the chart itself: left, and why
    "insecure_check_flag_refused": Shape(family_shapes.insecure_check_flag_refused,
                                         left={"nginx"}),
    "image_name_and_puller": Shape(family_shapes.image_name_and_puller),
    "system_default_registry": Shape(family_shapes.system_default_registry, bare={
        "env.CATTLE_SYSTEM_DEFAULT_REGISTRY": f"{REGISTRY}/docker-hub"}),
    # whole charts: kube-prometheus-stack with its subcharts, cert-manager, ...
    "kube_prometheus_stack_whole": Shape(more_shapes.kube_prometheus_stack_whole),
    "cert_manager_namespace_and_name": Shape(more_shapes.cert_manager_namespace_and_name),
    "bitnami_subcharts_pair": Shape(more_shapes.bitnami_subcharts_pair),
    "cert_manager_repository_with_host": Shape(more_shapes.cert_manager_repository_with_host),
}


EARLIER: dict[str, Callable[[Path], Path]] = {
    "chart_wide_registry": shapes.chart_wide_registry,
    "null_global_registry": shapes.null_global_registry,
    "null_defaults": shapes.null_defaults,
    "cert_manager_style": shapes.cert_manager_style,
    "istio_hub": shapes.istio_hub,
    "bare_digest": shapes.bare_digest,
    "lists_literal_uncacheable": shapes.lists_literal_uncacheable,
    "transformed_values": shapes.transformed_values,
    "branching_value": shapes.branching_value,
    "argo_cd_style": shapes.argo_cd_style,
    "prometheus_stack_style": shapes.prometheus_stack_style,
    "webapp": charts.webapp_chart,
    "chat": charts.chat_chart,
}


def _convert(run_cli, chart: Path, values: Path, *argv: str):
    return run_cli("convert", "--registry", REGISTRY, "--chart", str(chart),
                   "--values", str(values), "-o", "json", *argv)


@pytest.mark.parametrize("own", [False, True], ids=["empty-values", "own-values"])
@pytest.mark.parametrize("name", sorted(SHAPES))
def test_chart_defaults_convert_exactly(run_cli, tmp_path, name, own):
    shape = SHAPES[name]
    chart = shape.chart(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    if own:
        shutil.copy(chart / "values.yaml", values)
    else:
        values.write_text("")
    before = exact.rendered(run_cli, chart, "-f", str(values))
    embedded = exact.embedded(chart, values)

    text = values.read_text()
    result = _convert(run_cli, chart, values, "--write")
    (plan,) = json.loads(result.out)["releases"]
    if not shape.proven:
        assert not plan["ok"] and result.code != 0 and values.read_text() == text
        assert plan["error"] or plan["unresolved"]
        return
    assert plan["ok"] and not plan["unresolved"] and plan["error"] is None, plan
    after = exact.rendered(run_cli, chart, "-f", str(values))
    exact.assert_exact(before, after, shape.left)
    _embedded_exact(shape, embedded, exact.embedded(chart, values))
    for left in shape.left:
        assert any(f"container {left} " in why for why in plan["left"]), plan["left"]

    again = _convert(run_cli, chart, values, "--check")  # idempotent
    (second,) = json.loads(again.out)["releases"]
    assert not second["changed"] and second["ok"], second


def _files_alone(run_cli, tmp_path: Path, make: Callable[[Path], Path]) -> None:
    chart = make(tmp_path / "chart")
    alone = tmp_path / "alone"
    alone.mkdir()
    values = alone / "values.yaml"
    shutil.copy(chart / "values.yaml", values)
    before = exact.rendered(run_cli, chart, "-f", str(values))
    embedded = exact.embedded(chart, values)
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(values), "--write",
                     "--allow-insecure-images")  # Bitnami charts refuse relocated images
    # 2: an image whose host the cache cannot front was named (the rest still written)
    assert result.code in (0, 1, 2, 3) and "Traceback" not in result.err, result.err
    after = exact.rendered(run_cli, chart, "-f", str(values))
    assert set(before) == set(after)
    for key, image in before.items():
        if after[key] != image:
            assert parse(after[key]) == exact.cache_of(image), (key, image, after[key])
    exact.assert_embedded_exact(embedded, exact.embedded(chart, values))


# What a file alone cannot know (the chart path can): a chart that refuses a path in
# image.registry (its values.schema.json, a template's fail).  --files writes
# registry: <registry>/<prefix> and keeps the repository, so a registry the templates
# join to other names, or a repository they put behind another host, stays right; a
# chart that allows only a host there refuses to render (loudly, never a wrong image).
FILE_BLIND = {"schema_refuses_every_way", "schema_limits_registry",
              "registry_checked_by_template", "insecure_check_flag_refused"}


@pytest.mark.parametrize("name", sorted(set(SHAPES) - FILE_BLIND))
def test_files_alone_never_write_a_wrong_image(run_cli, tmp_path, name):
    _files_alone(run_cli, tmp_path, SHAPES[name].chart)


@pytest.mark.parametrize("name", sorted(EARLIER))
def test_files_alone_on_the_earlier_shapes(run_cli, tmp_path, name):
    """The same check on the shapes of :mod:`tests.charts.shapes` and :mod:`charts`."""
    _files_alone(run_cli, tmp_path, EARLIER[name])


@pytest.mark.parametrize("name", sorted(n for n, s in SHAPES.items() if s.proven))
def test_files_on_the_charts_own_values_file(run_cli, tmp_path, name):
    """``convert --files chart/values.yaml``: beside its Chart.yaml, so the chart path
    converts the chart's own defaults in place, proven by a render."""
    shape = SHAPES[name]
    chart = shape.chart(tmp_path / "chart")
    before = exact.rendered(run_cli, chart)
    embedded = exact.embedded(chart)
    result = run_cli("convert", "--registry", REGISTRY, "--files", str(chart / "values.yaml"),
                     "--write")
    assert "Traceback" not in result.err, result.err
    exact.assert_exact(before, exact.rendered(run_cli, chart), shape.left)
    _embedded_exact(shape, embedded, exact.embedded(chart))


def _embedded_exact(shape: Shape, before: dict[tuple[str, ...], str],
                    after: dict[tuple[str, ...], str]) -> None:
    for end, value in shape.bare.items():
        keys = [k for k in before if k[-1] == end]
        assert keys and all(after[k] == value for k in keys), (end, keys, after)
        for key in keys:
            before, after = dict(before), dict(after)
            del before[key], after[key]
    exact.assert_embedded_exact(before, after)


def test_a_value_shown_twice_is_left_with_why(run_cli, tmp_path):
    chart = operator_shapes.nested_subcharts(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("")
    result = _convert(run_cli, chart, values)
    (plan,) = json.loads(result.out)["releases"]
    (left,) = plan["left"]
    assert "store.image.name shows 2 times in the image: no one value of it gives exactly " \
        f"{REGISTRY}/docker-hub/minio/minio:" in left, left


OPERANDS = {  # text of each image an operator launches (args, env, custom resources)
    operator_shapes.separate_flag_arg_images: ["argoproj/argoexec:", "busybox@sha256:"],
    operator_shapes.operator_env_images: ["kafka-3.8.0", "kafka-3.9.0\"", "hashicorp/vault:"],
    operator_shapes.custom_resource_images: ["prometheus/prometheus:", "alertmanager@",
                                             "redis:7.4.1"],
    operator_shapes.conditional_operand_args: ["--collector-image="],
    operator_shapes.config_map_agent_images: ["jenkins/inbound-agent:", "/alpine:3.20"],
    family_shapes.config_map_image_keys: ["spilo-17:", "logical-backup:", "cephcsi:",
                                          "CSI_REGISTRAR_IMAGE="],
    operator_shapes.operator_args_images: ["config-reloader:", "thanos/thanos:",
                                           "base-image=quay.io/prometheus/prometheus"],
    more_shapes.kube_prometheus_stack_whole: ["--prometheus-config-reloader=quay.io/"],
    more_shapes.cert_manager_namespace_and_name: ["--acme-http01-solver-image=quay.io/"],
    more_shapes.cert_manager_repository_with_host: ["--acme-http01-solver-image=quay.io/"],
}


@pytest.mark.parametrize("make", list(OPERANDS), ids=lambda make: make.__name__)
def test_operand_images_are_converted_with_their_own_values(run_cli, tmp_path, make):
    """Images an operator launches (an arg after its flag, an arg with host, an env
    value, a custom resource) become exactly their cache reference, not just unbroken."""
    chart = make(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("")
    before = exact.embedded(chart, values)
    result = _convert(run_cli, chart, values, "--write")
    (plan,) = json.loads(result.out)["releases"]
    noted = plan["left"] or plan["launched"] or plan["uncacheable"]
    assert result.code == (3 if noted else 0), result.out  # 3: done, images left (noted)
    after = exact.embedded(chart, values)
    exact.assert_embedded_exact(before, after)
    for text in OPERANDS[make]:
        keys = [k for k, v in before.items() if text in v or text in json.dumps(v)]
        assert keys and all(after[k] != before[k] for k in keys), (text, keys)


def test_an_operand_written_in_a_template_is_listed_not_failed(run_cli, tmp_path):
    chart = operator_shapes.operator_env_images(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("")
    result = _convert(run_cli, chart, values)
    (plan,) = json.loads(result.out)["releases"]
    assert result.code == 3 and plan["ok"] and not plan["left"], plan  # 3: one noted
    (launched,) = plan["launched"]
    assert launched.startswith("ghcr.io/cloudnative-pg/postgresql:17.2 (") and \
        "env.POSTGRES_IMAGE_NAME" in launched and "written in the chart's template" in launched
    shown = run_cli("convert", "--registry", REGISTRY, "--chart", str(chart), "--values",
                    str(values))
    text = shown.out + shown.err
    assert "an image an operator launches (named in args, env, a custom resource or a " \
        "ConfigMap), left as it is: ghcr.io/cloudnative-pg/postgresql:17.2" in text, text


def test_a_registry_passed_bare_to_an_operator_keeps_its_prefix(run_cli, tmp_path):
    """``--container-registry=quay.io`` beside the operator's own ``registry`` +
    ``repository``: the registry value becomes ``<registry>/quay`` (not ``<registry>``
    with ``quay/`` moved into the repository), so what the operator joins to its
    operand names is the cache too."""
    chart = family_shapes.registry_passed_to_operator(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("")
    before = exact.rendered(run_cli, chart, "-f", str(values))
    embedded = exact.embedded(chart, values)
    result = _convert(run_cli, chart, values, "--write")
    assert result.code == 0, result.out
    exact.assert_exact(before, exact.rendered(run_cli, chart, "-f", str(values)))
    after = exact.embedded(chart, values)
    changed = {after[k] for k in embedded if after[k] != embedded[k]}
    assert changed == {f"--container-registry={REGISTRY}/quay", f"{REGISTRY}/docker-hub"}


def test_a_chart_that_refuses_every_other_value_says_so(run_cli, tmp_path):
    """Not "written in the template": the chart fails any render with the registry or
    repository changed (Bitnami's check, the flag that would allow it refused by the
    schema), so the container is left with Helm's words."""
    chart = family_shapes.insecure_check_flag_refused(tmp_path / "chart")
    values = tmp_path / "values.yaml"
    values.write_text("")
    result = _convert(run_cli, chart, values, "--write")
    (plan,) = json.loads(result.out)["releases"]
    (left,) = plan["left"]
    assert "the chart refuses to render with image." in left, left
    assert "Original containers have been substituted" in left, left
    assert "written in" not in left and values.read_text() == "", left
