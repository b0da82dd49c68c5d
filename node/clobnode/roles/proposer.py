"""Proposer: posts the signed orders the API accepted as blob batches (type-3 txs to `Inbox.proposeBatch`).

Before each batch, the pending messages are checked again against the node's state (admission
control, `api/admission.py`); what can no longer execute is dropped with its reason, unposted.
One blob transaction is in flight at a time. It is signed, then written to the store with its
orders (`submitted`), then sent: a restart finds it there and sends that very transaction
again, so a crash at any point neither loses its orders nor posts them in a second transaction.
Its orders stay `submitted` until its receipt shows them `posted` (with the block, so a reorg
that removes it puts them back to `pending`: the store does that in `rollback_after`). A
transaction not included within `replace_after_s` is replaced at the same nonce with bumped fees
(EIP-1559 fees +10%, blob fee ×2 — the mempool's replacement rules), reusing its sidecar; one
whose nonce another transaction took, or that reverted, returns its orders to `pending`.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import clobnode_core
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from clobnode.api.admission import Admission
from clobnode.config import ProposerConfig
from clobnode.da import kzg
from clobnode.errors import ClobnodeError
from clobnode.hexbytes import to_hex
from clobnode.l1.client import Fees, L1Client, L1Error
from clobnode.storage.store import BlobTxInFlight, Store
from clobnode.telemetry import NodeMetrics

log = logging.getLogger(__name__)

#: Replacement bumps: geth and reth require >= 10% on both EIP-1559 fees and >= 100% on the blob fee.
FEE_BUMP_NUMERATOR, FEE_BUMP_DENOMINATOR = 11, 10
BLOB_FEE_BUMP = 2
#: Batch bytes besides the messages' own: version, codec, storedLength, rawLength, count (PROTOCOL.md 4).
_V2_OVERHEAD = 1 + 1 + 4 + 4 + 4


#: `Proposer._follow_one`: the transaction's nonce is used and the L1 knows it, receipt not seen yet.
_LANDING = object()


class ProposerError(ClobnodeError):
    """A blob batch could not be posted."""


def fitting_uncompressed(envelopes: list[tuple[int, bytes]], max_blobs: int) -> int:
    """How many of `envelopes`, from the first, fit `max_blobs` stored as they are (length-prefixed)."""
    room, count = max_blobs * clobnode_core.blob_batch_capacity() - _V2_OVERHEAD, 0
    for _, envelope in envelopes:
        room -= 2 + len(envelope)
        if room < 0:
            break
        count += 1
    return count


def take_batch(envelopes: list[tuple[int, bytes]], max_blobs: int) -> list[tuple[int, bytes]]:
    """The longest prefix of `envelopes` whose blob batch (compression included) fits `max_blobs`."""
    def fits(count: int) -> bool:
        return len(clobnode_core.encode_blob_batch([e for _, e in envelopes[:count]])) <= max_blobs

    if fits(len(envelopes)):
        return envelopes  # the common case: one encoding
    # What fits uncompressed always fits (the encoder stores the messages as they are at worst).
    low, high = fitting_uncompressed(envelopes, max_blobs), len(envelopes) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return envelopes[:low]


def bumped(fees: Fees, blob_fee: int, market: Fees, market_blob_fee: int) -> tuple[Fees, int]:
    """Fees for a replacement: at least the replacement rules' bump, at least the market now."""
    def bump(value: int) -> int:
        return value * FEE_BUMP_NUMERATOR // FEE_BUMP_DENOMINATOR + 1

    tip = max(bump(fees.max_priority_fee_per_gas), market.max_priority_fee_per_gas)
    cap = max(bump(fees.max_fee_per_gas), market.max_fee_per_gas, tip)
    return Fees(max_fee_per_gas=cap, max_priority_fee_per_gas=tip), max(blob_fee * BLOB_FEE_BUMP, market_blob_fee)


