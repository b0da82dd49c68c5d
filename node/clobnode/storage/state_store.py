"""State store: the exchange state's leaves in SQLite, written incrementally (docs/ARCHITECTURE.md).

- `state_leaves` holds every leaf of the state tree as the node last committed it. A checkpoint
  writes only the leaves it changed: this table is the node's checkpoint, advanced at the cost
  of its own changes, and a restart loads it whole.
- `state_points` holds one row per checkpoint: the inbox index it ends at (its key), the L1
  block it lies in, the state root after it and the keys it reached. A block with inbox entries
  ends with a checkpoint; a block with more than `[store] checkpoint_entries` entries has one
  every that many entries too, so a proven range can end inside a block and no block size
  wedges the prover.
- `state_journal` holds, per checkpoint, the value each changed leaf had before it (NULL: none).
  Reverting the journal above a checkpoint gives the state at it: that is how a reorg rolls
  back, and how the prover and the escape hatch see an earlier state without a snapshot of it.

The journal and the reached keys are kept above the pruning floor (an inbox index): the lower of
the index the L1 Rollup last verified and the last checkpoint of the head minus the reorg window.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import cast

from clobnode.errors import ClobnodeError

LeafValue = tuple[bytes, bytes | None]

SCHEMA = """
CREATE TABLE IF NOT EXISTS state_leaves (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_points (
    inbox_index INTEGER PRIMARY KEY, l1_block INTEGER NOT NULL, state_root BLOB NOT NULL, accessed BLOB);
CREATE INDEX IF NOT EXISTS state_points_block ON state_points (l1_block);
CREATE TABLE IF NOT EXISTS state_journal (
    point INTEGER NOT NULL, key BLOB NOT NULL, previous BLOB, PRIMARY KEY (point, key)) WITHOUT ROWID;
"""

_FLOOR = "state_journal_floor_index"
_CHUNK = 500  # SQLite host parameters per statement


class StateStoreError(ClobnodeError):
    """The stored state cannot answer: the journal was pruned, or it is inconsistent."""


@dataclass(frozen=True, slots=True)
class StateCommit:
    """What one checkpoint did to the state (from `Engine.commit`)."""

    inbox_index: int
    state_root: bytes
    changed: Sequence[LeafValue]
    accessed: Sequence[bytes]


@dataclass(frozen=True, slots=True)
class StatePoint:
    """The state at a checkpoint: after inbox entry `inbox_index - 1`, in L1 block `l1_block`."""

    l1_block: int
    inbox_index: int
    state_root: bytes


def encode_keys(keys: Iterable[bytes]) -> bytes:
    """State keys as one blob: each `length(u8) ‖ key`."""
    return b"".join(bytes([len(k)]) + k for k in keys)


def decode_keys(blob: bytes) -> list[bytes]:
    keys, at = [], 0
    while at < len(blob):
        length = blob[at]
        keys.append(bytes(blob[at + 1 : at + 1 + length]))
        at += 1 + length
    return keys


def _point(row: tuple[object, ...] | None) -> StatePoint | None:
    if row is None:
        return None
    columns = cast("tuple[int, int, bytes]", row)  # l1_block INTEGER, inbox_index INTEGER, state_root BLOB
    return StatePoint(int(columns[0]), int(columns[1]), bytes(columns[2]))


class StateStore:
    """The state's tables on one SQLite connection; writes happen inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        conn.executescript(SCHEMA)

    def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[object, ...] | None:
        row: tuple[object, ...] | None = self._conn.execute(sql, params).fetchone()
        return row

    # ---- writing ------------------------------------------------------------------------------

    def write_genesis(self, l1_block: int, state_root: bytes, records: Sequence[tuple[bytes, bytes]], inbox_index: int = 0) -> None:
        """The state before the first inbox entry (all its leaves); a workload's genesis (tools,
        tests) may start at a later `inbox_index`."""
        self._conn.executemany("INSERT OR REPLACE INTO state_leaves (key, value) VALUES (?, ?)", records)
        self._conn.execute(
            "INSERT OR REPLACE INTO state_points (inbox_index, l1_block, state_root, accessed) VALUES (?, ?, ?, ?)",
            (inbox_index, l1_block, state_root, b""),
        )
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_FLOOR, str(inbox_index)))

    def write_checkpoint(self, l1_block: int, commit: StateCommit) -> None:
        """One checkpoint's changes: their previous values to the journal, then the leaves themselves."""
        keys = [key for key, _ in commit.changed]
        previous = self._values(keys)
        self._conn.executemany(
            "INSERT INTO state_journal (point, key, previous) VALUES (?, ?, ?)",
            [(commit.inbox_index, key, previous.get(key)) for key in keys],
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO state_leaves (key, value) VALUES (?, ?)",
            [(key, value) for key, value in commit.changed if value is not None],
        )
        self._conn.executemany("DELETE FROM state_leaves WHERE key = ?", [(key,) for key, value in commit.changed if value is None])
        self._conn.execute(
            "INSERT INTO state_points (inbox_index, l1_block, state_root, accessed) VALUES (?, ?, ?, ?)",
            (commit.inbox_index, l1_block, commit.state_root, encode_keys(commit.accessed)),
        )

    def _values(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        out: dict[bytes, bytes] = {}
        for at in range(0, len(keys), _CHUNK):
            chunk = keys[at : at + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for key, value in self._conn.execute(f"SELECT key, value FROM state_leaves WHERE key IN ({marks})", chunk):
                out[bytes(key)] = bytes(value)
        return out

    def roll_back_after(self, l1_block: int) -> list[LeafValue]:
        """Sets the leaves back to the state after `l1_block` and forgets the checkpoints above it;
        returns the leaves it set back (for the engine). Needs the journal above that state."""
        point = self.at_block(l1_block)
        if point is None:
            raise StateStoreError(f"no checkpoint at or below L1 block {l1_block}")
        values = self.changed_since(point.inbox_index)
        self._conn.executemany("INSERT OR REPLACE INTO state_leaves (key, value) VALUES (?, ?)", [(k, v) for k, v in values if v is not None])
        self._conn.executemany("DELETE FROM state_leaves WHERE key = ?", [(k,) for k, v in values if v is None])
        self._conn.execute("DELETE FROM state_journal WHERE point > ?", (point.inbox_index,))
        self._conn.execute("DELETE FROM state_points WHERE inbox_index > ?", (point.inbox_index,))
        return values

    def prune(self, below_index: int) -> int:
        """Forgets the journal and reached keys of checkpoints up to inbox index `below_index`
        (which must be a checkpoint); returns the journal rows removed."""
        floor = self.journal_floor()
        if floor is None or below_index <= floor:
            return 0
        if self.at_index(below_index) is None:
            raise StateStoreError(f"no checkpoint at inbox index {below_index} to prune to")
        removed = self._conn.execute("DELETE FROM state_journal WHERE point <= ?", (below_index,)).rowcount
        self._conn.execute("UPDATE state_points SET accessed = NULL WHERE inbox_index <= ?", (below_index,))
        self._conn.execute("DELETE FROM state_points WHERE inbox_index < ?", (below_index,))
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_FLOOR, str(below_index)))
        return int(removed)

    # ---- reading ------------------------------------------------------------------------------

    def records(self) -> list[tuple[bytes, bytes]]:
        rows = self._conn.execute("SELECT key, value FROM state_leaves ORDER BY key").fetchall()
        return [(bytes(k), bytes(v)) for k, v in rows]

    def leaf_count(self) -> int:
        row = self._one("SELECT COUNT(*) FROM state_leaves")
        return 0 if row is None else int(row[0])  # type: ignore[call-overload]

    def journal_floor(self) -> int | None:
        """Checkpoints above this inbox index have their journal (and reached keys)."""
        row = self._one("SELECT value FROM meta WHERE key = ?", (_FLOOR,))
        return None if row is None else int(str(row[0]))

    def latest(self) -> StatePoint | None:
        return _point(self._one("SELECT l1_block, inbox_index, state_root FROM state_points ORDER BY inbox_index DESC LIMIT 1"))

    def at_index(self, inbox_index: int) -> StatePoint | None:
        """The checkpoint at `inbox_index`, if there is one."""
        return _point(self._one("SELECT l1_block, inbox_index, state_root FROM state_points WHERE inbox_index = ?", (inbox_index,)))

    def at_block(self, l1_block: int) -> StatePoint | None:
        """The last checkpoint in or below L1 block `l1_block`: the state after that block."""
        return _point(self._one(
            "SELECT l1_block, inbox_index, state_root FROM state_points WHERE l1_block <= ? ORDER BY inbox_index DESC LIMIT 1",
            (l1_block,),
        ))

    def indexes_after(self, inbox_index: int, limit_index: int) -> list[int]:
        """Checkpoints after `inbox_index`, up to `limit_index`."""
        rows = self._conn.execute(
            "SELECT inbox_index FROM state_points WHERE inbox_index > ? AND inbox_index <= ? ORDER BY inbox_index",
            (inbox_index, limit_index),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def changed_since(self, inbox_index: int) -> list[LeafValue]:
        """Each leaf changed by a checkpoint above `inbox_index`, with its value at `inbox_index`."""
        floor = self.journal_floor()
        if floor is None or inbox_index < floor:
            raise StateStoreError(f"the journal starts after inbox index {floor}; no state at inbox index {inbox_index}")
        rows = self._conn.execute(
            "SELECT j.key, j.previous FROM state_journal j JOIN "
            "(SELECT key, MIN(point) AS first FROM state_journal WHERE point > ? GROUP BY key) f "
            "ON j.key = f.key AND j.point = f.first",
            (inbox_index,),
        ).fetchall()
        return [(bytes(k), None if v is None else bytes(v)) for k, v in rows]

    def accessed_between(self, after_index: int, upto_index: int) -> list[bytes]:
        """The keys the checkpoints in (after_index, upto_index] reached, each once."""
        rows = self._conn.execute(
            "SELECT inbox_index, accessed FROM state_points WHERE inbox_index > ? AND inbox_index <= ?", (after_index, upto_index)
        ).fetchall()
        keys: set[bytes] = set()
        for index, blob in rows:
            if blob is None:
                raise StateStoreError(f"the keys reached up to inbox index {index} were pruned")
            keys.update(decode_keys(bytes(blob)))
        return sorted(keys)
