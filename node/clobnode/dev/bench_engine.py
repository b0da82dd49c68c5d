"""Benchmark of the matching engine through the extension's batch API (`clobnode bench engine`).

The same shape of stream as the native bench (guest-programs/core/examples/bench_engine.rs): a
book of `resting` orders from 1,000 traders, then 50% resting limits, 15% crossing limits, 20%
cancels and 15% IOC/market orders, applied with `Engine.apply_batch` in chunks. Building the
inputs is not timed; signatures and inbox hashing are excluded (the batch API applies messages
directly).
"""

from __future__ import annotations

import random
import struct
import time
from typing import Any

import clobnode_core

MID = 100_000
TRADERS = 1_000
BASE, QUOTE = b"\xb0" * 20, b"\xc0" * 20


def _trader(i: int) -> bytes:
    return i.to_bytes(4, "big") + b"\x11" * 16


def _frame(trader: bytes, message: bytes) -> bytes:
    return trader + struct.pack(">H", len(message)) + message


def _engine() -> clobnode_core.Engine:
    market: clobnode_core.Market = {"id": 1, "base": BASE, "quote": QUOTE, "base_lot": 1, "quote_tick": 1, "max_open_orders": 1_000_000}
    engine = clobnode_core.Engine.genesis(1, b"\x01" * 20, b"\x02" * 20, [market])
    entries: list[clobnode_core.InboxEntry] = []
    for i in range(TRADERS):
        for token in (BASE, QUOTE):
            entries.append({"index": len(entries), "kind": 3, "sender": b"\x02" * 20, "l1_block": 1, "l1_timestamp": 1,
                            "payload": _trader(i) + token + (1 << 100).to_bytes(32, "big")})
    engine.apply_entries(entries, {})
    return engine


def _stream(count: int, rng: random.Random, nonces: list[int], live: list[tuple[int, int]], resting_only: bool) -> list[bytes]:
    out = []
    for _ in range(count):
        roll = 0 if resting_only else rng.randrange(100)
        if 0 < roll < 20 and live:
            at = rng.randrange(len(live))
            live[at], live[-1] = live[-1], live[at]
            who, nonce = live.pop()
            out.append(_frame(_trader(who), clobnode_core.encode_cancel(1, nonce)))
            continue
        who = rng.randrange(TRADERS)
        side = rng.randrange(2)
        nonces[who] += 1
        price = MID - 1 - rng.randrange(1_000) if side == 0 else MID + 1 + rng.randrange(1_000)
        options: dict[str, int] = {}
        if roll >= 70:
            price = MID + 1 + rng.randrange(5) if side == 0 else MID - 1 - rng.randrange(5)
            if roll >= 85:
                options = {"time_in_force": 1, "order_type": 1 if roll >= 93 else 0}
        if roll < 85:
            live.append((who, nonces[who]))
        message = clobnode_core.encode_order(1, side, price, 1 + rng.randrange(20), nonces[who], **options)
        out.append(_frame(_trader(who), message))
    return out


def run(inputs: int = 1_000_000, resting: int = 100_000, chunk: int = 10_000, seed: int = 7) -> dict[str, Any]:
    """Applies the stream and reports inputs/s through `Engine.apply_batch`."""
    rng = random.Random(seed)
    engine = _engine()
    nonces = [0] * TRADERS
    live: list[tuple[int, int]] = []
    prefill = _stream(resting, rng, nonces, live, resting_only=True)
    for start in range(0, len(prefill), chunk):
        engine.apply_batch(b"".join(prefill[start : start + chunk]), 1)
    frames = _stream(inputs, rng, nonces, live, resting_only=False)
    batches = [b"".join(frames[start : start + chunk]) for start in range(0, len(frames), chunk)]
    records = 0
    started = time.perf_counter()
    for batch in batches:
        records += len(engine.apply_batch(batch, 1)) // 25
    elapsed = time.perf_counter() - started
    return {
        "inputs": inputs,
        "resting_at_start": resting,
        "chunk": chunk,
        "events": records,
        "seconds": round(elapsed, 4),
        "inputs_per_second": round(inputs / elapsed),
        "note": "Engine.apply_batch: matching only; signatures and inbox hashing excluded",
    }
