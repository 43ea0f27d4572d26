#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine.
#
# - If `docker info` already works, do nothing.
# - Otherwise, when running as root on Debian, install the distribution's
#   engine (docker.io) if it is missing and start dockerd in the background.
# - In any other case stop with a message that says what to do.
set -euo pipefail

log() { printf '[ensure-docker] %s\n' "$*" >&2; }

engine_up() { docker info >/dev/null 2>&1; }

wait_for_engine() {
  local i
  for i in $(seq 1 60); do
    engine_up && return 0
    sleep 1
  done
  return 1
}

if command -v docker >/dev/null 2>&1 && engine_up; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ] || [ ! -r /etc/debian_version ]; then
  log "No Docker engine is reachable."
  log "Start one (e.g. 'sudo systemctl start docker') and make sure this user may"
  log "use it ('docker info' must succeed), or run this script as root on Debian"
  log "so that it can install and start the distribution's engine (docker.io)."
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  log "installing the distribution's Docker engine (docker.io)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

# Prefer the init system when there is one; fall back to a background daemon
# (containers and CI sandboxes often have no systemd).
if [ -d /run/systemd/system ] && systemctl start docker >/dev/null 2>&1 && wait_for_engine; then
  log "Docker engine started by systemd"
  exit 0
fi

log "starting dockerd in the background (log: /var/log/dockerd-webstack.log)"
# In a session of its own: the engine must outlive the shell (and the
# process group) that started it, e.g. a CI step or a terminal that closes.
setsid -f dockerd >/var/log/dockerd-webstack.log 2>&1 </dev/null
if wait_for_engine; then
  log "Docker engine is up"
  exit 0
fi
log "dockerd did not come up within 60 s; see /var/log/dockerd-webstack.log"
tail -n 20 /var/log/dockerd-webstack.log >&2 || true
exit 1
