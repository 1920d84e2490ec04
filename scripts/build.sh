#!/usr/bin/env bash
# Compiles the processes (lib, services, workers, waiting-room) to JavaScript in
# OUT_DIR (default dist/) and copies every file they read from disk beside the
# code that reads it (Lua scripts, pages, assets: paths are relative to
# import.meta.url). Used by the Dockerfile and by test/deploy/compose.test.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-dist}"
rm -rf "$out"
npx tsc -p tsconfig.build.json --outDir "$out"
find lib services workers waiting-room -type f ! -name '*.ts' ! -name '*.md' ! -path '*/test/*' -exec cp --parents {} "$out/" \;
