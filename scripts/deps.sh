#!/usr/bin/env bash
# Installs the Debian packages layerkit needs to build and test, if missing.
# Sourced by scripts/demo.sh and scripts/test.sh. Needs root (or sudo) only
# when something is missing.
set -euo pipefail

LAYERKIT_PACKAGES=(
  # build
  meson ninja-build pkg-config g++ gcc
  libarchive-dev libssl-dev rapidjson-dev libfmt-dev doctest-dev libbenchmark-dev
  # tests: the pytest suite, and peer tools to compare with
  python3 python3-pytest skopeo umoci libarchive-tools tar gzip zstd xz-utils
  abigail-tools valgrind golang-go
)

layerkit_missing_packages() {
  local p missing=()
  for p in "${LAYERKIT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  echo "${missing[@]:-}"
}

layerkit_install_deps() {
  local missing
  missing=$(layerkit_missing_packages)
  [ -z "$missing" ] && return 0
  echo "layerkit: installing Debian packages: $missing" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "layerkit: need root (or sudo) to install: $missing" >&2; return 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null 2>&1 || {
    $sudo apt-get update -q >/dev/null
    # shellcheck disable=SC2086
    $sudo apt-get install -y -q --no-install-recommends $missing >/dev/null
  }
}

# Configures (once) and builds into $1 (default: build).
layerkit_build() {
  local dir=${1:-build}
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" ${LAYERKIT_MESON_ARGS:-} >/dev/null
  fi
  ninja -C "$dir" >/dev/null
}
