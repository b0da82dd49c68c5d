"""The node's incremental state store at scale (tens of thousands of orders), through the node's
own store and engine: blocks write only their changes, a restart restores the same root, a
range is proven from its witness alone, a reorg rolls back through the journal, pruning keeps
what proofs and exits need, and a balance is proven at an earlier block."""

from __future__ import annotations

import random
from pathlib import Path

import clobnode_core
import pytest
from clobnode.exchange.engine import Engine
from clobnode.l1.derivation import InboxEntry
from clobnode.proving.guest_input import guest_input_for_range
from clobnode.storage.state_store import StateStoreError
from clobnode.storage.store import Store

RESTING, TRADERS = 20_000, 2_000
MID = 1_000_000
QUOTE = b"\xc0" * 20


def _block(core: clobnode_core.Engine, rng: random.Random, size: int) -> list[InboxEntry]:
    """`size` direct orders near the middle of the book from random traders, some crossing."""
    entries = []
    for _ in range(size):
        who = bytes(clobnode_core.workload_trader(rng.randrange(TRADERS)))
        nonce = core.last_nonce(who) + 1 + len([e for e in entries if e.sender == who])
        side = rng.randrange(2)
        price = MID + rng.choice([-30, -5, 2, 5, 30]) * (1 if side else -1)
        index = core.inbox_next_index() + len(entries)
        message = bytes(clobnode_core.encode_order(0, side, price, 1 + rng.randrange(5), nonce))
        entries.append(InboxEntry(index, 1, who, 100 + index, 1_700_000_000 + index, message, bytes(32)))
    return entries


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[int, bytes], dict[int, list[InboxEntry]]]:
    """A store with a 20,000-order genesis book at block 0 and eight blocks of orders after it."""
    core = clobnode_core.workload_engine(RESTING, TRADERS)
    engine = Engine(core)
    path = tmp_path_factory.mktemp("state") / "node.sqlite"
    store = Store(path)
    store.record_genesis(0, engine.state_root(), engine.records(), core.inbox_next_index())
    rng = random.Random(7)
    roots, blocks = {0: engine.state_root()}, {}
    for number in range(1, 9):
        entries = _block(core, rng, 12)
        events = engine.apply(entries, {})
        state = engine.commit()
        store.record_block(number, number.to_bytes(32, "big"), (number - 1).to_bytes(32, "big"), entries, events, [state])
        roots[number], blocks[number] = state.state_root, entries
    store.close()
    return path, roots, blocks


def test_a_block_writes_its_changes_not_the_state(history: tuple[Path, dict[int, bytes], dict[int, list[InboxEntry]]]) -> None:
    path, _, _ = history
    store = Store(path)
    per_block = [n for (n,) in store.db.execute("SELECT COUNT(*) FROM state_journal GROUP BY point").fetchall()]
    assert len(per_block) == 8 and max(per_block) < 200  # a few records per order, of ~25,000 leaves
    assert store.state.leaf_count() > RESTING


def test_a_restart_restores_the_same_root(history: tuple[Path, dict[int, bytes], dict[int, list[InboxEntry]]]) -> None:
    path, roots, _ = history
    store = Store(path)
    assert Engine.restore(store.state.records()).state_root() == roots[8] == store.state.latest().state_root


def test_a_range_is_proven_from_its_witness_alone(history: tuple[Path, dict[int, bytes], dict[int, list[InboxEntry]]]) -> None:
    path, roots, blocks = history
    store = Store(path)
    engine = Engine.restore(store.state.records())
    start, end = blocks[3][0].index, blocks[6][-1].index + 1
    guest_input = guest_input_for_range(store, engine, start, end)
    values = clobnode_core.decode_public_values(clobnode_core.execute_guest_input(guest_input))
    assert (values["prev_state_root"], values["new_state_root"]) == ("0x" + roots[2].hex(), "0x" + roots[6].hex())
    assert len(guest_input) < 200_000  # the witness of 48 orders, not the 20,000-order book


