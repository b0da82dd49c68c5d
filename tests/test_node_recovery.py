"""The node's state is a pure function of L1: restarts, fresh nodes and reorgs all converge on L1's state."""

from __future__ import annotations

from pathlib import Path

import pytest
from clobnode.config import (
    L1Config,
    NodeConfig,
    ProverConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.dev import demo
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.node import Node
from devnet_node import TRADER_A, TRADER_B, relay_order, settle_to

pytestmark = pytest.mark.devnet

def _follower(l1: L1Client, dep: Deployment, db: Path) -> Node:
    """A node that only follows L1 (no proposer, no settler)."""
    return Node(NodeConfig(l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=db)), dep, l1)


def test_fresh_node_reconstructs_the_same_state_root_from_l1_alone(funded: tuple[L1Client, Deployment], tmp_path: Path) -> None:
    l1, dep = funded
    relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=50, nonce=1)
    relay_order(l1, dep, TRADER_B, side=1, price=90, quantity=20, nonce=1)
    first = _follower(l1, dep, tmp_path / "first.sqlite")
    first.sync()
    second = _follower(l1, dep, tmp_path / "second.sqlite")
    second.sync()
    assert first.engine.inbox_position()[0] == 4
    assert second.engine.state_root() == first.engine.state_root()


def test_restarted_node_resumes_from_its_database(funded: tuple[L1Client, Deployment], tmp_path: Path) -> None:
    l1, dep = funded
    db = tmp_path / "node.sqlite"
    node = _follower(l1, dep, db)
    node.sync()
    node.store.close()
    relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=50, nonce=1)
    restarted = _follower(l1, dep, db)
    assert restarted.engine.inbox_position()[0] == 2  # restored from its stored state leaves, not from genesis
    restarted.sync()
    reference = _follower(l1, dep, tmp_path / "reference.sqlite")
    reference.sync()
    assert restarted.engine.state_root() == reference.engine.state_root()


def test_reorg_rolls_back_to_the_common_ancestor_and_rederives(funded: tuple[L1Client, Deployment], tmp_path: Path) -> None:
    l1, dep = funded
    node = _follower(l1, dep, tmp_path / "node.sqlite")
    node.sync()
    fork_point = l1.rpc("evm_snapshot")
    relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=50, nonce=1)
    node.sync()
    orphaned_root = node.engine.state_root()
    assert node.engine.inbox_position()[0] == 3

    l1.rpc("evm_revert", [fork_point])
    l1.reset_nonce(TRADER_A.address)
    l1.reset_nonce(TRADER_B.address)
    relay_order(l1, dep, TRADER_B, side=1, price=120, quantity=7, nonce=1)
    l1.rpc("anvil_mine", [2])
    node.sync()  # detects the reorg and rolls back
    node.sync()  # re-derives the new branch
    reference = _follower(l1, dep, tmp_path / "reference.sqlite")
    reference.sync()
    assert node.engine.state_root() == reference.engine.state_root() != orphaned_root
    assert node.engine.account(bytes.fromhex(TRADER_A.address[2:]))["open_orders"] == []


def test_a_block_with_more_entries_than_a_proof_may_cover_is_proven_in_ranges_ending_inside_it(
    funded: tuple[L1Client, Deployment], tmp_path: Path
) -> None:
    l1, dep = funded
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    l1.rpc("evm_setAutomine", [False])
    try:
        for nonce in range(1, 11):  # 20 entries in one L1 block: 10 bids, 10 asks crossing them
            for trader, side in ((TRADER_A, 0), (TRADER_B, 1)):
                envelope = signed_order(trader, dep.chain_id, dep.inbox, market=0, side=side, price=100, quantity=1, nonce=nonce, expiry=0)
                l1.submit_transaction(trader, dep.inbox, demo.calldata(inbox, "relaySigned", envelope), gas=500_000)
        l1.rpc("evm_mine")
    finally:
        l1.rpc("evm_setAutomine", [True])
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=tmp_path / "node.sqlite", checkpoint_entries=4),
        prover=ProverConfig(max_range=6), settler=SettlerConfig(private_key=demo.SETTLER_KEY),
    )
    node = Node(config, dep, l1)
    node.sync()
    block = node.store.entries(2, 22)
    assert len(block) == 20 and len({e.l1_block for e in block}) == 1
    settle_to(node, dep, 22)
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    assert [(b.inbox_start, b.inbox_end) for b in reversed(node.store.batches())] == [(0, 6), (6, 10), (10, 14), (14, 18), (18, 22)]
    assert rollup.functions.nextInboxIndex().call() == 22
    assert bytes(rollup.functions.stateRoot().call()) == node.engine.state_root()


def test_a_checkpoint_interval_above_the_proof_range_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="checkpoint_entries"):
        NodeConfig(l1=L1Config(rpc_url="http://127.0.0.1:1"), store=StoreConfig(path=tmp_path / "x", checkpoint_entries=5000))


def test_the_journal_is_pruned_only_below_both_the_verified_index_and_the_reorg_window(
    funded: tuple[L1Client, Deployment], tmp_path: Path
) -> None:
    l1, dep = funded
    relay_order(l1, dep, TRADER_A, side=0, price=100, quantity=1, nonce=1)
    relay_order(l1, dep, TRADER_B, side=1, price=100, quantity=1, nonce=1)
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=tmp_path / "node.sqlite", reorg_window_blocks=3),
        settler=SettlerConfig(private_key=demo.SETTLER_KEY),
    )
    node = Node(config, dep, l1)
    settle_to(node, dep, 4)
    assert node.store.state.journal_floor() == 0  # the last blocks are within the reorg window: nothing pruned
    l1.rpc("anvil_mine", [5])
    node.sync()
    node.prove_and_settle()
    assert node.store.state.journal_floor() == 4  # the verified index: a proof or an exit may still need it
    assert node.store.state.at_index(4) is not None and node.store.state.at_index(2) is None
