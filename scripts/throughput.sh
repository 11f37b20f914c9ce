#!/usr/bin/env bash
# Measures the throughput figures the project is held to, on this machine, with a release build:
#
#   1. dry-run --enable-all over 100,000 events, output to /dev/null, on one core: events/s and
#      peak RSS (best and median of RUNS runs);
#   2. the same over 1,000,000 events piped in: peak RSS must stay what it was at 100,000;
#   3. run → SQLite outbox → mock-tiktok on loopback over 100,000 events with unique messageIds:
#      input events/s and confirmed events/s (best and median of RUNS runs), and a check that
#      every accepted event reached the stand-in once.
#
#   4. dry-run --threads 2 over 1,000,000 events on every core, against --threads 1.
#
# The events are the 2,000-event corpus under Tests/, repeated.
#
# Usage: scripts/throughput.sh [--calibrated]
#   --calibrated: before each timed run, time a fixed calibration workload (gzip -6 of the
#   100,000 events, on the same core: no code of this project) and report every figure also as
#   a ratio to it: "calibrated" = calibration seconds / run seconds, per pair, median of the runs.
#   The machine's speed swings, but both halves of a pair swing together, so ratios taken on
#   different days (and builds) can be compared where absolute figures cannot.
# Environment: RUNS (default 5), CORE (the core for the one-core runs, default 0).
set -euo pipefail
calibrated=false
[ "${1:-}" = "--calibrated" ] && calibrated=true
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
core=${CORE:-0}
corpus=Tests/TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson

