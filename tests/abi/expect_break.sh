#!/usr/bin/env bash
# The ABI check must fail on a library that removed a symbol and changed a
# public struct's layout, and must name both.
set -uo pipefail
out=$("$1" "$2" 2>&1)
rc=$?
printf '%s\n' "$out"
[ "$rc" -ne 0 ] || { echo "expect_break: the ABI check passed a broken library" >&2; exit 1; }
grep -q "lk_archive_warning_count" <<<"$out" || { echo "expect_break: the removed symbol is not reported" >&2; exit 1; }
grep -q "lk_layer_info" <<<"$out" || { echo "expect_break: the changed struct is not reported" >&2; exit 1; }
echo "expect_break: the ABI check caught both changes"
