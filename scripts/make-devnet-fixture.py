#!/usr/bin/env python3
"""Writes tests/fixtures/devnet_batch.json: the first batch a real node proved (mock backend) and
the Rollup verified on a real anvil devnet, with every inbox entry it covers, so that
`forge test --mc DevnetFixtureTest` can rebuild the Inbox and check `Rollup.submitBatch` on it.

The run: deploy the devnet contracts, deposit for two traders, a signed order relayed to the
Inbox, a crossing order posted in a blob batch, a withdrawal request; then a node starts,
derives, proves (mock) and settles; the first verified batch is written with its blob openings.

Run with the project venv: `.venv/bin/python scripts/make-devnet-fixture.py` (about a minute).
With `--sp1` the node proves with its `sp1` backend (the guest ELF executed by SP1's executor,
`make zkvm`; SP1_PROVER=mock semantics: an empty proof) on a Rollup deployed with the SP1
program's vkey, and writes tests/fixtures/sp1_batch.json with the host's fixture fields added
(`forge test --mc Sp1FixtureTest`)."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import clobnode_core
from clobnode.config import (
    ApiConfig,
    L1Config,
    NodeConfig,
    ProverConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.da import equivalence
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS, Anvil, AnvilConfig
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import deploy_devnet, load_artifact
from clobnode.node import Node
from clobnode.roles.settler import header_tuple
from clobnode.service import NodeService
from eth_account import Account

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "devnet_batch.json"
SP1_OUT = ROOT / "tests" / "fixtures" / "sp1_batch.json"
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sp1", action="store_true", help="prove with the node's sp1 backend (execute mode)")
    use_sp1 = bool(parser.parse_args().sp1)
    out = SP1_OUT if use_sp1 else OUT
    prover = ProverConfig(backend="sp1", sp1_mode="execute") if use_sp1 else ProverConfig()
    vkey = b"\x00" * 32
    if use_sp1:
        from clobnode.proving.sp1 import Sp1Backend

        vkey = Sp1Backend("execute").vkey()
    with Anvil(AnvilConfig()) as anvil, tempfile.TemporaryDirectory() as tmp:
        l1 = L1Client(anvil.url)
        deployer = Account.from_key(demo.DEPLOYER_KEY)
        deployer_nonce = l1.w3.eth.get_transaction_count(deployer.address) + 2  # after the two DevTokens
        dep = deploy_devnet(l1, deployer, demo.genesis_root, program_vkey=vkey)
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
            prover=prover,
            settler=SettlerConfig(private_key=demo.SETTLER_KEY),
            api=ApiConfig(port=0),
        )
        node = Node(config, dep, l1)
        service = NodeService(node)
        service.start()
        try:
            _wait_for(lambda: int(rollup.functions.nextInboxIndex().call()) >= count)
            batch = next(b for b in service.node.store.batches() if b.status == "verified" and b.inbox_start == 0)
            openings = equivalence.openings_for_range(service.node.store, batch.inbox_start, batch.inbox_end)
            sp1_fixture = None
            if use_sp1:
                from clobnode.proving.guest_input import guest_input_for_range
                from clobnode.proving.sp1 import run_host

                sp1_fixture = run_host("execute", guest_input_for_range(node.store, node.engine, batch.inbox_start, batch.inbox_end))
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
    if use_sp1:
        if sp1_fixture is None or sp1_fixture.public_values != bytes(batch.public_values):
            raise SystemExit("SP1 executed public values differ from the verified batch's")
        fixture["comment"] = "scripts/make-devnet-fixture.py --sp1: a batch the node's sp1 backend executed and a devnet Rollup verified"
        fixture["sp1"] = {k: sp1_fixture.raw[k] for k in ("mode", "vkey", "publicValues", "proof", "cycles", "sp1Version")}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(fixture, indent=2) + "\n")
    print(f"wrote {out}: batch [{batch.inbox_start}, {batch.inbox_end}) of {count} entries, {len(openings)} blob opening(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
