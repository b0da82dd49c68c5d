#!/usr/bin/env bash
# Builds ZisK's emulator from the crate registry (`ziskemu` 1.4.0-alpha, the version of the
# guest's ziskos) into $CLOBNODE_CACHE/ziskemu/bin/ziskemu and prints that path. Not part of
# `make test`: cold, about 30 minutes on 2 cores (it links ZisK's prover stack: proofman, the
# pil2-stark C++ library, MPI). Idempotent: an installed emulator is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CLOBNODE_CACHE:-$HOME/.cache/clobnode}"
PREFIX="$CACHE/ziskemu"
VERSION="1.4.0-alpha"

if [ -x "$PREFIX/bin/ziskemu" ]; then
  echo "$PREFIX/bin/ziskemu"
  exit 0
fi

# System libraries of proofman-starks-lib-c (pil2-stark), mpi-sys and zisk-lib-c.
packages=(libopenmpi-dev libsodium-dev libgmp-dev libssl-dev nasm libomp-dev nlohmann-json3-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  apt-cache policy "${missing[0]}" | grep -q 'Candidate: [0-9]' || apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# bindgen (mpi-sys) needs libclang and its resource headers: the guest toolchain's.
toolchain="$(bash "$ROOT/scripts/install-guest-toolchain.sh")/usr"
clang_include=$(ls -d "$toolchain"/lib/llvm-22/lib/clang/*/include | head -n 1)
export LIBCLANG_PATH="$toolchain/lib/llvm-22/lib"
export LD_LIBRARY_PATH="$toolchain/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export BINDGEN_EXTRA_CLANG_ARGS="-I$clang_include"
export CARGO_TARGET_DIR="$CACHE/target-ziskemu"

nice -n 10 cargo install ziskemu --version "$VERSION" --locked --root "$PREFIX" >&2
echo "$PREFIX/bin/ziskemu"
