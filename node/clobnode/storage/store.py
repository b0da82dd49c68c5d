"""Store: everything durable (L1 cursor, entries, blobs, state, events, orders, batches) in SQLite (WAL)."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.l1.derivation import KIND_BLOB_BATCH, InboxEntry
from clobnode.l1.watcher import VerifiedOnL1
from clobnode.storage.state_store import LeafValue, StateCommit, StateStore


class StoreError(ClobnodeError):
    """The database is missing something the node relies on."""


class _StatusChanges:
    """Committed changes of API messages' statuses in this process (a drop, a post, a reorg's
    re-queue): what admission summarised of a trader's waiting messages holds while this count
    and the trader's last nonce are unchanged (api/admission.py). A new message is no change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def bump(self) -> None:
        with self._lock:
            self.count += 1


STATUS_CHANGES = _StatusChanges()


@dataclass(frozen=True, slots=True)
class WaitingSummary:
    """A trader's waiting messages as stored (`in_flight_api_orders`), summed up: how many, the
    highest nonce of those that are not cancels, the locks by token, and the last message id the
    store held then (any later one is not counted)."""

    count: int
    highest_nonce: int | None
    through_id: int
    locks: dict[str, int]


@dataclass(frozen=True, slots=True)
class ApiSubmission:
    """What the API admitted: whose message, which, and the funds it will lock (token None: none)."""

    trader: str
    message: str  # order | cancel | cancel_all | replace
    market: int
    nonce: int  # the message's own; a cancel's is the nonce of the order it names
    client_order_id: int
    lock_token: str | None
    lock_amount: int


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
    retry_at: float = 0.0  # a queued job is not started before (wall-clock seconds)


