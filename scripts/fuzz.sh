#!/usr/bin/env bash
# Coverage-guided fuzzing of MappingKit (libFuzzer with AddressSanitizer): builds Fuzz/, seeds
# each target from the shipped presets, the vectors and the event corpus, and runs each target
# for SECONDS (default 30). Exits non-zero, naming the input, when a target crashes or breaks a
# property (see Fuzz/Sources/mappingkit-fuzz/FuzzTargets.swift).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      targets: json trigger mapping-file path
#
# With FUZZ_RUNS=N each target instead runs N inputs from a fixed seed, so that a run is
# repeatable (CI uses this: what it finds, the same command finds again).
#
# Inputs that found something are kept in .build/fuzz/crashes/; the grown corpora in
# .build/fuzz/corpus/, reused by the next run. Replay one with:
#   FUZZ_TARGET=json SWIFT_BACKTRACE=enable=no Fuzz/.build/debug/mappingkit-fuzz FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(json trigger mapping-file path)

scripts/setup.sh
# Every module gets AddressSanitizer and coverage; only the fuzz target links libFuzzer (its
# Package.swift says why).
flags=(-Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table)
swift build --package-path Fuzz "${flags[@]}"
binary="$(swift build --package-path Fuzz "${flags[@]}" --show-bin-path)/mappingkit-fuzz"

work=.build/fuzz
mkdir -p "$work/crashes"
python3 - "$work/corpus" <<'PY'
import glob, hashlib, json, os, re, sys
root = sys.argv[1]
def add(target, text):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    with open(os.path.join(folder, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)
mappings = sorted(glob.glob("mappings/*.yaml") + glob.glob("samples/mappings/*.yaml"))
for path in mappings:
    text = open(path, encoding="utf-8").read()
    add("mapping-file", text)
    for trigger in re.findall(r"^trigger:\s*(.+)$", text, re.M):
        add("trigger", trigger)
    for found in re.findall(r"(\$\.[^\s,}\]\"']+)", text):
        add("path", found)
for entry in json.load(open("Tests/MappingKitTests/Fixtures/fql.json")):
    for key in ("subscription", "expected_fql"):
        if isinstance(entry.get(key), str):
            add("trigger", entry[key])
for line in open("Tests/TikTokOfflineTests/Fixtures/corpus/segment-events-2000.ndjson", encoding="utf-8").read().splitlines()[:300]:
    add("json", line)
for path in glob.glob("samples/templates/*.json"):
    add("json", open(path, "rb").read())
PY

status=0
for target in "${targets[@]}"; do
  if [ -n "${FUZZ_RUNS:-}" ]; then
    limit=(-runs="$FUZZ_RUNS" -seed=1); label="$FUZZ_RUNS inputs, seed 1"
  else
    limit=(-max_total_time="$seconds"); label="${seconds}s"
  fi
  echo "fuzzing $target ($label)…" >&2
  if ! SWIFT_BACKTRACE=enable=no FUZZ_TARGET="$target" "$binary" \
      "${limit[@]}" -max_len=65536 -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
      -artifact_prefix="$work/crashes/$target-" "$work/corpus/$target" > "$work/$target.log" 2>&1; then
    echo "fuzz target $target failed; its log: $work/$target.log" >&2
    grep -E "Fatal error|ERROR: |Test unit written" "$work/$target.log" >&2 || tail -20 "$work/$target.log" >&2
    status=1
  else
    grep -E "^Done|stat::number_of_executed_units" "$work/$target.log" | head -1 | sed "s/^/$target: /" >&2
  fi
done
exit $status
