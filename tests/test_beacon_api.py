"""Blobs by slot from a beacon API: a node that did not post a blob batch fetches its blobs from a
beacon node (`[l1] beacon_url`, `beacon_block_id = "slot"`), as on a real network, verifies them
against their versioned hashes, and derives the same exchange as the node that posted them.

The L1 is anvil, mining one block per 12-second slot; the blob batches are posted by a real
node's proposer through its API; the beacon node is `beacon_api.BeaconApi`, fed the sidecars of
those blobs (read back from anvil, KZG commitments and proofs from ckzg) at the slot of their block.
"""

from __future__ import annotations

import json
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from pathlib import Path
from typing import Any

import pytest
from beacon_api import BeaconApi, Sidecar, beacon_api, slot_of
from clobnode.config import L1Config, NodeConfig, StoreConfig
from clobnode.da import kzg
from clobnode.dev import demo
from clobnode.dev.devnet import Anvil, AnvilConfig
from clobnode.l1.client import (
    L1Client,
    L1Error,
    beacon_genesis_time,
    fetch_beacon_blobs,
)
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.l1.derivation import KIND_BLOB_BATCH
from clobnode.node import Node
from clobnode.trader.client import Client, ClientError
from devnet_node import start_node
from eth_account import Account
from waiting import until

pytestmark = pytest.mark.devnet

SECONDS_PER_SLOT = 12
#: The beacon chain starts this many slots before the devnet's first block, so slots are not
#: block numbers.
SLOTS_BEFORE_FIRST_BLOCK = 7
PRICE = 200_000


@dataclass(frozen=True)
class PostedBatches:
    """A devnet on which a proposing node posted blob batches, and what it derived from them."""

    l1: L1Client
    deployment: Deployment
    genesis_time: int  # the beacon chain's
    sidecars: dict[int, tuple[Sidecar, ...]]  # by slot: the blobs of each block with blob batches
    blocks: dict[int, int]  # the same slots' L1 block numbers
    first_batch_index: int  # the Inbox index of the first blob batch
    inbox_count: int
    state_root: bytes


def _order_derived(client: Client, nonce: int) -> bool:
    try:
        return client.orders(nonce=nonce, market=0)["status"] in ("resting", "partially_filled", "filled")
    except ClientError:
        return False


@pytest.fixture(scope="module")
def posted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostedBatches]:
    """Two blob batches (a resting buy, then a sell that fills part of it), each in its own block,
    posted by a node's proposer; the node is stopped once it derived them."""
    with Anvil(AnvilConfig()) as anvil:
        l1 = L1Client(anvil.url)
        l1.rpc("anvil_setBlockTimestampInterval", [SECONDS_PER_SLOT])  # one block a slot, none missed
        genesis_time = int(l1.rpc("eth_getBlockByNumber", ["0x0", False])["timestamp"], 16) - SLOTS_BEFORE_FIRST_BLOCK * SECONDS_PER_SLOT
        dep = demo.deploy_and_fund(l1)
        inbox = load_artifact("Inbox").at(l1, dep.inbox)
        service = start_node(l1, dep, tmp_path_factory.mktemp("proposer"))
        try:
            until(lambda: service.node.engine.inbox_position()[0] == int(inbox.functions.count().call()), "the deposits to be derived")
            buyer, seller = (Client(service.api_url, Account.from_key(key)) for key in demo.TRADERS.values())
            buyer.order(0, "buy", PRICE, 10, nonce=1, expiry=0)
            until(lambda: _order_derived(buyer, 1), "the buy to rest")
            seller.order(0, "sell", PRICE, 4, nonce=1, expiry=0)
            until(lambda: _order_derived(seller, 1), "the sell to fill")
        finally:
            service.stop()
        count = int(inbox.functions.count().call())
        assert service.node.engine.inbox_position()[0] == count
        batches = [e for e in service.node.store.entries(0, count) if e.kind == KIND_BLOB_BATCH]
        sidecars: dict[int, tuple[Sidecar, ...]] = {}
        blocks: dict[int, int] = {}
        for block, in_block in groupby(batches, key=lambda e: e.l1_block):
            entries = list(in_block)
            slot = slot_of(entries[0].l1_timestamp, genesis_time, SECONDS_PER_SLOT)
            sidecars[slot] = tuple(Sidecar.of(l1.get_blob(h)) for e in entries for h in e.versioned_hashes())
            blocks[slot] = block
        assert len(sidecars) == 2
        yield PostedBatches(l1, dep, genesis_time, sidecars, blocks, batches[0].index, count, service.node.engine.state_root())


