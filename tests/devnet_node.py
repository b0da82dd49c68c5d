"""A full node on a devnet for tests: follows L1, serves its API on a free port, proposes blob
batches and settles mock-proven ranges with the demo keys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clobnode.config import (
    ApiConfig,
    L1Config,
    NodeConfig,
    ProposerConfig,
    SettlerConfig,
    StoreConfig,
)
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.node import Node
from clobnode.service import NodeService
from eth_account import Account
from waiting import until

#: The traders the `funded` fixture deposits for: A holds quote, B holds base.
TRADER_A, TRADER_B = (Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (1, 2))


def start_node(l1: L1Client, dep: Deployment, data_dir: Path) -> NodeService:
    config = NodeConfig(
        l1=L1Config(rpc_url=l1.url, poll_interval_s=0.1),
        store=StoreConfig(path=data_dir / "node.sqlite"),
        proposer=ProposerConfig(private_key=demo.PROPOSER_KEY),
        settler=SettlerConfig(private_key=demo.SETTLER_KEY),
        api=ApiConfig(port=0),
    )
    service = NodeService(Node(config, dep, l1))
    service.start()
    return service


def relay_order(l1: L1Client, dep: Deployment, trader: Any, **order: int) -> None:
    """`trader` signs an order (market 0, no expiry) and sends it to the Inbox itself (`relaySigned`)."""
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    envelope = signed_order(trader, dep.chain_id, dep.inbox, market=0, expiry=0, **order)
    l1.send_transaction(trader, dep.inbox, demo.calldata(inbox, "relaySigned", envelope))


def settle_to(node: Node, dep: Deployment, index: int, timeout: float = 60.0) -> None:
    """Runs the node's follower, prover and settler until the Rollup has verified entries [0, index)."""
    rollup = load_artifact("Rollup").at(node.l1, dep.rollup)

    def settled() -> bool:
        node.sync()
        node.prove_and_settle()
        return bool(rollup.functions.nextInboxIndex().call() == index)

    until(settled, f"the Rollup verified entries [0, {index})", timeout=timeout, every=0.05)
