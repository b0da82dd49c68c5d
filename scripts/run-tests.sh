#!/usr/bin/env bash
# Runs every suite (cargo, fuzz, forge, pytest) and ends with one plain line: "N passed, N failed".
# Called by `make test` after bootstrap; each suite runs even if an earlier one failed.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=$(mktemp -d)
status=0

echo "== cargo test (guest-programs) =="
(cd guest-programs && cargo test --release -p clob-core --features native-secp256k1,aggregate 2>&1) | tee "$logs/cargo.log" || status=1
(cd guest-programs && cargo check --release -p clob-sp1-guest -p clob-sp1-aggregate -p clob-zisk-guest 2>&1) | tail -n 3 || status=1

echo "== fuzz (guest-programs/fuzz, libFuzzer, ${CLOBNODE_FUZZ_SECONDS:-60} s) =="
bash scripts/fuzz.sh 2>&1 | tee "$logs/fuzz.log" || status=1

echo "== forge test (contracts) =="
forge test 2>&1 | tee "$logs/forge.log" || status=1

echo "== lint (cargo fmt, clippy, forge fmt, ruff, mypy: scripts/lint.sh) =="
bash scripts/lint.sh 2>&1 | tee "$logs/lint.log" || status=1

echo "== pytest (node, end to end on anvil) =="
# The zkVM tests (tests/test_sp1.py) need `make zkvm`, which `make test` runs first.
CLOBNODE_REQUIRE_ZKVM="${CLOBNODE_REQUIRE_ZKVM:-1}" CLOBNODE_REQUIRE_BROWSER="${CLOBNODE_REQUIRE_BROWSER:-$([ "$(id -u)" -eq 0 ] && echo 1 || echo 0)}" .venv/bin/python -m pytest -q -m "not slow" tests 2>&1 | tee "$logs/pytest.log" || status=1

passed=0; failed=0
while read -r p f; do passed=$((passed + p)); failed=$((failed + f)); done < <(
  grep -hE '^test result: ' "$logs/cargo.log" | sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/'
  if grep -q '^fuzz: no crash' "$logs/fuzz.log"; then echo "1 0"; else echo "0 1"; fi
  if grep -q '^lint: clean' "$logs/lint.log"; then echo "1 0"; else echo "0 1"; fi
  grep -hE 'tests? passed, [0-9]+ failed' "$logs/forge.log" | tail -n 1 | sed -E 's/.* ([0-9]+) tests? passed, ([0-9]+) failed.*/\1 \2/'
  tail -n 1 "$logs/pytest.log" | grep -oE '[0-9]+ (passed|failed)' | awk '{c[$2]=$1} END {print (c["passed"]+0), (c["failed"]+0)}'
)
[ "$failed" -eq 0 ] || status=1
rm -rf "$logs"
echo "$passed passed, $failed failed"
exit $status