def _follower(posted: PostedBatches, beacon: BeaconApi | str, data_dir: Path) -> Node:
    """A node that only follows L1, with an empty store, reading blobs from `beacon` by slot."""
    url = beacon if isinstance(beacon, str) else beacon.url
    l1 = L1Config(rpc_url=posted.l1.url, poll_interval_s=0.1, beacon_url=url, beacon_block_id="slot", seconds_per_slot=SECONDS_PER_SLOT)
    return Node(NodeConfig(l1=l1, store=StoreConfig(path=data_dir / "follower.sqlite")), posted.deployment, posted.l1)


def _serve(beacon: BeaconApi, posted: PostedBatches) -> None:
    for slot, sidecars in posted.sidecars.items():
        beacon.put(slot, sidecars)


def _caught_up(node: Node, posted: PostedBatches) -> bool:
    return node.step() and int(node.engine.inbox_position()[0]) == posted.inbox_count


def _get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_follower_derives_blob_batches_from_a_beacon_api_by_slot(posted: PostedBatches, tmp_path: Path) -> None:
    with beacon_api(posted.genesis_time, SECONDS_PER_SLOT) as beacon:
        _serve(beacon, posted)
        follower = _follower(posted, beacon, tmp_path)
        until(lambda: _caught_up(follower, posted), "the follower to derive every entry", 30)
        assert follower.engine.state_root() == posted.state_root
        assert beacon.served_slots("blobs") == sorted(posted.sidecars)  # once each, by slot
        assert beacon.served_slots("blob_sidecars") == []
    assert all(slot != block for slot, block in posted.blocks.items())
    for sidecars in posted.sidecars.values():
        for sidecar in sidecars:
            versioned_hash = kzg.versioned_hash(sidecar.kzg_commitment)
            assert follower.store.get_blob(versioned_hash) == sidecar.blob  # kept, and RS-coded in the DA store
            assert follower.da.recover(versioned_hash).blob == sidecar.blob


@pytest.mark.parametrize(
    ("route", "refusal"),
    [
        ("blobs", "lacks blobs"),  # no commitment on this route: the blob hashes to another versioned hash
        ("blob_sidecars", "beacon blob does not match its commitment"),
    ],
)
def test_blob_that_does_not_match_its_commitment_is_not_applied_and_is_fetched_again(
    posted: PostedBatches, tmp_path: Path, make_blob: Callable[[int], bytes], route: str, refusal: str
) -> None:
    first_slot = min(posted.sidecars)
    right = posted.sidecars[first_slot]
    wrong = (replace(right[0], blob=make_blob(7)), *right[1:])  # the block's commitment, another blob
    with beacon_api(posted.genesis_time, SECONDS_PER_SLOT) as beacon:
        if route == "blob_sidecars":
            beacon.blobs_route_refused = 404
        _serve(beacon, posted)
        beacon.put(first_slot, wrong)
        follower = _follower(posted, beacon, tmp_path)
        stop = threading.Event()
        loop = threading.Thread(target=follower.run, args=(stop,), daemon=True)
        loop.start()
        try:
            until(lambda: follower.health.failures >= 2, "the node to try the blob again")
            health = follower.health.as_json()
            assert health["live"] and not health["ready"]
            assert health["last_error"].startswith(f"sync: BlobUnavailable: blobs of L1 block {posted.blocks[first_slot]}: ")
            assert refusal in health["last_error"] and f"0x{kzg.versioned_hash(right[0].kzg_commitment).hex()}" in health["last_error"]
            assert follower.engine.inbox_position()[0] == posted.first_batch_index  # everything before it, not the batch
            assert follower.store.get_blob(kzg.versioned_hash(right[0].kzg_commitment)) is None

            beacon.put(first_slot, right)
            until(lambda: follower.health.as_json()["ready"] and follower.engine.inbox_position()[0] == posted.inbox_count, "the node to catch up", 30)
            assert follower.engine.state_root() == posted.state_root
            assert follower.health.failures == 0
        finally:
            stop.set()
            loop.join(30)
        assert beacon.served_slots(route).count(first_slot) >= 3  # refused twice or more, then taken


