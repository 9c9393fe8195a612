#!/usr/bin/env bash
# Run every check infra-ecr has: ruff, mypy, shellcheck and the test suite.
#
#   ./scripts/test.sh            # everything
#   ./scripts/test.sh -k convert # extra arguments go to pytest
#   PYTEST_WORKERS=2 ./scripts/test.sh   # test processes (default: one more than the cores)
#
# It installs what it needs: Debian's docker-registry and skopeo (for the tests
# that run real registries; apt-get, when run as root or with sudo) and a venv
# with requirements-dev.txt.  Without the Debian packages those tests skip with
# a message, except under CI=true, where a missing dependency fails the run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
VENV=${VENV:-$ROOT/venv}
PYTHON=${PYTHON:-python3}

log() { printf '==> %s\n' "$*" >&2; }

install_debian_packages() {
    local missing=()
    command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
    [ -x /usr/bin/docker-registry ] || missing+=(docker-registry)
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            sudo=(sudo -n)
        else
            log "not root: cannot install ${missing[*]} (sudo apt-get install ${missing[*]})"
            return 1
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "no apt-get: install ${missing[*]} by hand to run the registry tests"
        return 1
    fi
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq >/dev/null || true
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

if ! install_debian_packages; then
    if [ "${CI:-}" = "true" ]; then
        log "CI=true and the registry test dependencies could not be installed"
        exit 1
    fi
    log "continuing: registry tests will skip"
fi

# The venv is rebuilt only when the requirements change.
stamp="$VENV/.requirements.sha256"
# (requirements.txt includes requirements-tools.txt and requirements-stack.txt: scripts/ecr
# reads this stamp with the same files in the same order)
want=$(cat requirements.txt requirements-tools.txt requirements-stack.txt requirements-dev.txt |
    sha256sum | cut -d' ' -f1)
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "creating venv in $VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
    echo "$want" >"$stamp"
fi
export PATH="$VENV/bin:$PATH"
# The suite starts thousands of Python processes (the tools, Helm and Pulumi runners, nested
# pytest runs).  A shell or image that sets PYTHONDONTWRITEBYTECODE makes each of them compile
# every module of ours it imports, and each pytest worker rewrite every test module, again and
# again: bytecode goes to __pycache__ (git ignores it), as in a default Python.
unset PYTHONDONTWRITEBYTECODE

log "ruff"
ruff check .
log "mypy"
mypy
# The Pulumi program is a second module named __main__ (beside ecr/__main__.py): checked alone.
mypy --strict --explicit-package-bases __main__.py
log "shellcheck"
shopt -s nullglob
shellcheck scripts/*.sh scripts/ecr bench/*.sh tests/fakes/*
shopt -u nullglob
# The tests in parallel (pytest-xdist; PYTEST_WORKERS=0 runs them in this one process): one
# worker more than the cores, because many tests wait on a subprocess or a loopback server
# (on 2 cores: 149 s with 2 workers, 134 s with 3, 153 s with 4).  Tests sharing a
# once-per-run fixture stay on one worker (tests/xdist_groups.py: loadgroup).
cores=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
log "pytest"
exec python -m pytest -n "${PYTEST_WORKERS:-$((cores + 1))}" --dist loadgroup "$@"
