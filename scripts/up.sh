#!/usr/bin/env bash
# The main job on the embedded default: bring up the web stack in a local
# systemd container and converge site.yml on it.
#
#   scripts/up.sh                 set up (virtualenv, engine, image), create the
#                                 container if needed, run site.yml
#   scripts/up.sh --destroy       remove the local container
#   extra arguments are passed to ansible-playbook (e.g. -v, --check)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

if [ "${1:-}" = "--destroy" ]; then
  docker rm -f webstack-local >/dev/null 2>&1 || true
  echo "webstack-local removed"
  exit 0
fi

"$ROOT/scripts/bootstrap.sh"
export PATH="$ROOT/.venv/bin:$PATH" ANSIBLE_CONFIG="$ROOT/ansible.cfg"

ansible-playbook -i localhost, -c local -e ansible_python_interpreter="$ROOT/.venv/bin/python" \
  "$ROOT/molecule/_shared/create.yml" \
  -e @"$ROOT/scripts/local-container.yml" >/dev/null
# The release of the sample application: its id is the artifact's checksum,
# so a second run with unchanged sources deploys nothing.
mkdir -p .cache/local
bash tests/fixtures/build-laravel-artifact.sh .cache/local/app.tar.gz local >/dev/null
sha256sum .cache/local/app.tar.gz | cut -c1-12 >.cache/local/app.release

ansible-playbook -i inventories/local site.yml "$@"

echo
echo "The stack runs in the container webstack-local:"
echo "  http://127.0.0.1:8080/   https://127.0.0.1:8443/ (self-signed)"
if command -v curl >/dev/null 2>&1; then
  code="$(curl -sk -o /tmp/webstack-up.json -w '%{http_code}' https://127.0.0.1:8443/up || true)"
  echo "  GET /up -> ${code:-no answer} $(cat /tmp/webstack-up.json 2>/dev/null || true)"
fi
# One run of each backup job, so a fresh stack shows a backup and a restore
# drill that worked (they run on timers afterwards); not in check mode.
run_backups=yes
for arg in "$@"; do
  case "$arg" in --check | -C) run_backups=no ;; esac
done
if [ "$run_backups" = yes ]; then
  backups="failed (docker exec webstack-local journalctl -u 'webstack-backup-*')"
  if docker exec webstack-local systemctl start webstack-backup-postgresql.service \
    && docker exec webstack-local systemctl start webstack-backup-files.service \
    && docker exec webstack-local systemctl start webstack-backup-drill.service; then
    backups="database and files backed up, restore drill passed"
  fi
  echo "  backups -> /var/backups/webstack-restic in the container: $backups"
fi
