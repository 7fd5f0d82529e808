#!/usr/bin/env bash
# compare.sh LARGE_DIR — layerkit side by side with reference tools, on the
# same inputs, in one run.
#
# LARGE_DIR is the output directory of the shared corpus's make-large.sh (its
# archives/ subdirectory holds the large images). For each comparison both
# sides are timed in the same run, interleaved (warm-up runs first, then one
# run of each side per round, RUNS rounds, timed by hyperfine), and each
# side's median is taken; peak RSS comes from `/usr/bin/time -v`
# ("Maximum resident set size", the largest of three runs). Every input is
# read once before timing so that both sides run with a hot page cache.
#
# Targets (checked, printed as PASS/FAIL; the script exits 1 if one fails):
#   verify  app docker-archive (uncompressed)  <= 1.3 x  openssl dgst -sha256 of the same file
#   verify  app oci-archive (gzip layers)      <= 0.6 x  gzip -dc of its gzip layer blobs, one after another
#   history app docker-archive                 <= 0.2 x  that openssl dgst -sha256
#   images  app docker-archive                 <= 0.2 x  that openssl dgst -sha256
#   peak RSS of verify, both archives          <= 32 MiB
# For information only (INFO):
#   skopeo copy docker-archive:… oci:…         vs  verify of that docker-archive
#   gzip -dc of the .tar.gz docker-archive     vs  verify of it
#
# Environment:
#   LAYERKIT   the layerkit binary (default: build/examples/layerkit under the repository root)
#   RUNS       timed runs per command (default 10); SLOW_RUNS for the skopeo line (default 3)
#   WARMUP     warm-up runs per command (default 2)
#   THREADS    passed to layerkit as --threads N when set (default: all cores)
#   HYPERFINE  the hyperfine binary (default: from PATH; set it empty to use the
#              built-in repeat-and-median timer instead)
# Needs: python3, openssl, gzip, tar, GNU time (/usr/bin/time); hyperfine if
# installed (otherwise each command is repeated and the median taken);
# skopeo for the information line (skipped without it).
#
# Exit status: 0 every target met, 1 a target failed, 2 bad usage or input.
set -euo pipefail

usage() { echo "usage: $0 LARGE_DIR   (the output directory of make-large.sh)" >&2; exit 2; }
[ $# -eq 1 ] || usage
case "$1" in -h|--help) usage ;; esac
[ -d "$1" ] || { echo "compare.sh: $1: not a directory" >&2; exit 2; }
LARGE=$(cd "$1" && pwd)
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAYERKIT=${LAYERKIT:-$ROOT/build/examples/layerkit}
RUNS=${RUNS:-10}
SLOW_RUNS=${SLOW_RUNS:-3}
WARMUP=${WARMUP:-2}
LK_OPTS=()
[ -n "${THREADS:-}" ] && LK_OPTS=(--threads "$THREADS")

DA=$LARGE/archives/app.podman.docker-archive.tar
OA=$LARGE/archives/app.podman.oci-archive.tar
GZ=$LARGE/archives/app.podman.docker-archive.tar.gz

[ -x "$LAYERKIT" ] || { echo "compare.sh: no layerkit binary at $LAYERKIT (build it, or set LAYERKIT)" >&2; exit 2; }
for f in "$DA" "$OA" "$GZ"; do
  [ -f "$f" ] || { echo "compare.sh: missing input $f (run make-large.sh LARGE_DIR)" >&2; exit 2; }
done
for t in python3 openssl gzip tar; do
  command -v "$t" >/dev/null || { echo "compare.sh: $t is required" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "compare.sh: GNU time (/usr/bin/time) is required" >&2; exit 2; }
HYPERFINE=${HYPERFINE-$(command -v hyperfine || true)}
SKOPEO=$(command -v skopeo || true)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/layerkit-compare.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

q() { printf '%q' "$1"; }                    # shell-quote one word
LK="$(q "$LAYERKIT")"
for o in "${LK_OPTS[@]}"; do LK+=" $(q "$o")"; done

# --- inputs -------------------------------------------------------------------------
echo "layerkit:  $LAYERKIT ($("$LAYERKIT" --version 2>/dev/null | head -1 || echo '?'))"
LOAD=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')
echo "machine:   $(nproc) cores, $(uname -sr), load average $LOAD$(awk -v l="$LOAD" -v n="$(nproc)" \
     'BEGIN {if (l + 0 > n / 2) print " (busy: timings will be noisy)"}')"
TOOLS="$(openssl version | cut -d' ' -f1-2), gzip $(gzip --version | head -1 | awk '{print $NF}')"
[ -n "$HYPERFINE" ] && TOOLS+=", hyperfine $("$HYPERFINE" --version | awk '{print $2}')"
[ -n "$SKOPEO" ] && TOOLS+=", skopeo $("$SKOPEO" --version | awk '{print $3}')"
echo "tools:     $TOOLS"
echo "inputs:    $LARGE/archives"
printf '           %s  %s\n' "$(du -h "$DA" | cut -f1)" "$(basename "$DA")" \
                              "$(du -h "$OA" | cut -f1)" "$(basename "$OA")" \
                              "$(du -h "$GZ" | cut -f1)" "$(basename "$GZ")"

