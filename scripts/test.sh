#!/usr/bin/env bash
# Every test, from a fresh clone: install what is missing, build (warnings are
# errors), and run the whole suite — doctest unit and corpus tests, the CLI's
# pytest suite, the C ABI and ABI checks, the Python and Go bindings; then the
# install check, the suite again under ASan + UBSan, and a short run of each
# fuzz target. Tests that need the shared corpus (../shared/corpus, or
# $LAYERKIT_CORPUS) say so and skip when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
layerkit_install_deps
LAYERKIT_MESON_ARGS="-Dwerror=true ${LAYERKIT_MESON_ARGS:-}" layerkit_build build-test
meson test -C build-test --print-errorlogs "$@"
# The C example against the installed library (pkg-config), and under valgrind.
bash scripts/install-check.sh build-test
# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer
# (the Python and Go bindings load the library into non-instrumented
# interpreters, so they run in the plain build only).
if [ "${LAYERKIT_SKIP_SANITIZERS:-0}" != 1 ]; then
  LAYERKIT_MESON_ARGS="-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false" layerkit_build build-asan
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    meson test -C build-asan --print-errorlogs --no-suite bindings --no-suite abi "$@"
fi
# Each libFuzzer target for a short, bounded time on its seeds (clang, ASan + UBSan).
if [ "${LAYERKIT_SKIP_FUZZ:-0}" != 1 ]; then
  bash scripts/fuzz.sh "${LAYERKIT_FUZZ_SECONDS:-10}"
fi
