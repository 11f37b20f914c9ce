#!/usr/bin/env bash
# Writes samples/events.ndjson, samples/order-completed.json and samples/pos-export.csv from
# samples/templates/, dated relative to now, so that the samples are always inside TikTok's
# 28-day attribution window and the documented commands send them. A template writes a time
# as {{now-SECONDS}} (UTC, as Segment sends it) or {{now-SECONDS-08:00}} (local time with its
# offset, as a till exports it). scripts/setup.sh runs this; run it again to re-date them.
set -euo pipefail
cd "$(dirname "$0")/.."
now=$(date -u +%s)

# The time SECONDS before now, in UTC shifted by OFFSET (+HH:MM or -HH:MM, or Z).
stamp() {
  local seconds=$1 offset=$2 shift=0 sign hours minutes
  if [ "$offset" != "Z" ]; then
    sign=${offset:0:1}; hours=${offset:1:2}; minutes=${offset:4:2}
    shift=$(( 10#$hours * 3600 + 10#$minutes * 60 ))
    [ "$sign" = "-" ] && shift=$(( -shift ))
  fi
  local at=$(( now - seconds + shift )) text
  text=$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%S 2>/dev/null || date -u -r "$at" +%Y-%m-%dT%H:%M:%S)
  if [ "$offset" = "Z" ]; then echo "$text.000Z"; else echo "$text$offset"; fi
}

for template in samples/templates/*; do
  output="samples/$(basename "$template")"
  script=""
  while read -r placeholder; do
    body=${placeholder#\{\{now-}; body=${body%\}\}}
    seconds=${body%%[+-]*}
    offset=${body#"$seconds"}; [ -n "$offset" ] || offset=Z
    replacement=$(stamp "$seconds" "$offset")
    script+="s/$placeholder/$replacement/g;"
  done < <(grep -o '{{now-[0-9]*\([+-][0-9][0-9]:[0-9][0-9]\)\{0,1\}}}' "$template" | sort -u)
  sed -e "$script" "$template" > "$output.tmp"
  mv "$output.tmp" "$output"
done
