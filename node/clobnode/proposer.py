"""Proposer: posts the signed orders the API accepted as blob batches (type-3 txs to `Inbox.proposeBatch`)."""

from __future__ import annotations

import logging

import clobnode_core
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from .config import ProposerConfig
from .errors import ClobnodeError
from .l1 import L1Client, L1Error
from .store import Store

log = logging.getLogger(__name__)

_BATCH_HEADER_BYTES = 5  # version(1) + count(4), PROTOCOL.md section 4
_LENGTH_PREFIX_BYTES = 2


class ProposerError(ClobnodeError):
    """A blob batch could not be posted."""


def take_batch(envelopes: list[tuple[int, bytes]], capacity: int) -> list[tuple[int, bytes]]:
    """The longest prefix of `envelopes` whose blob batch encoding fits in `capacity` bytes."""
    used = _BATCH_HEADER_BYTES
    taken: list[tuple[int, bytes]] = []
    for order_id, envelope in envelopes:
        used += _LENGTH_PREFIX_BYTES + len(envelope)
        if used > capacity:
            break
        taken.append((order_id, envelope))
    return taken


class Proposer:
    """Drains the pending API orders into one blob batch per step."""

    def __init__(self, l1: L1Client, account: LocalAccount, inbox: Contract, store: Store, config: ProposerConfig, sidecar: str) -> None:
        self._l1 = l1
        self._account = account
        self._inbox = inbox
        self._store = store
        self._config = config
        self._sidecar = sidecar
        self._calldata = bytes.fromhex(inbox.encode_abi("proposeBatch", args=[])[2:])
        self._blob_fee: int | None = None  # the Inbox's anti-spam fee per blob, immutable: read once

    def step(self) -> str | None:
        """Post one blob batch if orders are pending; returns the tx hash (hex) or None."""
        pending = self._store.pending_api_orders(self._config.max_orders_per_batch)
        capacity = clobnode_core.blob_batch_capacity() * self._config.max_blobs_per_tx
        batch = take_batch(pending, capacity)
        if not batch:
            return None
        blobs = clobnode_core.encode_blob_batch([envelope for _, envelope in batch])
        try:
            if self._blob_fee is None:
                self._blob_fee = int(self._inbox.functions.blobFee().call())
            receipt = self._l1.send_blob_transaction(
                self._account, self._inbox.address, self._calldata, blobs, sidecar=self._sidecar,  # type: ignore[arg-type]
                value=self._blob_fee * len(blobs),
            )
        except L1Error as exc:
            log.warning("blob batch of %d orders not posted: %s", len(batch), exc)
            self._l1.reset_nonce(self._account.address)
            return None
        tx_hash = "0x" + receipt.tx_hash.hex()
        self._store.set_api_orders_status([order_id for order_id, _ in batch], "posted", tx_hash)
        log.info("posted blob batch: %d orders in %d blob(s), tx %s", len(batch), len(blobs), tx_hash)
        return tx_hash
