"""``ecr images``: every image a Helm release (or a whole ArgoCD repo) would run.

Renders each chart with real Helm and marks every container image:

* ``cached``       pulled through the cache (already ``<registry>/<prefix>/...``)
* ``registry``     in the registry but under no cache prefix (your own repositories)
* ``bypass``       its upstream is cacheable, but it is pulled straight from upstream
* ``uncacheable``  its host is not an upstream the cache fronts
* ``broken``       looks like the cache but will not resolve (e.g. Docker Hub official
  image without ``library/``), or is not a valid reference

Images an operator in the release launches (named in its containers' args or env,
in a custom resource or in a ConfigMap: a config-reloader, ``RELATED_IMAGE_*``, a
``Prometheus``'s ``spec.image``) are listed after the containers, marked
``(launched)`` (JSON: ``launched``), with the same statuses; ``--check`` counts
containers only.

Exit status: 0 listed; 1 with ``--check`` when any container image is bypass, uncacheable or
broken; 2 bad usage, or a chart/Application that could not be rendered (the
others are still listed).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from ecr.charts import helm
from ecr.charts import images as chart_images
from ecr.charts.helm import HelmFailure
from ecr.charts.images import FAILING, Fetcher, Found, Release
from ecr.cli import chart_input, chart_options, image_options, output
from ecr.images.workload import EMBEDDED

EPILOG = """\
(launched): an image an operator in the release launches (named in args, env, a custom
resource or a ConfigMap), listed after the containers; --check counts containers only.

statuses:
  cached       pulled through the cache (<registry>/<prefix>/...)
  registry     in the registry, under no cache prefix (your own repositories)
  bypass       cacheable upstream, but pulled straight from it (CACHE IMAGE says where from)
  uncacheable  a host the cache cannot front (mirror it, or --alias its host)
  broken       in the registry but will not resolve (e.g. missing library/), or not a reference

examples:
  images --chart ./charts/wordpress -f prod/values.yaml --set mariadb.enabled=true
  images --chart oci://registry-1.docker.io/bitnamicharts/wordpress --version 24.1.0
  images --chart wordpress --repo https://charts.bitnami.com/bitnami
  images ../builder-space-argocd --check     # every Helm Application in the repository
  images --kustomize deploy/                  # what every Kustomize overlay renders

exit status: 0 listed; 1 with --check when any container image is bypass, uncacheable or broken;
2 bad usage, or a chart/Application that could not be rendered (the others still listed).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    chart_options.add_input_arguments(parser)
    image_options.add_registry_arguments(parser)
    image_options.add_alias_arguments(parser)
    parser.add_argument(
        "--check", action="store_true",
        help="exit 1 when any image bypasses the cache, cannot be cached or is broken",
    )
    parser.add_argument(
        "--kustomize", action="append", default=[], type=Path, metavar="DIR",
        help="also list what each Kustomize tree under DIR renders (kubectl kustomize, "
        "every kustomization no other one includes); repeatable",
    )
    output.add_output_argument(parser)


