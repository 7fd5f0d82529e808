#!/usr/bin/env bash
# abi-check.sh LIB [BASELINE] — compares the C ABI of the shared library LIB
# (built with debug info) with the committed baseline capi/abi/liblayerkit.abi,
# using abigail-tools (abidw, abidiff). Exits non-zero, printing abidiff's
# report, when a symbol was removed or changed or a public struct's layout
# changed. After a deliberate, versioned ABI change, refresh the baseline with
#   UPDATE=1 scripts/abi-check.sh build/capi/liblayerkit.so
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
lib=${1:?usage: abi-check.sh LIB [BASELINE]}
base=${2:-$root/capi/abi/liblayerkit.abi}
suppr=$root/capi/abi/opaque.suppr
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
abidw --no-corpus-path --no-show-locs --exported-interfaces-only --suppressions "$suppr" \
      --out-file "$tmp" "$lib"
if [ "${UPDATE:-0}" = 1 ]; then
  cp "$tmp" "$base"
  echo "abi-check: baseline $base updated"
  exit 0
fi
if abidiff --suppressions "$suppr" "$base" "$tmp"; then
  echo "abi-check: $lib matches the baseline"
else
  rc=$?
  echo "abi-check: $lib differs from the baseline (abidiff exit $rc)" >&2
  exit "$rc"
fi
