#!/usr/bin/env bash
# From a fresh clone to a deployed ECR pull-through cache in one command; safe to run again.
#
#   ./scripts/setup-ecr.sh                 # interactive: asks for missing credentials, confirms the update
#   ./scripts/setup-ecr.sh --yes           # unattended (CI): never prompts, credentials from the environment
#   ./scripts/setup-ecr.sh --preview       # everything up to `pulumi preview`; deploys nothing
#
# Every step checks before it acts, so a second run changes nothing that is already in place:
# prerequisites -> venv + requirements.txt -> AWS identity -> stack -> aws:region -> upstream
# credentials -> pulumi up -> registry URL and next steps.  It never logs in for you and never
# prints a secret: tokens go to `pulumi config set --secret` on stdin, never on a command line.
set -euo pipefail
# A token is held in a variable for a moment; `bash -x setup-ecr.sh` must not print it.
{ set +x; } 2>/dev/null

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
NS=infra-ecr                    # the Pulumi project name: the config namespace
VENV=${VENV:-$ROOT/venv}        # the virtualenv Pulumi.yaml names (runtime.options.virtualenv)
PYTHON=${PYTHON:-python3}       # the interpreter that creates the venv
MIN_PYTHON=(3 11)               # what the code needs (datetime.UTC; ruff target-version py311)
DEFAULT_STACK=prod
DEFAULT_REGION=af-south-1

