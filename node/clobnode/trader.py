"""Trader: what a trader does on L1 directly — request withdrawals, claim them, escape a frozen rollup."""

from __future__ import annotations

from typing import Any

import clobnode_core
from eth_account.signers.local import LocalAccount

from .contracts import load_artifact
from .l1 import L1Client, L1Receipt


def _calldata(contract: Any, function: str, *args: Any) -> bytes:
    return bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])


def _b(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def request_withdrawal(l1: L1Client, inbox_address: str, trader: LocalAccount, token: str, amount: int) -> L1Receipt:
    """Append a WITHDRAWAL entry (PROTOCOL.md section 11), paying the Inbox's `entryFee`."""
    inbox = load_artifact("Inbox").at(l1, inbox_address)
    fee = int(inbox.functions.entryFee().call())
    return l1.send_transaction(trader, inbox_address, _calldata(inbox, "requestWithdrawal", token, amount), value=fee)


def claim_withdrawals(l1: L1Client, vault_address: str, sender: LocalAccount, claims: list[dict[str, Any]]) -> list[L1Receipt]:
    """Send `Vault.claimWithdrawal` for every claim (as the node's API serves them) not yet paid."""
    vault = load_artifact("Vault").at(l1, vault_address)
    receipts = []
    for c in claims:
        leaf = clobnode_core.withdrawal_leaf(_b(c["trader"]), _b(c["token"]), int(c["amount"]), int(c["inbox_index"]))
        if vault.functions.withdrawalClaimed(leaf).call():
            continue
        data = _calldata(vault, "claimWithdrawal", int(c["batch_number"]), c["trader"], c["token"], int(c["amount"]), int(c["inbox_index"]), [_b(p) for p in c["proof"]])
        receipts.append(l1.send_transaction(sender, vault_address, data))
    return receipts


def escape(l1: L1Client, vault_address: str, trader: LocalAccount, proof: dict[str, Any]) -> L1Receipt:
    """`Vault.escape` with a balance proof (as the node's API serves it) of a frozen rollup."""
    vault = load_artifact("Vault").at(l1, vault_address)
    data = _calldata(vault, "escape", proof["token"], int(proof["available"]), int(proof["locked"]), [_b(p) for p in proof["proof"]])
    return l1.send_transaction(trader, vault_address, data)
