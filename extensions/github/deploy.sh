#!/usr/bin/env bash
# Deploy one release of a Laravel application with baobab.webstack.
#
# What the reusable GitHub Actions workflow (.github/workflows/deploy.yml)
# runs, and what anyone can run from a shell with the same variables:
#
#   WEBSTACK_INVENTORY=inventories/production \
#   WEBSTACK_ARTIFACT=build/app.tar.gz \
#   WEBSTACK_RELEASE_ID=$(git rev-parse HEAD) \
#   SSH_PRIVATE_KEY="$(cat deploy_key)" SSH_KNOWN_HOSTS="$(cat known_hosts)" \
#   ANSIBLE_VAULT_PASSWORD=... \
#     extensions/github/deploy.sh [extra ansible-playbook arguments]
#
# Variables read:
#   WEBSTACK_INVENTORY       inventory path (required)
#   WEBSTACK_ARTIFACT        release tarball on this machine (required)
#   WEBSTACK_RELEASE_ID      release id; default GITHUB_SHA (one of them required)
#   WEBSTACK_PLAYBOOK        default baobab.webstack.deploy (FQCN) or a path
#   WEBSTACK_ENVIRONMENT     name shown in the summary (default: unnamed)
#   WEBSTACK_HEALTH_PATTERN  hosts whose laravel_health_url is read back
#                            after the deploy (default: app)
#   SSH_KNOWN_HOSTS          pinned host keys (required, never skipped)
#   SSH_PRIVATE_KEY          deploy key (optional: without it ssh uses the
#                            agent or the user's own keys)
#   ANSIBLE_VAULT_PASSWORD   Vault password (optional)
#   WEBSTACK_STRATEGY        linear (default: Ansible's own) or mitogen (the
#                            mitogen package installed beside Ansible; see
#                            README.md, "Mitogen")
#   WEBSTACK_PYTHON          the Python that runs Ansible, where mitogen is
#                            looked up (default python3)
#   RUNNER_TEMP              where the 0600 files are written (default TMPDIR)
#   GITHUB_STEP_SUMMARY      Markdown summary appended there when set
#
# Secrets are written with mode 0600 into a private temporary directory that
# is removed on exit, and removed from the environment before Ansible runs.
# Nothing this script prints contains a secret.
set -euo pipefail
umask 077

die() { printf 'deploy: %s\n' "$*" >&2; exit 2; }
log() { printf 'deploy: %s\n' "$*" >&2; }

inventory=${WEBSTACK_INVENTORY:-}
artifact=${WEBSTACK_ARTIFACT:-}
release_id=${WEBSTACK_RELEASE_ID:-${GITHUB_SHA:-}}
playbook=${WEBSTACK_PLAYBOOK:-baobab.webstack.deploy}
environment_name=${WEBSTACK_ENVIRONMENT:-unnamed}
health_pattern=${WEBSTACK_HEALTH_PATTERN:-app}
strategy=${WEBSTACK_STRATEGY:-linear}

# Checks that need no secret come first: nothing is written or changed when
# one of them fails.
[ -n "$inventory" ] || die "WEBSTACK_INVENTORY is not set (path of the Ansible inventory)"
[ -e "$inventory" ] || die "inventory not found: $inventory"
[ -n "$artifact" ] || die "WEBSTACK_ARTIFACT is not set (path of the release tarball)"
[ -f "$artifact" ] || die "artifact not found: $artifact"
[ -n "$release_id" ] || die "no release id: set WEBSTACK_RELEASE_ID or GITHUB_SHA"
case $release_id in
  *[!A-Za-z0-9._-]*) die "release id may only hold letters, digits, '.', '_' and '-'" ;;
esac

case $strategy in
  linear) ;;
  mitogen)
    # Mitogen's strategy plugins ship inside its package; Ansible finds them
    # through ANSIBLE_STRATEGY_PLUGINS
    strategy_dir=$("${WEBSTACK_PYTHON:-python3}" -c \
      'import os, ansible_mitogen; print(os.path.join(os.path.dirname(ansible_mitogen.__file__), "plugins", "strategy"))' \
      2>/dev/null) && [ -f "$strategy_dir/mitogen_linear.py" ] \
      || die "WEBSTACK_STRATEGY=mitogen but ${WEBSTACK_PYTHON:-python3} cannot import ansible_mitogen:" \
             "install mitogen beside Ansible (pip install mitogen==0.3.54) or use WEBSTACK_STRATEGY=linear"
    export ANSIBLE_STRATEGY_PLUGINS="$strategy_dir" ANSIBLE_STRATEGY=mitogen_linear
    ;;
  *) die "WEBSTACK_STRATEGY must be linear or mitogen, not '$strategy'" ;;
esac

known_hosts_lines=$(printf '%s\n' "${SSH_KNOWN_HOSTS:-}" | grep -cvE '^[[:space:]]*(#|$)' || true)
if [ "$known_hosts_lines" -eq 0 ]; then
  die "SSH_KNOWN_HOSTS is empty: give the pinned host keys of the targets" \
      "(ssh-keyscan once from a trusted network, check the fingerprints, store" \
      "the lines as the SSH_KNOWN_HOSTS secret). Host key checking is never turned off."
fi
if printf '%s\n' "${SSH_KNOWN_HOSTS}" | grep -vE '^[[:space:]]*(#|$)' \
    | awk 'NF < 3 { bad = 1 } END { exit bad }'; then
  :
else
  die "SSH_KNOWN_HOSTS has a line that is not '<hosts> <key type> <key>'"
