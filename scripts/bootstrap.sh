#!/usr/bin/env bash
# Prepare a machine for this repository: a virtualenv with the pinned Python
# requirements, the repository exposed as the collection baobab.webstack,
# a Docker engine and the locally built test images.
#
#   scripts/bootstrap.sh            everything
#   scripts/bootstrap.sh python     only the virtualenv and collection link
#
# Safe to run again: every step is skipped when already done.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
VENV="${WEBSTACK_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

need_os_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    log "missing system packages: ${missing[*]} (install them, or run this as root on Debian)"
    return 1
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

python_env() {
  if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need_os_packages python3-venv
  fi
  local stamp="$VENV/.requirements.sha256" want
  want="$(cat "$ROOT/requirements.txt" "$ROOT/constraints.txt" | sha256sum | cut -c1-64)"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    log "virtualenv $VENV is up to date"
  else
    log "creating virtualenv $VENV with the pinned requirements"
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -r "$ROOT/requirements.txt" -c "$ROOT/constraints.txt"
    echo "$want" >"$stamp"
  fi
  # Galaxy's importer pins packages that clash with the main set: own venv.
  local gi="$ROOT/.cache/venv-galaxy-importer" gi_want
  gi_want="$(sha256sum "$ROOT/requirements-galaxy-importer.txt" | cut -c1-64)"
  if [ "$(cat "$gi/.requirements.sha256" 2>/dev/null)" != "$gi_want" ]; then
    log "creating the galaxy-importer virtualenv"
    [ -x "$gi/bin/python" ] || "$PY" -m venv "$gi"
    "$gi/bin/python" -m pip install -q -r "$ROOT/requirements-galaxy-importer.txt"
    echo "$gi_want" >"$gi/.requirements.sha256"
  fi
  # Expose the checkout as baobab.webstack for ansible (see ansible.cfg).
  local link="$ROOT/.cache/collections/ansible_collections/baobab/webstack"
  mkdir -p "$(dirname "$link")"
  if [ "$(readlink "$link" 2>/dev/null)" != "$ROOT" ]; then
    rm -rf "$link"
    ln -s "$ROOT" "$link"
  fi
}

main() {
  local what="${1:-all}"
  python_env
  [ "$what" = "python" ] && return 0
  "$ROOT/scripts/ensure-docker.sh"
  "$ROOT/scripts/build-images.sh"
}

main "$@"
