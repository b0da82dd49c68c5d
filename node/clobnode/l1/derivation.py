"""Derivation: Inbox `EntryAppended` logs -> the ordered, checked inbox entry stream (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import clobnode_core

from clobnode.errors import ClobnodeError

KIND_DIRECT = 1
KIND_SIGNED = 2
KIND_DEPOSIT = 3
KIND_BLOB_BATCH = 4
KIND_NAMES = {KIND_DIRECT: "direct", KIND_SIGNED: "signed", KIND_DEPOSIT: "deposit", KIND_BLOB_BATCH: "blob_batch"}


class DerivationError(ClobnodeError):
    """The L1 data does not form a contiguous, correctly accumulated inbox stream."""


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One Inbox entry as recorded on L1 (PROTOCOL.md section 1)."""

    index: int
    kind: int
    sender: bytes
    l1_block: int
    l1_timestamp: int
    payload: bytes
    acc: bytes

    def versioned_hashes(self) -> tuple[bytes, ...]:
        """The blobs a blob batch refers to, in order; empty for other kinds."""
        if self.kind != KIND_BLOB_BATCH:
            return ()
        return tuple(self.payload[i : i + 32] for i in range(0, len(self.payload), 32))

    def as_core(self) -> clobnode_core.InboxEntry:
        """The dict shape the Rust core's `apply_entries` takes."""
        return {
            "index": self.index,
            "kind": self.kind,
            "sender": self.sender,
            "l1_block": self.l1_block,
            "l1_timestamp": self.l1_timestamp,
            "payload": self.payload,
        }


def entry_from_log_args(args: Mapping[str, Any]) -> InboxEntry:
    """Build an entry from a decoded `EntryAppended` log."""
    return InboxEntry(
        index=int(args["index"]),
        kind=int(args["kind"]),
        sender=bytes.fromhex(str(args["sender"])[2:]),
        l1_block=int(args["l1Block"]),
        l1_timestamp=int(args["l1Timestamp"]),
        payload=bytes(args["payload"]),
        acc=bytes(args["acc"]),
    )


def check_stream(next_index: int, prev_acc: bytes, entries: Iterable[InboxEntry]) -> list[InboxEntry]:
    """Order entries and check they continue the stream at `next_index` with matching accumulators."""
    ordered = sorted(entries, key=lambda e: e.index)
    acc = prev_acc
    for expected, entry in enumerate(ordered, start=next_index):
        if entry.index != expected:
            raise DerivationError(f"inbox gap: expected entry {expected}, got {entry.index}")
        entry_hash = clobnode_core.entry_hash(
            entry.kind, entry.sender, entry.l1_block, entry.l1_timestamp, entry.payload
        )
        acc = clobnode_core.next_acc(acc, entry_hash)
        if acc != entry.acc:
            raise DerivationError(f"accumulator mismatch at entry {entry.index}")
    return ordered
