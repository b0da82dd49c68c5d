"""Guest inputs: what a range's proof is computed from (PROTOCOL.md section 9): the witness of
the records the range reaches, its entries and blobs; and which ranges can be proven."""

from __future__ import annotations

import os
from typing import Any

import clobnode_core

from clobnode.exchange.engine import Engine, event_dicts
from clobnode.proving.backend import ProverError
from clobnode.storage.state_store import StateStoreError
from clobnode.storage.store import Store


def guest_input_for_range(store: Store, engine: Engine, start: int, end: int) -> bytes:
    """The guest input for entries [start, end) (PROTOCOL.md section 9): the witness of the
    records they reach, proven against the state root at `start`, the entries, their blobs."""
    first, last = store.state.at_index(start), store.state.at_index(end)
    if first is None or last is None:
        raise ProverError(f"no state checkpoint at inbox index {start if first is None else end}")
    entries = store.entries(start, end)
    if len(entries) != end - start:
        raise ProverError(f"entries [{start}, {end}) are not all derived yet")
    try:
        keys = store.state.accessed_between(start, end)
        at_start, at_end = store.state.changed_since(start), store.state.changed_since(end)
    except StateStoreError as exc:
        raise ProverError(str(exc)) from exc
    if engine.root_with(at_start) != first.state_root:
        raise ProverError(f"the state journal does not lead back to the root recorded at inbox index {start}")
    witness = engine.witness(keys, at_start, at_end)
    blobs: dict[bytes, bytes] = {}
    for entry in entries:
        for versioned_hash in entry.versioned_hashes():
            blob = store.get_blob(versioned_hash)
            if blob is None:
                raise ProverError(f"blob {versioned_hash.hex()} missing from the DA store")
            blobs[versioned_hash] = blob
    seed = int.from_bytes(os.urandom(8), "big")  # the proof's hash tables: unknown to anyone posting entries
    return bytes(clobnode_core.encode_guest_input(witness, [e.as_core() for e in entries], blobs, seed))


def prove_entries(core: clobnode_core.Engine, entries: list[clobnode_core.InboxEntry], blobs: dict[bytes, bytes], seed: int = 1) -> tuple[list[dict[str, Any]], bytes]:
    """Applies `entries` to a core engine and returns their events and the guest input that
    proves them from the state before (for tools and tests: it reads the whole state once; the
    node builds witnesses from its state store instead)."""
    core.commit()
    before = dict(core.records())
    events = list(core.apply_entries(entries, blobs))
    _, changed, accessed = core.commit()
    witness = core.witness(accessed, [(k, before.get(k)) for k, _ in changed], [])
    return event_dicts(events), bytes(clobnode_core.encode_guest_input(witness, entries, blobs, seed))


def next_range(store: Store, start: int, max_range: int) -> tuple[int, int] | None:
    """The longest provable range from `start` of at most `max_range` entries: it ends at a state
    checkpoint (the end of a block, or a checkpoint inside a big one)."""
    ends = store.state.indexes_after(start, start + max_range)
    return None if not ends else (start, ends[-1])
