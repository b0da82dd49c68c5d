#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard test (tests/test_dashboard.py), when missing.
# Needs root (apt); prints why and exits 0 otherwise, and the test then says what is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-browser: not root; install Debian's chromium package to run the dashboard test" >&2
  exit 0
fi
apt-get install -y -q chromium >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
