"""Store: everything durable (L1 cursor, entries, blobs, state, events, orders, batches) in SQLite (WAL)."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from .derivation import InboxEntry
from .errors import ClobnodeError
from .state_store import LeafValue, StateCommit, StateStore


class StoreError(ClobnodeError):
    """The database is missing something the node relies on."""


@dataclass(frozen=True, slots=True)
class BatchRecord:
    """A proven (or being proven) inbox range and its settlement."""

    id: int
    inbox_start: int
    inbox_end: int
    status: str
    backend: str
    public_values: bytes
    proof: bytes
    tx_hash: str | None
    error: str | None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS l1_blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, parent_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY, kind INTEGER NOT NULL, sender BLOB NOT NULL, l1_block INTEGER NOT NULL,
    l1_timestamp INTEGER NOT NULL, payload BLOB NOT NULL, acc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS entries_block ON entries (l1_block);
CREATE TABLE IF NOT EXISTS blobs (versioned_hash BLOB PRIMARY KEY, data BLOB NOT NULL, l1_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, idx INTEGER NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_idx ON events (idx);
CREATE INDEX IF NOT EXISTS events_type ON events (type);
CREATE TABLE IF NOT EXISTS api_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT, envelope BLOB NOT NULL UNIQUE, trader TEXT NOT NULL,
    status TEXT NOT NULL, tx_hash TEXT, received_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS api_orders_status ON api_orders (status);
CREATE TABLE IF NOT EXISTS blob_txs (tx_hash TEXT PRIMARY KEY, l1_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT, inbox_start INTEGER NOT NULL, inbox_end INTEGER NOT NULL,
    status TEXT NOT NULL, backend TEXT NOT NULL, public_values BLOB NOT NULL, proof BLOB NOT NULL,
    tx_hash TEXT, error TEXT, created_at REAL NOT NULL);
"""


_COUNTABLE = {("events", "type"), ("api_orders", "status"), ("batches", "status"), ("entries", "kind")}


