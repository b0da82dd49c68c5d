#!/usr/bin/env bash
# Issue 14, the development route to a Groth16 proof of a clobnode range (docs/ZKVM.md):
#  1. builds the SP1 host with SP1's gnark FFI compiled here with Go (feature `native-gnark`; the
#     next plain `make zkvm` builds the host without it again);
#  2. writes a small range's guest input (8 direct orders on the funded pre-state of
#     scripts/zkvm-cycles.py, or WORKLOAD:N);
#  3. proves it: SP1_CIRCUIT_MODE=dev makes sp1-prover build Groth16 circuit artifacts and keys
#     locally (~/.sp1/circuits/<vk-hash>-groth16-dev) when it cannot download them. These are
#     development keys, not Succinct's ceremony: Succinct's gateway does not accept their proofs,
#     the verifier contract generated beside them does.
# Every stage's log lines are timestamped and the host's RSS is sampled every 5 s into OUT_DIR, so
# the peak of each stage (core, compress, shrink, wrap, artifacts, Groth16) can be read off.
# Usage: scripts/sp1-groth16-dev.sh [OUT_DIR] [WORKLOAD:N]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CLOBNODE_CACHE:-$HOME/.cache/clobnode}"
OUT="${1:-$CACHE/groth16-dev}"
WORKLOAD="${2:-direct_joining:8}"
mkdir -p "$OUT"
cd "$ROOT"
command -v go >/dev/null || { echo "sp1-groth16-dev: the gnark FFI needs Go (golang.org/dl, or the Go module proxy's toolchain)" >&2; exit 1; }
if ! ls /usr/lib/llvm-*/lib/libclang.so >/dev/null 2>&1; then  # bindgen, for the FFI's header
  echo "sp1-groth16-dev: installing libclang-dev" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-dev >&2
fi
# The host's own target directory: only the crates the feature touches are built again.
HOST=$(bash scripts/build-sp1-host.sh --features native-gnark)
.venv/bin/python scripts/zkvm-cycles.py --write-input "$WORKLOAD" "$OUT/input.bin"
echo "sp1-groth16-dev: proving $WORKLOAD ($(stat -c %s "$OUT/input.bin") bytes) into $OUT" >&2
(
  SP1_CIRCUIT_MODE=dev SP1_PROVER=cpu RUST_LOG="${RUST_LOG:-info}" \
    /usr/bin/time -v "$HOST" groth16 --elf build/elf/clob-sp1-guest.elf --input "$OUT/input.bin" \
    --out "$OUT/groth16.json" --proof-out "$OUT/groth16.bin"
) > >(while IFS= read -r line; do printf '%s %s\n' "$(date +%T)" "$line"; done > "$OUT/host.log") 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  child=$(pgrep -n -f "clob-sp1-host groth16" || true)
  [ -n "$child" ] && printf '%s %s\n' "$(date +%T)" "$(ps -o rss= -p "$child" 2>/dev/null || echo 0)" >> "$OUT/rss.log"
  sleep 5
done
status=0
wait "$pid" || status=$?
echo "sp1-groth16-dev: exit $status; peak RSS (KiB): $(sort -n -k2 "$OUT/rss.log" | tail -1)" >&2
exit $status
