#!/usr/bin/env bash
# Measures serve's acknowledged, durable events per second with delivery running, on a release
# build: mock-tiktok and serve on loopback, a fresh SQLite outbox, and wrk as 16 concurrent
# clients (one connection each) posting
#   1. /v1/batch with 100 "Order Completed" events per request, then
#   2. /v1/track with one event per request,
# each for DURATION seconds (default 20). Every event has its own messageId. After the load,
# serve is stopped with SIGTERM (it drains delivery, given up to 10 minutes) and the stand-in's count is checked
# against what was acknowledged. Prints events/s and the p50/p99 acknowledgement latency.
# Needs wrk (Debian: apt-get install wrk). Usage: scripts/serve-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-20}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product tiktok-offline >&2
tool="$PWD/.build/release/tiktok-offline"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # file prefix → the URL after the prefix
  for _ in $(seq 300); do
    if line=$(grep -m1 "^$2" "$1" 2>/dev/null); then echo "${line#"$2"}"; return; fi
    sleep 0.05
  done
  echo "did not start: $(cat "$1")" >&2; exit 1
}

for mode in batch single; do
  "$tool" mock-tiktok --port 0 > "$work/mock.out" 2>&1 &
  mock_pid=$!; pids+=("$mock_pid")
  mock=$(wait_for "$work/mock.out" "mock-tiktok listening on ")
  rm -f "$work"/outbox.sqlite*
  "$tool" serve --port 0 --outbox "$work/outbox.sqlite" --endpoint "$mock" --access-token bench-token \
    --event-set-id bench-set --write-key bench-key --drain-timeout 600 --stale-events off > "$work/serve.out" 2> "$work/serve.err" &
  serve_pid=$!; pids+=("$serve_pid")
  url=$(wait_for "$work/serve.err" "listening on ")
  events=100; [ "$mode" = single ] && events=1
  EVENTS=$events WRITE_KEY=bench-key wrk -t 2 -c 16 -d "${duration}s" --timeout 10s -s scripts/bench/serve-batch.lua "$url" > "$work/wrk.out"
  result=$(grep '^RESULT' "$work/wrk.out")
  kill -TERM "$serve_pid"; wait "$serve_pid" || true
  [ -n "${VERBOSE:-}" ] && cat "$work/serve.err" >&2
  acknowledged=$(sed -E 's/.*acknowledged_events=([0-9]+).*/\1/' <<<"$result")
  delivered=$(curl -s "$mock/__stats" | sed -E 's/.*"unique_events":([0-9]+).*/\1/')
  kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true
  echo "$mode ($events per request): ${result#RESULT } delivered=$delivered"
  if [ "$delivered" -lt "$acknowledged" ]; then echo "error: fewer events delivered than acknowledged" >&2; exit 1; fi
done
