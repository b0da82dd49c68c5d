"""Bot traders on a devnet: keys drawn from a seed, given ETH for gas, dev tokens minted and
deposited into the Vault (Inbox DEPOSIT entries), and a wait until the node has derived them.

DEV ONLY: the keys are a function of a public seed, and the tokens are the devnet's DevTokens,
which anyone may mint.
"""

from __future__ import annotations

import time

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from clobnode.dev.demo import calldata
from clobnode.errors import ClobnodeError
from clobnode.l1.client import L1Client
from clobnode.l1.contracts import Deployment, load_artifact
from clobnode.trader.client import Client

BOT_BASE = 1_000_000 * 10**18  # BASE (18 decimals) per bot
BOT_QUOTE = 10_000_000_000 * 10**6  # QUOTE (6 decimals) per bot
GAS_ETH = 100 * 10**18


class BotFundingError(ClobnodeError):
    """The bots could not be funded, or the node did not derive their deposits in time."""


def bot_keys(seed: int, count: int) -> list[str]:
    """`count` private keys, a pure function of `seed` (DEV ONLY)."""
    return ["0x" + keccak(b"clobnode-bot" + seed.to_bytes(8, "big") + i.to_bytes(4, "big")).hex() for i in range(count)]


def fund(l1: L1Client, dep: Deployment, keys: list[str], base: int = BOT_BASE, quote: int = BOT_QUOTE) -> None:
    """ETH for gas (`anvil_setBalance`), then mint, approve and deposit both tokens from each
    key: every transaction is sent first, the receipts are awaited at the end."""
    fee = int(load_artifact("Inbox").at(l1, dep.inbox).functions.entryFee().call())
    vault = load_artifact("Vault").at(l1, dep.vault)
    erc20 = load_artifact("DevToken")
    sent = []
    for key in keys:
        trader: LocalAccount = Account.from_key(key)
        l1.rpc("anvil_setBalance", [trader.address, hex(GAS_ETH)])
        for token, amount in ((dep.base_token, base), (dep.quote_token, quote)):
            contract = erc20.at(l1, token)
            sent.append(l1.submit_transaction(trader, token, calldata(contract, "mint", trader.address, amount), gas=100_000))
            sent.append(l1.submit_transaction(trader, token, calldata(contract, "approve", dep.vault, amount), gas=100_000))
            sent.append(l1.submit_transaction(trader, dep.vault, calldata(vault, "deposit", token, amount), value=fee, gas=300_000))
    for tx_hash in sent:
        receipt = l1.wait_for_receipt(tx_hash, 120)
        if receipt.status != 1:
            raise BotFundingError(f"a funding transaction of the bots reverted: 0x{tx_hash.hex()}")


def wait_derived(client: Client, addresses: list[str], timeout_s: float = 120.0) -> None:
    """Until the node shows both tokens deposited for every address."""
    deadline = time.monotonic() + timeout_s
    waiting = list(addresses)
    while waiting:
        waiting = [a for a in waiting if len(client.account_of(a)["balances"]) < 2]
        if waiting and time.monotonic() > deadline:
            raise BotFundingError(f"the node did not derive the deposits of {len(waiting)} bots within {timeout_s:g} s")
        if waiting:
            time.sleep(0.2)
