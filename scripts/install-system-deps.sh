#!/usr/bin/env bash
# Installs the system packages the test suite needs when they are missing:
# PostgreSQL server binaries (the tests start a throwaway server) and Chromium
# (the workbench browser tests). Debian/Ubuntu with apt; needs root or sudo.
set -euo pipefail

missing=()
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing system packages: ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "error: need ${missing[*]} (apt packages) but am neither root nor able to sudo; install them and retry" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: need ${missing[*]} but apt-get is not available; install them with your package manager" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
