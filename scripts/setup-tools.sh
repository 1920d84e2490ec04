#!/usr/bin/env bash
# Makes sure the servers the platform runs on exist on this machine: redis-server
# and HAProxy (the public edge; Debian's packages) and FerretDB v1.24.2 (built once into .tools/bin). With
# --for-tests (the test command) also what only the tests use: docker-compose,
# Prometheus, Chromium and k6. WITH_PROMETHEUS=1 / WITH_K6=1 add those two alone
# (`WITH_PROMETHEUS=1 npm start`, `npm run load`). Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
TOOLS_BIN="$PWD/.tools/bin"
FERRETDB_VERSION=v1.24.2
mkdir -p "$TOOLS_BIN"
FOR_TESTS=0
[ "${1:-}" = "--for-tests" ] && FOR_TESTS=1 WITH_K6=1 WITH_PROMETHEUS=1

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "setup: '$1' is missing and installing it needs root: sudo apt-get install -y $1" >&2
    exit 1
  fi
  echo "setup: installing $1 (apt-get)…"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

command -v redis-server >/dev/null || apt_install redis-server
command -v redis-cli >/dev/null || apt_install redis-tools
# The public edge in front of the services (npm start, the tests; Compose uses the haproxy image).
command -v haproxy >/dev/null || apt_install haproxy
# Validates docker-compose.yml in test/deploy (no Docker engine needed for `config`).
[ "$FOR_TESTS" = 1 ] && ! command -v docker-compose >/dev/null && apt_install docker-compose
# Prometheus for the observability tests and `WITH_PROMETHEUS=1 npm start`.
[ "${WITH_PROMETHEUS:-0}" = 1 ] && ! command -v prometheus >/dev/null && apt_install prometheus

if [ ! -x "$TOOLS_BIN/ferretdb" ] || ! "$TOOLS_BIN/ferretdb" --version 2>/dev/null | grep "$FERRETDB_VERSION" >/dev/null; then
  command -v go >/dev/null || { echo "setup: Go is needed once to build FerretDB (https://go.dev/doc/install)" >&2; exit 1; }
  echo "setup: building FerretDB $FERRETDB_VERSION into .tools/bin (first time only, about 3 minutes)…"
  started=$(date +%s)
  # `go install …@version` builds a binary that panics at start: the module ships
  # without build/version/version.txt. Build from a copy of the module with it filled in.
  src_dir=$(GOFLAGS=-mod=mod go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
  build_dir=$(mktemp -d)
  trap 'chmod -R u+w "$build_dir"; rm -rf "$build_dir"' EXIT
  cp -r "$src_dir/." "$build_dir/"
  chmod -R u+w "$build_dir"
  echo "$FERRETDB_VERSION" > "$build_dir/build/version/version.txt"
  echo "setup: compiling (module sources in $src_dir)…"
  (cd "$build_dir" && go build -v -o "$TOOLS_BIN/ferretdb" ./cmd/ferretdb 2>&1) |
    awk '/^(go: |#|[^ ]+\.go:)/ { print; next } { n++ } n % 40 == 0 { printf "setup: %d packages compiled…\n", n; fflush() }'
  [ -x "$TOOLS_BIN/ferretdb" ] || { echo "setup: FerretDB build failed" >&2; exit 1; }
  echo "setup: FerretDB built in $(( $(date +%s) - started )) s"
fi

# k6 for the load scenarios (npm run load); only when asked, it takes ~3 minutes to build.
K6_VERSION=v1.8.1
if [ "${WITH_K6:-0}" = 1 ] && ! { [ -x "$TOOLS_BIN/k6" ] && "$TOOLS_BIN/k6" version 2>/dev/null | grep "$K6_VERSION" >/dev/null; }; then
  command -v go >/dev/null || { echo "setup: Go is needed once to build k6" >&2; exit 1; }
  echo "setup: building k6 $K6_VERSION into .tools/bin (first time only, about 3 minutes)…"
  started=$(date +%s)
  GOBIN="$TOOLS_BIN" go install "go.k6.io/k6@$K6_VERSION"
  echo "setup: k6 built in $(( $(date +%s) - started )) s"
fi

# The waiting-room page's browser test drives Debian's Chromium with playwright-core.
[ "$FOR_TESTS" = 1 ] && [ ! -x /usr/bin/chromium ] && apt_install chromium
exit 0
