"""The devnet run that the fixture scripts record: deploy the devnet contracts, deposit for two
traders, a signed order relayed to the Inbox, a crossing order posted in a blob batch, a
withdrawal request. Every entry lands in a block of its own (anvil mines each transaction), so
every inbox index is the end of a block: a range may end at any of them."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import clobnode_core
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.signing import signed_order
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, deploy_devnet, load_artifact
from eth_account import Account

QUOTE, BASE = 10**6, 10**18
PRICE = 200_000
HEADER_FIELDS = (
    "prev_state_root", "new_state_root", "inbox_start", "inbox_end",
    "inbox_start_acc", "inbox_end_acc", "withdrawals_root", "blobs_hash",
)


@dataclass(frozen=True)
class Scenario:
    """A deployed devnet with the run's entries appended to its Inbox."""

    dep: Deployment
    deployer: str
    deployer_nonce: int  # the deployer's nonce when it deployed the Inbox (forge rebuilds it there)
    entry_count: int


def hex0x(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def wait_for(condition: Any, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise TimeoutError("the node did not reach the expected point of the devnet run in time")


def run(l1: L1Client, program_vkey: bytes) -> Scenario:
    """Deploys the devnet (a Rollup expecting `program_vkey`) and appends the run's five entries."""
    deployer = Account.from_key(demo.DEPLOYER_KEY)
    deployer_nonce = l1.w3.eth.get_transaction_count(deployer.address) + 2  # after the two DevTokens
    dep = deploy_devnet(l1, deployer, demo.genesis_root, program_vkey=program_vkey)
    trader_a, trader_b = (Account.from_key(DEV_PRIVATE_KEYS[i]) for i in (1, 2))
    demo.mint_and_deposit(l1, dep, trader_a, dep.quote_token, 10_000 * QUOTE)
    demo.mint_and_deposit(l1, dep, trader_b, dep.base_token, 10 * BASE)
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    buy = signed_order(trader_a, dep.chain_id, dep.inbox, market=0, side=0, price=PRICE, quantity=1000, nonce=1)
    l1.send_transaction(trader_a, dep.inbox, demo.calldata(inbox, "relaySigned", buy))
    sell = signed_order(trader_b, dep.chain_id, dep.inbox, market=0, side=1, price=PRICE, quantity=400, nonce=1)
    blobs = clobnode_core.encode_blob_batch([sell])
    l1.send_blob_transaction(trader_b, dep.inbox, demo.calldata(inbox, "proposeBatch"), blobs)
    l1.send_transaction(trader_b, dep.inbox, demo.calldata(inbox, "requestWithdrawal", dep.base_token, BASE))
    return Scenario(dep, deployer.address, deployer_nonce, int(inbox.functions.count().call()))


def entries(l1: L1Client, scenario: Scenario, end: int) -> list[dict[str, Any]]:
    """The Inbox's entries [0, end) as their `EntryAppended` logs show them (forge replays them)."""
    inbox = load_artifact("Inbox").at(l1, scenario.dep.inbox)
    logs = inbox.events.EntryAppended().get_logs(from_block=scenario.dep.deploy_block, to_block=l1.block_number())
    by_index = {int(log.args["index"]): log.args for log in logs}
    return [
        {
            "index": i,
            "kind": int(by_index[i]["kind"]),
            "sender": by_index[i]["sender"],
            "l1_block": int(by_index[i]["l1Block"]),
            "l1_timestamp": int(by_index[i]["l1Timestamp"]),
            "payload": hex0x(by_index[i]["payload"]),
            "acc": hex0x(by_index[i]["acc"]),
        }
        for i in range(end)
    ]


def inbox_fixture(l1: L1Client, scenario: Scenario, end: int) -> dict[str, Any]:
    """What forge needs to rebuild the Inbox at its address with entries [0, end)."""
    return {
        "address": scenario.dep.inbox,
        "vault": scenario.dep.vault,
        "deployer": scenario.deployer,
        "deployer_nonce": scenario.deployer_nonce,
        "entries": entries(l1, scenario, end),
    }


def opening_fixture(opening: Any) -> dict[str, str]:
    return dict(zip(("versioned_hash", "z", "y", "commitment", "proof"), map(hex0x, opening.as_tuple()), strict=True))
