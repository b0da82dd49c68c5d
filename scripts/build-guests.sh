#!/usr/bin/env bash
# Builds the zkVM guest ELFs from guest-programs/ and prints their SHA-256:
#   build/elf/clob-sp1-guest.elf      (SP1 v6, riscv64im-succinct-zkvm-elf)
#   build/elf/clob-sp1-aggregate.elf  (SP1 v6: verifies several range proofs, PROTOCOL.md section 14)
#   build/elf/clob-zisk-guest.elf  (ZisK, riscv64ima-zisk-zkvm-elf)
# Usage: scripts/build-guests.sh [sp1|sp1-software|zisk|all]   (default all: sp1 and zisk)
# sp1-software builds build/elf/clob-sp1-guest-software.elf without SP1's precompiles (keccak and
# secp256k1 in software), only to measure what the precompiles save (docs/ZKVM.md).
#
# Where an operator has the zkVM's own toolchain (`cargo prove` for SP1, `cargo-zisk` for ZisK;
# set CLOBNODE_GUEST_TOOLCHAIN=private to ignore them) it is used. Otherwise Debian's rustc-web
# 1.96 from scripts/install-guest-toolchain.sh builds std from source for the target specs in
# guest-programs/targets/ with the rustflags SP1's own builder passes. The build is --locked,
# path-trimmed and in a fixed target directory, so a rebuild on another machine gives the same
# bytes (docs/ZKVM.md records the hashes).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${CLOBNODE_CACHE:-$HOME/.cache/clobnode}"
TARGET_DIR="${CLOBNODE_GUEST_TARGET_DIR:-$CACHE/target-riscv}"
OUT="$ROOT/build/elf"
WHICH="${1:-all}"
mkdir -p "$OUT"

log() { echo "build-guests: $*" >&2; }

# Rustflags of SP1's builder (sp1-build: image base = STACK_TOP, lower atomics, bottom-up
# scheduling) plus path trimming so the ELF does not embed this machine's paths.
RUSTFLAGS_SP1=(
  -C passes=lower-atomic -C link-arg=--image-base=0x78000000 -C panic=abort
  --cfg 'getrandom_backend="custom"'
  -C llvm-args=-misched-prera-direction=bottomup -C llvm-args=-misched-postra-direction=bottomup
)
# ZisK's own toolchain carries its memory layout in the target; ours is a linker script.
RUSTFLAGS_ZISK=(
  -C panic=abort --cfg 'getrandom_backend="custom"'
  -C "link-arg=-T$ROOT/guest-programs/targets/riscv64ima-zisk-zkvm-elf.ld"
)
REMAP=(--remap-path-prefix "$ROOT=/clobnode" --remap-path-prefix "$HOME/.cargo=/cargo")

private_toolchain_env() {
  local prefix
  prefix="$(bash "$ROOT/scripts/install-guest-toolchain.sh")/usr"
  export PATH="$prefix/bin:$PATH"
  export LD_LIBRARY_PATH="$prefix/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export RUSTC="$prefix/bin/rustc" CARGO="$prefix/bin/cargo"
  export RUSTC_BOOTSTRAP=1
  export LIBCLANG_PATH="$prefix/lib/llvm-22/lib"
  remap_sysroot=(--remap-path-prefix "$prefix=/toolchain")
}

# cargo build of one guest package for one custom target with build-std.
build_private() { # package target-triple output-name cargo-features rustflags...
  local package="$1" triple="$2" output="$3" features="$4"; shift 4
  private_toolchain_env
  local flags=("$@" "${REMAP[@]}" "${remap_sysroot[@]}")
  log "building $package for $triple with $("$RUSTC" --version)"
  (
    cd "$ROOT/guest-programs"
    # \x1f-separated, so that flags with spaces or quotes survive.
    CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; echo "${flags[*]}")" \
    CARGO_TARGET_DIR="$TARGET_DIR" \
      nice -n 10 "$CARGO" build --release --locked -p "$package" $features \
        --target "$ROOT/guest-programs/targets/$triple.json" -Zjson-target-spec \
        -Zbuild-std=std,panic_abort -Zbuild-std-features=compiler-builtins-mem >&2
  )
  cp "$TARGET_DIR/$triple/release/$package" "$OUT/$output.elf"
}

build_sp1() {
  if [ "${CLOBNODE_GUEST_TOOLCHAIN:-}" != private ] && cargo prove --version >/dev/null 2>&1; then
    log "using cargo prove ($(cargo prove --version | head -n 1))"
    (cd "$ROOT/guest-programs/sp1" && cargo prove build --locked --output-directory "$OUT" --elf-name clob-sp1-guest.elf >&2)
    (cd "$ROOT/guest-programs/sp1/aggregate" && cargo prove build --locked --output-directory "$OUT" --elf-name clob-sp1-aggregate.elf >&2)
  else
    build_private clob-sp1-guest riscv64im-succinct-zkvm-elf clob-sp1-guest "" "${RUSTFLAGS_SP1[@]}"
    build_private clob-sp1-aggregate riscv64im-succinct-zkvm-elf clob-sp1-aggregate "" "${RUSTFLAGS_SP1[@]}"
  fi
}

build_zisk() {
  if [ "${CLOBNODE_GUEST_TOOLCHAIN:-}" != private ] && cargo-zisk --version >/dev/null 2>&1; then
    log "using cargo-zisk ($(cargo-zisk --version | head -n 1))"
    (cd "$ROOT/guest-programs/zisk" && CARGO_TARGET_DIR="$TARGET_DIR/cargo-zisk" cargo-zisk build --release >&2)
    cp "$TARGET_DIR/cargo-zisk/riscv64ima-zisk-zkvm-elf/release/clob-zisk-guest" "$OUT/clob-zisk-guest.elf"
  else
    build_private clob-zisk-guest riscv64ima-zisk-zkvm-elf clob-zisk-guest "" "${RUSTFLAGS_ZISK[@]}"
  fi
}

case "$WHICH" in
  sp1) build_sp1 ;;
  sp1-software)
    build_private clob-sp1-guest riscv64im-succinct-zkvm-elf \
      clob-sp1-guest-software --no-default-features "${RUSTFLAGS_SP1[@]}" ;;
  zisk) build_zisk ;;
  all) build_sp1; build_zisk ;;
  *) log "usage: $0 [sp1|zisk|all]"; exit 2 ;;
esac
(cd "$OUT" && sha256sum -- *.elf)
