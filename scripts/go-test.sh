#!/usr/bin/env bash
# go-test.sh BUILD_DIR [examples [ARCHIVE...]] — runs the Go binding's vet and
# tests (or the Go example, on the samples or the given archives) offline
# against the library in BUILD_DIR, through meson's uninstalled pkg-config file.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?usage: go-test.sh BUILD_DIR [examples]}" && pwd)
command -v go >/dev/null || { echo "go-test: go not found (Debian: golang-go)"; exit 77; }
export PKG_CONFIG_PATH="$build/meson-uninstalled${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$build/capi${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export CGO_ENABLED=1 GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GONOSUMDB='*' GOFLAGS=-mod=mod
: "${GOCACHE:=$build/go-cache}"
: "${GOPATH:=$build/go-path}"
export GOCACHE GOPATH
if [ "${2:-}" = examples ]; then
  shift 2
  archives=("$@")
  [ ${#archives[@]} -gt 0 ] || archives=("$root/samples/base.docker-archive.tar"
    "$root/samples/runtime.docker-archive.tar" "$root/samples/app.docker-archive.tar")
  cd "$root/examples/classic-go"
  go run . "${archives[@]}"
else
  cd "$root/bindings/go"
  go vet ./...
  go test -count=1 ./...
fi
