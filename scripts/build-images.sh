#!/usr/bin/env bash
# Build the systemd test base images locally, without any image registry:
# debootstrap a minimal Debian, add what the test harness needs, `docker import`.
#
#   scripts/build-images.sh            build Debian 12 and 13 (in parallel)
#   scripts/build-images.sh 12         build one release
#   FORCE=1 scripts/build-images.sh    rebuild even when the recipe is unchanged
#
# Each image carries a label with the hash of this recipe; an image whose
# label matches is reused, so the cost (about a minute per release) is paid
# only when the recipe changes.
set -euo pipefail

IMAGE_REPO="${WEBSTACK_IMAGE_REPO:-baobab-webstack/debian}"
WORK_DIR="${WEBSTACK_IMAGE_WORKDIR:-/var/tmp/baobab-webstack-images}"
# Packages a freshly provisioned cloud VM already has: python for Ansible,
# systemd as init, sudo, CA certificates, python3-apt for the apt module,
# iproute2/procps for everyday diagnostics.
INCLUDE="python3,python3-apt,systemd,systemd-sysv,sudo,ca-certificates,iproute2,procps"

declare -A SUITES=([12]=bookworm [13]=trixie)

log() { printf '[build-images] %s\n' "$*" >&2; }

recipe_hash() {
  # The recipe is what goes into the image: the package set, the
  # customisation and the debootstrap variant. Anything else in this script
  # can change without forcing a rebuild.
  { echo "minbase $INCLUDE"; declare -f customise; } | sha256sum | cut -c1-16
}

customise() {
  local root="$1"
  # Units that ask for PrivateUsers=true cannot set up user namespaces in
  # these containers; relax it for the test image only (never in the roles).
  mkdir -p "$root/etc/systemd/system/service.d"
  cat >"$root/etc/systemd/system/service.d/10-test-container.conf" <<'UNIT'
[Service]
PrivateUsers=no
UNIT
  # Keep downloaded packages so the shared apt cache volume fills up, and
  # wait for the archive lock instead of failing when two test containers
  # share that volume.
  cat >"$root/etc/apt/apt.conf.d/90-test-cache" <<'APT'
Binary::apt::APT::Keep-Downloaded-Packages "true";
APT::Keep-Downloaded-Packages "true";
DPkg::Lock::Timeout "600";
APT
  # No interactive first-boot, no consoles to spawn, no kernel to talk to.
  for unit in systemd-firstboot.service getty.target console-getty.service \
    systemd-logind.service systemd-udevd.service systemd-udev-trigger.service \
    sys-kernel-config.mount sys-kernel-debug.mount sys-fs-fuse-connections.mount; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  : >"$root/etc/machine-id"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
}

build_one() {
  local release="$1" suite="${SUITES[$1]}" hash tag root
  hash="$(recipe_hash)"
  tag="${IMAGE_REPO}:${release}"
  if [ -z "${FORCE:-}" ] && [ "$(docker image inspect -f '{{ index .Config.Labels "webstack.recipe" }}' "$tag" 2>/dev/null || true)" = "$hash" ]; then
    log "$tag is up to date (recipe $hash)"
    return 0
  fi
  root="$WORK_DIR/$suite-$hash"
  rm -rf "$root"
  mkdir -p "$root"
  log "debootstrap $suite into $root"
  debootstrap --variant=minbase --include="$INCLUDE" "$suite" "$root" >"$WORK_DIR/$suite.log" 2>&1 || {
    tail -n 30 "$WORK_DIR/$suite.log" >&2
    return 1
  }
  customise "$root"
  log "importing $tag"
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=docker' \
    --change "LABEL webstack.recipe=$hash webstack.suite=$suite" \
    - "$tag" >/dev/null
  docker tag "$tag" "${IMAGE_REPO}:${release}-${hash}"
  rm -rf "$root"
  log "$tag built"
}

main() {
  if ! command -v debootstrap >/dev/null 2>&1 || [ ! -e /usr/share/keyrings/debian-archive-keyring.gpg ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      log "installing debootstrap and the Debian archive keyring"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq debootstrap debian-archive-keyring >/dev/null
    else
      log "debootstrap and debian-archive-keyring are required (apt-get install them as root)"
      exit 1
    fi
  fi
  mkdir -p "$WORK_DIR"
  local releases=("$@")
  [ ${#releases[@]} -gt 0 ] || releases=(12 13)
  local pids=() rc=0 r
  for r in "${releases[@]}"; do
    [ -n "${SUITES[$r]:-}" ] || { log "unknown release '$r' (known: ${!SUITES[*]})"; exit 2; }
    build_one "$r" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  return $rc
}

main "$@"