def run(args: argparse.Namespace) -> int:
    target = image_options.registry_target(args)
    registry = target.registry
    aliases = image_options.aliases(args)
    notes: list[str] = []
    wanted = chart_input.request(args, args.apps)
    releases: list[Release] = []
    problems: list[str] = []
    if not args.kustomize or args.chart or args.apps:  # else: only Kustomize trees
        releases, problems = chart_input.releases(wanted, notes)

    found: list[Found] = []
    outcomes: list[dict[str, object]] = []
    with tempfile.TemporaryDirectory(prefix="ecr-images-") as work, output.Progress(
        len(releases), "rendering"
    ) as progress:
        cache = (registry, target.host_prefixes) if wanted.charts_via_cache else None
        fetcher = Fetcher(Path(work), wanted.plain_http, cache, wanted.dependency_build)
        for release in releases:
            try:
                workloads = chart_images.traced(
                    release, fetcher.get(release.chart), launched=True)
            except HelmFailure as exc:
                problems.append(f"{release.label}: {exc}")
                outcomes.append(_outcome(release, str(exc)))
            else:
                outcomes.append(_outcome(release, None))
                for workload, source in workloads:
                    verdict = chart_images.classify(
                        workload.image, registry, target.host_prefixes, aliases
                    )
                    found.append(Found(release.label, workload, verdict, source))
            progress.advance()

    found += _kustomized(args.kustomize, registry, target.host_prefixes, aliases, problems)
    launched = [item for item in found if item.workload.container_type in EMBEDDED]
    found = [item for item in found if item.workload.container_type not in EMBEDDED]
    counts = Counter(item.verdict.status for item in found)
    if args.output == "json":
        output.print_json(
            {
                "registry": registry,
                "backend": helm.backend(),
                "releases": outcomes,
                "images": [item.as_dict() for item in found],
                "launched": [item.as_dict() for item in launched],
                "summary": dict(counts),
                "problems": problems,
                "notes": notes,
            }
        )
    elif found or launched or not problems:
        print_table(found, counts, launched)
    chart_input.print_notes(notes, problems)
    if problems:
        return 2
    if args.check and any(item.verdict.status in FAILING for item in found):
        return 1
    return 0


def _kustomized(directories: list[Path], registry: str, host_prefixes: Mapping[str, str],
                aliases: Mapping[str, str], problems: list[str]) -> list[Found]:
    """The containers every root of the Kustomize trees renders (release ``kustomize:DIR``)."""
    if not directories:
        return []
    from ecr.kustomize.listing import rendered

    trees = rendered(directories)
    problems += trees.problems
    if not trees.files:
        problems.append(f"no kustomization under {', '.join(map(str, directories))}")
    return [Found(f"kustomize:{root}", workload,
                  chart_images.classify(workload.image, registry, host_prefixes, aliases))
            for root, workload in trees.containers]


def _outcome(release: Release, error: str | None) -> dict[str, object]:
    return {
        "release": release.label,
        "chart": release.chart.describe(),
        "application": str(release.manifest) if release.manifest else None,
        "values": [spec.origin for spec in release.values],
        "error": error,
    }


def _container(item: Found) -> str:
    workload = item.workload
    text = workload.container
    if workload.container_type == "initContainers":
        text += " (init)"
    elif workload.container_type == "ephemeralContainers":
        text += " (ephemeral)"
    elif workload.container_type in EMBEDDED:
        text += " (launched)"
    if workload.hook:
        text += f" (hook: {workload.hook})"
    return text


def print_table(
    found: list[Found], counts: Counter[str], launched: list[Found] | None = None
) -> None:
    rows = []
    for item in [*found, *(launched or [])]:
        use = item.verdict.cache if item.verdict.status == chart_images.BYPASS else None
        rows.append(
            (
                item.verdict.status,
                item.workload.image,
                item.release,
                item.workload.workload,
                _container(item),
                use or item.verdict.note,
                item.values or "",
            )
        )
    print(output.format_table(
        ("STATUS", "IMAGE", "RELEASE", "WORKLOAD", "CONTAINER", "CACHE IMAGE / NOTE",
         "FROM VALUES"), rows
    ))
    total = sum(counts.values())
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    print(f"\n{total} container image(s): {parts or 'none'}")
    if launched:
        more = Counter(item.verdict.status for item in launched)
        text = ", ".join(f"{n} {status}" for status, n in sorted(more.items()))
        print(f"{len(launched)} image(s) an operator launches (launched; not counted by "
              f"--check): {text}")
    if any(i.verdict.status in FAILING and i.release.startswith("kustomize:") for i in found):
        print("fix: scripts/convert-image-url.sh --files DIR --write gives each Kustomize "
              "overlay's images: the cache names, proven by rendering it again")
    if any(status in FAILING for status in counts):
        print(
            "fix: scripts/convert-image-url.sh --chart CHART --values FILE (or --apps PATH...) "
            "--write\n     adds the overrides, then renders again to prove every image goes "
            "through the cache"
        )
