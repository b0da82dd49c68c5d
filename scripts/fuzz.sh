#!/usr/bin/env bash
# Coverage-guided fuzzing of the message decoders and the transition (docs/FUZZING.md): builds
# guest-programs/fuzz with libFuzzer on the stable toolchain and runs it for
# CLOBNODE_FUZZ_SECONDS (default 60) on a temporary copy of the committed seeds. Exits non-zero
# on a crash; the crashing input is kept under $CLOBNODE_CACHE/fuzz-artifacts/.
set -euo pipefail
cd "$(dirname "$0")/../guest-programs/fuzz"
cache="${CLOBNODE_CACHE:-$HOME/.cache/clobnode}"
seconds="${CLOBNODE_FUZZ_SECONDS:-60}"
export CARGO_TARGET_DIR="$cache/target-fuzz"
host=$(rustc -vV | sed -n 's/^host: //p')

# SanitizerCoverage as libFuzzer reads it: inline 8-bit edge counters with their PC table,
# comparison operands (trace-cmp) and stack depth. All are stable -C flags, so no nightly
# (cargo-fuzz adds -Zsanitizer=address, which is). `--target` keeps them off build scripts.
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Cdebug-assertions -Coverflow-checks"
echo "== building the fuzz target (guest-programs/fuzz, $CARGO_TARGET_DIR) =="
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
if ! nice cargo build --release --target "$host" --bin decoders >"$work/build.log" 2>&1; then
  tail -n 40 "$work/build.log"
  echo "fuzz: BUILD FAILED"
  exit 1
fi
echo "built in $((SECONDS - start)) s"

corpus="$work/corpus"
mkdir "$corpus"
cp seeds/* "$corpus"/
artifacts="$cache/fuzz-artifacts"
mkdir -p "$artifacts"
echo "== fuzzing decoders for $seconds s =="
log="$work/fuzz.log"
status=0
nice "$CARGO_TARGET_DIR/$host/release/decoders" "$corpus" -max_total_time="$seconds" -max_len=4096 \
  -dict="$PWD/extreme.dict" \
  -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
# libFuzzer's progress: coverage (cov: edges, ft: features) after the seeds, then as it grows;
# the DONE line is the final one. Then its final stats, or the crash report.
grep -E '^#[0-9]+[[:space:]]+INITED' "$log" || true
grep -E '^#[0-9]+[[:space:]]+(pulse|DONE)' "$log" | tail -n 3 || true
if [ "$status" -ne 0 ]; then
  grep -vE '^#[0-9]+[[:space:]]+(NEW|REDUCE|pulse)|NEW_FUNC' "$log" | tail -n 80
  echo "fuzz: CRASH (exit $status); input kept under $artifacts/"
  echo "reproduce: $CARGO_TARGET_DIR/$host/release/decoders $artifacts/<crash-file>"
else
  grep -E '^(stat::|Done [0-9]+ runs)' "$log" || true
  echo "fuzz: no crash in $seconds s"
fi
exit "$status"