def test_a_reorg_rolls_back_through_the_journal(history: tuple[Path, dict[int, bytes], dict[int, list[InboxEntry]]], tmp_path: Path) -> None:
    path, roots, blocks = history
    copy = tmp_path / "copy.sqlite"
    source = Store(path)
    source.db.execute(f"VACUUM INTO '{copy}'")
    store = Store(copy)
    engine = Engine.restore(store.state.records())
    engine.revert(store.rollback_after(5))
    assert engine.state_root() == roots[5] == store.state.latest().state_root
    assert Engine.restore(store.state.records()).state_root() == roots[5]
    for number in (6, 7, 8):  # the same blocks again reach the same roots
        events = engine.apply(blocks[number], {})
        state = engine.commit()
        store.record_block(number, bytes(32), bytes(32), blocks[number], events, [state])
        assert state.state_root == roots[number]


def test_pruning_keeps_what_a_proof_or_an_exit_needs(history: tuple[Path, dict[int, bytes], dict[int, list[InboxEntry]]], tmp_path: Path) -> None:
    path, roots, blocks = history
    copy = tmp_path / "pruned.sqlite"
    Store(path).db.execute(f"VACUUM INTO '{copy}'")
    store = Store(copy)
    engine = Engine.restore(store.state.records())
    after_block_4 = blocks[4][-1].index + 1
    with store.transaction():
        assert store.state.prune(after_block_4) > 0
    with pytest.raises(StateStoreError):
        store.state.changed_since(blocks[3][-1].index + 1)
    assert engine.root_with(store.state.changed_since(after_block_4)) == roots[4]
    guest_input = guest_input_for_range(store, engine, blocks[5][0].index, blocks[8][-1].index + 1)
    values = clobnode_core.decode_public_values(clobnode_core.execute_guest_input(guest_input))
    assert values["new_state_root"] == "0x" + roots[8].hex()
    # A balance as it stood after block 4 (an escape against that root), though the head moved on.
    trader = bytes(blocks[5][0].sender)
    proof = engine.balance_proof(trader, QUOTE, store.state.changed_since(after_block_4))
    assert proof is not None and bytes(proof["root"]) == roots[4]


def test_a_range_can_end_inside_a_block_that_has_checkpoints_inside_it(tmp_path: Path) -> None:
    """A block bigger than the prover's range is committed every few entries, so ranges that
    start and end inside it are proven, and a reorg still removes the whole block."""
    core = clobnode_core.workload_engine(1_000, 100)
    engine = Engine(core)
    store = Store(tmp_path / "node.sqlite")
    base = core.inbox_next_index()
    store.record_genesis(0, engine.state_root(), engine.records(), base)
    big = _block(core, random.Random(3), 40)
    roots = {}
    checkpoints, events = [], []
    for at in range(0, 40, 16):  # checkpoints after entries 16, 32 and 40, all in L1 block 1
        events.extend(engine.apply(big[at : at + 16], {}))
        checkpoints.append(engine.commit())
        roots[checkpoints[-1].inbox_index] = checkpoints[-1].state_root
    store.record_block(1, bytes(32), bytes(32), big, events, checkpoints)
    assert store.state.indexes_after(base, base + 4096) == [base + 16, base + 32, base + 40]
    for start, end in ((base, base + 16), (base + 16, base + 32), (base + 16, base + 40)):
        guest_input = guest_input_for_range(store, engine, start, end)
        values = clobnode_core.decode_public_values(clobnode_core.execute_guest_input(guest_input))
        assert values["new_state_root"] == "0x" + roots[end].hex()
        assert (values["inbox_start"], values["inbox_end"]) == (start, end)
    engine.revert(store.rollback_after(0))
    assert engine.state_root() == store.state.latest().state_root and store.state.latest().inbox_index == base
