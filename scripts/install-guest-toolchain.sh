#!/usr/bin/env bash
# Installs the RISC-V guest toolchain into a private prefix (default
# ~/.cache/clobnode/toolchain): Debian's rustc-web 1.96 with its own std source, cargo, LLVM
# 22 and lld, unpacked with `dpkg -x` (never installed system-wide: rust-web-src conflicts with
# rustup). Idempotent: a prefix whose stamp names the same package versions is left alone.
# Prints the prefix on stdout. See docs/ZKVM.md ("Building the guests").
set -euo pipefail

PREFIX="${CLOBNODE_TOOLCHAIN:-${CLOBNODE_CACHE:-$HOME/.cache/clobnode}/toolchain}"
PACKAGES=(rustc-web cargo-web rust-web-src libstd-rust-web-dev libstd-rust-web-1.96 rust-web-llvm libllvm22 lld-22
  # cargo-web's libraries that a stock Debian 12 lacks
  libgit2-1.5 libhttp-parser2.9 libmbedtls14 libmbedx509-1 libmbedcrypto7
  # libclang for bindgen in ZisK's zisk-zkvm-interface build script
  libclang1-22 libclang-common-22-dev)
# The compiler and the std source must be one version: build-std compiles that source.
RUST_VERSION_PREFIX="1.96."

log() { echo "install-guest-toolchain: $*" >&2; }

# The candidate versions apt would fetch, one "name=version" per package.
candidates() {
  local name version
  for name in "${PACKAGES[@]}"; do
    version=$(apt-cache policy "$name" 2>/dev/null | awk '/Candidate:/ {print $2}')
    [ -n "$version" ] && [ "$version" != "(none)" ] || return 1
    echo "$name=$version"
  done
}

wanted=$(candidates) || {
  log "apt lists lack the packages; running apt-get update"
  apt-get update -qq >&2
  wanted=$(candidates) || { log "apt cannot find: ${PACKAGES[*]}"; exit 1; }
}
case "$(grep '^rust-web-src=' <<<"$wanted")" in
  *"=$RUST_VERSION_PREFIX"*) ;;
  *) log "rust-web-src is not $RUST_VERSION_PREFIX* (bookworm-security must be in the apt sources)"; exit 1 ;;
esac

if [ -f "$PREFIX/.installed" ] && [ "$(cat "$PREFIX/.installed")" = "$wanted" ]; then
  echo "$PREFIX"
  exit 0
fi

log "installing into $PREFIX"
debs=$(mktemp -d)
chmod 755 "$debs" # apt's sandbox user must be able to write there
trap 'rm -rf "$debs"' EXIT
(cd "$debs" && apt-get download -qq $wanted >&2)
rm -rf "$PREFIX.tmp"
mkdir -p "$PREFIX.tmp"
for deb in "$debs"/*.deb; do dpkg -x "$deb" "$PREFIX.tmp"; done
echo "$wanted" >"$PREFIX.tmp/.installed"
rm -rf "$PREFIX"
mv "$PREFIX.tmp" "$PREFIX"
echo "$PREFIX"
