"""Measures SP1 cycles of the guest per kind of inbox input (docs/ZKVM.md).

Every workload starts from the same pre-state (traders funded by deposits proven before, so
the deposits are not counted) and adds N inputs of one kind; the marginal cost per input is
(cycles(N_hi) - cycles(N_lo)) / (N_hi - N_lo), and the fixed cost of a range is cycles(empty).
Runs each ELF given (e.g. with and without SP1's precompiles) through the SP1 host's execute
mode and prints a JSON report.

    .venv/bin/python scripts/zkvm-cycles.py build/elf/clob-sp1-guest.elf build/elf/clob-sp1-guest-software.elf

With `--profile WORKLOAD:N` it instead runs one input (N inputs of WORKLOAD on the funded
pre-state) under SP1's cycle profiler and prints the functions that take the most cycles,
inclusive and exclusive. That needs a host built with sp1-sdk's `profiling` feature, named by
$CLOBNODE_SP1_HOST (docs/ZKVM.md):

    CLOBNODE_SP1_HOST=~/.cache/clobnode/target-sp1-host-profiling/release/clob-sp1-host \
        .venv/bin/python scripts/zkvm-cycles.py --profile direct_resting:32 build/elf/clob-sp1-guest.elf

With `--write-input WORKLOAD:N FILE` it writes that input to FILE, for the host's proving modes.
"""

from __future__ import annotations

import json
import os
import struct
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import clobnode_core
from eth_account import Account
from eth_utils import keccak

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "node"))
from clobnode.proving.guest_input import prove_entries
from clobnode.proving.sp1 import run_host

CHAIN_ID, INBOX, VAULT = 31337, b"\x01" * 20, b"\x02" * 20
BASE, QUOTE = b"\xb0" * 20, b"\xc0" * 20
MID = 100_000
TRADERS = 16
SIZES = (8, 32)

ACCOUNTS = [Account.from_key(keccak(b"clobnode-zkvm-cycles" + i.to_bytes(4, "big"))) for i in range(TRADERS)]
TRADER_ADDRESSES = [bytes.fromhex(a.address[2:]) for a in ACCOUNTS]


def _entry(index: int, kind: int, sender: bytes, payload: bytes) -> dict[str, Any]:
    return {"index": index, "kind": kind, "sender": sender, "l1_block": 1 + index, "l1_timestamp": 1_000 + index, "payload": payload}


def funded_engine() -> clobnode_core.Engine:
    """One market; every trader holds plenty of both tokens."""
    market = {"id": 1, "base": BASE, "quote": QUOTE, "base_lot": 1, "quote_tick": 1, "max_open_orders": 1_000_000}
    engine = clobnode_core.Engine.genesis(CHAIN_ID, INBOX, VAULT, [market])
    deposits = []
    for trader in TRADER_ADDRESSES:
        for token in (BASE, QUOTE):
            deposits.append(_entry(len(deposits), 3, VAULT, trader + token + (1 << 100).to_bytes(32, "big")))
    engine.apply_entries(deposits, {})
    return engine


def _order(n: int, crossing: bool) -> tuple[int, bytes]:
    """The nth order: trader n % TRADERS; resting orders alternate sides away from the mid, a
    crossing order takes the best resting order of the other side."""
    who = n % TRADERS
    side = n % 2
    if crossing:
        price = MID + 1_000 if side == 0 else MID - 1_000
    else:
        price = MID - 1 - n if side == 0 else MID + 1 + n
    return who, bytes(clobnode_core.encode_order(1, side, price, 1, 10_000 + n))


def _signed(who: int, message: bytes) -> bytes:
    trader = TRADER_ADDRESSES[who]
    digest = clobnode_core.typed_data_digest(CHAIN_ID, INBOX, trader, message)
    signed = ACCOUNTS[who].unsafe_sign_hash(digest)
    signature = signed.r.to_bytes(32, "big") + signed.s.to_bytes(32, "big") + bytes([signed.v])
    return bytes(clobnode_core.encode_envelope(trader, message, signature))


Workload = Callable[[int, int], tuple[list[dict[str, Any]], dict[bytes, bytes]]]


def direct_resting(start: int, count: int) -> tuple[list[dict[str, Any]], dict[bytes, bytes]]:
    """`count` direct (unsigned, sent by the trader's EOA) limit orders that rest on the book."""
    entries = []
    for n in range(count):
        who, message = _order(n, crossing=False)
        entries.append(_entry(start + n, 1, TRADER_ADDRESSES[who], message))
    return entries, {}


