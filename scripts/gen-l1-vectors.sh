#!/usr/bin/env bash
# Generates the L1 golden vectors (docs/PROTOCOL.md sections 1, 11 and 14) with `cast` alone, so they
# are computed independently of the Solidity contracts that `forge test` checks against them:
#   tests/vectors/inbox_entries.json  — inbox entry hashes and the rolling accumulator
#   tests/vectors/public_values.json  — abi.encode of the batch public values (v2, 256 bytes)
# Deterministic: re-running rewrites byte-identical files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FOUNDRY="$ROOT/tools/node_modules/@foundry-rs/cast-linux-amd64/bin"
export PATH="$FOUNDRY:$PATH"
OUT="$ROOT/tests/vectors"
mkdir -p "$OUT"

ZERO=0x0000000000000000000000000000000000000000000000000000000000000000

# Devnet actors: anvil's first dev account, the Inbox it deploys first, and the Vault the Inbox
# creates in its constructor (the Inbox's nonce 1).
TRADER=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266
TRADER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 # anvil's public dev key
RELAYER=0x70997970C51812dc3A010C7d01b50e20d17dc79C
INBOX=0x5FbDB2315678afecb367f032d93F642f64180aa3
VAULT=$(cast compute-address "$INBOX" --nonce 1 | awk '{print $3}')
TOKEN=0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512
CHAIN_ID=31337

lower() { tr 'A-F' 'a-f' <<<"$1" | sed 's/^0X/0x/'; }
# Fixed-width big-endian integers, as hex without 0x.
u8() { printf '%02x' "$1"; }
u16() { printf '%04x' "$1"; }
u32() { printf '%08x' "$1"; }
u64() { printf '%016x' "$1"; }
# write_json KEY FILE ITEM... — {"KEY": [ITEM, ...]}. Built with printf, not jq: jq 1.6 rounds
# integers above 2^53 (the max-uint64 case) through doubles.
write_json() {
  local key=$1 file=$2 sep=""
  shift 2
  { printf '{\n  "%s": [\n' "$key"
    for item in "$@"; do printf '%s%s' "$sep" "$item"; sep=$',\n'; done
    printf '\n  ]\n}\n'; } >"$file"
}

# ---------------------------------------------------------------- payloads (PROTOCOL.md 2-4)

# Order: 0x01 ‖ market(u32) ‖ side(u8) ‖ price(u64) ‖ quantity(u64) ‖ nonce(u64) ‖ expiry(u64) = 38 bytes
order() { echo "0x01$(u32 "$1")$(u8 "$2")$(u64 "$3")$(u64 "$4")$(u64 "$5")$(u64 "$6")"; }
# Cancel: 0x02 ‖ market(u32) ‖ orderNonce(u64) = 13 bytes
cancel() { echo "0x02$(u32 "$1")$(u64 "$2")"; }

ORDER_BUY=$(order 1 0 2500 10 1 0)          # buy 10 lots at 2500 ticks, no expiry
CANCEL=$(cancel 1 1)                         # cancel nonce 1
ORDER_SELL=$(order 1 1 2600 4 2 1700003600) # sell 4 lots at 2600 ticks, expires

# Signed envelope: trader(20) ‖ message ‖ signature(65), EIP-712 over the Order struct.
TYPED_DATA=$(cat <<EOF
{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},{"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
"Order":[{"name":"trader","type":"address"},{"name":"market","type":"uint32"},{"name":"side","type":"uint8"},{"name":"price","type":"uint64"},{"name":"quantity","type":"uint64"},{"name":"nonce","type":"uint64"},{"name":"expiry","type":"uint64"}]},
"primaryType":"Order",
"domain":{"name":"clobnode","version":"1","chainId":$CHAIN_ID,"verifyingContract":"$INBOX"},
"message":{"trader":"$TRADER","market":1,"side":1,"price":2600,"quantity":4,"nonce":2,"expiry":1700003600}}
EOF
)
SIGNATURE=$(cast wallet sign --private-key "$TRADER_KEY" --data "$TYPED_DATA")
ENVELOPE=$(cast concat-hex "$TRADER" "$ORDER_SELL" "$SIGNATURE")

# Deposit: trader(20) ‖ token(20) ‖ amount(uint256) = 72 bytes
DEPOSIT=$(cast concat-hex "$TRADER" "$TOKEN" "$(cast to-uint256 1000000000000000000000)")

