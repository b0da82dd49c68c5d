"""Blob retrieval: a following node gets its blobs from the L1 RPC or from the beacon-API shape
(anvil serves both), verified against their versioned hashes, and keeps them RS-coded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from clobnode.config import L1Config, NodeConfig, StoreConfig
from clobnode.da import kzg
from clobnode.dev import demo
from clobnode.l1.client import L1Client, L1Error, fetch_beacon_blobs
from clobnode.l1.contracts import load_artifact
from clobnode.node import Node
from eth_account import Account

pytestmark = pytest.mark.devnet


@pytest.mark.parametrize("beacon", [False, True], ids=["rpc", "beacon"])
def test_follower_fetches_verifies_and_keeps_the_blobs_of_a_batch(anvil: Any, tmp_path: Path, beacon: bool) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    blobs = clobnode_core.encode_blob_batch([bytes([i]) * 200 for i in range(3)])
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    proposer = Account.from_key(demo.PROPOSER_KEY)
    l1.send_blob_transaction(proposer, dep.inbox, demo.calldata(inbox, "proposeBatch"), blobs)
    config = NodeConfig(l1=L1Config(rpc_url=l1.url, beacon_url=anvil.url if beacon else None), store=StoreConfig(path=tmp_path / "n.sqlite"))
    node = Node(config, dep, l1)
    node.sync()
    versioned_hash = kzg.blob_versioned_hash(blobs[0])
    assert node.store.get_blob(versioned_hash) == blobs[0]
    assert node.da.recover(versioned_hash).blob == blobs[0]


def test_beacon_blobs_that_do_not_match_are_refused(anvil: Any) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    blobs = clobnode_core.encode_blob_batch([b"x" * 50])
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    proposer = Account.from_key(demo.PROPOSER_KEY)
    receipt = l1.send_blob_transaction(proposer, dep.inbox, demo.calldata(inbox, "proposeBatch"), blobs)
    with pytest.raises(L1Error, match="lacks blobs"):
        fetch_beacon_blobs(anvil.url, receipt.block_number, [b"\x01" + bytes(31)])


def test_rederiving_after_l1_pruned_a_blob_recovers_it_from_the_da_store(anvil: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    blobs = clobnode_core.encode_blob_batch([bytes([i]) * 300 for i in range(5)])
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    receipt = l1.send_blob_transaction(Account.from_key(demo.PROPOSER_KEY), dep.inbox, demo.calldata(inbox, "proposeBatch"), blobs)
    node = Node(NodeConfig(l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=tmp_path / "n.sqlite")), dep, l1)
    node.sync()
    root = node.engine.state_root()
    versioned_hash = kzg.blob_versioned_hash(blobs[0])
    for index in (0, 2, 4, 6):  # and some of its pieces are lost too
        node.da.delete_piece(versioned_hash, index)

    def pruned(_: bytes) -> bytes:
        raise L1Error("blob pruned")

    monkeypatch.setattr(l1, "get_blob", pruned)
    node.rollback(receipt.block_number - 1)  # re-derive the block (as after a reorg)
    assert node.store.get_blob(versioned_hash) is None
    node.sync()
    assert node.engine.state_root() == root
    assert node.store.get_blob(versioned_hash) == blobs[0]
