#!/usr/bin/env bash
# Runs every *.test.ts (or the files given) with node's test runner, one file at
# a time (each starts its own servers), and ends with a pass/fail count line.
set -uo pipefail
cd "$(dirname "$0")/.."
WITH_K6=1 bash scripts/setup-tools.sh || exit 1
if [ $# -gt 0 ]; then files=("$@"); else mapfile -t files < <(find lib services workers waiting-room scripts test -name '*.test.ts' -not -path '*/node_modules/*' | sort); fi
log=$(mktemp)
node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
pass=$(grep -E '^ℹ pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
fail=$(grep -E '^ℹ fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
rm -f "$log"
echo "tests: ${pass:-0} passed, ${fail:-0} failed"
exit "$status"
