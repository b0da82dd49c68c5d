#!/usr/bin/env bash
# Every static check, each run even if an earlier one failed; ends with "lint: clean" or
# "lint: N failed". `make lint` runs it, and so does `make test` (scripts/run-tests.sh).
set -uo pipefail
cd "$(dirname "$0")/.."
failed=0
check() {
  local name=$1; shift
  echo "-- $name"
  if ! "$@"; then echo "lint: $name failed"; failed=$((failed + 1)); fi
}
check "cargo fmt (guest-programs)" bash -c 'cd guest-programs && cargo fmt --check'
check "cargo fmt (SP1 host)" bash -c 'cd guest-programs/sp1/script && cargo fmt --check'
check "cargo fmt (fuzz)" bash -c 'cd guest-programs/fuzz && cargo fmt --check'
check "clippy -D warnings (core, python binding, guests)" bash -c 'cd guest-programs && cargo clippy --release --workspace --all-targets --quiet -- -D warnings'
check "forge fmt" forge fmt --check
check "ruff (node, tests, scripts)" .venv/bin/ruff check --quiet node tests scripts
check "mypy (node)" .venv/bin/mypy
if [ "$failed" -eq 0 ]; then echo "lint: clean"; else echo "lint: $failed failed"; exit 1; fi
