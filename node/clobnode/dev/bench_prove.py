"""`clobnode bench prove`: what proving one range costs as the exchange grows (docs/ZKVM.md).

For each size, the Rust core builds an exchange of that many resting orders and traders and
proves the same 32-order range over it (16 orders joining levels, 4 opening levels, 8 crossing,
4 cancels): the guest input is the range's witness, entries and seed. Its SP1 execute-mode
cycles come from the SP1 host (`make zkvm`); without the host only the native figures are
reported, and the report says so. A book of asks at prices that collided under the engine's
former unseeded hasher is proven beside an ordinary one of the same size. Last, the node's own
state store is measured: how much a block of orders adds to its SQLite file.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import clobnode_core

from clobnode.exchange.engine import event_dicts
from clobnode.l1.derivation import InboxEntry
from clobnode.proving.backend import ProverError
from clobnode.proving.sp1 import guest_elf, host_binary, run_host
from clobnode.storage.state_store import StateCommit
from clobnode.storage.store import Store

DEFAULT_SIZES: tuple[tuple[int, int], ...] = ((1_000, 100), (10_000, 1_000), (100_000, 10_000), (1_000_000, 100_000))


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """`"1000:100,10000:1000"` as (resting orders, traders) pairs."""
    sizes = []
    for part in text.split(","):
        resting, _, traders = part.partition(":")
        sizes.append((int(resting), int(traders or max(1, int(resting) // 10))))
    return sizes


def sp1_available() -> bool:
    return host_binary().is_file() and guest_elf().is_file()


def measure(resting: int, traders: int, *, planted: bool = False, sp1: bool = True) -> dict[str, Any]:
    """One size: the range's guest input, its native figures and (with `sp1`) its SP1 cycles."""
    data, stats = clobnode_core.prove_workload(resting, traders, planted)
    row: dict[str, Any] = dict(stats)
    row["events"] = dict(row["events"])
    row["cycles"] = None
    if sp1:
        fixture = run_host("execute", bytes(data), extra_args=["--no-vkey"])
        native = bytes(clobnode_core.execute_guest_input(bytes(data)))
        if fixture.public_values != native:
            raise ProverError(f"SP1 and the native guest disagree on {resting} resting orders")
        row["cycles"] = fixture.cycles
        row["keccak_permutations"] = int(fixture.raw.get("syscallCounts", {}).get("KECCAK_PERMUTE", 0))
    return row


def _entry(index: int, sender: bytes, payload: bytes) -> InboxEntry:
    return InboxEntry(index, 1, sender, 1_000 + index, 1_700_000_000 + index, payload, bytes(32))


def db_growth(resting: int = 100_000, traders: int = 10_000, orders_per_block: int = 10, blocks: int = 20) -> dict[str, Any]:
    """Bytes the node's SQLite file grows by per block of `orders_per_block` orders on a book of
    `resting` orders, through the node's own store (state leaves, journal, reached keys,
    entries and events), after a WAL checkpoint."""
    engine = clobnode_core.workload_engine(resting, traders)
    rng_state = 12345
    growth = []
    with tempfile.TemporaryDirectory(prefix="clobnode-bench-db-") as work:
        path = Path(work) / "node.sqlite"
        store = Store(path)
        store.record_genesis(0, bytes(engine.state_root()), [(bytes(k), bytes(v)) for k, v in engine.records()], engine.inbox_next_index())

        def size() -> int:
            store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return os.path.getsize(path)

        before = size()
        for block in range(1, blocks + 1):
            entries: list[InboxEntry] = []
            for _ in range(orders_per_block):
                rng_state = (rng_state * 6364136223846793005 + 1442695040888963407) % 2**64
                who = bytes(clobnode_core.workload_trader(rng_state % traders))
                nonce = engine.last_nonce(who) + 1
                side = (rng_state >> 20) & 1
                price = 1_000_000 - 20 - (rng_state >> 32) % 40 if side == 0 else 1_000_000 + 20 + (rng_state >> 32) % 40
                index = engine.inbox_next_index() + len(entries)
                entries.append(_entry(index, who, bytes(clobnode_core.encode_order(0, side, price, 1, nonce))))
            events = engine.apply_entries([e.as_core() for e in entries], {})
            root, changed, accessed = engine.commit()
            commit = StateCommit(engine.inbox_next_index(), bytes(root), [(bytes(k), None if v is None else bytes(v)) for k, v in changed], [bytes(k) for k in accessed])
            store.record_block(block, bytes(32), bytes(32), entries, event_dicts(events), [commit])
            after = size()
            growth.append(after - before)
            before = after
        store.close()
    return {
        "resting_orders": resting, "orders_per_block": orders_per_block, "blocks": blocks,
        "bytes_per_block_median": statistics.median(growth), "bytes_per_block_mean": round(statistics.fmean(growth)),
        "bytes_per_block_max": max(growth),
    }


def run(sizes: Sequence[tuple[int, int]], *, planted_asks: int = 40_000, sp1: bool | None = None) -> dict[str, Any]:
    use_sp1 = sp1_available() if sp1 is None else sp1
    report: dict[str, Any] = {"sp1": use_sp1, "sizes": [measure(r, t, sp1=use_sp1) for r, t in sizes]}
    if planted_asks:
        resting, traders = 2 * planted_asks, max(1, planted_asks // 5)
        report["planted"] = {
            "ordinary": measure(resting, traders, sp1=use_sp1),
            "planted": measure(resting, traders, planted=True, sp1=use_sp1),
        }
    report["db_growth"] = db_growth()
    if not use_sp1:
        report["note"] = "SP1 host or guest ELF missing (make zkvm): cycles not measured, native figures only"
    return report


def table(report: dict[str, Any]) -> str:
    """The report as the table in docs/ZKVM.md."""
    lines = [
        "| resting orders | traders | leaves | records reached | witness bytes | input bytes | SP1 cycles | keccak-f |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = list(report["sizes"])
    if "planted" in report:
        rows += [report["planted"]["ordinary"], {**report["planted"]["planted"], "resting_orders": f"{report['planted']['planted']['resting_orders']} (asks planted)"}]
    for r in rows:
        cycles = "—" if r["cycles"] is None else f"{r['cycles']:,}"
        lines.append(
            f"| {r['resting_orders'] if isinstance(r['resting_orders'], str) else format(r['resting_orders'], ',')} | {r['traders']:,} | {r['leaves']:,} "
            f"| {r['records_reached']} | {r['witness_bytes']:,} | {r['input_bytes']:,} | {cycles} | {r.get('keccak_permutations', '—')} |"
        )
    growth = report["db_growth"]
    lines.append("")
    lines.append(
        f"Node database growth per block of {growth['orders_per_block']} orders on {growth['resting_orders']:,} resting orders: "
        f"median {growth['bytes_per_block_median']:,} bytes (mean {growth['bytes_per_block_mean']:,}, max {growth['bytes_per_block_max']:,}; {growth['blocks']} blocks)."
    )
    if "note" in report:
        lines.append(report["note"])
    return "\n".join(lines)
