"""What ``scripts/setup-ecr.sh`` needs to know about a stack, from ``pulumi config --json``.

The script calls ``python -m ecr.config plan`` and reads one tab-separated record a line:

* ``region <aws:region or empty>``
* ``caches <prefix,prefix,...>``
* ``cred <prefix> <name> <username key> <token key> <username env> <token env> <how to get>
  <have username 0/1> <have token 0/1>`` for each chosen cache that needs credentials
* ``nodes <0/1>``: whether node roles are configured (role names or an EKS cluster)

The config is judged by ``ecr.config.settings.validate``, the program's own validator:
missing credentials (and a token stored in plain text) are the script's to fix, so they are
records, not errors; any other problem is fatal, as it would be in ``pulumi up``.
"""

from __future__ import annotations

import textwrap

from ecr import catalogue
from ecr.config.keys import qualified
from ecr.config.problems import MISSING_CREDENTIAL, PLAINTEXT_CREDENTIAL, Problem
from ecr.config.settings import validate
from ecr.config.sources import RawConfig


def credential_help() -> list[str]:
    """The help text's lines on the credential environment variables (from the catalogue)."""
    lines: list[str] = []
    for upstream in catalogue.CATALOGUE:
        spec = upstream.credentials
        if spec is None:
            continue
        lines.append(f"  {spec.username_env} + {spec.token_env}: {upstream.name}, "
                     f"for the {upstream.prefix} cache;")
        lines += textwrap.wrap(spec.how_to_get, 88, initial_indent="      ",
                               subsequent_indent="      ")
    return lines


def plan(raw: RawConfig) -> tuple[list[str], list[str], list[Problem]]:
    """(records, warnings, fatal problems) for the stack's config."""
    found = validate(raw.values, raw.secret_keys)
    fatal = list(found.fatal(credentials_required=False))
    settings = found.settings
    records = [f"region\t{raw.region or ''}", f"caches\t{','.join(settings.caches)}"]
    warnings: list[str] = []
    missing = {(p.key, p.kind) for p in found.problems}
    for upstream in settings.upstreams:
        spec = upstream.credentials
        if spec is None:
            continue
        have_user = (spec.username_key, MISSING_CREDENTIAL) not in missing
        plaintext = (spec.token_key, PLAINTEXT_CREDENTIAL) in missing
        have_token = not plaintext and (spec.token_key, MISSING_CREDENTIAL) not in missing
        if plaintext:
            warnings.append(f"warning: {qualified(spec.token_key)} is stored in plaintext; "
                            "it will be set again as a secret")
        fields = [upstream.prefix, upstream.name, spec.username_key, spec.token_key,
                  spec.username_env, spec.token_env, spec.how_to_get,
                  str(int(have_user)), str(int(have_token))]
        records.append("\t".join(["cred", *fields]))
    has_nodes = bool(settings.node_role_names or settings.eks_cluster_name)
    records.append(f"nodes\t{int(has_nodes)}")
    return records, warnings, fatal
