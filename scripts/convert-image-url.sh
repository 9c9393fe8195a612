#!/usr/bin/env bash
# Image references -> their ECR pull-through cache form (same as: scripts/ecr convert).
#
#   scripts/convert-image-url.sh nginx:1.27 bitnami/wordpress:latest
#   scripts/convert-image-url.sh --files environments/prod [--write | --check]
#   scripts/convert-image-url.sh              # usage and the configured caches
#
# The registry comes from --registry, else $ECR_REGISTRY, else the stack output
# ecr_registry_url.  --help lists every option.
set -euo pipefail

here=${BASH_SOURCE[0]%/*}  # no subshell, no dirname: this is the fast path
[ "$here" = "${BASH_SOURCE[0]}" ] && here=.
exec "$here/ecr" convert "$@"
