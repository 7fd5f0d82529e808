#!/usr/bin/env bash
# The main job, from a fresh clone: install what is missing, build, and run the
# layerkit CLI on the sample archives in samples/ (three images, each built
# FROM the previous one): the history of each, then the layers they share.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
layerkit_install_deps
layerkit_build build
L=build/examples/layerkit
for img in base runtime app; do
  echo "== layerkit history samples/$img.docker-archive.tar"
  "$L" history "samples/$img.docker-archive.tar"
  echo
done
echo "== layerkit dedup samples/{base,runtime,app}.docker-archive.tar"
"$L" dedup samples/base.docker-archive.tar samples/runtime.docker-archive.tar samples/app.docker-archive.tar
echo
echo "The CLI is $L; \`meson install -C build\` installs it (README.md, The library)."
