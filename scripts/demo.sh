#!/usr/bin/env bash
# The whole flow on a machine without a TikTok account: builds the tool, previews what TikTok
# would receive for the sample events, then runs 2,000 realistic events through the durable
# outbox to a local stand-in of the Events API that fails 20% of requests and rate-limits: 1,645
# of them are delivered, the rest fire no preset or are refused, each with its reason. The
# outbox is kept as outbox-demo.sqlite, for `dead-letters` and `outbox check` to look at.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tiktok-offline
tool="$PWD/.build/release/tiktok-offline"
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
rm -f outbox-demo.sqlite outbox-demo.sqlite-wal outbox-demo.sqlite-shm   # each demo starts afresh
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
# scripts/setup.sh dated the samples the last days; the corpus below is a record from 2024,
# past TikTok's 28-day window: --stale-events off replays it anyway.
head -n 3 samples/events.ndjson | "$tool" dry-run --enable-all --event-set-id demo-event-set --partner-name Demo
echo
echo "== dry-run: a till export (CSV) through samples/mappings/pos-purchase.yaml, one order per row"
"$tool" dry-run --mapping samples/mappings/pos-purchase.yaml --input samples/pos-export.csv \
  --event-set-id demo-event-set --default-country-code 1 | head -n 2
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
  --outbox outbox-demo.sqlite --rejects "$work/rejects.ndjson" --stale-events off
echo
echo "== what the stand-in received (unique_events is what TikTok would keep after deduplication)"
stats
echo
echo "== dead letters (rows TikTok refused), if any"
"$tool" dead-letters list --outbox outbox-demo.sqlite
echo
echo "The outbox stays in outbox-demo.sqlite; the tool is .build/release/tiktok-offline:"
echo "  .build/release/tiktok-offline outbox check --outbox outbox-demo.sqlite"