scripts/setup.sh
swift build -c release --product tiktok-offline >&2
tool="$PWD/.build/release/tiktok-offline"
work=$(mktemp -d)
mock_pid=""
cleanup() {
  [ -n "$mock_pid" ] && kill "$mock_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -x /usr/bin/time ]; then
  echo "needs GNU time (/usr/bin/time; Debian/Ubuntu: apt-get install time)" >&2
  exit 1
fi
one_core=()
command -v taskset >/dev/null 2>&1 && one_core=(taskset -c "$core")

# 100,000 events: the corpus 50 times. For `run`, each copy gets its own messageIds, so that
# every accepted event is a distinct (event, event_id) for the stand-in to count.
for _ in $(seq 50); do cat "$corpus"; done > "$work/events-100k.ndjson"
for copy in $(seq 50); do sed "s/\"messageId\":\"/\"messageId\":\"c$copy-/" "$corpus"; done > "$work/unique-100k.ndjson"

# calibrate: seconds of the fixed calibration workload, on the one-core core.
calibrate() {
  /usr/bin/time -o "$work/c" -f "%e" "${one_core[@]}" bash -c 'gzip -6 -c "$1" > /dev/null' _ "$work/events-100k.ndjson"
  cat "$work/c"
}
# ratio_line FILE: the median of calibration/run over "run calibration" pairs in FILE.
ratio_line() {
  awk '{ if ($1 > 0) print $2 / $1 }' "$1" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f (median of %d pairs, higher is faster)", v[int((NR + 1) / 2)], NR }'
}

# The best (first after sorting) and the median of the numbers on stdin.
best_and_median() { awk '{ v[NR] = $1 } END { printf "best %s, median %s", v[1], v[int((NR + 1) / 2)] }'; }
fastest() { sort -g | best_and_median; }   # for times
highest() { sort -gr | best_and_median; }  # for rates
per_second() { awk -v n="$1" '{ printf "%.0f\n", n / $1 }'; }

# The corpus is dated 2024: --stale-events off keeps it from being refused as stale.
dry_run=("$tool" dry-run --enable-all --event-set-id test-event-set-id --access-token test-token --partner-name Segment --stale-events off)

echo "== dry-run --enable-all, 100,000 events, one core${one_core:+ (${one_core[*]})}"
: > "$work/dry.times"
: > "$work/dry.pairs"
for _ in $(seq "$runs"); do
  $calibrated && calibration=$(calibrate)
  /usr/bin/time -o "$work/t" -f "%e %M" "${one_core[@]}" "${dry_run[@]}" --threads 1 --input "$work/events-100k.ndjson" > /dev/null
  cat "$work/t" >> "$work/dry.times"
  $calibrated && echo "$(cut -d' ' -f1 "$work/t") $calibration" >> "$work/dry.pairs"
done
echo "  wall seconds:  $(cut -d' ' -f1 "$work/dry.times" | fastest)"
echo "  events/s:      $(cut -d' ' -f1 "$work/dry.times" | per_second 100000 | highest)"
echo "  peak RSS (KB): $(cut -d' ' -f2 "$work/dry.times" | sort -g | tail -n 1)"
$calibrated && echo "  calibrated:    $(ratio_line "$work/dry.pairs")"

echo "== dry-run --enable-all, 1,000,000 events piped in, one core"
/usr/bin/time -o "$work/t" -f "%e %M" bash -c 'for _ in $(seq 10); do cat "$1"; done | "${@:2}" > /dev/null' _ \
  "$work/events-100k.ndjson" "${one_core[@]}" "${dry_run[@]}" --threads 1
read -r wall rss < "$work/t"
echo "  wall seconds:  $wall ($(echo "$wall" | per_second 1000000) events/s)"
echo "  peak RSS (KB): $rss"

stats() {  # GET /__stats from the stand-in, without needing curl
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf "GET /__stats HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" >&3
    tail -n 1 <&3' _ "$1"
}

echo "== run → outbox → mock-tiktok, 100,000 events with unique messageIds"
: > "$work/run.times"
: > "$work/run.pairs"
for i in $(seq "$runs"); do
  $calibrated && calibration=$(calibrate)
  port=$((20000 + RANDOM % 20000))
  "$tool" mock-tiktok --port "$port" > "$work/mock.log" 2>&1 &
  mock_pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
  /usr/bin/time -o "$work/t" -f "%e" "$tool" run --enable-all --input "$work/unique-100k.ndjson" \
    --endpoint "http://127.0.0.1:$port" --access-token test-token --event-set-id test-event-set-id \
    --outbox "$work/outbox-$i.sqlite" --json-summary --stale-events off > "$work/summary.json" 2> "$work/run.log"
  received=$(stats "$port")
  kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true; mock_pid=""
  accepted=$(grep -o '"accepted":[0-9]*' "$work/summary.json" | cut -d: -f2)
  unique=$(echo "$received" | grep -o '"unique_events":[0-9]*' | head -n 1 | cut -d: -f2)   # the first: the total; event_sets repeat it per set
  if [ "$accepted" != "$unique" ]; then
    echo "  run $i: $accepted accepted but $unique unique events at the stand-in" >&2
    exit 1
  fi
  echo "$(cat "$work/t") $accepted" >> "$work/run.times"
  $calibrated && echo "$(cat "$work/t") $calibration" >> "$work/run.pairs"
done
accepted=$(head -n 1 "$work/run.times" | cut -d' ' -f2)
echo "  wall seconds:       $(cut -d' ' -f1 "$work/run.times" | fastest)"
echo "  input events/s:     $(cut -d' ' -f1 "$work/run.times" | per_second 100000 | highest)"
echo "  confirmed events/s: $(cut -d' ' -f1 "$work/run.times" | per_second "$accepted" | highest)"
echo "  ($accepted events accepted per run, each of them at the stand-in once)"
$calibrated && echo "  calibrated:         $(ratio_line "$work/run.pairs")"

echo "== dry-run --enable-all, 1,000,000 events, every core: --threads 2 against --threads 1"
for _ in $(seq 10); do cat "$work/events-100k.ndjson"; done > "$work/events-1m.ndjson"
: > "$work/threads.times"
for _ in $(seq "$runs"); do
  for threads in 1 2; do
    /usr/bin/time -o "$work/t" -f "%e" "${dry_run[@]}" --threads "$threads" --input "$work/events-1m.ndjson" > /dev/null
    echo "$threads $(cat "$work/t")" >> "$work/threads.times"
  done
done
one=$(awk '$1 == 1 { print $2 }' "$work/threads.times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
two=$(awk '$1 == 2 { print $2 }' "$work/threads.times" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
echo "  --threads 1: median $one s ($(echo "$one" | per_second 1000000) events/s)"
echo "  --threads 2: median $two s ($(echo "$two" | per_second 1000000) events/s)"
awk -v a="$one" -v b="$two" 'BEGIN { printf "  speed-up:    %.2fx\n", a / b }'
