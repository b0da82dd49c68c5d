"""Foundry fixtures of proven batches (`clobnode export-fixture`, scripts/make-devnet-fixture.py):
what `forge test --mc ExportedBatchTest` needs to rebuild the Inbox by replaying its entries from
L1 and to settle the batch on a Rollup positioned at the batch's start (docs/OPERATING.md)."""

from __future__ import annotations

from typing import Any

import clobnode_core

from clobnode.da import equivalence
from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.roles.settler import header_tuple
from clobnode.storage.store import BatchRecord, Store

HEADER_FIELDS = (
    "prev_state_root", "new_state_root", "inbox_start", "inbox_end",
    "inbox_start_acc", "inbox_end_acc", "withdrawals_root", "blobs_hash",
)


class FixtureError(ClobnodeError):
    """The batch cannot be written as a fixture."""


def inbox_entries(l1: L1Client, dep: Deployment, end: int) -> list[dict[str, Any]]:
    """Inbox entries [0, end) as their `EntryAppended` logs on L1 show them."""
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    logs = inbox.events.EntryAppended().get_logs(from_block=dep.deploy_block, to_block=l1.block_number())
    by_index = {int(log.args["index"]): log.args for log in logs}
    missing = [i for i in range(end) if i not in by_index]
    if missing:
        raise FixtureError(f"the L1 RPC returned no EntryAppended log for inbox entries {missing[:5]}…")
    return [
        {
            "index": i, "kind": int(by_index[i]["kind"]), "sender": by_index[i]["sender"],
            "l1_block": int(by_index[i]["l1Block"]), "l1_timestamp": int(by_index[i]["l1Timestamp"]),
            "payload": to_hex(bytes(by_index[i]["payload"])), "acc": to_hex(bytes(by_index[i]["acc"])),
        }
        for i in range(end)
    ]


def inbox_creation(l1: L1Client, dep: Deployment) -> dict[str, Any]:
    """Who created the Inbox, at which nonce, and its constructor's fees, read from L1 (Foundry
    rebuilds it at the same address, which the orders' EIP-712 domain names)."""
    block = l1.w3.eth.get_block(dep.deploy_block, full_transactions=True)
    for tx in block["transactions"]:
        assert not isinstance(tx, bytes)  # full transactions
        receipt = l1.w3.eth.get_transaction_receipt(tx["hash"])
        if receipt["contractAddress"] is not None and receipt["contractAddress"].lower() == dep.inbox.lower():
            inbox = load_artifact("Inbox").at(l1, dep.inbox)
            return {
                "address": dep.inbox, "vault": dep.vault, "deployer": tx["from"], "deployer_nonce": int(tx["nonce"]),
                "entry_fee": int(inbox.functions.entryFee().call()), "blob_fee": int(inbox.functions.blobFee().call()),
                "fee_recipient": inbox.functions.feeRecipient().call(),
            }
    raise FixtureError(f"no transaction in L1 block {dep.deploy_block} created the Inbox {dep.inbox}")


def batch_fixture(store: Store, l1: L1Client, dep: Deployment, batch: BatchRecord, comment: str) -> dict[str, Any]:
    """The fixture of a proven `batch`: header, public values, proof, blob openings, the Inbox's
    entries up to the batch's end and how to rebuild it."""
    if not batch.public_values:
        raise FixtureError(f"batch {batch.id} is {batch.status}: it has no proof yet")
    header: dict[str, bytes | int] = dict(zip(HEADER_FIELDS, header_tuple(batch.public_values), strict=True))
    openings = equivalence.openings_for_range(store, batch.inbox_start, batch.inbox_end)
    equivalence.check_blobs_hash(openings, batch.public_values)
    return {
        "comment": comment,
        "backend": batch.backend,
        "insecure": batch.backend == "mock" or not batch.proof,
        "chain_id": dep.chain_id,
        "vkey": to_hex(dep.program_vkey),
        "public_values": to_hex(batch.public_values),
        "decoded": clobnode_core.decode_public_values(batch.public_values),
        "proof": to_hex(batch.proof),
        "header": {k: (v if isinstance(v, int) else to_hex(v)) for k, v in header.items()},
        "blob_openings": [
            dict(zip(("versioned_hash", "z", "y", "commitment", "proof"), [to_hex(v) for v in o.as_tuple()], strict=True))
        for o in openings
        ],
        "inbox": {**inbox_creation(l1, dep), "entries": inbox_entries(l1, dep, batch.inbox_end)},
    }
