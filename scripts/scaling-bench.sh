#!/usr/bin/env bash
# Measures how delivery from a shared PostgreSQL outbox scales with workers, on a release build:
# EVENTS (default 30,000) events are stored once with `run --no-deliver`, then drained by 1 and
# by 3 `deliver` processes at once (each with the same --concurrency and --batch-size) against
# a stand-in that answers every request after LATENCY_MS (default 100) milliseconds. Each layout
# is run ROUNDS times (default 2), interleaved, on a fresh database each time. Prints the drain
# time of each run and the speed-up of the medians; the stand-in must hold every event once.
# Uses TIKTOK_OFFLINE_TEST_POSTGRES when set, else a throwaway cluster (scripts/postgres.sh).
# Usage: scripts/scaling-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
events=${EVENTS:-30000}
latency=${LATENCY_MS:-100}
rounds=${ROUNDS:-2}
concurrency=${CONCURRENCY:-2}
batch=${BATCH_SIZE:-250}
swift build -c release --product tiktok-offline >&2
tool="$PWD/.build/release/tiktok-offline"
work=$(mktemp -d)
pids=()
cluster=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$cluster" ] && scripts/postgres.sh stop "$cluster"
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "${TIKTOK_OFFLINE_TEST_POSTGRES:-}" ]; then
  eval "$(scripts/postgres.sh start)"
  cluster=$TIKTOK_OFFLINE_TEST_POSTGRES_DIR
fi
server=$TIKTOK_OFFLINE_TEST_POSTGRES
credentials=(--access-token bench-token --event-set-id bench-set)

python3 - "$events" > "$work/events.ndjson" <<'PY'
import sys
for n in range(int(sys.argv[1])):
    print('{"type":"track","event":"Order Completed","messageId":"m-%d","userId":"u-%d","timestamp":"2024-01-08T13:52:50.212Z",'
          '"properties":{"email":"person.%d@example.com","order_id":"o-%d","value":%d.5,"currency":"USD"}}' % (n, n, n, n, n % 500))
PY

"$tool" mock-tiktok --port 0 --latency-ms "$latency" > "$work/mock.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/mock.out" && break; sleep 0.05; done
mock=$(sed -n 's/^mock-tiktok listening on //p' "$work/mock.out" | head -1)

# One drain: a fresh database, the events stored, then `workers` deliver processes timed together.
drain() {
  local workers=$1 database="scaling_$RANDOM$RANDOM"
  psql "$server" -q -c "CREATE DATABASE $database" >/dev/null
  local url="${server%/*}/$database?sslmode=disable"
  "$tool" run --no-deliver --input "$work/events.ndjson" --outbox "$url" "${credentials[@]}" --stale-events off > /dev/null 2>&1
  local before after start end
  before=$(curl -s "$mock/__stats" | sed -E 's/.*"events_received":([0-9]+).*/\1/')
  start=$(date +%s.%N)
  local worker_pids=()
  for _ in $(seq "$workers"); do
    "$tool" deliver --outbox "$url" --endpoint "$mock" --concurrency "$concurrency" --batch-size "$batch" "${credentials[@]}" \
      > /dev/null 2> "$work/deliver.err" &
    worker_pids+=($!)
  done
  for pid in "${worker_pids[@]}"; do wait "$pid"; done
  end=$(date +%s.%N)
  after=$(curl -s "$mock/__stats" | sed -E 's/.*"events_received":([0-9]+).*/\1/')
  local left
  left=$(psql "$url" -Atq -c "SELECT count(*) FROM outbox_messages")
  psql "$server" -q -c "DROP DATABASE $database" >/dev/null
  [ "$left" = 0 ] || { echo "error: $left events left in the outbox" >&2; exit 1; }
  [ "$((after - before))" = "$events" ] || { echo "error: the stand-in got $((after - before)) events, not $events" >&2; exit 1; }
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }' 
}

one=(); three=()
for round in $(seq "$rounds"); do
  one+=("$(drain 1)"); three+=("$(drain 3)")
  echo "round $round: 1 worker ${one[-1]} s, 3 workers ${three[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
m1=$(median "${one[@]}"); m3=$(median "${three[@]}")
awk -v n="$events" -v l="$latency" -v c="$concurrency" -v b="$batch" -v m1="$m1" -v m3="$m3" 'BEGIN {
  printf "events=%d latency_ms=%d concurrency=%d batch=%d\n", n, l, c, b
  printf "1 worker: %.2f s (%.0f events/s)\n3 workers: %.2f s (%.0f events/s)\nspeed-up: %.2fx\n", m1, n / m1, m3, n / m3, m1 / m3
}' 
