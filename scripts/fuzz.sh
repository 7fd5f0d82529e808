#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...] — builds the libFuzzer targets with clang
# (AddressSanitizer + UndefinedBehaviorSanitizer) in build-fuzz/, gathers seed
# inputs (the repo's samples, and the shared corpus when present: small
# archives, JSON members, layer blobs, digests), then runs each target for
# SECONDS (default 20). A crash leaves its input in build-fuzz/crashes/<target>/
# and makes the script exit 1: copy it to fuzz/regressions/<target>/ with the
# fix. For a long run: scripts/fuzz.sh 3600 archive   (one hour, one target).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(archive json digest layer)
. scripts/deps.sh
LAYERKIT_PACKAGES+=(clang libclang-rt-14-dev)
layerkit_install_deps
build=build-fuzz
if [ ! -f "$build/build.ninja" ]; then
  CC=clang CXX=clang++ meson setup "$build" -Dfuzz=enabled -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized -Dbench=disabled >/dev/null
fi
ninja -C "$build" > "$build/ninja.log" 2>&1 || { tail -30 "$build/ninja.log"; exit 2; }

corpus=${LAYERKIT_CORPUS:-$root/../shared/corpus}
seeds="$build/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{archive,json,digest,layer}
cp samples/*.tar "$seeds/archive/"
# JSON members and layer blobs of the samples, by content.
/usr/bin/python3 - "$seeds" "$root/samples" "$corpus" <<'PY'
import hashlib, json, os, pathlib, sys, tarfile
seeds, samples, corpus = map(pathlib.Path, sys.argv[1:4])
def put(kind, data):
    (seeds / kind / hashlib.sha256(data).hexdigest()[:16]).write_bytes(data)
def from_tar(path):
    try:
        with tarfile.open(path) as t:
            for m in t.getmembers():
                if not m.isfile() or m.size > 262144:
                    continue
                data = t.extractfile(m).read()
                stripped = data.lstrip()
                if stripped[:1] in (b"{", b"["):
                    put("json", data)
                    try:
                        for d in json.dumps(json.loads(data)).split('"'):
                            if d.startswith("sha256:") or d.startswith("sha512:"):
                                put("digest", d.encode())
                    except Exception:
                        pass
                elif m.size >= 512:
                    put("layer", data)
    except tarfile.TarError:
        pass
for p in sorted(samples.glob("*.tar")):
    from_tar(p)
if (corpus / "expected").is_dir():
    for d in ("archives", "external", "hostile"):
        for p in sorted((corpus / d).rglob("*")):
            if p.is_file() and p.stat().st_size <= 65536:
                put("archive", p.read_bytes())
                from_tar(p)
            if p.is_file() and p.name in ("index.json", "manifest.json") and p.stat().st_size <= 262144:
                put("json", p.read_bytes())
for s in ("sha256:../../etc/passwd", "sha256:" + "A" * 64, "sha512:" + "a" * 128, "multihash+base58:Qm",
          "./manifest.json", "../x", "a//b/./c", "linux/arm64/v8"):
    put("digest", s.encode())
PY
echo "fuzz: seeds: $(for k in archive json digest layer; do printf '%s=%s ' $k "$(ls "$seeds/$k" | wc -l)"; done)"

status=0
for t in "${targets[@]}"; do
  work="$build/corpus/$t"
  crashes="$build/crashes/$t"
  mkdir -p "$work" "$crashes"
  echo "fuzz: $t for ${seconds}s"
  if ! ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
       UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions=$root/fuzz/ubsan.supp \
       "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
       -print_final_stats=1 -artifact_prefix="$crashes/" "$work" "$seeds/$t" "fuzz/regressions/$t" \
       > "$build/fuzz-$t.log" 2>&1; then
    echo "fuzz: $t FOUND A CRASH (see $build/fuzz-$t.log and $crashes/)"
    tail -40 "$build/fuzz-$t.log"
    status=1
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$t.log" | sed "s/^/fuzz: $t /" || true
done
exit $status
