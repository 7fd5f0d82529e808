#!/usr/bin/env bash
# Every test, from a fresh clone: install what is missing, build (warnings are
# errors), and run the whole suite — doctest unit and corpus tests, the CLI's
# pytest suite, the C ABI and ABI checks; then the install check. Tests that need the shared corpus (../shared/corpus, or
# $LAYERKIT_CORPUS) say so and skip when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
layerkit_install_deps
LAYERKIT_MESON_ARGS="-Dwerror=true ${LAYERKIT_MESON_ARGS:-}" layerkit_build build-test
meson test -C build-test --print-errorlogs "$@"
# The C example against the installed library (pkg-config), and under valgrind.
bash scripts/install-check.sh build-test