usage() {
    cat <<EOF
Usage: scripts/setup-ecr.sh [--stack NAME] [--region REGION] [--yes] [--preview]

Deploys the infra-ecr stack (ECR pull-through cache) and prints the registry URL.
Safe to run again: it only does what is still missing.

  -s, --stack NAME     Pulumi stack to select or create (default: $DEFAULT_STACK)
  -r, --region REGION  AWS region, set only when the stack has none
                       (default: $DEFAULT_REGION; Pulumi.prod.yaml already names it)
  -y, --yes            never prompt: credentials must come from the environment,
                       and \`pulumi up --yes\` deploys without asking
      --preview        run \`pulumi preview\` instead of \`pulumi up\` (deploys nothing)
  -h, --help           this help

Upstream credentials, asked for (hidden input) only when the stack lacks them:
$(credential_help)

Environment: VENV (default: ./venv), PYTHON (default: python3), and the usual
AWS_PROFILE / AWS_REGION / PULUMI_CONFIG_PASSPHRASE for aws and pulumi.
Exit status: 0 done, 1 a prerequisite or step failed (the message says how to fix it),
2 bad usage.
EOF
}

log() { printf '==> %s\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$1" >&2
    shift
    local line
    for line in "$@"; do printf '  %s\n' "$line" >&2; done
    exit 1
}
usage_error() {
    printf 'error: %s\n' "$*" >&2
    printf "Run '%s --help' for usage.\n" "$0" >&2
    exit 2
}

# ---------------------------------------------------------------------------------------------
# The stack's config is judged by the program's own reader (ecr/config, run as a module): the
# credential table comes from ecr/catalogue.py, the one place the facts live, and `plan` reads
# `pulumi config --json` on stdin.  `help` is stdlib only, so any python3 can print it.
config_python() { # config_python INTERPRETER help|plan
    PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" "$1" -m ecr.config "${@:2}"
}

credential_help() {
    local py
    for py in "$VENV/bin/python" "$PYTHON" python3; do
        if command -v "$py" >/dev/null 2>&1 && config_python "$py" help 2>/dev/null; then
            return 0
        fi
    done
    echo "  DOCKERHUB_USERNAME, DOCKERHUB_TOKEN, GITHUB_USERNAME, GITHUB_TOKEN (see ecr/catalogue.py)"
}

# ---------------------------------------------------------------------------------------------
STACK=$DEFAULT_STACK
REGION=
YES=false
PREVIEW=false
while [ $# -gt 0 ]; do
    case $1 in
        -h | --help) usage; exit 0 ;;
        -y | --yes) YES=true ;;
        --preview) PREVIEW=true ;;
        -s | --stack | -r | --region)
            [ $# -ge 2 ] && [ -n "$2" ] && [[ $2 != -* ]] || usage_error "$1 needs a value"
            case $1 in -s | --stack) STACK=$2 ;; *) REGION=$2 ;; esac
            shift ;;
        --stack=*) STACK=${1#*=} ;;
        --region=*) REGION=${1#*=} ;;
        *) usage_error "unknown argument: $1" ;;
    esac
    shift
done
[[ $STACK =~ ^[A-Za-z0-9][A-Za-z0-9_./-]*$ ]] || usage_error "invalid stack name: '$STACK'"
if [ -n "$REGION" ] && ! [[ $REGION =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]]; then
    usage_error "invalid AWS region: '$REGION' (e.g. af-south-1, eu-west-1)"
fi

cd "$ROOT"

# Prompts need a terminal.  Without one, only --yes (or --preview) makes sense: fail now, not
# after half the work, when `pulumi up` would ask for a confirmation nobody can give.
INTERACTIVE=false
if ! $YES && [ -t 0 ]; then INTERACTIVE=true; fi
if ! $YES && ! $PREVIEW && ! $INTERACTIVE; then
    usage_error "no terminal to confirm the update on: pass --yes to deploy without asking, or --preview"
fi
# pulumi, told not to prompt when this run must not.
run_pulumi() {
    if $INTERACTIVE; then pulumi "$@"; else pulumi "$@" --non-interactive; fi
}

# ---------------------------------------------------------------------------------------------
# 1. Prerequisites: report every missing one at once, each with how to get it.
log "checking prerequisites"
problems=()

python_ok() { # python_ok INTERPRETER: >= MIN_PYTHON with venv and ensurepip (Debian: python3-venv)
    # found, not imported: importing them costs more than the rest of the check
    "$1" -c "import sys, importlib.util as u; sys.exit(sys.version_info[:2] < (${MIN_PYTHON[0]}, ${MIN_PYTHON[1]}) or not (u.find_spec('venv') and u.find_spec('ensurepip')))" \
        >/dev/null 2>&1
}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
    problems+=("python3 not found (need >= ${MIN_PYTHON[0]}.${MIN_PYTHON[1]}): Debian/Ubuntu: sudo apt-get install python3 python3-venv; macOS: brew install python; or set PYTHON=/path/to/python3")
elif ! python_ok "$PYTHON"; then
    version=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || echo unknown)
    problems+=("$PYTHON is $version without a usable venv module; need >= ${MIN_PYTHON[0]}.${MIN_PYTHON[1]} with venv: Debian/Ubuntu: sudo apt-get install python3-venv; macOS: brew install python; or set PYTHON=/path/to/python3")
else
    note "python: $("$PYTHON" -c 'import sys; print(sys.version.split()[0])') ($(command -v "$PYTHON"))"
fi

# The Pulumi installer puts the CLI in ~/.pulumi/bin and asks for a new shell; use it meanwhile.
if ! command -v pulumi >/dev/null 2>&1 && [ -x "${HOME:-/nonexistent}/.pulumi/bin/pulumi" ]; then
    PATH="$HOME/.pulumi/bin:$PATH"
    note "using $HOME/.pulumi/bin/pulumi (add it to PATH: export PATH=\"\$HOME/.pulumi/bin:\$PATH\")"
fi
BACKEND_URL=
if ! command -v pulumi >/dev/null 2>&1; then
    problems+=("pulumi CLI not found: curl -fsSL https://get.pulumi.com | sh   (or: brew install pulumi/tap/pulumi; see https://www.pulumi.com/docs/install/), then open a new shell")
elif ! whoami=$(pulumi whoami --verbose --non-interactive </dev/null 2>/dev/null); then
    problems+=("pulumi is not logged in to a backend (this script never logs in for you): run 'pulumi login' for Pulumi Cloud, or 'pulumi login --local' for state in ~/.pulumi, or 'pulumi login s3://<bucket>' for state in S3; then re-run")
else
    # Only the backend URL matters here: https = Pulumi Cloud, anything else = self-managed.
    BACKEND_URL=$(printf '%s\n' "$whoami" | sed -n 's/^Backend URL: *//p' | head -n1)
    note "pulumi: $(pulumi version 2>/dev/null || echo '?'), backend ${BACKEND_URL:-unknown}"
fi

AWS_CHECKED=false
aws_identity_problem() { # the problem text for a failed identity check; $1 = the tool's error
    local detail=${1//$'\n'/ }
    printf 'AWS credentials are missing or not valid (%s): run aws configure, or aws sso login --profile <name> and export AWS_PROFILE=<name>, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; https://docs.aws.amazon.com/cli/latest/userguide/cli-chap-configure.html' \
        "${detail:0:300}"
}
if command -v aws >/dev/null 2>&1; then
    if identity=$(aws sts get-caller-identity --query '[Account, Arn]' --output text 2>&1 </dev/null); then
        note "AWS: account ${identity//$'\t'/ as }"
        AWS_CHECKED=true
    else
        problems+=("$(aws_identity_problem "$identity")")
    fi
fi

if [ ${#problems[@]} -gt 0 ]; then
    printf 'error: %d prerequisite(s) missing:\n' "${#problems[@]}" >&2
    for problem in "${problems[@]}"; do printf '  - %s\n' "$problem" >&2; done
    exit 1
fi

# ---------------------------------------------------------------------------------------------
# 2. The venv Pulumi runs the program in, with requirements.txt; reinstalled only on change.
VENV_PY="$VENV/bin/python"
if [ ! -x "$VENV_PY" ]; then
    log "creating the virtualenv $VENV"
    "$PYTHON" -m venv "$VENV"
elif ! python_ok "$VENV_PY"; then
    die "the virtualenv $VENV is broken or too old (its python does not run, or is < ${MIN_PYTHON[0]}.${MIN_PYTHON[1]})" \
        "remove it and re-run: rm -rf '$VENV' && $0"
fi
# The venv stamp scripts/ecr reads too (so the first scripts/ecr run after setup installs
# nothing): line 1 the sha256 of requirements.txt and the two files it includes
# (requirements-tools.txt, requirements-stack.txt), concatenated; line 2 the venv's Python
# version (python, not sha256sum: macOS lacks it).  scripts/ecr checks line 1 only.
stamp="$VENV/.ecr-requirements.sha256"
want=$("$VENV_PY" -c 'import hashlib, sys
files = ("requirements.txt", "requirements-tools.txt", "requirements-stack.txt")
print(hashlib.sha256(b"".join(open(f, "rb").read() for f in files)).hexdigest())
print("python %d.%d.%d" % sys.version_info[:3])')
if [ "$(cat "$stamp" 2>/dev/null || true)" = "$want" ]; then
    note "requirements.txt already installed in $VENV"
else
    log "installing requirements.txt into $VENV"
    "$VENV_PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt >&2 ||
        die "pip could not install requirements.txt into $VENV" \
            "check your network or proxy (pip reaches https://pypi.org), then re-run"
    # the tools' bytecode, as scripts/ecr compiles it (PYTHONDONTWRITEBYTECODE would make
    # every command compile ecr/ again); a checkout this user cannot write is no error
    "$VENV_PY" -m compileall -q ecr >/dev/null 2>&1 || true
    printf '%s\n' "$want" >"$stamp.tmp" && mv -f "$stamp.tmp" "$stamp"
fi

# No aws CLI: ask the same question through boto3, which requirements.txt just installed.
if ! $AWS_CHECKED; then
    if identity=$("$VENV_PY" -c '
import boto3
identity = boto3.client("sts").get_caller_identity()
print(identity["Account"], "as", identity["Arn"])' 2>&1 </dev/null); then
        note "AWS: account $identity"
    else
        die "$(aws_identity_problem "$(printf '%s' "$identity" | tail -n1)")"
    fi
fi

# ---------------------------------------------------------------------------------------------
# 3. Self-managed backends (file://, s3://, ...) encrypt secrets with a passphrase: ask once here
#    rather than once per pulumi command.  Stacks with their own secrets provider need none.
stack_file="Pulumi.${STACK##*/}.yaml"
needs_passphrase=false
if [ -n "$BACKEND_URL" ] && [[ $BACKEND_URL != https://* ]] &&
    [ -z "${PULUMI_CONFIG_PASSPHRASE+set}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE+set}" ] &&
    ! grep -q '^secretsprovider:' "$stack_file" 2>/dev/null; then
    needs_passphrase=true
fi
if $needs_passphrase; then
    if ! $INTERACTIVE; then
        die "the $BACKEND_URL backend encrypts this stack's secrets with a passphrase, and this run cannot ask for it" \
            "export PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE=<file>) and re-run"
    fi
    read -rsp "Passphrase for the '$STACK' stack's secrets (hidden): " PULUMI_CONFIG_PASSPHRASE
    printf '\n' >&2
    if ! grep -q '^encryptionsalt:' "$stack_file" 2>/dev/null; then
        read -rsp "Repeat it (a new stack; keep it safe, every later run needs it): " again
        printf '\n' >&2
        [ "$again" = "$PULUMI_CONFIG_PASSPHRASE" ] || die "the passphrases differ; nothing was changed"
        unset again
    fi
    export PULUMI_CONFIG_PASSPHRASE
fi

# ---------------------------------------------------------------------------------------------
# 4. The stack, then its region.
log "selecting stack $STACK"
run_pulumi stack select --create "$STACK" >&2 ||
    die "could not select or create the stack '$STACK' (pulumi's message is above)"

read_plan() { # fills REGION_SET, CACHES, CREDS[], NODES_SET from the stack's config
    local config_json record
    config_json=$(run_pulumi config --json --stack "$STACK") ||
        die "could not read the stack's configuration (pulumi config --json --stack $STACK)"
    local plan
    plan=$(printf '%s' "$config_json" | config_python "$VENV_PY" plan) ||
        die "the stack's configuration is not usable (see above); fix it with pulumi config set, then re-run"
    CREDS=()
    while IFS= read -r record; do
        case ${record%%$'\t'*} in
            region) REGION_SET=${record#*$'\t'} ;;
            caches) CACHES=${record#*$'\t'} ;;
            cred) CREDS+=("${record#*$'\t'}") ;;
            nodes) NODES_SET=${record#*$'\t'} ;;
        esac
    done <<<"$plan"
}
REGION_SET=
CACHES=
NODES_SET=0
CREDS=()
read_plan

if [ -n "$REGION_SET" ]; then
    if [ -n "$REGION" ] && [ "$REGION" != "$REGION_SET" ]; then
        printf 'error: the stack %s already uses aws:region %s; --region %s would move every resource.\n' \
            "$STACK" "$REGION_SET" "$REGION" >&2
        printf '  If that is what you want, run: pulumi config set aws:region %s --stack %s\n' "$REGION" "$STACK" >&2
        exit 2
    fi
    note "aws:region is $REGION_SET"
else
    REGION_SET=${REGION:-$DEFAULT_REGION}
    log "setting aws:region to $REGION_SET"
    run_pulumi config set aws:region "$REGION_SET" --stack "$STACK" >&2 ||
        die "could not set aws:region (pulumi's message is above)"
fi
note "caches: ${CACHES:+${CACHES//,/, }}${CACHES:-none (infra-ecr:caches is []: no pull-through cache rules)}"

# ---------------------------------------------------------------------------------------------
# 5. Upstream credentials for the caches that need them and do not have them yet.
missing=()
for record in ${CREDS[@]+"${CREDS[@]}"}; do
    IFS=$'\t' read -r prefix name user_key token_key user_env token_env how have_user have_token <<<"$record"
    [ "$have_user" = 1 ] && [ "$have_token" = 1 ] && continue

    user=${!user_env:-}
    token=${!token_env:-}
    if $INTERACTIVE && { { [ "$have_user" = 0 ] && [ -z "$user" ]; } ||
        { [ "$have_token" = 0 ] && [ -z "$token" ]; }; }; then
        printf '%s credentials for the %s cache (%s:caches includes it).\n  To get a token: %s\n' \
            "$name" "$prefix" "$NS" "$how" >&2
        if [ "$have_user" = 0 ] && [ -z "$user" ]; then
            read -rp "  $name username: " user
        fi
        if [ "$have_token" = 0 ] && [ -z "$token" ]; then
            read -rsp "  $name access token (hidden): " token
            printf '\n' >&2
        fi
    fi
    # Pasted values carry stray whitespace; neither a username nor a token contains any.
    user=${user//[[:space:]]/}
    token=${token//[[:space:]]/}
    if { [ "$have_user" = 0 ] && [ -z "$user" ]; } || { [ "$have_token" = 0 ] && [ -z "$token" ]; }; then
        missing+=("$prefix	$name	$user_key	$token_key	$user_env	$token_env	$how")
        unset token
        continue
    fi
    if [ "$have_user" = 0 ]; then
        log "setting $NS:$user_key"
        run_pulumi config set "$NS:$user_key" "$user" --stack "$STACK" >&2 ||
            die "could not set $NS:$user_key (pulumi's message is above)"
    fi
    if [ "$have_token" = 0 ]; then
        log "setting $NS:$token_key (secret, encrypted by pulumi)"
        # printf is a builtin: the token is in no process's argv, only on pulumi's stdin.
        printf '%s' "$token" | run_pulumi config set --secret "$NS:$token_key" --stack "$STACK" >&2 ||
            die "could not set $NS:$token_key (pulumi's message is above; a wrong passphrase?)"
    fi
    unset token
done

if [ ${#missing[@]} -gt 0 ]; then
    {
        printf 'error: missing upstream credentials (the stack caches these upstreams, which need a login):\n'
        for record in "${missing[@]}"; do
            IFS=$'\t' read -r prefix name user_key token_key user_env token_env how <<<"$record"
            printf '  %s (%s cache): %s\n' "$name" "$prefix" "$how"
            printf '    either export %s and %s and re-run, or set them once:\n' "$user_env" "$token_env"
            printf '      pulumi config set %s:%s <username> --stack %s\n' "$NS" "$user_key" "$STACK"
            printf '      pulumi config set --secret %s:%s --stack %s   (it asks for the token)\n' \
                "$NS" "$token_key" "$STACK"
        done
        printf '  or leave those upstreams out of %s:caches.\n' "$NS"
    } >&2
    exit 1
fi

if [ "$NODES_SET" = 0 ]; then
    printf '%s\n' \
        "note: no EKS node roles configured. With stock node roles the FIRST pull of a new image through" \
        "      the cache fails (it needs ecr:CreateRepository and ecr:BatchImportUpstreamImage). Let this" \
        "      stack grant them: pulumi config set $NS:eksClusterName <cluster> --stack $STACK" \
        "      or: pulumi config set --path '$NS:nodeRoleNames[0]' <node-role-name> --stack $STACK" >&2
fi

# ---------------------------------------------------------------------------------------------
# 6. Deploy (or preview), then say where the registry is and what to do next.
if $PREVIEW; then
    log "pulumi preview --stack $STACK"
    run_pulumi preview --stack "$STACK" ||
        die "pulumi preview failed (its message is above); nothing was deployed"
    printf 'Preview only: nothing was deployed. To deploy: %s%s\n' "$0" "$([ "$STACK" = "$DEFAULT_STACK" ] || printf ' --stack %s' "$STACK")"
    exit 0
fi

up=(up --stack "$STACK")
$YES && up+=(--yes)
log "pulumi ${up[*]}"
run_pulumi "${up[@]}" ||
    die "pulumi up failed (its message is above); fix the cause and re-run this script, it resumes where it stopped"

if url=$(run_pulumi stack output ecr_registry_url --stack "$STACK" 2>/dev/null) && [ -n "$url" ]; then
    :
else
    url="<registry>"
    note "could not read the ecr_registry_url output: pulumi stack output ecr_registry_url --stack $STACK"
fi

examples=
case ",$CACHES," in *,docker-hub,*)
    examples+="    $url/docker-hub/library/nginx:1.27   (Docker Hub official images need library/)"$'\n' ;;
esac
case ",$CACHES," in *,ecr-public,*)
    examples+="    $url/ecr-public/docker/library/nginx:1.27   (the same image via ECR Public)"$'\n' ;;
esac
cat <<EOF

Registry: $url
  Images pull through the cache as $url/<cache>/<image path>:<tag>${examples:+, e.g.}
${examples}
Next steps (the tools read the registry from this stack, now the selected one):
  1. Check the cache end to end:                scripts/ecr doctor
  2. Rewrite image references in Helm values:   scripts/ecr convert --files values.yaml   (add --write to apply)
  3. Prove they resolve, and warm the cache:    scripts/ecr verify --warm values.yaml
  4. See what is cached and what it costs:      scripts/ecr status
Run this script again at any time: it only changes what is missing.
EOF
