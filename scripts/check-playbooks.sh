#!/usr/bin/env bash
# Syntax-check every playbook against every inventory it is meant for, and
# make sure every inventory parses (`ansible-inventory --graph`).
# A syntax check of site.yml covers the tier playbooks it imports, so each
# inventory checks site.yml and the playbooks that site.yml does not import.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
imported="$(sed -n 's/^ *ansible\.builtin\.import_playbook: *\([^ ]*\.yml\) *$/\1/p' playbooks/site.yml)"
standalone=(site.yml)  # site.yml imports playbooks/site.yml
for pb in playbooks/*.yml; do
  name="$(basename "$pb")"
  case "$name" in
    site.yml|provision_*.yml) continue ;;  # provision_*: localhost against cloud APIs, checked below
  esac
  grep -qxF "$name" <<<"$imported" || standalone+=("$pb")
done
rc=0
for inv in inventories/*/; do
  inv="${inv%/}"
  echo "== inventory $inv: ${standalone[*]}"
  if ! ansible-inventory -i "$inv" --graph >/dev/null; then
    echo "inventory $inv does not parse"; rc=1; continue
  fi
  for pb in "${standalone[@]}"; do
    [ -f "$pb" ] || continue
    ansible-playbook -i "$inv" --syntax-check "$pb" >/dev/null || { echo "syntax error: $pb with $inv"; rc=1; }
  done
done
for pb in playbooks/provision_*.yml; do
  [ -f "$pb" ] || continue
  ansible-playbook -i localhost, --syntax-check "$pb" >/dev/null || { echo "syntax error: $pb"; rc=1; }
done
exit $rc
