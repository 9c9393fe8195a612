"""``ecr verify PATH|IMAGE...``: prove every image resolves through the cache (and warm it).

Before switching a deployment to the cache, every image it runs must resolve there,
or pods go into ImagePullBackOff: a forgotten ``library/``, a tag gone upstream,
missing upstream credentials, a node role that cannot create the cached repository.
``verify`` collects the images (from values files, manifests and directories, with
the same extractor as ``convert``; what each Kustomize root renders with ``kubectl
kustomize``; or given as arguments), maps each to its cache
reference and asks the registry for it over the OCI distribution API exactly as a
node would.  ``--warm`` then pulls every blob once so the first rollout is fast.

Exit status: 0 every image resolved, 1 at least one did not, 2 bad usage.
"""

from __future__ import annotations

import argparse
import math
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ecr.cli import chart_input, chart_options, image_options
from ecr.cli import output as report
from ecr.config import outputs
from ecr.errors import UsageError
from ecr.images import mapping
from ecr.images.reference import InvalidReference, parse
from ecr.registry import auth
from ecr.registry import warm as oci_warm
from ecr.registry.check import (
    ERROR,
    INVALID,
    OK,
    UNAUTHORIZED,
    UNSUPPORTED,
    CacheTarget,
    ImageResult,
    Outcome,
    check_image,
    classify,
)
from ecr.registry.client import RegistryClient, RetryPolicy
from ecr.registry.manifest import Platform
from ecr.values import scan as yaml_images

DEFAULT_PLATFORM = "linux/amd64"
DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT = 30.0
DEFAULT_IMAGE_TIMEOUT = 300.0
DEFAULT_RETRIES = 3
MAX_TIMEOUT = 3600.0  # an hour: anything longer is a typo, and sockets refuse huge values