@dataclass(frozen=True, slots=True)
class BlobTxInFlight:
    """What the store keeps of the proposer's blob transaction in flight (see `save_blob_tx`)."""

    nonce: int
    order_ids: Sequence[int]
    tx_hashes: Sequence[bytes]
    max_fee: int
    tip: int
    blob_fee: int
    gas: int


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS l1_blocks (number INTEGER PRIMARY KEY, hash BLOB NOT NULL, parent_hash BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
    idx INTEGER PRIMARY KEY, kind INTEGER NOT NULL, sender BLOB NOT NULL, l1_block INTEGER NOT NULL,
    l1_timestamp INTEGER NOT NULL, payload BLOB NOT NULL, acc BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS entries_block ON entries (l1_block);
CREATE TABLE IF NOT EXISTS blobs (versioned_hash BLOB PRIMARY KEY, data BLOB NOT NULL, l1_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT, idx INTEGER NOT NULL, position INTEGER, type TEXT NOT NULL,
    body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_idx ON events (idx, position);
CREATE INDEX IF NOT EXISTS events_type ON events (type);
-- Which orders an event concerns (a fill two), so that an order's history is one indexed read.
-- `message` is "order" for an order's own events (a rejected replace: its new order), else the
-- rejected message's type.
CREATE TABLE IF NOT EXISTS event_orders (
    event_id INTEGER NOT NULL, idx INTEGER NOT NULL, trader TEXT NOT NULL, market INTEGER NOT NULL,
    nonce INTEGER NOT NULL, message TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_orders_order ON event_orders (trader, nonce, market);
CREATE INDEX IF NOT EXISTS event_orders_idx ON event_orders (idx);
CREATE TABLE IF NOT EXISTS api_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT, envelope BLOB NOT NULL UNIQUE, trader TEXT NOT NULL,
    status TEXT NOT NULL, tx_hash TEXT, received_at REAL NOT NULL,
    message TEXT NOT NULL, market INTEGER NOT NULL, nonce INTEGER NOT NULL, client_order_id TEXT NOT NULL,
    lock_token TEXT, lock_amount TEXT NOT NULL, reason TEXT, batch_blob BLOB, batch_position INTEGER);
CREATE INDEX IF NOT EXISTS api_orders_status ON api_orders (status);
CREATE INDEX IF NOT EXISTS api_orders_trader ON api_orders (trader, nonce);
-- Admission's questions about a trader's waiting messages (Store._waiting), answered from this
-- index alone and visiting only the waiting rows, never the trader's history.
CREATE INDEX IF NOT EXISTS api_orders_waiting ON api_orders (trader, status, nonce, message, market, lock_token, lock_amount, client_order_id);
-- The Rollup's BatchVerified logs: what L1 verified, whoever proved it (reorgs remove them).
CREATE TABLE IF NOT EXISTS l1_batches (
    number INTEGER PRIMARY KEY, inbox_start INTEGER NOT NULL, inbox_end INTEGER NOT NULL, new_state_root BLOB NOT NULL,
    backend TEXT NOT NULL, tx_hash TEXT NOT NULL, l1_block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blob_txs (tx_hash TEXT PRIMARY KEY, l1_block INTEGER NOT NULL);
-- The proposer's blob transactions in flight (up to [proposer] max_in_flight, consecutive nonces),
-- each written before it is sent, so that a restart resends that very transaction instead of
-- posting its orders again: its orders (in batch order), nonce, fees, every hash it was sent
-- under (replacements) and the raw form of the last one.
CREATE TABLE IF NOT EXISTS blob_tx_in_flight (
    nonce INTEGER PRIMARY KEY, order_ids TEXT NOT NULL, tx_hashes TEXT NOT NULL, max_fee TEXT NOT NULL,
    tip TEXT NOT NULL, blob_fee TEXT NOT NULL, gas INTEGER NOT NULL, raw BLOB NOT NULL);
-- Prover jobs: one row per attempt at a range. Active: queued (retry_at: not before), proving,
-- proven, submitted (its settlement tx sent); done: verified, failed (the Rollup refused it),
-- error (proving failed, or the settlement tx was dropped), superseded.
CREATE TABLE IF NOT EXISTS batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT, inbox_start INTEGER NOT NULL, inbox_end INTEGER NOT NULL,
    status TEXT NOT NULL, backend TEXT NOT NULL, public_values BLOB NOT NULL, proof BLOB NOT NULL,
    tx_hash TEXT, error TEXT, created_at REAL NOT NULL, retry_at REAL NOT NULL DEFAULT 0, updated_at REAL);
CREATE INDEX IF NOT EXISTS batches_status ON batches (status, inbox_start);
"""


_COUNTABLE = {("events", "type"), ("api_orders", "status"), ("batches", "status"), ("entries", "kind")}


#: An event's stored body: JSON with sorted keys (`json.dumps(event, sort_keys=True)`, one
#: encoder for every event rather than one a call).
_event_json = json.JSONEncoder(sort_keys=True).encode


def order_refs(event: dict[str, Any]) -> list[tuple[str, int | None, int, str]]:
    """(trader, market, nonce, message) of every order `event` concerns (PROTOCOL.md section 6)."""
    kind, market = event["type"], event.get("market")
    if kind == "accepted":
        return [(event["trader"], market, event["nonce"], "order")]
    if kind in ("triggered", "cancelled", "reduced"):
        return [(event["trader"], market, event["nonce"], "order")]
    if kind == "fill":
        return [(event["maker"], market, event["maker_nonce"], "order"), (event["taker"], market, event["taker_nonce"], "order")]
    if kind == "self_trade":
        return [(event["trader"], market, event["maker_nonce"], "order"), (event["trader"], market, event["taker_nonce"], "order")]
    if kind == "rejected" and "trader" in event:
        message = "order" if event["message"] in ("order", "replace") else event["message"]
        return [(event["trader"], market, event["nonce"], message)]
    return []


class Store:
    """One SQLite connection (use one Store per thread)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._statuses_changed = False
        conn = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(conn)
        self.db.execute("PRAGMA journal_mode=WAL")
        # FULL: a commit (an acknowledged order, a derived block) is on disk before it returns,
        # so no power loss takes back what the API answered `202` to.
        self.db.execute("PRAGMA synchronous=FULL")
        self._check_layout(path)
        self.db.conn.executescript(_SCHEMA)
        self.state = StateStore(self.db.conn)

    def _check_layout(self, path: Path | str) -> None:
        """Refuse a store written by a clobnode whose layout this one cannot read."""
        old = self._one("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'state_blocks'")
        if old is not None:
            raise StoreError(
                f"the store {path} was written by an older clobnode (state by block, before checkpoints inside blocks): "
                "move it aside and run `clobnode reconstruct`, or start with an empty data directory to derive again from L1"
            )

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
            self._statuses_changed = False
            raise
        self.db.execute("COMMIT")
        if self._statuses_changed:
            self._statuses_changed = False
            STATUS_CHANGES.bump()

    def _status_changed(self) -> None:
        """API messages' statuses changed: counted once committed (at once outside a transaction)."""
        if self.db.conn.in_transaction:
            self._statuses_changed = True
        else:
            STATUS_CHANGES.bump()

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
        checkpoints: Sequence[StateCommit],
        verified: Sequence[VerifiedOnL1] = (),
    ) -> None:
        """Persist one processed L1 block: its hash, its entries, their events, and its state
        checkpoints (what each part of the block changed in the state, in order)."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO l1_blocks (number, hash, parent_hash) VALUES (?, ?, ?)",
                (number, block_hash, parent_hash),
            )
            self.db.conn.executemany(
                "INSERT INTO entries (idx, kind, sender, l1_block, l1_timestamp, payload, acc) VALUES (?,?,?,?,?,?,?)",
                [(e.index, e.kind, e.sender, e.l1_block, e.l1_timestamp, e.payload, e.acc) for e in entries],
            )
            self._insert_events(events)
            self.db.conn.executemany(
                "INSERT OR REPLACE INTO l1_batches (number, inbox_start, inbox_end, new_state_root, backend, tx_hash, l1_block) VALUES (?,?,?,?,?,?,?)",
                [(v.number, v.inbox_start, v.inbox_end, v.new_state_root, v.backend, v.tx_hash, number) for v in verified],
            )
            for checkpoint in checkpoints:
                self.state.write_checkpoint(number, checkpoint)

    def _insert_events(self, events: Sequence[dict[str, Any]]) -> None:
        """The events and their order references, each table in one statement: the ids are the
        ones AUTOINCREMENT would give, in order (the caller's transaction holds the write lock)."""
        last = self.db.conn.execute(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0), COALESCE((SELECT MAX(id) FROM events), 0))"
        ).fetchone()[0]
        self.db.conn.executemany(
            "INSERT INTO events (id, idx, position, type, body) VALUES (?, ?, ?, ?, ?)",
            [(last + n, ev["index"], ev.get("position"), ev["type"], _event_json(ev)) for n, ev in enumerate(events, start=1)],
        )
        self.db.conn.executemany(
            "INSERT INTO event_orders (event_id, idx, trader, market, nonce, message) VALUES (?, ?, ?, ?, ?, ?)",
            [(last + n, ev["index"], *ref) for n, ev in enumerate(events, start=1) for ref in order_refs(ev)],
        )

    def record_genesis(self, l1_block: int, state_root: bytes, records: Sequence[tuple[bytes, bytes]], inbox_index: int = 0) -> None:
        """The exchange before its first inbox entry, as of L1 block `l1_block`."""
        with self.transaction():
            self.state.write_genesis(l1_block, state_root, records, inbox_index)

    def rollback_after(self, number: int) -> list[LeafValue]:
        """Forget every block above `number` and all that was derived from them (reorg); returns
        the state leaves set back to their values after `number`."""
        with self.transaction():
            reverted = self.state.roll_back_after(number)
            first_idx = self._one("SELECT MIN(idx) FROM entries WHERE l1_block > ?", (number,))
            if first_idx is not None and first_idx[0] is not None:
                self.db.execute("DELETE FROM events WHERE idx >= ?", (first_idx[0],))
                self.db.execute("DELETE FROM event_orders WHERE idx >= ?", (first_idx[0],))
            for table, column in (("l1_blocks", "number"), ("entries", "l1_block"), ("blobs", "l1_block"), ("l1_batches", "l1_block")):
                self.db.execute(f"DELETE FROM {table} WHERE {column} > ?", (number,))
            # API orders whose blob tx the reorg removed are proposed again (never lost).
            self.db.execute(
                "UPDATE api_orders SET status = 'pending', tx_hash = NULL WHERE status = 'posted' "
                "AND tx_hash IN (SELECT tx_hash FROM blob_txs WHERE l1_block > ?)",
                (number,),
            )
            self._status_changed()
            self.db.execute("DELETE FROM blob_txs WHERE l1_block > ?", (number,))
        return reverted

    def forget_everything(self) -> None:
        """Drop all that was derived from L1 (a reorg deeper than the journal): the node derives again."""
        with self.transaction():
            for table in ("l1_blocks", "entries", "events", "event_orders", "l1_batches", "blobs", "blob_txs", "state_leaves", "state_points", "state_journal"):
                self.db.execute(f"DELETE FROM {table}")
            self.db.execute("DELETE FROM meta WHERE key = 'state_journal_floor_index'")
            self.db.execute("UPDATE api_orders SET status = 'pending', tx_hash = NULL WHERE status = 'posted'")
            self._status_changed()

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

    def events_after(self, last_id: int, limit: int = 1000) -> list[tuple[int, dict[str, Any], int, int]]:
        """(row id, event, L1 block, L1 timestamp) of the events recorded after row `last_id`,
        oldest first (for streaming)."""
        rows = self.db.execute(
            "SELECT e.id, e.body, en.l1_block, en.l1_timestamp FROM events e JOIN entries en ON en.idx = e.idx "
            "WHERE e.id > ? ORDER BY e.id LIMIT ?",
            (last_id, limit),
        ).fetchall()
        return [(int(r[0]), json.loads(r[1]), int(r[2]), int(r[3])) for r in rows]

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

    def api_order_id(self, envelope: bytes) -> int | None:
        row = self._one("SELECT id FROM api_orders WHERE envelope = ?", (envelope,))
        return None if row is None else int(row[0])

    def add_api_order(self, envelope: bytes, submission: ApiSubmission) -> tuple[int, bool]:
        """Persist an admitted API message before it is acknowledged; returns (id, is_new)."""
        inserted = self._one(
            "INSERT INTO api_orders (envelope, trader, status, received_at, message, market, nonce, client_order_id, "
            "lock_token, lock_amount) VALUES (?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (envelope) DO NOTHING RETURNING id",
            (envelope, submission.trader, time.time(), submission.message, submission.market, submission.nonce,
             str(submission.client_order_id), submission.lock_token, str(submission.lock_amount)),
        )
        if inserted is not None:
            return int(inserted[0]), True
        existing = self._one("SELECT id FROM api_orders WHERE envelope = ?", (envelope,))
        assert existing is not None  # the conflict was with it
        return int(existing[0]), False

    def add_api_orders(self, admitted: Sequence[tuple[bytes, ApiSubmission]]) -> list[tuple[int, bool]]:
        """`add_api_order` for many messages in one transaction: one fsync for all of them (the
        API's group commit); returns (id, is_new) of each, in order."""
        with self.transaction():
            return [self.add_api_order(envelope, submission) for envelope, submission in admitted]

    def pending_api_orders(self, limit: int) -> list[tuple[int, bytes]]:
        rows = self.db.execute(
            "SELECT id, envelope FROM api_orders WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,)
        ).fetchall()
        return [(int(r[0]), bytes(r[1])) for r in rows]

    def in_flight_api_orders(self, trader: str, above_nonce: int, statuses: tuple[str, ...] = ("pending", "submitted", "posted")) -> list[ApiSubmission]:
        """The trader's admitted messages not yet applied: waiting, sent or posted, with a nonce above
        `above_nonce` (the trader's last nonce: every applied message, even a rejected one, used its
        nonce up) or, for cancels, not yet posted."""
        rows = self.db.execute(
            f"SELECT trader, message, market, nonce, client_order_id, lock_token, lock_amount {self._waiting(statuses)} ORDER BY id", (trader, above_nonce),
        ).fetchall()
        return [ApiSubmission(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]), r[5], int(r[6])) for r in rows]

    _STATUSES = ("pending", "submitted", "posted")

    @classmethod
    @functools.cache
    def _waiting(cls, statuses: tuple[str, ...] = _STATUSES) -> str:
        """`FROM` the messages of trader ?1 in `statuses` not yet applied (a nonce above ?2, the
        trader's last; a cancel has no nonce of its own, so until it is posted). Posted messages stay
        `posted` once applied, so the history of a busy trader is long: each status is a seek in the
        index `api_orders_waiting`, and only the waiting rows are visited."""
        unknown = set(statuses) - set(cls._STATUSES)
        if unknown:
            raise ValueError(f"not a waiting status: {sorted(unknown)}")
        columns = "SELECT id, trader, message, market, nonce, client_order_id, lock_token, lock_amount FROM api_orders WHERE trader = ?1"
        parts = [f"{columns} AND status = 'posted' AND nonce > ?2"] if "posted" in statuses else []
        others = ", ".join(f"'{s}'" for s in statuses if s != "posted")
        if others:
            parts.append(f"{columns} AND status IN ({others}) AND (nonce > ?2 OR message = 'cancel')")
        return f"FROM ({' UNION ALL '.join(parts)}) WHERE 1"

    def waiting_summary(self, trader: str, above_nonce: int) -> WaitingSummary:
        """`in_flight_api_orders` summed up in one query (admission keeps it while nothing but
        new messages changes the trader's waiting set)."""
        query = (
            "SELECT lock_token, COUNT(*), MAX(CASE WHEN message != 'cancel' THEN nonce END), group_concat(lock_amount) "
            f"{self._waiting()} GROUP BY lock_token"
        )
        own = not self.db.conn.in_transaction
        if own:
            self.db.execute("BEGIN")  # one snapshot: the summary and the last id it saw
        try:
            rows = self.db.execute(query, (trader, above_nonce)).fetchall()
            through = self._one("SELECT COALESCE(MAX(id), 0) FROM api_orders")
        finally:
            if own:
                self.db.execute("COMMIT")
        nonces = [int(r[2]) for r in rows if r[2] is not None]
        locks = {str(r[0]): sum(map(int, str(r[3]).split(","))) for r in rows if r[0] is not None}
        return WaitingSummary(sum(int(r[1]) for r in rows), max(nonces, default=None), int(through[0]) if through else 0, locks)

    def waiting_order(self, trader: str, above_nonce: int, market: int, nonce: int) -> bool:
        """Whether an order (market, nonce) of the trader is among its waiting messages."""
        return self._one(f"SELECT 1 {self._waiting()} AND message = 'order' AND market = ? AND nonce = ? LIMIT 1", (trader, above_nonce, market, nonce)) is not None

    def set_api_orders_status(self, ids: Sequence[int], status: str, tx_hash: str | None) -> None:
        self.db.conn.executemany(
            "UPDATE api_orders SET status = ?, tx_hash = ? WHERE id = ?", [(status, tx_hash, i) for i in ids]
        )
        self._status_changed()

    def drop_api_orders(self, dropped: Sequence[tuple[int, str]]) -> None:
        """Messages the proposer will not post: (id, reason), e.g. an order whose funds are gone."""
        self.db.conn.executemany(
            "UPDATE api_orders SET status = 'dropped', reason = ? WHERE id = ?", [(reason, i) for i, reason in dropped]
        )
        self._status_changed()

    def set_api_orders_batch(self, ids: Sequence[int], first_blob: bytes) -> None:
        """The blob batch (named by its first blob's versioned hash) the messages are sent in, at
        positions 0, 1, ... in the order of `ids`."""
        self.db.conn.executemany(
            "UPDATE api_orders SET batch_blob = ?, batch_position = ? WHERE id = ?",
            [(first_blob, position, i) for position, i in enumerate(ids)],
        )

    def record_blob_tx_inclusion(self, ids: Sequence[int], tx_hash: str, l1_block: int, nonce: int | None = None) -> None:
        """The orders' blob tx (the one in flight with `nonce`, if given) landed in `l1_block`:
        they are posted (until a reorg removes it)."""
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO blob_txs (tx_hash, l1_block) VALUES (?, ?)", (tx_hash, l1_block))
            self.set_api_orders_status(ids, "posted", tx_hash)
            self.db.execute("DELETE FROM blob_tx_in_flight WHERE nonce = ?", (nonce,))

    def save_blob_tx(self, flight: BlobTxInFlight, raw: bytes, first_blob: bytes) -> None:
        """Before a blob tx is sent (first or as a replacement): it and its orders (`submitted`
        under its latest hash)."""
        with self.transaction():
            self.db.execute("DELETE FROM blob_tx_in_flight WHERE nonce = ?", (flight.nonce,))
            self.db.execute(
                "INSERT INTO blob_tx_in_flight (nonce, order_ids, tx_hashes, max_fee, tip, blob_fee, gas, raw) VALUES (?,?,?,?,?,?,?,?)",
                (flight.nonce, json.dumps(list(flight.order_ids)), json.dumps([h.hex() for h in flight.tx_hashes]),
                 str(flight.max_fee), str(flight.tip), str(flight.blob_fee), flight.gas, raw),
            )
            self.set_api_orders_status(flight.order_ids, "submitted", "0x" + flight.tx_hashes[-1].hex())
            self.set_api_orders_batch(flight.order_ids, first_blob)

    def blob_txs_in_flight(self) -> list[tuple[BlobTxInFlight, bytes]]:
        """The blob txs in flight, by nonce, each with its last raw form."""
        rows = self.db.execute("SELECT nonce, order_ids, tx_hashes, max_fee, tip, blob_fee, gas, raw FROM blob_tx_in_flight ORDER BY nonce").fetchall()
        return [(BlobTxInFlight(int(r[0]), json.loads(r[1]), [bytes.fromhex(h) for h in json.loads(r[2])], int(r[3]), int(r[4]), int(r[5]), int(r[6])), bytes(r[7]))
                for r in rows]

    def abandon_blob_tx(self, nonce: int, ids: Sequence[int]) -> None:
        """The blob tx of `nonce` will not land (reverted, its nonce taken, never sent): its
        orders go back to pending."""
        with self.transaction():
            self.set_api_orders_status(ids, "pending", None)
            self.db.execute("DELETE FROM blob_tx_in_flight WHERE nonce = ?", (nonce,))

    def api_order_envelopes(self, ids: Sequence[int]) -> list[bytes]:
        """The envelopes of API orders `ids`, in that order."""
        by_id = {int(i): bytes(e) for i, e in self.db.execute(
            f"SELECT id, envelope FROM api_orders WHERE id IN ({', '.join('?' * len(ids))})", list(ids)
        ).fetchall()}
        return [by_id[i] for i in ids]

    def submitted_api_orders(self) -> dict[str, list[tuple[int, bytes]]]:
        """Orders sent in a blob tx not yet seen included, by tx hash (for a restarted proposer)."""
        rows = self.db.execute("SELECT id, envelope, tx_hash FROM api_orders WHERE status = 'submitted' ORDER BY id").fetchall()
        by_tx: dict[str, list[tuple[int, bytes]]] = {}
        for r in rows:
            by_tx.setdefault(str(r[2]), []).append((int(r[0]), bytes(r[1])))
        return by_tx

    _API_ORDER = (
        "SELECT id, trader, status, tx_hash, received_at, message, market, nonce, client_order_id, reason, batch_blob, "
        "batch_position FROM api_orders"
    )

    def _api_order_row(self, row: tuple[Any, ...]) -> dict[str, Any]:
        order = {
            "id": row[0], "trader": row[1], "status": row[2], "tx_hash": row[3], "received_at": row[4],
            "message": row[5], "market": row[6], "nonce": str(row[7]), "client_order_id": row[8], "reason": row[9],
            "inbox_index": None, "position": row[11],
        }
        if row[10] is not None and row[2] == "posted":
            order["inbox_index"] = self.blob_batch_index(bytes(row[10]))
        return order

    def api_order(self, order_id: int) -> dict[str, Any] | None:
        row = self._one(self._API_ORDER + " WHERE id = ?", (order_id,))
        return None if row is None else self._api_order_row(row)

    def api_order_by_nonce(self, trader: str, nonce: int) -> dict[str, Any] | None:
        """The trader's API message that carries `nonce` (a cancel's is the order it names)."""
        row = self._one(self._API_ORDER + " WHERE trader = ? AND nonce = ? AND message != 'cancel' ORDER BY id DESC LIMIT 1", (trader, nonce))
        return None if row is None else self._api_order_row(row)

    def blob_batch_index(self, first_blob: bytes) -> int | None:
        """The inbox index of the blob batch entry whose first blob is `first_blob`, once derived."""
        row = self._one("SELECT l1_block FROM blobs WHERE versioned_hash = ?", (first_blob,))
        if row is None:
            return None
        rows = self.db.execute("SELECT idx, payload FROM entries WHERE l1_block = ? AND kind = ?", (row[0], KIND_BLOB_BATCH)).fetchall()
        return next((int(r[0]) for r in rows if bytes(r[1])[:32] == first_blob), None)

    # ---- orders and trades, as derived from L1 ---------------------------------------------

    def events_of_message(self, inbox_index: int, position: int | None) -> list[dict[str, Any]]:
        """The events of one message: a blob batch's at `position`, or a whole entry's."""
        if position is None:
            return self.events_at(inbox_index)
        rows = self.db.execute("SELECT body FROM events WHERE idx = ? AND position = ? ORDER BY id", (inbox_index, position)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def order_history(self, trader: str, nonce: int, market: int | None = None) -> list[tuple[int, dict[str, Any], int, int]]:
        """(event id, event, L1 block, L1 timestamp) of every event of the order (trader, nonce),
        oldest first: its acceptance or rejection, fills, trigger, reductions, cancellation."""
        sql = (
            "SELECT e.id, e.body, en.l1_block, en.l1_timestamp FROM event_orders eo JOIN events e ON e.id = eo.event_id "
            "JOIN entries en ON en.idx = eo.idx WHERE eo.trader = ? AND eo.nonce = ? AND eo.message = 'order'"
        )
        params: list[Any] = [trader, nonce]
        if market is not None:
            sql += " AND eo.market = ?"
            params.append(market)
        rows = self.db.execute(sql + " ORDER BY e.id", params).fetchall()
        return [(int(r[0]), json.loads(r[1]), int(r[2]), int(r[3])) for r in rows]

    def trader_order_keys(self, trader: str, limit: int) -> list[tuple[int, int]]:
        """(market, nonce) of the trader's orders with the most recent activity first."""
        rows = self.db.execute(
            "SELECT market, nonce FROM event_orders WHERE trader = ? AND message = 'order' GROUP BY market, nonce "
            "ORDER BY MAX(event_id) DESC LIMIT ?",
            (trader, limit),
        ).fetchall()
        return [(int(r[0]), int(r[1])) for r in rows]

    def trades(self, market: int | None, trader: str | None, limit: int, before: int | None = None) -> list[tuple[int, dict[str, Any], int, int]]:
        """(event id, fill, L1 block, L1 timestamp), newest first, of one market and/or trader."""
        sql = "SELECT e.id, e.body, en.l1_block, en.l1_timestamp FROM events e JOIN entries en ON en.idx = e.idx WHERE e.type = 'fill'"
        params: list[Any] = []
        if trader is not None:
            sql += " AND e.id IN (SELECT event_id FROM event_orders WHERE trader = ?)"
            params.append(trader)
        if market is not None:
            sql += " AND json_extract(e.body, '$.market') = ?"
            params.append(market)
        if before is not None:
            sql += " AND e.id < ?"
            params.append(before)
        rows = self.db.execute(sql + " ORDER BY e.id DESC LIMIT ?", [*params, limit]).fetchall()
        return [(int(r[0]), json.loads(r[1]), int(r[2]), int(r[3])) for r in rows]

    def last_l1_batch(self) -> dict[str, Any] | None:
        """The last batch the Rollup verified, from its logs: number, range, root, L1 tx."""
        row = self._one("SELECT number, inbox_start, inbox_end, new_state_root, backend, tx_hash, l1_block FROM l1_batches ORDER BY number DESC LIMIT 1")
        return None if row is None else self._l1_batch(row)

    def l1_batches(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT number, inbox_start, inbox_end, new_state_root, backend, tx_hash, l1_block FROM l1_batches ORDER BY number DESC LIMIT ?", (limit,)
        ).fetchall()
        return [self._l1_batch(r) for r in rows]

    def l1_batch_covering(self, inbox_index: int) -> dict[str, Any] | None:
        row = self._one(
            "SELECT number, inbox_start, inbox_end, new_state_root, backend, tx_hash, l1_block FROM l1_batches "
            "WHERE inbox_start <= ? AND inbox_end > ? ORDER BY number DESC LIMIT 1",
            (inbox_index, inbox_index),
        )
        return None if row is None else self._l1_batch(row)

    @staticmethod
    def _l1_batch(row: tuple[Any, ...]) -> dict[str, Any]:
        return {"number": int(row[0]), "inbox_start": int(row[1]), "inbox_end": int(row[2]), "new_state_root": to_hex(bytes(row[3])),
                "backend": str(row[4]), "tx_hash": str(row[5]), "l1_block": int(row[6])}

    def batch_covering(self, inbox_index: int) -> BatchRecord | None:
        """The newest batch (proven, submitted or verified) whose range holds `inbox_index`."""
        row = self._one(
            self._BATCH + " WHERE inbox_start <= ? AND inbox_end > ? AND status IN ('proven', 'submitted', 'verified') ORDER BY id DESC LIMIT 1",
            (inbox_index, inbox_index),
        )
        return None if row is None else self._batch(row)

    # ---- batches (prover jobs) ---------------------------------------------------------------

    _BATCH = "SELECT id, inbox_start, inbox_end, status, backend, public_values, proof, tx_hash, error, retry_at FROM batches"

    @staticmethod
    def _batch(r: tuple[Any, ...]) -> BatchRecord:
        return BatchRecord(int(r[0]), int(r[1]), int(r[2]), str(r[3]), str(r[4]), bytes(r[5]), bytes(r[6]), r[7], r[8], float(r[9]))

    def add_job(self, inbox_start: int, inbox_end: int, backend: str, retry_at: float = 0.0) -> int:
        """A range to prove (`queued`), not before `retry_at` (wall-clock seconds)."""
        now = time.time()
        cur = self.db.execute(
            "INSERT INTO batches (inbox_start, inbox_end, status, backend, public_values, proof, created_at, retry_at, updated_at) "
            "VALUES (?, ?, 'queued', ?, x'', x'', ?, ?, ?)",
            (inbox_start, inbox_end, backend, now, retry_at, now),
        )
        return int(cur.lastrowid or 0)

    def add_batch(self, inbox_start: int, inbox_end: int, backend: str, public_values: bytes, proof: bytes) -> int:
        """A range proven outside the job queue (tools, `clobnode prove`)."""
        batch_id = self.add_job(inbox_start, inbox_end, backend)
        self.set_job_proven(batch_id, public_values, proof)
        return batch_id

    def set_job_proven(self, batch_id: int, public_values: bytes, proof: bytes) -> None:
        self.db.execute(
            "UPDATE batches SET status = 'proven', public_values = ?, proof = ?, error = NULL, updated_at = ? WHERE id = ?",
            (public_values, proof, time.time(), batch_id),
        )

    def set_batch_status(self, batch_id: int, status: str, tx_hash: str | None = None, error: str | None = None) -> None:
        self.db.execute(
            "UPDATE batches SET status = ?, tx_hash = COALESCE(?, tx_hash), error = ?, updated_at = ? WHERE id = ?",
            (status, tx_hash, error, time.time(), batch_id),
        )

    def batch(self, batch_id: int) -> BatchRecord | None:
        row = self._one(self._BATCH + " WHERE id = ?", (batch_id,))
        return None if row is None else self._batch(row)

    def batches(self, limit: int = 100) -> list[BatchRecord]:
        rows = self.db.execute(self._BATCH + " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [self._batch(r) for r in rows]

    def active_jobs(self) -> list[BatchRecord]:
        """Jobs queued, proving, proven or submitted to L1, by range start."""
        rows = self.db.execute(
            self._BATCH + " WHERE status IN ('queued', 'proving', 'proven', 'submitted') ORDER BY inbox_start, id"
        ).fetchall()
        return [self._batch(r) for r in rows]

    def submitted_batches(self) -> list[BatchRecord]:
        """Batches whose settlement transaction was sent and has no receipt yet."""
        return [self._batch(r) for r in self.db.execute(self._BATCH + " WHERE status = 'submitted' ORDER BY id").fetchall()]

    def attempts_at(self, inbox_start: int) -> tuple[int, float]:
        """(failed or errored attempts at ranges from `inbox_start`, when the last one ended)."""
        row = self._one(
            "SELECT COUNT(*), MAX(updated_at) FROM batches WHERE inbox_start = ? AND status IN ('failed', 'error')", (inbox_start,)
        )
        return (0, 0.0) if row is None or not row[0] else (int(row[0]), float(row[1] or 0.0))

    def requeue_proving_jobs(self) -> int:
        """After a restart: jobs whose proving died with the process are queued again."""
        return int(self.db.execute("UPDATE batches SET status = 'queued', updated_at = ? WHERE status = 'proving'", (time.time(),)).rowcount)

    def open_batch(self) -> BatchRecord | None:
        """The oldest proven batch not yet verified on L1, if any."""
        row = self._one(self._BATCH + " WHERE status = 'proven' ORDER BY inbox_start, id LIMIT 1")
        return None if row is None else self._batch(row)

    def recent_block_hashes(self, limit: int = 512) -> dict[int, bytes]:
        rows = self.db.execute("SELECT number, hash FROM l1_blocks ORDER BY number DESC LIMIT ?", (limit,)).fetchall()
        return {int(r[0]): bytes(r[1]) for r in rows}
