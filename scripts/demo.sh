#!/usr/bin/env bash
# Builds the tool and runs it on the bundled samples.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tiktok-offline
tool=".build/release/tiktok-offline"

echo "== map: samples/mappings/complete-payment.yaml applied to samples/order-completed.json"
"$tool" map --mapping samples/mappings/complete-payment.yaml --event samples/order-completed.json
echo
echo "== match: does 'event = \"Order Completed\"' fire?"
"$tool" match --trigger 'event = "Order Completed"' --event samples/order-completed.json
echo
echo "== lint samples/mappings/"
"$tool" lint samples/mappings/
echo
echo "== test samples/mappings/"
"$tool" test samples/mappings/
