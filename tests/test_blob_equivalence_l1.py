"""Blob equivalence end to end on anvil (PROTOCOL.md section 13): the openings the node builds for
a proven blob batch pass the Rollup's point-evaluation check; a tampered y does not."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import clobnode_core
import pytest
from clobnode.config import L1Config, NodeConfig, SettlerConfig, StoreConfig
from clobnode.da import equivalence, kzg
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import L1Client, L1Error
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.node import Node
from clobnode.roles.settler import header_tuple
from devnet_node import TRADER_A, TRADER_B
from eth_account import Account
from web3 import Web3

pytestmark = pytest.mark.devnet

PROPOSER = Account.from_key(DEV_PRIVATE_KEYS[0])


def _selector(signature: str) -> bytes:
    return bytes(Web3.keccak(text=signature)[:4])


@pytest.fixture
def proven_blob_batch(anvil: Any, tmp_path: Path) -> tuple[L1Client, Deployment, Node]:
    """A devnet whose inbox holds one two-blob batch of crossing orders, proven (not settled)."""
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    demo.mint_and_deposit(l1, dep, TRADER_A, dep.quote_token, 10**12)
    demo.mint_and_deposit(l1, dep, TRADER_B, dep.base_token, 10**21)
    envelopes = [
        signed_order(TRADER_A, dep.chain_id, dep.inbox, market=0, side=0, price=100, quantity=5, nonce=1),
        signed_order(TRADER_B, dep.chain_id, dep.inbox, market=0, side=1, price=90, quantity=5, nonce=1),
    ]
    # Incompressible malformed envelopes (rejected one by one) that push the batch into a second blob.
    padding = [b"".join(hashlib.sha256(bytes([i, j % 256, j // 256])).digest() for j in range(1875)) for i in range(3)]
    blobs = clobnode_core.encode_blob_batch(envelopes + padding)
    assert len(blobs) == 2
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    fee = int(inbox.functions.blobFee().call()) * len(blobs)
    l1.send_blob_transaction(PROPOSER, dep.inbox, demo.calldata(inbox, "proposeBatch"), blobs, value=fee)
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url),
        store=StoreConfig(path=tmp_path / "node.sqlite"),
        settler=SettlerConfig(private_key=DEV_PRIVATE_KEYS[3]),
    )
    node = Node(config, dep, l1)
    node.sync()
    return l1, dep, node


def test_blob_batch_openings_are_accepted_by_the_point_evaluation_check(proven_blob_batch: Any) -> None:
    l1, dep, node = proven_blob_batch
    batch = node.prove_next()
    assert batch is not None
    openings = equivalence.openings_for_range(node.store, batch.inbox_start, batch.inbox_end)
    assert len(openings) == 2
    assert node.da.versioned_hashes() == [o.versioned_hash for o in openings]  # kept RS-coded
    equivalence.check_blobs_hash(openings, batch.public_values)
    assert clobnode_core.decode_public_values(batch.public_values)["blobs_hash"] != "0x" + "00" * 32
    assert all(kzg.verify_point_proof(o.commitment, o.z, o.y, o.proof) for o in openings)
    node.prove_and_settle()
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    assert rollup.functions.nextInboxIndex().call() == batch.inbox_end
    assert bytes(rollup.functions.stateRoot().call()) == node.engine.state_root()


def test_tampered_y_is_rejected_by_the_rollup(proven_blob_batch: Any) -> None:
    l1, dep, node = proven_blob_batch
    batch = node.prove_next()
    assert batch is not None
    openings = equivalence.openings_for_range(node.store, batch.inbox_start, batch.inbox_end)
    bad_y = ((int.from_bytes(openings[1].y, "big") + 1) % kzg.BLS_MODULUS).to_bytes(32, "big")
    tampered = [o.as_tuple() for o in openings]
    tampered[1] = (tampered[1][0], tampered[1][1], bad_y, tampered[1][3], tampered[1][4])
    rollup = load_artifact("Rollup").at(l1, dep.rollup)
    settler = Account.from_key(DEV_PRIVATE_KEYS[3])

    def submit(header: tuple[Any, ...]) -> bytes:
        data = demo.calldata(rollup, "submitBatch", header, tampered, batch.proof)
        with pytest.raises(L1Error) as refused:
            l1.send_transaction(settler, dep.rollup, data)
        l1.reset_nonce(settler.address)
        return refused.value.revert_data or b""

    # The proof's blobsHash binds y: the tampered openings do not hash to it.
    assert submit(header_tuple(batch.public_values)).startswith(_selector("BlobsHashMismatch(bytes32,bytes32)"))
    # Even with a header that matches them (only the INSECURE mock verifier would accept such a
    # header), the point-evaluation precompile refuses the tampered y.
    forged = clobnode_core.blobs_hash([{"versioned_hash": t[0], "z": t[1], "y": t[2]} for t in tampered])
    header = (*header_tuple(batch.public_values)[:7], bytes(forged))
    assert submit(header).startswith(_selector("BlobOpeningRejected(uint256)"))
    assert rollup.functions.nextInboxIndex().call() == batch.inbox_start
