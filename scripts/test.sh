#!/usr/bin/env bash
# Builds everything (the tool, the example app) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
swift build
swift test
