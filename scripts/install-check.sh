#!/usr/bin/env bash
# install-check.sh BUILD_DIR — installs the build into a scratch DESTDIR, then
# builds the C example against the INSTALLED library with
# `pkg-config --cflags --libs layerkit` (C99, warnings as errors), runs it on
# the sample archives, and runs it again under valgrind, which must report no
# leak and no error.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: install-check.sh BUILD_DIR}" && pwd)
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet
read -r prefix libdir < <(meson introspect "$build" --buildoptions | /usr/bin/python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print(o["prefix"], o["libdir"])')
case "$libdir" in /*) ;; *) libdir="$prefix/$libdir" ;; esac
export PKG_CONFIG_PATH="$dest$libdir/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
echo "install-check: pkg-config --cflags --libs layerkit: $(pkg-config --cflags --libs layerkit)"
cc -std=c99 -Wall -Wextra -pedantic -Werror "$root/examples/classic.c" \
   $(pkg-config --cflags --libs layerkit) -o "$dest/classic"
samples=("$root/samples/base.docker-archive.tar" "$root/samples/runtime.docker-archive.tar"
         "$root/samples/app.docker-archive.tar")
LD_LIBRARY_PATH="$dest$libdir" "$dest/classic" "${samples[@]}" > "$dest/out.txt"
grep -q "saved by sharing" "$dest/out.txt"
test -x "$dest$prefix/bin/layerkit"
LD_LIBRARY_PATH="$dest$libdir" valgrind -q --leak-check=full --show-leak-kinds=all \
  --errors-for-leak-kinds=all --error-exitcode=9 "$dest/classic" "${samples[@]}" > /dev/null
corpus=${LAYERKIT_CORPUS:-$root/../shared/corpus}
if [ -d "$corpus/archives" ]; then
  LD_LIBRARY_PATH="$dest$libdir" valgrind -q --leak-check=full --show-leak-kinds=all \
    --errors-for-leak-kinds=all --error-exitcode=9 "$dest/classic" \
    "$corpus"/archives/{base,runtime,app}.podman.docker-archive.tar > /dev/null
fi
echo "install-check: the C example builds against the installed library, runs, and valgrind finds no leak"
