#!/usr/bin/env bash
# Builds everything (the tool, the example app) with no compiler warning in the project's own
# code, and runs the whole test suite, with a
# throwaway PostgreSQL cluster on loopback for the shared-outbox tests (scripts/postgres.sh;
# set TIKTOK_OFFLINE_TEST_POSTGRES to use a server of your own instead).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
if [ -z "${TIKTOK_OFFLINE_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/postgres.sh start)"
  trap 'scripts/postgres.sh stop "$TIKTOK_OFFLINE_TEST_POSTGRES_DIR"' EXIT
fi
# The project's own code compiles without a warning (dependencies' warnings are theirs).
log=$(mktemp)
swift build --build-tests 2>&1 | tee "$log"
if grep -E "^$PWD/(Sources|Tests|Examples|Plugins|Benchmarks)/[^:]*:[0-9]+:[0-9]+: warning:" "$log"; then
  echo "error: compiler warnings in the project's own code (above); keep it at zero" >&2
  exit 1
fi
rm -f "$log"
# A hung test must not hang CI: a whole run takes about 5 minutes, so after TEST_TIMEOUT seconds
# (default 40 minutes) the run is stopped with every thread's stack of the test process and
# the tests that never finished (last, where a truncated log still shows them), and fails.
scripts/watchdog.sh "${TEST_TIMEOUT:-2400}" swift test --skip-build
