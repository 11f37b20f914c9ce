#!/usr/bin/env bash
# Installs what the build needs beyond the Swift toolchain: the system libyaml and zlib.
# With --test, also what the tests drive: Debian's chromium and chromium-driver (the debug
# view in a real browser), and from PyPI selenium and segment-analytics-python (Segment's own
# SDK as a client of serve), and gdb (the test watchdog prints a hung run's stacks with it).
# Installs only what is missing.
set -euo pipefail
want_tests=0
[ "${1:-}" = "--test" ] && want_tests=1

packages=()
pkg-config --exists yaml-0.1 2>/dev/null || packages+=(libyaml-dev pkg-config)
pkg-config --exists zlib 2>/dev/null || [ -f /usr/include/zlib.h ] || packages+=(zlib1g-dev)
if [ "$want_tests" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || packages+=(chromium-driver)
  command -v curl >/dev/null 2>&1 || packages+=(curl)
  command -v gdb >/dev/null 2>&1 || packages+=(gdb)
fi

if [ ${#packages[@]} -gt 0 ]; then
  echo "Installing ${packages[*]}…" >&2
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    brew install libyaml pkg-config zlib
  else
    echo "Please install ${packages[*]} (Debian/Ubuntu package names; Homebrew: libyaml, zlib)." >&2
    exit 1
  fi
fi

if [ "$want_tests" = 1 ]; then
  python3 - <<'PY' 2>/dev/null || { echo "Installing selenium and segment-analytics-python (pip)…" >&2; python3 -m pip install -q --disable-pip-version-check selenium segment-analytics-python; }
import selenium, segment.analytics
PY
fi

# The samples, dated relative to now so that they are inside TikTok's attribution window.
"$(dirname "$0")/samples.sh"
