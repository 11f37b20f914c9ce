#!/usr/bin/env bash
# Builds the tool and shows what TikTok would receive for the bundled sample events.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tiktok-offline
tool=".build/release/tiktok-offline"

echo "== the shipped presets"
"$tool" presets
echo
echo "== dry-run: samples/events.ndjson through every preset (what TikTok would receive)"
"$tool" dry-run --enable-all --event-set-id demo-event-set --partner-name Demo --input samples/events.ndjson