class Store:
    """One SQLite connection (use one Store per thread)."""

    def __init__(self, path: Path | str) -> None:
        conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.conn.executescript(_SCHEMA)
        self.state = StateStore(self.db.conn)

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Atomic write: everything inside lands together or not at all."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row: tuple[Any, ...] | None = self.db.execute(sql, params).fetchone()
        return row

    # ---- meta -------------------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- L1 cursor and derived entries ------------------------------------------------------

    def last_block(self) -> tuple[int, bytes] | None:
        row = self._one("SELECT number, hash FROM l1_blocks ORDER BY number DESC LIMIT 1")
        return None if row is None else (int(row[0]), bytes(row[1]))

    def block_hash(self, number: int) -> bytes | None:
        row = self._one("SELECT hash FROM l1_blocks WHERE number = ?", (number,))
        return None if row is None else bytes(row[0])

    def record_block(
        self,
        number: int,
        block_hash: bytes,
        parent_hash: bytes,
        entries: Sequence[InboxEntry],
        events: Sequence[dict[str, Any]],
        state: StateCommit | None,
    ) -> None:
        """Persist one processed L1 block: its hash, its entries, their events, what it changed in the state."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO l1_blocks (number, hash, parent_hash) VALUES (?, ?, ?)",
                (number, block_hash, parent_hash),
            )
            self.db.conn.executemany(
                "INSERT INTO entries (idx, kind, sender, l1_block, l1_timestamp, payload, acc) VALUES (?,?,?,?,?,?,?)",
                [(e.index, e.kind, e.sender, e.l1_block, e.l1_timestamp, e.payload, e.acc) for e in entries],
            )
            self.db.conn.executemany(
                "INSERT INTO events (idx, type, body) VALUES (?, ?, ?)",
                [(ev["index"], ev["type"], json.dumps(ev, sort_keys=True)) for ev in events],
            )
            if state is not None:
                self.state.write_block(number, state)

    def record_genesis(self, l1_block: int, state_root: bytes, records: Sequence[tuple[bytes, bytes]]) -> None:
        """The exchange before its first inbox entry, as of L1 block `l1_block`."""
        with self.transaction():
            self.state.write_genesis(l1_block, state_root, records)

    def rollback_after(self, number: int) -> list[LeafValue]:
        """Forget every block above `number` and all that was derived from them (reorg); returns
        the state leaves set back to their values after `number`."""
        with self.transaction():
            reverted = self.state.roll_back_after(number)
            first_idx = self._one("SELECT MIN(idx) FROM entries WHERE l1_block > ?", (number,))
            if first_idx is not None and first_idx[0] is not None:
                self.db.execute("DELETE FROM events WHERE idx >= ?", (first_idx[0],))
            for table, column in (("l1_blocks", "number"), ("entries", "l1_block"), ("blobs", "l1_block")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} > ?", (number,))
            # API orders whose blob tx the reorg removed are proposed again (never lost).
            self.db.execute(
                "UPDATE api_orders SET status = 'pending', tx_hash = NULL WHERE status = 'posted' "
                "AND tx_hash IN (SELECT tx_hash FROM blob_txs WHERE l1_block > ?)",
                (number,),
            )
            self.db.execute("DELETE FROM blob_txs WHERE l1_block > ?", (number,))
        return reverted

    def forget_everything(self) -> None:
        """Drop all that was derived from L1 (a reorg deeper than the journal): the node derives again."""
        with self.transaction():
            for table in ("l1_blocks", "entries", "events", "blobs", "blob_txs", "state_leaves", "state_blocks", "state_journal"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key = 'state_journal_floor'")
            self.db.execute("UPDATE api_orders SET status = 'pending', tx_hash = NULL WHERE status = 'posted'")

    def entries(self, start: int, end: int) -> list[InboxEntry]:
        rows = self.db.execute(
            "SELECT idx, kind, sender, l1_block, l1_timestamp, payload, acc FROM entries WHERE idx >= ? AND idx < ? ORDER BY idx",
            (start, end),
        ).fetchall()
        return [InboxEntry(int(r[0]), int(r[1]), bytes(r[2]), int(r[3]), int(r[4]), bytes(r[5]), bytes(r[6])) for r in rows]

    def entry_count(self) -> int:
        row = self._one("SELECT COUNT(*) FROM entries")
        return 0 if row is None else int(row[0])

    # ---- blobs (DA store) -------------------------------------------------------------------

    def put_blob(self, versioned_hash: bytes, data: bytes, l1_block: int) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO blobs (versioned_hash, data, l1_block) VALUES (?, ?, ?)",
            (versioned_hash, data, l1_block),
        )

    def get_blob(self, versioned_hash: bytes) -> bytes | None:
        row = self._one("SELECT data FROM blobs WHERE versioned_hash = ?", (versioned_hash,))
        return None if row is None else bytes(row[0])

    # ---- events -----------------------------------------------------------------------------

    def events(self, event_type: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        if event_type is None:
            rows = self.db.execute("SELECT body FROM events ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        else:
            rows = self.db.execute(
                "SELECT body FROM events WHERE type = ? ORDER BY id DESC LIMIT ?", (event_type, limit)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def events_after(self, last_id: int, limit: int = 1000) -> list[tuple[int, dict[str, Any]]]:
        """Events recorded after row `last_id`, oldest first, with their row ids (for streaming)."""
        rows = self.db.execute("SELECT id, body FROM events WHERE id > ? ORDER BY id LIMIT ?", (last_id, limit)).fetchall()
        return [(int(r[0]), json.loads(r[1])) for r in rows]

    def last_event_id(self) -> int:
        row = self._one("SELECT MAX(id) FROM events")
        return 0 if row is None or row[0] is None else int(row[0])

    def counts(self, table: str, column: str) -> dict[str, int]:
        """Row counts of `table` grouped by `column` (for metrics); both names are the store's own."""
        if (table, column) not in _COUNTABLE:
            raise StoreError(f"cannot count {table}.{column}")
        rows = self.db.execute(f"SELECT {column}, COUNT(*) FROM {table} GROUP BY {column}").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}

    def events_in_range(self, start: int, end: int, event_type: str) -> list[dict[str, Any]]:
        """Events of one type for inbox entries [start, end), in inbox order."""
        rows = self.db.execute(
            "SELECT body FROM events WHERE idx >= ? AND idx < ? AND type = ? ORDER BY id", (start, end, event_type)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def events_at(self, inbox_index: int) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT body FROM events WHERE idx = ? ORDER BY id", (inbox_index,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    # ---- orders received by the API ---------------------------------------------------------

    def add_api_order(self, envelope: bytes, trader: str) -> tuple[int, bool]:
        """Persist an accepted API order before it is acknowledged; returns (id, is_new)."""
        row = self._one("SELECT id FROM api_orders WHERE envelope = ?", (envelope,))
        if row is not None:
            return int(row[0]), False
        cur = self.db.execute(
            "INSERT INTO api_orders (envelope, trader, status, received_at) VALUES (?, ?, 'pending', ?)",
            (envelope, trader, time.time()),
        )
        return int(cur.lastrowid or 0), True

    def pending_api_orders(self, limit: int) -> list[tuple[int, bytes]]:
        rows = self.db.execute(
            "SELECT id, envelope FROM api_orders WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def set_api_orders_status(self, ids: Sequence[int], status: str, tx_hash: str | None) -> None:
        self.db.conn.executemany(
            "UPDATE api_orders SET status = ?, tx_hash = ? WHERE id = ?", [(status, tx_hash, i) for i in ids]
        )

    def record_blob_tx_inclusion(self, ids: Sequence[int], tx_hash: str, l1_block: int) -> None:
        """The orders' blob tx landed in `l1_block`: they are posted (until a reorg removes it)."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO blob_txs (tx_hash, l1_block) VALUES (?, ?)", (tx_hash, l1_block))
            self.set_api_orders_status(ids, "posted", tx_hash)

    def submitted_api_orders(self) -> dict[str, list[tuple[int, bytes]]]:
        """Orders sent in a blob tx not yet seen included, by tx hash (for a restarted proposer)."""
        rows = self.db.execute("SELECT id, envelope, tx_hash FROM api_orders WHERE status = 'submitted' ORDER BY id").fetchall()
        by_tx: dict[str, list[tuple[int, bytes]]] = {}
        for r in rows:
            by_tx.setdefault(str(r[2]), []).append((int(r[0]), bytes(r[1])))
        return by_tx

    def api_order(self, order_id: int) -> dict[str, Any] | None:
        row = self._one("SELECT id, trader, status, tx_hash, received_at FROM api_orders WHERE id = ?", (order_id,))
        if row is None:
            return None
        return {"id": row[0], "trader": row[1], "status": row[2], "tx_hash": row[3], "received_at": row[4]}

    # ---- batches ----------------------------------------------------------------------------

    def add_batch(self, inbox_start: int, inbox_end: int, backend: str, public_values: bytes, proof: bytes) -> int:
        cur = self.db.execute(
            "INSERT INTO batches (inbox_start, inbox_end, status, backend, public_values, proof, created_at) "
            "VALUES (?, ?, 'proven', ?, ?, ?, ?)",
            (inbox_start, inbox_end, backend, public_values, proof, time.time()),
        )
        return int(cur.lastrowid or 0)

    def set_batch_status(self, batch_id: int, status: str, tx_hash: str | None = None, error: str | None = None) -> None:
        self.db.execute(
            "UPDATE batches SET status = ?, tx_hash = COALESCE(?, tx_hash), error = ? WHERE id = ?",
            (status, tx_hash, error, batch_id),
        )

    def batches(self, limit: int = 100) -> list[BatchRecord]:
        rows = self.db.execute(
            "SELECT id, inbox_start, inbox_end, status, backend, public_values, proof, tx_hash, error "
            "FROM batches ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [BatchRecord(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), bytes(r[5]), bytes(r[6]), r[7], r[8]) for r in rows]

    def open_batch(self) -> BatchRecord | None:
        """The proven batch not yet verified on L1, if any."""
        for batch in self.batches(limit=20):
            if batch.status in ("proven", "submitted"):
                return batch
        return None

    def recent_block_hashes(self, limit: int = 512) -> dict[int, bytes]:
        rows = self.db.execute("SELECT number, hash FROM l1_blocks ORDER BY number DESC LIMIT ?", (limit,)).fetchall()
        return {int(r[0]): bytes(r[1]) for r in rows}