fi

base=${RUNNER_TEMP:-${TMPDIR:-/tmp}}
work=$(mktemp -d "$base/webstack-deploy.XXXXXX")
# SSH control sockets (connection sharing) get a short directory of their
# own (a Unix socket path is limited to 108 bytes); every master still
# running at exit is closed, so no connection outlives the job and its key.
control_dir=$(mktemp -d "${TMPDIR:-/tmp}/wsd-cp.XXXXXX")
export ANSIBLE_SSH_CONTROL_PATH_DIR="$control_dir"
cleanup() {
  local sock
  for sock in "$control_dir"/*; do
    [ -S "$sock" ] || continue
    ssh -o ControlPath="$sock" -O exit webstack-deploy >/dev/null 2>&1 || true
  done
  rm -rf "$work" "$control_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s\n' "$SSH_KNOWN_HOSTS" > "$work/known_hosts"
ssh_args="-o UserKnownHostsFile=$work/known_hosts -o StrictHostKeyChecking=yes"
if [ -n "${SSH_PRIVATE_KEY:-}" ]; then
  # keys pasted into a secret often lose their final newline; ssh needs it
  printf '%s\n' "$SSH_PRIVATE_KEY" > "$work/id_deploy"
  export ANSIBLE_PRIVATE_KEY_FILE="$work/id_deploy"
  ssh_args="$ssh_args -o IdentitiesOnly=yes"
else
  log "SSH_PRIVATE_KEY is not set: ssh uses the agent or the user's own keys"
fi
vault_args=()
if [ -n "${ANSIBLE_VAULT_PASSWORD:-}" ]; then
  printf '%s\n' "$ANSIBLE_VAULT_PASSWORD" > "$work/vault_password"
  vault_args=(--vault-password-file "$work/vault_password")
fi
unset SSH_PRIVATE_KEY ANSIBLE_VAULT_PASSWORD

export ANSIBLE_HOST_KEY_CHECKING=True
export ANSIBLE_SSH_COMMON_ARGS="$ssh_args"
export ANSIBLE_FORCE_COLOR=${ANSIBLE_FORCE_COLOR:-0}

# the lock each host takes names this run, for whoever finds it held
release_args=(-e "laravel_release_id=$release_id" -e "laravel_artifact=$(cd "$(dirname "$artifact")" && pwd)/$(basename "$artifact")")
if [ -n "${GITHUB_RUN_ID:-}" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
  release_args+=(-e "laravel_deploy_run_url=${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID")
fi

# The hosts the play will touch (same inventory, limit and variables).
hosts=$(ansible-playbook -i "$inventory" "${vault_args[@]}" "${release_args[@]}" "$@" \
          --list-hosts "$playbook" 2>/dev/null \
        | awk '/hosts \([0-9]+\):/ { on = 1; next } on && NF == 1 { print $1 } on && NF != 1 { on = 0 }' \
        | sort -u | paste -sd ' ' -) || hosts=""

log "release $release_id to ${hosts:-(no host listed)} (strategy $strategy)"
set +e
ansible-playbook -i "$inventory" "${vault_args[@]}" "${release_args[@]}" "$@" "$playbook" 2>&1 \
  | tee "$work/playbook.log"
rc=${PIPESTATUS[0]}
set -e
recap=$(sed -n '/^PLAY RECAP/,/^$/p' "$work/playbook.log" | sed '1d;/^$/d')

# Read /up back from the hosts themselves, as the role's own check does, so
# the summary shows what is live now (the role already refused to keep a
# release that failed it).
health="not checked (the playbook failed)"
if [ "$rc" -eq 0 ]; then
  health=$(ansible "$health_pattern" -i "$inventory" "${vault_args[@]}" "${release_args[@]}" -o \
             -m ansible.builtin.uri \
             -a 'url={{ laravel_health_url | default("", true) }} validate_certs={{ laravel_health_validate_certs | default(true) }} status_code=200' \
             2>/dev/null \
           | python3 -c '
import json, sys
for line in sys.stdin:
    host, sep, rest = line.partition(" | ")
    if not sep:
        continue
    state, _, payload = rest.partition(" => ")
    try:
        data = json.loads(payload)
    except ValueError:
        print("%s: %s" % (host, state.strip()))
        continue
    if data.get("status", -1) > 0:
        print("%s: HTTP %s from %s (X-Release: %s)" % (host, data["status"], data.get("url", "?"), data.get("x_release", "-")))
    else:
        print("%s: %s (%s)" % (host, state.strip(), data.get("msg", "no answer")))
') || true
  [ -n "$health" ] || health="no answer from $health_pattern"
fi

if [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  {
    if [ "$rc" -eq 0 ]; then
      printf '## Deployed to %s\n\n' "$environment_name"
    else
      printf '## Deploy to %s FAILED (ansible-playbook exit %s)\n\n' "$environment_name" "$rc"
    fi
    printf '| | |\n| --- | --- |\n'
    printf '| release id | `%s` |\n' "$release_id"
    printf '| artifact | `%s` |\n' "$(basename "$artifact")"
    printf '| hosts | %s |\n' "${hosts:-none listed}"
    printf '\n### /up\n\n```\n%s\n```\n' "$health"
    printf '\n### Play recap\n\n```\n%s\n```\n' "${recap:-none}"
  } >> "$GITHUB_STEP_SUMMARY"
fi
printf 'deploy: /up %s\n' "$health" >&2
exit "$rc"
