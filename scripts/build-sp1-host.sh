#!/usr/bin/env bash
# Builds the SP1 host (guest-programs/sp1/script, sp1-sdk from the crate registry) into
# $CLOBNODE_CACHE/target-sp1-host/release/clob-sp1-host and prints that path. sp1-sdk is large
# (about 500 crates): the target directory lives in the cache so a fresh clone rebuilds only
# this crate. Extra arguments go to cargo (e.g. --features cuda). sp1-prover-types needs protoc.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CLOBNODE_CACHE:-$HOME/.cache/clobnode}"
export CARGO_TARGET_DIR="${CLOBNODE_SP1_HOST_TARGET_DIR:-$CACHE/target-sp1-host}"

if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/empty.proto ]; then
  echo "build-sp1-host: installing protoc (protobuf-compiler, libprotobuf-dev)" >&2
  apt-cache policy protobuf-compiler | grep -q 'Candidate: [0-9]' || apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq protobuf-compiler libprotobuf-dev >&2
fi

(cd "$ROOT/guest-programs/sp1/script" && nice -n 10 cargo build --release --locked "$@" >&2)
echo "$CARGO_TARGET_DIR/release/clob-sp1-host"
