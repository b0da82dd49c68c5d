"""Exits on a real anvil L1: withdrawals claimed once by Merkle proof, and the escape hatch of a frozen rollup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from clobnode.config import L1Config, NodeConfig, SettlerConfig, StoreConfig
from clobnode.dev import demo
from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.exits import Exits
from clobnode.l1.client import L1Client, L1Error
from clobnode.l1.contracts import DEVNET_ESCAPE_DEADLINE, Deployment, load_artifact
from clobnode.node import Node
from clobnode.trader import onchain as trader
from eth_account import Account
from eth_utils import keccak

pytestmark = pytest.mark.devnet

QUOTE = 10**6
ALICE = Account.from_key(DEV_PRIVATE_KEYS[1])


def _settle_everything(node: Node, inbox: Any) -> None:
    for _ in range(50):
        node.step()
        if int(node.rollup.functions.nextInboxIndex().call()) == int(inbox.functions.count().call()):
            return
    raise AssertionError("the node did not settle every inbox entry")


@pytest.fixture
def setup(anvil: Any, tmp_path: Path) -> tuple[L1Client, Deployment, Node, Exits, Callable[[], int]]:
    l1 = L1Client(anvil.url)
    dep = demo.deploy(l1)
    demo.mint_and_deposit(l1, dep, ALICE, dep.quote_token, 1_000 * QUOTE)
    config = NodeConfig(l1=L1Config(rpc_url=anvil.url), store=StoreConfig(path=tmp_path / "node.sqlite"), settler=SettlerConfig(private_key=demo.SETTLER_KEY))
    node = Node(config, dep, l1)
    exits = Exits(l1, node.rollup, node.store, node.engine, dep.deploy_block)
    erc20 = load_artifact("DevToken").at(l1, dep.quote_token)
    return l1, dep, node, exits, lambda: int(erc20.functions.balanceOf(ALICE.address).call())


def test_withdrawal_is_claimed_once_with_the_nodes_proof(setup: Any) -> None:
    l1, dep, node, exits, alice_l1_balance = setup
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    trader.request_withdrawal(l1, dep.inbox, ALICE, dep.quote_token, 400 * QUOTE)
    _settle_everything(node, inbox)

    (claim,) = [c.as_json() for c in exits.withdrawal_claims(bytes.fromhex(ALICE.address[2:]))]
    assert int(claim["amount"]) == 400 * QUOTE
    before = alice_l1_balance()
    relayer = Account.from_key(DEV_PRIVATE_KEYS[6])  # anyone may submit the claim; the tokens go to the trader
    assert len(trader.claim_withdrawals(l1, dep.vault, relayer, [claim])) == 1
    assert alice_l1_balance() == before + 400 * QUOTE
    assert trader.claim_withdrawals(l1, dep.vault, relayer, [claim]) == []  # already paid: nothing sent

    vault = load_artifact("Vault").at(l1, dep.vault)
    again = demo.calldata(vault, "claimWithdrawal", claim["batchNumber"], claim["trader"], claim["token"], int(claim["amount"]), claim["inboxIndex"], [bytes.fromhex(p[2:]) for p in claim["proof"]])
    with pytest.raises(L1Error):
        l1.send_transaction(relayer, dep.vault, again)
    available = {b["token"].lower(): b["available"] for b in node.engine.account(bytes.fromhex(ALICE.address[2:]))["balances"]}
    assert available[dep.quote_token.lower()] == 600 * QUOTE


def test_frozen_rollup_pays_last_proven_balances_and_refunds_unproven_deposits(setup: Any) -> None:
    l1, dep, node, exits, alice_l1_balance = setup
    inbox = load_artifact("Inbox").at(l1, dep.inbox)
    rollup = node.rollup
    _settle_everything(node, inbox)

    # A second deposit lands but no prover ever proves it; a week later anyone may freeze the rollup.
    demo.mint_and_deposit(l1, dep, ALICE, dep.quote_token, 50 * QUOTE)
    node.sync()
    # The node's head is past the verified state: the proof is of the state as verified, read
    # back through the state journal.
    assert node.engine.state_root() != bytes(rollup.functions.stateRoot().call())
    proof = exits.escape_proof(bytes.fromhex(ALICE.address[2:]), bytes.fromhex(dep.quote_token[2:]))
    assert int(proof["available"]) + int(proof["locked"]) == 1_000 * QUOTE
    (unproven,) = node.store.entries(int(rollup.functions.nextInboxIndex().call()), int(inbox.functions.count().call()))
    l1.rpc("evm_increaseTime", [DEVNET_ESCAPE_DEADLINE + 1])
    l1.rpc("anvil_mine", [1])
    stranger = Account.from_key(DEV_PRIVATE_KEYS[7])
    freeze = demo.calldata(rollup, "freeze", unproven.kind, unproven.sender, unproven.l1_block, unproven.l1_timestamp, keccak(unproven.payload))
    l1.send_transaction(stranger, dep.rollup, freeze)
    assert rollup.functions.frozen().call()

    before = alice_l1_balance()
    trader.escape(l1, dep.vault, ALICE, proof)
    assert alice_l1_balance() == before + 1_000 * QUOTE
    with pytest.raises(L1Error):
        trader.escape(l1, dep.vault, ALICE, proof)

    vault = load_artifact("Vault").at(l1, dep.vault)
    reclaim = demo.calldata(vault, "reclaimDeposit", unproven.index, ALICE.address, dep.quote_token, 50 * QUOTE, unproven.l1_block, unproven.l1_timestamp)
    l1.send_transaction(stranger, dep.vault, reclaim)
    assert alice_l1_balance() == before + 1_050 * QUOTE
