"""The proposer: fills blobs up to the L1's limit, prices blob gas from the blob base fee,
replaces stuck transactions, and never loses an accepted order (dropped or reorged out)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from clobnode.api.admission import Admission
from clobnode.config import (
    AdmissionConfig,
    L1Config,
    NodeConfig,
    ProposerConfig,
    StoreConfig,
)
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS, Anvil, AnvilConfig
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import Fees, L1Client
from clobnode.l1.contracts import Deployment
from clobnode.node import Node
from clobnode.roles.proposer import bumped, take_batch
from eth_account import Account

TRADER = Account.from_key(DEV_PRIVATE_KEYS[1])


def _noise(i: int, length: int) -> bytes:
    return b"".join(hashlib.sha256(i.to_bytes(4, "big") + j.to_bytes(4, "big")).digest() for j in range(length // 32 + 1))[:length]


def test_take_batch_fills_blobs_with_compression_counted() -> None:
    orders = [(i, bytes(70) + _noise(i, 80)) for i in range(3000)]  # half zeros: compresses
    taken = take_batch(orders, 1)
    assert len(clobnode_core.encode_blob_batch([e for _, e in taken])) == 1
    assert len(clobnode_core.encode_blob_batch([e for _, e in orders[: len(taken) + 1]])) == 2
    assert len(taken) > clobnode_core.blob_batch_capacity() // 152  # more than uncompressed would fit
    assert take_batch([], 6) == []


def test_replacement_fees_follow_the_mempool_bump_rules() -> None:
    fees, blob_fee = bumped(Fees(100, 10), 1000, Fees(50, 5), 10)
    assert fees.max_fee_per_gas >= 110 and fees.max_priority_fee_per_gas >= 11
    assert blob_fee >= 2000
    fees, blob_fee = bumped(Fees(100, 10), 1000, Fees(500, 50), 9000)
    assert (fees.max_fee_per_gas, fees.max_priority_fee_per_gas, blob_fee) == (500, 50, 9000)


@pytest.mark.devnet
@pytest.mark.parametrize(("hardfork", "limit"), [(None, 6), ("prague", 9), ("cancun", 6)])
def test_blob_limit_per_tx_comes_from_eth_config(hardfork: str | None, limit: int) -> None:
    with Anvil(AnvilConfig(hardfork=hardfork)) as anvil:
        assert L1Client(anvil.url).blob_limit_per_tx() == limit


def _proposing_node(l1: L1Client, dep: Deployment, tmp_path: Path, **proposer: Any) -> Node:
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url),
        store=StoreConfig(path=tmp_path / "node.sqlite"),
        proposer=ProposerConfig(private_key=demo.PROPOSER_KEY, **proposer),
    )
    return Node(config, dep, l1)


def _node_with_mining_paused(anvil: Any, tmp_path: Path, **proposer: Any) -> tuple[L1Client, Deployment, Node]:
    """A funded devnet and a proposing node that has derived it; then anvil mines only when told."""
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    node = _proposing_node(l1, dep, tmp_path, **proposer)
    node.sync()
    l1.rpc("evm_setAutomine", [False])
    return l1, dep, node


def _accept_order(node: Node, dep: Deployment, nonce: int) -> int:
    """An order of a funded trader, admitted as the API would (the node has derived the deposits)."""
    envelope = signed_order(TRADER, dep.chain_id, dep.inbox, market=0, side=0, price=100, quantity=1, nonce=nonce)
    order_id, _ = node.store.add_api_order(envelope, Admission(node.engine, node.store, AdmissionConfig()).admit(envelope))
    return order_id


@pytest.mark.devnet
def test_stuck_blob_tx_is_replaced_with_bumped_fees_and_the_same_sidecar(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    node = _proposing_node(l1, dep, tmp_path, replace_after_s=0.3, inclusion_wait_s=0.05)
    assert node.proposer is not None
    node.sync()
    order_id = _accept_order(node, dep, 1)
    l1.rpc("evm_setAutomine", [False])
    assert node.proposer.step() is None  # sent, not mined
    (first_hash,) = node.proposer.in_flight()[0].tx_hashes
    first = l1.rpc("eth_getTransactionByHash", ["0x" + first_hash.hex()])
    time.sleep(0.35)
    assert node.proposer.step() is None  # stuck past replace_after_s: replaced
    replacement_hash = node.proposer.in_flight()[0].tx_hashes[-1]
    replacement = l1.rpc("eth_getTransactionByHash", ["0x" + replacement_hash.hex()])
    assert l1.rpc("eth_getTransactionByHash", ["0x" + first_hash.hex()]) is None  # evicted by the replacement
    assert first["nonce"] == replacement["nonce"]
    assert first["blobVersionedHashes"] == replacement["blobVersionedHashes"]
    assert int(replacement["maxFeePerBlobGas"], 16) >= 2 * int(first["maxFeePerBlobGas"], 16)
    assert int(replacement["maxPriorityFeePerGas"], 16) >= int(first["maxPriorityFeePerGas"], 16) * 11 // 10
    assert node.store.api_order(order_id)["status"] == "submitted"  # type: ignore[index]
    l1.rpc("evm_mine")
    posted = node.proposer.step()
    assert posted is not None
    order = node.store.api_order(order_id)
    assert order is not None and order["status"] == "posted" and order["tx_hash"] == posted
    assert int(l1.rpc("eth_getTransactionByHash", [posted])["maxFeePerBlobGas"], 16) >= int(replacement["maxFeePerBlobGas"], 16)


@pytest.mark.devnet
def test_order_whose_blob_tx_is_reorged_out_is_proposed_again(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    node = _proposing_node(l1, dep, tmp_path)
    assert node.proposer is not None
    node.sync()
    fork_point = l1.rpc("evm_snapshot")
    order_id = _accept_order(node, dep, 1)
    first_tx = node.proposer.step()
    assert first_tx is not None
    node.sync()
    assert node.store.api_order(order_id)["status"] == "posted"  # type: ignore[index]
    l1.rpc("evm_revert", [fork_point])  # the blob tx's block is gone
    l1.rpc("anvil_mine", ["0x3"])  # a longer fork without it
    node.sync()  # detects the reorg, rolls back: the order is pending again
    assert node.store.api_order(order_id)["status"] == "pending"  # type: ignore[index]
    again = node.proposer.step()
    assert again is not None
    node.sync()
    assert node.store.api_order(order_id)["status"] == "posted"  # type: ignore[index]
    assert any(e.kind == 4 for e in node.store.entries(0, 1000))


class _Killed(BaseException):
    """Stands for the process dying at this point (nothing after it runs)."""


@pytest.mark.devnet
@pytest.mark.parametrize("dies", ["before_send", "after_send"])
def test_a_proposer_killed_around_its_send_resends_the_same_tx_after_a_restart(anvil: Any, tmp_path: Path, dies: str, monkeypatch: pytest.MonkeyPatch) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    node = _proposing_node(l1, dep, tmp_path)
    assert node.proposer is not None
    node.sync()
    order_ids = [_accept_order(node, dep, nonce) for nonce in (1, 2, 3)]
    send = l1.send_raw_transaction
    l1.rpc("evm_setAutomine", [False])

    def dying_send(raw: bytes) -> None:
        if dies == "after_send":
            send(raw)
        raise _Killed

    monkeypatch.setattr(l1, "send_raw_transaction", dying_send)
    with pytest.raises(_Killed):
        node.proposer.step()
    monkeypatch.setattr(l1, "send_raw_transaction", send)
    (written,) = node.store.blob_txs_in_flight()[0][0].tx_hashes
    node.store.close()

    restarted = _proposing_node(l1, dep, tmp_path)  # sends the written tx again, the same bytes
    assert restarted.proposer is not None
    assert l1.rpc("eth_getTransactionByHash", ["0x" + written.hex()]) is not None
    l1.rpc("evm_mine")
    l1.rpc("evm_setAutomine", [True])
    assert restarted.proposer.step() == "0x" + written.hex()
    restarted.sync()
    assert restarted.store.blob_txs_in_flight() == []
    assert [restarted.store.api_order(i)["status"] for i in order_ids] == ["posted"] * 3  # type: ignore[index]
    assert [e.kind for e in restarted.store.entries(0, 1000)].count(4) == 1  # one blob batch, not two
    assert restarted.proposer.step() is None  # nothing left to post


@pytest.mark.devnet
def test_a_proposer_restarted_while_its_tx_is_stuck_replaces_it_with_a_rebuilt_sidecar(anvil: Any, tmp_path: Path) -> None:
    l1 = L1Client(anvil.url)
    dep = demo.deploy_and_fund(l1)
    node = _proposing_node(l1, dep, tmp_path, inclusion_wait_s=0.05)
    assert node.proposer is not None
    node.sync()
    order_id = _accept_order(node, dep, 1)
    l1.rpc("evm_setAutomine", [False])
    node.proposer.step()
    (first_hash,) = node.proposer.in_flight()[0].tx_hashes
    node.store.close()

    restarted = _proposing_node(l1, dep, tmp_path, replace_after_s=0.2, inclusion_wait_s=0.05)
    assert restarted.proposer is not None
    time.sleep(0.25)
    restarted.proposer.step()  # stuck past replace_after_s: replaced, the sidecar rebuilt from the orders
    replacement_hash = restarted.proposer.in_flight()[0].tx_hashes[-1]
    assert replacement_hash != first_hash
    first = l1.rpc("eth_getTransactionByHash", ["0x" + replacement_hash.hex()])
    assert first is not None and int(first["nonce"], 16) == int(l1.rpc("eth_getTransactionCount", [demo_proposer(), "latest"]), 16)
    l1.rpc("evm_mine")
    l1.rpc("evm_setAutomine", [True])
    assert restarted.proposer.step() == "0x" + replacement_hash.hex()
    assert restarted.store.api_order(order_id)["status"] == "posted"  # type: ignore[index]


@pytest.mark.devnet
def test_batches_are_pipelined_up_to_max_in_flight_and_land_in_nonce_order(anvil: Any, tmp_path: Path) -> None:
    """While a blob tx waits for its block, the next orders go out in the next nonce's tx: an
    order never waits for the block of the batch before it (at most `max_in_flight` at once)."""
    l1, dep, node = _node_with_mining_paused(anvil, tmp_path, max_in_flight=2, send_interval_s=0)
    assert node.proposer is not None
    orders = []
    for nonce in (1, 2, 3):
        orders.append(_accept_order(node, dep, nonce))
        assert node.proposer.step() is None
    flights = node.proposer.in_flight()
    assert [f.order_ids for f in flights] == [orders[:1], orders[1:2]]  # the third waits: two in flight
    assert flights[1].nonce == flights[0].nonce + 1
    assert [r.nonce for r, _ in node.store.blob_txs_in_flight()] == [f.nonce for f in flights]
    assert node.store.api_order(orders[2])["status"] == "pending"  # type: ignore[index]
    l1.rpc("evm_mine")  # both in one block
    assert node.proposer.step() == "0x" + flights[1].tx_hashes[-1].hex()  # the third goes out as they land
    assert [node.store.api_order(i)["status"] for i in orders[:2]] == ["posted"] * 2  # type: ignore[index]
    l1.rpc("evm_mine")
    l1.rpc("evm_setAutomine", [True])
    assert node.proposer.step() is not None and node.proposer.in_flight() == []
    node.sync()
    assert node.store.blob_txs_in_flight() == []
    assert [node.store.api_order(i)["status"] for i in orders] == ["posted"] * 3  # type: ignore[index]
    batches = [e for e in node.store.entries(0, 1000) if e.kind == 4]
    assert len(batches) == 3
    assert [event["type"] for event in node.store.events_in_range(0, 1000, "accepted")] == ["accepted"] * 3


def demo_proposer() -> str:
    return str(Account.from_key(demo.PROPOSER_KEY).address)


@pytest.mark.devnet
def test_with_a_batch_in_flight_the_next_waits_for_the_send_interval(anvil: Any, tmp_path: Path) -> None:
    """The in-flight transactions spread over the slot: with one in flight, the next goes out once
    `send_interval_s` has passed since the last (at once when a full transaction waits)."""
    l1, dep, node = _node_with_mining_paused(anvil, tmp_path, max_in_flight=4, send_interval_s=0.5)
    assert node.proposer is not None
    first = _accept_order(node, dep, 1)
    node.proposer.step()
    assert [f.order_ids for f in node.proposer.in_flight()] == [[first]]  # none in flight: at once
    second = _accept_order(node, dep, 2)
    node.proposer.step()
    assert len(node.proposer.in_flight()) == 1 and node.store.api_order(second)["status"] == "pending"  # type: ignore[index]
    time.sleep(0.5)
    node.proposer.step()
    assert [f.order_ids for f in node.proposer.in_flight()] == [[first], [second]]
    l1.rpc("evm_setAutomine", [True])
