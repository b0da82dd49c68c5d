"""State store: the exchange state's leaves in SQLite, written incrementally (docs/ARCHITECTURE.md).

- `state_leaves` holds every leaf of the state tree as the node last committed it. A block
  writes only the leaves it changed: this table is the node's checkpoint, advanced every block
  at the cost of that block's own changes, and a restart loads it whole.
- `state_journal` holds, per block, the value each changed leaf had before it (NULL: none).
  Reverting the journal above a block gives the state after that block: that is how a reorg
  rolls back, and how the prover and the escape hatch see the state at an earlier block
  without a snapshot of it.
- `state_blocks` holds, per block with inbox entries, the inbox index and state root after it
  and the keys it reached (a witness of any range of blocks covers the union of theirs).

The journal and the reached keys are kept above the pruning floor: the lower of the block the
L1 Rollup last verified and the head minus the reorg window. Below it nothing is needed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clobnode.errors import ClobnodeError

LeafValue = tuple[bytes, bytes | None]

SCHEMA = """
CREATE TABLE IF NOT EXISTS state_leaves (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_blocks (
    l1_block INTEGER PRIMARY KEY, inbox_index INTEGER NOT NULL, state_root BLOB NOT NULL, accessed BLOB);
CREATE INDEX IF NOT EXISTS state_blocks_index ON state_blocks (inbox_index);
CREATE TABLE IF NOT EXISTS state_journal (
    l1_block INTEGER NOT NULL, key BLOB NOT NULL, previous BLOB, PRIMARY KEY (l1_block, key)) WITHOUT ROWID;
"""

_FLOOR = "state_journal_floor"
_CHUNK = 500  # SQLite host parameters per statement


class StateStoreError(ClobnodeError):
    """The stored state cannot answer: the journal was pruned, or it is inconsistent."""


@dataclass(frozen=True, slots=True)
class StateCommit:
    """What one block did to the state (from `Engine.commit`)."""

    inbox_index: int
    state_root: bytes
    changed: Sequence[LeafValue]
    accessed: Sequence[bytes]


@dataclass(frozen=True, slots=True)
class StatePoint:
    """The state after an L1 block."""

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


class StateStore:
    """The state's tables on one SQLite connection; writes happen inside the caller's transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        conn.executescript(SCHEMA)

    def _one(self, sql: str, params: Sequence[object] = ()) -> tuple[object, ...] | None:
        row: tuple[object, ...] | None = self._conn.execute(sql, params).fetchone()
        return row

    # ---- writing ------------------------------------------------------------------------------

    def write_genesis(self, l1_block: int, state_root: bytes, records: Sequence[tuple[bytes, bytes]]) -> None:
        """The state before the first inbox entry (all its leaves)."""
        self._conn.executemany("INSERT OR REPLACE INTO state_leaves (key, value) VALUES (?, ?)", records)
        self._conn.execute(
            "INSERT OR REPLACE INTO state_blocks (l1_block, inbox_index, state_root, accessed) VALUES (?, 0, ?, ?)",
            (l1_block, state_root, b""),
        )
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_FLOOR, str(l1_block)))

    def write_block(self, l1_block: int, commit: StateCommit) -> None:
        """One block's changes: their previous values to the journal, then the leaves themselves."""
        keys = [key for key, _ in commit.changed]
        previous = self._values(keys)
        self._conn.executemany(
            "INSERT INTO state_journal (l1_block, key, previous) VALUES (?, ?, ?)",
            [(l1_block, key, previous.get(key)) for key in keys],
        )
        self._conn.executemany(
            "INSERT OR REPLACE INTO state_leaves (key, value) VALUES (?, ?)",
            [(key, value) for key, value in commit.changed if value is not None],
        )
        self._conn.executemany("DELETE FROM state_leaves WHERE key = ?", [(key,) for key, value in commit.changed if value is None])
        self._conn.execute(
            "INSERT OR REPLACE INTO state_blocks (l1_block, inbox_index, state_root, accessed) VALUES (?, ?, ?, ?)",
            (l1_block, commit.inbox_index, commit.state_root, encode_keys(commit.accessed)),
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
        """Sets the leaves back to the state after `l1_block` and forgets the blocks above it;
        returns the leaves it set back (for the engine). Needs the journal above `l1_block`."""
        floor = self.journal_floor()
        if floor is None or l1_block < floor:
            raise StateStoreError(f"the journal starts after block {floor}; cannot roll back to block {l1_block}")
        values = self.changed_since(l1_block)
        self._conn.executemany("INSERT OR REPLACE INTO state_leaves (key, value) VALUES (?, ?)", [(k, v) for k, v in values if v is not None])
        self._conn.executemany("DELETE FROM state_leaves WHERE key = ?", [(k,) for k, v in values if v is None])
        self._conn.execute("DELETE FROM state_journal WHERE l1_block > ?", (l1_block,))
        self._conn.execute("DELETE FROM state_blocks WHERE l1_block > ?", (l1_block,))
        return values

    def prune(self, below: int) -> int:
        """Forgets the journal and reached keys of blocks up to `below`; returns journal rows removed."""
        floor = self.journal_floor()
        if floor is None or below <= floor:
            return 0
        removed = self._conn.execute("DELETE FROM state_journal WHERE l1_block <= ?", (below,)).rowcount
        self._conn.execute("UPDATE state_blocks SET accessed = NULL WHERE l1_block <= ?", (below,))
        self._conn.execute("DELETE FROM state_blocks WHERE l1_block < ?", (below,))
        self._conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_FLOOR, str(below)))
        return int(removed)

    # ---- reading ------------------------------------------------------------------------------

    def records(self) -> list[tuple[bytes, bytes]]:
        rows = self._conn.execute("SELECT key, value FROM state_leaves ORDER BY key").fetchall()
        return [(bytes(k), bytes(v)) for k, v in rows]

    def leaf_count(self) -> int:
        row = self._one("SELECT COUNT(*) FROM state_leaves")
        return 0 if row is None else int(row[0])  # type: ignore[arg-type]

    def journal_floor(self) -> int | None:
        """Blocks above this one have their journal (and reached keys)."""
        row = self._one("SELECT value FROM meta WHERE key = ?", (_FLOOR,))
        return None if row is None else int(str(row[0]))

    def latest(self) -> StatePoint | None:
        row = self._one("SELECT l1_block, inbox_index, state_root FROM state_blocks ORDER BY l1_block DESC LIMIT 1")
        return None if row is None else StatePoint(int(row[0]), int(row[1]), bytes(row[2]))  # type: ignore[arg-type]

    def at_index(self, inbox_index: int) -> StatePoint | None:
        """The state after the block that brought the inbox to `inbox_index`."""
        row = self._one(
            "SELECT l1_block, inbox_index, state_root FROM state_blocks WHERE inbox_index = ? ORDER BY l1_block DESC LIMIT 1",
            (inbox_index,),
        )
        return None if row is None else StatePoint(int(row[0]), int(row[1]), bytes(row[2]))  # type: ignore[arg-type]

    def indexes_after(self, inbox_index: int, limit_index: int) -> list[int]:
        """Inbox positions after `inbox_index` (up to `limit_index`) where a block ended."""
        rows = self._conn.execute(
            "SELECT DISTINCT inbox_index FROM state_blocks WHERE inbox_index > ? AND inbox_index <= ? ORDER BY inbox_index",
            (inbox_index, limit_index),
        ).fetchall()
        return [int(r[0]) for r in rows]

    def changed_since(self, l1_block: int) -> list[LeafValue]:
        """Each leaf changed by a block above `l1_block`, with its value after `l1_block`."""
        floor = self.journal_floor()
        if floor is None or l1_block < floor:
            raise StateStoreError(f"the journal starts after block {floor}; no state at block {l1_block}")
        rows = self._conn.execute(
            "SELECT j.key, j.previous FROM state_journal j JOIN "
            "(SELECT key, MIN(l1_block) AS first FROM state_journal WHERE l1_block > ? GROUP BY key) f "
            "ON j.key = f.key AND j.l1_block = f.first",
            (l1_block,),
        ).fetchall()
        return [(bytes(k), None if v is None else bytes(v)) for k, v in rows]

    def accessed_between(self, after_block: int, upto_block: int) -> list[bytes]:
        """The keys the blocks in (after_block, upto_block] reached, each once."""
        rows = self._conn.execute(
            "SELECT l1_block, accessed FROM state_blocks WHERE l1_block > ? AND l1_block <= ?", (after_block, upto_block)
        ).fetchall()
        keys: set[bytes] = set()
        for block, blob in rows:
            if blob is None:
                raise StateStoreError(f"the keys block {block} reached were pruned")
            keys.update(decode_keys(bytes(blob)))
        return sorted(keys)
