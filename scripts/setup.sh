#!/usr/bin/env bash
# Installs what the build needs beyond the Swift toolchain: the system libyaml.
set -euo pipefail
if pkg-config --exists yaml-0.1 2>/dev/null; then
  exit 0
fi
echo "Installing libyaml (libyaml-dev)…" >&2
if command -v apt-get >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq libyaml-dev pkg-config >/dev/null
elif command -v brew >/dev/null 2>&1; then
  brew install libyaml pkg-config
else
  echo "Please install libyaml (Debian/Ubuntu: libyaml-dev, Homebrew: libyaml) and pkg-config." >&2
  exit 1
fi
