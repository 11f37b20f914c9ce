#!/usr/bin/env bash
# What debug viewers cost serve, on a release build (mock-tiktok and serve on loopback):
#   1. 20 /debug/events streams that never read while 30,000 events arrive: serve's peak
#      resident memory (VmHWM) must stay under 300 MB;
#   2. ingest throughput (wrk, 16 clients, /v1/batch of 100 events, DURATION seconds each,
#      default 10) with each number of viewers in VIEWERS (default "0 200") that read all
#      they are sent, in ROUNDS interleaved rounds (default 3): the ratio is what they cost.
# Needs wrk (Debian: apt-get install wrk) and python3. Usage: scripts/debug-viewers-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${DURATION:-10}
rounds=${ROUNDS:-3}
watchers=${VIEWERS:-0 200}
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product tiktok-offline >&2
tool="$PWD/.build/release/tiktok-offline"
viewers_py="$PWD/Tests/TikTokOfflineServerTests/Clients/idle_viewers.py"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_for() { # file prefix → the rest of the first line with that prefix
  for _ in $(seq 300); do
    if line=$(grep -m1 "^$2" "$1" 2>/dev/null); then echo "${line#"$2"}"; return; fi
    sleep 0.05
  done
  echo "did not start: $(cat "$1")" >&2; exit 1
}

start() { # → sets url, host, port, serve_pid, mock_pid
  "$tool" mock-tiktok --port 0 > "$work/mock.out" 2>&1 &
  mock_pid=$!; pids+=("$mock_pid")
  mock=$(wait_for "$work/mock.out" "mock-tiktok listening on ")
  rm -f "$work"/outbox.sqlite*
  "$tool" serve --port 0 --outbox "$work/outbox.sqlite" --endpoint "$mock" --access-token bench-token \
    --event-set-id bench-set --write-key bench-key --admin-token bench-admin --drain-timeout 600 --stale-events off \
    > "$work/serve.out" 2> "$work/serve.err" &
  serve_pid=$!; pids+=("$serve_pid")
  url=$(wait_for "$work/serve.err" "listening on ")
  hostport=${url#http://}; host=${hostport%:*}; port=${hostport##*:}
}

stop() {
  kill -TERM "$serve_pid"; wait "$serve_pid" || true
  kill "$mock_pid" 2>/dev/null; wait "$mock_pid" 2>/dev/null || true
}

viewers() { # N mode → sets viewers_pid once every stream is open
  python3 "$viewers_py" "$host" "$port" bench-admin "$1" "$2" > "$work/viewers.out" 2>&1 &
  viewers_pid=$!; pids+=("$viewers_pid")
  wait_for "$work/viewers.out" "READY" >/dev/null
}

# 1. Memory with 20 viewers that never read.
start
viewers 20 idle
EVENTS=100 WRITE_KEY=bench-key wrk -t 2 -c 4 -d 60s --timeout 10s -s scripts/bench/serve-batch.lua "$url" > "$work/wrk.out" &
wrk_pid=$!
for _ in $(seq 1200); do
  accepted=$(curl -s -H "Authorization: Bearer bench-admin" "$url/metrics" | awk '/^ingest_events_total\{.*outcome="stored"/ {s += $2} END {print s + 0}')
  [ "${accepted%.*}" -ge 30000 ] && break
  sleep 0.05
done
kill "$wrk_pid" 2>/dev/null; wait "$wrk_pid" 2>/dev/null || true
peak=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$serve_pid/status")
kill "$viewers_pid"; wait "$viewers_pid" 2>/dev/null || true
stop
echo "20 viewers that never read, ${accepted} events: serve peaked at ${peak} MB"
[ "$peak" -lt 300 ] || { echo "error: over 300 MB" >&2; exit 1; }

# 2. Throughput without and with 200 reading viewers, interleaved.
for round in $(seq "$rounds"); do
  for watching in $watchers; do
    start
    [ "$watching" -gt 0 ] && viewers "$watching" read
    EVENTS=100 WRITE_KEY=bench-key wrk -t 2 -c 16 -d "${duration}s" --timeout 10s -s scripts/bench/serve-batch.lua "$url" > "$work/wrk.out"
    rate=$(grep '^RESULT' "$work/wrk.out" | sed -E 's/.*events_per_second=([0-9.]+).*/\1/')
    read_bytes=0
    if [ "$watching" -gt 0 ]; then
      read_bytes=$(grep '^READ' "$work/viewers.out" | tail -1 | cut -d' ' -f2)
      kill "$viewers_pid"; wait "$viewers_pid" 2>/dev/null || true
    fi
    stop
    echo "round $round, $watching viewers: $rate events/s (viewers read ${read_bytes:-0} bytes)"
  done
done