@dataclass(slots=True)
class InFlight:
    """The blob transaction being waited for: every hash it was sent under, and what to resend."""

    order_ids: list[int]
    nonce: int
    fees: Fees
    blob_fee: int
    sidecar: kzg.BlobSidecar | None  # None after a restart until a replacement needs it again
    tx_hashes: list[bytes] = field(default_factory=list)
    sent_at: float = 0.0
    gas: int | None = None  # the first send's estimate, kept: a re-estimate against a pool that
    # holds the original sees warm storage and comes out too low

    def record(self) -> BlobTxInFlight:
        assert self.gas is not None
        return BlobTxInFlight(self.nonce, self.order_ids, self.tx_hashes, self.fees.max_fee_per_gas,
                              self.fees.max_priority_fee_per_gas, self.blob_fee, self.gas)


class Proposer:
    """Drains the pending API orders into blob batches: one new transaction a pass while fewer
    than `max_in_flight` wait for inclusion (consecutive nonces, so they land in order), spread
    over the slot (`send_interval_s`) unless a full one waits."""

    def __init__(
        self, l1: L1Client, account: LocalAccount, inbox: Contract, store: Store, config: ProposerConfig, sidecar: str, admission: Admission,
        metrics: NodeMetrics | None = None, slot_s: float = 12.0, clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._admission = admission
        self._send_interval_s = config.send_interval_s if config.send_interval_s is not None else slot_s / max(1, config.max_in_flight)
        self._clock = clock
        self._last_sent = -math.inf
        self._metrics = metrics
        self._l1 = l1
        self._account = account
        self._inbox = inbox
        self._store = store
        self._config = config
        self._sidecar = sidecar
        self._calldata = bytes.fromhex(inbox.encode_abi("proposeBatch", args=[])[2:])
        self._blob_fee: int | None = None  # the Inbox's anti-spam fee per blob, immutable: read once
        self._max_blobs: int | None = None
        self._flights: dict[int, InFlight] = {}  # by nonce
        self._resume()

    def in_flight(self) -> list[InFlight]:
        """The blob transactions sent and not yet seen included, by nonce."""
        return [self._flights[n] for n in sorted(self._flights)]

    def max_blobs_per_tx(self) -> int:
        """The configured bound, lowered to the L1's per-transaction blob limit when it says one."""
        if self._max_blobs is None:
            limit = self._l1.blob_limit_per_tx()
            self._max_blobs = min(self._config.max_blobs_per_tx, limit) if limit else self._config.max_blobs_per_tx
        return self._max_blobs

    def step(self) -> str | None:
        """Post one blob batch if orders are pending, fewer than `max_in_flight` transactions are,
        and one is due (`_due`), then follow those in flight; returns the tx hash (hex) of the last batch seen
        included in this step, else None."""
        waiting = self._store.pending_api_orders(self._config.max_orders_per_batch) if len(self._flights) < self._config.max_in_flight else []
        if waiting and self._due(waiting):
            pending, dropped = self._admission.recheck(waiting)
            if dropped:
                self._store.drop_api_orders(dropped)
                for _, reason in dropped:
                    if self._metrics is not None:
                        self._metrics.dropped.labels(reason).inc()
                log.info("dropped %d pending messages that can no longer execute (%s)", len(dropped), ", ".join(sorted({r for _, r in dropped})))
            batch = take_batch(pending, self.max_blobs_per_tx())
            if batch:
                self._send_new(batch)
        return self._follow() if self._flights else None

    def _due(self, waiting: list[tuple[int, bytes]]) -> bool:
        """Whether a new transaction goes out this pass: at once with none in flight or when a full
        one waits; else once the send interval has passed since the last one."""
        if not self._flights or self._clock() - self._last_sent >= self._send_interval_s:
            return True
        return fitting_uncompressed(waiting, self.max_blobs_per_tx()) < len(waiting)  # more than fits uncompressed

    # ---- sending ---------------------------------------------------------------------------

    def _blob_fee_cap(self) -> int:
        return max(2 * self._l1.blob_base_fee(), self._config.max_fee_per_blob_gas_floor)

    def _send_new(self, batch: list[tuple[int, bytes]]) -> bool:
        blobs = clobnode_core.encode_blob_batch([envelope for _, envelope in batch])
        flight: InFlight | None = None
        try:
            if self._blob_fee is None:
                self._blob_fee = int(self._inbox.functions.blobFee().call())
            flight = InFlight(
                order_ids=[order_id for order_id, _ in batch],
                nonce=self._next_nonce(),
                fees=self._l1.suggest_fees(),
                blob_fee=self._blob_fee_cap(),
                sidecar=kzg.build_sidecar(blobs, self._form()),
            )
            self._submit(flight)
        except (L1Error, kzg.KzgError) as exc:
            log.warning("blob batch of %d orders not posted: %s", len(batch), exc)
            self._l1.reset_nonce(self._account.address)
            if flight is not None and any(r.nonce == flight.nonce for r, _ in self._store.blob_txs_in_flight()):
                if self._known(flight.tx_hashes):
                    self._flights[flight.nonce] = flight  # the L1 holds it after all: follow it
                else:
                    self._store.abandon_blob_tx(flight.nonce, flight.order_ids)  # written, but the L1 never got it
            return False
        self._flights[flight.nonce] = flight
        self._last_sent = self._clock()
        log.info("sent blob batch: %d orders in %d blob(s), tx 0x%s", len(batch), len(blobs), flight.tx_hashes[-1].hex())
        return True

    def _next_nonce(self) -> int:
        """After the transactions in flight; with none, the L1's pending count (a cached nonce can
        be stale after a reorg removed our transactions)."""
        if self._flights:
            return max(self._flights) + 1
        self._l1.reset_nonce(self._account.address)
        return self._l1.next_nonce(self._account.address)

    def _form(self) -> kzg.SidecarForm:
        return self._l1.sidecar_form() if self._sidecar == "auto" else kzg.SidecarForm(self._sidecar)

    def _submit(self, flight: InFlight) -> None:
        """Sign, write ahead to the store, then send (a crash after the write resends this tx)."""
        if flight.sidecar is None:
            flight.sidecar = self._rebuild_sidecar(flight)
        signed = self._l1.sign_blob_transaction(
            self._account, self._inbox.address, self._calldata, flight.sidecar,
            value=(self._blob_fee or 0) * len(flight.sidecar.blobs), nonce=flight.nonce, fees=flight.fees,
            max_fee_per_blob_gas=flight.blob_fee, gas=flight.gas,
        )
        flight.gas = signed.gas
        flight.tx_hashes.append(signed.tx_hash)
        self._store.save_blob_tx(flight.record(), signed.raw, flight.sidecar.versioned_hashes[0])
        self._l1.send_raw_transaction(signed.raw)
        flight.sent_at = time.monotonic()

    def _rebuild_sidecar(self, flight: InFlight) -> kzg.BlobSidecar:
        """The sidecar of a transaction sent before a restart, from its orders (the encoding is deterministic)."""
        blobs = clobnode_core.encode_blob_batch(self._store.api_order_envelopes(flight.order_ids))
        return kzg.build_sidecar(blobs, self._form())

    def _known(self, tx_hashes: list[bytes]) -> bool:
        """Whether the L1 holds (in its pool or its chain) any of `tx_hashes`."""
        try:
            return any(self._l1.rpc("eth_getTransactionByHash", [to_hex(h)]) for h in tx_hashes)
        except L1Error:
            return True  # cannot tell: keep following rather than risk posting the orders twice

    # ---- following ---------------------------------------------------------------------------

    def _follow(self) -> str | None:
        """Looks at every transaction in flight, in nonce order, until one is seen included or
        `inclusion_wait_s` has passed (0: once); returns the hash of the last one included."""
        deadline = time.monotonic() + self._config.inclusion_wait_s
        while True:
            included, landing = None, False
            # The account's mined transaction count, asked once a round and only if a receipt is missing.
            mined = functools.cache(lambda: self._l1.transaction_count(self._account.address))
            for flight in self.in_flight():
                seen = self._follow_one(flight, mined)
                landing = landing or seen is _LANDING
                included = seen if isinstance(seen, str) else included
            # A transaction whose nonce is used but whose receipt the node does not show yet is
            # looked at again at once, deadline or not.
            if not landing and (included is not None or not self._flights or time.monotonic() >= deadline):
                return included
            time.sleep(0.01)

    def _follow_one(self, flight: InFlight, mined: Callable[[], int]) -> str | object | None:
        """The hash (hex) if `flight` is included now, `_LANDING` if its nonce is used but no
        receipt is seen yet; otherwise None: it is abandoned (reverted, dropped), replaced (stuck)
        or left to wait."""
        for tx_hash in reversed(flight.tx_hashes):
            receipt = self._l1.get_receipt(tx_hash)
            if receipt is None:
                continue
            del self._flights[flight.nonce]
            if receipt.status != 1:
                log.warning("blob batch tx 0x%s reverted: its %d orders go back to pending", tx_hash.hex(), len(flight.order_ids))
                self._store.abandon_blob_tx(flight.nonce, flight.order_ids)
                return None
            self._store.record_blob_tx_inclusion(flight.order_ids, to_hex(tx_hash), receipt.block_number, flight.nonce)
            if self._metrics is not None:
                self._metrics.blob_txs.inc()
                self._metrics.blob_messages.inc(len(flight.order_ids))
                self._metrics.blob_fees.inc(receipt.blob_gas_used * receipt.blob_gas_price)
                self._metrics.wallet.labels("proposer").set(self._l1.balance(self._account.address))
            log.info("blob batch tx 0x%s included in block %d", tx_hash.hex(), receipt.block_number)
            return to_hex(tx_hash)
        if mined() > flight.nonce:
            # The nonce is used; if the node knows none of our hashes, another tx took it: dropped.
            if self._known(flight.tx_hashes):
                return _LANDING
            log.warning("blob batch (nonce %d) was dropped: %d orders go back to pending", flight.nonce, len(flight.order_ids))
            del self._flights[flight.nonce]
            self._store.abandon_blob_tx(flight.nonce, flight.order_ids)
            return None
        if time.monotonic() - flight.sent_at >= self._config.replace_after_s:
            self._replace(flight)
        return None

    def _replace(self, flight: InFlight) -> None:
        flight.fees, flight.blob_fee = bumped(flight.fees, flight.blob_fee, self._l1.suggest_fees(), self._blob_fee_cap())
        try:
            self._submit(flight)
        except L1Error as exc:
            flight.sent_at = time.monotonic()  # try again after another period
            log.warning("replacing blob batch tx (nonce %d) failed: %s", flight.nonce, exc)
            return
        log.info(
            "replaced stuck blob batch tx (nonce %d) with 0x%s: max fee %d, tip %d, blob fee %d",
            flight.nonce, flight.tx_hashes[-1].hex(), flight.fees.max_fee_per_gas,
            flight.fees.max_priority_fee_per_gas, flight.blob_fee,
        )

    def _resume(self) -> None:
        """After a restart: the transactions in flight (each written before it was sent) are sent
        again, the very same bytes, and followed; their orders are never proposed a second time."""
        saved = self._store.blob_txs_in_flight()
        for record, raw in saved:
            flight = InFlight(
                order_ids=list(record.order_ids), nonce=record.nonce,
                fees=Fees(max_fee_per_gas=record.max_fee, max_priority_fee_per_gas=record.tip),
                blob_fee=record.blob_fee, sidecar=None, tx_hashes=list(record.tx_hashes), gas=record.gas,
            )
            try:
                self._l1.send_raw_transaction(raw)
            except L1Error as exc:  # included already, or replaced: following it tells which
                log.info("blob batch tx (nonce %d) not sent again: %s", record.nonce, exc)
            flight.sent_at = time.monotonic()
            self._flights[flight.nonce] = flight
            log.info("following blob batch tx 0x%s (nonce %d, %d orders) sent before the restart",
                     record.tx_hashes[-1].hex(), record.nonce, len(record.order_ids))
        if saved:
            return
        # Orders `submitted` by an older clobnode, which did not write its transaction ahead.
        for tx_hex, orders in self._store.submitted_api_orders().items():
            ids = [order_id for order_id, _ in orders]
            try:
                receipt = self._l1.get_receipt(bytes.fromhex(tx_hex.removeprefix("0x")))
            except (L1Error, ValueError):
                receipt = None
            if receipt is not None and receipt.status == 1:
                self._store.record_blob_tx_inclusion(ids, tx_hex, receipt.block_number)
            else:
                self._store.set_api_orders_status(ids, "pending", None)
