"""Demo: the devnet roles (deployer, proposer, settler, two traders) and how a devnet gets deployed and funded.

Every key here is one of anvil's well-known DEV keys: public knowledge, never for a real network.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from clobnode.dev.devnet import DEV_PRIVATE_KEYS
from clobnode.exchange.engine import Engine
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, deploy_devnet, load_artifact

DEPLOYER_KEY = DEV_PRIVATE_KEYS[0]
TRADERS = {"A": DEV_PRIVATE_KEYS[1], "B": DEV_PRIVATE_KEYS[2]}
PROPOSER_KEY = DEV_PRIVATE_KEYS[3]
SETTLER_KEY = DEV_PRIVATE_KEYS[4]

DEMO_BASE = 1_000 * 10**18  # 1,000 BASE (18 decimals) per trader
DEMO_QUOTE = 1_000_000 * 10**6  # 1,000,000 QUOTE (6 decimals) per trader


def calldata(contract: Contract, function: str, *args: Any) -> bytes:
    return bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])


def genesis_root(chain_id: int, inbox: str, vault: str, markets: list[dict[str, Any]]) -> bytes:
    """The state root of a fresh exchange listing `markets`, computed by the Rust core."""
    return Engine.genesis(chain_id, bytes.fromhex(inbox[2:]), bytes.fromhex(vault[2:]), markets).state_root()


def deploy(l1: L1Client) -> Deployment:
    """Deploy tokens, Inbox (+ Vault), MockVerifier and Rollup with the core's genesis root."""
    return deploy_devnet(l1, Account.from_key(DEPLOYER_KEY), genesis_root)


def mint_and_deposit(l1: L1Client, dep: Deployment, trader: LocalAccount, token: str, amount: int) -> None:
    """Mint dev tokens to `trader`, approve the Vault and deposit them (an Inbox DEPOSIT entry,
    paying the Inbox's anti-spam `entryFee`)."""
    erc20 = load_artifact("DevToken").at(l1, token)
    vault = load_artifact("Vault").at(l1, dep.vault)
    fee = int(load_artifact("Inbox").at(l1, dep.inbox).functions.entryFee().call())
    l1.send_transaction(trader, token, calldata(erc20, "mint", trader.address, amount))
    l1.send_transaction(trader, token, calldata(erc20, "approve", dep.vault, amount))
    l1.send_transaction(trader, dep.vault, calldata(vault, "deposit", token, amount), value=fee)


def deploy_and_fund(l1: L1Client) -> Deployment:
    """A devnet ready to trade: contracts deployed, traders A and B each holding and depositing both tokens."""
    dep = deploy(l1)
    for key in TRADERS.values():
        trader = Account.from_key(key)
        mint_and_deposit(l1, dep, trader, dep.base_token, DEMO_BASE)
        mint_and_deposit(l1, dep, trader, dep.quote_token, DEMO_QUOTE)
    return dep
