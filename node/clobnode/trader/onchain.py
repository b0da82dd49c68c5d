"""Trader: what a trader does on L1 directly — deposit, relay a signed message to the Inbox,
request withdrawals, claim them, escape a frozen rollup. A revert names the contract's error."""

from __future__ import annotations

from typing import Any

import clobnode_core
from eth_account.signers.local import LocalAccount

from clobnode.hexbytes import from_hex
from clobnode.l1.client import L1Client, L1Error, L1Receipt
from clobnode.l1.contracts import describe_revert, load_artifact


def _calldata(contract: Any, function: str, *args: Any) -> bytes:
    return bytes.fromhex(contract.encode_abi(function, args=list(args))[2:])


def _send(l1: L1Client, sender: LocalAccount, to: str, data: bytes, what: str, value: int = 0) -> L1Receipt:
    """One L1 transaction; a revert says which contract error, decoded by the contracts' ABIs."""
    try:
        return l1.send_transaction(sender, to, data, value=value)
    except L1Error as exc:
        if exc.revert_data is None:
            raise
        raise L1Error(f"{what} reverted: {describe_revert(exc.revert_data)}", revert_data=exc.revert_data, tx_hash=exc.tx_hash) from None


def relay_signed(l1: L1Client, inbox_address: str, sender: LocalAccount, envelope: bytes) -> L1Receipt:
    """Append a signed envelope to the Inbox directly (a SIGNED entry), paying its `entryFee`."""
    inbox = load_artifact("Inbox").at(l1, inbox_address)
    fee = int(inbox.functions.entryFee().call())
    return _send(l1, sender, inbox_address, _calldata(inbox, "relaySigned", envelope), "Inbox.relaySigned", value=fee)


def deposit(l1: L1Client, vault_address: str, inbox_address: str, trader: LocalAccount, token: str, amount: int) -> L1Receipt:
    """Approve the Vault for `amount` of `token` and deposit it (a DEPOSIT entry, paying the
    Inbox's `entryFee`)."""
    erc20 = load_artifact("DevToken").at(l1, token)
    vault = load_artifact("Vault").at(l1, vault_address)
    fee = int(load_artifact("Inbox").at(l1, inbox_address).functions.entryFee().call())
    _send(l1, trader, token, _calldata(erc20, "approve", vault_address, amount), "approve")
    return _send(l1, trader, vault_address, _calldata(vault, "deposit", token, amount), "Vault.deposit", value=fee)


def request_withdrawal(l1: L1Client, inbox_address: str, trader: LocalAccount, token: str, amount: int) -> L1Receipt:
    """Append a WITHDRAWAL entry (PROTOCOL.md section 11), paying the Inbox's `entryFee`."""
    inbox = load_artifact("Inbox").at(l1, inbox_address)
    fee = int(inbox.functions.entryFee().call())
    return _send(l1, trader, inbox_address, _calldata(inbox, "requestWithdrawal", token, amount), "Inbox.requestWithdrawal", value=fee)


def claim_withdrawals(l1: L1Client, vault_address: str, sender: LocalAccount, claims: list[dict[str, Any]]) -> list[L1Receipt]:
    """Send `Vault.claimWithdrawal` for every claim (as the node's API serves them) not yet paid."""
    vault = load_artifact("Vault").at(l1, vault_address)
    receipts = []
    for c in claims:
        leaf = clobnode_core.withdrawal_leaf(from_hex(c["trader"]), from_hex(c["token"]), int(c["amount"]), int(c["inboxIndex"]))
        if vault.functions.withdrawalClaimed(leaf).call():
            continue
        data = _calldata(vault, "claimWithdrawal", int(c["batchNumber"]), c["trader"], c["token"], int(c["amount"]), int(c["inboxIndex"]), [from_hex(p) for p in c["proof"]])
        receipts.append(_send(l1, sender, vault_address, data, "Vault.claimWithdrawal"))
    return receipts


def escape(l1: L1Client, vault_address: str, trader: LocalAccount, proof: dict[str, Any]) -> L1Receipt:
    """`Vault.escape` with a balance proof (as the node's API serves it) of a frozen rollup."""
    vault = load_artifact("Vault").at(l1, vault_address)
    data = _calldata(vault, "escape", proof["token"], int(proof["available"]), int(proof["locked"]), [from_hex(p) for p in proof["proof"]])
    return _send(l1, trader, vault_address, data, "Vault.escape")
