"""`clobnode bench derive`: how fast a node derives full blob batches from L1 (docs/BENCHMARKS.md).

An anvil with the contracts and funded bot traders; the bots' market flow (population.py: a
mix of limit and market orders and cancels) is signed, packed into full blobs and posted in
type-3 transactions of `blobs_per_tx` blobs, as many as the L1 takes in a block. Then a fresh
follower (no proposer, no settler, an empty store) derives every block, timed, and reports its
rate in signed messages a second (the blob blocks only: the follower has derived the deposits
before the blobs are posted) beside what the L1's blob limit lets through, with where its
time went: reading blocks, blobs (fetched, checked against their versioned hashes, stored with
their Reed-Solomon pieces), the engine (signatures, matching, the state tree), the store.
"""

from __future__ import annotations

import dataclasses
import logging
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import clobnode_core
from eth_account import Account

from clobnode.config import L1Config, NodeConfig, StoreConfig
from clobnode.da import kzg
from clobnode.dev import bot_traders, demo
from clobnode.dev.devnet import Anvil, AnvilConfig
from clobnode.l1.client import L1Client, L1Receipt
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.node import Node
from clobnode.roles.proposer import take_batch
from clobnode.trader.bots import population
from clobnode.trader.bots.replay import sign_actions
from clobnode.trader.bots.wallet import Wallet

BLOB_BYTES = 131_072  # and a blob uses as much blob gas
SLOT_S = 12
#: Blobs a block at most, by the L1's blob schedule (docs/BENCHMARKS.md, "Against Ethereum's blob limit").
MAX_BLOBS_PER_BLOCK = {"pectra": 9, "bpo1": 15, "bpo2": 21}


@dataclass(frozen=True, slots=True)
class DeriveConfig:
    blobs: int = 36  # full blobs posted
    blobs_per_tx: int = 6  # EIP-7594's limit a transaction
    traders: int = 64
    seed: int = 1


def fresh_follower(l1: L1Client, dep: Deployment, work: Path) -> Node:
    """A node that only follows L1 (no proposer, no settler), on an empty store under `work`,
    with the blob workers a node starts (`kzg.start_worker`)."""
    kzg.trusted_setup()  # loaded once a process (seconds): not part of the rate
    kzg.start_worker()
    kzg.wait_for_workers()  # each worker loads it too
    logging.getLogger("clobnode.roles.follower").setLevel(logging.WARNING)  # a line a block otherwise
    return Node(NodeConfig(l1=L1Config(rpc_url=l1.url), store=StoreConfig(path=work / "follower.sqlite")), dep, l1)


def _counts(node: Node) -> tuple[int, int, int]:
    """Engine events, signed messages applied, and inbox entries applied so far."""
    events = sum(int(c) for c in node.store.counts("events", "type").values())
    messages = int(node.store.db.execute("SELECT COUNT(*) FROM (SELECT DISTINCT idx, position FROM events WHERE position IS NOT NULL)").fetchone()[0])
    return events, messages, node.engine.inbox_position()[0]


def derive(node: Node, goal: int) -> dict[str, Any]:
    """`node` derives L1 until the inbox's first `goal` entries are applied, timed: entries and
    messages a second, and where the time went."""
    before, counted = dataclasses.replace(node.follower.spent), _counts(node)
    start = time.perf_counter()
    while node.engine.inbox_position()[0] < goal:
        if not node.sync():
            time.sleep(0.05)
    elapsed = time.perf_counter() - start
    spent = node.follower.spent
    blocks, read_s, apply_s = spent.blocks - before.blocks, spent.read_s - before.read_s, spent.apply_s - before.apply_s
    events, messages, _ = (now - then for now, then in zip(_counts(node), counted, strict=True))
    entries = goal - counted[2]
    return {"entries": entries, "seconds": round(elapsed, 3), "entriesPerS": round(entries / elapsed, 1), "events": events,
            "eventsPerS": round(events / elapsed), "messages": messages, "messagesPerS": round(messages / elapsed),
            "blocks": blocks, "readS": round(read_s, 3), "readMsPerBlock": round(read_s / max(1, blocks) * 1000, 2),
            "applyS": round(apply_s, 3), "messagesPerApplyS": round(messages / apply_s) if apply_s else None,
            "blobsS": round(spent.blobs_s - before.blobs_s, 3), "engineS": round(spent.engine_s - before.engine_s, 3),
            "recordS": round(spent.record_s - before.record_s, 3)}


def _signed_flow(config: DeriveConfig, dep: Deployment, keys: list[str]) -> list[bytes]:
    """The bots' flow, signed, enough to fill `config.blobs` blobs (about 1,300-1,700 a blob)."""
    wallets = [Wallet(key, dep.chain_id, dep.inbox) for key in keys]
    actions = population.actions(config.seed, len(wallets), rate_per_s=1_000.0, duration_s=config.blobs * 1.8)
    return [envelope for _, envelope in sign_actions(actions, wallets, int(dep.engine_markets()[0]["id"]))]