@pytest.mark.parametrize("refusal", [404, 400])
def test_slot_route_falls_back_to_blob_sidecars_when_blobs_is_not_served(posted: PostedBatches, tmp_path: Path, refusal: int) -> None:
    with beacon_api(posted.genesis_time, SECONDS_PER_SLOT) as beacon:
        beacon.blobs_route_refused = refusal  # a client from before Fulu
        _serve(beacon, posted)
        follower = _follower(posted, beacon, tmp_path)
        until(lambda: _caught_up(follower, posted), "the follower to derive every entry", 30)
        assert follower.engine.state_root() == posted.state_root
        assert beacon.served_slots("blobs") == beacon.served_slots("blob_sidecars") == sorted(posted.sidecars)


def test_beacon_api_double_answers_in_the_spec_shapes(posted: PostedBatches) -> None:
    slot = max(posted.sidecars)
    with beacon_api(posted.genesis_time, SECONDS_PER_SLOT) as beacon:
        beacon.put(slot, (*posted.sidecars[slot], Sidecar.of(posted.sidecars[min(posted.sidecars)][0].blob)))
        status, sidecars = _get(f"{beacon.url}/eth/v1/beacon/blob_sidecars/{slot}?indices=1")
        assert status == 200 and (sidecars["version"], sidecars["execution_optimistic"], sidecars["finalized"]) == ("electra", False, False)
        (sidecar,) = sidecars["data"]
        assert sidecar["index"] == "1" and sidecar["signed_block_header"]["message"]["slot"] == str(slot)
        assert len(sidecar["kzg_commitment_inclusion_proof"]) == 17 and len(sidecar["signed_block_header"]["signature"]) == 2 + 2 * 96
        second = kzg.versioned_hash(bytes.fromhex(sidecar["kzg_commitment"][2:]))
        status, blobs = _get(f"{beacon.url}/eth/v1/beacon/blobs/{slot}?versioned_hashes=0x{second.hex()}")
        assert status == 200 and blobs["data"] == [sidecar["blob"]]
        assert _get(f"{beacon.url}/eth/v1/beacon/blobs/{slot + 1}") == (404, {"code": 404, "message": "Block not found"})
        with pytest.raises(L1Error, match=rf"has no blobs for block {slot + 1} \(HTTP 404\)"):
            fetch_beacon_blobs(beacon.url, slot + 1, [second])


def test_beacon_genesis_time_is_read_from_the_beacon_api(posted: PostedBatches) -> None:
    with beacon_api(posted.genesis_time, SECONDS_PER_SLOT) as beacon:
        assert beacon_genesis_time(beacon.url) == posted.genesis_time
        assert _get(f"{beacon.url}/eth/v1/beacon/genesis")[1]["data"]["genesis_time"] == str(posted.genesis_time)


def test_unreachable_beacon_api_is_a_clear_error_and_the_node_waits_for_it(posted: PostedBatches, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(L1Error, match=rf"GET {url}/eth/v1/beacon/genesis: .*[Cc]onnection refused"):
        beacon_genesis_time(url)
    follower = _follower(posted, url, tmp_path)
    assert not follower.step()
    assert follower.health.last_error is not None
    assert follower.health.last_error.startswith(f"sync: BlobUnavailable: blobs of L1 block {posted.blocks[min(posted.sidecars)]}: GET {url}/eth/v1/beacon/genesis")
    assert follower.engine.inbox_position()[0] == posted.first_batch_index