# Withdrawal request: token(20) ‖ amount(uint256) = 52 bytes (PROTOCOL.md section 11)
WITHDRAWAL=$(cast concat-hex "$TOKEN" "$(cast to-uint256 250000000000000000000)")

# Blob batch: versioned hashes (0x01 ‖ sha256(commitment)[1:]); two stand-ins of that shape.
vhash() { local h; h=$(cast keccak "$1"); echo "0x01${h:4}"; }
BLOB_BATCH=$(cast concat-hex "$(vhash clobnode-blob-0)" "$(vhash clobnode-blob-1)")

# ---------------------------------------------------------------- inbox entries (PROTOCOL.md 1)

# kind sender l1_block l1_timestamp payload
ENTRIES=(
  "1 $TRADER 100 1700000000 $ORDER_BUY"
  "3 $VAULT 101 1700000012 $DEPOSIT"
  "2 $RELAYER 101 1700000012 $ENVELOPE"
  "1 $TRADER 102 1700000024 $CANCEL"
  "4 $RELAYER 103 1700000036 $BLOB_BATCH"
  "1 $TRADER 103 1700000036 $ORDER_SELL"
  "5 $TRADER 104 1700000048 $WITHDRAWAL"
)

acc=$ZERO
json_entries=()
for line in "${ENTRIES[@]}"; do
  read -r kind sender block ts payload <<<"$line"
  payload_hash=$(cast keccak "$payload")
  preimage=$(cast concat-hex "0x$(u8 "$kind")" "$sender" "0x$(u64 "$block")" "0x$(u64 "$ts")" "$payload_hash")
  [ "${#preimage}" -eq $((2 + 69 * 2)) ] || { echo "entry preimage is not 69 bytes" >&2; exit 1; }
  entry_hash=$(cast keccak "$preimage")
  acc=$(cast keccak "$(cast concat-hex "$acc" "$entry_hash")")
  json_entries+=("$(printf '    {"kind": %s, "sender": "%s", "l1_block": %s, "l1_timestamp": %s, "payload": "%s", "payload_hash": "%s", "entry_hash": "%s", "acc": "%s"}' \
    "$kind" "$(lower "$sender")" "$block" "$ts" "$(lower "$payload")" "$payload_hash" "$entry_hash" "$acc")")
done
write_json entries "$OUT/inbox_entries.json" "${json_entries[@]}"

# ---------------------------------------------------------------- public values (PROTOCOL.md 14)

PV_SIG="f(bytes32,bytes32,uint64,uint64,bytes32,bytes32,bytes32,bytes32)"
MAX_U64=18446744073709551615
MAX_U64_MINUS_1=18446744073709551614 # bash arithmetic is signed 64-bit: spelled out
# prev new start end start_acc end_acc withdrawals_root blobs_hash
acc_of() { jq -r ".entries[$1].acc" "$OUT/inbox_entries.json"; } # hex strings: jq-safe
CASES=(
  "$(cast keccak genesis) $(cast keccak root-1) 0 3 $ZERO $(acc_of 2) $ZERO $ZERO"
  "$(cast keccak root-1) $(cast keccak root-2) 3 7 $(acc_of 2) $(acc_of 6) $(cast keccak withdrawals-2) $(cast keccak blobs-2)"
  "$(cast keccak max-prev) $(cast keccak max-new) $MAX_U64_MINUS_1 $MAX_U64 $(cast keccak max-start-acc) $(cast keccak max-end-acc) $(cast keccak max-withdrawals) $(cast keccak max-blobs)"
)
json_cases=()
for line in "${CASES[@]}"; do
  read -r prev new start end start_acc end_acc wroot bhash <<<"$line"
  encoded=$(cast abi-encode "$PV_SIG" "$prev" "$new" "$start" "$end" "$start_acc" "$end_acc" "$wroot" "$bhash")
  [ "${#encoded}" -eq $((2 + 256 * 2)) ] || { echo "public values are not 256 bytes" >&2; exit 1; }
  json_cases+=("$(printf '    {"prev_state_root": "%s", "new_state_root": "%s", "inbox_start": %s, "inbox_end": %s, "inbox_start_acc": "%s", "inbox_end_acc": "%s", "withdrawals_root": "%s", "blobs_hash": "%s", "encoded": "%s"}' \
    "$prev" "$new" "$start" "$end" "$start_acc" "$end_acc" "$wroot" "$bhash" "$encoded")")
done
write_json cases "$OUT/public_values.json" "${json_cases[@]}"

echo "wrote $OUT/inbox_entries.json and $OUT/public_values.json"