def _post(l1: L1Client, dep: Deployment, envelopes: list[bytes], config: DeriveConfig) -> list[int]:
    """Full blob batches of `envelopes` in type-3 transactions, sent together and mined block by
    block (anvil fits as many as the blob limit allows); returns the blobs of each block."""
    proposer = Account.from_key(demo.PROPOSER_KEY)
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    calldata = bytes.fromhex(inbox.encode_abi("proposeBatch", args=[])[2:])
    blob_fee = int(inbox.functions.blobFee().call())
    pending = list(enumerate(envelopes))
    batches: list[kzg.BlobSidecar] = []
    while pending and sum(len(b.blobs) for b in batches) < config.blobs:
        batch = take_batch(pending, config.blobs_per_tx)
        pending = pending[len(batch):]
        batches.append(kzg.build_sidecar(clobnode_core.encode_blob_batch([e for _, e in batch]), l1.sidecar_form()))
    first = l1.block_number() + 1
    l1.rpc("evm_setAutomine", [False])
    nonce = l1.next_nonce(proposer.address)
    sent = [l1.submit_blob_transaction(proposer, dep.inbox, calldata, sidecar, value=blob_fee * len(sidecar.blobs), nonce=nonce + i, gas=500_000)
            for i, sidecar in enumerate(batches)]
    receipts: dict[bytes, L1Receipt] = {}
    while len(receipts) < len(sent):
        l1.rpc("evm_mine", [])
        receipts.update({h: r for h in sent if h not in receipts and (r := l1.get_receipt(h)) is not None})
    if any(r.status != 1 for r in receipts.values()):
        raise RuntimeError("a blob batch transaction reverted")
    return blobs_per_block(l1, first, l1.block_number())


def blobs_per_block(l1: L1Client, first: int, last: int) -> list[int]:
    """The blobs of each L1 block in [first, last] (its header's blobGasUsed)."""
    return [int(l1.get_block(n).get("blobGasUsed", 0)) // BLOB_BYTES for n in range(first, last + 1)]


def run(config: DeriveConfig, work: Path | None = None) -> dict[str, Any]:
    """Posts the blobs on a fresh anvil, derives them again with a fresh follower, and reports."""
    with tempfile.TemporaryDirectory(prefix="clobnode-bench-derive-") as scratch, Anvil(AnvilConfig()) as anvil:
        out = work or Path(scratch)
        l1 = L1Client(anvil.url)
        dep = demo.deploy(l1)
        keys = bot_traders.bot_keys(config.seed, config.traders)
        bot_traders.fund(l1, dep, keys)
        inbox = load_artifact("Inbox").at(l1, dep.inbox)
        node = fresh_follower(l1, dep, out)
        try:
            derive(node, int(inbox.functions.count().call()))  # the deposits: not timed
            envelopes = _signed_flow(config, dep, keys)
            blobs = _post(l1, dep, envelopes, config)
            derived = derive(node, int(inbox.functions.count().call()))
        finally:
            node.close()
            kzg.stop_worker()
    per_block = [b for b in blobs if b]
    orders_per_blob = derived["messages"] / max(1, sum(per_block))
    ceilings = {name: round(blobs * orders_per_blob / SLOT_S) for name, blobs in MAX_BLOBS_PER_BLOCK.items()}
    return {
        "config": {"blobs": config.blobs, "blobsPerTx": config.blobs_per_tx, "traders": config.traders, "seed": config.seed},
        "blobs": sum(per_block), "blocksWithBlobs": len(per_block), "maxBlobsPerBlock": max(per_block, default=0),
        "ordersPerBlob": round(orders_per_blob, 1), "derivation": derived,
        "ceilingOrdersPerS": ceilings,
        "headroom": {name: round(derived["messagesPerS"] / c, 2) for name, c in ceilings.items()},
        "headroomApplying": {name: round(derived["messagesPerApplyS"] / c, 2) for name, c in ceilings.items()},
    }


def render(report: dict[str, Any]) -> str:
    d = report["derivation"]
    lines = [
        (f"posted: {report['blobs']} full blobs in {report['blocksWithBlobs']} L1 blocks (at most {report['maxBlobsPerBlock']} a block), "
         f"{report['ordersPerBlob']} signed messages a blob"),
        (f"derived by a fresh follower: {d['messages']} messages, {d['entries']} entries in {d['seconds']} s = {d['messagesPerS']} messages/s "
         f"({d['messagesPerApplyS']}/s applying)"),
        (f"  time: reading blocks {d['readS']} s, blobs (fetch, KZG check, store, RS pieces) {d['blobsS']} s, "
         f"engine (signatures, matching, state tree) {d['engineS']} s, store {d['recordS']} s"),
    ]
    for name, ceiling in report["ceilingOrdersPerS"].items():
        lines.append(f"  {name}: {MAX_BLOBS_PER_BLOCK[name]} blobs a slot = {ceiling} messages/s; headroom {report['headroom'][name]}x "
                     f"({report['headroomApplying'][name]}x applying)")
    return "\n".join(lines)
