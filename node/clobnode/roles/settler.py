"""Settler: submits proven batches to the Rollup and records whether L1 accepted them."""

from __future__ import annotations

import logging
from typing import Literal

import clobnode_core
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.l1.client import L1Client, L1Error
from clobnode.l1.contracts import describe_revert
from clobnode.storage.store import BatchRecord, Store

log = logging.getLogger(__name__)


class SettlerError(ClobnodeError):
    """A batch could not be settled."""


#: A `BlobOpening` struct (PROTOCOL.md section 13): (versionedHash, z, y, commitment, kzgProof).
BlobOpeningTuple = tuple[bytes, bytes, bytes, bytes, bytes]


def header_tuple(public_values: bytes) -> tuple[bytes, bytes, int, int, bytes, bytes, bytes, bytes]:
    """The Rollup's `BatchHeader` struct from the public values (PROTOCOL.md section 8). A core
    that still decodes v1 (no `blobs_hash`) yields a zero blobsHash: such a range reads no blob."""
    pv = clobnode_core.decode_public_values(public_values)

    def b32(key: Literal["prev_state_root", "new_state_root", "inbox_start_acc", "inbox_end_acc", "withdrawals_root", "blobs_hash"]) -> bytes:
        value = pv[key]
        return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)

    return (
        b32("prev_state_root"), b32("new_state_root"), int(pv["inbox_start"]), int(pv["inbox_end"]),
        b32("inbox_start_acc"), b32("inbox_end_acc"), b32("withdrawals_root"),
        b32("blobs_hash") if "blobs_hash" in pv else bytes(32),
    )


class Settler:
    """Sends `Rollup.submitBatch(header, blobOpenings, proof)` without waiting for it (`submit`),
    then follows its receipt (`follow`); a refusal marks the batch failed with its reason."""

    def __init__(self, l1: L1Client, account: LocalAccount, rollup: Contract, store: Store) -> None:
        self._l1 = l1
        self._account = account
        self._rollup = rollup
        self._store = store

    def balance(self) -> int:
        """The settler account's ether on L1 (wei)."""
        return self._l1.balance(self._account.address)

    def rollup_position(self) -> tuple[bytes, int]:
        """(verified state root, next inbox index) as the Rollup holds them."""
        root = bytes(self._rollup.functions.stateRoot().call())
        return root, int(self._rollup.functions.nextInboxIndex().call())

    def _failed(self, batch: BatchRecord, exc: L1Error) -> None:
        reason = f"{exc}" + (f" ({describe_revert(exc.revert_data)})" if exc.revert_data else "")
        self._store.set_batch_status(batch.id, "failed", error=reason)
        log.warning("batch %d [%d, %d) rejected by the Rollup: %s", batch.id, batch.inbox_start, batch.inbox_end, reason)

    def submit(self, batch: BatchRecord, blob_openings: list[BlobOpeningTuple] | None = None) -> bool:
        """Send the batch (`submitted`, with its tx hash); False if the Rollup refuses it already
        in the gas estimate (`failed`, with the reason)."""
        args = [header_tuple(batch.public_values), list(blob_openings or []), batch.proof]
        data = bytes.fromhex(self._rollup.encode_abi("submitBatch", args=args)[2:])
        try:
            tx_hash = self._l1.submit_transaction(self._account, self._rollup.address, data)
        except L1Error as exc:
            self._l1.reset_nonce(self._account.address)
            self._failed(batch, exc)
            return False
        self._store.set_batch_status(batch.id, "submitted", tx_hash=to_hex(tx_hash))
        return True

    def follow(self, batch: BatchRecord) -> bool | None:
        """The submitted batch's fate: True verified, False failed (reverted, or its transaction
        dropped: `error`, proven again), None still pending."""
        assert batch.tx_hash is not None
        tx_hash = bytes.fromhex(batch.tx_hash.removeprefix("0x"))
        receipt = self._l1.get_receipt(tx_hash)
        if receipt is None:
            if self._l1.rpc("eth_getTransactionByHash", [batch.tx_hash]) is None:
                self._l1.reset_nonce(self._account.address)
                self._store.set_batch_status(batch.id, "error", error="the settlement transaction was dropped before inclusion")
                return False
            return None
        if receipt.status != 1:
            self._failed(batch, L1Error(f"submitBatch reverted in block {receipt.block_number}",
                                        revert_data=self._l1.replay_revert_data(tx_hash, receipt.block_number)))
            return False
        self._store.set_batch_status(batch.id, "verified")
        log.info("batch %d [%d, %d) verified on L1", batch.id, batch.inbox_start, batch.inbox_end)
        return True
