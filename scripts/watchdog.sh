#!/usr/bin/env bash
# Runs a Swift Testing command (`swift test …`) for at most SECONDS. Past that, it prints each
# thread's stack of the test process (gdb), then the tests that started and never finished,
# stops the run and exits 124. Otherwise it exits with the command's status.
#   scripts/watchdog.sh SECONDS COMMAND [ARGUMENTS…]
set -uo pipefail
limit="$1"; shift
log=$(mktemp)
"$@" > >(tee "$log") 2>&1 &
runner=$!
deadline=$((SECONDS + limit))
while kill -0 "$runner" 2>/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "watchdog: the test run is still going after ${limit} s; stopping it" >&2
    for pid in $(pgrep -f 'PackageTests\.(xctest|swift-testing)' || true); do
      echo "watchdog: threads of process $pid:" >&2
      timeout 120 gdb -p "$pid" -batch -ex "thread apply all bt 30" 2>/dev/null | grep -E '^(Thread |#)' \
        | sed -E 's/^(#[0-9]+) +(0x[0-9a-f]+ in )?([^ (]+).*/  \1 \3/' | swift demangle --simplified | cut -c1-200 >&2 || true
    done
    echo "watchdog: tests that started and did not finish:" >&2
    grep -E '^[^ ]+ Test .* started\.$' "$log" | sed -E 's/^[^ ]+ Test (.*) started\.$/\1/' | sort -u > "$log.started"
    grep -E '^[^ ]+ Test .* (passed|failed) after' "$log" | sed -E 's/^[^ ]+ Test (.*) (passed|failed) after.*/\1/' | sort -u > "$log.ended"
    comm -23 "$log.started" "$log.ended" | sed 's/^/  /' >&2
    pkill -KILL -P "$runner" 2>/dev/null; pkill -KILL -f 'PackageTests\.(xctest|swift-testing)' 2>/dev/null
    kill -KILL "$runner" 2>/dev/null
    rm -f "$log" "$log.started" "$log.ended"
    exit 124
  fi
  sleep 5
done
wait "$runner"
status=$?
rm -f "$log"
exit "$status"