EPILOG = """\
examples:
  verify nginx:1.27 quay.io/prometheus/prometheus:v2.53.0 --platform linux/arm64
  verify environments/prod/spruch/values.yaml --warm
  verify --chart ./charts/wordpress -f values.yaml
  verify --apps ../builder-space-argocd/apps --warm
  verify values.yaml --role-arn arn:aws:iam::222222222222:role/eks-nodes -o json

verdicts: ok, not_found, unauthorized, upstream_auth_failed, unsupported, invalid, error
(the table's "How to fix" lines say what to do for each).
credentials: REGISTRY_USERNAME + REGISTRY_PASSWORD if set, else an ECR token
(ecr:GetAuthorizationToken) for <account>.dkr.ecr.<region>.amazonaws.com.
exit status: 0 every image resolved; 1 any image did not; 2 bad usage (a missing file,
no registry, a chart that could not be rendered).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "targets",
        nargs="*",
        metavar="PATH|IMAGE",
        help="values files, manifests or directories to scan for images, or image references",
    )
    image_options.add_registry_arguments(parser)
    parser.add_argument(
        "--platform",
        default=DEFAULT_PLATFORM,
        metavar="OS/ARCH[,...]",
        help=f"the nodes' platform(s) to resolve in multi-arch images (default {DEFAULT_PLATFORM};"
        " e.g. linux/amd64,linux/arm64 for mixed node groups)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="also pull every layer and config blob once (shared blobs once), so the cache "
        "holds whole images before the rollout",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight (default {DEFAULT_CONCURRENCY})",
    )
    _add_seconds(
        parser, "--timeout", DEFAULT_TIMEOUT,
        "per request: the connect and read timeouts, and the most one answer may take "
        "from the request to its last byte (blobs: more, by size)",
    )
    _add_seconds(
        parser, "--image-timeout", DEFAULT_IMAGE_TIMEOUT,
        "the most one image's check may take, its retries and waits included: then it "
        "is an error",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=DEFAULT_RETRIES,
        metavar="N",
        help=f"retries on 429, 5xx and dropped connections (default {DEFAULT_RETRIES})",
    )
    parser.add_argument(
        "--profile", metavar="NAME", help="AWS profile for the ECR token (ECR registries)"
    )
    parser.add_argument(
        "--role-arn",
        metavar="ARN",
        help="assume this role for the ECR token, e.g. the consuming cluster's node role",
    )
    image_options.add_alias_arguments(parser)
    report.add_output_argument(parser)
    chart_options.add_verify_arguments(parser)  # --chart/--values/--set/--apps (issue 7)


def _add_seconds(
    parser: argparse.ArgumentParser, option: str, default: float, text: str
) -> None:
    """A ``SECONDS`` option checked by :func:`_seconds`; its help ends with the default."""
    parser.add_argument(
        option, type=_seconds(option), default=default, metavar="SECONDS",
        help=f"{text} (default {default:.0f})",
    )


def _seconds(option: str) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds in (0, MAX_TIMEOUT], else exit 2."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds from 0 (exclusive) to {MAX_TIMEOUT:.0f}"
            )
        return value

    parse.__name__ = option  # argparse names the option in its message
    return parse


# -- collecting images --------------------------------------------------------------


@dataclass
class Input:
    """One image to verify and where it was named (first place, plus a count)."""

    image: str
    sources: list[str] = field(default_factory=list)
    note: str | None = None  # the extractor's reason it is not a usable reference


def collect_inputs(
    targets: Sequence[str], rendered: Sequence[tuple[str, list[str]]] = ()
) -> list[Input]:
    """Images named by ``targets`` (files/directories are scanned, the rest are images)
    and ``rendered`` ones ((image, where it runs), from --chart/--apps).

    The one place images are gathered and deduplicated: each image is checked once,
    however many places name it.
    """
    found: dict[str, Input] = {}

    def add(image: str, source: str, note: str | None = None) -> None:
        # one check per image: "nginx:1.27" and "docker.io/library/nginx:1.27" are the same
        try:
            key = str(parse(image)) if note is None else image
        except InvalidReference:
            key = image
        entry = found.setdefault(key, Input(image, note=note))
        entry.sources.append(source)

    for target in targets:
        if Path(target).exists():
            from ecr.kustomize.listing import rendered as kustomized

            trees = kustomized([target])  # a Kustomize tree: what each root renders
            if trees.problems:
                raise UsageError("; ".join(trees.problems)
                                 + " (fix it, or name the files to verify)")
            for root, workload in trees.containers:
                add(workload.image, f"{root}: {workload.workload} {workload.container}")
            try:
                files = [f for f in yaml_images.collect_files([target]) if not trees.reads(f)]
            except OSError as exc:
                raise UsageError(str(exc)) from exc
            for file in files:
                try:
                    text = file.read_text(encoding="utf-8")
                    images = yaml_images.find_images(text, str(file))
                except (OSError, UnicodeDecodeError, yaml_images.UnparseableYaml) as exc:
                    detail = str(exc)
                    where = detail if detail.startswith(str(file)) else f"{file}: {detail}"
                    raise UsageError(f"{where} (fix the file, or name the files to verify)") \
                        from exc
                for item in images:
                    if item.note and item.note.startswith("empty"):
                        continue  # `image: ""` names no image (the chart's default is used)
                    add(item.reference or item.key_path, f"{item.file}:{item.line}", item.note)
        elif _looks_like_path(target):
            raise UsageError(f"{target}: no such file or directory")
        else:
            add(target, "argument")
    for image, places in rendered:
        for place in places or ["rendered"]:
            add(image, place)
    return list(found.values())


def _looks_like_path(target: str) -> bool:
    """A missing file named on the command line, not an image (images never look so)."""
    return target.startswith(("/", "./", "../", "~")) or target.endswith((".yaml", ".yml"))


# -- the registry and its credentials ----------------------------------------------


def credentials_for(
    host: str, profile: str | None, role_arn: str | None
) -> auth.Credentials | None:
    """Explicit REGISTRY_USERNAME/PASSWORD, else an ECR token for ECR hosts, else none."""
    explicit = auth.from_environment()
    if explicit is not None:
        return explicit
    if auth.ecr_host(host):
        return auth.ecr_credentials(host, profile=profile, role_arn=role_arn)
    return None


# -- verifying ------------------------------------------------------------------------


@dataclass
class Row:
    input: Input
    cache_reference: str | None
    result: ImageResult
    warning: str | None = None
    target: CacheTarget | None = None

    @property
    def verdict(self) -> str:
        return self.result.outcome.verdict

    def as_dict(self) -> dict[str, object]:
        outcome = self.result.outcome
        return {
            "image": self.input.image,
            "cache_reference": self.cache_reference,
            "verdict": outcome.verdict,
            "reason": outcome.reason,
            "fix": outcome.fix or None,
            "sources": self.input.sources,
            "digest": self.result.digest,
            "warning": self.warning,
        }


def _target_for(
    item: Input, registry: outputs.Target, aliases: dict[str, str]
) -> tuple[CacheTarget | None, Row]:
    """The cache target of an input, or a finished row (invalid / unsupported)."""
    if item.note:
        outcome = Outcome(
            INVALID,
            item.note,
            "give a literal image reference in the file, or verify what the chart renders "
            "with --chart/--values",
        )
        return None, Row(item, None, ImageResult(outcome))
    try:
        cached = mapping.to_cache(item.image, registry.registry, registry.host_prefixes, aliases)
    except InvalidReference as exc:
        what = "not a file or directory, and not an image reference"
        reason = f"{what}: {exc}" if item.sources == ["argument"] else str(exc)
        return None, Row(item, None, ImageResult(Outcome(INVALID, reason, "fix the reference")))
    except mapping.UnsupportedRegistry:
        # mapping's message is a paragraph; one line naming the host fits the table
        hosts = ", ".join(sorted(mapping.expand_host_prefixes(registry.host_prefixes)))
        first = f"{parse(item.image).domain} cannot be cached; this cache fronts only {hosts}"
        fix = (
            "mirror the image to a cacheable registry, push it to a custom repository, or "
            "--alias the host to one that publishes the same image"
        )
        return None, Row(item, None, ImageResult(Outcome(UNSUPPORTED, first, fix)))
    target = CacheTarget(cached.cache, cached.prefix, cached.upstream)
    unchecked = ImageResult(Outcome(ERROR, "not checked"))
    return target, Row(item, str(cached.cache), unchecked, cached.warning, target)


def verify(
    inputs: Sequence[Input],
    registry: outputs.Target,
    client: RegistryClient,
    platforms: Sequence[Platform],
    aliases: dict[str, str],
    concurrency: int,
    auth_problem: str | None = None,
    warmer: oci_warm.Warmer | None = None,
    image_timeout: float = DEFAULT_IMAGE_TIMEOUT,
) -> list[Row]:
    """A row per input; registry calls run ``concurrency`` at a time.

    With a ``warmer``, each image's blobs start downloading as soon as it resolves.
    Each image's check ends within ``image_timeout`` seconds, with a verdict.
    """
    rows: list[Row] = []
    pending: list[tuple[Row, CacheTarget]] = []
    for item in inputs:
        target, row = _target_for(item, registry, aliases)
        rows.append(row)
        if target is not None:
            pending.append((row, target))
    if auth_problem is not None:
        fix = "fix the credentials (see the reason), then re-run"
        for row, _ in pending:
            row.result = ImageResult(Outcome(UNAUTHORIZED, auth_problem, fix))
        return rows
    lock = threading.Lock()
    with report.Progress(len(pending), "verify") as progress:

        def one(job: tuple[Row, CacheTarget]) -> None:
            row, target = job
            try:
                with client.deadline(image_timeout):
                    row.result = check_image(client, target, platforms)
            except Exception as exc:  # one image's surprise must not hide the others
                row.result = ImageResult(classify(exc, target))
            if warmer is not None and row.verdict == OK:
                warmer.add(target.cache.path, row.result.blobs, row.result.fetched)
            with lock:  # Progress is not thread-safe
                progress.advance()

        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            list(pool.map(one, pending))
    return rows


def finish_warm(rows: list[Row], warmer: oci_warm.Warmer) -> oci_warm.WarmReport:
    """Wait for the blobs; an image with a failed blob becomes a failure."""
    with report.Progress(warmer.pending, "warm") as progress:
        result = warmer.wait(on_done=lambda _job: progress.advance())
    for row in rows:
        if row.verdict != OK or row.target is None:
            continue
        failed = next((b for b in row.result.blobs if b.digest in result.failures), None)
        if failed is None:
            continue
        outcome = classify(result.failures[failed.digest], row.target)
        reason = f"warm: blob {failed.digest[:19]}...: {outcome.reason}"
        row.result = ImageResult(
            Outcome(outcome.verdict, reason, outcome.fix),
            row.result.digest,
            row.result.platform_digests,
            row.result.blobs,
            row.result.fetched,
        )
    return result


# -- output ---------------------------------------------------------------------------


def _print_table(rows: list[Row]) -> None:
    print(
        report.format_table(
            ["VERDICT", "IMAGE", "CACHE REFERENCE", "REASON"],
            [(r.verdict, r.input.image, r.cache_reference, r.result.outcome.reason) for r in rows],
        )
    )
    failing = [r for r in rows if r.verdict != OK]
    notes = [r for r in rows if r.warning]
    if failing:
        print("\nHow to fix:")
        for row in failing:
            where = row.input.sources[0]
            more = f" (+{len(row.input.sources) - 1} more)" if len(row.input.sources) > 1 else ""
            print(f"  {row.input.image} [{where}{more}]: {row.result.outcome.fix}")
    if notes:
        print("\nWarnings:")
        for row in notes:
            print(f"  {row.input.image}: {row.warning}")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.verdict] = counts.get(row.verdict, 0) + 1
    summary = ", ".join(f"{n} {v}" for v, n in sorted(counts.items()))
    print(f"\n{len(rows)} images: {summary}")


def _warm_summary(result: oci_warm.WarmReport) -> str:
    rate = result.transferred / result.seconds if result.seconds > 0 else 0.0
    failed = f", {len(result.failures)} failed" if result.failures else ""
    return (
        f"warm: {result.blobs} unique blobs{failed}, {report.human_bytes(result.transferred)} "
        f"transferred ({result.transferred} bytes; unique {result.unique_bytes} bytes) "
        f"in {result.seconds:.2f} s ({report.human_bytes(rate)}/s)"
    )


def _platforms(text: str) -> list[Platform]:
    try:
        platforms = [Platform.parse(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if not platforms:
        raise UsageError("--platform needs at least one OS/ARCH")
    return platforms


def run(args: argparse.Namespace) -> int:
    rendered = chart_input.rendered_images(args)  # --chart/--apps: what Helm renders
    if not args.targets and not rendered:
        raise UsageError(
            "give values files, manifests, directories or image references to verify, "
            "or --chart CHART -f VALUES, or --apps PATH (--help for every option)"
        )
    if not 1 <= args.concurrency <= 256 or not 0 <= args.retries <= 20:
        raise UsageError("--concurrency must be 1 to 256 and --retries 0 to 20")
    platforms = _platforms(args.platform)
    aliases = image_options.aliases(args)
    registry = image_options.registry_target(args)
    if (args.role_arn or args.profile) and not auth.ecr_host(registry.registry):
        raise UsageError("--role-arn and --profile apply to ECR registries only")
    inputs = collect_inputs(args.targets, rendered)
    if not inputs:
        raise UsageError(f"no image references found in {' '.join(args.targets)}")
    auth_problem = None
    credentials = None
    try:
        credentials = credentials_for(registry.registry, args.profile, args.role_arn)
    except auth.CredentialsSetupError as exc:
        raise UsageError(str(exc)) from None
    except auth.CredentialsError as exc:
        auth_problem = f"no registry credentials: {exc}"
    client = RegistryClient(
        registry.url,
        credentials,
        timeout=args.timeout,
        retry=RetryPolicy(attempts=args.retries + 1),
        pool_size=2 * args.concurrency,  # checks and warm downloads run side by side
    )
    with client:
        warmer = oci_warm.Warmer(client, args.concurrency) if args.warm else None
        rows = verify(inputs, registry, client, platforms, aliases, args.concurrency,
                      auth_problem, warmer, args.image_timeout)
        warm_result = finish_warm(rows, warmer) if warmer is not None else None
    if args.output == "json":
        report.print_json([row.as_dict() for row in rows])
        if warm_result is not None:
            print(_warm_summary(warm_result), file=sys.stderr)
    else:
        _print_table(rows)
        if warm_result is not None:
            print(_warm_summary(warm_result))
    return 0 if all(row.verdict == OK for row in rows) else 1