def direct_joining(start: int, count: int) -> tuple[list[dict[str, Any]], dict[bytes, bytes]]:
    """`count` direct limit orders that rest at four prices a side: past the first eight, each
    joins the queue of a level that exists (the common case in a deep book)."""
    entries = []
    for n in range(count):
        who, side = n % TRADERS, n % 2
        price = MID - 1 - (n // 2) % 4 if side == 0 else MID + 1 + (n // 2) % 4
        message = bytes(clobnode_core.encode_order(1, side, price, 1, 10_000 + n))
        entries.append(_entry(start + n, 1, TRADER_ADDRESSES[who], message))
    return entries, {}


def direct_crossing(start: int, count: int) -> tuple[list[dict[str, Any]], dict[bytes, bytes]]:
    """`count` direct orders, half resting then half crossing them (each crossing order fills once)."""
    half = count // 2
    entries = []
    for n in range(count):
        who, message = _order(n if n < half else n - half + 1, crossing=n >= half)
        entries.append(_entry(start + n, 1, TRADER_ADDRESSES[who], message))
    return entries, {}


def signed_resting(start: int, count: int) -> tuple[list[dict[str, Any]], dict[bytes, bytes]]:
    """`count` relayed signed (EIP-712, secp256k1) limit orders that rest."""
    entries = []
    for n in range(count):
        who, message = _order(n, crossing=False)
        entries.append(_entry(start + n, 2, b"\x77" * 20, _signed(who, message)))
    return entries, {}


def blob_batch(start: int, count: int) -> tuple[list[dict[str, Any]], dict[bytes, bytes]]:
    """One blob batch entry carrying `count` signed resting orders."""
    envelopes = [_signed(who, message) for who, message in (_order(n, crossing=False) for n in range(count))]
    blobs = [bytes(b) for b in clobnode_core.encode_blob_batch(envelopes)]
    hashes = [b"\x01" + keccak(b"versioned hash" + struct.pack(">I", i))[1:] for i in range(len(blobs))]
    return [_entry(start, 4, b"\x77" * 20, b"".join(hashes))], dict(zip(hashes, blobs, strict=True))


WORKLOADS: dict[str, Workload] = {
    "direct_resting": direct_resting,
    "direct_joining": direct_joining,
    "direct_crossing": direct_crossing,
    "signed_resting": signed_resting,
    "blob_batch": blob_batch,
}


def guest_input(workload: Workload | None, count: int) -> bytes:
    """`count` inputs of `workload` on the funded pre-state, with the witness that proves them."""
    engine = funded_engine()
    entries, blobs = workload(engine.inbox_next_index(), count) if workload else ([], {})
    return prove_entries(engine, entries, blobs)[1]


def cycles(elf: Path, data: bytes) -> int:
    fixture = run_host("execute", data, elf=elf, extra_args=["--no-vkey"])
    if fixture.public_values != bytes(clobnode_core.execute_guest_input(data)):
        raise SystemExit(f"{elf}: SP1 public values differ from the native ones")
    return fixture.cycles


def measure(elf: Path) -> dict[str, Any]:
    empty = cycles(elf, guest_input(None, 0))
    report: dict[str, Any] = {"elf": str(elf), "empty_range": empty, "per_input": {}, "raw": {}}
    for name, workload in WORKLOADS.items():
        lo, hi = (cycles(elf, guest_input(workload, n)) for n in SIZES)
        report["raw"][name] = {str(SIZES[0]): lo, str(SIZES[1]): hi}
        report["per_input"][name] = (hi - lo) // (SIZES[1] - SIZES[0])
    # A blob batch costs its blob(s) once plus its orders: the blob part is what one batch of
    # SIZES[0] orders costs beyond SIZES[0] signed orders sent one by one (each its own entry).
    blob_part = report["raw"]["blob_batch"][str(SIZES[0])] - report["raw"]["signed_resting"][str(SIZES[0])]
    report["per_blob"] = blob_part
    report["per_blob_byte"] = round(blob_part / 131_072, 1)
    return report


def _column(table: dict[str, Any], name: str) -> int:
    return table["schema"][name] if isinstance(table["schema"], dict) else table["schema"].index(name)


def summarize_trace(trace: dict[str, Any], top: int = 25) -> dict[str, Any]:
    """Samples per function of a Gecko trace (SP1's profiler: one sample per cycle at rate 1):
    inclusive (the function is on the stack) and exclusive (it is the innermost frame)."""
    thread = trace["threads"][0]
    strings = thread["stringTable"]
    stacks, frames, samples = thread["stackTable"], thread["frameTable"], thread["samples"]
    prefix_at, frame_at = _column(stacks, "prefix"), _column(stacks, "frame")
    location_at, stack_at = _column(frames, "location"), _column(samples, "stack")
    names = [strings[row[location_at]] for row in frames["data"]]
    inclusive: Counter[str] = Counter()
    exclusive: Counter[str] = Counter()
    for row in samples["data"]:
        stack, seen = row[stack_at], set()
        if stack is None:
            continue
        exclusive[names[stacks["data"][stack][frame_at]]] += 1
        while stack is not None:
            name = names[stacks["data"][stack][frame_at]]
            if name not in seen:
                seen.add(name)
                inclusive[name] += 1
            stack = stacks["data"][stack][prefix_at]
    total = len(samples["data"])
    rows = lambda counts: [(name, n, round(100 * n / total, 1)) for name, n in counts.most_common(top)]
    return {"samples": total, "inclusive": rows(inclusive), "exclusive": rows(exclusive)}


def profile(elf: Path, spec: str) -> dict[str, Any]:
    name, count = spec.split(":")
    data = guest_input(WORKLOADS[name], int(count))
    with tempfile.TemporaryDirectory(prefix="clobnode-profile-") as work:
        os.environ["TRACE_FILE"] = str(Path(work) / "trace.json")
        total = cycles(elf, data)
        trace = json.loads(Path(os.environ.pop("TRACE_FILE")).read_text())
    return {"elf": str(elf), "workload": spec, "cycles": total, **summarize_trace(trace)}


def main(args: list[str]) -> None:
    if args[:1] == ["--write-input"]:  # a workload's guest input, for the SP1 host's proving modes
        name, count = args[1].split(":")
        Path(args[2]).write_bytes(guest_input(WORKLOADS[name], int(count)))
        return
    if args[:1] == ["--profile"]:
        spec, elfs = args[1], args[2:] or ["build/elf/clob-sp1-guest.elf"]
        print(json.dumps([profile(Path(elf), spec) for elf in elfs], indent=2))
        return
    print(json.dumps([measure(Path(elf)) for elf in args or ["build/elf/clob-sp1-guest.elf"]], indent=2))


if __name__ == "__main__":
    main(sys.argv[1:])
