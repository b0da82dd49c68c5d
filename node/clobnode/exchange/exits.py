"""Exits: what a trader needs to take tokens out on L1 — withdrawal claims and escape-hatch balance proofs.

Both are computed from L1 facts (the Rollup's `BatchVerified` log) and the node's own derived
history, and checked against the roots L1 holds before they are handed out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import clobnode_core
from eth_utils import to_checksum_address
from web3.contract import Contract

from clobnode.errors import ClobnodeError
from clobnode.exchange.engine import Engine
from clobnode.hexbytes import from_hex, to_hex
from clobnode.l1.client import L1Client
from clobnode.storage.state_store import StateStoreError
from clobnode.storage.store import Store


class ExitError(ClobnodeError):
    """The node cannot (yet) produce a proof L1 would accept."""


@dataclass(frozen=True, slots=True)
class VerifiedBatch:
    """One batch the Rollup accepted, as its `BatchVerified` log records it."""

    number: int
    inbox_start: int
    inbox_end: int
    new_state_root: bytes
    withdrawals_root: bytes


@dataclass(frozen=True, slots=True)
class WithdrawalClaim:
    """The arguments of `Vault.claimWithdrawal` for one withdrawal (PROTOCOL.md section 11)."""

    batch_number: int
    trader: str
    token: str
    amount: int
    inbox_index: int
    proof: tuple[bytes, ...]

    def as_json(self) -> dict[str, Any]:
        """The claim as the API serves it (`api_models.WithdrawalClaim`)."""
        return {
            "batchNumber": self.batch_number, "trader": self.trader, "token": self.token, "amount": str(self.amount),
            "inboxIndex": self.inbox_index, "proof": [to_hex(p) for p in self.proof],
        }


class Exits:
    """Reads verified batches from L1 and builds claims and proofs from the node's store."""

    def __init__(self, l1: L1Client, rollup: Contract, store: Store, engine: Engine, from_block: int) -> None:
        self._l1 = l1
        self._rollup = rollup
        self._store = store
        self._engine = engine
        self._from_block = from_block

    def verified_batches(self) -> list[VerifiedBatch]:
        event = self._rollup.events.BatchVerified()
        logs = self._l1.w3.eth.get_logs({"fromBlock": self._from_block, "address": self._rollup.address, "topics": [event.topic]})
        batches = []
        for log in logs:
            args = event.process_log(log)["args"]
            batches.append(VerifiedBatch(int(args["batchNumber"]), int(args["inboxStart"]), int(args["inboxEnd"]), bytes(args["newStateRoot"]), bytes(args["withdrawalsRoot"])))
        return sorted(batches, key=lambda b: b.number)

    def withdrawal_claims(self, trader: bytes) -> list[WithdrawalClaim]:
        """Every withdrawal of `trader` in a verified batch, with its branch to that batch's root."""
        claims = []
        trader_hex = to_hex(trader)
        for batch in self.verified_batches():
            withdrawals = self._store.events_in_range(batch.inbox_start, batch.inbox_end, "withdrawal")
            if not withdrawals:
                continue
            leaves = [
                clobnode_core.withdrawal_leaf(from_hex(w["trader"]), from_hex(w["token"]), int(w["amount"]), int(w["index"])) for w in withdrawals
            ]
            root, proofs = clobnode_core.withdrawals_tree(leaves)
            if root != batch.withdrawals_root:
                raise ExitError(f"batch {batch.number}: the node's withdrawals root differs from L1's")
            for w, proof in zip(withdrawals, proofs, strict=True):
                if w["trader"].lower() == trader_hex:
                    claims.append(WithdrawalClaim(batch.number, to_checksum_address(w["trader"]), to_checksum_address(w["token"]), int(w["amount"]), int(w["index"]), tuple(proof)))
        return claims

    def escape_proof(self, trader: bytes, token: bytes) -> dict[str, Any]:
        """`Vault.escape` arguments for (trader, token) against the Rollup's current verified root:
        the balance leaf and its branch in the state tree as it stood at the verified inbox index."""
        verified_root = bytes(self._rollup.functions.stateRoot().call())
        verified_index = int(self._rollup.functions.nextInboxIndex().call())
        point = self._store.state.at_index(verified_index)
        if point is None or point.state_root != verified_root:
            raise ExitError(f"the node has no state at the verified inbox index {verified_index}")
        try:
            then = self._store.state.changed_since(verified_index)
        except StateStoreError as exc:
            raise ExitError(str(exc)) from exc
        proof = self._engine.balance_proof(trader, token, then)
        if proof is None:
            raise ExitError("no balance of this token in the last verified state")
        if bytes(proof["root"]) != verified_root:
            raise ExitError("the node's state tree at the verified index does not lead to the verified root")
        return {
            "stateRoot": to_hex(verified_root), "inboxIndex": verified_index, "token": to_checksum_address(token),
            "available": str(proof["available"]), "locked": str(proof["locked"]),
            "proof": [to_hex(p) for p in proof["siblings"]],
        }
