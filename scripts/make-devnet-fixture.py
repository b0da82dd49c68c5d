#!/usr/bin/env python3
"""Writes tests/fixtures/devnet_batch.json: the first batch a real node proved (mock backend) and
the Rollup verified on a real anvil devnet, with every inbox entry it covers, so that
`forge test --mc DevnetFixtureTest` can rebuild the Inbox and check `Rollup.submitBatch` on it.

The run: deploy the devnet contracts, deposit for two traders, a signed order relayed to the
Inbox, a crossing order posted in a blob batch, a withdrawal request; then a node starts,
derives, proves (mock) and settles; the first verified batch is written with its blob openings.

Run with the project venv: `.venv/bin/python scripts/make-devnet-fixture.py` (about a minute)."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from eth_account import Account

import clobnode_core
from clobnode import demo, equivalence
from clobnode.config import ApiConfig, L1Config, NodeConfig, SettlerConfig, StoreConfig
from clobnode.contracts import load_artifact
from clobnode.devnet import DEV_PRIVATE_KEYS, Anvil, AnvilConfig
from clobnode.l1 import L1Client
from clobnode.node import Node
from clobnode.service import NodeService
from clobnode.settler import header_tuple
from clobnode.signing import signed_order

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "devnet_batch.json"
QUOTE, BASE = 10**6, 10**18
PRICE = 200_000
HEADER_FIELDS = (
    "prev_state_root", "new_state_root", "inbox_start", "inbox_end",
    "inbox_start_acc", "inbox_end_acc", "withdrawals_root", "blobs_hash",
)


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def _wait_for(condition: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError("the node did not settle the devnet run in time")


def _entries(l1: L1Client, inbox: Any, from_block: int, end: int) -> list[dict[str, Any]]:
    logs = inbox.events.EntryAppended().get_logs(from_block=from_block, to_block=l1.block_number())
    by_index = {int(log.args["index"]): log.args for log in logs}
    return [
        {
            "index": i,
            "kind": int(by_index[i]["kind"]),
            "sender": by_index[i]["sender"],
            "l1_block": int(by_index[i]["l1Block"]),
            "l1_timestamp": int(by_index[i]["l1Timestamp"]),
            "payload": _hex(by_index[i]["payload"]),
            "acc": _hex(by_index[i]["acc"]),
        }
        for i in range(end)
    ]


def main() -> int:
    with Anvil(AnvilConfig()) as anvil, tempfile.TemporaryDirectory() as tmp:
        l1 = L1Client(anvil.url)
        deployer = Account.from_key(demo.DEPLOYER_KEY)
        deployer_nonce = l1.w3.eth.get_transaction_count(deployer.address) + 2  # after the two DevTokens
        dep = demo.deploy(l1)
        trader_a, trader_b = (Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (1, 2))
        demo.mint_and_deposit(l1, dep, trader_a, dep.quote_token, 10_000 * QUOTE)
        demo.mint_and_deposit(l1, dep, trader_b, dep.base_token, 10 * BASE)
        inbox = load_artifact("Inbox").at(l1, dep.inbox)
        rollup = load_artifact("Rollup").at(l1, dep.rollup)

        buy = signed_order(trader_a, dep.chain_id, dep.inbox, market=0, side=0, price=PRICE, quantity=1000, nonce=1)
        l1.send_transaction(trader_a, dep.inbox, demo.calldata(inbox, "relaySigned", buy))
        sell = signed_order(trader_b, dep.chain_id, dep.inbox, market=0, side=1, price=PRICE, quantity=400, nonce=1)
        blobs = clobnode_core.encode_blob_batch([sell])
        l1.send_blob_transaction(trader_b, dep.inbox, demo.calldata(inbox, "proposeBatch"), blobs)
        l1.send_transaction(trader_b, dep.inbox, demo.calldata(inbox, "requestWithdrawal", dep.base_token, BASE))
        count = int(inbox.functions.count().call())

        config = NodeConfig(
            l1=L1Config(rpc_url=anvil.url, poll_interval_s=0.1),
            store=StoreConfig(path=Path(tmp) / "node.sqlite"),
            settler=SettlerConfig(private_key=demo.SETTLER_KEY),
            api=ApiConfig(port=0),
        )
        service = NodeService(Node(config, dep, l1))
        service.start()
        try:
            _wait_for(lambda: int(rollup.functions.nextInboxIndex().call()) >= count)
            batch = next(b for b in service.node.store.batches() if b.status == "verified" and b.inbox_start == 0)
            openings = equivalence.openings_for_range(service.node.store, batch.inbox_start, batch.inbox_end)
        finally:
            service.stop()

        header = dict(zip(HEADER_FIELDS, header_tuple(batch.public_values), strict=True))
        fixture = {
            "comment": "scripts/make-devnet-fixture.py: the first batch a node proved (mock) and a devnet Rollup verified",
            "backend": batch.backend,
            "chain_id": dep.chain_id,
            "vkey": _hex(dep.program_vkey),
            "public_values": _hex(batch.public_values),
            "proof": _hex(batch.proof),
            "header": {k: (v if isinstance(v, int) else _hex(v)) for k, v in header.items()},
            "blob_openings": [
                dict(zip(("versioned_hash", "z", "y", "commitment", "proof"), map(_hex, o.as_tuple()), strict=True))
                for o in openings
            ],
            "inbox": {
                "address": dep.inbox,
                "vault": dep.vault,
                "deployer": deployer.address,
                "deployer_nonce": deployer_nonce,
                "entries": _entries(l1, inbox, dep.deploy_block, batch.inbox_end),
            },
        }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(fixture, indent=2) + "\n")
    print(f"wrote {OUT}: batch [{batch.inbox_start}, {batch.inbox_end}) of {count} entries, {len(openings)} blob opening(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