# Each verify must succeed before it is worth timing.
for f in "$DA" "$OA" "$GZ"; do
  if ! "$LAYERKIT" verify "${LK_OPTS[@]}" "$f" >"$TMP/verify.out" 2>&1; then
    echo "compare.sh: layerkit verify $f failed:" >&2
    tail -5 "$TMP/verify.out" >&2
    exit 1
  fi
done

# The gzip side of the oci-archive comparison: its layer blobs, extracted once.
mkdir "$TMP/oci"
tar -xf "$OA" -C "$TMP/oci"
GZ_BLOBS=()
while IFS= read -r -d '' f; do
  [ "$(od -An -tx1 -N2 "$f" | tr -d ' \n')" = "1f8b" ] && GZ_BLOBS+=("$f")
done < <(find "$TMP/oci" -type f -print0 | sort -z)
[ ${#GZ_BLOBS[@]} -gt 0 ] || { echo "compare.sh: $OA holds no gzip blob" >&2; exit 2; }
GUNZIP_BLOBS="gzip -dc"
for f in "${GZ_BLOBS[@]}"; do GUNZIP_BLOBS+=" $(q "$f")"; done
echo "gzip side: ${#GZ_BLOBS[@]} gzip layer blobs of $(basename "$OA"), $(du -ch "${GZ_BLOBS[@]}" | tail -1 | cut -f1) in all"

# Page cache: read every input once so that both sides run hot.
cat "$DA" "$OA" "$GZ" "${GZ_BLOBS[@]}" >/dev/null

# --- measuring ----------------------------------------------------------------------
# time_pair RUNS "CMD_A" "CMD_B" [PREPARE]: prints the medians of A and B, in seconds.
# Commands are plain words (no shell; their output is discarded). The two sides
# are interleaved, one run each per round and the order swapped every round,
# so that a change in machine load during the measurement hits both alike.
# hyperfine times each round (warm-up runs before the first); without it,
# python3 does. hyperfine's advice about statistical outliers is not shown.
time_pair() {
  local runs=$1 a=$2 b=$3 prep=${4:-}
  if [ -n "$HYPERFINE" ]; then
    local i first second args
    : >"$TMP/times"
    for ((i = 0; i < runs; i++)); do
      if ((i % 2 == 0)); then first=$a; second=$b; else first=$b; second=$a; fi
      args=(-N --style none --runs 1 --export-json "$TMP/hf.json")
      ((i == 0)) && args+=(--warmup "$WARMUP")
      [ -n "$prep" ] && args+=(--prepare "$prep")
      if ! "$HYPERFINE" "${args[@]}" "$first" "$second" >/dev/null 2>"$TMP/hf.err"; then
        cat "$TMP/hf.err" >&2
        return 1
      fi
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"]; s=int(sys.argv[2])
print(r[s]["times"][0], r[1 - s]["times"][0])' "$TMP/hf.json" $((i % 2)) >>"$TMP/times"
    done
    python3 -c 'import statistics,sys; t=[l.split() for l in open(sys.argv[1])]
print(statistics.median(float(x[0]) for x in t), statistics.median(float(x[1]) for x in t))' "$TMP/times"
  else
    python3 - "$runs" "$WARMUP" "$a" "$b" "$prep" <<'EOF'
import shlex, statistics, subprocess, sys, time
runs, warmup, cmds, prep = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:5], sys.argv[5]
def once(c):
    if prep: subprocess.run(shlex.split(prep), check=True)
    t = time.perf_counter()
    subprocess.run(shlex.split(c), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t
for c in cmds:
    for _ in range(warmup): once(c)
times = [[], []]
for i in range(runs):
    order = (0, 1) if i % 2 == 0 else (1, 0)
    for k in order: times[k].append(once(cmds[k]))
print(statistics.median(times[0]), statistics.median(times[1]))
EOF
  fi
}

# peak_rss_kib CMD...: the largest "Maximum resident set size" of three runs.
peak_rss_kib() {
  local best=0 kib
  for _ in 1 2 3; do
    /usr/bin/time -v "$@" >/dev/null 2>"$TMP/time.txt" || true
    kib=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$TMP/time.txt")
    [ "${kib:-0}" -gt "$best" ] && best=$kib
  done
  echo "$best"
}

# measure VAR_A VAR_B RUNS "CMD_A" "CMD_B" [PREPARE]: sets VAR_A and VAR_B to the medians.
measure() {
  local va=$1 vb=$2
  shift 2
  time_pair "$@" >"$TMP/pair" || { echo "compare.sh: timing failed: $2 | $3" >&2; exit 2; }
  read -r "${va?}" "${vb?}" <"$TMP/pair"
}

FAILED=0
ROWS=()
# row CHECK LK_SECONDS REF_SECONDS REF_NAME TARGET_RATIO(or "-") RSS_KIB(or "")
row() {
  local check=$1 lk=$2 ref=$3 refname=$4 target=$5 rss=${6:-}
  local ratio result
  ratio=$(awk -v a="$lk" -v b="$ref" 'BEGIN {printf "%.3f", a / b}')
  if [ "$target" = "-" ]; then
    result=INFO
  elif awk -v r="$ratio" -v t="$target" 'BEGIN {exit !(r <= t)}'; then
    result=PASS
  else
    result=FAIL; FAILED=1
  fi
  ROWS+=("$(printf '%-48s %9.3fs %9.3fs  %-22s %7sx %9s %12s  %s' "$check" "$lk" "$ref" "$refname" "$ratio" \
            "$( [ "$target" = "-" ] && echo "-" || echo "<=${target}x")" "$( [ -n "$rss" ] && awk -v k="$rss" 'BEGIN {printf "%.1f MiB", k / 1024}')" "$result")")
}
rss_row() {
  local check=$1 kib=$2 limit_mib=$3 result=PASS
  [ "$kib" -le $((limit_mib * 1024)) ] || { result=FAIL; FAILED=1; }
  ROWS+=("$(printf '%-48s %10s %10s  %-22s %8s %9s %12s  %s' "$check" "-" "-" "" "-" "<=${limit_mib}MiB" \
            "$(awk -v k="$kib" 'BEGIN {printf "%.1f MiB", k / 1024}')" "$result")")
}

echo
echo "timing: median of $RUNS interleaved runs per side after $WARMUP warm-up runs${HYPERFINE:+ (hyperfine)} ..."

measure LK_VERIFY_DA OPENSSL "$RUNS" "$LK verify $(q "$DA")" "openssl dgst -sha256 $(q "$DA")"
RSS_DA=$(peak_rss_kib "$LAYERKIT" verify "${LK_OPTS[@]}" "$DA")
row "verify $(basename "$DA")" "$LK_VERIFY_DA" "$OPENSSL" "openssl dgst -sha256" 1.3 "$RSS_DA"

measure LK_VERIFY_OA GUNZIP "$RUNS" "$LK verify $(q "$OA")" "$GUNZIP_BLOBS"
RSS_OA=$(peak_rss_kib "$LAYERKIT" verify "${LK_OPTS[@]}" "$OA")
row "verify $(basename "$OA")" "$LK_VERIFY_OA" "$GUNZIP" "gzip -dc (layer blobs)" 0.6 "$RSS_OA"

measure LK_HISTORY OPENSSL2 "$RUNS" "$LK history $(q "$DA")" "openssl dgst -sha256 $(q "$DA")"
RSS_H=$(peak_rss_kib "$LAYERKIT" history "${LK_OPTS[@]}" "$DA")
row "history $(basename "$DA")" "$LK_HISTORY" "$OPENSSL2" "openssl dgst -sha256" 0.2 "$RSS_H"

measure LK_IMAGES OPENSSL3 "$RUNS" "$LK images $(q "$DA")" "openssl dgst -sha256 $(q "$DA")"
RSS_I=$(peak_rss_kib "$LAYERKIT" images "${LK_OPTS[@]}" "$DA")
row "images $(basename "$DA")" "$LK_IMAGES" "$OPENSSL3" "openssl dgst -sha256" 0.2 "$RSS_I"

rss_row "peak RSS: verify $(basename "$DA")" "$RSS_DA" 32
rss_row "peak RSS: verify $(basename "$OA")" "$RSS_OA" 32

if [ -n "$SKOPEO" ]; then
  OUT="$TMP/skopeo-oci"
  measure LK_V SK "$SLOW_RUNS" "$LK verify $(q "$DA")" \
    "$(q "$SKOPEO") copy -q --insecure-policy docker-archive:$(q "$DA") oci:$(q "$OUT"):app" "rm -rf $(q "$OUT")"
  rm -rf "$OUT"
  row "verify $(basename "$DA")" "$LK_V" "$SK" "skopeo copy to oci:" - "$RSS_DA"
else
  ROWS+=("$(printf '%-48s %s' "verify vs skopeo copy" "skipped: skopeo not installed")")
fi

measure LK_VERIFY_GZ GUNZIP_GZ "$RUNS" "$LK verify $(q "$GZ")" "gzip -dc $(q "$GZ")"
RSS_GZ=$(peak_rss_kib "$LAYERKIT" verify "${LK_OPTS[@]}" "$GZ")
row "verify $(basename "$GZ")" "$LK_VERIFY_GZ" "$GUNZIP_GZ" "gzip -dc (whole file)" - "$RSS_GZ"

echo
printf '%-48s %10s %10s  %-22s %8s %9s %12s  %s\n' "check" "layerkit" "reference" "reference tool" "ratio" "target" "layerkit RSS" "result"
printf '%s\n' "${ROWS[@]}"
echo
if [ "$FAILED" -ne 0 ]; then
  echo "compare.sh: at least one target FAILED"
  exit 1
fi
echo "compare.sh: every target met"
