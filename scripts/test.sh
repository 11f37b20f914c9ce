#!/usr/bin/env bash
# Builds everything (the tool, the example app) and runs the whole test suite, with a
# throwaway PostgreSQL cluster on loopback for the shared-outbox tests (scripts/postgres.sh;
# set TIKTOK_OFFLINE_TEST_POSTGRES to use a server of your own instead).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
if [ -z "${TIKTOK_OFFLINE_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/postgres.sh start)"
  trap 'scripts/postgres.sh stop "$TIKTOK_OFFLINE_TEST_POSTGRES_DIR"' EXIT
fi
swift build
swift test
