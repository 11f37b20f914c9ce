#!/usr/bin/env bash
# The whole flow on a machine without a TikTok account: builds the tool, previews what TikTok
# would receive for the sample events, then delivers 2,000 realistic events through the durable
# outbox to a local stand-in of the Events API that fails 20% of requests and rate-limits.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tiktok-offline
tool="$PWD/.build/release/tiktok-offline"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
mock_pid=""
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

stats() {  # GET /__stats from the stand-in, without needing curl
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf "GET /__stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    tail -n 1 <&3' _ "$port"
  echo
}

echo "== the shipped presets"
"$tool" presets
echo
echo "== dry-run: the first 3 sample events through every preset (exactly what TikTok would receive)"
# The samples and the corpus are dated 2024, past TikTok's 28-day window: --stale-events off sends them anyway.
head -n 3 samples/events.ndjson | "$tool" dry-run --enable-all --event-set-id demo-event-set --partner-name Demo --stale-events off
echo
echo "== dry-run: a till export (CSV) through samples/mappings/pos-purchase.yaml, one order per row"
"$tool" dry-run --mapping samples/mappings/pos-purchase.yaml --input samples/pos-export.csv \
  --event-set-id demo-event-set --default-country-code 1 --stale-events off | head -n 2
echo
echo "== a local TikTok stand-in on port $port (20% of requests fail, every 50th is rate-limited)"
"$tool" mock-tiktok --port "$port" --fail-rate 0.2 --rate-limit-every 50 > "$work/mock.log" 2>&1 &
mock_pid=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
echo
echo "== run: 2,000 events → pipeline → SQLite outbox → the stand-in, with retries"
"$tool" run --enable-all --input Tests/TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson \
  --endpoint "http://127.0.0.1:$port" --access-token demo-token --event-set-id demo-event-set \
  --outbox "$work/outbox.sqlite" --rejects "$work/rejects.ndjson" --stale-events off
echo
echo "== what the stand-in received (unique_events is what TikTok would keep after deduplication)"
stats
echo
echo "== dead letters (rows TikTok refused), if any"
"$tool" dead-letters list --outbox "$work/outbox.sqlite"
